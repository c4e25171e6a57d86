"""The OAI-PMH HTTP seam: sickle's client with retries, backoff, Retry-After, politeness and strict XML.

sickle's `Sickle.harvest` sends one request (retrying only 503, sleeping whatever the server says) and
parses every page with ``recover=True``, which turns a broken page into a silently truncated tree. This
subclass keeps sickle's shape — the iterators call ``harvest(**params)`` and get an `OAIResponse` — and
replaces that one method:

- a request rate cap per source (``rate_limit`` requests/s) and the source's own headers;
- retries with jittered exponential backoff on timeouts, dropped connections, 408, 429 and 5xx,
  honouring ``Retry-After`` (seconds or an HTTP date), every wait capped;
- bodies read as a stream and gzip/deflate decoded by us under a size cap (`harvester.oai.decode`):
  a decompression bomb stops at ``limits.max_response_bytes`` as `PageTooLarge`, never inflated whole;
- pages parsed strictly with the hardened parser (`harvester.xml`); a page that is not well-formed is
  fetched again, then recovered leniently only when the recovered tree still holds every ``<header>``
  the raw bytes contain, and otherwise raised as `MalformedPage` with the URL and bytes as evidence.

Sleeping and the clock are injected, so tests exercise every wait without waiting.

    client = HarvestClient(source)
    page = client.harvest(verb="ListRecords", metadataPrefix="oai_dc")
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from lxml import etree
from sickle import Sickle
from sickle.response import OAIResponse

from harvester.errors import BadFeed, SourceUnavailable
from harvester.oai.checkpoint import DAY, SECONDS
from harvester.oai.decode import ACCEPT_ENCODING, ResponseTooLarge, UnsupportedEncoding, read_body
from harvester.settings import SourceConfig
from harvester.xml import safe_parser

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 509, 520, 521, 522, 523, 524})
SERVER_ERRORS = frozenset({500, 502, 504})  # "I failed on this", not "come back later" (503, 429)
USER_AGENT = "unioncat-harvester/1.0 (+OAI-PMH; polite: rate-limited, honours Retry-After)"
_HEADER_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?header[\s>/]")
_STRICT = safe_parser()
_LENIENT = safe_parser(recover=True)
_TRANSIENT = (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
              requests.exceptions.ContentDecodingError)


class ServerFailure(SourceUnavailable):
    """The server kept answering with an HTTP error (or kept dropping the connection) past every retry."""

    def __init__(self, message: str, url: str, status: int | None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class MalformedPage(BadFeed):
    """A response that stayed not well-formed XML and could not be recovered without losing records."""

    def __init__(self, message: str, url: str, raw: bytes, size: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.raw = raw
        self.size = len(raw) if size is None else size  # the page's size (``raw`` may be its first part)


class PageTooLarge(MalformedPage):
    """A response whose decoded body passed ``limits.max_response_bytes`` (a decompression bomb, or a
    page far larger than any server should send): refused at the cap, its first bytes kept as evidence."""

    def __init__(self, exc: ResponseTooLarge) -> None:
        super().__init__(str(exc), exc.url, exc.head, exc.decoded)
        self.limit = exc.limit
        self.received = exc.received


@dataclass(frozen=True, slots=True)
class Politeness:
    """How hard to try and how long to wait; read from the source's ``options`` table."""

    rate_limit: float = 2.0  # requests per second; 0 = no cap
    max_retries: int = 5
    backoff_base: float = 1.0  # first backoff, seconds; doubles each retry
    backoff_cap: float = 60.0
    max_wait: float = 300.0  # cap on any single wait, Retry-After included
    malformed_retries: int = 2  # extra fetches of a page that is not well-formed

    @classmethod
    def from_source(cls, source: SourceConfig) -> Politeness:
        options = source.options
        return cls(rate_limit=float(source.rate_limit), max_retries=options.max_retries,
                   backoff_base=float(options.backoff_base), backoff_cap=float(options.backoff_cap),
                   max_wait=float(options.max_wait), malformed_retries=options.malformed_retries)


@dataclass(slots=True)
class ClientStats:
    """What the HTTP layer went through, for `unioncat status`."""

    requests: int = 0
    retries: int = 0
    waited: float = 0.0
    recovered_pages: int = 0
    errors: list[str] = field(default_factory=list)


