"""The normalized record model: what every source's records become, whatever they came in as.

A `Record` is plain data (cf. pymarc's record model): frozen dataclasses, no I/O, no search-engine
imports, so the harvester can build it, the record store can keep it as JSON, and the indexer can
cluster and merge it without knowing where it came from.

Field by field, for MARC bibliographic records (see `harvester.marc.mapping` for the mapping itself):

- ``id``: ``source:localid`` (001, or the source's configured id field);
- ``title`` / ``subtitle`` / ``part``: 245 $a, $b, and $n$p; ``title_sort`` drops the nonfiling
  characters counted by the second indicator ("The Hobbit" sorts under "hobbit");
- ``responsibility``: 245 $c; ``authors``: 100/110/111 then 700/710/711 with relator roles;
- ``subjects``: 6XX with subdivisions, each kept as parts and as a "A -- B -- C" heading;
- ``isbns``: checksum-valid ISBNs as ISBN-13 (ISBN-10s converted); ``invalid_isbns`` the rest, apart;
- ``issns``, ``oclc_numbers`` (035 "(OCoLC)", ocm/ocn/on prefixes stripped), ``lccns`` (010, normalized);
- ``other_ids``: other standard numbers (024, 015, 016, DOIs, handles) as ``scheme:value`` strings;
- ``publisher`` / ``place`` / ``year``: 264 or 260; year from 008/07-10 first, then 264/260 $c;
- ``languages``: 008/35-37 first, then 041 $a (ISO 639-2 codes);
- ``format``: one of `FORMATS`, from leader/06-07, 007 and 008;
- ``edition`` (250), ``extent`` (300 $a) and ``page_count``, ``series`` (490/8XX), ``volumes``
  (245 $n and 490 $v, which tell the parts of a multi-volume set apart);
- ``host_title`` / ``host_details`` / ``host_volume`` / ``host_issue`` / ``host_pages``: the host item
  of a component part (773 $t $g: the journal or book an article or chapter is in); ``meetings``:
  111/711 conference names — both empty for records that are not parts or conference papers;
- ``links``: 856 (URL, label, whether it is the resource itself), ``summary``: 520 $a;
- ``alternate_scripts``: 880 fields paired with the field they render (via $6);
- ``holdings``: per library, from the source's holdings profile and MFHD records;
- ``classification``: 050/090 and 082 $a as ``"lcc:…"`` / ``"ddc:…"`` (`harvester.marc.classification`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

FORMATS = (
    "book",
    "e-book",
    "serial",
    "e-journal",
    "map",
    "score",
    "audio",
    "music-recording",
    "video",
    "image",
    "manuscript",
    "archive",
    "computer-file",
    "kit",
    "object",
    "microform",
    "thesis",
    "article",
    "chapter",
    "dataset",
    "mixed",
    "other",
)
"""Every value `Record.format` may take."""


@dataclass(frozen=True, slots=True)
class Author:
    """A person, organization or meeting responsible for the item, with its role(s)."""

    name: str
    kind: str = "person"  # person | corporate | meeting
    roles: tuple[str, ...] = ()
    dates: str = ""
    primary: bool = False  # from 1XX (or the first DC creator)


@dataclass(frozen=True, slots=True)
class Subject:
    """A subject heading: its parts (main term, then subdivisions) and the MARC tag it came from."""

    parts: tuple[str, ...]
    tag: str = ""
    thesaurus: str = ""  # "lcsh", "mesh", a $2 code ("fast", "gnd"…), "uncontrolled"; "" = not recorded

    @property
    def heading(self) -> str:
        """The heading as libraries print it: ``"Cats -- History -- 19th century"``."""
        return " -- ".join(self.parts)


@dataclass(frozen=True, slots=True)
class Link:
    """An 856 (or landing-page/full-text) link."""

    url: str
    label: str = ""
    resource: bool = False  # True when the link is the item itself (856 ind2 0/1), not a related page


@dataclass(frozen=True, slots=True)
class AltScript:
    """An 880 field paired with the field it renders in another script (linked through $6)."""

    tag: str  # the linked field's tag, e.g. "245"
    text: str
    occurrence: str = ""  # the $6 occurrence number, "00" when unlinked
    script: str = ""  # the $6 script identification code, e.g. "(3" for Arabic, "$1" for CJK


HOLDING_KINDS = ("item", "holding", "held", "online")
"""What a holding rests on: item fields (copies counted), a location-level holdings field (852/MFHD, no
copy count), nothing but the bibliographic record ("held, no item data"), or an online resource."""


@dataclass(frozen=True, slots=True)
class Holding:
    """One library's holding of an item: where it is, under which call number, and whether it lends.

    ``copies``, ``lendable`` and ``available`` are None unless the source says (see
    harvester/marc/holdings.py): unioncat never shows "1 copy, lendable" for a record with no item data.
    """

    library_code: str
    library_name: str = ""
    location: str = ""  # display name ("Branch — Shelf"), from the source's translation map when it has one
    call_number: str = ""
    barcode: str = ""
    status: str = ""  # display name of the status code
    copies: int | None = None  # counted copies; None = the source does not count them
    lendable: bool | None = None  # None = nothing in the record or the maps says
    note: str = ""
    summary: str = ""  # textual holdings (866-868), e.g. "v.1-v.20 (1990-2010)"
    source_tag: str = ""  # the MARC tag the holding was read from, e.g. "852", "949", "MFHD"
    kind: str = "held"  # one of HOLDING_KINDS
    available: bool | None = None  # the status says on the shelf now (True) or out (False)
    policy: bool = False  # `lendable` comes from the library's stated default policy, not item data
    basis: str = ""  # why `lendable` is what it is, in words ("status o (Library use only)")
    branch_code: str = ""  # the raw codes as the source wrote them
    location_code: str = ""
    status_code: str = ""
    item_type: str = ""
    unmapped: tuple[str, ...] = ()  # "status:o": codes no translation map names (partners page)


@dataclass(frozen=True, slots=True)
class Record:
    """A normalized bibliographic (or MFHD holdings) record from one source."""

    id: str
    source_id: str
    local_id: str
    kind: str = "bib"  # bib | holdings (MFHD, attached to its bib through parent_local_id)
    parent_local_id: str = ""
    title: str = ""
    subtitle: str = ""
    part: str = ""
    title_sort: str = ""
    responsibility: str = ""
    authors: tuple[Author, ...] = ()
    subjects: tuple[Subject, ...] = ()
    isbns: tuple[str, ...] = ()
    invalid_isbns: tuple[str, ...] = ()
    issns: tuple[str, ...] = ()
    oclc_numbers: tuple[str, ...] = ()
    lccns: tuple[str, ...] = ()
    other_ids: tuple[str, ...] = ()
    publisher: str = ""
    place: str = ""
    year: int | None = None
    languages: tuple[str, ...] = ()
    format: str = "other"
    edition: str = ""
    extent: str = ""
    page_count: int | None = None
    series: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()
    host_title: str = ""  # 773 $t (else $a): the journal, proceedings or book a part was published in
    host_details: str = ""  # 773 $g as given: "Vol. 12, no. 3 (1999), p. 45-67"
    host_volume: str = ""  # volume / issue / pages read from 773 $g (or MODS part), "" when not given
    host_issue: str = ""
    host_pages: str = ""  # "45-67"
    meetings: tuple[str, ...] = ()  # 111/711 $a $n $d $c: the conference a paper was given at
    links: tuple[Link, ...] = ()
    summary: str = ""
    notes: tuple[str, ...] = ()
    alternate_scripts: tuple[AltScript, ...] = ()
    holdings: tuple[Holding, ...] = ()
    rights: str = ""
    leader: str = ""  # kept so downstream code can read leader/06-07 without the raw record
    # how the record was read, for partners: what a permissive reader repaired, and where its id came
    # from when the source gave none ("id derived: no 001"); left out of `to_dict` when empty
    repairs: tuple[str, ...] = ()
    id_origin: str = ""
    classification: tuple[str, ...] = ()  # "lcc:QA76.73" (050/090), "ddc:005.133" (082)

    @property
    def full_title(self) -> str:
        """Title, subtitle and part joined the way a catalog displays them."""
        text = self.title
        if self.subtitle:
            text = f"{text} : {self.subtitle}" if text else self.subtitle
        if self.part:
            text = f"{text}. {self.part}" if text else self.part
        return text

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples stay tuples, as with `dataclasses.asdict`); `from_dict` reverses it.

        Hand-rolled because `asdict` deep-copies recursively (~75 µs a record, as much as parsing it);
        the values are immutable tuples and strings, so only the nested dataclasses need converting.
        """
        out = _RECORD_AS_DICT(self)
        if self.repairs:
            out["repairs"] = self.repairs
        if self.id_origin:
            out["id_origin"] = self.id_origin
        for name in _NESTED:
            items = out[name]
            if items:
                out[name] = tuple([_ITEM_AS_DICT[type(item)](item) for item in items])
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        """Rebuild a record from `to_dict` output, ignoring keys this version does not know."""
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                continue
            if key in _NESTED:
                item_cls = _NESTED[key]
                value = tuple(item_cls(**_tuples(item)) for item in value)
            elif isinstance(value, list):
                value = tuple(value)
            values[key] = value
        return cls(**values)


