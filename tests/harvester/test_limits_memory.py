"""The memory ceiling under hostile input, measured: `unioncat harvest` runs in a child process with the
default `[limits]`, and the child reports its own peak RSS (``VmHWM``; ``ru_maxrss`` survives execve
and would include this test process's size) and its worker processes' (``RUSAGE_CHILDREN``) when it
ends, so nothing else that ran in the test session blurs the figure.

- a gzip bomb (1 GiB of blanks in an OAI page, about 1 MB on the wire, gzip members one after another)
  served from 127.0.0.1 next to a healthy file source;
- a 200 MB ISO 2709 stretch without a record terminator, a 50 MB record and a 10 MB one, between good
  records, and a MARCXML record and a JSON line of 60 MB each that never end.

Each stays under `CEILING` (the README's "Limits" section documents it) with bounded quarantine entries,
and every good record is stored. Set ``UNIONCAT_SHOW_RSS=1`` and run with ``-s`` to print the figures.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pymarc

from harvester.limits import Limits
from harvester.store import QuarantineKind, RecordStore
from tests.harvester.oai_servers import Reply, read_data, serving

MIB = 1 << 20
CEILING_MB = 300
DEFAULTS = Limits()
REPO = Path(__file__).resolve().parents[2]

CHILD = """
import resource, sys
from search_ui.cli import cli
code = 0
try:
    cli.main(args=sys.argv[1:], prog_name="unioncat", standalone_mode=False)
except SystemExit as exc:
    code = exc.code or 0
except Exception as exc:
    code = 1
    print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
# VmHWM, not RUSAGE_SELF: Linux keeps ru_maxrss across execve, so that figure would start from the
# test process's own size at fork time. Forked workers start from this process's memory: ru_maxrss.
with open("/proc/self/status") as status:
    hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print("PEAK_RSS_KB", max(hwm, workers), hwm, workers, file=sys.stderr)
sys.exit(code)
"""


def harvest_in_child(config: Path) -> tuple[int, float, str]:
    """Run ``unioncat --config CONFIG harvest --quiet`` in a child: (exit code, peak RSS in MB, output)."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, "--config", str(config), "harvest", "--quiet"],
        capture_output=True, text=True, timeout=300, cwd=REPO,
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith("PEAK_RSS_KB")]
    assert lines, done.stdout + done.stderr
    peak_mb = int(lines[-1].split()[1]) / 1024
    if os.environ.get("UNIONCAT_SHOW_RSS"):
        print(f"\n{config.parent.name}: peak RSS {peak_mb:.1f} MB (ceiling {CEILING_MB} MB)\n{done.stdout}")
    return done.returncode, peak_mb, done.stdout + done.stderr


def iso_record(control: str, note: bytes = b"a note") -> bytes:
    record = pymarc.Record(leader="00000nam a2200000 a 4500")
    record.add_field(pymarc.Field(tag="001", data=control))
    title = pymarc.Subfield("a", f"Title {control}")
    record.add_field(pymarc.Field(tag="245", indicators=["0", "0"], subfields=[title]))
    small = record.as_marc()
    if note == b"a note":
        return small
    return small[:-1] + b"  \x1fa" + note + b"\x1e\x1d"  # a field too large for any directory: never parsed


