"""The discovery interface as an ASGI app: `create_app(settings, catalog=None)`.

The app talks to one object, `indexer.catalog.Catalog`. Tests and `unioncat serve` may hand one in;
otherwise the lifespan opens it from the settings and closes it on shutdown. No module-level state:
two apps in one process (tests) never share a catalog.

    app = create_app(load_settings("config/unioncat.toml"))
    uvicorn.run(app, host="127.0.0.1", port=8000)

`unioncat serve` builds it through `search_ui.serve` (worker processes, the page cache, slow-client
guards).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from harvester.settings import Settings
from search_ui.cache import ResponseCache
from search_ui.error_log import ErrorLog
from search_ui.errors import EXCEPTION_HANDLERS, LOGGED
from search_ui.limits import BodyLimits, WebLimits
from search_ui.routes import ROUTES
from search_ui.staff.setup import install_staff
from search_ui.templating import make_templates

if TYPE_CHECKING:
    from indexer.catalog import Catalog

SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
)
"""Defence in depth behind autoescaping: even injected markup could not run script or load content."""

GZIP_MINIMUM = 1024
"""Bytes: smaller bodies are sent as they are (gzip would save little and cost a round of CPU)."""


def create_app(
    settings: Settings,
    catalog: Catalog | None = None,
    site_name: str = "unioncat",
    limits: WebLimits | None = None,
    cache_bytes: int = 0,
) -> UnioncatApp:
    """The web app over ``catalog`` (or over ``Catalog.open(settings)``, opened by the lifespan).

    Every request passes, outermost first: `BodyLimits` (``limits``), `ResponseCache` (when
    ``cache_bytes`` > 0; `unioncat serve` turns it on), compression of public responses, then the
    security headers. Tests build the exact app they need; the server uses `search_ui.serve.worker_app`.
    """

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        owned = app.state.catalog is None
        if owned:
            from indexer.catalog import Catalog

            app.state.catalog = Catalog.open(settings)
        if cache_bytes > 0:
            app.state.catalog.cache_counts()
        try:
            yield
        finally:
            if owned:
                app.state.catalog.close()
                app.state.catalog = None

    app = UnioncatApp(routes=ROUTES, exception_handlers=EXCEPTION_HANDLERS, lifespan=lifespan)  # type: ignore[arg-type]
    app.state.settings = settings
    app.state.catalog = catalog
    app.state.templates = make_templates()
    app.state.site_name = site_name
    install_staff(app, settings)  # its session middleware runs inside the cache: responses it marks private
    app.state.error_log = ErrorLog()
    app.add_middleware(SecurityHeaders)  # added innermost first: the last added runs first
    app.add_middleware(PublicCompression)
    if cache_bytes > 0:
        app.add_middleware(ResponseCache, max_bytes=cache_bytes)
    app.add_middleware(BodyLimits, limits=limits or WebLimits())
    return app


class UnioncatApp(Starlette):
    """Starlette, minus the second log line of each error: Starlette answers an unexpected error with our
    500 page (`search_ui.errors.server_error`, which logs it), then re-raises it for the server to log
    again. `unioncat serve` sets ``reraise_logged`` False, so an error already logged stops here; tests keep
    the default, so an error reaches the test client (``raise_server_exceptions``)."""

    reraise_logged = True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except Exception as exc:
            if self.reraise_logged or scope.get(LOGGED) is not exc:
                raise


class PublicCompression:
    """gzip for responses to requests without cookies (Starlette's `GZipMiddleware`, level 6).

    Requests with a cookie (a signed-in person, whose pages carry CSRF tokens next to reflected input)
    are answered uncompressed, which rules out BREACH-style guessing of those tokens; patrons' pages,
    the bulk of the traffic, are compressed.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=GZIP_MINIMUM, compresslevel=6)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not any(name == b"cookie" for name, _ in scope["headers"]):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class SecurityHeaders:
    """Adds `SECURITY_HEADERS` to every response (a plain ASGI middleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)
