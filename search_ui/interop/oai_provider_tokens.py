"""OAI-PMH resumption tokens that need no server memory: the whole list position, signed, in the token.

A harvest of a large catalog takes hours and the server may restart in between; a token that names a
row in server memory would then be lost. Here a token carries the request (verb, prefix, set,
from/until), the keyset position (datestamp and id of the last item sent, since the list is ordered by
``(datestamp, id)``), the count already sent and the time it was issued, as base64url JSON with an
HMAC-SHA256 signature. The key lives in the record store (`Catalog.secret`), so tokens survive restarts
and cannot be forged or edited; an expired, edited or foreign token is a ``badResumptionToken``.

Keyset positions (rather than offsets) mean a cluster changed during the harvest moves behind the
cursor and is sent again at the end instead of shifting every later page by one: nothing is skipped.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from dataclasses import asdict, dataclass

TOKEN_KEY = "oai_provider.tokens"
"""The name of the signing key in the catalog (`Catalog.secret`): one per store, kept across restarts."""
TOKEN_TTL = 24 * 3600.0
"""Seconds a token stays valid; announced in its ``expirationDate``."""


class BadToken(ValueError):
    """A token that cannot be resumed: the message says why (expired, altered, malformed)."""


@dataclass(frozen=True, slots=True)
class ListState:
    """Where a list request stands: its arguments and the last item already sent."""

    verb: str
    prefix: str
    set_spec: str
    start: float | None  # datestamp bounds, seconds since the epoch; end exclusive
    end: float | None
    after_stamp: float
    after_id: str
    cursor: int  # items sent before this page
    issued: float = 0.0
    total: int = -1  # completeListSize as counted for the first page (-1: not counted / unknown)


def encode(state: ListState, key: bytes, now: float | None = None) -> str:
    """A token for ``state`` issued ``now``."""
    data = asdict(state)
    data["issued"] = time.time() if now is None else now
    body = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=")
    return f"{body.decode()}.{_mac(key, body)}"


def decode(token: str, key: bytes, ttl: float = TOKEN_TTL, now: float | None = None) -> ListState:
    """The state in a token, or `BadToken` when it is malformed, altered or older than ``ttl``."""
    body, dot, mac = token.strip().partition(".")
    if not dot or not hmac.compare_digest(mac, _mac(key, body.encode())):
        raise BadToken("the resumption token is not one this repository issued (or it was altered)")
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        state = ListState(**data)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise BadToken("the resumption token is malformed") from exc
    current = time.time() if now is None else now
    if current - state.issued > ttl:
        raise BadToken("the resumption token has expired; start the list again (from/until still work)")
    return state


def _mac(key: bytes, body: bytes) -> str:
    return hmac.new(key, body, hashlib.sha256).hexdigest()[:32]
