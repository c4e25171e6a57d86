"""The JSON API's OpenAPI document, checked by tools we did not write, against the running app.

`openapi-spec-validator` checks the document is valid OpenAPI 3; `schemathesis` then generates requests
from it for every operation (bounded: `EXAMPLES` each, derandomized so CI runs are repeatable) and
checks each response: no 5xx, a documented status code and content type, and a body that matches the
documented schema. The app is the in-process ASGI app over the demo catalog, as in the other tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from openapi_spec_validator import validate
from schemathesis import checks
from schemathesis.core.failures import FailureGroup
from starlette.responses import JSONResponse

from search_ui.app import create_app
from search_ui.interop.export import FORMATS
from search_ui.interop.openapi import openapi_document
from search_ui.views.api_docs import example_url
from tests.search_ui.dataset import Dataset

EXAMPLES = 25
"""Generated requests per operation (x 11 operations: a few seconds in all)."""
OPERATIONS = [(path, method) for path, methods in openapi_document()["paths"].items() for method in methods]
README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="module")
def api_schema(dataset: Dataset, catalog: Any) -> Any:
    return schemathesis.openapi.from_asgi("/api/openapi.json", create_app(dataset.settings, catalog))


def test_the_served_document_is_valid_openapi_3(client: Any) -> None:
    document = client.get("/api/openapi.json").json()
    validate(document)
    assert document["openapi"].startswith("3.")
    assert {"/search.json", "/record/{cluster_id}.json", "/holdings.json", "/export"} <= set(document["paths"])
    export_formats = document["paths"]["/export"]["get"]["parameters"][0]["schema"]["enum"]
    assert export_formats == list(FORMATS)


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_schemathesis_finds_no_failures(api_schema: Any, path: str, method: str) -> None:
    """No 5xx, documented statuses and content types, bodies matching their schemas.

    `positive_data_acceptance` is left out: a schema-valid request can still be refused with a
    documented 4xx (``q='title:('`` is a string, but not a query).
    """
    operation = api_schema[path][method]
    run = _fuzz(operation.as_strategy(), lambda case: case.call_and_validate(
        excluded_checks=[checks.positive_data_acceptance]))
    run()


def _fuzz(strategy: Any, check: Callable[[Any], Any], examples: int = EXAMPLES,
          phases: tuple[Phase, ...] = tuple(Phase)) -> Callable[[], None]:
    @given(case=strategy)
    @settings(max_examples=examples, deadline=None, derandomize=True, database=None, phases=phases,
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        check(case)

    return run  # type: ignore[no-any-return]


def test_the_check_would_catch_a_response_that_breaks_its_schema(dataset: Dataset, catalog: Any) -> None:
    """Guard against a vacuous test: served a document that mis-states `total`, schemathesis fails."""
    document = openapi_document()
    document["components"]["schemas"]["SearchResults"]["properties"]["total"] = {"type": "string"}
    app = create_app(dataset.settings, catalog)

    async def lying_app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/api/openapi.json":
            await JSONResponse(document)(scope, receive, send)
            return
        await app(scope, receive, send)

    operation = schemathesis.openapi.from_asgi("/api/openapi.json", lying_app)["/search.json"]["GET"]
    run = _fuzz(operation.as_strategy(), lambda case: case.call_and_validate(
        excluded_checks=[checks.positive_data_acceptance]), examples=3, phases=(Phase.generate,))
    with pytest.raises(FailureGroup) as failure:
        run()
    assert "Response violates schema" in str(failure.value.exceptions[0])


def test_the_api_page_documents_every_operation_with_a_working_example(client: Any) -> None:
    html = client.get("/api").text
    document = openapi_document()
    for path, methods in document["paths"].items():
        for op in methods.values():
            assert f'id="op-{op["operationId"]}"' in html, path
            example = example_url(path, op.get("parameters", []))
            response = client.get(example, follow_redirects=False)
            assert response.status_code == 200, (example, response.text[:200])
            assert f'href="{example.replace("&", "&amp;")}"' in html


@pytest.mark.parametrize("section", ["Feeds", "Exports", "JSON API"])
def test_readme_sections_have_a_working_example_request(client: Any, section: str) -> None:
    text = README.read_text(encoding="utf-8")
    body = re.search(rf"^### {re.escape(section)}\n(.*?)(?=^##)", text, re.S | re.M)
    assert body, f"README has no '### {section}' section"
    urls = re.findall(r"curl[^\n]*?'http://127\.0\.0\.1:8000(/[^']*)'", body.group(1))
    assert urls, f"no curl example in README '{section}'"
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.text[:200])
