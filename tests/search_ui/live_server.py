"""`unioncat serve` as a real process on a free 127.0.0.1 port, for tests that need the real HTTP server
(worker processes, slow-client deadlines, malformed requests, what the server logs)."""

from __future__ import annotations

import gzip
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

STARTUP_SECONDS = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    port: int
    log: Path
    process: subprocess.Popen[bytes]

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        """(status, headers with lower-case names, body decompressed) of one GET on a new connection."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            body = response.read()
            found = {name.lower(): value for name, value in response.getheaders()}
        finally:
            conn.close()
        if found.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        return response.status, found, body

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def live_server(config: Path, log: Path, *options: str) -> Iterator[LiveServer]:
    """Start ``unioncat --config CONFIG serve --port P OPTIONS...``, wait until it answers, stop it after."""
    port = free_port()
    unioncat = Path(sys.executable).with_name("unioncat")
    command = [str(unioncat), "--config", str(config), "serve", "--port", str(port), *options]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = LiveServer(port, log, process)
    try:
        _wait_until_up(server)
        yield server
    finally:
        _stop(process)


def _wait_until_up(server: LiveServer) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"unioncat serve exited with {server.process.returncode}:\n{server.log_text()}")
        try:
            if server.get("/robots.txt")[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"unioncat serve did not answer within {STARTUP_SECONDS} s:\n{server.log_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGINT to the server's own process group (the supervisor and its workers), then wait."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
