"""A small per-process cache of public search pages, keyed by the index generation.

Patrons in a burst ask the same few things (the home page, "history", a facet click on it): answering
those from memory leaves the search engine for the long tail. Each worker process keeps its own
cache; the key starts with the catalog's generation token (`Catalog.generation`: the live index
version and its last commit, read from the index folder), so a commit or rebuild by any process
invalidates every worker's entries on their next request, without messages between processes.

What is never cached (the response passes through untouched):
- anything but GET on the cached paths (`CACHED_PATHS`: home, search and its JSON twin, browse);
- requests carrying a Cookie or an Authorization header (a signed-in person may see more);
- responses that are not 200, that set a cookie, that say ``Cache-Control: private`` or ``no-store``
  (how staff pages mark themselves), that stream, or whose body is larger than `MAX_ENTRY`;
- everything when the backend names no generation (OpenSearch: no cheap commit token to key on).

The cache sits outside compression, so it keeps the gzip body for clients that accept gzip and the
plain body for the others (two entries), and a warm hit costs no compression either. Entries also
expire after ``ttl`` seconds, which bounds how stale store-derived text (library names) can get.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from cachetools import TTLCache
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("unioncat.web")

CACHED_PATHS = ("/", "/search", "/search.json", "/browse")
"""Paths (and, for /browse, every path under it) whose pages depend only on the index and the query."""

MAX_ENTRY = 512 * 1024
"""Bytes: a larger body is served but not kept (a 100-hit JSON page is ~60 KB)."""

CACHE_HEADER = b"x-unioncat-cache"
"""``hit`` or ``miss`` on cacheable requests, so a benchmark (or a curious operator) can tell."""


@dataclass(frozen=True, slots=True)
class CachedResponse:
    """A finished response: what `send` gets back on a hit."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


class ResponseCache:
    """ASGI middleware: serve repeated public GETs from memory until the index generation changes."""

    def __init__(self, app: ASGIApp, max_bytes: int = 64 * 1024 * 1024, ttl: float = 300.0) -> None:
        self.app = app
        self.entries: TTLCache[tuple[str, ...], CachedResponse] = TTLCache(
            maxsize=max_bytes, ttl=ttl, getsizeof=lambda entry: len(entry.body) + 256)
        self.hits = 0
        self.misses = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope) if scope["type"] == "http" else None
        if key is None:
            await self.app(scope, receive, send)
            return
        entry = self.entries.get(key)
        if entry is not None:
            self.hits += 1
            await _replay(entry, send)
            return
        self.misses += 1
        await self._fill(key, scope, receive, send)

    def _key(self, scope: Scope) -> tuple[str, ...] | None:
        """The cache key of a cacheable request, or None (not cacheable, see the module docstring)."""
        if scope["method"] != "GET" or not _cached_path(scope["path"]):
            return None
        headers = Headers(scope=scope)
        if "cookie" in headers or "authorization" in headers:
            return None
        catalog = scope["app"].state.catalog if "app" in scope else None
        generation = catalog.generation() if catalog is not None else None
        if generation is None:
            return None
        gzip = "gzip" in headers.get("accept-encoding", "").lower()
        query = scope.get("query_string", b"").decode("latin-1")
        host = headers.get("host", "")  # pages may carry absolute links (permalinks, feeds) built from it
        return (generation, scope.get("scheme", "http"), host, scope["path"], query, "gzip" if gzip else "identity")

    async def _fill(self, key: tuple[str, ...], scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app, passing every message on, and keep the response if it may be cached."""
        start: dict[str, Any] = {}
        chunks: list[bytes] = []
        keep = True

        async def send_and_record(message: Message) -> None:
            nonlocal keep
            if message["type"] == "http.response.start":
                start.update(message)
                keep = _storable(message)
                message["headers"] = [*message.get("headers", []), (CACHE_HEADER, b"miss")]
            elif message["type"] == "http.response.body" and keep:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False) or sum(map(len, chunks)) > MAX_ENTRY:
                    keep = False  # streamed or large: pass through, do not keep
                else:
                    self.entries[key] = CachedResponse(start["status"], list(start.get("headers", [])),
                                                       b"".join(chunks))
            await send(message)

        await self.app(scope, receive, send_and_record)


def _cached_path(path: str) -> bool:
    return path in CACHED_PATHS or path.startswith("/browse/")


def _storable(start: Message) -> bool:
    """A 200 that sets no cookie and does not forbid shared caching."""
    if start["status"] != 200:
        return False
    headers = Headers(raw=list(start.get("headers", [])))
    if "set-cookie" in headers:
        return False
    control = headers.get("cache-control", "").lower()
    return "private" not in control and "no-store" not in control


async def _replay(entry: CachedResponse, send: Send) -> None:
    await send({"type": "http.response.start", "status": entry.status,
                "headers": [*entry.headers, (CACHE_HEADER, b"hit")]})
    await send({"type": "http.response.body", "body": entry.body})
