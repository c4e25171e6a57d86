"""What only a live OpenSearch can show: it took the index definition as written, its analyzers make
the embedded engine's terms, it refuses a bad document alone, and the alias swap leaves one index.

Runs against ``UNIONCAT_OPENSEARCH_URL`` (`make opensearch-start`); skipped with the reason otherwise,
and a failure under `.ci/run` (see `tests.indexer.opensearch_live`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harvester.settings import SearchSettings
from indexer.search import analysis
from indexer.search.backends.base import SearchRequest
from indexer.search.backends.opensearch.backend import OpenSearchBackend
from indexer.search.backends.opensearch.bulk import IndexingError
from indexer.search.backends.opensearch.mapping import FOLDED, STEMMED
from tests.indexer.opensearch_live import require_opensearch
from tests.indexer.test_backend_contract import DOCS, make_doc

pytestmark = pytest.mark.opensearch

INDEX_JSON = Path(__file__).resolve().parents[2] / "config" / "opensearch" / "index.json"
TRICKY = [
    "O'Brien's Moby-Dick", "Müller, Jürgen", "Łódź: portrait of a city", "Ærø and Øresund",
    "Whales, whaling & the whalers", "running runners ran", "studies of the 1990s", "L'Étranger",
    "naïve café façade", "Straße", "3D-printing 2.0", "über-cool", "Crème brûlée",
]  # fmt: skip


@pytest.fixture
def live() -> Iterator[OpenSearchBackend]:
    url = require_opensearch("UNIONCAT_OPENSEARCH_URL", "the live OpenSearch checks")
    backend = OpenSearchBackend(
        SearchSettings(backend="opensearch", url=url, index_prefix=f"unioncat-test-{uuid.uuid4().hex[:8]}")
    )
    try:
        yield backend
    finally:
        backend.drop_index()
        backend.close()


def _concrete(backend: OpenSearchBackend) -> str:
    return backend.info()["index"]


def test_cluster_keeps_the_index_definition_as_written(live: OpenSearchBackend) -> None:
    """The mapping and analysis the cluster stored are the ones in config/opensearch/index.json."""
    live.rebuild(iter(DOCS[:2]))
    index = _concrete(live)
    expected = json.loads(INDEX_JSON.read_text())
    stored = live.client.indices.get(index=index)[index]
    assert stored["mappings"] == {**expected["mappings"], "dynamic": "false"}  # echoed as a string
    assert stored["settings"]["index"]["analysis"] == _as_strings(expected["settings"]["analysis"])
    assert stored["settings"]["index"]["refresh_interval"] == "-1"


def _as_strings(value: Any) -> Any:
    """OpenSearch echoes every setting value as a string."""
    if isinstance(value, dict):
        return {k: _as_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_strings(v) for v in value]
    return str(value)


@pytest.mark.parametrize("text", TRICKY)
def test_analyzers_make_the_embedded_engines_terms(live: OpenSearchBackend, text: str) -> None:
    """The `pattern` tokenizer, `asciifolding` and `porter2` give tantivy's tokens, word for word."""
    live.rebuild(iter(DOCS[:1]))
    index = _concrete(live)
    for analyzer, ours in ((FOLDED, analysis.analyze_folded), (STEMMED, analysis.analyze_stemmed)):
        answer = live.client.indices.analyze(index=index, body={"analyzer": analyzer, "text": analysis.nfc(text)})
        assert [t["token"] for t in answer["tokens"]] == ours(text), (analyzer, text)


def test_a_rejected_document_is_named_and_the_others_are_indexed(live: OpenSearchBackend) -> None:
    """A keyword value over Lucene's 32,766-byte term limit is refused by the node itself (not by our
    code): the error names that document and OpenSearch's reason, every other document gets in."""
    live.rebuild(iter(DOCS[:2]))
    huge = make_doc("c-huge", "A title", title_sort="x" * 40_000)
    good = make_doc("c-good", "Cetology for beginners")
    with pytest.raises(IndexingError) as raised:
        live.index(iter([huge, good]))
    [error] = raised.value.errors
    assert error.doc_id == "c-huge" and error.status == 400
    assert "immense term" in error.reason or "max_bytes_length_exceeded" in error.reason, error.reason
    live.commit()
    assert [h.id for h in live.search(SearchRequest(text="cetology")).hits] == ["c-good"]
    assert live.get("c-huge") is None


def test_rebuild_swaps_the_alias_and_deletes_the_old_index(live: OpenSearchBackend) -> None:
    live.rebuild(iter(DOCS[:3]))
    first = _concrete(live)
    live.rebuild(iter(DOCS[3:5]))
    second = _concrete(live)
    assert first != second and "," not in second
    assert not live.client.indices.exists(index=first)
    assert live.count() == 2
    assert {h.id for h in live.search(SearchRequest(text="")).hits} == {d["id"] for d in DOCS[3:5]}


def test_a_failed_rebuild_keeps_the_old_index_serving(live: OpenSearchBackend) -> None:
    live.rebuild(iter(DOCS[:3]))
    first = _concrete(live)
    bad = [DOCS[3], make_doc("c-huge", "A title", title_sort="x" * 40_000)]
    with pytest.raises(IndexingError):
        live.rebuild(iter(bad))
    assert _concrete(live) == first and live.count() == 3
    indices = live.client.indices.get(index=f"{live.alias}-*")
    assert list(indices) == [first]  # the half-built index was deleted


def test_status_info_reports_a_green_single_node(live: OpenSearchBackend) -> None:
    live.rebuild(iter(DOCS[:1]))
    info = live.info()
    assert info["health"] in ("green", "yellow") and info["nodes"] >= 1 and info["documents"] == 1