def write_filler(handle: object, size: int, unit: bytes = b"x") -> None:
    """About ``size`` bytes of ``unit`` repeated (whole units only), a megabyte at a time."""
    block = unit * max(1, MIB // len(unit))
    for _ in range(size // len(block)):
        handle.write(block)  # type: ignore[attr-defined]
    handle.write(unit * ((size % len(block)) // len(unit)))  # type: ignore[attr-defined]


def config_file(folder: Path, sources: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "unioncat.toml"
    config.write_text(f'data_dir = "var"\nworkers = 2\n{sources}')
    return config


def test_a_gzip_bomb_stays_under_the_memory_ceiling_and_the_other_source_is_harvested(tmp_path: Path) -> None:
    member = gzip.compress(b" " * MIB, 9)
    head = (b'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
            b"<responseDate>2024-01-01T00:00:00Z</responseDate><request>x</request><ListRecords>")
    bomb = gzip.compress(head) + member * 1024 + gzip.compress(b"</ListRecords></OAI-PMH>")
    assert len(bomb) < 2 * MIB  # 1 GiB decoded

    def handle(params: dict[str, str]) -> Reply:
        if params.get("verb") == "Identify":
            return Reply(read_data("sickle/Identify.xml"))
        return Reply(bomb, headers={"Content-Encoding": "gzip"})

    folder = tmp_path / "bomb"
    (folder / "good").mkdir(parents=True)
    (folder / "good" / "a.mrc").write_bytes(b"".join(iso_record(f"g{n}") for n in range(3)))
    with serving(handle) as server:
        config = config_file(folder, (
            f'[[sources]]\nid = "bomb"\ntype = "oai-pmh"\nurl = "{server.url}"\nmetadata_prefix = "marc21"\n'
            'rate_limit = 0\noptions = { max_retries = 0, malformed_retries = 0 }\n'
            '[[sources]]\nid = "good"\npath = "good"\n'))
        code, peak_mb, output = harvest_in_child(config)
        fetched = len(server.list_requests())
    assert code == 1 and "1 of 2 source(s) failed: bomb" in output
    assert peak_mb < CEILING_MB, f"peak RSS {peak_mb:.0f} MB over the {CEILING_MB} MB ceiling"
    assert fetched == 1
    with RecordStore(folder / "var" / "unioncat.sqlite") as store:
        [entry] = store.quarantined("bomb")
        assert entry.kind == QuarantineKind.BROKEN_PAGE and "limits.max_response_bytes" in entry.reason
        assert entry.raw is not None and entry.raw.startswith(head)
        assert len(entry.raw) <= DEFAULTS.quarantine_excerpt_bytes and entry.excerpt
        assert entry.size == DEFAULTS.max_response_bytes + 1
        assert store.query("SELECT COUNT(*) FROM records WHERE source_id = 'good'")[0][0] == 3


def test_unterminated_and_oversized_iso2709_input_stays_under_the_memory_ceiling(tmp_path: Path) -> None:
    folder = tmp_path / "files"
    (folder / "lib").mkdir(parents=True)
    endless = folder / "lib" / "1-no-terminator.mrc"
    with endless.open("wb") as handle:  # a leader, then 200 MB with no 0x1D, then one good record
        handle.write(b"00000nam a2200000 a 4500")
        write_filler(handle, 200 * 1000 * 1000)
        handle.write(b"\x1d" + iso_record("after-the-gap"))
    huge = folder / "lib" / "2-huge-records.mrc"
    with huge.open("wb") as handle:
        handle.write(iso_record("before") + iso_record("field-10mb", b"y" * (10 * MIB)))
        handle.write(iso_record("field-50mb", b"z" * (50 * MIB)) + iso_record("after"))
    endless_xml = folder / "lib" / "3-endless.xml"  # the costliest to parse: 60 MB of fields in one record
    with endless_xml.open("wb") as handle:
        handle.write(b'<collection xmlns="http://www.loc.gov/MARC21/slim"><record><leader>00000nam a2200000 a 4500'
                     b"</leader>")
        write_filler(handle, 60 * 1000 * 1000, b'<datafield tag="500" ind1=" " ind2=" "><subfield code="a">x</subfield>'
                                               b"</datafield>\n")
    endless_json = folder / "lib" / "4-endless.json"  # a JSON line of 60 MB
    with endless_json.open("wb") as handle:
        handle.write(b'{"leader":"00000nam a2200000 a 4500","fields":[{"500":{"subfields":[{"a":"')
        write_filler(handle, 60 * 1000 * 1000)
    config = config_file(folder, '[[sources]]\nid = "lib"\npath = "lib"\n')
    code, peak_mb, output = harvest_in_child(config)
    assert code == 0, output
    assert peak_mb < CEILING_MB, f"peak RSS {peak_mb:.0f} MB over the {CEILING_MB} MB ceiling"
    with RecordStore(folder / "var" / "unioncat.sqlite") as store:
        stored = {row[0] for row in store.query("SELECT local_id FROM records WHERE source_id = 'lib'")}
        entries = {(e.file, e.position): e for e in store.quarantined("lib")}
    assert stored == {"after-the-gap", "before", "after"}
    gap = entries[("1-no-terminator.mrc", "record 1 (byte 0)")]
    assert gap.size == 24 + 200 * 1000 * 1000 + 1 and len(gap.raw or b"") == DEFAULTS.quarantine_excerpt_bytes
    assert "limits.max_unterminated_bytes" in gap.reason
    ten = next(e for (f, _), e in entries.items() if f == "2-huge-records.mrc" and "max_record_bytes" in e.reason)
    fifty = next(e for (f, _), e in entries.items() if f == "2-huge-records.mrc" and "unterminated" in e.reason)
    assert ten.size > 10 * MIB and fifty.size > 50 * MIB
    for name in ("3-endless.xml", "4-endless.json"):
        [stopped] = [e for (f, _), e in entries.items() if f == name]
        assert "no end of record" in stopped.reason and stopped.size > 50 * 1000 * 1000
    assert all(len(e.raw or b"") <= DEFAULTS.quarantine_excerpt_bytes for e in entries.values())
    assert len(entries) == 5
