"""Search backends behind one interface (`indexer.search.backends.base.SearchBackend`), chosen by the config.

The OpenSearch client is imported only when configured, so the embedded default needs no cluster and
no `opensearch-py` import at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from indexer.search.backends.base import SearchBackend

if TYPE_CHECKING:
    from harvester.settings import Settings


def open_backend(settings: Settings) -> SearchBackend:
    """The configured backend: ``embedded`` (tantivy in ``settings.index_dir``) or ``opensearch``."""
    backend = settings.search.backend
    if backend == "embedded":
        from indexer.search.backends.embedded import EmbeddedBackend

        return EmbeddedBackend(settings.index_dir)
    if backend == "opensearch":
        from indexer.search.backends.opensearch.backend import OpenSearchBackend

        return OpenSearchBackend(settings.search)
    raise ValueError(f"unknown search backend {backend!r} (expected 'embedded' or 'opensearch')")
