"""The indexer's errors, under one base class.

    IndexerError
    ├── IndexRunning   another `unioncat index` holds this data folder's lock
    └── BackendError   the search engine failed or refused a request (what it said)
        └── QueryError the patron's query could not be understood (safe to show)

(The OpenSearch backend adds `IndexingError` under BackendError for per-document bulk failures.)
"""

from __future__ import annotations


class IndexerError(Exception):
    """Base of every error the indexer raises on purpose."""


class IndexRunning(IndexerError):
    """Another `unioncat index` is running on the same data folder."""


class BackendError(IndexerError):
    """The search engine failed or refused a request; carries what it said."""


class QueryError(BackendError):
    """The user's query could not be understood; the message is safe to show to the user."""
