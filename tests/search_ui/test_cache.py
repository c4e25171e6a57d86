"""The page cache (`search_ui.cache`): a hit is byte-for-byte the page the app would render, an index
commit invalidates it, and nothing personal is ever kept."""

from __future__ import annotations

import gzip
import warnings
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from indexer.catalog import Catalog
from indexer.search.backends import open_backend
from search_ui.app import create_app
from search_ui.cache import ResponseCache
from tests.search_ui.dataset import Dataset, build

CACHE = 8 * 1024 * 1024


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return build(tmp_path_factory.mktemp("cache-catalog"))


@pytest.fixture(scope="module")
def own_catalog(own: Dataset) -> Iterator[Catalog]:
    catalog = Catalog.open(own.settings)
    yield catalog
    catalog.close()


@pytest.fixture(scope="module")
def cached(own: Dataset, own_catalog: Catalog) -> Iterator[TestClient]:
    with TestClient(create_app(own.settings, own_catalog, cache_bytes=CACHE)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def plain(own: Dataset, own_catalog: Catalog) -> Iterator[TestClient]:
    with TestClient(create_app(own.settings, own_catalog)) as test_client:
        yield test_client


PAGES = [
    "/",
    "/search?q=history",
    "/search?q=history&page=3&sort=year",
    "/search?q=history&format=Book&library=North+University",
    "/search.json?q=history&decade=1950s",
    "/search.json?q=whales",
    "/browse/author",
]


@pytest.mark.parametrize("encoding", ["gzip", "identity"])
def test_a_cached_page_is_exactly_the_uncached_page(cached: TestClient, plain: TestClient, encoding: str) -> None:
    headers = {"Accept-Encoding": encoding}
    for url in PAGES:
        expected = plain.get(url, headers=headers)
        first = cached.get(url, headers=headers)
        again = cached.get(url, headers=headers)
        assert expected.status_code == first.status_code == again.status_code == 200, url
        assert (first.headers["x-unioncat-cache"], again.headers["x-unioncat-cache"]) == ("miss", "hit"), url
        assert again.content == first.content == expected.content, url
        assert again.headers.get("content-encoding") == first.headers.get("content-encoding"), url
        assert again.headers["content-type"] == expected.headers["content-type"], url


def test_gzip_and_plain_clients_get_their_own_entry(cached: TestClient) -> None:
    url = "/search?q=history&page=1"  # a URL no other test asks for: this test's entries are its own
    raw = cached.get(url, headers={"Accept-Encoding": "gzip"}, extensions={})
    assert raw.headers["content-encoding"] == "gzip" and raw.headers["x-unioncat-cache"] == "miss"
    plain = cached.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.headers["x-unioncat-cache"] == "miss"
    for encoding, response in (("gzip", raw), ("identity", plain)):
        again = cached.get(url, headers={"Accept-Encoding": encoding})
        assert again.headers["x-unioncat-cache"] == "hit" and again.content == response.content
        assert again.headers.get("content-encoding") == response.headers.get("content-encoding")
    assert raw.content == plain.content  # httpx decodes gzip: the same page either way
    assert int(raw.headers["content-length"]) < len(gzip.compress(plain.content)) * 1.2


def test_an_index_commit_invalidates_the_cached_pages(own: Dataset, cached: TestClient) -> None:
    before = cached.get("/search.json?q=quixotic").json()
    assert before["total"] == 0 and cached.get("/search.json?q=quixotic").headers["x-unioncat-cache"] == "hit"
    home = cached.get("/")
    assert cached.get("/").headers["x-unioncat-cache"] == "hit"
    writer = open_backend(own.settings)  # another writer, as `unioncat index` in another process
    try:
        doc = writer.get(own.journal)
        assert doc is not None
        writer.index([{**doc, "id": "c-new-item", "title": "A quixotic journal"}])
        writer.commit()
    finally:
        writer.close()
    after = cached.get("/search.json?q=quixotic")
    assert after.headers["x-unioncat-cache"] == "miss" and after.json()["total"] == 1
    home_after = cached.get("/")
    assert home_after.headers["x-unioncat-cache"] == "miss" and home_after.content != home.content


def test_requests_with_cookies_or_credentials_are_never_cached(cached: TestClient) -> None:
    for headers in ({"Cookie": "session=abc"}, {"Authorization": "Basic eDp5"}):
        for _ in range(2):
            response = cached.get("/search?q=history", headers=headers)
            assert response.status_code == 200 and "x-unioncat-cache" not in response.headers


def test_errors_and_post_are_not_cached(cached: TestClient) -> None:
    for _ in range(2):
        assert "x-unioncat-cache" not in cached.post("/holdings", data={"ids": "9780142437247"}).headers
        bad = cached.get("/search.json?q=history&year_from=2000&year_to=1990")
        assert bad.status_code == 400 and bad.headers["x-unioncat-cache"] == "miss"


class Generation:
    """Stands in for the catalog: the cache asks it only for the index generation."""

    def generation(self) -> str:
        return "g1"


@pytest.mark.parametrize("headers", [
    {"Cache-Control": "private, no-store"},
    {"Cache-Control": "no-store"},
    {"Cache-Control": "private"},
    {"Set-Cookie": "session=abc; HttpOnly"},
])
def test_private_responses_are_never_kept(headers: dict[str, str]) -> None:
    calls = []

    async def staff_page(request: Request) -> Response:
        calls.append(1)
        return PlainTextResponse(f"for staff only, call {len(calls)}", headers=headers)

    app = Starlette(routes=[Route("/search", staff_page)])
    app.state.catalog = Generation()
    app.add_middleware(ResponseCache)
    with TestClient(app) as client:
        bodies = [client.get("/search?q=x").text for _ in range(3)]
    assert bodies == ["for staff only, call 1", "for staff only, call 2", "for staff only, call 3"]


def test_large_or_streamed_bodies_pass_through() -> None:
    async def big(request: Request) -> Response:
        return PlainTextResponse("x" * (600 * 1024))

    app = Starlette(routes=[Route("/search", big)])
    app.state.catalog = Generation()
    app.add_middleware(ResponseCache)
    with TestClient(app) as client:
        assert len(client.get("/search").text) == 600 * 1024
        assert client.get("/search").headers["x-unioncat-cache"] == "miss"


def test_facet_counts_are_counted_once_per_query_and_generation(own: Dataset) -> None:
    from indexer.search.backends.base import SearchRequest

    reader = open_backend(own.settings)
    reader.cache_query_facets = True  # type: ignore[attr-defined]  # as `unioncat serve` runs it
    plain = open_backend(own.settings)
    try:
        first = reader.search(SearchRequest(text="history"))
        kept = len(reader._facet_cache)  # type: ignore[attr-defined]
        again = reader.search(SearchRequest(text="history", page=2, sort="newest"))
        assert kept > 0 and len(reader._facet_cache) == kept  # type: ignore[attr-defined]
        assert again.facets == first.facets == plain.search(SearchRequest(text="history", page=2)).facets
        filtered = reader.search(SearchRequest(text="history", filters={"format": ("Book",)}))
        assert filtered.facets == plain.search(SearchRequest(text="history", filters={"format": ("Book",)})).facets
        writer = open_backend(own.settings)
        try:
            doc = writer.get(own.moby)
            assert doc is not None
            writer.index([{**doc, "id": "c-history-map", "title": "A history of maps", "format": ["Map"]}])
            writer.commit()
        finally:
            writer.close()
        after = reader.search(SearchRequest(text="history", page=3))
        assert after.total == first.total + 1
        assert ("Map", 1) in [(f.value, f.count) for f in after.facets["format"]]
        assert after.facets == plain.search(SearchRequest(text="history")).facets
    finally:
        reader.close()
        plain.close()
