"""What `unioncat status` says about the search index: which backend, which index, how many documents.

The ``status`` command lives upstream in `harvester.cli`, which may not import the indexer; the root
command group (`search_ui.cli`) hands it this function, so the harvester never learns about backends.

    for line in search_status_lines(settings): print(line)
"""

from __future__ import annotations

from typing import Any

from harvester.settings import Settings
from indexer.errors import BackendError
from indexer.search.backends import open_backend


def search_status(settings: Settings) -> dict[str, Any]:
    """The backend's own `info()`, or why it could not be asked."""
    try:
        backend = open_backend(settings)
    except (BackendError, OSError, ValueError) as exc:
        return {"backend": settings.search.backend, "error": str(exc)}
    try:
        return backend.info()
    except (BackendError, OSError, ValueError) as exc:
        return {"backend": settings.search.backend, "error": str(exc)}
    finally:
        backend.close()


def search_status_lines(settings: Settings) -> list[str]:
    """One or two human lines for the status table's footer."""
    info = search_status(settings)
    if info.get("error"):
        return [f"search backend: {info['backend']} — not available: {info['error']}",
                "  (run `unioncat index` to build the index)"]
    if info.get("alias"):
        where = f"{info['alias']} → {info.get('index') or '(none yet)'} at {info.get('url', '')}"
    else:
        where = info.get("index") or info.get("path") or info.get("index_dir") or ""
    return [f"search backend: {info.get('backend')} — index {where}, {info.get('documents', 0):,} documents"]
