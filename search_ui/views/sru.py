"""``/sru``: SRU 1.2 and 2.0 (explain, searchRetrieve, scan) with CQL over the merged catalog.

The HTTP side only; diagnostics are part of a normal 200 response, as SRU clients expect.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from search_ui.interop.sru import SRUServer
from search_ui.interop.sru_explain import ServerInfo
from search_ui.interop.sru_search import CatalogSearch
from search_ui.views.common import catalog_of


async def sru(request: Request) -> Response:
    arguments = list(request.query_params.multi_items())
    if request.method == "POST":
        form = await request.form()
        arguments += [(name, str(value)) for name, value in form.multi_items()]
    url = request.url
    server = ServerInfo(url.hostname or "localhost", url.port or (443 if url.scheme == "https" else 80),
                        url.path.strip("/") or "sru")
    catalog = catalog_of(request)

    def answer() -> bytes:
        return SRUServer(CatalogSearch(catalog), server).respond(arguments)

    body = await run_in_threadpool(answer)
    return Response(body, media_type="text/xml; charset=utf-8")
