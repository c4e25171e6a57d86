"""uvicorn's HTTP protocols with a deadline and a size bound for slow or endless request heads (slowloris).

uvicorn times out idle keep-alive connections, but only after a response: a connection that never
sends a byte, or sends a request's headers one byte every few seconds, is kept open for ever, and a
few hundred of those exhaust a server. The guarded protocols close a connection whose request has not
been fully received within ``header_timeout`` seconds (`search_ui.limits.WebLimits`) while no view is
working on it: from the connection's start or the first byte of the next request until its headers
are complete, and again after a response while the client still trickles a body nobody reads. They
also close it once more than `MAX_HEAD_BYTES` arrive in that state: h11 bounds a head by itself
(``h11_max_incomplete_event_size``), uvicorn's httptools protocol does not (it appends the URL and
headers as they come). A body a view is reading has its own deadline in `search_ui.limits.BodyLimits`.

`search_ui.serve.protocol_name` picks one: httptools (a C parser, the faster) when installed, else
h11; its options, in every worker, carry the deadline.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools not installed: h11 only
    HttpToolsProtocol = None  # type: ignore[misc,assignment]

from search_ui.limits import WebLimits

log = logging.getLogger("unioncat.web")

MAX_HEAD_BYTES = 16 * 1024
"""Bytes a client may send while no request of its is being answered (one request's line and headers)."""


def header_timeout() -> float:
    """This server's deadline (`search_ui.serve.current_options`), or the default outside `unioncat serve`."""
    from search_ui.serve import current_options

    try:
        return current_options().limits.header_timeout
    except RuntimeError:
        return WebLimits().header_timeout


class RequestDeadline(asyncio.Protocol):
    """The deadline, for any uvicorn HTTP protocol class (mixed in before it; see the module docstring).

    "Waiting for the client" is: the connection is open and no request is being answered (no cycle, or
    the last one's response is complete). uvicorn's own keep-alive timer covers a connection that sends
    nothing after a response; this one covers the rest, from the connection's start or the first byte
    of the next request, until a request's headers are complete.
    """

    cycle: Any
    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    client: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_deadline()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._after_data(len(data))

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _init_deadline(self) -> None:
        self.header_timeout = header_timeout()
        self.request_deadline: asyncio.TimerHandle | None = None
        self.head_bytes = 0

    def _after_data(self, size: int) -> None:
        if not self._waiting_for_client():
            self._disarm()
            self.head_bytes = 0
            return
        self._arm()
        self.head_bytes += size
        if self.head_bytes > MAX_HEAD_BYTES:
            log.info("closed a connection from %s: request head over %d bytes", self.client, MAX_HEAD_BYTES)
            self.transport.close()

    def _waiting_for_client(self) -> bool:
        if self.transport.is_closing():
            return False
        return self.cycle is None or bool(self.cycle.response_complete)

    def _arm(self) -> None:
        if self.request_deadline is None and self.header_timeout > 0:
            self.request_deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self.request_deadline is not None:
            self.request_deadline.cancel()
            self.request_deadline = None

    def _too_slow(self) -> None:
        self.request_deadline = None
        if self._waiting_for_client():
            log.info("closed a connection from %s: no complete request within %g s", self.client, self.header_timeout)
            self.transport.close()


class GuardedH11Protocol(RequestDeadline, H11Protocol):
    """uvicorn's pure-Python h11 protocol with the request deadline."""


if HttpToolsProtocol is not None:

    class GuardedHttpToolsProtocol(RequestDeadline, HttpToolsProtocol):  # type: ignore[misc,valid-type]
        """uvicorn's httptools protocol (C parser, about twice h11's rate) with the request deadline."""

