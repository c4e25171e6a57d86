"""A merged record as MARC 21 (a `pymarc.Record`), with every member library's holdings in 852 and 999.

OAI-PMH ``marcxml``, SRU ``marcxml`` and the MARCXML / ISO 2709 exports all serve this one rendering,
so a broker reading any of them sees the same fields. The bibliographic part is rebuilt from the
merged `Record` (the union of the members, see `indexer.merge`), not copied from one member's raw
MARC, because the merged record is what the catalog claims about the item.

Holdings follow what resource-sharing brokers read (Project ReShare's mod-rs and CrossLink): one
``999 1 1`` field per member record, ``$l`` its local id, ``$s`` the holding library's symbol (our
library code) and ``$p`` its lending policy; plus one ``852`` per holding (``$a`` library, ``$b``
location, ``$h`` call number, ``$p`` barcode, ``$z`` note) and ``866`` for textual holdings.
The policy says "lendable" or "not lendable" only when the library's item data says so; a library
whose only holding is the "held, details unknown" placeholder gets "unknown" (fidelity first).

    marc = merged_to_marc(merged)
    xml = pymarc.record_to_xml(marc, namespace=True)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import pymarc
from lxml import etree

from harvester.record import Author, Holding, Record, Subject
from indexer.merge import MergedRecord

HOLDINGS_TAG = "999"
POLICY_LENDABLE = "lendable"
POLICY_NOT_LENDABLE = "not lendable"
POLICY_UNKNOWN = "unknown"

_FORMAT_CODES: dict[str, tuple[str, str, str]] = {
    # format → (leader/06-08, 008 positions "pos=char;…", 007): the codes harvester.marc.formats reads
    "book": ("am ", "", ""), "e-book": ("am ", "23=o", "cr"), "serial": ("as ", "", ""),
    "e-journal": ("as ", "23=o", "cr"), "map": ("em ", "", ""), "score": ("cm ", "", ""),
    "audio": ("im ", "", ""), "music-recording": ("jm ", "", ""), "video": ("gm ", "33=v", "v"),
    "image": ("km ", "", ""), "manuscript": ("tm ", "", ""), "archive": ("pma", "", ""),
    "computer-file": ("mm ", "", ""), "kit": ("om ", "", ""), "object": ("rm ", "", ""),
    "microform": ("am ", "23=b", "h"), "thesis": ("am ", "", ""), "article": ("ab ", "", ""),
    "chapter": ("aa ", "", ""),
    "dataset": ("mm ", "26=a", ""), "mixed": ("pm ", "", ""),
}
"""How each `harvester.record.FORMATS` value is said in MARC, so a harvester reads back the same format
("other" keeps the base record's leader; "thesis" is said by the 502 its source had)."""
_THESIS_NOTE = re.compile(r"thes[ei]s|dissertation|diss\.|ph\.? ?d|doctora", re.IGNORECASE)
_AUTHOR_TAGS = {"person": ("100", "700"), "corporate": ("110", "710"), "meeting": ("111", "711")}


def merged_to_marc(merged: MergedRecord) -> pymarc.Record:
    """The merged record as MARC 21: bibliographic fields, then 852/866 holdings, then 999 per member."""
    record = merged.record
    marc = pymarc.Record(force_utf8=True, leader=_leader(record))
    marc.add_field(pymarc.Field(tag="001", data=merged.id))
    marc.add_field(pymarc.Field(tag="003", data="unioncat"))
    for field in _field_007(record):
        marc.add_field(field)
    marc.add_field(pymarc.Field(tag="008", data=_field_008(record)))
    for field in bibliographic_fields(record):
        marc.add_field(field)
    for field in holdings_fields(record.holdings):
        marc.add_field(field)
    for field in member_fields(merged):
        marc.add_field(field)
    return marc


def bibliographic_fields(record: Record) -> list[pymarc.Field]:
    """Data fields 010-856 of a normalized record, in tag order."""
    fields: list[pymarc.Field] = []
    fields += [_data("010", "  ", ("a", lccn)) for lccn in record.lccns]
    fields += [_data("020", "  ", ("a", isbn)) for isbn in record.isbns]
    fields += [_data("020", "  ", ("z", isbn)) for isbn in record.invalid_isbns]
    fields += [_data("022", "  ", ("a", issn)) for issn in record.issns]
    fields += [_data("035", "  ", ("a", f"(OCoLC){number}")) for number in record.oclc_numbers]
    fields += [_data("035", "  ", ("a", other)) for other in record.other_ids]
    if record.languages:
        fields.append(_data("041", "  ", *(("a", code) for code in record.languages)))
    authors = list(record.authors)
    primary = next((a for a in authors if a.primary), None)
    if primary is not None:
        fields.append(_author(primary, main=True))
    fields.append(_title(record, has_main_entry=primary is not None))
    if record.edition:
        fields.append(_data("250", "  ", ("a", record.edition)))
    if record.place or record.publisher or record.year:
        fields.append(_data("264", " 1", ("a", record.place), ("b", record.publisher),
                            ("c", str(record.year) if record.year else "")))
    if record.extent:
        fields.append(_data("300", "  ", ("a", record.extent)))
    fields += [_data("490", "0 ", ("a", series)) for series in record.series]
    fields += _notes(record)
    if record.summary:
        fields.append(_data("520", "  ", ("a", record.summary)))
    if record.rights:
        fields.append(_data("540", "  ", ("a", record.rights)))
    fields += [_subject(subject) for subject in record.subjects if subject.parts]
    fields += [_author(a, main=False) for a in authors if a is not primary]
    fields += [_data("856", "4" + ("0" if link.resource else "2"), ("u", link.url), ("y", link.label))
               for link in record.links if link.url]
    return [f for f in fields if f.subfields]


def holdings_fields(holdings: Iterable[Holding]) -> list[pymarc.Field]:
    """One 852 per holding (and an 866 after it when the holding has a textual summary)."""
    fields: list[pymarc.Field] = []
    for holding in holdings:
        fields.append(_data("852", "  ", ("a", holding.library_code), ("b", holding.location),
                            ("h", holding.call_number), ("p", holding.barcode), ("z", holding.note)))
        if holding.summary:
            fields.append(_data("866", " 0", ("a", holding.summary)))
    return [f for f in fields if f.subfields]


def member_fields(merged: MergedRecord) -> list[pymarc.Field]:
    """One ``999 1 1`` per member record: $l local id, $s library symbol, $p lending policy."""
    by_library: dict[str, list[Holding]] = {}
    for holding in merged.record.holdings:
        by_library.setdefault(holding.library_code, []).append(holding)
    fields = []
    for member in merged.members:
        local_id = member.record_id.partition(":")[2] or member.record_id
        policy = lending_policy(by_library.get(member.library_code, ()))
        fields.append(_data(HOLDINGS_TAG, "11", ("l", local_id), ("s", member.library_code), ("p", policy)))
    return fields


def lending_policy(holdings: Sequence[Holding]) -> str:
    """"lendable" if a holding says it lends, "not lendable" if every holding says it does not, else
    "unknown" (`Holding.lendable` is None when the source does not say: harvester/marc/holdings.py)."""
    if any(h.lendable is True for h in holdings):
        return POLICY_LENDABLE
    if holdings and all(h.lendable is False for h in holdings):
        return POLICY_NOT_LENDABLE
    return POLICY_UNKNOWN


def _leader(record: Record) -> str:
    codes = _FORMAT_CODES.get(record.format)
    if codes is not None:
        kind = codes[0]
    elif len(record.leader) == 24:
        kind = record.leader[6:9]
    else:
        kind = "am "
    return f"00000n{kind}a2200000 i 4500"


def _field_008(record: Record) -> str:
    """A 40-character 008: date type, first date, language and the format's form/type positions."""
    year = f"{record.year:04d}" if record.year and 0 < record.year < 10000 else "uuuu"
    language = (record.languages[0] if record.languages else "und")[:3].ljust(3)
    chars = list(f"000000{'s' if year != 'uuuu' else 'n'}{year}    xx {' ' * 17}{language} d")
    positions = _FORMAT_CODES.get(record.format, ("", "", ""))[1]
    for assignment in filter(None, positions.split(";")):
        position, _, char = assignment.partition("=")
        chars[int(position)] = char
    return "".join(chars)


def _field_007(record: Record) -> list[pymarc.Field]:
    value = _FORMAT_CODES.get(record.format, ("", "", ""))[2]
    return [pymarc.Field(tag="007", data=value)] if value else []


def _notes(record: Record) -> list[pymarc.Field]:
    """500s; for a thesis, its dissertation note as 502 (the field that made it a thesis at its source)."""
    if record.format != "thesis":
        return [_data("500", "  ", ("a", note)) for note in record.notes]
    thesis = next((note for note in record.notes if _THESIS_NOTE.search(note)), "")
    fields = [_data("502", "  ", ("a", thesis or "Thesis"))]
    return fields + [_data("500", "  ", ("a", note)) for note in record.notes if note != thesis]


def _title(record: Record, has_main_entry: bool) -> pymarc.Field:
    return _data("245", ("1" if has_main_entry else "0") + "0", ("a", record.title or "[no title]"),
                 ("b", record.subtitle), ("p", record.part), ("c", record.responsibility))


def _author(author: Author, main: bool) -> pymarc.Field:
    main_tag, added_tag = _AUTHOR_TAGS.get(author.kind, _AUTHOR_TAGS["person"])
    first = "1" if author.kind == "person" else "2"
    return _data(main_tag if main else added_tag, first + " ", ("a", author.name), ("d", author.dates),
                 *(("e", role) for role in author.roles))


def _subject(subject: Subject) -> pymarc.Field:
    tag = subject.tag if subject.tag.startswith("6") and len(subject.tag) == 3 else "650"
    main, *rest = subject.parts
    return _data(tag, " 4", ("a", main), *(("x", part) for part in rest))


def _data(tag: str, indicators: str, *pairs: tuple[str, str]) -> pymarc.Field:
    """A data field from (code, value) pairs; empty values are left out."""
    subfields = [pymarc.Subfield(code=code, value=clean_text(value)) for code, value in pairs if value]
    return pymarc.Field(tag=tag, indicators=pymarc.Indicators(indicators[0], indicators[1]), subfields=subfields)


def clean_text(value: str) -> str:
    """Drop what XML 1.0 cannot carry (C0 controls but tab/newline, which include the ISO 2709
    delimiters, lone surrogates, U+FFFE/U+FFFF): a library's stray control byte must not break a harvest."""
    return "".join(c for c in str(value) if (c >= " " or c in "\t\n\r") and not _unsafe(c))


def _unsafe(char: str) -> bool:
    return "\ud800" <= char <= "\udfff" or char in "\ufffe\uffff"


MARC_NS = "http://www.loc.gov/MARC21/slim"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
MARC_SCHEMA = "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"


def marc_to_xml(marc: pymarc.Record, schema_location: bool = True) -> etree._Element:
    """A pymarc record as a MARCXML ``record`` element (built node by node with lxml)."""
    root = etree.Element(f"{{{MARC_NS}}}record", nsmap={"marc": MARC_NS, "xsi": XSI_NS} if schema_location
                         else {"marc": MARC_NS})
    if schema_location:
        root.set(f"{{{XSI_NS}}}schemaLocation", f"{MARC_NS} {MARC_SCHEMA}")
    etree.SubElement(root, f"{{{MARC_NS}}}leader").text = clean_text(str(marc.leader))
    for field in marc.fields:
        if field.is_control_field():
            node = etree.SubElement(root, f"{{{MARC_NS}}}controlfield", tag=field.tag)
            node.text = clean_text(field.data or "")
            continue
        node = etree.SubElement(root, f"{{{MARC_NS}}}datafield", tag=field.tag,
                                ind1=field.indicator1 or " ", ind2=field.indicator2 or " ")
        for subfield in field.subfields:
            etree.SubElement(node, f"{{{MARC_NS}}}subfield", code=subfield.code).text = clean_text(subfield.value)
    return root