class OAIPage(OAIResponse):  # type: ignore[misc]
    """One OAI-PMH response, parsed once (sickle re-parses on every ``.xml`` access)."""

    def __init__(self, http_response: requests.Response, params: Mapping[str, str], xml: Any, body: bytes,
                 recovered: bool = False) -> None:
        super().__init__(http_response, params=dict(params))
        self._xml = xml
        self.recovered = recovered
        self.url = http_response.url
        self.raw_bytes = body  # decoded by `read_body` (the streamed response itself is consumed)

    @property
    def xml(self) -> Any:
        return self._xml

    @property
    def raw(self) -> str:
        return self.raw_bytes.decode(self.http_response.encoding or "utf-8", "replace")


class HarvestClient(Sickle):  # type: ignore[misc]
    """A sickle client whose one HTTP seam retries, waits politely and refuses broken XML."""

    def __init__(
        self,
        source: SourceConfig,
        politeness: Politeness | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
        session: requests.Session | None = None,
    ) -> None:
        super().__init__(source.url, max_retries=0, timeout=source.timeout)
        self.politeness = politeness or Politeness.from_source(source)
        self.stats = ClientStats()
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        self._next_slot = 0.0
        self._budget: int | None = None
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers["Accept-Encoding"] = ACCEPT_ENCODING  # only what `read_body` decodes, capped
        self.max_response_bytes = source.limits.max_response_bytes
        self.session.headers.update(dict(source.headers))

    @contextmanager
    def server_error_budget(self, retries: int) -> Iterator[None]:
        """Within this block, an HTTP 500/502/504 is retried at most ``retries`` times (timeouts, 503
        and 429 keep the full policy): for requests whose failure is cheap to route around, such as
        the probes that isolate a record the server cannot deliver, so that no backoff is paid again
        and again for an answer the server gives every time."""
        saved, self._budget = self._budget, retries
        try:
            yield
        finally:
            self._budget = saved

    def identify(self) -> dict[str, str]:
        """What the harvest needs from Identify: granularity (day or seconds), deletedRecord,
        earliestDatestamp, and the server's clock now (responseDate)."""
        page = self.harvest(verb="Identify")
        namespace = self.oai_namespace
        node = page.xml.find(f".//{namespace}Identify")
        if node is None:
            raise BadFeed(f"Identify answer without an <Identify> element: {page.url}")

        def text(name: str, default: str) -> str:
            return (node.findtext(f"{namespace}{name}") or default).strip()

        seconds = text("granularity", DAY).startswith("YYYY-MM-DDTh")
        return {
            "granularity": SECONDS if seconds else DAY,
            "deleted_record": text("deletedRecord", "no"),
            "earliest": text("earliestDatestamp", "1900-01-01"),
            "now": (page.xml.findtext(f"{namespace}responseDate") or "").strip(),
        }

    def discover_prefix(self, preferred: tuple[str, ...]) -> str:
        """The first of ``preferred`` that ListMetadataFormats offers (MARC is richest, then MODS, DC)."""
        offered = [fmt.metadataPrefix for fmt in self.ListMetadataFormats()]
        for wanted in preferred:
            if wanted in offered:
                return wanted
        raise BadFeed(f"none of the formats offered ({', '.join(offered)}) is one unioncat reads")

    def _request(self, kwargs: Mapping[str, str]) -> requests.Response:
        if self.http_method == "GET":
            return self.session.get(self.endpoint, params=kwargs, stream=True, **self.request_args)
        return self.session.post(self.endpoint, data=kwargs, stream=True, **self.request_args)

    def harvest(self, **params: str) -> OAIPage:
        """Fetch one OAI-PMH response, retrying what is worth retrying; raise named errors otherwise."""
        malformed = 0
        attempt = 0
        while True:
            self._wait_turn()
            self.stats.requests += 1
            try:
                response = self._request(params)
                body = self._body(response)
            except _TRANSIENT as exc:
                attempt = self._retry_or_raise(attempt, None, f"{type(exc).__name__}: {exc}", None, params)
                continue
            if response.status_code in RETRY_STATUSES:
                reason = f"HTTP {response.status_code}"
                attempt = self._retry_or_raise(attempt, response, reason, response.status_code, params)
                continue
            if response.status_code >= 400:
                self.stats.errors.append(f"HTTP {response.status_code} from {response.url}")
                raise ServerFailure(f"HTTP {response.status_code} from {response.url}", response.url,
                                    response.status_code)
            if self.encoding:
                response.encoding = self.encoding
            try:
                tree = etree.fromstring(body, parser=_STRICT)
                return self._oai(OAIPage(response, params, tree, body))
            except etree.XMLSyntaxError as exc:
                if malformed < self.politeness.malformed_retries:
                    malformed += 1
                    self.stats.retries += 1
                    self._pause(self._backoff(malformed - 1))
                    continue
                return self._recover(response, body, params, str(exc))

    def _body(self, response: requests.Response) -> bytes:
        """The decoded body of a good answer, capped; an error answer's body is not read at all."""
        if response.status_code >= 400:
            response.close()
            return b""
        try:
            return read_body(response, self.max_response_bytes)
        except ResponseTooLarge as exc:
            self.stats.errors.append(str(exc))
            raise PageTooLarge(exc) from None
        except UnsupportedEncoding as exc:
            self.stats.errors.append(str(exc))
            raise BadFeed(str(exc)) from None

    def _oai(self, page: OAIPage) -> OAIPage:
        """Refuse a well-formed answer that is not OAI-PMH (an HTML error page, a login form …): read
        as OAI it would look like an empty list and end a harvest early."""
        if page.xml.tag != f"{self.oai_namespace}OAI-PMH":
            message = f"not an OAI-PMH {self.protocol_version} response (root <{page.xml.tag}>): {page.url}"
            self.stats.errors.append(message)
            raise MalformedPage(message, page.url, page.raw_bytes)
        return page

    def _recover(self, response: requests.Response, raw: bytes, params: Mapping[str, str], error: str) -> OAIPage:
        """Accept a lenient parse only when it lost no record; else raise with the page as evidence."""
        expected = len(_HEADER_TAG.findall(raw))
        tree = etree.fromstring(raw, parser=_LENIENT) if raw.strip() else None
        found = 0 if tree is None else len(tree.findall(f".//{self.oai_namespace}header"))
        if tree is not None and found > 0 and found == expected:
            self.stats.recovered_pages += 1
            self.stats.errors.append(f"recovered a page that is not well-formed ({error}): {response.url}")
            return self._oai(OAIPage(response, params, tree, raw, recovered=True))
        message = (
            f"page is not well-formed XML ({error}) and could not be recovered without losing records "
            f"({found} of {expected} record headers recovered): {response.url}"
        )
        self.stats.errors.append(message)
        raise MalformedPage(message, response.url or self.endpoint, raw)

    def _retry_or_raise(self, attempt: int, response: requests.Response | None, reason: str,
                        status: int | None, params: Mapping[str, str]) -> int:
        url = response.url if response is not None else _url(self.endpoint, params)
        limit = self.politeness.max_retries
        if self._budget is not None and status in SERVER_ERRORS:
            limit = min(limit, self._budget)
        if attempt >= limit:
            message = f"{reason} from {url} (gave up after {attempt} retries)"
            self.stats.errors.append(message)
            raise ServerFailure(message, url, status)
        delay = self._backoff(attempt)
        hinted = _retry_after(response.headers.get("Retry-After")) if response is not None else None
        if hinted is not None:
            delay = hinted
        self.stats.retries += 1
        self._pause(delay)
        return attempt + 1

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter in [0.5, 1.5) so that many harvesters do not retry in step."""
        base = min(self.politeness.backoff_cap, self.politeness.backoff_base * (2**attempt))
        return base * (0.5 + self._jitter())

    def _pause(self, seconds: float) -> None:
        seconds = max(0.0, min(seconds, self.politeness.max_wait))
        self.stats.waited += seconds
        self._sleep(seconds)

    def _wait_turn(self) -> None:
        """Keep at most ``rate_limit`` requests per second to this server."""
        if self.politeness.rate_limit <= 0:
            return
        now = self._clock()
        if now < self._next_slot:
            self._sleep(self._next_slot - now)
            now = self._next_slot
        self._next_slot = now + 1.0 / self.politeness.rate_limit


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _url(endpoint: str, params: Mapping[str, str]) -> str:
    return requests.Request("GET", endpoint, params=dict(params)).prepare().url or endpoint
