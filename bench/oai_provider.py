"""OAI-PMH provider and SRU throughput over a synthetic merged catalog, with baselines in the same run.

Builds ``--records`` bibliographic records from four libraries (every third item held by two of them,
so a third of the clusters merge two records), clusters and indexes them with the production
pipeline, then times, in process (no HTTP, so the figures are the provider's own cost):

- baseline: `indexer.merge.load_merged` over every cluster in batches of 100 (the floor: merging);
- a full ``ListIdentifiers`` and a full ``ListRecords`` in ``oai_dc`` and ``marcxml``, page by page
  through resumption tokens, and a ``set=library:NOR`` harvest;
- SRU ``searchRetrieve``: CrossLink-style ``rec.id`` look-ups and a keyword search, per second.

    nice -n 10 .venv/bin/python bench/oai_provider.py --records 5000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lxml import etree  # noqa: E402

from harvester.record import Author, Record  # noqa: E402
from harvester.settings import load_settings  # noqa: E402
from harvester.store import RecordStore  # noqa: E402
from indexer.catalog import Catalog  # noqa: E402
from indexer.run import update_index  # noqa: E402
from indexer.search.backends import open_backend  # noqa: E402
from search_ui.interop.oai_provider import OAIProvider, Repository  # noqa: E402
from search_ui.interop.oai_provider_data import CatalogItems  # noqa: E402
from search_ui.interop.oai_provider_tokens import TOKEN_KEY  # noqa: E402
from search_ui.interop.sru import SRUServer  # noqa: E402
from search_ui.interop.sru_explain import ServerInfo  # noqa: E402
from search_ui.interop.sru_search import CatalogSearch  # noqa: E402
from tests.search_ui.dataset import CONFIG, holding, write  # noqa: E402

OAI = "{http://www.openarchives.org/OAI/2.0/}"
SOURCES = ("north", "south", "east", "west")


def synthetic(count: int) -> list[Record]:
    records = []
    for n in range(count):
        item = n // 2 if n % 3 == 0 else n  # every third record is a second library's copy
        source = SOURCES[n % 4]
        records.append(Record(
            id=f"{source}:b{n}", source_id=source, local_id=f"b{n}", title=f"Item {item} on rivers and hills",
            title_sort=f"item {item}", isbns=(f"97800000{item:05d}",) if item < 100000 else (),
            authors=(Author(f"Author{item % 997}, Pat", primary=True),), year=1900 + item % 120, format="book",
            publisher="Bench Press", holdings=(holding(source, call_number=f"QA{n}"),)))
    return records


def timed(label: str, count: int, started: float) -> float:
    seconds = time.perf_counter() - started
    print(f"{label:<44} {count:>8} in {seconds:7.2f} s = {count / seconds:9.0f} /s")
    return seconds


def harvest(provider: OAIProvider, **args: str) -> int:
    """Follow tokens to the end; the number of headers seen."""
    seen = 0
    arguments = [("verb", args.pop("verb")), *args.items()]
    for _ in range(1_000_000):
        root = etree.fromstring(provider.respond(arguments))
        seen += len(root.findall(f".//{OAI}header"))
        token = root.findtext(f".//{OAI}resumptionToken")
        if not token:
            return seen
        arguments = [("verb", arguments[0][1]), ("resumptionToken", token)]
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=5000)
    options = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-oai-"))
    (root / "unioncat.toml").write_text(CONFIG, encoding="utf-8")
    settings = load_settings(root / "unioncat.toml")
    started = time.perf_counter()
    with RecordStore(settings.store_path) as store:
        write(store, synthetic(options.records))
        backend = open_backend(settings)
        update_index(settings, store, backend, show_progress=False)
        backend.close()
    timed("build (store, cluster, index) records", options.records, started)
    catalog = Catalog.open(settings)
    try:
        clusters = list(catalog.clusters.iter_clusters())
        started = time.perf_counter()
        for i in range(0, len(clusters), 100):
            catalog.merged(clusters[i : i + 100])
        timed("baseline: load_merged, clusters", len(clusters), started)
        provider = OAIProvider(CatalogItems(catalog), Repository("http://127.0.0.1/oai"), catalog.secret(TOKEN_KEY))
        for label, args in (("ListIdentifiers oai_dc", {"metadataPrefix": "oai_dc"}),
                            ("ListRecords oai_dc", {"metadataPrefix": "oai_dc"}),
                            ("ListRecords marcxml", {"metadataPrefix": "marcxml"}),
                            ("ListRecords marcxml set=library:NOR",
                             {"metadataPrefix": "marcxml", "set": "library:NOR"})):
            verb = "ListIdentifiers" if label.startswith("ListIdentifiers") else "ListRecords"
            started = time.perf_counter()
            count = harvest(provider, verb=verb, **args)
            timed(label + ", records", count, started)
        sru = SRUServer(CatalogSearch(catalog), ServerInfo("127.0.0.1", 80))
        ids = [cluster_id for cluster_id, _ in clusters[:: max(1, len(clusters) // 500)]]
        started = time.perf_counter()
        for cluster_id in ids:
            sru.respond([("version", "1.2"), ("operation", "searchRetrieve"), ("query", f'id="{cluster_id}"')])
        timed("SRU rec.id look-ups (marcxml), requests", len(ids), started)
        started = time.perf_counter()
        for n in range(200):
            sru.respond([("version", "1.2"), ("operation", "searchRetrieve"),
                         ("query", f"dc.title = rivers and dc.date = {1900 + n % 120}")])
        timed("SRU keyword searches (10 records), requests", 200, started)
    finally:
        catalog.close()


if __name__ == "__main__":
    main()
