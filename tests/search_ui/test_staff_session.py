"""Staff sign-in, cookies, CSRF, the web overrides and their audit trail (in-process; chromium: tests/browser)."""

from __future__ import annotations

import dataclasses
import re
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from harvester.store import RecordStore
from harvester.store.staff import StaffStore
from indexer.catalog import Catalog
from search_ui.app import create_app
from search_ui.staff.passwords import hash_password, needs_rehash, verify_password
from search_ui.staff.session import CSRF_FIELD
from search_ui.staff.views import ROUTES
from tests.search_ui.dataset import Dataset, build

PASSWORD = "correct horse battery"
_TOKEN = re.compile(rf'name="{CSRF_FIELD}" value="([0-9a-f]+)"')


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Dataset, Catalog]]:
    dataset = build(tmp_path_factory.mktemp("staff-catalog"))
    catalog = Catalog.open(dataset.settings)
    StaffStore(catalog.store).add("ada", hash_password(PASSWORD))
    run = catalog.store.start_run("east")  # a run whose messages name internal places
    catalog.store.quarantine("east", run, "/srv/feeds/secret-dir/east2.mrc", "record 2", "bad leader", b"x")
    catalog.store.finish_run(run, "failed", {"read": 1}, error="redirected to http://10.1.2.3:8080/in/oai?key=s3cret")
    yield dataset, catalog
    catalog.close()


def https_client(dataset: Dataset, catalog: Catalog, **staff: object) -> TestClient:
    settings = dataclasses.replace(dataset.settings, staff=dataclasses.replace(dataset.settings.staff, **staff))
    return TestClient(create_app(settings, catalog), base_url="https://testserver", raise_server_exceptions=True)


@pytest.fixture
def client(own: tuple[Dataset, Catalog]) -> Iterator[TestClient]:
    with https_client(*own) as test_client:
        yield test_client


def token_of(client: TestClient, path: str = "/staff/sign-in") -> str:
    match = _TOKEN.search(client.get(path).text)
    assert match, path
    return match.group(1)


def sign_in(client: TestClient, password: str = PASSWORD) -> object:
    token = token_of(client)
    return client.post("/staff/sign-in", data={CSRF_FIELD: token, "name": "ada", "password": password,
                                               "next": "/staff"}, follow_redirects=False)


def test_passwords_are_argon2_hashes_checked_in_constant_work() -> None:
    hashed = hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed
    assert verify_password(hashed, PASSWORD) and not verify_password(hashed, PASSWORD + "x")
    assert not verify_password(None, PASSWORD) and not verify_password("not a hash", PASSWORD)
    assert not needs_rehash(hashed) and hash_password(PASSWORD) != hashed  # salted
    with pytest.raises(ValueError, match="at least 12"):
        hash_password("short")


def test_accounts_and_sessions_in_the_store(tmp_path: Path) -> None:
    store = RecordStore(tmp_path / "s.sqlite")
    accounts = StaffStore(store)
    assert accounts.add("bo", hash_password(PASSWORD)) and accounts.password_hash("bo", ).startswith("$argon2")
    accounts.open_session("d1", "bo", time.time() + 60)
    accounts.open_session("d0", "bo", time.time() - 1)
    assert accounts.session_user("d1") == "bo" and accounts.session_user("d0") is None
    assert not accounts.add("bo", hash_password(PASSWORD + "!"))  # a new password ends the sessions
    assert accounts.session_user("d1") is None
    accounts.open_session("d2", "bo", time.time() + 60)
    assert accounts.remove("bo") and accounts.session_user("d2") is None and not accounts.remove("bo")
    store.close()


