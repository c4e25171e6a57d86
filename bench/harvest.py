"""OAI-PMH harvest throughput: records/s from a local OAI-PMH server into a fresh record store.

The server is the real PyPI ``oaipmh`` data provider (``BatchingServer``) running in a child process
(so that serving does not compete with the harvester for the interpreter lock), serving ``--records``
MARCXML records made from the 30 real Library of Congress records in tests/data/oai/records (each copy
with its own 001 and OAI identifier) in pages of ``--page-size``. The harvester is the production path:
`harvester.oai.harvest.harvest_oai` — sickle client, strict parse, MARC rules, one transaction per page with
its checkpoint. ``--server replay`` serves the same pages pre-rendered instead, to time the harvester
alone.

    nice -n 10 .venv/bin/python bench/harvest.py --records 50000 --page-size 500
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harvester.marc.profiles import PROFILES  # noqa: E402
from harvester.oai.harvest import harvest_oai  # noqa: E402
from harvester.settings import Library, OAIOptions, SourceConfig  # noqa: E402
from harvester.store import RecordStore  # noqa: E402
from tests.harvester.oai_servers import (  # noqa: E402
    BASE,
    Catalog,
    LocalServer,
    Reply,
    marc_payloads,
    oaipmh_handler,
)


def build_catalog(count: int) -> Catalog:
    """``count`` distinct MARCXML records from the 30 real ones, dated a second apart."""
    real = marc_payloads()
    catalog = Catalog("marc21")
    for n in range(count):
        control, payload = real[n % len(real)]
        local = f"bench{n:07d}"
        body = payload.replace(f">{control}<".encode(), f">{local}<".encode(), 1)
        catalog.put(f"oai:bench:{local}", body, BASE + timedelta(seconds=n), ("even",) if n % 2 else ("odd",))
    return catalog


class FrozenCatalog(Catalog):
    """The bench never changes the catalog while serving: sort once, not on every request."""

    def ordered(self):  # type: ignore[no-untyped-def]
        if not hasattr(self, "_ordered"):
            self._ordered = super().ordered()
        return self._ordered


def replay_handler(catalog: Catalog, page_size: int):  # type: ignore[no-untyped-def]
    """Pre-render every page through the real provider once, then serve them by token."""
    inner = oaipmh_handler(catalog, page_size=page_size)
    pages: dict[str, bytes] = {}
    params = {"verb": "ListRecords", "metadataPrefix": "marc21"}
    key = ""
    while True:
        body = inner(dict(params)).body
        pages[key] = body
        token = b""
        if b"<resumptionToken>" in body:
            token = body.split(b"<resumptionToken>")[1].split(b"</resumptionToken>")[0]
        if not token:
            break
        key = token.decode()
        params = {"verb": "ListRecords", "resumptionToken": key}

    def handle(request: dict[str, str]) -> Reply:
        if request.get("verb") == "ListRecords":
            return Reply(pages[request.get("resumptionToken", "")])
        return inner(request)

    return handle


def serve(count: int, page_size: int, mode: str, conn) -> None:  # type: ignore[no-untyped-def]
    catalog = build_catalog(count)
    frozen = FrozenCatalog("marc21", catalog.items)
    if mode == "replay":
        handler = replay_handler(frozen, page_size)
    else:
        handler = oaipmh_handler(frozen, page_size=page_size)
    server = LocalServer(handler).start()
    conn.send(server.url)
    conn.recv()  # wait until the parent is done
    server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--server", choices=("oaipmh", "replay"), default="oaipmh")
    parser.add_argument("--workers", type=int, default=None, help="mapping processes (default: up to 2)")
    args = parser.parse_args()

    parent, child = multiprocessing.get_context("fork").Pipe()
    process = multiprocessing.get_context("fork").Process(
        target=serve, args=(args.records, args.page_size, args.server, child), daemon=True
    )
    process.start()
    url = parent.recv()
    source = SourceConfig(
        id="bench", name="bench", type="oai-pmh", library=Library("BENCH", "Bench library"),
        holdings=PROFILES["marc21"], url=url, metadata_prefix="marc21", rate_limit=0, timeout=120.0,
        options=OAIOptions(workers=args.workers),
    )
    with tempfile.TemporaryDirectory() as tmp, RecordStore(Path(tmp) / "bench.sqlite") as store:
        store.upsert_source("bench", "bench", "oai-pmh", "BENCH", "Bench library")
        started = time.perf_counter()
        cpu_started = time.process_time()
        counts = harvest_oai(source, store, store.start_run("bench"), full=True)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        stored = store.live_count()
    parent.send("done")
    process.join(timeout=10)
    print(f"server: {args.server} ({args.records:,} MARCXML records, pages of {args.page_size})")
    print(f"harvested {counts['read']:,} records in {counts['pages']} pages, stored {stored:,}, "
          f"quarantined {counts['quarantined']}")
    load = os.getloadavg()[0]
    print(f"harvester process CPU {cpu:.1f} s; load average {load:.1f} on {os.cpu_count()} cores")
    print(f"{seconds:.1f} s  →  {counts['read'] / seconds:,.0f} records/s  (goal ≥ 2,000 records/s)")


if __name__ == "__main__":
    main()
