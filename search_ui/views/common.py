"""What every view shares: the catalog and templates on the app, threads for blocking calls, rendering.

The catalog is synchronous (SQLite and tantivy), so views call its methods through `call` to keep the
event loop free; Starlette's own threadpool does the work. The method is passed itself, not by name, so
the type checker sees which catalog method a view calls and with what.

    results = await call(catalog_of(request).search, search_request)
    return render(request, "search.html", context)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.templating import Jinja2Templates

from search_ui.staff.identity import visible_catalog

if TYPE_CHECKING:
    from indexer.catalog import Catalog

MACHINE_SUFFIXES = (".json", ".csv")
P = ParamSpec("P")
T = TypeVar("T")


def catalog_of(request: Request) -> Catalog:
    """The app's catalog (opened by the lifespan or injected by `create_app`), as this request may
    read it: without the hidden fields and raw records unless a staff member is signed in."""
    catalog = request.app.state.catalog
    if catalog is None:  # pragma: no cover - only when the lifespan did not run
        raise RuntimeError("the catalog is not open (run the app with its lifespan)")
    return visible_catalog(request, catalog)


async def call(method: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a blocking catalog method in a worker thread: ``await call(catalog.record, cluster_id)``."""
    return await run_in_threadpool(method, *args, **kwargs)


def wants_machine(request: Request) -> bool:
    """True for the ``.json``/``.csv`` twins, whose errors must be JSON, not HTML pages."""
    return request.url.path.endswith(MACHINE_SUFFIXES)


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """Render a page template with the shared context (site name, navigation state)."""
    templates: Jinja2Templates = request.app.state.templates
    context.setdefault("site_name", request.app.state.site_name)
    context.setdefault("nav", "")
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def first_int(text: str | None, default: int | None = None) -> int | None:
    """An integer query parameter, or the default when missing or not a number."""
    if text is None or not text.strip():
        return default
    try:
        return int(text.strip())
    except ValueError:
        return default


class JSON(JSONResponse):
    """JSON twin responses: UTF-8 as is, and values JSON lacks (paths, datetimes) as strings."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, default=str, separators=(",", ":")).encode("utf-8")


def json_error(status: int, message: str) -> JSON:
    return JSON({"error": {"status": status, "message": message}}, status_code=status)
