"""Reading an HTTP response body as a stream, gzip/deflate decoded by us, never past a size cap.

requests decodes ``Content-Encoding`` itself (urllib3) and ``response.content`` holds the whole decoded
body: a 408 KB gzip response made of zeros became 1.3 GB in memory before a single byte was parsed.
Here the body is requested with ``stream=True`` and read in blocks *undecoded*; each block goes through
`zlib` with ``max_length``, so no call can inflate more than the room left under the cap, and the
read stops with `ResponseTooLarge` the moment the decoded size passes ``limit`` (a plain body is capped
the same way, and refused at once when its ``Content-Length`` already says too much). At most
``limit`` decoded bytes are ever held. Only the encodings we decode are offered (`ACCEPT_ENCODING`).

    body = read_body(response, limit=32 << 20)   # bytes, or ResponseTooLarge / ContentDecodingError
"""

from __future__ import annotations

import zlib
from typing import Any

import requests
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from harvester.limits import too_large

ACCEPT_ENCODING = "gzip, deflate"
BLOCK = 64 * 1024
_GZIP = zlib.MAX_WBITS | 16
_ZLIB = zlib.MAX_WBITS
_RAW_DEFLATE = -zlib.MAX_WBITS


class ResponseTooLarge(Exception):
    """A response body that decodes to more than the cap; carries the sizes for the quarantine entry.

    ``decoded`` is what had been decoded when the read stopped (just over ``limit``), ``received`` the
    bytes read from the wire by then, ``head`` the first decoded bytes (the evidence kept)."""

    def __init__(self, url: str, limit: int, decoded: int, received: int, encoding: str, head: bytes) -> None:
        wire = f"{encoding}, " if encoding != "identity" else ""
        super().__init__(
            f"{too_large('response', decoded, limit, 'max_response_bytes', exact=False)} "
            f"({wire}{received:,} bytes received when the read stopped): {url}"
        )
        self.url = url
        self.limit = limit
        self.decoded = decoded
        self.received = received
        self.encoding = encoding
        self.head = head


class UnsupportedEncoding(ValueError):
    """A ``Content-Encoding`` we did not ask for and do not decode (br, zstd, a chain of several)."""


class _Inflater:
    """One gzip or deflate stream, decoded a bounded piece at a time; gzip members may follow each other."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._wbits = _GZIP if encoding == "gzip" else None  # deflate: zlib-wrapped or raw, seen in the data
        self._inflate: Any = zlib.decompressobj(self._wbits) if self._wbits else None
        self._head = b""  # deflate: the first bytes, until there are two to tell zlib from raw deflate

    def feed(self, data: bytes, room: int) -> bytes:
        """Decode ``data``, returning at most ``room`` bytes plus one; what cannot be returned now is
        kept as unconsumed input (``pending``)."""
        if self._inflate is None:
            data, self._head = self._head + data, b""
            if len(data) < 2:
                self._head = data
                return b""
            self._wbits = _ZLIB if _looks_zlib(data) else _RAW_DEFLATE
            self._inflate = zlib.decompressobj(self._wbits)
        out = self._inflate.decompress(data, room + 1)
        if self._inflate.eof and self._inflate.unused_data and self.encoding == "gzip" and len(out) <= room:
            rest = self._inflate.unused_data
            self._inflate = zlib.decompressobj(_GZIP)  # the next gzip member
            return out + self.feed(rest, room - len(out))
        return out

    @property
    def pending(self) -> bytes:
        return self._inflate.unconsumed_tail if self._inflate is not None else b""

    def finish(self) -> None:
        """A stream that stops before its end marker is a cut connection, retried like one."""
        if self._inflate is not None and not self._inflate.eof:
            raise requests.exceptions.ContentDecodingError(f"{self.encoding} stream cut off before its end")


def _looks_zlib(data: bytes) -> bool:
    """RFC 1950 header: compression method 8 and a check value; else the raw deflate some servers send."""
    return data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0


def content_encoding(response: requests.Response) -> str:
    """``identity``, ``gzip`` or ``deflate``; `UnsupportedEncoding` for anything else (br, a chain …)."""
    value = (response.headers.get("Content-Encoding") or "identity").strip().lower()
    value = {"x-gzip": "gzip", "": "identity"}.get(value, value)
    if value not in ("identity", "gzip", "deflate"):
        raise UnsupportedEncoding(
            f"the server sent Content-Encoding {value!r}, which unioncat neither asked for "
            f"({ACCEPT_ENCODING}) nor decodes: {response.url}")
    return value


def read_body(response: requests.Response, limit: int) -> bytes:
    """The whole decoded body of a ``stream=True`` response, or `ResponseTooLarge` past ``limit`` bytes.
    The connection is released either way."""
    try:
        encoding = content_encoding(response)
        declared = response.headers.get("Content-Length", "").strip()
        if encoding == "identity" and declared.isdigit() and int(declared) > limit:
            raise ResponseTooLarge(response.url, limit, int(declared), 0, encoding, b"")
        return _read(response, limit, encoding)
    finally:
        response.close()


def _read_block(response: requests.Response) -> bytes:
    """The next undecoded bytes from the wire, with urllib3's errors named as requests names them
    (`requests.Response.iter_content` does the same), so the client retries them like any cut connection."""
    try:
        return bytes(response.raw.read(BLOCK, decode_content=False))
    except ProtocolError as exc:
        raise requests.exceptions.ChunkedEncodingError(exc) from exc
    except ReadTimeoutError as exc:
        raise requests.ConnectionError(exc) from exc


def _read(response: requests.Response, limit: int, encoding: str) -> bytes:
    body = bytearray()
    received = 0
    inflater = _Inflater(encoding) if encoding != "identity" else None
    while True:
        block = _read_block(response)
        if not block:
            break
        received += len(block)
        while block:
            piece = inflater.feed(block, limit - len(body)) if inflater else block
            body += piece
            if len(body) > limit:
                raise ResponseTooLarge(response.url, limit, len(body), received, encoding, bytes(body[:BLOCK]))
            block = inflater.pending if inflater else b""
    if inflater is not None:
        inflater.finish()
    return bytes(body)
