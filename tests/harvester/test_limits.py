"""Size caps on hostile input (`harvester.limits`): decompression bombs, oversized records, files without
a record terminator, and a quarantine that keeps an excerpt plus the size instead of the whole blob.

HTTP goes to a real local server on 127.0.0.1 (tests/harvester/oai_servers.py) that sends the exact
bytes and ``Content-Encoding`` a test writes; the memory ceilings are measured in child processes in
test_limits_memory.py.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import zlib
from pathlib import Path

import pymarc
import pytest
from click.testing import CliRunner

from harvester.errors import BadFeed, ConfigError
from harvester.limits import Limits
from harvester.marc.chunk import RawChunk
from harvester.marc.files import bounded, iter_raw_records
from harvester.marc.iso2709 import iter_iso2709
from harvester.oai.client import HarvestClient, PageTooLarge, ServerFailure
from harvester.run import harvest_sources
from harvester.settings import load_settings, parse_settings
from harvester.store import QuarantineKind, RecordStore
from search_ui.cli import cli
from tests.harvester.conftest import oai_source, run_harvest
from tests.harvester.oai_servers import Reply, marc_catalog, oaipmh_handler, read_data, serving

MIB = 1 << 20
HEAD = (b'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        b"<responseDate>2024-01-01T00:00:00Z</responseDate><request>x</request><ListRecords>")
TAIL = b"</ListRecords></OAI-PMH>"
EMPTY = HEAD + b"<resumptionToken/>" + TAIL


def gzip_bomb(decoded: int, level: int = 6) -> bytes:
    """One gzip member of an OAI page padded with ``decoded`` bytes of blanks (valid XML whitespace)."""
    packer = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    parts = [packer.compress(HEAD)]
    block = b" " * MIB
    for _ in range(decoded // MIB):
        parts.append(packer.compress(block))
    parts.append(packer.compress(TAIL) + packer.flush())
    return b"".join(parts)


def answering(body: bytes, headers: dict[str, str] | None = None, status: int = 200) -> object:
    def handle(params: dict[str, str]) -> Reply:
        if params.get("verb") == "Identify":
            return Reply(read_data("sickle/Identify.xml"))
        return Reply(body, status, headers or {})

    return handle


def small_limits(**values: int) -> Limits:
    return dataclasses.replace(Limits(), **values)


def client_for(url: str, **limits: int) -> HarvestClient:
    source = dataclasses.replace(oai_source(url, prefix="marc21"), limits=small_limits(**limits))
    return HarvestClient(source, sleep=lambda _s: None)


# --- the streaming, capped decoder -------------------------------------------------------------------


def test_a_gzip_bomb_is_refused_at_the_cap_without_being_inflated_and_not_fetched_again() -> None:
    bomb = gzip_bomb(64 * MIB)
    assert len(bomb) < 200_000  # ~64 KB on the wire
    with serving(answering(bomb, {"Content-Encoding": "gzip"})) as server:
        client = client_for(server.url, max_response_bytes=2 * MIB)
        with pytest.raises(PageTooLarge) as caught:
            client.harvest(verb="ListRecords", metadataPrefix="marc21")
    error = caught.value
    assert 2 * MIB < error.size <= 2 * MIB + 1  # stopped one byte past the cap, not at 64 MiB
    assert error.limit == 2 * MIB and 0 < error.received <= len(bomb)
    assert error.raw.startswith(HEAD) and len(error.raw) <= 64 * 1024
    assert "limits.max_response_bytes" in str(error) and "gzip" in str(error) and server.url in str(error)
    assert len(server.list_requests()) == 1  # a size refusal is not retried
    assert server.headers[0]["Accept-Encoding"] == "gzip, deflate"  # only what we decode, capped


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS], ids=["zlib", "raw-deflate"])
def test_deflate_bodies_are_decoded_in_both_forms_servers_send(wbits: int) -> None:
    packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    body = packer.compress(EMPTY) + packer.flush()
    with serving(answering(body, {"Content-Encoding": "deflate"})) as server:
        page = client_for(server.url).harvest(verb="ListRecords", metadataPrefix="marc21")
    assert page.raw_bytes == EMPTY and page.xml.tag.endswith("OAI-PMH")


def test_gzip_members_that_follow_each_other_are_all_decoded_and_all_counted_against_the_cap() -> None:
    halves = gzip.compress(EMPTY[:40]) + gzip.compress(EMPTY[40:])
    with serving(answering(halves, {"Content-Encoding": "gzip"})) as server:
        assert client_for(server.url).harvest(verb="ListRecords", metadataPrefix="marc21").raw_bytes == EMPTY
    member = gzip.compress(b" " * MIB)
    bomb = gzip.compress(HEAD) + member * 8
    with serving(answering(bomb, {"Content-Encoding": "gzip"})) as server:
        with pytest.raises(PageTooLarge) as caught:
            client_for(server.url, max_response_bytes=3 * MIB).harvest(verb="ListRecords", metadataPrefix="x")
    assert caught.value.size == 3 * MIB + 1


def test_a_plain_body_over_the_cap_is_refused_from_its_content_length_before_it_is_read() -> None:
    body = HEAD + b" " * (3 * MIB) + TAIL
    with serving(answering(body)) as server:
        with pytest.raises(PageTooLarge) as caught:
            client_for(server.url, max_response_bytes=MIB).harvest(verb="ListRecords", metadataPrefix="x")
    assert caught.value.size == len(body) and caught.value.received == 0
    assert "more than 1,048,576 bytes" in str(caught.value)


def test_a_gzip_stream_cut_short_is_retried_like_a_dropped_connection() -> None:
    cut = gzip.compress(EMPTY)[:-12]  # no end of stream
    with serving(answering(cut, {"Content-Encoding": "gzip"})) as server:
        with pytest.raises(ServerFailure, match="ContentDecodingError"):
            client_for(server.url).harvest(verb="ListRecords", metadataPrefix="x")
    assert len(server.list_requests()) == 3  # the first try and max_retries = 2


def test_an_encoding_we_did_not_ask_for_is_a_clear_feed_error() -> None:
    with serving(answering(b"\x1b\x00garbage", {"Content-Encoding": "br"})) as server:
        with pytest.raises(BadFeed, match="Content-Encoding 'br'.*neither asked for"):
            client_for(server.url).harvest(verb="ListRecords", metadataPrefix="x")


def test_a_bomb_page_is_quarantined_as_an_excerpt_with_its_size_and_the_source_stops(
        store: RecordStore) -> None:
    with serving(answering(gzip_bomb(40 * MIB), {"Content-Encoding": "gzip"})) as server:
        source = dataclasses.replace(oai_source(server.url, prefix="marc21"),
                                     limits=small_limits(max_response_bytes=4 * MIB, quarantine_excerpt_bytes=1000))
        with pytest.raises(PageTooLarge):
            run_harvest(store, source)
    [entry] = store.quarantined(source.id)
    assert entry.kind == QuarantineKind.BROKEN_PAGE and entry.file == "oai-page"
    assert entry.raw is not None and len(entry.raw) == 1000 and entry.raw.startswith(HEAD)
    assert entry.size == 4 * MIB + 1 and entry.excerpt
    assert "limits.max_response_bytes" in entry.reason
    assert store.runs(source.id)[0]["status"] == "failed"


def test_an_oai_record_over_the_record_limit_is_quarantined_and_its_page_goes_on(store: RecordStore) -> None:
    catalog = marc_catalog(count=6)
    identifier = sorted(catalog.items)[2]
    payload = catalog.items[identifier].payload
    assert payload is not None
    field = b'<datafield tag="500" ind1=" " ind2=" "><subfield code="a">' + b"x" * (2 * MIB)
    field += b"</subfield></datafield>"
    catalog.items[identifier].payload = payload.replace(b"</record>", field + b"</record>")
    with serving(oaipmh_handler(catalog)) as server:
        source = dataclasses.replace(oai_source(server.url, prefix="marc21"),
                                     limits=small_limits(max_record_bytes=MIB, quarantine_excerpt_bytes=4096))
        counts = run_harvest(store, source)
    assert counts["new"] == 5 and counts["quarantined"] == 1
    [entry] = store.quarantined(source.id)
    assert entry.local_id == identifier and entry.kind == QuarantineKind.REJECTED
    assert "record of" in entry.reason and "limits.max_record_bytes" in entry.reason
    assert entry.raw is not None and len(entry.raw) == 4096 and entry.size > 2 * MIB
    assert store.get(f"{source.id}:{identifier}") is None  # never stored, so never indexed


# --- files: the unterminated chunk and the record cap -----------------------------------------------


def iso_record(control: str, note: str = "a note") -> bytes:
    record = pymarc.Record(leader="00000nam a2200000 a 4500")
    record.add_field(pymarc.Field(tag="001", data=control))
    title = pymarc.Subfield("a", f"Title {control}")
    record.add_field(pymarc.Field(tag="245", indicators=["0", "0"], subfields=[title]))
    record.add_field(pymarc.Field(tag="500", indicators=[" ", " "], subfields=[pymarc.Subfield("a", note)]))
    return record.as_marc()


def test_a_stretch_without_a_terminator_is_skipped_to_the_next_record_keeping_an_excerpt() -> None:
    junk = b"00000nam  2200000   4500" + b"y" * (5 * MIB)
    data = iso_record("r1") + junk + b"\x1d" + iso_record("r2")
    chunks = list(iter_iso2709(io.BytesIO(data), limit=MIB, excerpt=100))
    assert [c.error is None for c in chunks] == [True, False, True]
    bad = chunks[1]
    assert bad.raw == junk[:100] and bad.size == len(junk) + 1 and bad.fatal
    assert "limits.max_unterminated_bytes" in (bad.error or "") and "next record terminator" in (bad.error or "")
    assert bad.position == f"record 2 (byte {len(iso_record('r1'))})"
    assert chunks[2].raw == iso_record("r2")
    assert chunks[2].position == f"record 3 (byte {len(iso_record('r1')) + len(junk) + 1})"


def test_a_file_that_never_ends_its_record_becomes_one_bounded_entry_and_padding_is_not_an_error() -> None:
    [chunk] = list(iter_iso2709(io.BytesIO(b"01234" + b"z" * (3 * MIB)), limit=MIB, excerpt=10))
    assert chunk.raw == b"01234zzzzz" and chunk.size == 3 * MIB + 5 and "end of the file" in (chunk.error or "")
    padded = iso_record("p1") + b"\x00" * (3 * MIB) + iso_record("p2")
    assert [c.error for c in iter_iso2709(io.BytesIO(padded), limit=MIB)] == [None, None]


def test_records_over_the_record_limit_become_excerpts_and_smaller_ones_pass_untouched() -> None:
    limits = small_limits(max_record_bytes=1000, quarantine_excerpt_bytes=10)
    small, large = RawChunk("record 1", b"a" * 1000), RawChunk("record 2", b"b" * 1001)
    broken = RawChunk("record 3", b"c" * 2000, "not well-formed", fatal=True)
    out = list(bounded([small, large, broken], limits))
    assert out[0] is small
    assert (out[1].raw, out[1].size, out[1].fatal) == (b"b" * 10, 1001, True)
    assert out[1].error == "record of 1,001 bytes is over the limit of 1,000 bytes (limits.max_record_bytes)"
    assert out[2].error is not None and out[2].error.startswith("not well-formed; record of 2,000 bytes")


def write_config(tmp: Path, limits: str = "") -> Path:
    config = tmp / "unioncat.toml"
    config.write_text(f'data_dir = "var"\nworkers = 1\n{limits}\n[[sources]]\nid = "lib"\npath = "lib"\n')
    (tmp / "lib").mkdir(exist_ok=True)
    return config


def test_a_file_harvest_quarantines_the_oversized_record_keeps_its_old_copy_and_stores_the_rest(
        tmp_path: Path) -> None:
    config = write_config(tmp_path, "[limits]\nmax_record_bytes = 100000\nquarantine_excerpt_bytes = 2000\n")
    file = tmp_path / "lib" / "export.mrc"
    file.write_bytes(iso_record("a") + iso_record("b") + iso_record("c"))
    settings = load_settings(config)
    with RecordStore(settings.store_path) as store:
        [first] = harvest_sources(settings, store, settings.sources, show_progress=False)
        assert first.counts["new"] == 3
        file.write_bytes(iso_record("a") + iso_record("b", "n" * 300_000) + iso_record("c", "changed"))
        [second] = harvest_sources(settings, store, settings.sources, show_progress=False)
        assert (second.status, second.counts["updated"], second.counts["quarantined"]) == ("ok", 1, 1)
        assert second.counts["deleted"] == 0  # b grew past the limit: its stored copy stays
        kept = store.get("lib:b")
        assert kept is not None and not kept.deleted and b"n" * 1000 not in kept.raw
        [entry] = store.quarantined("lib")
    assert entry.position == f"record 2 (byte {len(iso_record('a'))})" and entry.kind == QuarantineKind.UNREADABLE
    assert entry.raw == iso_record("b", "n" * 300_000)[:2000] and entry.size == len(iso_record("b", "n" * 300_000))
    result = CliRunner().invoke(cli, ["--config", str(config), "quarantine", "lib"])
    assert result.exit_code == 0, result.output
    assert "limits.max_record_bytes" in result.output
    assert f"excerpt: the first 2,000 of {entry.size:,} bytes" in result.output


def test_iter_raw_records_applies_the_limits_it_is_given(tmp_path: Path) -> None:
    path = tmp_path / "one.mrc"
    path.write_bytes(iso_record("x", "q" * 5000))
    [chunk] = list(iter_raw_records(path, "iso2709", small_limits(max_record_bytes=4000, quarantine_excerpt_bytes=8)))
    assert chunk.raw == iso_record("x", "q" * 5000)[:8] and chunk.size == len(iso_record("x", "q" * 5000))


MARCXML = b'<collection xmlns="http://www.loc.gov/MARC21/slim">'
LEADER = b"<leader>00000nam a2200000 a 4500</leader>"
FIELD = b'<datafield tag="500" ind1=" " ind2=" "><subfield code="a">xxxxxxxx</subfield></datafield>'
GOOD_XML = b'<record>' + LEADER + b'<controlfield tag="001">ok1</controlfield>' + FIELD + b"</record>"
HOSTILE = {  # a good record, then one that never ends (about 6 MB)
    "marcxml": (MARCXML + GOOD_XML + b"<record>" + LEADER, FIELD * 70_000),
    "marcxml-text": (MARCXML + GOOD_XML + b'<record><datafield tag="500" ind1=" " ind2=" "><subfield code="a">',
                     b"t" * (6 * MIB)),
    "marcjson": (b'{"leader":"00000nam a2200000 a 4500","fields":[{"001":"ok1"}]}\n{"fields":[{"500":"',
                 b"j" * (6 * MIB)),
    "marcjson-array": (b'[{"leader":"00000nam a2200000 a 4500","fields":[{"001":"ok1"}]},{"fields":[{"500":"',
                       b"j" * (6 * MIB)),
    "mrk": (b"=LDR  00000nam a2200000 a 4500\n=001  ok1\n\n=LDR  00000nam a2200000 a 4500\n=500  \\\\$a",
            b"m" * (6 * MIB)),
    "aleph": (b"000000001 LDR   L 00000nam a2200000 a 4500\n000000001 001   L ok1\n"
              b"000000002 LDR   L 00000nam a2200000 a 4500\n000000002 500   L $$a", b"a" * (6 * MIB)),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_record_that_never_ends_stops_every_text_reader_at_the_cap(tmp_path: Path, case: str) -> None:
    head, filler = HOSTILE[case]
    path = tmp_path / "hostile.dat"
    path.write_bytes(head + filler)
    fmt = case.split("-")[0]
    limits = small_limits(max_record_bytes=MIB, quarantine_excerpt_bytes=5000)
    chunks = list(iter_raw_records(path, fmt, limits))
    *good, last = chunks
    assert [c.error for c in good] == [None]  # the record before it is read
    assert last.fatal and last.error is not None and "no end of record within 2,097,152 bytes" in last.error
    assert "limits.max_record_bytes" in last.error and "is not read" in last.error
    assert len(last.raw) <= 5000 and last.size is not None and 4 * MIB < last.size <= path.stat().st_size
    assert all(len(c.raw) <= 2 * MIB for c in chunks)


def test_a_capped_reader_still_reads_every_record_of_a_large_sound_file(tmp_path: Path) -> None:
    path = tmp_path / "many.xml"
    path.write_bytes(MARCXML + GOOD_XML * 20_000 + b"</collection>")  # 2.8 MB: more than the 2 MiB cap
    chunks = list(iter_raw_records(path, "marcxml", small_limits(max_record_bytes=MIB)))
    assert path.stat().st_size > 2 * MIB and len(chunks) == 20_000 and all(c.error is None for c in chunks)


# --- the quarantine write path and the settings ------------------------------------------------------


def test_the_quarantine_keeps_a_bounded_excerpt_and_the_full_size(store: RecordStore) -> None:
    store.upsert_source("s", "S", "marc", "S", "S")
    store.quarantine("s", None, "f", "1", "big", b"x" * 5000, excerpt_bytes=100)
    store.quarantine("s", None, "f", "2", "excerpt already", b"y" * 10, raw_size=10_000_000)
    store.quarantine("s", None, "f", "3", "small", b"z" * 50, excerpt_bytes=100)
    store.quarantine("s", None, "f", "4", "no bytes", None)
    big, cut, small, empty = store.quarantined("s")
    assert (len(big.raw or b""), big.size, big.excerpt) == (100, 5000, True)
    assert (cut.raw, cut.size, cut.excerpt) == (b"y" * 10, 10_000_000, True)
    assert (small.raw, small.size, small.excerpt) == (b"z" * 50, 50, False)
    assert (empty.raw, empty.size, empty.excerpt) == (None, 0, False)
    store.quarantine("s", None, "f", "1", "read again, smaller", b"x" * 20)
    assert store.quarantined("s")[0].size == 20  # the same spot keeps the latest input's size


def test_blobs_quarantined_whole_by_an_older_store_shrink_to_an_excerpt_with_their_size(tmp_path: Path) -> None:
    import sqlite3

    from harvester.store.schema import MIGRATIONS

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)  # a store file from before the excerpt cap, with a 3 MiB page kept whole
    for script in MIGRATIONS[:3]:
        db.executescript(script)
    db.executescript(
        "CREATE TABLE schema_migrations (namespace TEXT, version INTEGER, applied_at REAL, "
        "PRIMARY KEY (namespace, version)); INSERT INTO schema_migrations VALUES ('store', 1, 0), ('store', 2, 0), "
        "('store', 3, 0);")
    db.execute("INSERT INTO quarantine (source_id, file, position, reason, raw, created_at) VALUES "
               "('s', 'oai-page', 'u1', 'big', ?, 0), ('s', 'oai-page', 'u2', 'small', ?, 0)",
               (b"<" + b"p" * (3 * MIB), b"<small/>"))
    db.commit()
    db.close()
    with RecordStore(path) as store:
        big, small = store.quarantined("s")
    assert big.raw == (b"<" + b"p" * (3 * MIB))[:MIB] and big.size == 3 * MIB + 1 and big.excerpt
    assert (small.raw, small.size, small.excerpt) == (b"<small/>", 8, False)


def test_pages_are_read_over_one_kept_alive_connection() -> None:
    with serving(answering(gzip.compress(EMPTY), {"Content-Encoding": "gzip"})) as server:
        client = client_for(server.url)
        for _ in range(3):
            client.harvest(verb="ListRecords", metadataPrefix="x")
        [pool] = client.session.adapters["http://"].poolmanager.pools._container.values()
    assert (pool.num_connections, pool.num_requests) == (1, 3)  # a streamed, capped read still frees the socket


def test_limits_come_from_the_top_level_table_with_per_source_overrides(tmp_path: Path) -> None:
    data = {"limits": {"max_record_bytes": 2_000_000},
            "sources": [{"id": "a", "path": "a"},
                        {"id": "b", "path": "b", "limits": {"quarantine_excerpt_bytes": 512}}]}
    settings = parse_settings(data, tmp_path / "u.toml")
    a, b = settings.sources
    assert a.limits == Limits(max_record_bytes=2_000_000) == settings.limits
    assert b.limits == Limits(max_record_bytes=2_000_000, quarantine_excerpt_bytes=512)
    assert parse_settings({}, tmp_path / "u.toml").limits == Limits()


@pytest.mark.parametrize(
    ("table", "key", "message"),
    [({"max_record_bytes": 0}, "limits.max_record_bytes", "positive"),
     ({"max_record_bytes": 1 << 30}, "limits.max_unterminated_bytes", "at least max_record_bytes"),
     ({"max_size": 1}, "limits.max_size", "unknown setting"),
     ({"max_response_bytes": "1M"}, "limits.max_response_bytes", "expected int")],
)
def test_bad_limits_fail_at_load_time_naming_the_key(tmp_path: Path, table: dict[str, object], key: str,
                                                     message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_settings({"limits": table}, tmp_path / "u.toml")
    assert caught.value.key == key
