"""CQL (the query language of SRU) → unioncat's own query language, or a list of record ids.

CQL is parsed by the PyPI ``cql-parser`` (a PLY grammar of CQL 1.2); this module only walks its tree.
Indexes map to our fields (`INDEXES`): ``cql.anywhere``/``cql.serverChoice`` search every text
field, ``dc.title``, ``dc.creator``, ``dc.subject``, ``dc.publisher``, ``dc.date``, ``bath.isbn``,
``bath.issn`` and friends their field, and ``rec.id``/``id`` look a record up by its permanent id
(what CrossLink sends: ``id="<id>"``), which is answered from the cluster store, not the search engine.

The result is text in the language of `indexer.search.query` with every operand bracketed, so that
its own precedence rules never apply, and with every character that language treats as syntax taken
out of the terms (a term can never become an operator or a field prefix). What CQL can say and we
cannot answer is a `CQLDiagnostic` carrying the SRU diagnostic number, never a silent approximation.

    translate('dc.title any "whale ahab" and dc.date >= 1850')
    # Translation(text='(title:whale OR title:ahab) AND year:>=1850', ids=(), sort='relevance')
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from typing import Any

from cql.lexer import CQLLexer
from cql.parser import CQLParser12

logging.getLogger("cql").setLevel(logging.CRITICAL)  # its parser logs every syntax error as ERROR
_LOCAL = threading.local()

ID = "rec.id"
INDEXES = {
    "cql.anywhere": "", "cql.serverchoice": "", "cql.keywords": "", "anywhere": "", "keywords": "",
    "dc.title": "title", "bath.title": "title", "title": "title",
    "dc.creator": "author", "dc.author": "author", "bath.author": "author", "bath.name": "author",
    "bath.personalname": "author", "creator": "author", "author": "author",
    "dc.subject": "subject", "bath.subject": "subject", "subject": "subject",
    "dc.publisher": "publisher", "publisher": "publisher",
    "dc.date": "year", "date": "year", "year": "year",
    "bath.isbn": "isbn", "isbn": "isbn", "bath.issn": "issn", "issn": "issn",
    "bath.lccn": "lccn", "lccn": "lccn", "oclc": "oclc", "rec.oclc": "oclc",
    "rec.id": ID, "id": ID, "rec.identifier": ID, "cql.allrecords": "*",
}
"""CQL index (lower-cased) → our query field ("" every text field, ``*`` everything, `ID` id lookup)."""
IDENTIFIER_FIELDS = ("isbn", "issn", "lccn", "oclc")
TEXT_RELATIONS = ("=", "==", "exact", "adj", "all", "any")
YEAR_RELATIONS = ("=", "==", "exact", "<", ">", "<=", ">=", "within")
HARMLESS_MODIFIERS = ("relevant", "ignorecase", "ignoreaccents", "stem", "string", "word")
MAX_DEPTH = 8
"""Nesting of *different* booleans (brackets in our language); chains of one boolean are flattened."""
MAX_CLAUSES = 64
MAX_QUERY_CHARS = 4000
"""Bounds on one query's work (and on every recursion here), as the search box has."""
_SYNTAX = re.compile(r'[\\"():{}\[\]^~]+')
_SORT_KEYS = {"dc.title": "title", "title": "title", "dc.date": "newest", "date": "newest", "year": "newest"}


class CQLDiagnostic(Exception):
    """An SRU diagnostic (info:srw/diagnostic/1/<number>) with what it is about."""

    def __init__(self, number: int, details: str, message: str) -> None:
        super().__init__(f"{message}: {details}")
        self.number = number
        self.details = details
        self.message = message


@dataclass(frozen=True, slots=True)
class Translation:
    """Query text for the search engine, or (when ``ids``) the record ids to look up instead."""

    text: str
    ids: tuple[str, ...] = ()
    sort: str = "relevance"


