"""Staff in real chromium: sign-in (and a wrong password), CSRF refusals, a web override with its audit
row, raw MARC only once signed in, sign-out; axe-core finds no violation on any staff page.

The demo config serves plain http://127.0.0.1, so it says ``secure_cookies = false``; the Secure flag
itself is checked in tests/search_ui/test_staff_session.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.test_holdings_browser import no_violations

pytestmark = pytest.mark.browser

NAME, PASSWORD = "browser-staff", "a long staff passphrase"


@pytest.fixture(scope="module")
def record_ids(demo_settings: Any) -> Iterator[tuple[str, str, str]]:
    """A staff account in the demo store, and (cluster id, one member, a member of another cluster)."""
    from harvester.store import RecordStore
    from harvester.store.staff import StaffStore
    from indexer.dedup.clusters import ClusterStore
    from search_ui.staff.passwords import hash_password

    with RecordStore(demo_settings.store_path) as store:
        StaffStore(store).add(NAME, hash_password(PASSWORD))
        clusters = iter(ClusterStore(store).iter_clusters())
        (first, members), (_, others) = next(clusters), next(clusters)
        yield first, members[0], others[0]


def sign_in(page: Any, server: str, password: str = PASSWORD) -> None:
    page.goto(server + "/staff")
    page.wait_for_url(re.compile(r"/staff/sign-in\?next=/staff$"))
    page.get_by_label("Name").fill(NAME)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_override_audit_and_sign_out(page: Any, server: str, record_ids: tuple[str, str, str]) -> None:
    cluster_id, a, b = record_ids
    page.goto(server + f"/record/{cluster_id}")
    assert page.locator("ul.members details").count() == 0  # no raw MARC for the public
    sign_in(page, server, "not the password")
    assert "do not match" in page.get_by_role("alert").inner_text()
    no_violations(page, "sign-in page with an error")
    sign_in(page, server)
    page.wait_for_url(server + "/staff")
    assert NAME in page.locator(".staff-bar").inner_text()
    no_violations(page, "staff overrides page")

    page.get_by_label("Decision").select_option("split")
    page.get_by_label("First record id").fill(a)
    page.get_by_label("Second record id").fill(b)
    page.get_by_label("Why").fill("browser test: different editions")
    page.get_by_role("button", name="Save override").click()
    assert "Saved: split" in page.get_by_role("status").inner_text()
    row = page.locator("table.overrides tbody tr").filter(has_text=a)
    assert row.count() == 1
    no_violations(page, "staff overrides page with an override")

    page.goto(server + "/staff/audit")
    first = page.locator("table.audit tbody tr").first.inner_text()
    assert NAME in first and "add" in first and "browser test: different editions" in first
    no_violations(page, "audit page")

    page.goto(server + f"/record/{cluster_id}")
    assert page.locator("ul.members details").count() >= 1  # raw MARC, now that staff signed in

    page.goto(server + "/staff")
    row = page.locator("table.overrides tbody tr").filter(has_text=a)
    row.get_by_placeholder("why").fill("browser test: undo")
    row.get_by_role("button", name=re.compile("^Remove")).click()
    assert "Removed: split" in page.get_by_role("status").inner_text()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(server + "/")
    page.goto(server + "/staff")
    page.wait_for_url(re.compile(r"/staff/sign-in"))


def test_csrf_refusals_in_the_browser(page: Any, server: str, record_ids: tuple[str, str, str]) -> None:
    _, a, b = record_ids
    sign_in(page, server)
    page.wait_for_url(server + "/staff")
    form = {"action": "add", "kind": "split", "a": a, "b": b, "why": "csrf probe"}
    assert page.request.post(server + "/staff/overrides", form=form).status == 403  # no token
    assert page.request.post(server + "/staff/overrides", form={**form, "csrf_token": "f" * 64}).status == 403
    # a tampered token in the real form: the browser submits it and the server refuses it
    page.locator("form.staff-form input[name=csrf_token]").evaluate("node => node.value = 'f'.repeat(64)")
    page.get_by_label("First record id").fill(a)
    page.get_by_label("Second record id").fill(b)
    page.get_by_label("Why").fill("csrf probe")
    with page.expect_response(re.compile(r"/staff/overrides$")) as response:
        page.get_by_role("button", name="Save override").click()
    assert response.value.status == 403
    assert "CSRF" in page.locator("main").inner_text()
    page.goto(server + "/staff/audit")
    assert "csrf probe" not in page.locator("main").inner_text()  # nothing was changed
