"""OAI-PMH servers on 127.0.0.1 for the harvester tests: two real providers and a scripted one.

- `oaipmh_server`: the PyPI ``oaipmh`` 4.0.0 data provider (``oaipmh.server.BatchingServer``) over an
  in-memory `Catalog` — seconds granularity, ``deletedRecord`` persistent (or "no");
- `oai_repo_server`: the PyPI ``oai-repo`` 0.5.2 provider (``oai_repo.OAIRepository`` with a
  ``DataInterface``) over the same kind of `Catalog` — day granularity, never reports deletions, reads
  ``until=YYYY-MM-DD`` as midnight and invalidates tokens when the list shrinks (all as shipped);
- `ScriptedServer`: a tiny HTTP server whose answers a test writes as a function of the request —
  replayed real responses, dropped connections, 503 + Retry-After, repeated tokens, broken pages.

The catalog serves real records: MARCXML from tests/data/oai/records and Dublin Core from the recorded
Erasmus and Science History responses (see tests/data/oai/README.md). Tests change it while the
server runs (add, change, delete) to check incremental harvests.
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from lxml import etree

DATA = Path(__file__).resolve().parents[1] / "data" / "oai"
OAI = "{http://www.openarchives.org/OAI/2.0/}"
MARC_NS = "http://www.loc.gov/MARC21/slim"
DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
FORMATS = {
    "marc21": ("http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd", MARC_NS),
    "oai_dc": ("http://www.openarchives.org/OAI/2.0/oai_dc.xsd", DC_NS),
}
BASE = datetime(2020, 1, 1, tzinfo=UTC)


def read_data(name: str) -> bytes:
    path = DATA / name
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


# --- the records a provider serves ---------------------------------------------------------------


@dataclass
class Item:
    identifier: str
    datestamp: datetime  # aware UTC
    payload: bytes | None  # None once deleted
    sets: tuple[str, ...] = ()


@dataclass
class Catalog:
    """What a provider holds; tests mutate it between (or during) harvests."""

    prefix: str
    items: dict[str, Item] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def live(self) -> dict[str, bytes]:
        with self.lock:
            return {i.identifier: i.payload for i in self.items.values() if i.payload is not None}

    def ordered(self) -> list[Item]:
        with self.lock:
            return sorted(self.items.values(), key=lambda i: (i.datestamp, i.identifier))

    def put(self, identifier: str, payload: bytes, when: datetime | None = None,
            sets: tuple[str, ...] = ()) -> None:
        with self.lock:
            self.items[identifier] = Item(identifier, when or datetime.now(UTC), payload, sets)

    def delete(self, identifier: str, when: datetime | None = None) -> None:
        with self.lock:
            item = self.items[identifier]
            self.items[identifier] = Item(identifier, when or datetime.now(UTC), None, item.sets)


def marc_payloads(name: str = "records/test_data.utf8.marc.xml") -> list[tuple[str, bytes]]:
    """(001, MARCXML <record>) pairs from a real MARCXML collection file."""
    root = etree.fromstring(read_data(name))
    pairs = []
    for record in root.iter(f"{{{MARC_NS}}}record"):
        control = record.find(f"{{{MARC_NS}}}controlfield[@tag='001']")
        pairs.append(((control.text or "").strip(), etree.tostring(record)))
    return pairs


def dc_payloads(name: str = "pyoai/fake2-listrecords.xml") -> list[tuple[str, bytes]]:
    """(OAI identifier, <oai_dc:dc>) pairs from a real recorded ListRecords response."""
    root = etree.fromstring(read_data(name))
    pairs = []
    for record in root.iter(f"{OAI}record"):
        dc = record.find(f"{OAI}metadata/{{{DC_NS}}}dc")
        if dc is not None:
            pairs.append((record.findtext(f"{OAI}header/{OAI}identifier").strip(), etree.tostring(dc)))
    return pairs


def marc_catalog(count: int | None = None, sets: bool = True) -> Catalog:
    """The 30 LoC MARCXML records, dated a day apart from 2020-01-01; even/odd ones in sets."""
    catalog = Catalog("marc21")
    for n, (control, payload) in enumerate(marc_payloads()[:count]):
        spec = ("even",) if n % 2 == 0 else ("odd",)
        catalog.put(f"oai:loc:{control}", payload, BASE + timedelta(days=n, hours=10), spec if sets else ())
    return catalog


def dc_catalog(count: int | None = None) -> Catalog:
    catalog = Catalog("oai_dc")
    for n, (identifier, payload) in enumerate(dc_payloads()[:count]):
        spec = ("even",) if n % 2 == 0 else ("odd",)
        catalog.put(identifier, payload, BASE + timedelta(days=n, hours=10), spec)
    return catalog


# --- HTTP plumbing -------------------------------------------------------------------------------------


@dataclass
class Reply:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering
    truncate: bool = False  # announce the full length, send half, close


Handler = Callable[[dict[str, str]], Reply]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class LocalServer:
    """Serve ``handler(params) -> Reply`` on 127.0.0.1 in a thread; logs every request's params."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[dict[str, str]] = []
        self.headers: list[dict[str, str]] = []
        outer = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 1 << 16  # headers and body in one segment: no Nagle / delayed-ACK stalls

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                query = parse_qs(urlparse(self.path).query, keep_blank_values=True)
                self._answer({k: v[0] for k, v in query.items()})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                query = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
                self._answer({k: v[0] for k, v in query.items()})

            def _answer(self, params: dict[str, str]) -> None:
                outer.requests.append(dict(params))
                outer.headers.append(dict(self.headers.items()))
                reply = outer.handler(dict(params))
                if reply.drop:
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(reply.body)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if reply.truncate:
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(reply.body[: len(reply.body) // 2] if reply.truncate else reply.body)
                if reply.truncate:
                    self.close_connection = True

            def log_message(self, *args: Any) -> None:
                return None

        self._server = _Server(("127.0.0.1", 0), RequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/oai"

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def list_requests(self, verb: str = "ListRecords") -> list[dict[str, str]]:
        return [r for r in self.requests if r.get("verb") == verb]


@contextmanager
def serving(handler: Handler) -> Iterator[LocalServer]:
    server = LocalServer(handler).start()
    try:
        yield server
    finally:
        server.stop()


# --- the real `oaipmh` provider ------------------------------------------------------------------------


def oaipmh_handler(catalog: Catalog, page_size: int = 10, deleted_record: str = "persistent") -> Handler:
    """Requests answered by oaipmh's BatchingServer over ``catalog`` (deletions visible unless "no")."""
    from oaipmh import common, metadata, server

    def naive(when: datetime) -> datetime:
        return when.astimezone(UTC).replace(tzinfo=None, microsecond=0)

    class Repository:
        def identify(self) -> Any:
            return common.Identify(
                repositoryName="unioncat test (oaipmh)", baseURL="http://127.0.0.1/oai",
                protocolVersion="2.0",
                adminEmails=["admin@example.org"], earliestDatestamp=naive(BASE - timedelta(days=1)),
                deletedRecord=deleted_record, granularity="YYYY-MM-DDThh:mm:ssZ", compression=["identity"],
            )

        def listMetadataFormats(self, identifier: str | None = None) -> list[tuple[str, str, str]]:  # noqa: N802
            return [(catalog.prefix, *FORMATS[catalog.prefix])]

        def listSets(self, cursor: int = 0, batch_size: int = 10) -> list[tuple[str, str, None]]:  # noqa: N802
            return [("even", "Even", None), ("odd", "Odd", None)][cursor : cursor + batch_size]

        def _items(self, kw: dict[str, Any]) -> list[Item]:
            from oaipmh import error

            if kw["metadataPrefix"] != catalog.prefix:
                raise error.CannotDisseminateFormatError(kw["metadataPrefix"])
            start, end, spec = kw.get("from_"), kw.get("until"), kw.get("set")
            cursor, size = int(kw.get("cursor", 0)), int(kw.get("batch_size", page_size))
            if not (start or end or spec) and deleted_record != "no":  # the bench's big unfiltered lists
                return catalog.ordered()[cursor : cursor + size]
            items = []
            for item in catalog.ordered():
                stamp = naive(item.datestamp)
                if (start and stamp < start) or (end and stamp > end) or (spec and spec not in item.sets):
                    continue
                if item.payload is None and deleted_record == "no":
                    continue
                items.append(item)
            return items[cursor : cursor + size]

        def _header(self, item: Item) -> Any:
            stamp = naive(item.datestamp)
            return common.Header(None, item.identifier, stamp, list(item.sets), item.payload is None)

        def listIdentifiers(self, **kw: Any) -> list[Any]:  # noqa: N802 - the IOAI interface's name
            return [self._header(i) for i in self._items(kw)]

        def listRecords(self, **kw: Any) -> list[Any]:  # noqa: N802
            return [(self._header(i), i.payload, None) for i in self._items(kw)]

        def getRecord(self, metadataPrefix: str, identifier: str) -> Any:  # noqa: N802,N803
            from oaipmh import error

            item = catalog.items.get(identifier)
            if item is None:
                raise error.IdDoesNotExistError(identifier)
            return self._header(item), item.payload, None

    def write(element: Any, payload: bytes) -> None:
        element.append(etree.fromstring(payload))

    registry = metadata.MetadataRegistry()
    registry.registerWriter(catalog.prefix, write)
    provider = server.BatchingServer(Repository(), registry, resumption_batch_size=page_size)

    def handle(params: dict[str, str]) -> Reply:
        return Reply(provider.handleRequest(params))

    return handle


# --- the real `oai-repo` provider ----------------------------------------------------------------------


def oai_repo_handler(catalog: Catalog, page_size: int = 10) -> Handler:
    """Requests answered by oai-repo's OAIRepository over ``catalog`` (day granularity, no deletions)."""
    import oai_repo

    class Data(oai_repo.DataInterface):  # type: ignore[misc]
        limit = page_size

        def get_identify(self) -> Any:
            return oai_repo.Identify(
                repository_name="unioncat test (oai-repo)", base_url="http://localhost/oai",
                admin_email=["admin@example.org"], earliest_datestamp="2019-12-31", deleted_record="no",
                granularity="YYYY-MM-DD", compression=[], description=[],
            )

        def is_valid_identifier(self, identifier: str) -> bool:
            return identifier in catalog.live()

        def get_metadata_formats(self, identifier: str | None = None) -> list[Any]:
            schema, namespace = FORMATS[catalog.prefix]
            return [oai_repo.MetadataFormat(catalog.prefix, schema, namespace)]

        def get_record_header(self, identifier: str) -> Any:
            item = catalog.items[identifier]
            return oai_repo.RecordHeader(identifier=identifier, datestamp=item.datestamp,
                                         setspecs=list(item.sets))

        def get_record_metadata(self, identifier: str, metadataprefix: str) -> Any:
            payload = catalog.items[identifier].payload
            return etree.fromstring(payload) if payload is not None else None

        def get_record_abouts(self, identifier: str) -> list[Any]:
            return []

        def list_set_specs(self, identifier: str | None = None, cursor: int = 0) -> tuple[Any, ...]:
            return ["even", "odd"], 2, None

        def get_set(self, setspec: str) -> Any:
            return oai_repo.Set(spec=setspec, name=setspec.title(), description=[])

        def list_identifiers(self, metadataprefix: str, filter_from: datetime | None = None,
                             filter_until: datetime | None = None, filter_set: str | None = None,
                             cursor: int = 0) -> tuple[Any, ...]:
            ids = [
                item.identifier for item in catalog.ordered()
                if item.payload is not None
                and not (filter_from and item.datestamp < filter_from)
                and not (filter_until and item.datestamp > filter_until)
                and not (filter_set and filter_set not in item.sets)
            ]
            return ids[cursor : cursor + self.limit], len(ids), None

    repository = oai_repo.OAIRepository(Data())

    def handle(params: dict[str, str]) -> Reply:
        return Reply(bytes(repository.process(dict(params))))

    return handle


# --- replaying recorded responses -----------------------------------------------------------------------


def replay_handler(pages: dict[str, str], identify: str = "sickle/Identify.xml") -> Handler:
    """Answer Identify with a recorded file and ListRecords by resumption token (``""``: the first page)."""

    def handle(params: dict[str, str]) -> Reply:
        if params.get("verb") == "Identify":
            return Reply(read_data(identify))
        name = pages.get(params.get("resumptionToken", ""))
        return Reply(read_data(name)) if name else Reply(read_data("sickle/badResumptionToken.xml"))

    return handle