def translate(query: str) -> Translation:
    """A CQL query as a `Translation`, or `CQLDiagnostic`."""
    if not query.strip():
        raise CQLDiagnostic(7, "query", "Mandatory parameter not supplied")
    if len(query) > MAX_QUERY_CHARS:
        raise CQLDiagnostic(48, f"{len(query)} characters",
                            f"Query feature unsupported: over {MAX_QUERY_CHARS} characters")
    root = parse(query).root
    if len(_clauses(root)) > MAX_CLAUSES:
        raise CQLDiagnostic(48, "clauses", f"Query feature unsupported: more than {MAX_CLAUSES} search clauses")
    sort = _sort(getattr(root, "sortSpecs", None) or [])
    ids = _id_lookup(root)
    if ids is not None:
        return Translation("", ids, sort)
    if not hasattr(root, "left") and index_field(root) == "*":
        return Translation("", (), sort)  # cql.allRecords = 1: everything
    return Translation(_node(root, 0), (), sort)


def parse(query: str) -> Any:
    """The cql-parser tree, or diagnostic 10 (query syntax error)."""
    try:
        parsed = _parser().parse(query, tracking=True)
    except Exception as exc:  # noqa: BLE001 - the parser raises lexer and parser errors of several kinds
        raise CQLDiagnostic(10, query, f"Query syntax error ({exc})") from exc
    if parsed is None or parsed.root is None:
        raise CQLDiagnostic(10, query, "Query syntax error")
    return parsed


def _parser() -> Any:
    """This thread's CQL parser: building one generates its LR tables (~40 ms), parsing takes ~0.3 ms,
    and a PLY parser keeps state while it parses, so each worker thread keeps its own."""
    parser = getattr(_LOCAL, "parser", None)
    if parser is None:
        lexer = CQLLexer()
        lexer.build()
        parser = CQLParser12()
        parser.build(lexer)  # type: ignore[arg-type]  # as cql.parse itself does; its hint says ply Lexer
        _LOCAL.parser = parser
    return parser


def index_field(clause: Any) -> str:
    """Our field for a search clause's index, or diagnostic 16 (unsupported index)."""
    name = str(clause.index).lower() if clause.index is not None else "cql.serverchoice"
    if name not in INDEXES:
        raise CQLDiagnostic(16, str(clause.index), "Unsupported index")
    return INDEXES[name]


def relation_of(clause: Any) -> str:
    """The clause's relation (``=`` when none), modifiers checked (diagnostic 20)."""
    relation = clause.relation
    if relation is None:
        return "="
    for modifier in relation.modifiers or []:
        if str(modifier.name).lower().removeprefix("cql.") not in HARMLESS_MODIFIERS:
            raise CQLDiagnostic(20, str(modifier.name), "Unsupported relation modifier")
    return str(relation.comparitor).lower().removeprefix("cql.")


def _id_lookup(node: Any) -> tuple[str, ...] | None:
    """Ids when the query is only ``rec.id`` clauses joined by OR; None when it has none at all."""
    clauses = list(_clauses(node))
    id_clauses = [c for c in clauses if index_field(c) == ID]
    if not id_clauses:
        return None
    if len(id_clauses) != len(clauses) or not _only_or(node):
        raise CQLDiagnostic(48, "rec.id", "Query feature unsupported: rec.id combines only with rec.id, by OR")
    ids: list[str] = []
    for clause in id_clauses:
        if relation_of(clause) not in ("=", "==", "exact", "any"):
            raise CQLDiagnostic(19, str(clause.relation), "Unsupported relation")
        ids += clause.term.split() if relation_of(clause) == "any" else [clause.term.strip()]
    return tuple(i for i in ids if i)


def _clauses(node: Any) -> list[Any]:
    """The search clauses of a tree, left to right (iteratively: the tree may be deep)."""
    found: list[Any] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if hasattr(current, "left"):
            stack += [current.right, current.left]
        else:
            found.append(current)
    return found


def _only_or(node: Any) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if hasattr(current, "left"):
            if _boolean(current) != "or":
                return False
            stack += [current.left, current.right]
    return True


def _boolean(node: Any) -> str:
    return str(node.operator.value).lower() if hasattr(node, "left") else ""


