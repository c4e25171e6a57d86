"""The ILL holdings check: paste standard numbers, see every library that holds each, lendable or not.

`/holdings` takes the list by GET (``?ids=…``, bookmarkable) or POST (a long pasted list), and
`/holdings.json` / `/holdings.csv?ids=…` give the same answers to scripts and spreadsheets.

    GET /holdings.csv?ids=9780306406157%0A0317-8471
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from search_ui.views.common import JSON, call, catalog_of, json_error, render

MAX_IDENTIFIERS = 500
"""A pasted list longer than this is refused with a message (ILL batches are far smaller)."""
MAX_INPUT = 50_000


async def holdings(request: Request) -> Response:
    text = await _input(request)
    identifiers, error = _identifiers(text)
    answers = await call(catalog_of(request).holdings_check, identifiers) if identifiers and not error else []
    path = request.url.path
    if path.endswith(".json"):
        if error:
            return json_error(400, error)
        return JSON({"answers": [_answer_json(a) for a in answers]})
    if path.endswith(".csv"):
        if error:
            return json_error(400, error)
        from indexer.holdings_check import answers_to_csv

        return Response(
            answers_to_csv(answers),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="holdings.csv"'},
        )
    context = {
        "ids_text": text,
        "error": error,
        "answers": answers,
        "found": sum(1 for a in answers if a.items),
        "csv_url": "/holdings.csv?" + urlencode({"ids": "\n".join(identifiers)}) if answers else "",
        "nav": "holdings",
    }
    return render(request, "holdings.html", context, status_code=400 if error else 200)


async def _input(request: Request) -> str:
    if request.method == "POST":
        form = await request.form()
        value = form.get("ids")
        text = value if isinstance(value, str) else ""
    else:
        text = "\n".join(request.query_params.getlist("ids"))
    return text[:MAX_INPUT]


def _identifiers(text: str) -> tuple[list[str], str]:
    from indexer.holdings_check import parse_identifier_list

    identifiers = parse_identifier_list(text)
    if len(identifiers) > MAX_IDENTIFIERS:
        return [], f"Too many identifiers ({len(identifiers):,}); check at most {MAX_IDENTIFIERS} at a time."
    return identifiers, ""


def _answer_json(answer: Any) -> dict[str, Any]:
    data = asdict(answer)
    for item in data["items"]:
        item["url"] = f"/record/{item['cluster_id']}"
    return data
