"""Server hygiene against slow or hostile clients, on a real `unioncat serve` on 127.0.0.1: deadlines for
headers and bodies, body limits on every POST route, errors logged once, and CSV cells that no
spreadsheet runs as formulas."""

from __future__ import annotations

import csv
import io
import logging
import socket
import time
import warnings
from collections.abc import Iterator

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from indexer.analytics.export import csv_lines, csv_text
from indexer.csv_safe import safe_cell, safe_row
from search_ui.app import create_app
from search_ui.error_log import ErrorLog, RepeatFilter
from search_ui.limits import WebLimits
from tests.search_ui.dataset import Dataset
from tests.search_ui.live_server import LiveServer, live_server

DEADLINE = 1.0
"""The server's header and body timeouts in these tests, in seconds."""
MAX_BODY_KB = 16
POST_ROUTES = ("/oai", "/sru", "/holdings", "/holdings.json", "/holdings.csv")


@pytest.fixture(scope="module")
def server(dataset: Dataset, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    log = tmp_path_factory.mktemp("hygiene") / "serve.log"
    with live_server(dataset.settings.config_file, log, "--workers", "1", "--header-timeout", str(DEADLINE),
                     "--body-timeout", str(DEADLINE), "--max-body-kb", str(MAX_BODY_KB)) as live:
        yield live


def closed_within(sock: socket.socket, seconds: float, trickle: bytes = b"") -> float | None:
    """Seconds until the server closed ``sock`` (sending ``trickle`` a byte at a time), None if it did not."""
    start = time.monotonic()
    sock.settimeout(0.25)
    sent = 0
    while time.monotonic() - start < seconds:
        try:
            if sent < len(trickle):
                sock.sendall(trickle[sent:sent + 1])
                sent += 1
            if sock.recv(4096) == b"":
                return time.monotonic() - start
        except TimeoutError:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - start
    return None


def test_a_connection_that_sends_nothing_is_closed(server: LiveServer) -> None:
    with server.connect() as sock:
        waited = closed_within(sock, 10 * DEADLINE)
    assert waited is not None and waited >= DEADLINE * 0.9


def test_headers_sent_a_byte_at_a_time_are_cut_off(server: LiveServer) -> None:
    slow = b"GET /search?q=history HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 200
    with server.connect() as sock:
        waited = closed_within(sock, 10 * DEADLINE, trickle=slow)
    assert waited is not None and waited < 5 * DEADLINE


def test_a_slow_request_after_a_keep_alive_response_is_cut_off_too(server: LiveServer) -> None:
    with server.connect() as sock:
        sock.sendall(b"GET /robots.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        waited = closed_within(sock, 10 * DEADLINE, trickle=b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: yes")
    assert waited is not None


def test_an_endless_request_head_is_cut_off(server: LiveServer) -> None:
    with server.connect() as sock:
        sock.sendall(b"GET /search?q=history HTTP/1.1\r\nHost: x\r\n")
        answer = b""
        try:
            for _ in range(64):
                sock.sendall(b"X-Padding: " + b"a" * 1000 + b"\r\n")
            sock.settimeout(10)
            answer = sock.recv(65536)
        except (BrokenPipeError, ConnectionResetError):
            pass
    assert answer in (b"",) or answer.startswith(b"HTTP/1.1 4"), answer[:200]


def test_a_body_that_does_not_arrive_in_time_gets_408(server: LiveServer) -> None:
    with server.connect() as sock:
        sock.sendall(b"POST /oai HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: 100\r\n\r\nverb=Ide")
        sock.settimeout(10 * DEADLINE)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]


