"""unioncat's query language, parsed once into a backend-neutral tree that every backend translates.

Keeping the parser here (not in a backend) is what makes the embedded engine and OpenSearch give the
same answers to the same query. The language, as patrons and staff type it:

- ``moby dick``: every word must match (AND), in any searchable text field, with field boosts;
- ``"moby dick"``: a phrase; ``title:"moby dick"`` a phrase in one field;
- ``title:whale``, ``author:melville``, ``subject:whaling``, ``publisher:``, ``series:``;
- ``isbn:0-306-40615-2``, ``issn:``, ``oclc:``, ``lccn:``: identifiers in any hyphenation/prefix form
  (normalized with `harvester.identifiers`), and a bare ISBN/ISSN/OCLC number typed alone is
  recognised as an identifier too;
- ``year:1990``, ``year:1990-2000``, ``year:[1990 TO 2000]``, ``year:>1990``; a year among other
  words ("craft of research 2008") is that word or that year;
- ``callnumber:PQ2635.O8`` (``cn:``): call numbers starting so; a call number typed alone
  ("Q180.55.M4 B66 2008") is looked up as one too (`CallNumber`);
- pasted forms: ``(OCoLC)946482513`` and ``(DLC)sn85021929`` are identifiers, not brackets;
  ``author = flynn`` is ``author:flynn``; an initial ("W." in "W. C. Booth") is optional like a stopword;
- a word with an apostrophe, a hyphen or romanization marks also matches its joined spelling
  ("don't" ↔ "dont", "co-operation" ↔ "cooperation", "ʻUtbī" ↔ "Utbi": `analysis.joined`);
- ``whal*``: prefix; ``-word`` or ``NOT word``: exclude; ``a OR b``: either;
- ``&`` is the word ``and``; stopwords ("the", "and", "of" …, `indexer.search.analysis.STOPWORDS`) in an
  AND query are optional: they decide nothing about *whether* a record matches, only how well (a
  phrase keeps them, ``+the`` insists, and a query of nothing but stopwords needs them all);
- a query whose words are exactly a record's title (`ExactTitle`) ranks that record first.

Nodes (frozen dataclasses): `Term`, `Phrase`, `Prefix`, `IdentifierMatch`, `YearRange`, `ExactTitle`,
`CallNumber`, and `Bool` (must / should / must_not lists). ``field`` is None for "all text fields", else
a user alias resolved through `indexer.search.schema.fields_for_alias` to index field names.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Term:
    text: str  # as typed (backends analyze it: folding, stemming)
    fields: tuple[str, ...] = ()  # index field names; () = every text field with its boost


@dataclass(frozen=True, slots=True)
class Phrase:
    text: str
    fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Prefix:
    text: str  # without the trailing '*'
    fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IdentifierMatch:
    field: str  # isbn | issn | oclc | lccn | other_ids
    values: tuple[str, ...]  # normalized forms; any of them matches


@dataclass(frozen=True, slots=True)
class YearRange:
    low: int | None = None
    high: int | None = None  # inclusive


@dataclass(frozen=True, slots=True)
class ExactTitle:
    """The whole query equals a title (compared as `analysis.title_key` folds both): a scoring-only clause.

    Backends give it the constant score `EXACT_TITLE_SCORE`, high enough to outrank any word scoring,
    because a patron who typed a title exactly wants that item, not one that repeats its words more.
    """

    key: str


EXACT_TITLE_SCORE = 1000.0


@dataclass(frozen=True, slots=True)
class CallNumber:
    """Records with a call number starting with one of these shelf keys (`analysis.callnumber_key`
    forms of what was typed): ``callnumber:Q180.55.M4`` or a call number typed alone.

    Backends match it as a prefix of the ``callnumber_heading`` terms, with the constant score
    `IDENTIFIER_BOOST`, like an identifier: staff type a call number to find the item on the shelf.
    """

    keys: tuple[str, ...]


CALLNUMBER_FIELD = "callnumber_heading"


Node = "Term | Phrase | Prefix | IdentifierMatch | YearRange | ExactTitle | CallNumber | Bool"


@dataclass(frozen=True, slots=True)
class Bool:
    must: tuple[object, ...] = ()
    should: tuple[object, ...] = ()
    must_not: tuple[object, ...] = ()
    # with no `must`, at least one `should` must match

    @property
    def empty(self) -> bool:
        return not (self.must or self.should or self.must_not)


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """The parsed tree plus the plain words, which backends use for OR-relaxation and fuzzy fallback."""

    root: Bool
    words: tuple[str, ...] = field(default_factory=tuple)

    def relaxed(self) -> ParsedQuery:
        """The same query with its top-level required clauses made optional (AND → OR fallback).

        Optional clauses (stopwords, the exact-title bonus) stay optional: "war and peace" relaxed is
        war OR peace, scored with "and", never "anything containing and".
        """
        root = self.root
        if not root.must:  # alternatives (a call number, or the words): each relaxed
            alternatives = tuple(ParsedQuery(c).relaxed().root if isinstance(c, Bool) else c for c in root.should)
            return ParsedQuery(Bool(should=alternatives, must_not=root.must_not), self.words)
        if not root.should:
            return ParsedQuery(Bool(should=root.must, must_not=root.must_not), self.words)
        either = Bool(should=root.must)
        return ParsedQuery(Bool(must=(either,), should=root.should, must_not=root.must_not), self.words)

