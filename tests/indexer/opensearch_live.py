"""When the tests that need a live OpenSearch run, and when their skipping is itself a failure.

Locally they skip with the reason (no node started). `.ci/run` starts a node, sets
``UNIONCAT_REQUIRE_OPENSEARCH=1`` and loads this module as a pytest plugin
(``-p tests.indexer.opensearch_live``): then a missing URL fails the test, and so does any other skip
of a test marked ``opensearch``, so CI can never report green while the OpenSearch backend went
untested.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

REQUIRE = "UNIONCAT_REQUIRE_OPENSEARCH"


def required() -> bool:
    return os.environ.get(REQUIRE) == "1"


def require_opensearch(variable: str, what: str) -> str:
    """The value of `variable` (a URL, or "1" for the cluster test); skip, or fail under REQUIRE, without it."""
    value = os.environ.get(variable, "")
    if value:
        return value
    reason = f"{variable} not set: {what} needs a live OpenSearch (make opensearch-start; see README)"
    if required():
        pytest.fail(f"{REQUIRE}=1 but {reason}")
    pytest.skip(reason)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under REQUIRE, a skipped ``opensearch`` test is reported as failed, with the skip's reason."""
    outcome = yield
    report = outcome.get_result()
    if required() and report.skipped and item.get_closest_marker("opensearch") is not None:
        report.outcome = "failed"
        report.longrepr = f"{REQUIRE}=1 and this OpenSearch test was skipped: {report.longrepr}"
