"""uvicorn's h11 protocol with a deadline for slow clients (slowloris).

uvicorn times out idle keep-alive connections, but only after a response: a connection that never
sends a byte, or sends a request's headers one byte every few seconds, is kept open for ever, and a
few hundred of those exhaust a server. `GuardedH11Protocol` closes a connection whose request has not
been fully received within ``header_timeout`` seconds (`search_ui.limits.WebLimits`) while no view is
working on it: from the connection's start or the first byte of the next request until its headers
are complete, and again after a response while the client still trickles a body nobody reads. A body
a view is reading has its own deadline in `search_ui.limits.BodyLimits`.

Selected with ``uvicorn.run(..., http="search_ui.protocol:GuardedH11Protocol")`` by `search_ui.serve`,
whose options (in every worker) carry the deadline. Header size stays bounded by h11's
``h11_max_incomplete_event_size``.
"""

from __future__ import annotations

import asyncio
import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from search_ui.limits import WebLimits

log = logging.getLogger("unioncat.web")


def header_timeout() -> float:
    """This server's deadline (`search_ui.serve.current_options`), or the default outside `unioncat serve`."""
    from search_ui.serve import current_options

    try:
        return current_options().limits.header_timeout
    except RuntimeError:
        return WebLimits().header_timeout


class GuardedH11Protocol(H11Protocol):
    """`H11Protocol` plus the request deadline described in the module docstring."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.header_timeout = header_timeout()
        self.request_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._waiting_for_client():
            self._arm()
        else:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _waiting_for_client(self) -> bool:
        """No view is working for this connection, yet the client has not finished its request."""
        if self.transport.is_closing():
            return False
        idle = self.cycle is None or self.cycle.response_complete
        return idle and self.conn.their_state in (h11.IDLE, h11.SEND_BODY)

    def _arm(self) -> None:
        if self.request_deadline is None and self.header_timeout > 0:
            self.request_deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self.request_deadline is not None:
            self.request_deadline.cancel()
            self.request_deadline = None

    def _too_slow(self) -> None:
        self.request_deadline = None
        if not self.transport.is_closing() and self._waiting_for_client():
            log.info("closed a connection from %s: no complete request within %g s", self.client, self.header_timeout)
            self.transport.close()
