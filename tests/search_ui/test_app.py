"""The app itself: the lifespan opens and closes its own catalog, errors pages vs JSON, static files."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import httpx
import pytest

from search_ui.app import create_app
from tests.search_ui.dataset import Dataset
from tests.search_ui.html import texts, tree

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def test_lifespan_opens_the_catalog_from_settings_and_closes_it(dataset: Dataset) -> None:
    app = create_app(dataset.settings)
    with TestClient(app) as client:
        assert app.state.catalog is not None
        assert client.get("/search.json", params={"q": "moby"}).json()["total"] == 1
    assert app.state.catalog is None


def test_not_found_page_and_json(client: TestClient) -> None:
    page = client.get("/no/such/page")
    assert page.status_code == 404 and texts(tree(page), "//h1")[0].startswith("Not Found")
    assert tree(page).xpath("//form[@role='search']")  # a way back in
    data = client.get("/no/such/page.json")
    assert data.status_code == 404 and data.json()["error"]["status"] == 404
    assert client.post("/search").status_code == 405


def test_unexpected_errors_show_a_plain_500_without_details(dataset: Dataset) -> None:
    class Broken:
        def search(self, request: object) -> object:
            raise RuntimeError("secret internals /etc/passwd")

    with TestClient(create_app(dataset.settings, Broken()), raise_server_exceptions=False) as client:  # type: ignore[arg-type]
        page = client.get("/search", params={"q": "x"})
        assert page.status_code == 500 and "secret internals" not in page.text
        assert "Something went wrong" in page.text
        data = client.get("/search.json", params={"q": "x"})
        assert data.status_code == 500 and "secret" not in data.text and data.json()["error"]["status"] == 500


def test_stylesheet_is_served(client: TestClient) -> None:
    css = client.get("/static/unioncat.css")
    assert css.status_code == 200 and ":focus-visible" in css.text and "@media" in css.text


def test_serve_command_prints_the_address_and_serves(dataset: Dataset) -> None:
    port = _free_port()
    command = [
        sys.executable,
        "-c",
        "from search_ui.cli import cli; cli()",
        "--config",
        str(dataset.settings.config_file),
        "serve",
        "--port",
        str(port),
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        response = _wait_for(f"http://127.0.0.1:{port}/search.json?q=moby", process)
        assert response.json()["total"] == 1
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}" in output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(url: str, process: subprocess.Popen[str], seconds: float = 20.0) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return httpx.get(url, timeout=2.0)
        except httpx.TransportError:
            if process.poll() is not None:
                pytest.fail(f"serve exited: {process.communicate()[0]}")
            if time.monotonic() > deadline:
                pytest.fail(f"server did not answer {url}")
            time.sleep(0.1)


def test_an_empty_catalog_says_how_to_fill_it(tmp_path: Path) -> None:
    from harvester.settings import load_settings

    (tmp_path / "unioncat.toml").write_text('data_dir = "var"\n', encoding="utf-8")
    with TestClient(create_app(load_settings(tmp_path / "unioncat.toml"))) as client:
        notice = tree(client.get("/")).xpath("//p[@role='status']")[0].text_content()
        assert "unioncat harvest" in notice and "unioncat index" in notice
        assert client.get("/search.json", params={"q": "anything"}).json()["total"] == 0
        assert tree(client.get("/partners")).xpath("//p[@class='notice']")
