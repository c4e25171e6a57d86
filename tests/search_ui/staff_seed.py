"""The demo consortium (config/unioncat.toml over samples/) with staff-only data planted in every record.

Every record read back gets, with values no real record has:

- ``HIDDEN`` texts (``ZQXHIDDEN…``) in every field the default rules hide: 852 $x (on the record's own
  852s), 876/877/878 $x, a 980 order field, the source's own item barcodes (the holdings profile's
  barcode subfield, so the catalog reads them as barcodes), 541/561/583 with first indicator 0, and an
  880 rendering the private 561;
- ``PUBLIC`` texts (``ZQXPUBLIC…``) in 541/561 with first indicator 1 ("not private"): those must be
  shown, which proves the pages do render notes and the scan could fail.

Files pymarc cannot read (the samples include broken ones on purpose) are copied unchanged.
"""

from __future__ import annotations

import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pymarc

from harvester.settings import Settings, load_settings

HIDDEN = "ZQXHIDDEN"
PUBLIC = "ZQXPUBLIC"
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Seeder:
    """Plants the values, numbering records so each value is unique."""

    barcodes: dict[str, str]  # item tag → barcode subfield code, for this source
    count: int = 0

    def seed(self, record: pymarc.Record) -> pymarc.Record:
        self.count += 1
        n = self.count
        for field in record.get_fields("852"):
            field.add_subfield("x", f"{HIDDEN} staff note 852x {n}")
        for field in record.fields:
            code = self.barcodes.get(field.tag)
            if code and not field.is_control_field():
                for subfield in list(field.subfields):
                    if subfield.code == code:
                        field.subfields[field.subfields.index(subfield)] = pymarc.Subfield(code, f"{HIDDEN}BC{n}x")
        for tag in ("876", "877", "878"):
            record.add_field(_field(tag, " ", ("a", f"item {n}"), ("x", f"{HIDDEN} nonpublic {tag}x {n}")))
        record.add_field(_field("980", " ", ("a", f"{HIDDEN} order {n}"), ("b", f"{HIDDEN} price 12.50 {n}")))
        record.add_field(_field("541", "0", ("a", f"{HIDDEN} private donor {n}"), ("h", f"{HIDDEN} $500 {n}")))
        record.add_field(_field("541", "1", ("a", f"{PUBLIC} acquired from the estate {n}")))
        record.add_field(_field("561", "0", ("a", f"{HIDDEN} private provenance {n}")))
        record.add_field(_field("561", "1", ("a", f"{PUBLIC} provenance bookplate {n}")))
        record.add_field(_field("583", "0", ("a", f"{HIDDEN} private action deaccession {n}")))
        record.add_field(_field("880", "0", ("6", "561-01"), ("a", f"{HIDDEN} alternate provenance {n}")))
        return record


def _field(tag: str, ind1: str, *pairs: tuple[str, str]) -> pymarc.Field:
    return pymarc.Field(tag=tag, indicators=pymarc.Indicators(ind1, " "),
                        subfields=[pymarc.Subfield(code, value) for code, value in pairs])


def seeded_demo(root: Path) -> Settings:
    """Copy the demo config and samples under ``root``, seeding every readable record; the settings."""
    text = (REPO / "config" / "unioncat.toml").read_text(encoding="utf-8")
    text = text.replace('"../samples/', f'"{root / "samples"}/').replace('data_dir = "../var"', 'data_dir = "var"')
    config = root / "unioncat.toml"
    config.write_text(text, encoding="utf-8")
    settings = load_settings(config)
    for source in settings.sources:
        if source.path is None:
            continue
        original = REPO / "samples" / Path(source.path).name
        seeder = Seeder(_barcode_codes(source.holdings))
        for file in sorted(original.rglob("*")):
            if file.is_file():
                target = Path(source.path) / file.relative_to(original)
                target.parent.mkdir(parents=True, exist_ok=True)
                _seed_file(file, target, seeder)
    return settings


def _barcode_codes(profile: object) -> dict[str, str]:
    out: dict[str, str] = {}
    while profile is not None:
        tag, code = getattr(profile, "tag", ""), getattr(profile, "barcode", "")
        if tag[:1] == "9" and code:
            out[tag[:3]] = code[0]
        profile = getattr(profile, "items", None)
    return out


def _seed_file(file: Path, target: Path, seeder: Seeder) -> None:
    try:
        data = file.read_bytes()
        if file.suffix == ".mrc":
            records = [r for r in pymarc.MARCReader(data, to_unicode=True, force_utf8=True) if r is not None]
            out = b"".join(seeder.seed(r).as_marc() for r in records)
        elif file.suffix == ".xml" and b"<record" in data:
            records = pymarc.parse_xml_to_array(io.BytesIO(data))
            body = b"".join(pymarc.record_to_xml(seeder.seed(r), namespace=True) for r in records)
            out = (b'<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim">'
                   + body + b"</collection>\n")
        elif file.suffix in (".jsonl", ".json", ".ndjson"):
            lines = [line for line in data.decode("utf-8").splitlines() if line.strip()]
            seeded = [seeder.seed(next(iter(pymarc.JSONReader(line)))) for line in lines]
            out = "".join(json.dumps(r.as_dict(), ensure_ascii=False) + "\n" for r in seeded).encode("utf-8")
        else:
            out = data
        if not out:
            raise ValueError("nothing read")
    except Exception:  # a deliberately broken sample: keep it as it is
        shutil.copyfile(file, target)
        return
    target.write_bytes(out)
