"""Pages of a ListRecords (or ListIdentifiers) answer, one at a time, the way sickle's iterator pages.

sickle's `OAIItemIterator` hides paging entirely, which is exactly what a resumable harvester cannot
afford: it must store a page's records *together with* the token that follows them. `PageIterator`
keeps sickle's shape (a `BaseOAIIterator` driven by ``_next_response``) but yields whole pages, can
start from a saved resumption token, turns ``noRecordsMatch`` into an empty last page, raises sickle's
named protocol errors (``BadResumptionToken`` …) for the rest, and guards against servers that repeat a
token without progress or send page after page of nothing.

    for page in PageIterator(client, {"verb": "ListRecords", "metadataPrefix": "oai_dc"}):
        store(page.records, page.token)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree
from sickle import oaiexceptions
from sickle.iterator import BaseOAIIterator

from harvester.errors import BadFeed
from harvester.oai.client import HarvestClient, OAIPage


class OAIProtocolError(BadFeed):
    """An OAI-PMH error answer that is neither 'no records' nor a bad token (badArgument, …)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"OAI-PMH error {code}: {message}".strip())
        self.code = code


class StuckFeed(BadFeed):
    """The server repeats a resumption token without progress, or sends too many empty pages."""


@dataclass(frozen=True, slots=True)
class OAIRecord:
    """One ``<record>`` (or bare ``<header>``) of a page: header facts plus the metadata payload."""

    identifier: str
    datestamp: str
    deleted: bool
    sets: tuple[str, ...]
    metadata: Any | None  # the first element inside <metadata>, or None (deleted / ListIdentifiers)

    def raw(self) -> bytes:
        """The payload as self-contained XML bytes (namespace declarations included)."""
        if self.metadata is None:
            return b""
        return etree.tostring(self.metadata, encoding="utf-8", with_tail=False)


@dataclass(frozen=True, slots=True)
class Page:
    """One response of a list request, with the token that continues it (None: the list is done)."""

    records: tuple[OAIRecord, ...]
    token: str | None
    response_date: str
    complete_list_size: int | None
    expiration_date: str | None
    url: str
    recovered: bool
    sent_token: str | None  # the token this page was requested with (None: the first page)


class PageIterator(BaseOAIIterator):  # type: ignore[misc]
    """Iterate the pages of one list request; start from ``token`` to resume a checkpoint."""

    params: dict[str, str]
    resumption_token: Any
    oai_response: Any
    sickle: Any

    def __init__(self, client: HarvestClient, params: dict[str, str], token: str | None = None,
                 max_empty_pages: int = 10) -> None:
        self._start_token = token
        self._sent: str | None = None
        self._pending: Page | None = None
        self._done = False
        self._empty_run = 0
        self._max_empty = max_empty_pages
        self._seen_tokens: dict[str, str] = {}
        self.element = "header"
        super().__init__(client, params)

    def _next_response(self) -> None:
        verb = self.params["verb"]
        if self._start_token is not None:
            self._sent, self._start_token = self._start_token, None
        elif self.resumption_token is not None:
            self._sent = self.resumption_token.token
        else:
            self._sent = None
        # the same parameter order as sickle, so a page has one URL however it was reached
        params = {"resumptionToken": self._sent, "verb": verb} if self._sent else dict(self.params)
        try:
            super_params, self.params = self.params, params
            try:
                super()._next_response()
            finally:
                self.params = super_params
        except oaiexceptions.NoRecordsMatch:
            self.resumption_token = None
            self._pending = self._page(self.oai_response, records=())
            return
        except oaiexceptions.BadResumptionToken:
            raise
        except (oaiexceptions.BadArgument, oaiexceptions.BadVerb, oaiexceptions.CannotDisseminateFormat,
                oaiexceptions.IdDoesNotExist, oaiexceptions.NoSetHierarchy, oaiexceptions.NoMetadataFormat,
                oaiexceptions.OAIError) as exc:
            code = type(exc).__name__
            raise OAIProtocolError(code[0].lower() + code[1:], str(exc)) from exc
        if self.oai_response.xml.find(f"{self.sickle.oai_namespace}{verb}") is None:
            raise BadFeed(f"OAI-PMH answer with neither <{verb}> nor <error>: {self.oai_response.url}")
        self._pending = self._page(self.oai_response, records=tuple(self._records(self.oai_response)))

    def _page(self, response: OAIPage, records: tuple[OAIRecord, ...]) -> Page:
        token = self.resumption_token
        text = (token.token or "").strip() if token is not None else ""
        size = token.complete_list_size if token is not None else None
        namespace = self.sickle.oai_namespace
        response_date = response.xml.findtext(f"{namespace}responseDate") or ""
        return Page(
            records=records,
            token=text or None,
            response_date=response_date.strip(),
            complete_list_size=int(size) if size and str(size).strip().isdigit() else None,
            expiration_date=token.expiration_date if token is not None else None,
            url=response.url,
            recovered=response.recovered,
            sent_token=self._sent,
        )

    def _records(self, response: OAIPage) -> Iterator[OAIRecord]:
        return page_records(response.xml, self.sickle.oai_namespace)

    def next(self) -> Page:
        if self._pending is None:
            if self._done or self.resumption_token is None or not (self.resumption_token.token or "").strip():
                raise StopIteration
            self._next_response()
        page = self._pending
        assert page is not None
        self._pending = None
        if page.token is None:
            self._done = True
        self._guard(page)
        return page

    def _guard(self, page: Page) -> None:
        """Stop a server that loops: a token repeated with the same page, or a long run of empty pages."""
        if page.token is None:
            return
        fingerprint = hashlib.blake2b(
            "\n".join(r.identifier for r in page.records).encode(), digest_size=8
        ).hexdigest()
        repeated = page.token == page.sent_token and not page.records
        if repeated or self._seen_tokens.get(page.token) == fingerprint:
            raise StuckFeed(
                f"server repeated resumption token {page.token!r} without progress ({page.url})"
            )
        self._seen_tokens[page.token] = fingerprint
        self._empty_run = self._empty_run + 1 if not page.records else 0
        if self._empty_run >= self._max_empty:
            raise StuckFeed(f"{self._empty_run} empty pages in a row, each with a new token ({page.url})")


def page_records(xml: Any, namespace: str) -> Iterator[OAIRecord]:
    """The records of a ListRecords/GetRecord/ListIdentifiers response, one per ``<header>``."""
    for header in xml.iter(f"{namespace}header"):
        identifier = _first_text(header, f"{namespace}identifier")
        deleted = header.get("status") == "deleted"
        metadata = None
        parent = header.getparent()
        if not deleted and parent is not None and parent.tag == f"{namespace}record":
            container = parent.find(f"{namespace}metadata")
            if container is not None:
                metadata = next((child for child in container if isinstance(child.tag, str)), None)
        yield OAIRecord(
            identifier=identifier,
            datestamp=_first_text(header, f"{namespace}datestamp"),
            deleted=deleted,
            sets=tuple((s.text or "").strip() for s in header.findall(f"{namespace}setSpec")),
            metadata=metadata,
        )


def _first_text(element: Any, path: str) -> str:
    """The first non-empty text of ``path`` (some servers emit an empty element before the real one)."""
    for child in element.findall(path):
        text = (child.text or "").strip()
        if text:
            return text
    return ""
