"""The embedded index folder and its versions.

Layout of ``index_dir``::

    CURRENT              name of the live version ("v1764000000000000000"), replaced with os.replace
    v1764000000000000000/  a complete tantivy index (+ SCHEMA, the fingerprint it was built with)
    .lock                flock'd while a version is created, so two rebuilds never interleave

A rebuild writes a whole new version next to the live one and only then swaps ``CURRENT``, so searches in
this and other processes keep answering from the old version throughout. Plain functions of the folder:
the backend keeps the open index and decides when to call them.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import tantivy

from indexer.errors import BackendError
from indexer.search.backends.embedded import tantivy_schema

CURRENT = "CURRENT"
SCHEMA_FILE = "SCHEMA"


@contextlib.contextmanager
def dir_lock(index_dir: Path) -> Iterator[None]:
    """Hold the folder's lock (one version created at a time, across processes)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_current(index_dir: Path) -> str:
    """The live version's name, or "" when there is none yet."""
    try:
        return (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return ""


def new_version(index_dir: Path, schema: tantivy.Schema) -> tuple[str, tantivy.Index]:
    """A new, empty version folder with the current schema (not yet live)."""
    name = f"v{time.time_ns()}"
    path = index_dir / name
    path.mkdir(parents=True)
    index = tantivy.Index(schema, path=str(path), reuse=False)
    tantivy_schema.register_analyzers(index)
    (path / SCHEMA_FILE).write_text(tantivy_schema.schema_fingerprint() + "\n", encoding="utf-8")
    return name, index


def publish(index_dir: Path, name: str) -> None:
    """Point CURRENT at `name` atomically (write a temp file, fsync, os.replace, fsync the folder)."""
    tmp = index_dir / f"{CURRENT}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, index_dir / CURRENT)
    dir_fd = os.open(index_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def open_version(index_dir: Path, name: str) -> tantivy.Index:
    """Open a version, refusing one built with another schema (it needs `unioncat index --rebuild`)."""
    path = index_dir / name
    try:
        fingerprint = (path / SCHEMA_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        fingerprint = ""
    if fingerprint != tantivy_schema.schema_fingerprint():
        raise BackendError(
            f"the search index in {path} was built by another version of unioncat; "
            "rebuild it with `unioncat index --rebuild`"
        )
    try:
        index = tantivy.Index.open(str(path))
    except ValueError as exc:
        raise BackendError(f"cannot open the search index in {path}: {exc}") from exc
    tantivy_schema.register_analyzers(index)
    return index


def cleanup(index_dir: Path, keep: set[str]) -> None:
    """Delete every version folder but those in `keep`."""
    for path in index_dir.iterdir():
        if path.is_dir() and path.name.startswith("v") and path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)


def stamp(path: Path) -> tuple[int, int] | None:
    """(inode, mtime) of a file, to notice cheaply that another process replaced or changed it."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns)
