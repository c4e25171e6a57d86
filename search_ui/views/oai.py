"""``/oai``: the OAI-PMH 2.0 provider of the merged catalog (GET and POST, as the protocol allows).

The HTTP side only: arguments in (repeats kept, so a repeated argument is the ``badArgument`` it
should be), the response document out as ``text/xml``. Protocol errors are answered with status
200, as OAI-PMH requires; the work runs in a thread because the catalog is synchronous.
Deployments and tests may put an `OAIOptions` on ``app.state.oai`` (page size, token lifetime,
admin e-mail).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from search_ui.interop.oai_provider import PAGE_SIZE, OAIProvider, Repository
from search_ui.interop.oai_provider_data import CatalogItems
from search_ui.interop.oai_provider_tokens import TOKEN_KEY, TOKEN_TTL
from search_ui.views.common import catalog_of


@dataclass(frozen=True, slots=True)
class OAIOptions:
    page_size: int = PAGE_SIZE
    token_ttl: float = TOKEN_TTL
    admin_email: str = "catalog-admin@localhost"
    name: str = "unioncat union catalog"


async def oai(request: Request) -> Response:
    arguments = list(request.query_params.multi_items())
    if request.method == "POST":
        form = await request.form()
        arguments += [(name, str(value)) for name, value in form.multi_items()]
    options: OAIOptions = getattr(request.app.state, "oai", None) or OAIOptions()
    repository = Repository(str(request.url.replace(query="")), options.name, options.admin_email,
                            options.page_size, options.token_ttl)
    catalog = catalog_of(request)

    def answer() -> bytes:
        provider = OAIProvider(CatalogItems(catalog), repository, catalog.secret(TOKEN_KEY))
        return provider.respond(arguments)

    body = await run_in_threadpool(answer)
    return Response(body, media_type="text/xml; charset=utf-8")
