"""The discovery interface as an ASGI app: `create_app(settings, catalog=None)`.

The app talks to one object, `indexer.catalog.Catalog`. Tests and `unioncat serve` may hand one in;
otherwise the lifespan opens it from the settings and closes it on shutdown. No module-level state:
two apps in one process (tests) never share a catalog.

    app = create_app(load_settings("config/unioncat.toml"))
    uvicorn.run(app, host="127.0.0.1", port=8000)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from harvester.settings import Settings
from search_ui.errors import EXCEPTION_HANDLERS
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


def create_app(settings: Settings, catalog: Catalog | None = None, site_name: str = "unioncat") -> Starlette:
    """The web app over ``catalog`` (or over ``Catalog.open(settings)``, opened by the lifespan)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        owned = app.state.catalog is None
        if owned:
            from indexer.catalog import Catalog

            app.state.catalog = Catalog.open(settings)
        try:
            yield
        finally:
            if owned:
                app.state.catalog.close()
                app.state.catalog = None

    app = Starlette(routes=ROUTES, exception_handlers=EXCEPTION_HANDLERS, lifespan=lifespan)  # type: ignore[arg-type]
    app.state.settings = settings
    app.state.catalog = catalog
    app.state.templates = make_templates()
    app.state.site_name = site_name
    install_staff(app, settings)
    app.add_middleware(SecurityHeaders)
    return app


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
