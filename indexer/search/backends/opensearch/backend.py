"""`OpenSearchBackend`: the search backend for consortia that outgrow one machine.

Same documents, same query language, same boosts and same fallbacks as the embedded engine; the
OpenSearch specifics live next door: `mapping` (index settings, analysis, mapping),
`query` (query tree → DSL), `search` (facets, filters, sort, paging) and
`bulk` (batched writes, 429 back-off, per-document errors).

Indexes and the alias. Searches and incremental updates always go through the alias ``<prefix>``
(``unioncat`` by default). The alias points at one concrete, versioned index ``<prefix>-<timestamp>``.
`rebuild` fills a *new* versioned index while the old one keeps serving, then moves the alias in one
``_aliases`` request (atomic: every search sees either the old index or the new one) and deletes the
old index. If anything fails before the swap, the half-built index is deleted and the old one goes on
serving. The first incremental write on an empty cluster creates the first versioned index with the
alias already attached.

    backend = OpenSearchBackend(settings.search)          # or OpenSearchBackend(search, client=...)
    backend.index(docs); backend.commit()                  # commit = refresh
    backend.rebuild(all_docs)                              # zero-downtime
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from opensearchpy import OpenSearch
from opensearchpy.exceptions import ConnectionError as OSConnectionError
from opensearchpy.exceptions import NotFoundError, TransportError

from harvester.settings import SearchSettings
from indexer.errors import BackendError, QueryError
from indexer.search.analysis import has_fuzzable_term
from indexer.search.backends.base import SearchRequest, SearchResults
from indexer.search.backends.opensearch.bulk import (
    BulkOptions,
    IndexingError,
    delete_actions,
    index_actions,
    write_actions,
)
from indexer.search.backends.opensearch.mapping import index_body, serving_settings, stored_document
from indexer.search.backends.opensearch.query import query_clause
from indexer.search.backends.opensearch.search import check_sort, read_results, search_body
from indexer.search.backends.opensearch.terms import TermCache, every_term, with_prefix
from indexer.search.query_parser import parse_query

log = logging.getLogger(__name__)

HEALTH_TIMEOUT = "60s"
"""How long a rebuilt index may take to allocate its shards (yellow: every primary) before the swap."""
SEARCH_RETRY_PAUSES = (0.2, 1.0)
"""Seconds to wait before each re-run of a search the cluster failed on its side (see `_search_with_retry`)."""
SLOW_REQUEST_SECONDS = 120
"""Client-side timeout for the refresh and health wait of a rebuild (the default 30 s is too short)."""


def make_client(search: SearchSettings) -> OpenSearch:
    """An `OpenSearch` client for the configured URL, basic auth and TLS options (connects lazily)."""
    options: dict[str, Any] = {"timeout": 30, "max_retries": 2, "retry_on_timeout": True}
    if search.username:
        options["http_auth"] = (search.username, search.password)
    if search.url.startswith("https://"):
        options["use_ssl"] = True
        options["verify_certs"] = search.verify_certs
        options["ssl_show_warn"] = search.verify_certs
        if search.ca_certs:
            options["ca_certs"] = search.ca_certs
    return OpenSearch(hosts=cluster_urls(search.url), **options)


def cluster_urls(url: str) -> list[str]:
    """``url`` may list several nodes, comma-separated: the client spreads requests over them and, when
    one stops answering, marks it dead and retries on the others, so losing a node loses no search."""
    return [part.strip() for part in url.split(",") if part.strip()]


def public_url(url: str) -> str:
    """The cluster URL(s) without any ``user:password@`` in them, for messages and `unioncat status`."""
    return ", ".join(_without_credentials(part) for part in cluster_urls(url))


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _timestamp() -> datetime:
    return datetime.now(UTC)


class OpenSearchBackend:
    """The `SearchBackend` protocol on an OpenSearch cluster (see the module docstring)."""

    name = "opensearch"

    def __init__(
        self,
        search: SearchSettings,
        client: Any | None = None,
        bulk: BulkOptions | None = None,
        clock: Callable[[], datetime] = _timestamp,
    ) -> None:
        self.search_settings = search
        self.alias = search.index_prefix
        self.client = client if client is not None else make_client(search)
        self._owns_client = client is None
        self.bulk = bulk or BulkOptions()
        self._clock = clock
        self._alias_ready = False
        self._terms = TermCache()

    # -- writes -------------------------------------------------------------------------------------

    def index(self, docs: Iterable[dict[str, Any]]) -> int:
        """Add or replace documents through the live alias; raises `IndexingError` naming every
        document that failed after all the others were sent."""
        self._ensure_alias()
        return self._write(index_actions(docs, self.alias))

    def delete(self, doc_ids: Iterable[str]) -> int:
        if not self._alias_indices():
            return sum(1 for _ in doc_ids)  # no index yet: nothing to delete
        return self._write(delete_actions(doc_ids, self.alias))

    def commit(self) -> None:
        """Make writes searchable now (a refresh) instead of within the index's refresh interval."""
        with self._errors("refresh"):
            try:
                self.client.indices.refresh(index=self.alias)
            except NotFoundError:
                pass  # nothing indexed yet

    def rebuild(self, docs: Iterable[dict[str, Any]]) -> int:
        """Fill a new versioned index, then swap the alias to it atomically and drop the old index."""
        new_index = f"{self.alias}-{self._clock():%Y%m%d%H%M%S%f}"
        settings = self.search_settings
        with self._errors(f"create index {new_index}"):
            self.client.indices.create(
                index=new_index, body=index_body(settings.shards, settings.replicas, building=True)
            )
        old_indices: list[str] = []
        try:
            sent = self._write(index_actions(docs, new_index))
            with self._errors(f"prepare {new_index} for serving"):
                self.client.indices.put_settings(index=new_index, body=serving_settings(settings.replicas))
                self.client.indices.refresh(index=new_index, request_timeout=SLOW_REQUEST_SECONDS)
                health = self.client.cluster.health(
                    index=new_index,
                    wait_for_status="yellow",
                    timeout=HEALTH_TIMEOUT,
                    request_timeout=SLOW_REQUEST_SECONDS,
                )
            if health.get("timed_out"):
                raise BackendError(
                    f"OpenSearch at {public_url(settings.url)}: the rebuilt index {new_index} did not "
                    f"become ready (status {health.get('status')!r} after {HEALTH_TIMEOUT}); "
                    "the old index keeps serving"
                )
            old_indices = self._alias_indices()
            actions: list[dict[str, Any]] = [{"add": {"index": new_index, "alias": self.alias}}]
            actions += [{"remove": {"index": old, "alias": self.alias}} for old in old_indices]
            with self._errors(f"move alias {self.alias} to {new_index}"):
                self.client.indices.update_aliases(body={"actions": actions})
        except BaseException:
            self._drop_failed_build(new_index)
            raise
        self._alias_ready = True
        for old in old_indices:
            try:
                self.client.indices.delete(index=old)
            except TransportError as exc:  # the swap worked; a leftover index only costs disk
                log.warning("rebuilt into %s but could not delete the old index %s: %s", new_index, old, exc)
        log.info("rebuilt %s: %d documents in %s (was %s)", self.alias, sent, new_index, old_indices)
        return sent

    # -- reads --------------------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResults:
        """AND first; when nothing matches, the embedded engine's fallbacks in the same order: typo-tolerant
        (``fuzzy``), then OR (``relaxed``), then OR and typo-tolerant. Flags are set only when they found
        something."""
        check_sort(request.sort)
        parsed = parse_query(request.text)
        results = self._run(request, query_clause(parsed.root))
        fuzzable = has_fuzzable_term(parsed.root)
        if results.total == 0 and fuzzable:
            results = self._run(request, query_clause(parsed.root, fuzzy=True), fuzzy=True)
        if results.total == 0 and len(parsed.root.must) > 1:
            relaxed = parsed.relaxed().root
            results = self._run(request, query_clause(relaxed), relaxed=True)
            if results.total == 0 and fuzzable:
                results = self._run(request, query_clause(relaxed, fuzzy=True), relaxed=True, fuzzy=True)
        if results.total == 0:
            results = replace(results, relaxed=False, fuzzy=False)
        return results

    def get(self, doc_id: str) -> dict[str, Any] | None:
        with self._errors(f"get {doc_id}"):
            try:
                # realtime=False: read what searches see (the last refresh), not the transaction log, so
                # an uncommitted change is invisible to `get` as in the embedded engine until `commit`.
                found = self.client.get(index=self.alias, id=doc_id, realtime=False)
            except NotFoundError:
                return None
        return stored_document(found["_source"]) if found.get("found", True) else None

    def count(self) -> int:
        with self._errors("count"):
            try:
                return int(self.client.count(index=self.alias)["count"])
            except NotFoundError:
                return 0

    def terms(self, field: str, prefix: str = "", limit: int = 10) -> list[tuple[str, int]]:
        """Terms of a field with their document counts (`TermLister`, see `opensearch.terms`): with a
        prefix, the `limit` most frequent starting with it; without, the whole field in term order."""
        if prefix:
            return with_prefix(self._aggregate, field, prefix, limit)
        return self._terms.get(self._index_state(), field, lambda: every_term(self._aggregate, field))

    def _aggregate(self, body: dict[str, Any]) -> dict[str, Any]:
        """One aggregation-only ``_search`` on the alias; no index yet answers as an empty one."""
        with self._errors("list terms"):
            try:
                return self._search_with_retry(body)
            except NotFoundError:
                return {}
            except TransportError as exc:
                if exc.status_code == 400:
                    raise QueryError(f"the search engine could not list these terms: {_reason(exc)}") from exc
                raise

    def _index_state(self) -> tuple[Any, ...]:
        """What changes whenever searches may see other documents: the indices behind the alias and
        their explicit refreshes (the only way writes become visible: ``refresh_interval`` is -1)."""
        with self._errors("index stats"):
            try:
                stats = self.client.indices.stats(index=self.alias, metric="refresh,docs")
            except NotFoundError:
                return ()
        primaries = stats.get("_all", {}).get("primaries", {})
        indices = tuple(sorted((name, v.get("uuid", "")) for name, v in stats.get("indices", {}).items()))
        refresh = primaries.get("refresh", {})
        docs = primaries.get("docs", {})
        return (indices, refresh.get("external_total", refresh.get("total")), docs.get("count"), docs.get("deleted"))

    def info(self) -> dict[str, Any]:
        """For `unioncat status`: backend, cluster URL (no credentials), alias, concrete index, doc count."""
        indices = self._alias_indices()
        return {
            "backend": self.name,
            "url": public_url(self.search_settings.url),
            "alias": self.alias,
            "index": ", ".join(indices),
            "documents": self.count() if indices else 0,
            **self._health(),
        }

    def _health(self) -> dict[str, Any]:
        """The cluster's health, so `unioncat status` can say when a node is lost: yellow means every
        shard still has a copy serving but some replica is unassigned (searches answer in full, one
        more loss may not be survived); red means some documents cannot be searched at all."""
        with self._errors("cluster health"):
            health = self.client.cluster.health()
        return {
            "health": str(health.get("status", "")),
            "nodes": int(health.get("number_of_nodes", 0)),
            "data_nodes": int(health.get("number_of_data_nodes", 0)),
            "unassigned_shards": int(health.get("unassigned_shards", 0)),
            "initializing_shards": int(health.get("initializing_shards", 0)),
        }

    def drop_index(self) -> None:
        """Delete every index behind the alias (and so the alias): for test clusters and `--rebuild` from
        scratch by hand. Not part of the `SearchBackend` protocol on purpose: nothing routine calls it."""
        for index in self._alias_indices():
            with self._errors(f"delete index {index}"):
                self.client.indices.delete(index=index)
        self._alias_ready = False

    def close(self) -> None:
        if self._owns_client:
            self.client.close()

    # -- internals ----------------------------------------------------------------------------------

    def _run(
        self, request: SearchRequest, query: dict[str, Any], relaxed: bool = False, fuzzy: bool = False
    ) -> SearchResults:
        body = search_body(request, query)
        with self._errors("search"):
            try:
                response = self._search_with_retry(body)
            except NotFoundError:
                response = {"hits": {"total": {"value": 0, "relation": "eq"}, "hits": []}}
            except TransportError as exc:
                if exc.status_code == 400:
                    raise QueryError(f"the search engine could not run this query: {_reason(exc)}") from exc
                raise
        return read_results(response, request, relaxed=relaxed, fuzzy=fuzzy)

    def _search_with_retry(self, body: dict[str, Any]) -> dict[str, Any]:
        """One ``_search``, re-run after a pause when the cluster failed on its side (a 5xx or a lost
        connection: a node that left mid-search, e.g. in the fetch phase, which OpenSearch does not move
        to another copy by itself). Searches are reads, so running one again is safe; 4xx never is.

        A search that misses a shard (every copy of it lost) is an error, never a silently shorter
        result list (``allow_partial_search_results=False``): the patron would be told "not held"
        when we do not know."""
        for pause in (*SEARCH_RETRY_PAUSES, None):
            try:
                return dict(self.client.search(index=self.alias, body=body, allow_partial_search_results=False))
            except TransportError as exc:
                if pause is None or not _transient(exc):
                    raise
                log.warning("search failed on the cluster's side (%s); retrying in %.1f s", _reason(exc), pause)
                time.sleep(pause)
        raise AssertionError("unreachable")  # the last pass either returns or raises

    def _write(self, actions: Iterable[dict[str, Any]]) -> int:
        try:
            sent, errors = write_actions(self.client, actions, self.bulk)
        except TransportError as exc:
            where = public_url(self.search_settings.url)
            raise BackendError(f"OpenSearch at {where}: bulk write failed: {exc}") from exc
        if errors:
            raise IndexingError(errors, sent)
        return sent

    def _alias_indices(self) -> list[str]:
        """The concrete indices behind the alias, sorted; [] when the alias does not exist yet."""
        with self._errors(f"look up alias {self.alias}"):
            try:
                found = self.client.indices.get_alias(name=self.alias)
            except NotFoundError:
                return []
        return sorted(found)

    def _ensure_alias(self) -> None:
        if self._alias_ready:
            return
        if not self._alias_indices():
            first = f"{self.alias}-{self._clock():%Y%m%d%H%M%S%f}"
            body = index_body(self.search_settings.shards, self.search_settings.replicas)
            body["aliases"] = {self.alias: {}}
            with self._errors(f"create index {first} with alias {self.alias}"):
                self.client.indices.create(index=first, body=body)
        self._alias_ready = True

    def _drop_failed_build(self, index: str) -> None:
        try:
            self.client.indices.delete(index=index)
            log.warning("rebuild failed; deleted the half-built index %s, %s still serves", index, self.alias)
        except TransportError as exc:
            log.error("rebuild failed and the half-built index %s could not be deleted: %s", index, exc)

    def _errors(self, action: str) -> _Translate:
        return _Translate(f"OpenSearch at {public_url(self.search_settings.url)}: {action}")


class _Translate:
    """Turns opensearch-py's exceptions into `BackendError` naming the cluster and what was being done."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, OSConnectionError):
            raise BackendError(f"{self.what} failed: cannot connect ({exc.error})") from exc
        if isinstance(exc, TransportError):
            raise BackendError(f"{self.what} failed: {exc.status_code} {_reason(exc)}") from exc


def _transient(exc: TransportError) -> bool:
    """A failure of the cluster rather than of the request: worth one more try of a read."""
    if isinstance(exc, OSConnectionError):
        return True
    return isinstance(exc.status_code, int) and exc.status_code >= 500


def _reason(exc: TransportError) -> str:
    """The error type and reason OpenSearch gave (its JSON error body), else the exception text."""
    info = exc.info
    if isinstance(info, dict):
        error = info.get("error")
        if isinstance(error, dict):
            text = f"{error.get('type', '')}: {error.get('reason', '')}".strip(": ")
            causes = error.get("root_cause") or [{}]
            cause = causes[0] if isinstance(causes[0], dict) else {}
            if cause.get("type") and cause.get("type") != error.get("type"):
                text += f" ({cause['type']}: {cause.get('reason', '')})"
            return text
        if error:
            return str(error)
    return str(exc.error)
