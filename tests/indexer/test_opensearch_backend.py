"""Unit tests of the OpenSearch backend: the request bodies it builds, and what a live node will not
produce on demand.

The live engine is tested elsewhere: tests/indexer/test_backend_contract.py (the same behaviour as the
embedded engine), test_opensearch_live.py (mapping, analyzers, a rejected document, the alias swap) and
test_opensearch_cluster.py (a lost node), all against real OpenSearch nodes from tests/opensearch_node/.

Here the client is MOCKED, for what a real node cannot be made to do at will: answer 429 (write queue
full) until the back-off gives up, fail a whole ``_bulk`` request (413, dropped connection), refuse the
alias swap or the deletion of an old index, never become ready after a rebuild. `FakeOpenSearch` stands
in for the `opensearchpy.OpenSearch` client object only. It records every call and answers with the
response and error shapes a real cluster sends (bulk responses with per-item errors, 404
``index_not_found_exception``, ``aliases_not_found_exception``, search responses with aggregations) and
raises opensearch-py's own exception classes. Everything above the client is real: opensearch-py's bulk
helpers (chunking, the 429 retry loop), the mapping, the query translation, the fallbacks, the swap.
"""

from __future__ import annotations

import inspect
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from opensearchpy import OpenSearch
from opensearchpy.client.utils import GLOBAL_PARAMS
from opensearchpy.exceptions import ConnectionError as OSConnectionError
from opensearchpy.exceptions import NotFoundError, RequestError, TransportError
from opensearchpy.helpers import actions as bulk_helpers
from opensearchpy.serializer import JSONSerializer

from harvester.settings import SearchSettings, load_settings
from indexer.errors import BackendError, QueryError
from indexer.search.backends.base import FacetCount, SearchHit, SearchRequest
from indexer.search.backends.opensearch.backend import OpenSearchBackend, make_client
from indexer.search.backends.opensearch.bulk import BulkOptions, DocumentError, IndexingError
from indexer.search.backends.opensearch.mapping import index_body, prepare_document, stored_document
from indexer.search.backends.opensearch.query import translate
from indexer.search.backends.opensearch.search import read_results, search_body
from indexer.search.query import Bool, IdentifierMatch, Phrase, Prefix, Term, YearRange

ROOT = Path(__file__).resolve().parents[2]
STAMP = datetime(2026, 11, 24, 11, 30, 0, 123456, tzinfo=UTC)
NEW_INDEX = "unioncat-20261124113000123456"
OLD_INDEX = "unioncat-20261001080000000000"

# ------------------------------------------------------------------ real response and error shapes


def index_not_found(name: str) -> NotFoundError:
    """``GET /missing/_search`` → 404 (OpenSearch docs, "Index APIs" error example)."""
    cause = {
        "type": "index_not_found_exception",
        "reason": f"no such index [{name}]",
        "index": name,
        "resource.id": name,
        "resource.type": "index_or_alias",
        "index_uuid": "_na_",
    }
    return NotFoundError(
        404, "index_not_found_exception", {"error": {"root_cause": [cause], **cause}, "status": 404}
    )


def alias_missing(name: str) -> NotFoundError:
    """``GET /_alias/<name>`` for an alias that does not exist: a bare string error."""
    return NotFoundError(404, f"alias [{name}] missing", {"error": f"alias [{name}] missing", "status": 404})


def aliases_not_found(name: str) -> NotFoundError:
    """``POST /_aliases`` removing an alias that is not on that index."""
    cause = {
        "type": "aliases_not_found_exception",
        "reason": f"aliases [{name}] missing",
        "resource.type": "aliases",
        "resource.id": name,
    }
    return NotFoundError(
        404, "aliases_not_found_exception", {"error": {"root_cause": [cause], **cause}, "status": 404}
    )


def already_exists(name: str) -> RequestError:
    cause = {
        "type": "resource_already_exists_exception",
        "reason": f"index [{name}/Xq2bsYkQRYqNPw7DSpL3Gg] already exists",
        "index_uuid": "Xq2bsYkQRYqNPw7DSpL3Gg",
        "index": name,
    }
    return RequestError(
        400, "resource_already_exists_exception", {"error": {"root_cause": [cause], **cause}, "status": 400}
    )


def rejected(op: str, index: str, doc_id: str) -> dict[str, Any]:
    """A bulk item refused because the write queue is full (429)."""
    reason = (
        "rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, "
        "all_bytes=0, coordinating_operation_bytes=1024, max_coordinating_and_primary_bytes=53687091]"
    )
    error = {"type": "rejected_execution_exception", "reason": reason}
    return {op: {"_index": index, "_id": doc_id, "status": 429, "error": error}}


IMMENSE = (
    'Document contains at least one immense term in field="title_sort" (whose UTF8 encoding is longer '
    "than the max length 32766), all of which were skipped.  Please correct the analyzer to not produce "
    "such terms."
)


TOO_LONG = "bytes can be at most 32766 in length; got 40000"


def immense_term(op: str, index: str, doc_id: str) -> dict[str, Any]:
    """A bulk item refused for its content (400), with the nested cause OpenSearch reports."""
    error = {
        "type": "illegal_argument_exception",
        "reason": IMMENSE,
        "caused_by": {
            "type": "max_bytes_length_exceeded_exception",
            "reason": TOO_LONG,
        },
    }
    return {op: {"_index": index, "_id": doc_id, "status": 400, "error": error}}


def search_response(
    hits: list[tuple[str, float, dict[str, Any]]], total: int, aggs: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "took": 6,
        "timed_out": False,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {
            "total": {"value": total, "relation": "eq"},
            "max_score": max((s for _, s, _ in hits), default=None),
            "hits": [
                {
                    "_index": NEW_INDEX,
                    "_id": doc_id,
                    "_score": score,
                    "_source": source,
                    "sort": [score, doc_id],
                }
                for doc_id, score, source in hits
            ],
        },
        "aggregations": aggs or {},
    }


def buckets(doc_count: int, *pairs: tuple[str, int]) -> dict[str, Any]:
    """A filter aggregation wrapping a terms aggregation, as `search_body` asks for them."""
    return {
        "doc_count": doc_count,
        "values": {
            "doc_count_error_upper_bound": 0,
            "sum_other_doc_count": 0,
            "buckets": [{"key": key, "doc_count": count} for key, count in pairs],
        },
    }


EMPTY = search_response([], 0)

# ------------------------------------------------------------------ the one seam

REAL_CLIENT = OpenSearch(hosts=["http://localhost:9200"])  # never connects: used to read its API


