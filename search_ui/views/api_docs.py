"""The API's documentation: the OpenAPI document at `/api/openapi.json` and a page for people at `/api`.

The page is rendered from the document itself (every path, parameter and response), with one
example request per operation, so what people read and what programs read cannot drift apart.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from search_ui.interop.openapi import openapi_document
from search_ui.views.common import JSON, render


async def openapi_json(request: Request) -> Response:
    return JSON(openapi_document(request.app.state.site_name))


async def api_page(request: Request) -> Response:
    document = openapi_document(request.app.state.site_name)
    operations = [_operation(path, method, op) for path, methods in document["paths"].items()
                  for method, op in methods.items()]
    return render(request, "api.html", {"document": document, "operations": operations, "nav": "api"})


def _operation(path: str, method: str, op: dict[str, Any]) -> dict[str, Any]:
    params = op.get("parameters", [])
    return {
        "id": op["operationId"],
        "method": method.upper(),
        "path": path,
        "summary": op.get("summary", ""),
        "description": op.get("description", ""),
        "parameters": [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                        "description": p.get("description", ""), "type": _type(p["schema"])} for p in params],
        "responses": [{"status": status, "description": r.get("description", ""),
                       "types": list(r.get("content", {}))} for status, r in op["responses"].items()],
        "example": example_url(path, params),
    }


def example_url(path: str, params: list[dict[str, Any]]) -> str:
    """The operation's path with its examples filled in (path parameters and query examples)."""
    query: list[tuple[str, str]] = []
    for param in params:
        if "example" not in param:
            continue
        if param["in"] == "path":
            path = path.replace("{" + param["name"] + "}", str(param["example"]))
        else:
            values = param["example"] if isinstance(param["example"], list) else [param["example"]]
            query += [(param["name"], str(v)) for v in values]
    return path + ("?" + urlencode(query) if query else "")


def _type(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return "one of " + ", ".join(str(v) for v in schema["enum"])
    if schema.get("type") == "array":
        return f"{schema['items'].get('type', 'value')}, repeatable"
    return str(schema.get("type", ""))
