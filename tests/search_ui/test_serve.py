"""`unioncat serve --workers N`: real servers on 127.0.0.1, one worker and two, over one catalog.

Two workers must answer exactly as one does (same pages, same JSON, same record pages), and an index
commit made by another process must reach every worker's cache: each worker decides by itself from the
index folder, so the test commits from this process and then asks the two-worker server many times,
on new connections, which the kernel spreads over both workers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.search.backends import open_backend
from tests.search_ui.dataset import Dataset, build
from tests.search_ui.live_server import LiveServer, live_server

ASKS = 12
"""Requests per check on the two-worker server (new connections, spread over both workers)."""


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return build(tmp_path_factory.mktemp("serve-catalog"))


@pytest.fixture(scope="module")
def servers(own: Dataset, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, LiveServer]]:
    logs = tmp_path_factory.mktemp("serve-logs")
    config = own.settings.config_file
    with live_server(config, logs / "one.log", "--workers", "1", "--cache-mb", "0") as one, \
            live_server(config, logs / "two.log", "--workers", "2") as two:
        yield one, two


def urls(dataset: Dataset) -> list[str]:
    return [
        "/",
        "/search?q=history",
        "/search?q=history&page=2",
        "/search?q=history&library=North+University&library=West+Institute",
        "/search.json?q=history&format=Book",
        "/search.json?q=moby+dick",
        f"/record/{dataset.moby}",
        f"/record/{dataset.moby}.json",
        "/holdings.json?ids=9780142437247",
        "/browse/author",
    ]


def test_two_workers_answer_exactly_as_one(own: Dataset, servers: tuple[LiveServer, LiveServer]) -> None:
    one, two = servers
    for url in urls(own):
        status, headers, body = one.get(url, {"Accept-Encoding": "gzip"})
        assert status == 200, url
        for _ in range(3):  # cold, then warm (cached pages), on different workers
            status2, headers2, body2 = two.get(url, {"Accept-Encoding": "gzip"})
            body2 = body2.replace(b":%d/" % two.port, b":%d/" % one.port)  # permalinks name the port
            assert (status2, headers2["content-type"], body2) == (status, headers["content-type"], body), url


def test_the_server_runs_the_workers_it_was_asked_for(servers: tuple[LiveServer, LiveServer]) -> None:
    one, two = servers
    assert "with 1 worker " in one.log_text()
    assert "with 2 workers" in two.log_text()
    assert len(_children(two.process.pid)) == 2 and _children(one.process.pid) == []


def test_an_index_commit_reaches_every_workers_cache(own: Dataset, servers: tuple[LiveServer, LiveServer]) -> None:
    _, two = servers
    url = "/search.json?q=zanzibar"
    for _ in range(ASKS):  # warm both workers' caches with the "no results" answer
        assert json.loads(two.get(url)[2])["total"] == 0
    backend = open_backend(own.settings)  # a writer of its own, as `unioncat index` would be
    try:
        doc = backend.get(own.moby)
        assert doc is not None
        backend.index([{**doc, "title": "Moby Dick, or Zanzibar"}])
        backend.commit()
    finally:
        backend.close()
    caches = set()
    for _ in range(ASKS):
        _, headers, body = two.get(url)
        assert json.loads(body)["total"] == 1
        caches.add(headers.get("x-unioncat-cache"))
    assert "miss" in caches  # the commit was seen as new, not served from before


def _children(pid: int) -> list[int]:
    """The worker processes of ``pid``: its live children started by multiprocessing's ``spawn_main``
    (uvicorn's supervisor also runs multiprocessing's resource tracker, which is not a worker)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z" and b"spawn_main" in command:
            found.append(int(stat.parent.name))
    return found
