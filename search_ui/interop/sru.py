"""SRU 1.2 and 2.0 over the merged catalog: explain, searchRetrieve and scan, answered as XML.

SRU is how resource-sharing systems (CrossLink, ReShare) and library clients (YAZ, MarcEdit,
Koha's Z39.50/SRU search) ask a union catalog "who has this?": a CQL query (`cql_query`), a record
schema (``marcxml``: the merged record with a ``999 1 1`` per member and 852s, or ``dc``), and a
page (``startRecord``/``maximumRecords``). Both versions are served from one code path; they differ
in namespaces, in how the operation is named (1.x: ``operation=``; 2.0: implied by ``query`` or
``scanClause``) and in the name of the escaping parameter (1.x ``recordPacking=xml|string``, 2.0
``recordXMLEscaping``). Whatever cannot be answered is an SRU diagnostic, never a guess.

    xml_bytes = SRUServer(search, ServerInfo("127.0.0.1", 8000, "sru")).respond(params)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lxml import etree

from search_ui.interop.cql_query import CQLDiagnostic, translate
from search_ui.interop.marc_out import clean_text
from search_ui.interop.sru_explain import ServerInfo, explain_record
from search_ui.interop.sru_records import DEFAULT_RECORDS, MAX_RECORDS, SCHEMAS, schema_for
from search_ui.interop.sru_search import CatalogSearch

NS = {
    "1.2": {"sru": "http://www.loc.gov/zing/srw/", "diag": "http://www.loc.gov/zing/srw/diagnostic/",
            "scan": "http://www.loc.gov/zing/srw/"},
    "2.0": {"sru": "http://docs.oasis-open.org/ns/search-ws/sruResponse",
            "diag": "http://docs.oasis-open.org/ns/search-ws/diagnostic",
            "scan": "http://docs.oasis-open.org/ns/search-ws/scan"},
}
VERSIONS = ("1.1", "1.2", "2.0")
DEFAULT_TERMS = 20
MAX_TERMS = 100
COMMON = {"version", "operation", "stylesheet", "extraRequestData", "httpAccept", "recordXMLEscaping"}
PARAMETERS = {
    "explain": COMMON | {"recordPacking"},
    "searchRetrieve": COMMON | {"query", "queryType", "startRecord", "maximumRecords", "recordPacking",
                                "recordSchema", "resultSetTTL", "sortKeys", "renderedBy", "responseType"},
    "scan": COMMON | {"scanClause", "responsePosition", "maximumTerms"},
}


@dataclass(frozen=True, slots=True)
class Request:
    version: str  # "1.2" (also for 1.1 requests) or "2.0": the response dialect
    echo_version: str  # what the client asked for, echoed in <version>
    operation: str
    params: Mapping[str, str]


class SRUServer:
    """One catalog's SRU endpoint."""

    def __init__(self, search: CatalogSearch, server: ServerInfo) -> None:
        self.search = search
        self.server = server

    def respond(self, arguments: Sequence[tuple[str, str]]) -> bytes:
        params: dict[str, str] = {}
        for name, value in arguments:
            params.setdefault(name, value)  # a repeated parameter: the first one counts
        request, problem = read_request(params)
        root = self._answer(request, problem)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    def _answer(self, request: Request, problem: CQLDiagnostic | None) -> etree._Element:
        operation = request.operation
        root = self._el(request, "sru", f"{operation}Response")
        self._sub(root, request, "version", request.echo_version)
        try:
            if problem is not None:
                raise problem
            check_parameters(request)
            getattr(self, f"_{operation}")(root, request)
        except CQLDiagnostic as diagnostic:
            if operation == "searchRetrieve" and root.find(self._tag(request, "sru", "numberOfRecords")) is None:
                self._sub(root, request, "numberOfRecords", "0")
            self._diagnostics(root, request, [diagnostic])
        return root

    # --- operations ------------------------------------------------------------------------------

    def _explain(self, root: etree._Element, request: Request) -> None:
        packing = packing_of(request)
        record = self._sub(root, request, "record")
        self._sub(record, request, "recordSchema", "http://explain.z3950.org/dtd/2.0/")
        self._packing(record, request, packing)
        data = self._sub(record, request, "recordData")
        _put(data, explain_record(self.server, request.version), packing)
        if request.version == "1.2":
            self._sub(record, request, "recordPosition", "1")

    def _searchRetrieve(self, root: etree._Element, request: Request) -> None:  # noqa: N802 - SRU name
        params = request.params
        query = params.get("query", "")
        if not query.strip():
            raise CQLDiagnostic(7, "query", "Mandatory parameter not supplied")
        if params.get("queryType", "cql") not in ("cql", "searchTerms"):
            raise CQLDiagnostic(6, f"queryType={params['queryType']}", "Unsupported parameter value")
        start = int_param(params, "startRecord", 1, 1)
        maximum = min(int_param(params, "maximumRecords", DEFAULT_RECORDS, 0), MAX_RECORDS)
        schema = schema_for(params.get("recordSchema", "marcxml"))
        packing = packing_of(request)
        translation = translate(query)
        total, records = self.search.run(translation, start, maximum)
        self._sub(root, request, "numberOfRecords", str(total))
        warnings: list[CQLDiagnostic] = []
        if records:
            container = self._sub(root, request, "records")
            for position, merged in enumerate(records, start=start):
                record = self._sub(container, request, "record")
                self._sub(record, request, "recordSchema", schema.identifier)
                self._packing(record, request, packing)
                _put(self._sub(record, request, "recordData"), schema.build(merged), packing)
                self._sub(record, request, "recordPosition", str(position))
        elif total and start > total:
            warnings.append(CQLDiagnostic(61, str(start), "First record position out of range"))
        if records and start + len(records) <= total:
            self._sub(root, request, "nextRecordPosition", str(start + len(records)))
        self._echo(root, request, start, maximum, schema.identifier)
        if warnings:
            self._diagnostics(root, request, warnings)

    def _scan(self, root: etree._Element, request: Request) -> None:
        clause = request.params.get("scanClause", "")
        if not clause.strip():
            raise CQLDiagnostic(7, "scanClause", "Mandatory parameter not supplied")
        position = int_param(request.params, "responsePosition", 1, 0)
        maximum = min(int_param(request.params, "maximumTerms", DEFAULT_TERMS, 1), MAX_TERMS)
        if position > maximum + 1:
            raise CQLDiagnostic(120, str(position), "Response position out of range")
        terms = self.search.scan(clause, position, maximum)
        container = self._sub(root, request, "terms")
        for value, count in terms:
            term = self._sub(container, request, "term")
            self._sub(term, request, "value", value)
            self._sub(term, request, "numberOfRecords", str(count))

    # --- shared pieces ---------------------------------------------------------------------------

    def _echo(self, root: etree._Element, request: Request, start: int, maximum: int, schema: str) -> None:
        echo = self._sub(root, request, "echoedSearchRetrieveRequest")
        self._sub(echo, request, "version", request.echo_version)
        self._sub(echo, request, "query", request.params.get("query", ""))
        self._sub(echo, request, "startRecord", str(start))
        self._sub(echo, request, "maximumRecords", str(maximum))
        if request.version == "1.2":
            self._sub(echo, request, "recordPacking", packing_of(request))
        else:
            self._sub(echo, request, "recordXMLEscaping", packing_of(request))
        self._sub(echo, request, "recordSchema", schema)

    def _packing(self, record: etree._Element, request: Request, packing: str) -> None:
        name = "recordPacking" if request.version == "1.2" else "recordXMLEscaping"
        self._sub(record, request, name, packing)

    def _diagnostics(self, root: etree._Element, request: Request, found: list[CQLDiagnostic]) -> None:
        container = self._sub(root, request, "diagnostics")
        for diagnostic in found:
            node = etree.SubElement(container, self._tag(request, "diag", "diagnostic"),
                                    nsmap={"diag": NS[request.version]["diag"]})
            etree.SubElement(node, self._tag(request, "diag", "uri")).text = \
                f"info:srw/diagnostic/1/{diagnostic.number}"
            etree.SubElement(node, self._tag(request, "diag", "details")).text = clean_text(diagnostic.details)
            etree.SubElement(node, self._tag(request, "diag", "message")).text = clean_text(diagnostic.message)

    def _tag(self, request: Request, ns: str, name: str) -> str:
        return f"{{{NS[request.version][ns]}}}{name}"

    def _el(self, request: Request, ns: str, name: str) -> etree._Element:
        if request.operation == "scan":
            ns = "scan"
        return etree.Element(self._tag(request, ns, name), nsmap={"zs": NS[request.version][ns]})

    def _sub(self, parent: etree._Element, request: Request, name: str, text: str | None = None) -> etree._Element:
        ns = "scan" if request.operation == "scan" else "sru"
        node = etree.SubElement(parent, self._tag(request, ns, name))
        if text is not None:
            node.text = clean_text(text)  # echoed client text may hold what XML cannot
        return node


