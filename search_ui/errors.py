"""Error pages: `{status}.html`, else `error.html`, for browsers; a JSON body for the `.json`/`.csv` twins.

Messages shown are the ones views chose to raise (`HTTPException(404, "No record with id …")`); an
unexpected exception is logged with its traceback (once: `search_ui.error_log`) and shown as a plain
500 page that reveals nothing.
"""

from __future__ import annotations

from http import HTTPStatus

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from search_ui.views.common import json_error, wants_machine


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_response(request, exc.status_code, exc.detail)


LOGGED = "unioncat.logged_error"
"""Scope key: the exception `server_error` logged, so the app does not let the server log it again."""


async def server_error(request: Request, exc: Exception) -> Response:
    request.app.state.error_log.error(exc, request.url.path)
    request.scope[LOGGED] = exc
    return error_response(request, 500, "Something went wrong on our side. Please try again later.")


def error_response(request: Request, status: int, detail: str | None) -> Response:
    title = _title(status)
    message = detail if detail and detail != title else ""
    if wants_machine(request):
        return json_error(status, message or title)
    templates: Jinja2Templates = request.app.state.templates
    template = templates.env.select_template([f"{status}.html", "error.html"])
    context = {"request": request, "status": status, "title": title, "message": message,
               "site_name": request.app.state.site_name, "nav": ""}
    return Response(template.render(context), status_code=status, media_type="text/html")


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


EXCEPTION_HANDLERS = {HTTPException: http_error, Exception: server_error}
