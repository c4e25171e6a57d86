"""The query-language parser: a patron's text → the backend-neutral tree of `indexer.search.query`.

The language is documented in `indexer.search.query`; this module only turns text into that tree. It is
deliberately forgiving, because the text comes straight from a search box: an unbalanced quote is
closed at the end, a stray parenthesis is ignored, an unknown ``field:`` is read as plain words, and a
dangling ``OR``/``NOT`` is dropped. Only input that cannot mean anything sensible (``year:abc``) raises
`QueryError`, whose message is safe to show to the patron.

Precedence follows what catalog users expect from Lucene-style boxes: juxtaposition is AND, ``OR``
binds tighter than the implicit AND (``whale moby OR ahab`` = whale AND (moby OR ahab)), ``-w``/``NOT w``
excludes and ``+w`` insists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.search.analysis import analyze_folded, is_stopword, joined, title_key
from indexer.search.query import Bool, ExactTitle, ParsedQuery, Phrase, Prefix, Term, YearRange
from indexer.search.query_forms import (
    ID_KINDS,
    as_whole,
    bare_identifier,
    callnumber_node,
    fielded_identifier,
    year_range_brackets,
    year_value,
)
from indexer.search.schema import FIELDS, fields_for_alias

MAX_QUERY_CHARS = 1000
"""Longer input is cut: nobody types more, and it bounds the work a single request can cause."""
MAX_CLAUSES = 64
"""More clauses than this are dropped (same reason)."""
MAX_DEPTH = 8
"""Brackets nested deeper are ignored (bounded recursion for ``((((…``)."""
MIN_PREFIX = 2
"""``a*`` would expand to a large part of the term dictionary; shorter prefixes are plain words."""

_YEAR_ALIASES = {a for f in fields_for_alias("year") for a in f.query_alias} | {"year"}
_IDENTIFIER_ALIASES = {a for f in FIELDS if f.kind == "identifier" for a in f.query_alias}
_FIELD_RE = re.compile(r"([A-Za-z_]+):(.*)", re.DOTALL)
_EQUALS_RE = re.compile(r"([A-Za-z_]+)\s*=\s*(\S.*)", re.DOTALL)
"""``author = flynn``, ``title=gone girl``: what people used to other catalogs' forms type for ``field:``."""
_PASTED_ID = re.compile(r"\([A-Za-z]{2,12}\)[^\s()\"]+")
"""A MARC 035-style number with its organization code, "(OCoLC)946482513", "(DLC)sn85021929": ILL staff
paste these; read as brackets they became the word "OCoLC" and a number, and found the wrong record."""
_INITIAL = re.compile(r"^[^\W\d_]\.$")
""""W." in "W. C. Booth": an initial. Catalogs spell names out ("Booth, Wayne C."), so an initial decides
nothing about whether a record matches, only how well (like a stopword)."""
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200c\u200d\u2060\ufeff"))
"""Soft hyphens, zero-width (non-)joiners, word joiners, BOMs: invisible in text pasted from a PDF or a
web page, inside a word ("Kazan\u00adtzakis"); removed, where other unprintable characters become spaces."""
_YEAR_WORD = re.compile(r"^(1[5-9]|20)\d\d$")
_CALLNUMBER_ALIASES = {"callnumber", "cn", "lcc"}
_OPERATORS = {"AND", "OR", "NOT", "&&", "||"}


# ---------------------------------------------------------------- tokens


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # word | phrase | open | close | op | range
    text: str
    field: str = ""  # alias typed before ':' ("" when none)
    sign: str = ""  # "-" | "+" | ""


def _tokenize(text: str) -> list[_Tok]:
    """Split into words, phrases, brackets and operators; quotes and brackets never fail."""
    tokens: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        sign = ""
        if ch in "-+" and i + 1 < n and not text[i + 1].isspace():
            sign, i = ch, i + 1
            ch = text[i]
        field = ""
        match = _FIELD_RE.match(text, i) or _EQUALS_RE.match(text, i)
        if match and _known_field(match.group(1)):
            field = match.group(1).lower()
            i = match.start(2)
            if i >= n or text[i].isspace():
                continue  # "title:" with nothing after it
            ch = text[i]
        pasted = _PASTED_ID.match(text, i) if ch == "(" and not field else None
        if pasted:  # "(OCoLC)946482513" pasted from a 035: one word, not a bracket
            tokens.append(_Tok("word", pasted.group(0), field, sign))
            i = pasted.end()
            continue
        if ch == '"':
            end = text.find('"', i + 1)
            end = n if end < 0 else end  # unbalanced quote: the phrase runs to the end
            tokens.append(_Tok("phrase", text[i + 1 : end], field, sign))
            i = end + 1
        elif field in _CALLNUMBER_ALIASES:
            end = text.find(" OR ", i)  # a call number has spaces: it runs to the end (or an OR)
            end = n if end < 0 else end
            tokens.append(_Tok("callnumber", text[i:end].strip(), field, sign))
            i = end
        elif field in _IDENTIFIER_ALIASES and ch != '"':
            j = i
            while j < n and not text[j].isspace():
                j += 1
            tokens.append(_Tok("word", text[i:j], field, sign))  # "(OCoLC)ocm123" is one value
            i = j
        elif ch == "(":
            tokens.append(_Tok("open", "(", field, sign))
            i += 1
        elif ch == ")":
            tokens.append(_Tok("close", ")"))
            i += 1
        elif ch == "[" and field in _YEAR_ALIASES:
            end = text.find("]", i)
            end = n if end < 0 else end
            tokens.append(_Tok("range", text[i + 1 : end], field, sign))
            i = end + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '()"':
                j += 1
            word = text[i:j]
            i = j
            if not word:
                continue
            if word == "&":
                word = "and"  # "war & peace" is "war and peace" (optional like any "and")
            if word in _OPERATORS and not field and not sign:
                tokens.append(_Tok("op", {"&&": "AND", "||": "OR"}.get(word, word)))
            else:
                tokens.append(_Tok("word", word, field, sign))
    return tokens


def _known_field(alias: str) -> bool:
    lowered = alias.lower()
    return lowered in _YEAR_ALIASES or lowered in _CALLNUMBER_ALIASES or bool(fields_for_alias(alias))


# ---------------------------------------------------------------- parser


class _Parser:
    def __init__(self, tokens: list[_Tok], alone: bool) -> None:
        self.tokens = tokens
        self.pos = 0
        self.alone = alone  # the whole query is one word: bare identifiers of every kind are recognised
        self.words: list[str] = []
        self.clauses = 0

    def peek(self) -> _Tok | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def parse_sequence(self, field: str, depth: int) -> Bool:
        """Units until a closing bracket (or the end), AND-ed; OR groups neighbours."""
        must: list[object] = []
        optional: list[object] = []  # stopwords: they score, but do not decide whether a record matches
        must_not: list[object] = []
        pending_not = False
        while (tok := self.peek()) is not None:
            if tok.kind == "close":
                self.pos += 1
                if depth > 0:
                    break
                continue  # a stray ")" at top level is ignored
            if tok.kind == "op":
                self.pos += 1
                pending_not = pending_not or tok.text == "NOT"
                continue  # AND is the default; a leading/dangling OR means nothing
            skippable, seen = tok.kind == "word" and tok.sign != "+", len(self.words)
            negate, node = self.parse_or_group(field, depth)
            if node is None:
                pending_not = False
                continue
            if self.clauses >= MAX_CLAUSES:
                continue
            self.clauses += 1
            if negate != pending_not:
                must_not.append(node)
                if pending_not:
                    del self.words[seen:]  # "NOT whale" is no hint of what the patron wants either
            elif isinstance(node, Bool) and (node.must or not node.should):
                must.extend(node.must)  # "(a -b) c" is a AND NOT b AND c: flat, so relaxing reaches it
                optional.extend(node.should)
                must_not.extend(node.must_not)
            elif skippable and isinstance(node, Term) and (is_stopword(node.text) or _is_initial(tok, node)):
                optional.append(node)
            else:
                must.append(node)
            pending_not = False
        if not must:  # nothing but stopwords ("to be or not to be"): then they are what was asked for
            must, optional = optional, []
        return Bool(must=tuple(must), should=tuple(optional), must_not=tuple(must_not))

    def parse_or_group(self, field: str, depth: int) -> tuple[bool, object | None]:
        negate, node = self.parse_unit(field, depth)
        alternatives = [node] if node is not None else []
        while (tok := self.peek()) is not None and tok.kind == "op" and tok.text == "OR":
            self.pos += 1
            nxt = self.peek()
            if nxt is None or nxt.kind in ("close", "op"):
                break  # "a OR" → a
            _, other = self.parse_unit(field, depth)
            if other is not None:
                alternatives.append(other)
        if len(alternatives) > 1:
            return False, Bool(should=tuple(alternatives))
        return negate, (alternatives[0] if alternatives else None)

    def parse_unit(self, field: str, depth: int) -> tuple[bool, object | None]:
        tok = self.tokens[self.pos]
        self.pos += 1
        negate = tok.sign == "-"
        use_field = tok.field or field
        if tok.kind == "open":
            if depth >= MAX_DEPTH:
                return False, None  # deeper brackets are ignored: their words join this level
            seen = len(self.words)
            inner = self.parse_sequence(use_field, depth + 1)
            if negate:
                del self.words[seen:]  # excluded words are no hint of what the patron wants
            return negate, _simplify(inner)
        if tok.kind == "range":
            return negate, year_range_brackets(tok.text)
        if tok.kind == "callnumber" or (tok.kind == "phrase" and tok.field in _CALLNUMBER_ALIASES):
            return negate, callnumber_node(tok.text)
        if tok.kind == "phrase":
            return negate, self.phrase(tok.text, use_field, negate)
        label = self.identifier_label(tok)
        if label:
            value = self.tokens[self.pos]
            self.pos += 1
            return negate, fielded_identifier(label, value.text)
        return negate, self.word(tok.text, use_field, negate)

    def identifier_label(self, tok: _Tok) -> str:
        """ "ISBN 0-306-40615-2" as pasted from a citation: the label names the identifier that follows."""
        label = tok.text.lower().rstrip(":")
        nxt = self.peek()
        if tok.field or label not in ID_KINDS or nxt is None or nxt.kind != "word" or nxt.field or nxt.sign:
            return ""
        return label if any(c.isdigit() for c in nxt.text) else ""

    def phrase(self, text: str, field: str, negate: bool) -> object | None:
        text = " ".join("and" if word == "&" else word for word in text.split())
        if not text:
            return None
        if field in _YEAR_ALIASES:
            return year_value(text)
        id_node = fielded_identifier(field, text)
        if id_node is not None:
            return id_node
        if not negate:
            self.words.extend(text.split())
        fields = _fields(field)
        if " " not in text:
            return Term(text, fields)
        return Phrase(text, fields)

    def word(self, text: str, field: str, negate: bool) -> object | None:
        if field in _YEAR_ALIASES:
            return year_value(text)
        id_node = fielded_identifier(field, text)
        if id_node is not None:
            return id_node
        fields = _fields(field)
        if text.endswith("*"):
            stem = text.rstrip("*")
            if len(stem) >= MIN_PREFIX and not stem.endswith(("*", "?")) and "*" not in stem:
                if not negate:
                    self.words.append(stem)
                return Prefix(stem, fields)
            text = stem
        if not _has_word_char(text):
            return None
        if not negate:
            self.words.append(text)
        term = Term(text, fields)
        if not field:
            bare = bare_identifier(text, self.alone)
            if bare is not None:
                return Bool(should=(bare, term))
            if not self.alone and _YEAR_WORD.match(text):
                year = int(text)  # "craft of research 2008": the edition's year, rarely a title word
                return Bool(should=(term, YearRange(year, year)))
        return _with_joined(term)


def _with_joined(term: Term) -> object:
    """ "co-operation" also as "cooperation", "Rossi︠i︡a" as "Rossiia" (`analysis.joined`): either spelling
    finds the other, as the index keeps both (the hidden ``variants`` field)."""
    glued = joined(term.text)
    if " " in glued or analyze_folded(glued) == analyze_folded(term.text) or not analyze_folded(glued):
        return term
    return Bool(should=(term, Term(glued, term.fields)))


def _is_initial(tok: _Tok, node: Term) -> bool:
    """An initial typed unfielded or in ``author:`` ("W." of "W. C. Booth"), never a quoted letter."""
    return tok.kind == "word" and bool(_INITIAL.match(tok.text)) and node.fields in ((), ("authors",))


def _has_word_char(text: str) -> bool:
    return any(c.isalnum() for c in text)


def _fields(alias: str) -> tuple[str, ...]:
    if not alias:
        return ()
    return tuple(f.name for f in fields_for_alias(alias))


def _simplify(node: Bool) -> object | None:
    if node.empty:
        return None
    if len(node.must) == 1 and not node.should and not node.must_not:
        return node.must[0]
    return node


# ---------------------------------------------------------------- entry point


def parse_query(text: str) -> ParsedQuery:
    """Parse a patron's query; empty or punctuation-only text gives an empty query (match everything)."""
    text = (text or "")[:MAX_QUERY_CHARS].translate(_INVISIBLE)
    text = "".join(c if c.isprintable() else " " for c in text)
    tokens = _tokenize(text)
    alone = len(tokens) == 1 and tokens[0].kind == "word" and not tokens[0].field and not tokens[0].sign
    parser = _Parser(tokens, alone)
    root = parser.parse_sequence("", 0)
    if len(root.must) == 1 and not root.must_not and not root.should and isinstance(root.must[0], Bool):
        inner = root.must[0]
        spellings = len(parser.words) == 1 and all(isinstance(c, Term) for c in inner.should)
        if not inner.must and inner.should and not inner.must_not and not spellings:
            root = inner  # "a OR b" at the top: relaxing it changes nothing (one word's two spellings stay a word)
    typed = " ".join(parser.words)
    keys = [key for key in dict.fromkeys((title_key(typed), title_key(joined(typed)))) if key]
    if root.must and keys:  # the words, in order, as a whole title (either spelling): that record first
        exact = tuple(ExactTitle(key) for key in keys)
        root = Bool(must=root.must, should=(*root.should, *exact), must_not=root.must_not)
    return ParsedQuery(as_whole(text.strip(), root), tuple(parser.words))
