"""unioncat's query language, parsed once into a backend-neutral tree that every backend translates.

Keeping the parser here (not in a backend) is what makes the embedded engine and OpenSearch give the
same answers to the same query. The language, as patrons and staff type it:

- ``moby dick``: every word must match (AND), in any searchable text field, with field boosts;
- ``"moby dick"``: a phrase; ``title:"moby dick"`` a phrase in one field;
- ``title:whale``, ``author:melville``, ``subject:whaling``, ``publisher:``, ``series:``;
- ``isbn:0-306-40615-2``, ``issn:``, ``oclc:``, ``lccn:``: identifiers in any hyphenation/prefix form
  (normalized with `harvester.identifiers`), and a bare ISBN/ISSN/OCLC number typed alone is
  recognised as an identifier too;
- ``year:1990``, ``year:1990-2000``, ``year:[1990 TO 2000]``, ``year:>1990``;
- ``whal*``: prefix; ``-word`` or ``NOT word``: exclude; ``a OR b``: either.

Nodes (frozen dataclasses): `Term`, `Phrase`, `Prefix`, `IdentifierMatch`, `YearRange`, and `Bool`
(must / should / must_not lists). ``field`` is None for "all text fields", else a user alias
resolved through `indexer.search.schema.fields_for_alias` to index field names.
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


Node = "Term | Phrase | Prefix | IdentifierMatch | YearRange | Bool"


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
        """The same query with its top-level required clauses made optional (AND → OR fallback)."""
        return ParsedQuery(Bool(should=self.root.must + self.root.should, must_not=self.root.must_not), self.words)