def accepted_arguments(call: str) -> set[str]:
    """The keyword arguments opensearch-py's real method accepts: its own plus its URL parameters
    (listed in its ``@query_params`` decorator), so the fake refuses what the real client would."""
    method: Any = REAL_CLIENT
    for part in call.split("."):
        method = getattr(method, part)
    names = {name for name in inspect.signature(method).parameters if name not in ("params", "headers")}
    for cell in method.__func__.__closure__ or ():
        if isinstance(cell.cell_contents, tuple):
            names |= set(cell.cell_contents)
    return names | set(GLOBAL_PARAMS) | {"ignore", "request_timeout", "timeout", "opaque_id"}


class FakeIndices:
    def __init__(self, cluster: FakeOpenSearch) -> None:
        self.c = cluster

    def create(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        self.c.record("indices.create", index=index, body=body)
        if index in self.c.written:
            raise already_exists(index)
        self.c.written[index], self.c.visible[index] = {}, {}
        for alias in body.get("aliases", {}):
            self.c.aliases.setdefault(alias, set()).add(index)
        return {"acknowledged": True, "shards_acknowledged": True, "index": index}

    def delete(self, index: str) -> dict[str, Any]:
        self.c.record("indices.delete", index=index)
        if self.c.fail_delete:
            raise self.c.fail_delete
        if index not in self.c.written:
            raise index_not_found(index)
        del self.c.written[index], self.c.visible[index]
        for members in self.c.aliases.values():
            members.discard(index)
        return {"acknowledged": True}

    def get_alias(self, name: str) -> dict[str, Any]:
        self.c.record("indices.get_alias", name=name)
        members = self.c.aliases.get(name)
        if not members:
            raise alias_missing(name)
        return {index: {"aliases": {name: {}}} for index in sorted(members)}

    def update_aliases(self, body: dict[str, Any]) -> dict[str, Any]:
        self.c.record("indices.update_aliases", body=body)
        if self.c.fail_alias_update:
            raise self.c.fail_alias_update
        for action in body["actions"]:  # validate everything first: the request is atomic
            ((kind, spec),) = action.items()
            if spec["index"] not in self.c.written:
                raise index_not_found(spec["index"])
            if kind == "remove" and spec["index"] not in self.c.aliases.get(spec["alias"], set()):
                raise aliases_not_found(spec["alias"])
        for action in body["actions"]:
            ((kind, spec),) = action.items()
            members = self.c.aliases.setdefault(spec["alias"], set())
            (members.add if kind == "add" else members.discard)(spec["index"])
        return {"acknowledged": True}

    def refresh(self, index: str, **params: Any) -> dict[str, Any]:
        self.c.record("indices.refresh", index=index, **params)
        for name in self.c.resolve(index):
            self.c.visible[name] = dict(self.c.written[name])
        return {"_shards": {"total": 1, "successful": 1, "failed": 0}}

    def put_settings(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        self.c.record("indices.put_settings", index=index, body=body)
        return {"acknowledged": True}


class FakeOpenSearch:
    """Stands in for `opensearchpy.OpenSearch`: records calls, keeps indices and aliases in memory,
    replays scripted search responses and injected failures with real OpenSearch shapes."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.written: dict[str, dict[str, dict[str, Any]]] = {}  # index → id → source (latest writes)
        self.visible: dict[str, dict[str, dict[str, Any]]] = {}  # index → id → source (as of refresh)
        self.aliases: dict[str, set[str]] = {}
        self.searches: list[dict[str, Any] | Exception] = []
        self.item_failures: dict[str, list[Any]] = {}  # doc id → per-attempt bulk item makers
        self.bulk_failures: list[Exception] = []  # whole-request failures, one per bulk call
        self.single_failures: dict[str, Exception] = {}  # doc id → error of a one-document request
        self.fail_alias_update: Exception | None = None
        self.fail_delete: Exception | None = None
        self.health = {
            "cluster_name": "unioncat",
            "status": "green",
            "timed_out": False,
            "number_of_nodes": 1,
        }
        self.transport = SimpleNamespace(serializer=JSONSerializer())
        self.indices = FakeIndices(self)
        self.cluster = SimpleNamespace(health=self._health)
        self.closed = False

    def record(self, call: str, **kwargs: Any) -> None:
        unknown = set(kwargs) - accepted_arguments(call)
        assert not unknown, f"opensearch-py's {call}() does not accept {sorted(unknown)}"
        self.calls.append((call, kwargs))

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def bodies(self, name: str) -> list[Any]:
        return [kwargs.get("body") for call, kwargs in self.calls if call == name]

    def resolve(self, name: str) -> list[str]:
        if self.aliases.get(name):
            return sorted(self.aliases[name])
        if name in self.written:
            return [name]
        raise index_not_found(name)

    def _write_target(self, name: str) -> str:
        if name not in self.written and not self.aliases.get(name):
            self.written[name], self.visible[name] = {}, {}  # OpenSearch auto-creates unknown indices
        return self.resolve(name)[0]

    def _health(self, index: str | None = None, wait_for_status: str | None = None, timeout: str | None = None,
                **params: Any) -> dict[str, Any]:
        if index is None:  # `info()` asking how the whole cluster is, for `unioncat status`
            return dict(self.health)
        self.record("cluster.health", index=index, wait_for_status=wait_for_status, timeout=timeout, **params)
        return dict(self.health)

    def bulk(self, body: str, **params: Any) -> dict[str, Any]:
        lines = [json.loads(line) for line in body.splitlines() if line.strip()]
        ops: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = []
        while lines:
            ((op, meta),) = lines.pop(0).items()
            ops.append((op, meta, None if op == "delete" else lines.pop(0)))
        self.record("bulk", body=[(op, meta["_index"], meta["_id"]) for op, meta, _ in ops], **params)
        if self.bulk_failures:
            raise self.bulk_failures.pop(0)
        items = [self._bulk_item(op, meta, source, seq) for seq, (op, meta, source) in enumerate(ops)]
        return {"took": 12, "errors": any("error" in next(iter(i.values())) for i in items), "items": items}

    def _bulk_item(
        self, op: str, meta: dict[str, Any], source: dict[str, Any] | None, seq: int
    ) -> dict[str, Any]:
        doc_id, index = meta["_id"], self._write_target(meta["_index"])
        if self.item_failures.get(doc_id):
            return self.item_failures[doc_id].pop(0)(op, index, doc_id)
        shards = {"total": 1, "successful": 1, "failed": 0}
        done = {
            "_index": index,
            "_id": doc_id,
            "_version": 1,
            "_shards": shards,
            "_seq_no": seq,
            "_primary_term": 1,
        }
        docs = self.written[index]
        if op == "delete":
            found = docs.pop(doc_id, None) is not None
            return {
                "delete": {
                    **done,
                    "result": "deleted" if found else "not_found",
                    "status": 200 if found else 404,
                }
            }
        existed = doc_id in docs
        docs[doc_id] = source or {}
        return {
            op: {**done, "result": "updated" if existed else "created", "status": 200 if existed else 201}
        }

    def index(self, index: str, id: str, body: dict[str, Any]) -> dict[str, Any]:
        self.record("index", index=index, id=id)
        if id in self.single_failures:
            raise self.single_failures[id]
        self.written[self._write_target(index)][id] = body
        return {"_index": index, "_id": id, "_version": 1, "result": "created"}

    def delete(self, index: str, id: str) -> dict[str, Any]:
        self.record("delete", index=index, id=id)
        if self.written[self._write_target(index)].pop(id, None) is None:
            raise NotFoundError(
                404,
                json.dumps({"_index": index, "_id": id, "result": "not_found"}),
                {"_index": index, "_id": id, "result": "not_found"},
            )
        return {"_index": index, "_id": id, "result": "deleted"}

    def search(self, index: str, body: dict[str, Any], **params: Any) -> dict[str, Any]:
        assert params == {"allow_partial_search_results": False}  # a lost shard is an error, not fewer hits
        self.record("search", index=index, body=body)
        self.resolve(index)
        answer = self.searches.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def get(self, index: str, id: str, realtime: bool = True) -> dict[str, Any]:
        self.record("get", index=index, id=id, realtime=realtime)
        name = self.resolve(index)[0]
        docs = self.written[name] if realtime else self.visible[name]
        if id not in docs:
            missing = {"_index": name, "_id": id, "found": False}
            raise NotFoundError(404, json.dumps(missing), missing)
        return {
            "_index": name,
            "_id": id,
            "_version": 1,
            "_seq_no": 0,
            "_primary_term": 1,
            "found": True,
            "_source": docs[id],
        }

    def count(self, index: str) -> dict[str, Any]:
        self.record("count", index=index)
        total = sum(len(self.visible[name]) for name in self.resolve(index))
        return {"count": total, "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0}}

    def close(self) -> None:
        self.closed = True


def doc(doc_id: str, title: str, **fields: Any) -> dict[str, Any]:
    return {"id": doc_id, "title": title, "library": ["Duke University"], "format": ["Book"], **fields}


@pytest.fixture
def fake() -> FakeOpenSearch:
    return FakeOpenSearch()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The back-off pauses opensearch-py's bulk helper takes (recorded instead of slept)."""
    taken: list[float] = []
    monkeypatch.setattr(bulk_helpers.time, "sleep", taken.append)
    return taken


def make_backend(fake: FakeOpenSearch, **search: Any) -> OpenSearchBackend:
    settings = SearchSettings(backend="opensearch", url="http://opensearch:9200", **search)
    return OpenSearchBackend(
        settings, client=fake, bulk=BulkOptions(batch_size=3, initial_backoff=2), clock=lambda: STAMP
    )


def serving(fake: FakeOpenSearch, docs: dict[str, dict[str, Any]], index: str = OLD_INDEX) -> None:
    """A cluster where `index` serves behind the alias ``unioncat``."""
    fake.written[index] = {k: prepare_document(v) for k, v in docs.items()}
    fake.visible[index] = dict(fake.written[index])
    fake.aliases["unioncat"] = {index}


# ------------------------------------------------------------------ mapping


FOLDED_TEXT = {
    "type": "text",
    "analyzer": "unioncat_folded",
    "fields": {"stemmed": {"type": "text", "analyzer": "unioncat_english"}},
}
LISTED_TEXT = {**FOLDED_TEXT, "fielddata": True}
"""A text field whose words "did you mean" lists (terms aggregation on fielddata)."""
FACET = {"type": "keyword", "fields": {"text": {"type": "text", "analyzer": "unioncat_folded"}}}
KEYWORD = {"type": "keyword"}


def test_index_body_maps_every_schema_field_with_the_shared_analysis() -> None:
    assert index_body(shards=3, replicas=1) == {
        "settings": {
            "index": {"number_of_shards": 3, "number_of_replicas": 1, "refresh_interval": "-1"},
            "analysis": {
                "tokenizer": {
                    "unioncat_words": {"type": "pattern", "pattern": "[^\\p{IsAlphabetic}\\p{N}]+"},
                },
                "filter": {
                    "unioncat_short": {"type": "length", "max": 159},
                    "unioncat_stemmer": {"type": "stemmer", "language": "porter2"},
                },
                "analyzer": {
                    "unioncat_folded": {
                        "type": "custom",
                        "tokenizer": "unioncat_words",
                        "filter": ["unioncat_short", "lowercase", "asciifolding"],
                    },
                    "unioncat_english": {
                        "type": "custom",
                        "tokenizer": "unioncat_words",
                        "filter": ["unioncat_short", "lowercase", "asciifolding", "unioncat_stemmer"],
                    },
                },
            },
        },
        "mappings": {
            "dynamic": False,
            "_source": {"excludes": ["cjk", "variants"]},
            "properties": {
                "id": KEYWORD,
                "title": LISTED_TEXT,
                "subtitle": LISTED_TEXT,
                "authors": LISTED_TEXT,
                "subjects": FOLDED_TEXT,
                "publisher": FOLDED_TEXT,
                "series": FOLDED_TEXT,
                "notes": FOLDED_TEXT,
                "cjk": FOLDED_TEXT,
                "variants": FOLDED_TEXT,
                "isbn": KEYWORD,
                "issn": KEYWORD,
                "oclc": KEYWORD,
                "lccn": KEYWORD,
                "other_ids": KEYWORD,
                "year": {"type": "integer"},
                "title_sort": KEYWORD,
                "title_key": KEYWORD,
                "library_count": {"type": "integer"},
                "library": FACET,
                "format": FACET,
                "language": FACET,
                "decade": KEYWORD,
                "subject_facet": KEYWORD,
                "classification": {"type": "keyword"},
                "held_by_count": {"type": "keyword"},
                "held_by": {"type": "keyword"},
                "members": KEYWORD,
                "access": FACET,
                "available_libraries": {"type": "integer"},
                "title_heading": KEYWORD,
                "author_heading": KEYWORD,
                "subject_heading": KEYWORD,
                "callnumber_heading": KEYWORD,
                "heading_prefix": KEYWORD,
                "display": {"type": "object", "enabled": False},
            },
        },
    }


def test_a_rebuild_index_starts_without_replicas() -> None:
    assert index_body(shards=2, replicas=2, building=True)["settings"]["index"] == {
        "number_of_shards": 2,
        "number_of_replicas": 0,
        "refresh_interval": "-1",
    }


def test_config_file_is_the_mapping_the_code_builds() -> None:
    saved = json.loads((ROOT / "config/opensearch/index.json").read_text(encoding="utf-8"))
    assert saved == index_body(), (
        "regenerate: python -m indexer.search.backends.opensearch.mapping > config/opensearch/index.json"
    )


def test_documents_are_sent_with_normalized_identifiers_and_no_empty_values() -> None:
    source = prepare_document(
        doc(
            "c1",
            "Moby Dick",
            isbn=["0-306-40615-2"],
            lccn=["n 78-890351"],
            subtitle="",
            notes=[None, ""],
            year="1851",
            extra="not in the schema",
            display={"title": "Moby Dick"},
        )
    )
    assert source == {
        "id": "c1",
        "title": "Moby Dick",
        "isbn": ["9780306406157"],
        "lccn": ["n78890351"],
        "year": 1851,
        "library": ["Duke University"],
        "format": ["Book"],
        "display": {"title": "Moby Dick"},
    }
    back = stored_document(source)
    assert back["subtitle"] == "" and back["notes"] == [] and back["authors"] == [] and back["decade"] == ""
    assert (
        back["year"] == 1851
        and back["isbn"] == ["9780306406157"]
        and back["display"] == {"title": "Moby Dick"}
    )
    assert stored_document({"id": "c2"})["year"] is None and stored_document({"id": "c2"})["display"] == {}


# ------------------------------------------------------------------ query translation


def test_term_matches_stemmed_text_fields_with_schema_boosts() -> None:
    assert translate(Term("Whales")) == {
        "dis_max": {
            "queries": [
                {"match_phrase": {"title.stemmed": {"query": "Whales", "boost": 5.0}}},
                {"match_phrase": {"subtitle.stemmed": {"query": "Whales", "boost": 3.0}}},
                {"match_phrase": {"authors.stemmed": {"query": "Whales", "boost": 3.0}}},
                {"match_phrase": {"subjects.stemmed": {"query": "Whales", "boost": 2.0}}},
                {"match_phrase": {"publisher.stemmed": {"query": "Whales"}}},
                {"match_phrase": {"series.stemmed": {"query": "Whales"}}},
                {"match_phrase": {"notes.stemmed": {"query": "Whales", "boost": 0.5}}},
                {"constant_score": {"filter": {"match_phrase": {"variants.stemmed": {"query": "Whales"}}},
                                    "boost": 10.0}},  # joined spellings: a constant (analysis.VARIANT_SCORE)
            ],
            "tie_breaker": 0.3,
        }
    }


def test_fielded_term_and_facet_field_term() -> None:
    assert translate(Term("melville", ("authors",))) == {
        "match_phrase": {"authors.stemmed": {"query": "melville", "boost": 3.0}}
    }
    assert translate(Term("book", ("format",))) == {"match_phrase": {"format.text": {"query": "book"}}}
    assert translate(Term("!!!", ("title",))) is None  # analyzes to nothing: no constraint


def test_phrase_prefix_identifier_and_year() -> None:
    assert translate(Phrase("moby dick", ("title",))) == {
        "match_phrase": {"title.stemmed": {"query": "moby dick", "boost": 5.0}}
    }
    assert translate(Prefix("Mélvi", ("authors", "subjects"))) == {
        "dis_max": {
            "queries": [
                {"prefix": {"authors": {"value": "melvi", "boost": 3.0}}},  # the unstemmed folded field
                {"prefix": {"subjects.stemmed": {"value": "melvi", "boost": 2.0}}},  # no unstemmed copy
            ],
            "tie_breaker": 0.3,
        }
    }
    assert translate(Prefix("moby di", ("title",))) == {
        "match_phrase_prefix": {"title": {"query": "moby di", "boost": 5.0}}
    }
    assert translate(IdentifierMatch("isbn", ("0-306-40615-2",))) == {
        "terms": {"isbn": ["9780306406157"], "boost": 10.0}
    }
    assert translate(YearRange(1990, 2000)) == {"range": {"year": {"gte": 1990, "lte": 2000}}}
    assert translate(YearRange(None, 1900)) == {"range": {"year": {"lte": 1900}}}
    assert translate(YearRange()) is None


def test_bool_must_should_and_exclusions() -> None:
    year = YearRange(1851, 1851)
    ranged = {"range": {"year": {"gte": 1851, "lte": 1851}}}
    isbn = IdentifierMatch("isbn", ("9780306406157",))
    terms = {"terms": {"isbn": ["9780306406157"], "boost": 10.0}}
    assert translate(Bool(must=(year, isbn))) == {"bool": {"must": [ranged, terms]}}
    assert translate(Bool(should=(year, isbn))) == {
        "bool": {"should": [ranged, terms], "minimum_should_match": 1}
    }
    assert translate(Bool(must=(year,), should=(isbn,))) == {"bool": {"must": [ranged], "should": [terms]}}
    assert translate(Bool(must_not=(isbn,))) == {"bool": {"must": [{"match_all": {}}], "must_not": [terms]}}
    assert translate(Bool(must=(year,))) == ranged  # one clause needs no bool
    assert translate(Bool()) is None


def test_fuzzy_mode_adds_typo_tolerance_at_half_boost_on_unstemmed_copies() -> None:
    def typo(field: str, value: str, edits: int, boost: float) -> dict[str, Any]:
        options: dict[str, Any] = {"value": value, "fuzziness": edits, "transpositions": True}
        options["rewrite"] = "constant_score"
        if boost != 1.0:
            options["boost"] = boost
        return {"fuzzy": {field: options}}

    authors = {"match_phrase": {"authors.stemmed": {"query": "photografers", "boost": 3.0}}}
    subjects = {"match_phrase": {"subjects.stemmed": {"query": "photografers", "boost": 2.0}}}
    notes = {"match_phrase": {"notes.stemmed": {"query": "photografers", "boost": 0.5}}}
    assert translate(Term("photografers", ("authors", "subjects", "notes")), fuzzy=True) == {
        "dis_max": {
            "queries": [
                # the unstemmed copy, with the word as typed (folded), at half the field's boost
                {"bool": {"should": [authors, typo("authors", "photografers", 2, 1.5)]}},
                # no unstemmed copy: the stemmed terms, with the stemmed word
                {"bool": {"should": [subjects, typo("subjects.stemmed", "photograf", 2, 1.0)]}},
                notes,  # typos are not forgiven in notes (indexer.search.analysis.FUZZY_FIELDS)
            ],
            "tie_breaker": 0.3,
        }
    }
    assert translate(Term("Mellvile", ("authors",)), fuzzy=True) == {
        "bool": {
            "should": [
                {"match_phrase": {"authors.stemmed": {"query": "Mellvile", "boost": 3.0}}},
                typo("authors", "mellvile", 2, 1.5),
            ]
        }
    }
    assert translate(Term("whael", ("title",)), fuzzy=True)["bool"]["should"][1] == typo(
        "title", "whael", 1, 2.5
    )
    short = {"match_phrase": {"title.stemmed": {"query": "ox", "boost": 5.0}}}
    assert translate(Term("ox", ("title",)), fuzzy=True) == short  # two letters: no edits allowed


def test_decomposed_unicode_is_composed_like_the_embedded_engine_does() -> None:
    decomposed = "Mu\u0308ller"  # "Müller" as macOS pastes it
    assert translate(Term(decomposed, ("authors",))) == {
        "match_phrase": {"authors.stemmed": {"query": "M\u00fcller", "boost": 3.0}}
    }
    assert prepare_document(doc("c1", decomposed))["title"] == "M\u00fcller"
    body = search_body(SearchRequest(filters={"library": (decomposed,)}, facets=()), {"match_all": {}})
    assert body["post_filter"] == {"bool": {"filter": [{"terms": {"library": ["M\u00fcller"]}}]}}


# ------------------------------------------------------------------ search bodies


def test_search_body_filters_facets_sort_and_paging() -> None:
    request = SearchRequest(
        text="whale",
        filters={"library": ("NC State University", "Duke University"), "format": ("Book",)},
        year_from=1800,
        year_to=1900,
        facets=("library", "format", "decade", "nonsense"),
        facet_size=5,
        sort="newest",
        page=3,
        per_page=10,
    )
    query = {"match_all": {}}
    library = {"terms": {"library": ["NC State University", "Duke University"]}}
    fmt = {"terms": {"format": ["Book"]}}

    def agg(name: str, scope: dict[str, Any]) -> dict[str, Any]:
        terms = {"field": name, "size": 5, "order": [{"_count": "desc"}, {"_key": "asc"}]}
        return {"filter": scope, "aggs": {"values": {"terms": terms}}}

    assert search_body(request, query) == {
        "query": {"bool": {"must": [query], "filter": [{"range": {"year": {"gte": 1800, "lte": 1900}}}]}},
        "from": 20,
        "size": 10,
        "sort": [
            {"year": {"order": "desc", "missing": "_last"}},
            {"id": {"order": "asc"}},  # equal years: by cluster id, as the embedded engine orders them
        ],
        "track_total_hits": True,
        "post_filter": {"bool": {"filter": [library, fmt]}},
        "aggs": {
            "library": agg("library", {"bool": {"filter": [fmt]}}),  # multi-select: not its own filter
            "format": agg("format", {"bool": {"filter": [library]}}),
            "decade": agg("decade", {"bool": {"filter": [library, fmt]}}),
        },
    }


def test_search_body_caps_paging_and_rejects_bad_sorts_and_filters() -> None:
    deep = search_body(SearchRequest(page=10_000, per_page=500, facets=()), {"match_all": {}})
    assert (deep["from"], deep["size"]) == (49 * 100, 100)
    assert "aggs" not in deep and "post_filter" not in deep
    assert search_body(SearchRequest(sort="title", facets=()), {"match_all": {}})["sort"] == [
        {"title_sort": {"order": "asc", "missing": "_last"}},
        {"id": {"order": "asc"}},
    ]
    with pytest.raises(QueryError, match="unknown sort"):
        search_body(SearchRequest(sort="random"), {"match_all": {}})
    with pytest.raises(QueryError, match="cannot filter on 'title'"):
        search_body(SearchRequest(filters={"title": ("x",)}), {"match_all": {}})


def test_read_results_from_a_search_response_with_aggregations() -> None:
    source = {"id": "c-moby", "title": "Moby Dick", "year": 1851, "library": ["Duke University"]}
    response = search_response(
        [("c-moby", 12.5, source)],
        total=41,
        aggs={
            "library": buckets(41, ("Duke University", 30), ("NC State University", 11)),
            "decade": buckets(41, ("", 3), ("1850s", 2)),
        },
    )
    results = read_results(
        response, SearchRequest(text="moby", facets=("library", "decade", "format"), page=2, per_page=1)
    )
    assert results.total == 41 and (results.page, results.per_page) == (2, 1)
    assert results.hits == [SearchHit(id="c-moby", score=12.5, doc=stored_document(source))]
    assert results.facets == {
        "library": [FacetCount("Duke University", 30), FacetCount("NC State University", 11)],
        "decade": [FacetCount("1850s", 2)],  # documents without a decade are not a facet value
        "format": [],
    }


# ------------------------------------------------------------------ searching: fallbacks and errors


def test_and_query_that_finds_something_is_one_request(fake: FakeOpenSearch) -> None:
    serving(fake, {})
    fake.searches = [search_response([("c-moby", 3.0, {"id": "c-moby", "title": "Moby Dick"})], 1)]
    results = make_backend(fake).search(SearchRequest(text="moby dick", facets=()))
    assert [h.id for h in results.hits] == ["c-moby"] and not results.relaxed and not results.fuzzy
    assert fake.names().count("search") == 1
    assert fake.calls[-1][1]["index"] == "unioncat"  # searches always go through the alias


def test_fallbacks_run_in_the_embedded_engines_order(fake: FakeOpenSearch) -> None:
    serving(fake, {})
    found = search_response([("c-moby", 1.0, {"id": "c-moby"})], 1)
    fake.searches = [EMPTY, EMPTY, EMPTY, found]  # AND, AND+fuzzy, OR, OR+fuzzy
    results = make_backend(fake).search(SearchRequest(text="mobby dikc", facets=()))
    assert results.total == 1 and results.relaxed and results.fuzzy
    queries = [body["query"] for body in fake.bodies("search")]
    assert "must" in queries[0]["bool"] and "fuzzy" not in json.dumps(queries[0])
    assert "must" in queries[1]["bool"] and "fuzzy" in json.dumps(queries[1])
    assert "should" in queries[2]["bool"] and "fuzzy" not in json.dumps(queries[2])
    either = queries[2]["bool"]["must"][0]["bool"]  # OR over the words; the exact-title bonus stays optional
    assert either["minimum_should_match"] == 1 and "minimum_should_match" not in queries[2]["bool"]
    assert "should" in queries[3]["bool"] and "fuzzy" in json.dumps(queries[3])


def test_or_fallback_is_flagged_relaxed_only(fake: FakeOpenSearch) -> None:
    serving(fake, {})
    fake.searches = [EMPTY, EMPTY, search_response([("c-moby", 1.0, {"id": "c-moby"})], 1)]
    results = make_backend(fake).search(SearchRequest(text="moby xylophone", facets=()))
    assert results.relaxed and not results.fuzzy and fake.names().count("search") == 3


def test_single_word_typo_goes_straight_to_fuzzy_and_nothing_found_has_no_flags(fake: FakeOpenSearch) -> None:
    serving(fake, {})
    fake.searches = [EMPTY, search_response([("c-moby", 1.0, {"id": "c-moby"})], 1)]
    assert make_backend(fake).search(SearchRequest(text="melvile", facets=())).fuzzy
    fake.searches = [EMPTY, EMPTY]
    nothing = make_backend(fake).search(SearchRequest(text="qqqqzzzz", facets=()))
    assert nothing.total == 0 and not nothing.fuzzy and not nothing.relaxed
    fake.searches = [EMPTY]
    assert make_backend(fake).search(SearchRequest(text="", facets=())).total == 0  # browse: no fallback
    assert fake.names().count("search") == 5


def test_search_before_anything_is_indexed_is_empty(fake: FakeOpenSearch) -> None:
    results = make_backend(fake).search(SearchRequest(text="moby"))
    assert results.total == 0 and results.hits == [] and results.facets["library"] == []


def test_engine_errors_become_backend_and_query_errors(fake: FakeOpenSearch, sleeps: list[float]) -> None:
    serving(fake, {})
    cause = {
        "type": "too_many_nested_clauses",
        "reason": "Query contains too many nested clauses; maxClauseCount is set to 1024",
    }
    body = {
        "error": {
            "root_cause": [cause],
            "type": "search_phase_execution_exception",
            "reason": "all shards failed",
            "phase": "query",
            "grouped": True,
        },
        "status": 400,
    }
    fake.searches = [RequestError(400, "search_phase_execution_exception", body)]
    with pytest.raises(QueryError, match=r"all shards failed \(too_many_nested_clauses: Query contains"):
        make_backend(fake).search(SearchRequest(text="moby"))
    assert sleeps == []  # a 400 is the query's fault: never re-run
    fake.searches = [OSConnectionError("N/A", "Connection refused", OSError(111, "Connection refused"))] * 3
    with pytest.raises(
        BackendError, match=r"OpenSearch at http://opensearch:9200: search failed: cannot connect"
    ):
        make_backend(fake).search(SearchRequest(text="moby"))
    assert sleeps == [0.2, 1.0]  # re-run twice, then given up


def test_search_the_cluster_failed_midway_is_run_again(fake: FakeOpenSearch, sleeps: list[float]) -> None:
    """A node that leaves during the fetch phase fails the search with a 500 (seen on the live three-node
    cluster; OpenSearch does not move a fetch to another copy). A fake is needed to make it happen on
    demand: the backend runs the search again and the patron sees the full answer."""
    serving(fake, {})
    lost = {
        "error": {
            "root_cause": [{"type": "node_disconnected_exception",
                            "reason": "[opensearch-2][127.0.0.1:41413][indices:data/read/search[phase/fetch/id]] "
                                      "disconnected"}],
            "type": "search_phase_execution_exception",
            "reason": "all shards failed",
        },
        "status": 500,
    }
    fake.searches = [TransportError(500, "search_phase_execution_exception", lost),
                     search_response([("c1", 1.0, {"id": "c1", "title": "Moby Dick"})], 1)]
    results = make_backend(fake).search(SearchRequest(text="moby", facets=()))
    assert [hit.id for hit in results.hits] == ["c1"] and sleeps == [0.2]


# ------------------------------------------------------------------ writing


def test_first_write_creates_a_versioned_index_behind_the_alias(fake: FakeOpenSearch) -> None:
    backend = make_backend(fake, shards=2, replicas=1)
    assert backend.index([doc("c1", "Moby Dick")]) == 1
    create = fake.calls[1]
    assert create == (
        "indices.create",
        {"index": NEW_INDEX, "body": {**index_body(2, 1), "aliases": {"unioncat": {}}}},
    )
    assert fake.bodies("bulk") == [[("index", "unioncat", "c1")]]  # writes go through the alias
    assert set(fake.written) == {NEW_INDEX}  # never an index auto-created under the alias name


def test_index_is_batched_and_replaces_by_id(fake: FakeOpenSearch) -> None:
    serving(fake, {"c1": doc("c1", "Old title")})
    backend = make_backend(fake)
    docs = [doc(f"c{i}", f"Title {i}") for i in range(1, 8)]
    assert backend.index(docs) == 7
    assert [len(b) for b in fake.bodies("bulk")] == [3, 3, 1]  # bounded batches (batch_size=3)
    assert fake.written[OLD_INDEX]["c1"]["title"] == "Title 1"
    assert "indices.create" not in fake.names()


def test_commit_refreshes_and_get_reads_only_committed_state(fake: FakeOpenSearch) -> None:
    serving(fake, {"c1": doc("c1", "Moby Dick")})
    backend = make_backend(fake)
    backend.delete(["c1"])
    assert backend.get("c1") is not None  # not visible before commit, as in the embedded engine
    backend.commit()
    assert ("indices.refresh", {"index": "unioncat"}) in fake.calls
    assert backend.get("c1") is None and backend.count() == 0


def test_delete_of_an_unknown_id_is_not_an_error(fake: FakeOpenSearch) -> None:
    serving(fake, {"c1": doc("c1", "Moby Dick")})
    assert make_backend(fake).delete(["c1", "c-never-indexed"]) == 2
    assert fake.bodies("bulk") == [[("delete", "unioncat", "c1"), ("delete", "unioncat", "c-never-indexed")]]


def test_429_rejections_are_retried_with_backoff(fake: FakeOpenSearch, sleeps: list[float]) -> None:
    serving(fake, {})
    fake.item_failures = {"c2": [rejected, rejected]}
    assert make_backend(fake).index([doc("c1", "A"), doc("c2", "B"), doc("c3", "C")]) == 3
    assert fake.bodies("bulk") == [
        [("index", "unioncat", "c1"), ("index", "unioncat", "c2"), ("index", "unioncat", "c3")],
        [("index", "unioncat", "c2")],  # only the rejected document is resent
        [("index", "unioncat", "c2")],
    ]
    assert sleeps == [2, 4]  # exponential back-off
    assert set(fake.written[OLD_INDEX]) == {"c1", "c2", "c3"}


def test_429_that_never_clears_names_the_document(fake: FakeOpenSearch, sleeps: list[float]) -> None:
    serving(fake, {})
    fake.item_failures = {"c2": [rejected] * 10}
    backend = OpenSearchBackend(
        SearchSettings(backend="opensearch"), client=fake, bulk=BulkOptions(max_retries=2, initial_backoff=1)
    )
    with pytest.raises(IndexingError) as caught:
        backend.index([doc("c1", "A"), doc("c2", "B")])
    assert [(e.doc_id, e.status, e.type) for e in caught.value.errors] == [
        ("c2", 429, "rejected_execution_exception")
    ]
    assert sleeps == [1, 2] and "c1" in fake.written[OLD_INDEX]


def test_per_document_errors_are_reported_and_the_rest_indexed(
    fake: FakeOpenSearch, caplog: pytest.LogCaptureFixture
) -> None:
    serving(fake, {})
    fake.item_failures = {"c-bad": [immense_term]}
    docs = [
        doc("c1", "A"),
        doc("c-bad", "B"),
        doc("c-year", "C", year="MDCCCLI"),
        {"title": "no id"},
        doc("c3", "D"),
    ]
    with caplog.at_level(logging.ERROR), pytest.raises(IndexingError) as caught:
        make_backend(fake).index(docs)
    errors = caught.value.errors
    assert caught.value.sent == 5 and set(fake.written[OLD_INDEX]) == {"c1", "c3"}
    assert errors == [
        DocumentError(
            "c-year", "index", 400, "invalid_document", "invalid literal for int() with base 10: 'MDCCCLI'"
        ),
        DocumentError(
            "c-bad",
            "index",
            400,
            "illegal_argument_exception",
            f"{IMMENSE} (caused by max_bytes_length_exceeded_exception: {TOO_LONG})",
        ),
        DocumentError("", "index", 400, "missing_id", "document has no id"),
    ]
    assert "3 of 5 documents failed in OpenSearch" in str(caught.value)
    assert "c-bad" in caplog.text and "c-year" in caplog.text


def test_failed_bulk_request_is_resent_one_document_at_a_time(fake: FakeOpenSearch) -> None:
    serving(fake, {})
    fake.bulk_failures = [TransportError(413, "", "")]  # request body too large for the cluster
    mapper = {
        "type": "mapper_parsing_exception",
        "reason": "failed to parse field [year] of type [integer] in document with id 'c2'",
    }
    fake.single_failures = {
        "c2": RequestError(
            400, "mapper_parsing_exception", {"error": {"root_cause": [mapper], **mapper}, "status": 400}
        )
    }
    with pytest.raises(IndexingError) as caught:
        make_backend(fake).index([doc("c1", "A"), doc("c2", "B"), doc("c3", "C")])
    assert [name for name in fake.names() if name in ("bulk", "index")] == ["bulk", "index", "index", "index"]
    assert [(e.doc_id, e.type) for e in caught.value.errors] == [("c2", "mapper_parsing_exception")]
    assert set(fake.written[OLD_INDEX]) == {"c1", "c3"}


def test_unreachable_cluster_is_a_backend_error_not_a_document_error(fake: FakeOpenSearch) -> None:
    serving(fake, {})
    fake.bulk_failures = [OSConnectionError("N/A", "Connection refused", OSError(111, "Connection refused"))]
    with pytest.raises(BackendError, match="bulk request failed") as caught:
        make_backend(fake).index([doc("c1", "A")])
    assert not isinstance(caught.value, IndexingError) and "index" not in fake.names()


# ------------------------------------------------------------------ zero-downtime rebuild


def test_rebuild_fills_a_new_index_then_swaps_the_alias_atomically(fake: FakeOpenSearch) -> None:
    serving(fake, {"c-old": doc("c-old", "Old")})
    backend = make_backend(fake, shards=2, replicas=1)
    assert backend.rebuild(iter([doc("c1", "A"), doc("c2", "B")])) == 2
    assert fake.calls[0] == ("indices.create", {"index": NEW_INDEX, "body": index_body(2, 1, building=True)})
    assert fake.bodies("bulk") == [[("index", NEW_INDEX, "c1"), ("index", NEW_INDEX, "c2")]]
    assert fake.bodies("indices.put_settings") == [{"index": {"number_of_replicas": 1}}]
    assert fake.bodies("indices.update_aliases") == [
        {
            "actions": [
                {"add": {"index": NEW_INDEX, "alias": "unioncat"}},
                {"remove": {"index": OLD_INDEX, "alias": "unioncat"}},
            ]
        }
    ]
    swap = fake.names().index("indices.update_aliases")
    assert fake.names()[swap - 3 : swap - 1] == [
        "indices.refresh",
        "cluster.health",
    ]  # ready before it serves
    assert fake.calls[-1] == (
        "indices.delete",
        {"index": OLD_INDEX},
    )  # the old index goes only after the swap
    assert fake.aliases["unioncat"] == {NEW_INDEX} and set(fake.visible[NEW_INDEX]) == {"c1", "c2"}


def test_failed_rebuild_deletes_the_half_built_index_and_the_old_one_keeps_serving(
    fake: FakeOpenSearch,
) -> None:
    serving(fake, {"c-old": doc("c-old", "Old")})
    fake.item_failures = {"c2": [immense_term]}
    backend = make_backend(fake)
    with pytest.raises(IndexingError):
        backend.rebuild(iter([doc("c1", "A"), doc("c2", "B")]))
    assert "indices.update_aliases" not in fake.names()
    assert fake.calls[-1] == ("indices.delete", {"index": NEW_INDEX})
    assert fake.aliases["unioncat"] == {OLD_INDEX} and set(fake.written) == {OLD_INDEX}
    assert backend.get("c-old") is not None and backend.count() == 1


def test_rebuild_whose_source_fails_midway_or_whose_swap_fails_leaves_the_old_index(
    fake: FakeOpenSearch,
) -> None:
    serving(fake, {"c-old": doc("c-old", "Old")})

    def broken() -> Any:
        yield doc("c1", "A")
        raise RuntimeError("record store went away")

    with pytest.raises(RuntimeError, match="record store"):
        make_backend(fake).rebuild(broken())
    assert fake.aliases["unioncat"] == {OLD_INDEX} and set(fake.written) == {OLD_INDEX}
    fake.fail_alias_update = aliases_not_found("unioncat")
    with pytest.raises(BackendError, match="move alias unioncat to .*aliases_not_found_exception"):
        make_backend(fake).rebuild(iter([doc("c1", "A")]))
    assert fake.aliases["unioncat"] == {OLD_INDEX} and set(fake.written) == {OLD_INDEX}


def test_first_rebuild_on_an_empty_cluster_just_adds_the_alias(fake: FakeOpenSearch) -> None:
    assert make_backend(fake).rebuild(iter([doc("c1", "A")])) == 1
    assert fake.bodies("indices.update_aliases") == [
        {"actions": [{"add": {"index": NEW_INDEX, "alias": "unioncat"}}]}
    ]
    assert "indices.delete" not in fake.names()


def test_old_index_that_cannot_be_deleted_does_not_undo_the_swap(
    fake: FakeOpenSearch, caplog: pytest.LogCaptureFixture
) -> None:
    serving(fake, {"c-old": doc("c-old", "Old")})
    fake.fail_delete = index_not_found(OLD_INDEX)
    with caplog.at_level(logging.WARNING):
        make_backend(fake).rebuild(iter([doc("c1", "A")]))
    assert fake.aliases["unioncat"] == {NEW_INDEX} and "could not delete the old index" in caplog.text


def test_rebuilt_index_that_never_becomes_ready_is_not_swapped_in(fake: FakeOpenSearch) -> None:
    serving(fake, {"c-old": doc("c-old", "Old")})
    fake.health = {
        "cluster_name": "unioncat",
        "status": "red",
        "timed_out": True,
        "number_of_nodes": 1,
        "active_primary_shards": 0,
        "unassigned_shards": 1,
    }
    with pytest.raises(BackendError, match=r"did not become ready \(status 'red' after 60s\)"):
        make_backend(fake).rebuild(iter([doc("c1", "A")]))
    assert "indices.update_aliases" not in fake.names()
    assert fake.aliases["unioncat"] == {OLD_INDEX} and set(fake.written) == {OLD_INDEX}


# ------------------------------------------------------------------ info, get, count, client


def test_info_names_backend_alias_index_and_count(fake: FakeOpenSearch) -> None:
    settings = SearchSettings(
        backend="opensearch",
        url="https://search.example.org:9200",
        username="unioncat",
        password="s3cret",
        index_prefix="consortium",
    )
    backend = OpenSearchBackend(settings, client=fake)
    assert backend.info() == {
        "backend": "opensearch",
        "url": "https://search.example.org:9200",
        "alias": "consortium",
        "index": "",
        "documents": 0,
        "health": "green",
        "nodes": 1,
        "data_nodes": 0,
        "unassigned_shards": 0,
        "initializing_shards": 0,
    }
    fake.written["consortium-1"] = fake.visible["consortium-1"] = {"c1": {"id": "c1"}, "c2": {"id": "c2"}}
    fake.aliases["consortium"] = {"consortium-1"}
    assert backend.info() == {
        "backend": "opensearch",
        "url": "https://search.example.org:9200",
        "alias": "consortium",
        "index": "consortium-1",
        "documents": 2,
        "health": "green",
        "nodes": 1,
        "data_nodes": 0,
        "unassigned_shards": 0,
        "initializing_shards": 0,
    }
    assert "s3cret" not in json.dumps(backend.info())
    in_url = OpenSearchBackend(
        SearchSettings(backend="opensearch", url="https://bot:s3cret@os.example.org:9200"), client=fake
    )
    assert in_url.info()["url"] == "https://os.example.org:9200"
    several = "https://bot:s3cret@os1.example.org:9200, https://bot:s3cret@os2.example.org:9200"
    assert OpenSearchBackend(SearchSettings(backend="opensearch", url=several), client=fake).info()["url"] == (
        "https://os1.example.org:9200, https://os2.example.org:9200"
    )


def test_get_count_and_drop_index(fake: FakeOpenSearch) -> None:
    backend = make_backend(fake)
    assert backend.get("c1") is None and backend.count() == 0  # no index yet
    serving(fake, {"c1": doc("c1", "Moby Dick", year=1851)})
    found = backend.get("c1")
    assert (
        found is not None
        and found["title"] == "Moby Dick"
        and found["year"] == 1851
        and found["authors"] == []
    )
    assert ("get", {"index": "unioncat", "id": "c1", "realtime": False}) in fake.calls
    assert backend.get("c-missing") is None
    backend.drop_index()
    assert fake.written == {} and backend.count() == 0


def test_client_is_built_from_the_search_settings() -> None:
    settings = SearchSettings(
        backend="opensearch",
        url="https://search.example.org:9443",
        username="unioncat",
        password="s3cret",
        verify_certs=True,
        ca_certs="/etc/ssl/certs/ca-certificates.crt",
    )
    client = make_client(settings)
    assert isinstance(client, OpenSearch)
    assert client.transport.hosts == [{"host": "search.example.org", "port": 9443, "use_ssl": True}]
    connection = client.transport.get_connection()
    assert connection.host == "https://search.example.org:9443" and connection.use_ssl
    assert connection.headers["authorization"] == "Basic dW5pb25jYXQ6czNjcmV0"
    assert connection.pool.ca_certs == "/etc/ssl/certs/ca-certificates.crt"
    assert connection.pool.cert_reqs == "CERT_REQUIRED"
    plain = make_client(
        SearchSettings(backend="opensearch", url="http://localhost:9200")
    ).transport.get_connection()
    assert plain.host == "http://localhost:9200" and "authorization" not in plain.headers
    backend = OpenSearchBackend(SearchSettings(backend="opensearch"))
    backend.close()  # closes the client it made itself


# ------------------------------------------------------------------ deployment files


def test_opensearch_config_loads_and_points_at_the_samples() -> None:
    settings = load_settings(ROOT / "config/unioncat.opensearch.toml")
    assert settings.search.backend == "opensearch" and settings.search.url == "http://opensearch:9200"
    default = load_settings(ROOT / "config/unioncat.toml")
    assert [(s.id, s.library, s.holdings) for s in settings.sources] == [
        (s.id, s.library, s.holdings) for s in default.sources
    ]
    for source in settings.sources:
        assert source.path is not None and source.path.is_relative_to(ROOT / "samples")


def test_docker_compose_file_parses() -> None:
    yaml = pytest.importorskip("yaml", reason="pyyaml is not installed (not a unioncat dependency)")
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"opensearch", "dashboards", "unioncat"}
    assert services["opensearch"]["environment"]["DISABLE_SECURITY_PLUGIN"] == "true"
    assert services["dashboards"]["profiles"] == ["dashboards"]
    assert services["unioncat"]["depends_on"]["opensearch"]["condition"] == "service_healthy"
    assert services["unioncat"]["environment"]["UNIONCAT_CONFIG"] == "/app/config/unioncat.opensearch.toml"
    assert "8000:8000" in services["unioncat"]["ports"]


# ------------------------------------------------------------------ agreement with the rest of unioncat


def test_open_backend_builds_the_opensearch_backend_from_the_config(tmp_path: Path) -> None:
    from harvester.settings import Settings
    from indexer.search.backends import open_backend

    search = SearchSettings(backend="opensearch", url="http://localhost:9200", index_prefix="consortium")
    backend = open_backend(Settings(tmp_path / "unioncat.toml", tmp_path, (), search))
    assert isinstance(backend, OpenSearchBackend) and backend.alias == "consortium"
    backend.close()  # building the client does not connect: nothing to reach here


def test_page_size_cap_agrees_with_the_embedded_engine() -> None:
    from indexer.search.backends import embedded
    from indexer.search.backends.opensearch import search as opensearch_search

    assert opensearch_search.MAX_PER_PAGE == embedded.MAX_PER_PAGE


def test_several_urls_make_one_client_that_knows_every_node() -> None:
    """A comma-separated `url` lists the cluster's nodes: the client fails over among them (the live
    three-node test, test_opensearch_cluster.py, shows no search lost when one stops)."""
    client = make_client(SearchSettings(backend="opensearch", url="http://127.0.0.1:9201, http://127.0.0.1:9202,"))
    try:
        hosts = [conn.host for conn in client.transport.connection_pool.connections]
    finally:
        client.close()
    assert sorted(hosts) == ["http://127.0.0.1:9201", "http://127.0.0.1:9202"]  # the pool shuffles them
