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
    lines = [f"search backend: {info.get('backend')} — index {where}, {info.get('documents', 0):,} documents"]
    health = info.get("health")
    if health and health != "green":
        lines.append(_degraded(info))
    return lines


def _degraded(info: dict[str, Any]) -> str:
    """The warning line for a cluster that is not green (a lost node, unassigned shard copies)."""
    what = (f"{info.get('nodes', '?')} node(s) up, "
            f"{info.get('unassigned_shards', 0)} shard copies unassigned")
    if info.get("initializing_shards"):
        what += f", {info['initializing_shards']} being copied"
    if info["health"] == "red":
        return f"  cluster health: red (degraded: {what}) — some records cannot be searched"
    return f"  cluster health: {info['health']} (degraded: {what}) — searches still answer in full"