@pytest.mark.parametrize("path", POST_ROUTES)
def test_every_post_route_refuses_a_body_over_the_limit(server: LiveServer, path: str) -> None:
    big = MAX_BODY_KB * 1024 + 1
    with server.connect() as sock:  # declared: refused before a byte of it is read
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {big}\r\n\r\n".encode())
        assert sock.recv(65536).startswith(b"HTTP/1.1 413")
    with server.connect() as sock:  # chunked: refused once it grows past the limit
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
        chunk = b"ids=" + b"9" * 4092
        answer = b""
        for _ in range(MAX_BODY_KB + 2):
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                break
        sock.settimeout(10)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_a_body_under_the_limit_still_works(server: LiveServer) -> None:
    with server.connect() as sock:
        body = b"verb=Identify"
        sock.sendall(b"POST /oai HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
        sock.settimeout(10)
        answer = b"".join(iter(lambda: sock.recv(65536), b""))
    assert answer.startswith(b"HTTP/1.1 200") and b"<Identify>" in answer


def test_malformed_chunked_posts_cost_one_line_each_and_no_traceback(server: LiveServer) -> None:
    before = server.log_text()
    for _ in range(5):
        with server.connect() as sock:
            sock.sendall(b"POST /oai HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                         b"Content-Type: application/x-www-form-urlencoded\r\n\r\nzz\r\nverb=Identify\r\n0\r\n\r\n")
            sock.settimeout(10)
            assert sock.recv(65536).startswith(b"HTTP/1.1 400")
    time.sleep(0.5)
    added = server.log_text()[len(before):]
    assert "Traceback" not in added
    assert added.count("Invalid HTTP request received.") <= 1  # then counted, once a minute


def test_repeated_server_warnings_pass_once_per_window_then_with_a_count() -> None:
    now = [0.0]
    repeats = RepeatFilter(window=60, clock=lambda: now[0])

    def warning(text: str) -> logging.LogRecord:
        return logging.LogRecord("uvicorn.error", logging.WARNING, __file__, 1, text, None, None)

    passed = []
    for second in range(0, 121):
        now[0] = float(second)
        record = warning("Invalid HTTP request received.")
        if repeats.filter(record):
            passed.append(record.getMessage())
    assert passed[0] == "Invalid HTTP request received." and len(passed) == 3
    assert passed[1] == "Invalid HTTP request received. (59 more like it in the last 60 s not logged)"
    assert repeats.filter(warning("something else"))
    assert repeats.filter(logging.LogRecord("x", logging.ERROR, __file__, 1, "Invalid HTTP request received.",
                                            None, None))


def test_limits_apply_in_process_too(dataset: Dataset) -> None:
    app = create_app(dataset.settings, limits=WebLimits(max_body=100))
    with TestClient(app) as client:
        assert client.post("/holdings", content=b"ids=" + b"1" * 200).status_code == 413
        ok = client.post("/holdings", data={"ids": "9780142437247"})
        assert ok.status_code == 200 and "Moby" in ok.text


class BrokenCatalog:
    """A catalog whose search fails like a bug would (everything else is the real one)."""

    def __init__(self, real: object) -> None:
        self.real = real

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)

    def search(self, request: object) -> object:
        raise RuntimeError("boom")


def test_an_unexpected_error_is_logged_once_not_per_request(
    dataset: Dataset, catalog: object, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(dataset.settings, BrokenCatalog(catalog))  # type: ignore[arg-type]
    app.reraise_logged = False  # as `unioncat serve` runs it
    with caplog.at_level(logging.ERROR, logger="unioncat.web"), TestClient(app) as client:
        for _ in range(20):
            response = client.get("/search?q=history")
            assert response.status_code == 500 and "boom" not in response.text
    records = [r for r in caplog.records if r.name == "unioncat.web"]
    assert len(records) == 1 and records[0].exc_info is not None


def test_error_log_counts_repeats_and_writes_one_line_per_window(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    errors = ErrorLog(window=60, clock=lambda: now[0])

    def fail() -> ValueError:
        try:
            raise ValueError("bad")
        except ValueError as exc:
            return exc

    with caplog.at_level(logging.ERROR, logger="unioncat.web"):
        for second in range(0, 130):
            now[0] = float(second)
            errors.error(fail(), "/x")
    lines = [r for r in caplog.records if r.name == "unioncat.web"]
    assert len(lines) == 3  # the first in full, then one summary per minute
    assert lines[0].exc_info is not None and lines[1].exc_info is None
    assert "59 more" in lines[1].getMessage()


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=HYPERLINK(\"x\")"])
def test_formula_cells_are_neutralised(cell: str) -> None:
    assert safe_cell(cell) == "'" + cell


def test_ordinary_cells_and_numbers_are_left_alone() -> None:
    assert safe_row(["Moby Dick", "a-b", " =x", 3, -2, None, ""]) == ["Moby Dick", "a-b", " =x", 3, -2, None, ""]


def test_analytics_csv_guards_titles_from_records() -> None:
    rows = [["c1", "-1+2 history"], ["c2", "@cmd"], ["c3", "Plain"]]
    for text in (csv_text(("id", "title"), rows), "".join(csv_lines(("id", "title"), rows))):
        read = list(csv.reader(io.StringIO(text)))
        assert [row[1] for row in read[1:]] == ["'-1+2 history", "'@cmd", "Plain"]
