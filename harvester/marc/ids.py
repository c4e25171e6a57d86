"""Which id a MARC record gets inside its source, so that no record is refused for lacking one.

A source names where its ids live as an ordered list (``id_field = ["001", "035a", "999c"]``): the first
field that holds a value wins. When none does (OCLC Connexion batches, subset exports, records made by
scripts), the record gets an id *derived from its content*: a hash of its normalized bibliographic
fields (title, names, identifiers, imprint, ... — everything the mapping extracts except the holdings
and the leader) and of its MARC fields 010-899 (see `content_hash`), so a re-export of the same record
keeps its id, even in another MARC serialization.

The trade-off, documented for partners: an edited record without an id looks like a deletion plus a
new record (its hash changed), and two records whose bibliographic description is identical within one
source share one id (the later one supersedes the earlier; their 9XX item data are not merged). The reason is
kept on the record (``id_origin = "id derived: no 001, 035a"``) and shown by ``unioncat show`` and on the
partners page, so a partner sees why and can fix its export.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import replace

import pymarc

from harvester.marc.mapping import local_id_of
from harvester.record import Record
from harvester.types import make_record_id

DERIVED_PREFIX = "derived-"
_VOLATILE_TAGS = frozenset({"001", "003", "005"})
_NOT_HASHED = frozenset({"id", "source_id", "local_id", "leader", "holdings", "kind", "parent_local_id",
                         "repairs", "id_origin"})


def first_local_id(marc_record: pymarc.Record, id_fields: Sequence[str]) -> str | None:
    """The value of the first of ``id_fields`` that the record carries."""
    for spec in id_fields:
        value = local_id_of(marc_record, spec)
        if value:
            return value
    return None


def derived_reason(id_fields: Sequence[str]) -> str:
    return f"id derived: no {', '.join(id_fields)}"


def with_derived_id(record: Record, marc_record: pymarc.Record, id_fields: Sequence[str]) -> Record:
    """``record`` (normalized without an id) under the id derived from its content."""
    local_id = DERIVED_PREFIX + content_hash(record, marc_record)
    return replace(record, id=make_record_id(record.source_id, local_id), local_id=local_id,
                   id_origin=derived_reason(id_fields))


def content_hash(record: Record, marc_record: pymarc.Record) -> str:
    """A hash of the normalized bibliographic fields and of the text of the MARC fields 010-899 (call
    numbers, local notes … that the mapping does not extract: two copies catalogued apart, one "REF",
    must not collapse into one). Left out: the leader, 001/003/005 (ids and a timestamp that change on
    every export) and 9XX, where systems put item and circulation data that change between exports."""
    values: dict[str, object] = {k: v for k, v in record.to_dict().items()
                                 if k not in _NOT_HASHED and v not in ("", (), None)}
    values["marc"] = [str(field) for field in marc_record.fields
                      if field.tag not in _VOLATILE_TAGS and not field.tag.startswith("9")]
    text = json.dumps(values, sort_keys=True, ensure_ascii=False, default=list)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=10).hexdigest()
