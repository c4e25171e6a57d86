"""Fuzzing each MARC reader end to end: a file of real records, one of them (or the file) mutated, read
by the reader under test, processed by exactly what a harvest worker runs and written by exactly what
the harvest writes into a real SQLite store. Two questions per input:

- **escapes**: did any exception get out of the reader (cutting the file), the worker (parsing and
  normalizing each record) or the store write? A harvest catches those only at the source level, so
  each one would cost a whole source. The only passing figure is 0.
- **lost records**: every record of the input — its two intact neighbours always, and the mutated
  record too when its id survived the mutation — must end stored, or be inside what was quarantined or
  skipped (a record merged into its neighbour by a lost terminator is there too). A record whose id is
  in no outcome at all was silently dropped. The only passing figure is 0.

Seeds are the real records in tests/data (ISO 2709, MARCXML, MARC-in-JSON, MARC line/mnemonic text,
Aleph sequential), plus the ISO 2709 and MARCXML records rewritten as MARC-in-JSON and mnemonic text by
pymarc, so each reader has dozens of distinct records to start from. Shared by the bounded property
tests (tests/harvester/test_fuzz_readers.py, hypothesis) and the long run (bench/fuzz.py, a seeded RNG).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from harvester import run
from harvester.marc.files import iter_raw_records, read_record
from harvester.marc.supersede import LaterWins
from harvester.progress import Progress
from harvester.store import RecordStore
from tests.harvester.mutations import SOURCE, real_records

FORMATS = ("iso2709", "marcxml", "marcjson", "mrk", "aleph")
XML_HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim">\n'
XML_TAIL = b"</collection>\n"

# UTF-8 encoded twice ("é" as "Ã©", a decomposed "e"+U+0301 as "eÌ\x81", "’" through cp1252 as "â€™"):
# what `harvester.text.repair_mojibake` decodes once more, in every reader (the "feeds" issue)
MOJIBAKE = (b"\xc3\x83\xc2\xa9", b"e\xc3\x8c\xc2\x81", b"\xc3\xa2\xe2\x82\xac\xe2\x84\xa2")
# bytes that mean something to each reader: terminators, delimiters, markup, escapes, invalid text
TOKENS: dict[str, tuple[bytes, ...]] = {
    "iso2709": (b"\x1d", b"\x1e", b"\x1f", b"\x1fa", b"00000", b"\xb9", "¹".encode(), b"\x1b(B", b"\xe1",
                b"\xed\xa0\x80", b"\xff", b"\x00", b"   ", b"9999", *MOJIBAKE),
    "marcxml": (b"<record/>", b"<record>", b"</record>", b"&eacute;", b"&foo;", b"&#xD800;", b"&#0;", b"<",
                b"&", b"]]>", b"<![CDATA[x", b'<datafield tag="">', b"</datafield>", b'"', b"\xed\xa0\x80",
                b"\xff", b"<!DOCTYPE x [<!ENTITY a 'b'>]>", b"<?pi?>", b"<!--", b"</collection>",
                b"<header><identifier>oai:x:1</identifier></header>", b'<header status="deleted">', b"<metadata>",
                *MOJIBAKE),
    "marcjson": (b"\\ud800", b"\\udfff", b"\\u0000", b"\xed\xa0\x80", b"\xff", b"[", b"]", b"{", b"}", b'"',
                 b"\\", b"\n", b",", b":", b"null", b"[[[[[[[[[[", b'{"":', b'"fields":', b"\xef\xbb\xbf",
                 b"\t", b"\x01", *MOJIBAKE),
    "mrk": (b"\n", b"\n\n", b"=LDR  ", b"LEADER ", b"$", b"$a", b"{dollar}", b"{", b"}", b"{x110000}", b"\\",
            b"=   ", b"=001  ", b"\xed\xa0\x80", b"\xff", b"\r", b"\x00", b"{acute}", b"{Lstrok}", b"{llig}",
            b"{acute}{", b"{U+00E9}", *MOJIBAKE),
    "aleph": (b"\n", b"$$", b"$$a", b" FMT   L ", b" LDR   L ", b" 001   L ", b"^", b"\xed\xa0\x80", b"\xff",
              b"000000000 ", b"\r", b"\x00", b"  L ", b"\n\n", *MOJIBAKE),
}


@dataclass(frozen=True)
class Seed:
    """One real record in one format, with the id it is stored under."""

    raw: bytes
    local_id: str


@dataclass
class Tally:
    """What a campaign over one reader found."""

    inputs: int = 0
    records_in: int = 0  # records of the inputs that had to be accounted for
    stored: int = 0
    quarantined: int = 0
    skipped: int = 0
    escapes: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)

    def line(self, fmt: str) -> str:
        return (f"{fmt:<9} inputs {self.inputs:>8,}  records {self.records_in:>8,}  outcomes: stored "
                f"{self.stored:,}, quarantined {self.quarantined:,}, skipped {self.skipped:,}  escapes "
                f"{len(self.escapes)}  lost {len(self.lost)}")


def _as_json(raw: bytes, fmt: str) -> bytes | None:
    try:
        return read_record(raw, fmt)[0].as_json().encode()  # type: ignore[no-any-return]
    except Exception:  # noqa: BLE001 - a seed pymarc cannot read or write is simply not a seed
        return None


def _as_mrk(raw: bytes, fmt: str) -> bytes | None:
    try:
        return (str(read_record(raw, fmt)[0]).rstrip("\n") + "\n").encode()
    except Exception:  # noqa: BLE001 - as above
        return None


@cache
def seeds(fmt: str) -> tuple[Seed, ...]:
    """The distinct real records of ``fmt`` with an ASCII id of 5+ characters (so that finding the id in
    an outcome's bytes means that record, not chance)."""
    found: list[Seed] = []
    ids: set[str] = set()
    records = real_records(limit_per_file=200)
    candidates = [raw for kind, _, raw in records if kind == fmt]
    converters: dict[str, Callable[[bytes, str], bytes | None]] = {"marcjson": _as_json, "mrk": _as_mrk}
    if fmt in converters:
        candidates += [converted for kind, _, raw in records if kind in ("iso2709", "marcxml")
                       if (converted := converters[fmt](raw, kind)) is not None]
    for raw in candidates:
        local_id = _local_id(raw, fmt)
        if local_id and len(local_id) >= 5 and local_id.isascii() and local_id not in ids:
            if fmt == "mrk" and b"\n\n" in raw.strip():
                continue
            ids.add(local_id)
            found.append(Seed(raw if fmt != "mrk" else raw.rstrip(b"\n") + b"\n", local_id))
    return tuple(found)


def _local_id(raw: bytes, fmt: str) -> str:
    outcome = run._process_one(SOURCE, "seed", fmt, "record 1", raw)
    if not isinstance(outcome, run.Stored) or not isinstance(outcome.record, run.IncomingRecord):
        return ""
    return outcome.record.local_id if not outcome.record.normalized_json.count('"id_origin"') else ""


def join(fmt: str, records: Sequence[bytes], array: bool = False) -> bytes:
    """A file of these records in the format's own layout."""
    if fmt == "iso2709":
        return b"".join(records)
    if fmt == "marcxml":
        return XML_HEAD + b"\n".join(records) + b"\n" + XML_TAIL
    if fmt == "marcjson":
        return b"[" + b",\n".join(records) + b"]\n" if array else b"\n".join(records) + b"\n"
    if fmt == "mrk":
        return b"\n".join(records) + b"\n"
    return b"".join(records)  # aleph: every line starts with the record's system number


def mutate(data: bytes, steps: Sequence[tuple[str, float, float, bytes]]) -> bytes:
    """Apply mutation steps: (kind, where 0-1, size 0-1, payload). Kinds: flip, cut, insert, delete,
    dup, truncate, token (insert the payload, a token that means something to the reader)."""
    out = bytearray(data)
    for kind, where, size, payload in steps:
        at = int(where * len(out))
        if kind == "flip" and out:
            at = min(at, len(out) - 1)
            out[at] ^= 1 << int(size * 7.999)
        elif kind == "cut" and out:
            del out[at:at + 1 + int(size * 40)]
        elif kind in ("insert", "token"):
            out[at:at] = payload
        elif kind == "delete" and out:
            del out[min(at, len(out) - 1)]
        elif kind == "dup" and out:
            out[at:at] = out[at:at + 1 + int(size * 80)]
        elif kind == "truncate":
            del out[at:]
    return bytes(out)


KINDS = ("flip", "cut", "insert", "delete", "dup", "truncate", "token", "token")


def random_steps(rng: random.Random, fmt: str) -> list[tuple[str, float, float, bytes]]:
    steps = []
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(KINDS)
        if kind == "token":
            payload = rng.choice(TOKENS[fmt])
        else:
            payload = bytes(rng.choice(b"\x1d\x1e\x1f0123456789 \x00\xff\xc3\xa9<>&$a{}[]\"\\\n")
                            for _ in range(rng.randint(1, 8)))
        steps.append((kind, rng.random(), rng.random(), payload))
    return steps


class ReaderFuzz:
    """One reader under test, with a real store written the way a harvest writes it."""

    def __init__(self, fmt: str, folder: Path, fresh_every: int = 200) -> None:
        self.fmt = fmt
        self.folder = folder
        self.fresh_every = fresh_every
        self.path = folder / f"input.{fmt}"
        self.tally = Tally()
        self._store: RecordStore | None = None
        self._run_id = 0
        self._writes = 0
        self._seen: dict[tuple[bytes, str | None, bool, int | None], run.Outcome] = {}
        self._pending: list[list[run.Outcome]] = []
        self._cached = 0  # bytes of raw records in `_seen`
        run._init_worker([SOURCE])

    def _writer(self) -> tuple[RecordStore, int]:
        self._writes += 1
        if self._store is None or self._writes % self.fresh_every == 0:
            if self._store is not None:  # a fresh store now and then keeps the file small
                self._store.close()
                for stale in self.folder.glob("fuzz.sqlite*"):
                    stale.unlink()
            self._store = RecordStore(self.folder / "fuzz.sqlite")
            self._store.upsert_source(SOURCE.id, SOURCE.name, SOURCE.type, SOURCE.library.code,
                                      SOURCE.library.name)
            self._run_id = self._store.start_run(SOURCE.id)
        return self._store, self._run_id

    def close(self) -> None:
        self.flush()
        if self._store is not None:
            self._store.close()
            self._store = None

    def feed(self, data: bytes, expected: Sequence[str]) -> tuple[str | None, list[str]]:
        """Read and process one input (its store write is batched with the next ones: `flush`);
        returns (the escape if any, the expected ids lost)."""
        self.tally.inputs += 1
        self.tally.records_in += len(expected)
        self.path.write_bytes(data)
        stage = "reader"
        try:
            chunks = [(c.position, c.raw, c.error, c.fatal, c.size) for c in iter_raw_records(self.path, self.fmt)]
            stage = "worker"
            outcomes = self._process(chunks)
        except Exception as exc:  # noqa: BLE001 - the campaign counts escapes instead of stopping at one
            return self._escape(stage, exc), []
        self._pending.append(outcomes)
        if len(self._pending) >= 50:
            self.flush()
        lost = self._account(chunks, outcomes, expected)
        self.tally.lost.extend(f"{self.fmt}: {local_id}" for local_id in lost)
        return None, lost

    def _escape(self, stage: str, exc: BaseException) -> str:
        escape = f"{self.fmt} {stage}: {type(exc).__name__}: {exc}"[:400]
        self.tally.escapes.append(escape)
        return escape

    def flush(self) -> None:
        """Write the pending inputs' outcomes as a harvest does (`run._store_outcomes`); when the batch
        fails, each input again on its own, so every escape is counted against its input."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        try:
            self._write([outcome for outcomes in pending for outcome in outcomes])
        except Exception:  # noqa: BLE001 - found again input by input just below
            for outcomes in pending:
                try:
                    self._write(outcomes)
                except Exception as exc:  # noqa: BLE001 - counted
                    self._escape("store", exc)

    def _write(self, outcomes: list[run.Outcome]) -> None:
        store, run_id = self._writer()
        counts = dict.fromkeys(("read", "new", "updated", "unchanged", "superseded", "quarantined", "skipped",
                                "duplicates"), 0)
        later = LaterWins(store, run_id, [self.path.name])
        run._store_outcomes(store, SOURCE, run_id, self.path.name, outcomes, counts,
                            Progress("fuzz", 0, enabled=False), later)
        with store.transaction():
            store.write_batch(run_id, later.leftovers(), supersede=True)
        buckets = ("new", "updated", "unchanged", "superseded", "duplicates", "quarantined", "skipped")
        if counts["read"] != sum(counts[b] for b in buckets) or counts["read"] != len(outcomes):
            raise AssertionError(f"counts do not balance: {counts} for {len(outcomes)} records read")

    def _process(self, chunks: list[run.Chunk]) -> list[run.Outcome]:
        """`run.process_batch`, with the outcome of a record read before reused (the worker is a pure
        function of the bytes and the reader's error; only the position label is set anew): most
        records of the inputs are the intact neighbours of a mutant."""
        outcomes: list[run.Outcome | None] = [self._seen.get(chunk[1:]) for chunk in chunks]
        fresh = [chunk for chunk, outcome in zip(chunks, outcomes, strict=True) if outcome is None]
        done = iter(run.process_batch(SOURCE.id, self.path.name, self.fmt, fresh) if fresh else [])
        result: list[run.Outcome] = []
        for chunk, outcome in zip(chunks, outcomes, strict=True):
            if outcome is None:
                outcome = next(done)
                if self._cached + len(chunk[1]) < 100 << 20:  # the neighbours come first: cached early
                    self._cached += len(chunk[1])
                    self._seen[chunk[1:]] = outcome
            result.append(_placed(outcome, chunk[0]))
        return result

    def _account(self, chunks: list[run.Chunk], outcomes: list[run.Outcome],
                 expected: Sequence[str]) -> list[str]:
        stored_ids: set[str] = set()
        kept: list[bytes] = []
        for (_, raw, _, _, _), outcome in zip(chunks, outcomes, strict=True):
            kept.append(raw)
            if isinstance(outcome, run.Stored):
                self.tally.stored += 1
                assert isinstance(outcome.record, run.IncomingRecord)
                stored_ids.add(outcome.record.local_id)
            elif isinstance(outcome, run.Skipped):
                self.tally.skipped += 1
            else:
                self.tally.quarantined += 1
                kept.append(outcome.raw)
        return [local_id for local_id in expected
                if local_id not in stored_ids and not any(local_id.encode() in raw for raw in kept)]


def _placed(outcome: run.Outcome, position: str) -> run.Outcome:
    """A reused outcome at this input's position."""
    if isinstance(outcome, run.Stored):
        assert isinstance(outcome.record, run.IncomingRecord)
        return run.Stored(replace(outcome.record, position=position), outcome.salvaged)
    return outcome._replace(position=position)


def one_input(fmt: str, rng: random.Random,
              steps: Callable[[], list[tuple[str, float, float, bytes]]]) -> tuple[bytes, list[str]]:
    """A file of three real records, the middle one mutated (or, one time in four, the whole file);
    returns the bytes and the ids that must be accounted for."""
    chosen = rng.sample(seeds(fmt), 3)
    array = fmt == "marcjson" and rng.random() < 0.3
    return make_input(fmt, chosen, rng.random() < 0.25, array, steps())


def make_input(fmt: str, chosen: Sequence[Seed], whole: bool, array: bool,
               steps: Sequence[tuple[str, float, float, bytes]]) -> tuple[bytes, list[str]]:
    """The file of ``chosen`` (three seeds) with the middle one, or the ``whole`` file, mutated."""
    first, middle, last = chosen
    if whole:
        data = mutate(join(fmt, [first.raw, middle.raw, last.raw], array), steps)
        return data, [s.local_id for s in (first, middle, last) if s.local_id.encode() in data]
    mutated = mutate(middle.raw, steps)
    expected = [first.local_id, last.local_id] + ([middle.local_id] if middle.local_id.encode() in mutated else [])
    return join(fmt, [first.raw, mutated, last.raw], array), expected