def test_staff_pages_need_sign_in(client: TestClient) -> None:
    for path in ("/staff", "/staff/audit"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == f"/staff/sign-in?next={path}"
        assert response.headers["cache-control"] == "private, no-store"


def test_sign_in_sets_a_secure_httponly_samesite_cookie(client: TestClient) -> None:
    page = client.get("/staff/sign-in")
    csrf_cookie = page.headers["set-cookie"]
    assert csrf_cookie.startswith("__Host-unioncat_csrf=") and "HttpOnly" in csrf_cookie
    assert "SameSite=Strict" in csrf_cookie and "Secure" in csrf_cookie and "Path=/" in csrf_cookie
    assert sign_in(client, "wrong password!").status_code == 401
    response = sign_in(client)
    assert response.status_code == 303 and response.headers["location"] == "/staff"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-unioncat_staff=") and "HttpOnly" in cookie and "Secure" in cookie
    assert "samesite=lax" in cookie.lower() and "Path=/" in cookie and "Max-Age=28800" in cookie
    home = client.get("/staff")
    assert home.status_code == 200 and "Signed in as" in home.text
    assert home.headers["cache-control"] == "private, no-store" and "Cookie" in home.headers["vary"]
    record = client.get("/partners")  # any page a signed-in member reads is private
    assert record.headers["cache-control"] == "private, no-store"


def test_insecure_cookies_only_when_configured(own: tuple[Dataset, Catalog]) -> None:
    with https_client(*own, secure_cookies=False) as client:
        response = sign_in(client)
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("unioncat_staff=") and "Secure" not in cookie and "HttpOnly" in cookie


def test_public_pages_stay_cacheable(client: TestClient) -> None:
    assert "no-store" not in client.get("/partners").headers.get("cache-control", "")


def test_csrf_refuses_a_missing_wrong_or_foreign_token(client: TestClient) -> None:
    form = {"name": "ada", "password": PASSWORD}
    assert client.post("/staff/sign-in", data=form).status_code == 403  # no token
    token = token_of(client)
    assert client.post("/staff/sign-in", data={**form, CSRF_FIELD: "0" * 64}).status_code == 403
    assert client.post("/staff/sign-in", data={**form, CSRF_FIELD: token},
                       headers={"origin": "https://evil.example"}).status_code == 403
    other = TestClient(client.app, base_url="https://testserver")  # another browser: its own cookie
    other.get("/staff/sign-in")
    assert other.post("/staff/sign-in", data={**form, CSRF_FIELD: token}).status_code == 403
    assert client.post("/staff/sign-in", data={**form, CSRF_FIELD: token}, follow_redirects=False).status_code == 303


def test_every_staff_form_route_checks_csrf(client: TestClient) -> None:
    sign_in(client)
    posts = [route.path for route in ROUTES if "POST" in (route.methods or ())]
    assert set(posts) == {"/staff/sign-in", "/staff/sign-out", "/staff/overrides"}
    for path in posts:
        assert client.post(path, data={"kind": "block", "a": "isbn:1", "why": "x"}).status_code == 403, path
    assert client.get("/staff").status_code == 200  # still signed in: the refused sign-out did nothing


def test_the_token_changes_with_the_session(client: TestClient) -> None:
    before = token_of(client)
    sign_in(client)
    assert token_of(client, "/staff") != before


def test_sign_out_ends_the_session(client: TestClient) -> None:
    sign_in(client)
    token = token_of(client, "/staff")
    response = client.post("/staff/sign-out", data={CSRF_FIELD: token}, follow_redirects=False)
    assert response.status_code == 303 and "unioncat_staff=" in response.headers["set-cookie"]
    assert client.get("/staff", follow_redirects=False).status_code == 303


def test_web_overrides_are_audited(client: TestClient, own: tuple[Dataset, Catalog]) -> None:
    _, catalog = own
    sign_in(client)
    token = token_of(client, "/staff")
    form = {CSRF_FIELD: token, "action": "add", "kind": "split", "a": "north:m1", "b": "south:m2"}
    assert client.post("/staff/overrides", data=form).status_code == 400  # no reason given
    response = client.post("/staff/overrides", data={**form, "why": "different printings"}, follow_redirects=False)
    assert response.status_code == 303
    assert {"kind": "split", "a": "north:m1", "b": "south:m2"}.items() <= catalog.clusters.list_overrides()[-1].items()
    bad = client.post("/staff/overrides", data={**form, "a": "nope:1", "why": "x"})
    assert bad.status_code == 400 and "no stored record nope:1" in bad.text
    removed = {**form, "action": "remove", "why": "they are the same after all"}
    assert client.post("/staff/overrides", data=removed, follow_redirects=False).status_code == 303
    rows = catalog.clusters.staff.audit()
    assert [(r["who"], r["action"], r["kind"], r["why"]) for r in rows[:2]] == [
        ("ada", "remove", "split", "they are the same after all"), ("ada", "add", "split", "different printings")]
    assert abs(float(rows[0]["at"]) - time.time()) < 60  # type: ignore[arg-type]
    page = client.get("/staff/audit").text
    assert "different printings" in page and "they are the same after all" in page


def test_staff_read_raw_marc_and_full_partner_messages(client: TestClient, own: tuple[Dataset, Catalog]) -> None:
    dataset, _ = own
    for page in ("/partners", "/partners.json"):
        text = client.get(page).text
        assert "east2.mrc" in text and "[address withheld]" in text  # what, and that there was a redirect
        assert "secret-dir" not in text and "10.1.2.3" not in text and "s3cret" not in text, page
    sign_in(client)
    assert client.get(f"/record/{dataset.moby}/raw/north:m1").status_code == 200
    for page in ("/partners", "/partners.json"):
        text = client.get(page).text
        assert "/srv/feeds/secret-dir/east2.mrc" in text and "http://10.1.2.3:8080/in/oai?key=s3cret" in text


def test_a_trusted_proxy_header_signs_in(own: tuple[Dataset, Catalog]) -> None:
    with https_client(*own, auth_header="X-Remote-User", trusted_proxies=("testclient",)) as client:
        assert client.get("/staff", headers={"X-Remote-User": "bea"}).status_code == 200
    with https_client(*own, auth_header="X-Remote-User", trusted_proxies=("10.0.0.1",)) as client:
        assert client.get("/staff", headers={"X-Remote-User": "bea"}, follow_redirects=False).status_code == 303
    with https_client(*own) as client:  # off by default
        assert client.get("/staff", headers={"X-Remote-User": "bea"}, follow_redirects=False).status_code == 303


def test_staff_cli_adds_lists_and_removes(own: tuple[Dataset, Catalog]) -> None:
    from search_ui.cli import cli

    dataset, catalog = own
    config = str(dataset.settings.config_file)
    runner = CliRunner()
    added = runner.invoke(cli, ["--config", config, "staff", "add", "cy", "--password-stdin"], input=PASSWORD + "\n")
    assert added.exit_code == 0 and "added" in added.output
    assert verify_password(StaffStore(catalog.store).password_hash("cy"), PASSWORD)
    short = runner.invoke(cli, ["--config", config, "staff", "add", "cy", "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "at least 12" in short.output
    assert "cy" in runner.invoke(cli, ["--config", config, "staff", "list"]).output.split()
    assert runner.invoke(cli, ["--config", config, "staff", "remove", "cy"]).exit_code == 0
    assert runner.invoke(cli, ["--config", config, "staff", "remove", "cy"]).exit_code != 0


def test_repeated_wrong_passwords_are_refused_for_a_while_and_say_until_when(own: tuple[Dataset, Catalog]) -> None:
    """After five wrong passwords for one name, even the right one is refused (429, Retry-After) and no
    password is checked; another name still signs in; the count is in the store (every worker sees it)."""
    from search_ui.staff import throttle

    dataset, catalog = own
    accounts = StaffStore(catalog.store)
    accounts.add("bea", hash_password(PASSWORD))
    with https_client(dataset, catalog) as client:
        def attempt(name: str, password: str) -> Any:
            return client.post("/staff/sign-in", data={CSRF_FIELD: token_of(client), "name": name,
                                                       "password": password, "next": "/staff"},
                               follow_redirects=False)

        for _ in range(throttle.PER_ACCOUNT):
            assert attempt("bea", "not the password").status_code == 401
        refused = attempt("BEA", PASSWORD)  # names are counted case-blind
        assert refused.status_code == 429 and "try again in 15 minutes" in refused.text
        assert 800 < int(refused.headers["Retry-After"]) <= throttle.WINDOW
        assert attempt("ada", PASSWORD).status_code == 303  # clears ada's count, not bea's
        assert len(accounts.failures_since("name:bea", time.time() - throttle.WINDOW)) == throttle.PER_ACCOUNT
    later = time.time() + throttle.WINDOW + 1
    assert throttle.wait_seconds(accounts, "bea", "testclient", now=later) == 0
    accounts.clear_failures("name:bea")
    accounts.clear_failures("client:testclient")


def test_one_client_guessing_many_names_is_slowed_too(tmp_path: Path) -> None:
    from search_ui.staff import throttle

    with RecordStore(tmp_path / "s.sqlite") as store:
        accounts = StaffStore(store)
        now = 1_000_000.0
        for i in range(throttle.PER_CLIENT):
            assert throttle.wait_seconds(accounts, f"name{i}", "10.0.0.9", now=now + i) == 0
            throttle.failed(accounts, f"name{i}", "10.0.0.9", now=now + i)
        assert throttle.wait_seconds(accounts, "fresh", "10.0.0.9", now=now + 30) == throttle.WINDOW - 30
        assert throttle.wait_seconds(accounts, "fresh", "10.0.0.8", now=now + 30) == 0
        assert throttle.wait_seconds(accounts, "fresh", "10.0.0.9", now=now + throttle.WINDOW) == 0
        throttle.failed(accounts, "x", "10.0.0.7", now=now + 3 * throttle.WINDOW)  # old rows are dropped
        assert accounts.failures_since("client:10.0.0.9", 0) == []
