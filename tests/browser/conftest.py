"""Browser fixtures: Debian chromium through Playwright, against uvicorn serving the bundled samples.

Never downloads a browser: Playwright launches /usr/bin/chromium (or $UNIONCAT_CHROMIUM). Without it
these tests skip with a message, unless UNIONCAT_REQUIRE_BROWSER=1 (CI), where a missing browser is a
failure.

The catalog is the demo's: the real harvester reads `samples/` (five library catalogs and two
HathiTrust sets), the real index pipeline clusters and indexes them, and a real uvicorn serves the
app on a free loopback port in a thread.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("UNIONCAT_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    message = (
        f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium) to run browser tests"
    )
    if os.environ.get("UNIONCAT_REQUIRE_BROWSER") == "1":
        pytest.fail(message + " (UNIONCAT_REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture(scope="session")
def demo_settings(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The demo config's sources, harvested and indexed into a fresh data folder."""
    from harvester.run import harvest_sources
    from harvester.settings import load_settings
    from harvester.store import RecordStore
    from indexer.run import update_index
    from indexer.search.backends import open_backend

    settings = dataclasses.replace(
        load_settings(ROOT / "config" / "unioncat.toml"), data_dir=tmp_path_factory.mktemp("demo")
    )
    with RecordStore(settings.store_path) as store:
        results = harvest_sources(settings, store, settings.sources, workers=1, show_progress=False)
        assert all(r.status == "ok" for r in results), [r.error for r in results]
        backend = open_backend(settings)
        try:
            update_index(settings, store, backend, show_progress=False)
        finally:
            backend.close()
    return settings


@pytest.fixture(scope="session")
def server(demo_settings: Any) -> Iterator[str]:
    """uvicorn serving the app on a free 127.0.0.1 port, in a thread; yields the base URL."""
    import uvicorn

    from search_ui.app import create_app

    port = _free_port()
    config = uvicorn.Config(create_app(demo_settings), host="127.0.0.1", port=port, log_level="warning")
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(target=uvicorn_server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uvicorn_server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uvicorn_server.should_exit = True
    thread.join(timeout=10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