_NESTED: dict[str, Any] = {
    "authors": Author,
    "subjects": Subject,
    "links": Link,
    "alternate_scripts": AltScript,
    "holdings": Holding,
}


_OPTIONAL: frozenset[str] = frozenset({"repairs", "id_origin"})  # written by `to_dict` only when set
_RECORD_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Record) if f.name not in _OPTIONAL)
_ITEM_FIELDS: dict[type, tuple[str, ...]] = {
    cls: tuple(f.name for f in fields(cls)) for cls in _NESTED.values()
}


def _as_dict_function(names: tuple[str, ...]) -> Callable[[Any], dict[str, Any]]:
    """``lambda o: {"a": o.a, "b": o.b, ...}`` for these field names: a dict display reading slots
    directly costs two thirds of a comprehension of ``getattr`` calls (the way `dataclasses` writes
    ``__init__``, the code is generated from the fields, so it follows them)."""
    assert all(name.isidentifier() for name in names)
    namespace: dict[str, Any] = {}
    exec("def as_dict(o):\n    return {" + ", ".join(f"{n!r}: o.{n}" for n in names) + "}\n", namespace)
    as_dict: Callable[[Any], dict[str, Any]] = namespace["as_dict"]
    return as_dict


_RECORD_AS_DICT = _as_dict_function(_RECORD_FIELDS)
_ITEM_AS_DICT: dict[type, Callable[[Any], dict[str, Any]]] = {
    cls: _as_dict_function(names) for cls, names in _ITEM_FIELDS.items()
}


def _tuples(item: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in item.items()}
