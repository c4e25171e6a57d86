"""Request bodies within bounds: a size limit and a deadline, for every route, before any view runs.

Every POST route (OAI-PMH, SRU, the holdings batch, staff forms) reads its body through Starlette,
which would buffer whatever a client sends for as long as it takes. `BodyLimits` reads the body
itself, first: a declared ``Content-Length`` over the limit is refused at once (413), a body that
grows past it while arriving (chunked) is refused when it does (413), a body that is not complete
within the deadline (a slowloris-style trickle) gets 408, and a client that disconnects or sends a
malformed body before it is complete gets nothing and costs one debug line, not a traceback (the
HTTP server has already answered 400 to a malformed one). The view then reads the buffered body.

The header phase has its own deadline in the HTTP protocol (`search_ui.protocol`), since no ASGI
code runs before the headers are complete.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import anyio
from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("unioncat.web")

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True, slots=True)
class WebLimits:
    """The bounds one server enforces (`unioncat serve` options)."""

    max_body: int = 1024 * 1024
    """Bytes of request body, any route: a 1 MiB holdings batch is ~50,000 identifiers."""
    body_timeout: float = 30.0
    """Seconds from the request's headers to the end of its body."""
    header_timeout: float = 10.0
    """Seconds a connection may take to send a request's headers (enforced in `search_ui.protocol`)."""


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    pass


class BodyLimits:
    """ASGI middleware: buffer a request body within `WebLimits`, or answer 413/408 without the app."""

    def __init__(self, app: ASGIApp, limits: WebLimits | None = None) -> None:
        self.app = app
        self.limits = limits or WebLimits()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.limits.max_body:
            await _refuse(413, f"The request body is larger than {self.limits.max_body:,} bytes.", scope, receive,
                          send)
            return
        try:
            with anyio.fail_after(self.limits.body_timeout):
                body = await _read_body(receive, self.limits.max_body)
        except BodyTooLarge:
            await _refuse(413, f"The request body is larger than {self.limits.max_body:,} bytes.", scope, receive,
                          send)
            return
        except TimeoutError:
            await _refuse(408, f"The request body took longer than {self.limits.body_timeout:g} s.", scope, receive,
                          send)
            return
        except ClientGone:
            log.debug("client left before sending the whole body of %s %s", scope["method"], scope["path"])
            return
        await self.app(scope, _replay_body(body, receive), send)


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay_body(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app the buffered body once, then waits for the disconnect as usual."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _refuse(status: int, text: str, scope: Scope, receive: Receive, send: Send) -> None:
    """A short plain-text refusal that closes the connection (the rest of the body is not read)."""
    log.info("refused %s %s: %s", scope["method"], scope["path"], text)
    response = PlainTextResponse(text, status_code=status, headers={"Connection": "close"})
    await response(scope, receive, send)

