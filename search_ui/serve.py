"""Running the web app: `serve` (what `unioncat serve` calls) and `worker_app` (what each worker builds).

With ``workers`` > 1 uvicorn's supervisor binds the socket once and starts that many worker processes
sharing it; each builds its own app (`worker_app`) and opens the catalog itself: the SQLite store
read-only in practice, the tantivy index memory-mapped (the operating system shares its pages between
the workers), and each notices commits by itself (the embedded backend stats the index on every
search). One worker takes the same path, so one and many answer alike.

Worker processes are started by uvicorn (spawned, not forked), so what they need travels in one
environment variable, `OPTIONS_VARIABLE`: a JSON `ServeOptions`. This module is the only reader.

    serve(ServeOptions(config="config/unioncat.toml", workers=2), host="127.0.0.1", port=8000)
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from search_ui.limits import WebLimits

if TYPE_CHECKING:
    from search_ui.app import UnioncatApp

OPTIONS_VARIABLE = "UNIONCAT_SERVE_OPTIONS"
MAX_HEADER_BYTES = 16 * 1024
"""h11's bound on a request's head (request line + headers): larger ones get 400, not buffered."""
KEEP_ALIVE = 5
"""Seconds an idle keep-alive connection is kept (uvicorn's ``timeout_keep_alive``)."""


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """Everything a worker needs to build the same app as its siblings."""

    config: str
    workers: int = 1
    cache_bytes: int = 64 * 1024 * 1024
    """Page cache per worker (0 = no cache)."""
    limits: WebLimits = field(default_factory=WebLimits)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeOptions:
        data = json.loads(text)
        return cls(**{**data, "limits": WebLimits(**data.get("limits", {}))})


@cache
def current_options() -> ServeOptions:
    """The options of this server process (set by `serve` before uvicorn starts the workers)."""
    text = os.environ.get(OPTIONS_VARIABLE)
    if not text:
        raise RuntimeError(f"{OPTIONS_VARIABLE} is not set: start the server with `unioncat serve`")
    return ServeOptions.from_json(text)


def worker_app() -> UnioncatApp:
    """The app of one worker process (a uvicorn factory): settings from the config, catalog opened by
    the app's lifespan, so each worker has its own."""
    from harvester.settings import load_settings
    from search_ui.app import create_app
    from search_ui.error_log import RepeatFilter

    options = current_options()
    logging.getLogger("uvicorn.error").addFilter(RepeatFilter())
    app = create_app(load_settings(options.config), limits=options.limits, cache_bytes=options.cache_bytes)
    app.reraise_logged = False  # logged once by search_ui.errors; the server need not log it again
    return app


def protocol_name() -> str:
    """The guarded HTTP protocol (`search_ui.protocol`): httptools when installed, else h11."""
    import importlib.util

    name = "GuardedHttpToolsProtocol" if importlib.util.find_spec("httptools") else "GuardedH11Protocol"
    return f"search_ui.protocol:{name}"


def serve(options: ServeOptions, host: str, port: int) -> None:
    """Serve until interrupted: ``options.workers`` processes on one socket, with the slow-client guards."""
    import uvicorn

    os.environ[OPTIONS_VARIABLE] = options.to_json()
    current_options.cache_clear()
    uvicorn.run(
        "search_ui.serve:worker_app", factory=True, host=host, port=port, workers=options.workers,
        http=protocol_name(), h11_max_incomplete_event_size=MAX_HEADER_BYTES, timeout_keep_alive=KEEP_ALIVE,
        log_level="warning", access_log=False,
    )  # fmt: skip
