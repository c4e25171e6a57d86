"""The public never sees the hidden fields: the seeded demo catalog (`staff_seed`) crawled page by page.

The crawler starts from the home page, the sitemap, the APIs and the protocol endpoints, follows every
same-site link (search pages only one step, or facet links would make it endless) and pages through
OAI-PMH and SRU. No response may contain a ``ZQXHIDDEN`` value; the ``ZQXPUBLIC`` notes (541/561 with
first indicator 1) must show, so the crawl is known to reach the notes it checks.
"""

from __future__ import annotations

import re
import warnings
from collections import deque
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from harvester.run import harvest_sources
from indexer.catalog import Catalog
from indexer.run import update_index
from search_ui.app import create_app
from tests.search_ui.staff_seed import HIDDEN, PUBLIC, seeded_demo

MAX_PAGES = 4000
FOLLOW_EVERY = 20
SEEDS = [
    "/", "/search?q=ZQXHIDDEN", "/search?q=provenance", "/search.json?q=provenance", "/search.atom?q=provenance",
    "/search.rss?q=estate", "/search?q=*", "/search.json?q=*&per_page=100", "/browse", "/partners",
    "/partners.json", "/api", "/api/openapi.json", "/analytics", "/analytics.json", "/sitemap.xml",
    "/robots.txt", "/opensearch.xml", "/holdings?ids=isbn:9780306406157", "/autocomplete.json?q=prov",
    "/export?q=provenance&format=marcxml", "/export?q=provenance&format=marc", "/export?q=provenance&format=json",
    "/export?q=provenance&format=csv", "/export?q=estate&format=ris", "/export?q=estate&format=bibtex",
    "/sru?operation=explain", "/oai?verb=Identify", "/oai?verb=ListMetadataFormats", "/oai?verb=ListSets",
]
PAGED = [
    "/oai?verb=ListRecords&metadataPrefix=marcxml", "/oai?verb=ListRecords&metadataPrefix=oai_dc",
    "/oai?verb=ListIdentifiers&metadataPrefix=marcxml",
]
_LINK = re.compile(r"""(?:href|src)="([^"#]+)""")
_LOC = re.compile(r"<loc>([^<]+)</loc>")
_TOKEN = re.compile(r"<resumptionToken[^>]*>([^<]+)</resumptionToken>")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Catalog, TestClient]]:
    settings = seeded_demo(tmp_path_factory.mktemp("seeded-demo"))
    catalog = Catalog.open(settings)
    try:
        results = harvest_sources(settings, catalog.store, settings.sources, workers=1, show_progress=False)
        assert all(r.status == "ok" for r in results), [r.error for r in results]
        update_index(settings, catalog.store, catalog.backend, show_progress=False)
        with TestClient(create_app(settings, catalog), raise_server_exceptions=True) as client:
            yield catalog, client
    finally:
        catalog.close()


def test_the_seeded_values_reached_the_store(seeded: tuple[Catalog, TestClient]) -> None:
    catalog, _ = seeded
    ids = [record_id for _, members in catalog.clusters.iter_clusters() for record_id in members]
    raws = [s.raw for s in (catalog.stored(i) for i in ids) if s is not None]
    assert sum(HIDDEN.encode() in raw for raw in raws) > 0.9 * len(raws) > 400
    barcodes = [h.barcode for m in catalog.merged(list(catalog.clusters.iter_clusters())) for h in m.record.holdings]
    assert sum(b.startswith(f"{HIDDEN}BC") for b in barcodes) > 100  # the catalog reads them as barcodes


def crawl(client: TestClient) -> dict[str, str]:
    """URL → body of every public page reachable from the seeds within two links (the sitemap's record
    pages are two links away), each record page with its JSON twin; the links of one record page in
    `FOLLOW_EVERY` are followed too (exports, citations, the staff explanation, other editions)."""
    pages: dict[str, str] = {}
    queue = deque((url, 0) for url in SEEDS)
    seen = set(SEEDS)
    record_pages = 0
    while queue and len(pages) < MAX_PAGES:
        url, depth = queue.popleft()
        response = client.get(url, follow_redirects=True)
        assert response.status_code < 500, url
        pages[url] = body = response.text
        links = [*_LINK.findall(body), *_LOC.findall(body)]
        if re.fullmatch(r"/record/[^/?.]+", url):
            record_pages += 1
            links = [f"{url}.json", *(links if record_pages % FOLLOW_EVERY == 1 else [])]
        elif depth >= 2:
            continue
        for link in links:
            target = urlsplit(urljoin("http://testserver" + url, link.replace("&amp;", "&")))
            if target.netloc != "testserver" or target.path.startswith("/static"):
                continue
            path = target.path + (f"?{target.query}" if target.query else "")
            if target.path.startswith("/search") and depth >= 1 or path in seen:
                continue
            seen.add(path)
            queue.append((path, depth + 1))
    assert not queue, f"crawl cut at {MAX_PAGES} pages"
    for start in PAGED:
        pages.update(_paged(client, start))
    for schema in ("marcxml", "dc"):
        for start in range(1, 600, 100):
            url = f"/sru?operation=searchRetrieve&version=1.2&query=cql.allRecords%3D1&recordSchema={schema}" \
                  f"&maximumRecords=100&startRecord={start}"
            pages[url] = client.get(url).text
    return pages


def _paged(client: TestClient, start: str) -> Iterator[tuple[str, str]]:
    url = start
    for _ in range(200):
        body = client.get(url).text
        yield url, body
        token = _TOKEN.search(body)
        if token is None:
            return
        url = f"/oai?verb={start.split('verb=')[1].split('&')[0]}&resumptionToken={token.group(1)}"
    raise AssertionError("OAI-PMH paging did not end")


def test_no_public_page_or_api_shows_a_hidden_field(seeded: tuple[Catalog, TestClient]) -> None:
    catalog, client = seeded
    pages = crawl(client)
    records = [url for url in pages if re.fullmatch(r"/record/[^/?.]+", url)]
    assert len(records) == catalog.cluster_count() > 500  # every record page was reached (sitemap)
    assert {f"{url}.json" for url in records} <= set(pages)
    print(f"crawled {len(pages)} public responses, {len(records)} record pages")
    leaks = {url: re.findall(rf"{HIDDEN}[^<\"]{{0,40}}", body)[:3] for url, body in pages.items()
             if HIDDEN in body and HIDDEN not in url}  # a search for the word echoes it: checked below
    assert leaks == {}, f"{len(leaks)} of {len(pages)} pages show hidden fields"
    shown = [url for url, body in pages.items() if PUBLIC in body]
    assert sum(url in records for url in shown) > 400  # the public 541/561 notes are on the record pages
    assert any(url.startswith("/oai?verb=ListRecords") for url in shown)  # and in the OAI-PMH records
    assert any(url.startswith("/record/") and url.endswith(".json") for url in shown)


def test_the_hidden_values_are_not_searchable(seeded: tuple[Catalog, TestClient]) -> None:
    _, client = seeded
    assert client.get("/search.json", params={"q": HIDDEN}).json()["total"] == 0  # every hidden value has it
    assert client.get("/search.json", params={"q": PUBLIC}).json()["total"] > 400


def test_raw_records_are_not_public(seeded: tuple[Catalog, TestClient]) -> None:
    catalog, client = seeded
    cluster_id, members = next(iter(catalog.clusters.iter_clusters()))
    response = client.get(f"/record/{cluster_id}/raw/{members[0]}")
    assert response.status_code == 403 and HIDDEN not in response.text
    assert "/raw/" not in client.get(f"/record/{cluster_id}").text
