"""Bulk writes to OpenSearch: bounded batches, 429 back-off, and every failure named by document.

The pattern is traject's Solr writer: send a batch; if the *request* fails (not a per-document error:
a 413 body too large, a 400 from one unparseable document, a dropped connection mid-request), resend
that batch one document at a time so the good documents get in and the bad one is named. Per-document
errors inside a successful ``_bulk`` response (``mapper_parsing_exception`` …) are already one per
document, so they are reported as they are. A 429 ("too many requests": the cluster's write queue is
full) is not the document's fault: `opensearchpy.helpers.streaming_bulk` retries just the rejected
documents with exponential back-off (``initial_backoff * 2**n`` seconds, capped at ``max_backoff``);
what is still rejected after ``max_retries`` is reported like any other failure.

    sent, errors = write_actions(client, index_actions(docs, "unioncat"), BulkOptions())
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from opensearchpy import helpers
from opensearchpy.exceptions import ConnectionError as OSConnectionError
from opensearchpy.exceptions import TransportError

from indexer.errors import BackendError
from indexer.search.backends.opensearch.mapping import prepare_document

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BulkOptions:
    """How big each ``_bulk`` request may grow and how hard to retry 429s."""

    batch_size: int = 500
    max_chunk_bytes: int = 10 * 1024 * 1024
    max_retries: int = 5
    initial_backoff: float = 1.0
    max_backoff: float = 60.0
    request_timeout: float = 120.0
    """Seconds one ``_bulk`` request may take (the client's 30 s default is short for 10 MB when busy)."""


@dataclass(frozen=True, slots=True)
class DocumentError:
    """One document OpenSearch would not take, with what it said."""

    doc_id: str
    op: str
    status: int | str
    type: str
    reason: str

    def __str__(self) -> str:
        return f"{self.op} {self.doc_id}: {self.status} {self.type}: {self.reason}"


class IndexingError(BackendError):
    """Some documents were not indexed (or deleted); the others were. ``errors`` names each one."""

    def __init__(self, errors: list[DocumentError], sent: int) -> None:
        self.errors = errors
        self.sent = sent
        shown = "; ".join(str(e) for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"{len(errors)} of {sent} documents failed in OpenSearch: {shown}{more}")


def index_actions(docs: Iterable[dict[str, Any]], target: str) -> Iterator[dict[str, Any]]:
    """``index`` actions (add or replace by id) for `helpers.streaming_bulk`, sources as mapped."""
    for doc in docs:
        doc_id = str(doc.get("id") or "")
        try:
            source = prepare_document(doc)
        except (TypeError, ValueError) as exc:  # e.g. a year that is not a number: this document only
            yield {"_op_type": "index", "_index": target, "_id": doc_id, "_invalid": str(exc)}
            continue
        yield {"_op_type": "index", "_index": target, "_id": doc_id, "_source": source}


def delete_actions(doc_ids: Iterable[str], target: str) -> Iterator[dict[str, Any]]:
    for doc_id in doc_ids:
        yield {"_op_type": "delete", "_index": target, "_id": str(doc_id)}


def write_actions(
    client: Any, actions: Iterable[dict[str, Any]], options: BulkOptions
) -> tuple[int, list[DocumentError]]:
    """Send every action in batches; returns (actions sent, per-document errors). Raises only when
    the cluster itself is unreachable or keeps refusing (the documents are not at fault then)."""
    sent = 0
    errors: list[DocumentError] = []
    iterator = iter(actions)
    while batch := list(itertools.islice(iterator, options.batch_size)):
        sent += len(batch)
        errors.extend(_invalid(a) for a in batch if not a["_id"] or "_invalid" in a)
        batch = [a for a in batch if a["_id"] and "_invalid" not in a]
        try:
            errors.extend(_send_batch(client, batch, options))
        except TransportError as exc:
            if isinstance(exc, OSConnectionError) or exc.status_code == 429:
                raise BackendError(f"OpenSearch bulk request failed: {exc}") from exc
            log.warning("bulk request of %d actions failed (%s); resending one by one", len(batch), exc)
            errors.extend(_send_one_by_one(client, batch))
    for error in errors:
        log.error("OpenSearch rejected %s", error)
    return sent, errors


def _invalid(action: dict[str, Any]) -> DocumentError:
    """A document refused before sending (no id, a field that does not fit the mapping)."""
    if not action["_id"]:
        return DocumentError("", action["_op_type"], 400, "missing_id", "document has no id")
    return DocumentError(action["_id"], action["_op_type"], 400, "invalid_document", action["_invalid"])


def _send_batch(client: Any, batch: list[dict[str, Any]], options: BulkOptions) -> list[DocumentError]:
    errors = []
    for ok, item in helpers.streaming_bulk(
        client,
        batch,
        chunk_size=max(1, len(batch)),
        max_chunk_bytes=options.max_chunk_bytes,
        raise_on_error=False,
        raise_on_exception=True,
        max_retries=options.max_retries,
        initial_backoff=options.initial_backoff,  # type: ignore[arg-type]
        max_backoff=options.max_backoff,  # type: ignore[arg-type]
        yield_ok=False,
        request_timeout=options.request_timeout,
    ):
        if ok:
            continue
        op, info = next(iter(item.items()))
        if op == "delete" and info.get("status") == 404:
            continue  # already gone: the goal of a delete is reached
        errors.append(_error_of(op, info))
    return errors


def _error_of(op: str, info: dict[str, Any]) -> DocumentError:
    error = info.get("error")
    if isinstance(error, dict):
        kind, reason = str(error.get("type", "")), str(error.get("reason", ""))
        cause = error.get("caused_by")
        if isinstance(cause, dict) and cause.get("reason"):
            reason = f"{reason} (caused by {cause.get('type', '')}: {cause['reason']})"
    else:
        kind, reason = "error", str(error or "")
    return DocumentError(str(info.get("_id", "")), op, info.get("status", 500), kind, reason)


def _send_one_by_one(client: Any, batch: list[dict[str, Any]]) -> list[DocumentError]:
    errors = []
    for action in batch:
        op, index, doc_id = action["_op_type"], action["_index"], action["_id"]
        try:
            if op == "delete":
                client.delete(index=index, id=doc_id)
            else:
                client.index(index=index, id=doc_id, body=action["_source"])
        except OSConnectionError as exc:
            raise BackendError(f"OpenSearch unreachable while resending documents: {exc}") from exc
        except TransportError as exc:
            if op == "delete" and exc.status_code == 404:
                continue
            info = exc.info if isinstance(exc.info, dict) else {}
            errors.append(_error_of(op, {"_id": doc_id, "status": exc.status_code, **info}))
    return errors