def _node(node: Any, depth: int) -> str:
    if depth > MAX_DEPTH:
        raise CQLDiagnostic(48, "nesting", f"Query feature unsupported: booleans nested deeper than {MAX_DEPTH}")
    if not hasattr(node, "left"):
        return _clause(node)
    operator = node.operator
    if operator.modifiers:
        raise CQLDiagnostic(46, str(operator), "Unsupported boolean modifier")
    value = _boolean(node)
    if value not in ("and", "or", "not"):
        raise CQLDiagnostic(37, value, "Unsupported boolean operator")
    # "a and b and c", "a or b or c" and "a not b not c" need no brackets in our language
    chain = {"and": ("and",), "or": ("or",), "not": ("and", "not")}[value]
    left = _operand(node.left, depth, flat=_boolean(node.left) in chain)
    right = _operand(node.right, depth, flat=value != "not" and _boolean(node.right) == value)
    return f"{left} {'AND NOT' if value == 'not' else value.upper()} {right}"


def _operand(node: Any, depth: int, flat: bool) -> str:
    if flat:
        return _node(node, depth)
    text = _node(node, depth + 1)
    return f"({text})" if hasattr(node, "left") or " " in text else text


def _clause(clause: Any) -> str:
    field = index_field(clause)
    relation = relation_of(clause)
    term = str(clause.term)
    if field == "*":
        raise CQLDiagnostic(48, "cql.allRecords", "Query feature unsupported: cql.allRecords only on its own")
    if field == "year":
        return _year(term, relation)
    if relation not in TEXT_RELATIONS:
        raise CQLDiagnostic(19, relation, "Unsupported relation")
    words = [w for w in (_word(part) for part in term.split()) if w]
    if not words:
        raise CQLDiagnostic(27, str(clause), "Empty term unsupported")
    prefix = f"{field}:" if field else ""
    if field in IDENTIFIER_FIELDS:
        return " OR ".join(f"{prefix}{w}" for w in words) if relation == "any" else f"{prefix}{''.join(words)}"
    if relation in ("any", "all"):
        return f" {'OR' if relation == 'any' else 'AND'} ".join(f"{prefix}{w}" for w in words)
    if len(words) == 1:
        return f"{prefix}{words[0]}"
    return prefix + '"' + " ".join(w.rstrip("*") for w in words) + '"'


def _word(text: str) -> str:
    """A term word with our syntax removed: a trailing ``*`` (CQL masking) stays as our prefix search."""
    word = _SYNTAX.sub("", text).replace("?", "")
    masked = word.endswith("*")
    word = word.replace("*", "").lstrip("-+")
    if word.upper() in ("AND", "OR", "NOT"):
        word = word.lower()
    return f"{word}*" if masked and word else word


def _year(term: str, relation: str) -> str:
    if relation not in YEAR_RELATIONS:
        raise CQLDiagnostic(19, relation, "Unsupported relation")
    years = term.replace("-", " ").split()
    if not years or not all(y.isdigit() and len(y) <= 4 for y in years):
        raise CQLDiagnostic(36, term, "Term in invalid format for index or relation")
    if relation == "within":
        if len(years) != 2:
            raise CQLDiagnostic(36, term, "Term in invalid format for index or relation")
        return f"year:{years[0]}-{years[1]}"
    if len(years) != 1:
        raise CQLDiagnostic(36, term, "Term in invalid format for index or relation")
    op = "" if relation in ("=", "==", "exact") else relation
    return f"year:{op}{years[0]}"


def _sort(specs: list[Any]) -> str:
    """``sortBy dc.title`` / ``dc.date[/sort.ascending]``; more or other keys: diagnostic 80."""
    if not specs:
        return "relevance"
    if len(specs) > 1:
        raise CQLDiagnostic(80, "sortBy", "Sort not supported: one sort key at most")
    spec = specs[0]
    key = _SORT_KEYS.get(str(spec.index).lower())
    if key is None:
        raise CQLDiagnostic(80, str(spec.index), "Sort not supported for this index")
    modifiers = {str(m.name).lower().removeprefix("sort.") for m in spec.modifiers or []}
    if key == "newest" and "ascending" in modifiers:
        return "oldest"
    if key == "title" and "descending" in modifiers:
        raise CQLDiagnostic(80, "dc.title/sort.descending", "Sort not supported: titles sort ascending only")
    return key
