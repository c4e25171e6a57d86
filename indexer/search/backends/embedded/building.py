"""Writing a whole new version of the embedded index: in one go (`EmbeddedBackend.rebuild`) or step by
step with a commit after each (`EmbeddedBackend.rebuild_steps`), so that a full index run killed
half-way continues where its last commit left off instead of starting over.

A step's documents are written, the tantivy writer commits (the segments and ``meta.json`` are then on
disk), and only then is the caller told (``committed``): whatever the caller records after that is
true of the folder. The version is not published (``CURRENT`` unchanged) until every step is in, so
searches answer from the old version throughout. A crash or an exception leaves the partial version
on disk for the next run to resume (``resume`` = its name); one that is never resumed is deleted by
the next rebuild that publishes (`versions.cleanup`).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import tantivy

from indexer.errors import BackendError
from indexer.search.backends.base import Encoded
from indexer.search.backends.embedded import heading_table, tantivy_schema, terms, versions

_log = logging.getLogger(__name__)

WRITER_HEAP = 128_000_000
WRITER_THREADS = 1
"""Indexing threads of a rebuild's writer. tantivy's default (one per core) splits the heap between
them and each writes its own segments, which are then merged again: a one-process rebuild of 100k
records took 30.6 instead of 38.5 CPU seconds with one thread (same documents), and beside the two
processes that build the documents the run's wall time fell too (bench/README.md, "Index stage CPU")."""

Doc = dict[str, Any] | Encoded


def rebuild_steps(index_dir: Path, schema: tantivy.Schema, steps: Iterable[Iterable[Doc]], resume: str = "",
                  committed: Callable[[str], None] | None = None) -> int:
    """Fill a new (or the resumed partial) version step by step, then publish it; the documents written.

    Without ``committed`` (a plain rebuild: nobody records the steps) a failed build is deleted at once.
    """
    with versions.dir_lock(index_dir):
        previous = versions.read_current(index_dir)
        name, index, resumed = _target(index_dir, schema, resume, previous)
        try:
            count = _fill(index, steps, resumed, lambda: committed(name) if committed else None)
            write_tables(index, index_dir / name)
        except BaseException:
            del index
            if committed is None:
                shutil.rmtree(index_dir / name, ignore_errors=True)
            raise
        versions.publish(index_dir, name)
        versions.cleanup(index_dir, keep={name, previous})
    return count


def _fill(index: tantivy.Index, steps: Iterable[Iterable[Doc]], resumed: bool, committed: Callable[[], None]) -> int:
    """Write the steps, committing after each; on any error the writer rolls back to the last commit."""
    writer = index.writer(WRITER_HEAP, WRITER_THREADS)
    count = 0
    try:
        for number, step in enumerate(steps):
            count += _write(writer, step, replace=resumed and number == 0)
            writer.commit()
            committed()
        writer.commit()
    except BaseException:
        writer.rollback()
        raise
    finally:
        writer.wait_merging_threads()
    return count


def resumable(index_dir: Path, name: str) -> bool:
    """A partial version that `rebuild_steps` can continue: there, not live, built with this schema."""
    if not name or name != Path(name).name or name == versions.read_current(index_dir):
        return False
    try:
        fingerprint = (index_dir / name / versions.SCHEMA_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return False
    return fingerprint == tantivy_schema.schema_fingerprint() and (index_dir / name / "meta.json").is_file()


def _target(index_dir: Path, schema: tantivy.Schema, resume: str, live: str) -> tuple[str, tantivy.Index, bool]:
    """The partial version ``resume`` names when it can be continued, else a fresh one: (name, index, resumed)."""
    if resume:
        if resume == live or not (index_dir / resume).is_dir():
            raise BackendError(f"cannot resume the partial index {resume}: it is live or gone")
        return resume, versions.open_version(index_dir, resume), True
    name, index = versions.new_version(index_dir, schema)
    return name, index, False


def _write(writer: tantivy.IndexWriter, docs: Iterable[Doc], replace: bool) -> int:
    """Add ``docs``; with ``replace`` each first removes a copy of itself the index may already hold."""
    count = 0
    for doc in docs:
        if isinstance(doc, Encoded):
            if replace:
                writer.delete_documents_by_term("id", doc.id)
            writer.add_json(doc.payload)
        else:
            if replace:
                writer.delete_documents_by_term("id", doc["id"])
            writer.add_document(tantivy_schema.to_tantivy(doc))
        count += 1
    return count


def write_tables(index: tantivy.Index, version_dir: Path) -> None:
    """The heading tables of the commit just made (`heading_table`). Failing to write them does not
    undo the commit: readers then build a table themselves on first use, so it is only logged."""
    index.reload()
    try:
        heading_table.write_tables(index.searcher(), version_dir, terms.TABLE_FIELDS)
    except OSError as exc:
        _log.warning("heading tables not written to %s (%s); they are built on first use instead", version_dir, exc)
