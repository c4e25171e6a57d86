"""The ILL holdings check: paste standard numbers, see who holds each item and whom to ask, in order.

`/holdings` takes the list by GET (``?ids=…``, bookmarkable) or POST (a long pasted list), with the
requesting library as ``requester`` (its own holdings are never in the lender list). The same answers
come as data: ``/holdings.json``, ``/holdings.csv`` (one row per holding) and
``/holdings.csv?rows=requests`` (the batch answer: one row per request with its lending string).

    GET /holdings.csv?rows=requests&requester=NcD&ids=9780306406157%0A0317-8471
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from search_ui.views.common import JSON, call, catalog_of, json_error, render
from search_ui.views.holdings_table import holding_json, lenders_json

MAX_IDENTIFIERS = 500
"""A pasted list longer than this is refused with a message (ILL batches are far smaller)."""
MAX_INPUT = 50_000


async def holdings(request: Request) -> Response:
    text, requester_wanted, rows = await _input(request)
    identifiers, error = _identifiers(text)
    requesters = await call(catalog_of(request).requesters)
    requester = requester_wanted if requester_wanted in {code for code, _ in requesters} else ""
    if requester_wanted and not requester:
        error = error or f"Unknown requesting library {requester_wanted!r}; choose one from the list."
    catalog = catalog_of(request)
    answers = await call(catalog.holdings_check, identifiers, requester) if identifiers and not error else []
    path = request.url.path
    if path.endswith(".json"):
        return json_error(400, error) if error else JSON({"requester": requester,
                                                          "answers": [_answer_json(a) for a in answers]})
    if path.endswith(".csv"):
        return json_error(400, error) if error else _csv(answers, rows)
    query = {"ids": "\n".join(identifiers), **({"requester": requester} if requester else {})}
    context = {
        "ids_text": text,
        "error": error,
        "answers": answers,
        "found": sum(1 for a in answers if a.items),
        "requesters": requesters,
        "requester": requester,
        "csv_url": "/holdings.csv?" + urlencode(query) if answers else "",
        "requests_csv_url": "/holdings.csv?" + urlencode({**query, "rows": "requests"}) if answers else "",
        "json_url": "/holdings.json?" + urlencode(query) if answers else "",
        "nav": "holdings",
    }
    return render(request, "holdings.html", context, status_code=400 if error else 200)


def _csv(answers: list[Any], rows: str) -> Response:
    from indexer.holdings_check import answers_to_csv, requests_to_csv

    body = requests_to_csv(answers) if rows == "requests" else answers_to_csv(answers)
    name = "ill-requests.csv" if rows == "requests" else "holdings.csv"
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


async def _input(request: Request) -> tuple[str, str, str]:
    if request.method == "POST":
        form = await request.form()
        value, who = form.get("ids"), form.get("requester")
        text = value if isinstance(value, str) else ""
        requester = who if isinstance(who, str) else ""
    else:
        text = "\n".join(request.query_params.getlist("ids"))
        requester = request.query_params.get("requester", "")
    return text[:MAX_INPUT], requester.strip(), request.query_params.get("rows", "")


def _identifiers(text: str) -> tuple[list[str], str]:
    from indexer.holdings_check import parse_identifier_list

    identifiers = parse_identifier_list(text)
    if len(identifiers) > MAX_IDENTIFIERS:
        return [], f"Too many identifiers ({len(identifiers):,}); check at most {MAX_IDENTIFIERS} at a time."
    return identifiers, ""


def _answer_json(answer: Any) -> dict[str, Any]:
    return {
        "query": answer.query,
        "kind": answer.kind,
        "normalized": answer.normalized,
        "message": answer.message,
        "suggestion": answer.suggestion,
        "error": answer.error,
        "lending_string": answer.lending_string,
        "items": [
            {"cluster_id": item.cluster_id, "url": f"/record/{item.cluster_id}", "title": item.title,
             "year": item.year, "format": item.format,
             "holdings": [holding_json(h) for h in item.holdings], "lenders": lenders_json(item.lenders)}
            for item in answer.items
        ],
    }