def read_request(params: Mapping[str, str]) -> tuple[Request, CQLDiagnostic | None]:
    """The version and operation of a request (and the diagnostic if the version is not ours)."""
    asked = params.get("version", "")
    problem = None
    if not asked:
        asked = "1.2" if "operation" in params else "2.0"
    if asked not in VERSIONS:
        problem = CQLDiagnostic(5, "2.0", f"Unsupported version {asked!r}: this server speaks 1.1, 1.2 and 2.0")
        asked = "2.0"
    version = "2.0" if asked == "2.0" else "1.2"
    operation = params.get("operation", "")
    if not operation:
        operation = "searchRetrieve" if "query" in params else "scan" if "scanClause" in params else "explain"
    if operation not in PARAMETERS:
        problem = problem or CQLDiagnostic(4, operation, "Unsupported operation")
        operation = "explain"
    return Request(version, asked, operation, params), problem


def check_parameters(request: Request) -> None:
    """Diagnostic 8 for a parameter the operation does not know (``x-`` extensions are ignored)."""
    for name in request.params:
        if name not in PARAMETERS[request.operation] and not name.startswith("x-"):
            raise CQLDiagnostic(8, name, "Unsupported parameter")
    if request.params.get("sortKeys"):
        raise CQLDiagnostic(80, request.params["sortKeys"], "Sort not supported: use CQL sortBy")
    if request.params.get("stylesheet"):
        raise CQLDiagnostic(110, request.params["stylesheet"], "Stylesheets not supported")


def packing_of(request: Request) -> str:
    """``xml`` (records inline) or ``string`` (escaped), from recordPacking (1.x) / recordXMLEscaping (2.0)."""
    name = "recordPacking" if request.version == "1.2" else "recordXMLEscaping"
    value = request.params.get(name, "xml") or "xml"
    if request.version == "2.0" and request.params.get("recordPacking", "packed") not in ("packed", ""):
        raise CQLDiagnostic(71, f"recordPacking={request.params['recordPacking']}", "Unsupported record packing")
    if value not in ("xml", "string"):
        raise CQLDiagnostic(71, f"{name}={value}", "Unsupported record packing")
    return value


def int_param(params: Mapping[str, str], name: str, default: int, least: int) -> int:
    text = params.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < least:
        raise CQLDiagnostic(6, f"{name}={text}", "Unsupported parameter value")
    return int(text)


def _put(data: etree._Element, element: etree._Element, packing: str) -> None:
    if packing == "string":
        data.text = etree.tostring(element, encoding="unicode")
    else:
        data.append(element)


__all__ = ["SCHEMAS", "SRUServer", "ServerInfo"]
