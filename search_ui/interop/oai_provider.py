"""The OAI-PMH 2.0 data provider of the merged catalog: six verbs over `CatalogItems`, answered as XML.

Harvesters (aggregators, resource-sharing brokers such as ReShare's mod-rs, and unioncat itself) get
every cluster as one record in ``oai_dc`` or ``marcxml`` (with a ``999 1 1`` holding per member and
852s, see `search_ui.interop.marc_out`). The provider is a pure function of the request arguments and
the catalog, so the view only does HTTP; every XML node is built with lxml, never from strings.

Argument checking follows the protocol's section 3.6 exactly, because harvesters rely on the error
codes: a missing, repeated or illegal verb is ``badVerb``; a missing, repeated, unknown or malformed
argument is ``badArgument`` (and then the ``request`` element carries no attributes, as required);
a list whose datestamps or set select nothing is ``noRecordsMatch``; see `ERRORS`.

    xml_bytes = OAIProvider(items, Repository(base_url=...), key).respond([("verb", "Identify")])
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from search_ui.interop import oai_provider_tokens as tokens
from search_ui.interop.marc_out import clean_text
from search_ui.interop.oai_provider_data import CatalogItems, Item, Selection
from search_ui.interop.oai_provider_formats import FORMATS, metadata_element

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
ERRORS = ("badArgument", "badResumptionToken", "badVerb", "cannotDisseminateFormat", "idDoesNotExist",
          "noRecordsMatch", "noMetadataFormats", "noSetHierarchy")
ID_PREFIX = "oai:unioncat:"
PAGE_SIZE = 100
"""Records (or headers) per list response; the rest follows through a resumption token."""
_LIST_ARGS = {"metadataPrefix", "from", "until", "set"}
VERBS: dict[str, tuple[set[str], set[str]]] = {
    # verb → (required arguments, optional arguments); resumptionToken is handled as exclusive
    "Identify": (set(), set()),
    "ListMetadataFormats": (set(), {"identifier"}),
    "ListSets": (set(), set()),
    "GetRecord": ({"identifier", "metadataPrefix"}, set()),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set"}),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set"}),
}
RESUMABLE = {"ListSets", "ListIdentifiers", "ListRecords"}


class OAIError(Exception):
    """A protocol error: one of `ERRORS` and a message for the harvester's log."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Repository:
    """What Identify says about this repository."""

    base_url: str
    name: str = "unioncat union catalog"
    admin_email: str = "catalog-admin@localhost"
    page_size: int = PAGE_SIZE
    token_ttl: float = tokens.TOKEN_TTL


def oai_id(cluster_id: str) -> str:
    return ID_PREFIX + cluster_id


def cluster_id_of(identifier: str) -> str:
    """``oai:unioncat:<cluster id>`` → the cluster id (a bare cluster id is accepted as well)."""
    return identifier[len(ID_PREFIX):] if identifier.startswith(ID_PREFIX) else identifier


class OAIProvider:
    """Answers one OAI-PMH request at a time over a catalog's items."""

    def __init__(self, items: CatalogItems, repository: Repository, key: bytes,
                 clock: Callable[[], float] = time.time) -> None:
        self.items = items
        self.repo = repository
        self.key = key
        self.clock = clock

    def respond(self, arguments: Sequence[tuple[str, str]]) -> bytes:
        """The complete OAI-PMH response document for a request's (name, value) arguments."""
        now = self.clock()
        root = etree.Element(f"{{{OAI_NS}}}OAI-PMH", nsmap={None: OAI_NS, "xsi": XSI_NS})
        root.set(f"{{{XSI_NS}}}schemaLocation", OAI_SCHEMA)
        etree.SubElement(root, f"{{{OAI_NS}}}responseDate").text = stamp_text(now)
        request = etree.SubElement(root, f"{{{OAI_NS}}}request")
        request.text = self.repo.base_url
        try:
            verb, args = check_arguments(arguments)
            request.set("verb", verb)
            for name, value in sorted(args.items()):
                request.set(name, clean_text(value))  # a harvester's bytes may hold what XML cannot
            root.append(getattr(self, f"_{verb}")(args, now))
        except OAIError as error:
            if error.code in ("badVerb", "badArgument"):
                request.attrib.clear()
            element = etree.SubElement(root, f"{{{OAI_NS}}}error", code=error.code)
            element.text = clean_text(error.message)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    # --- the six verbs ---------------------------------------------------------------------------

    def _Identify(self, args: dict[str, str], now: float) -> etree._Element:  # noqa: N802 - verb name
        out = _el("Identify")
        earliest = self.items.earliest()
        for name, value in (
            ("repositoryName", self.repo.name), ("baseURL", self.repo.base_url), ("protocolVersion", "2.0"),
            ("adminEmail", self.repo.admin_email),
            ("earliestDatestamp", stamp_text(earliest if earliest is not None else now)),
            ("deletedRecord", "persistent"), ("granularity", "YYYY-MM-DDThh:mm:ssZ"),
        ):
            _sub(out, name, value)
        return out

    def _ListMetadataFormats(self, args: dict[str, str], now: float) -> etree._Element:  # noqa: N802
        if "identifier" in args:
            item = self._item(args["identifier"])
            if item.deleted:
                raise OAIError("noMetadataFormats", f"{args['identifier']} is deleted: no format can be disseminated")
        out = _el("ListMetadataFormats")
        for prefix, fmt in FORMATS.items():
            node = _sub(out, "metadataFormat")
            _sub(node, "metadataPrefix", prefix)
            _sub(node, "schema", fmt.schema)
            _sub(node, "metadataNamespace", fmt.namespace)
        return out

    def _ListSets(self, args: dict[str, str], now: float) -> etree._Element:  # noqa: N802
        if "resumptionToken" in args:
            raise OAIError("badResumptionToken", "ListSets answers in one response; it issues no tokens")
        sets = self.items.sets()
        if not sets:
            raise OAIError("noSetHierarchy", "this repository has no sets yet (no member library is configured)")
        out = _el("ListSets")
        for spec, name in sets:
            node = _sub(out, "set")
            _sub(node, "setSpec", spec)
            _sub(node, "setName", name)
        return out

    def _GetRecord(self, args: dict[str, str], now: float) -> etree._Element:  # noqa: N802
        prefix = _prefix(args["metadataPrefix"])
        item = self._item(args["identifier"])
        out = _el("GetRecord")
        out.append(record_element(item, prefix))
        return out

    def _ListIdentifiers(self, args: dict[str, str], now: float) -> etree._Element:  # noqa: N802
        return self._list("ListIdentifiers", args, now)

    def _ListRecords(self, args: dict[str, str], now: float) -> etree._Element:  # noqa: N802
        return self._list("ListRecords", args, now)

    # --- lists -----------------------------------------------------------------------------------

    def _list(self, verb: str, args: dict[str, str], now: float) -> etree._Element:
        state = self._state(verb, args, now)
        selection = Selection(state.start, state.end, state.set_spec)
        found, following = self.items.page(selection, (state.after_stamp, state.after_id), self.repo.page_size)
        if not found and state.cursor == 0 and following is None:
            raise OAIError("noRecordsMatch", "no item matches these from/until/set arguments")
        out = _el(verb)
        for item in found:
            out.append(header_element(item) if verb == "ListIdentifiers" else record_element(item, state.prefix))
        if following is not None or state.cursor:
            self._token(out, state, found, following, selection, now)
        return out

    def _token(self, out: etree._Element, state: tokens.ListState, found: list[Item],
               following: tuple[float, str] | None, selection: Selection, now: float) -> None:
        """The resumptionToken element: a new token while more follow, an empty one on the last page."""
        node = _sub(out, "resumptionToken")
        node.set("cursor", str(state.cursor))
        total = state.total
        if not state.cursor:  # counted once per list, on its first page; later pages carry it in the token
            counted = self.items.count(selection)
            total = -1 if counted is None else counted
        if total >= 0:
            node.set("completeListSize", str(max(total, state.cursor + len(found))))
        if following is not None:
            after = tokens.ListState(state.verb, state.prefix, state.set_spec, state.start, state.end,
                                     following[0], following[1], state.cursor + len(found), total=total)
            node.text = tokens.encode(after, self.key, now)
            node.set("expirationDate", stamp_text(now + self.repo.token_ttl))

    def _state(self, verb: str, args: dict[str, str], now: float) -> tokens.ListState:
        """The list position: decoded from the token, or a fresh one from the arguments."""
        if "resumptionToken" in args:
            try:
                state = tokens.decode(args["resumptionToken"], self.key, self.repo.token_ttl, now)
            except tokens.BadToken as exc:
                raise OAIError("badResumptionToken", str(exc)) from exc
            if state.verb != verb:
                raise OAIError("badResumptionToken", f"this token continues {state.verb}, not {verb}")
            return state
        prefix = _prefix(args["metadataPrefix"])
        start, end = date_bounds(args.get("from"), args.get("until"))
        set_spec = args.get("set", "")
        if set_spec and not self.items.sets():
            raise OAIError("noSetHierarchy", "this repository has no sets yet (no member library is configured)")
        if set_spec and not self.items.known_set(set_spec):
            raise OAIError("noRecordsMatch", f"there is no set {set_spec!r} (ListSets names them)")
        return tokens.ListState(verb, prefix, set_spec, start, end, -1.0, "", 0)

    def _item(self, identifier: str) -> Item:
        item = self.items.item(cluster_id_of(identifier))
        if item is None:
            raise OAIError("idDoesNotExist", f"no item {identifier!r} in this repository")
        return item


# --- arguments and dates -------------------------------------------------------------------------


def check_arguments(arguments: Sequence[tuple[str, str]]) -> tuple[str, dict[str, str]]:
    """The verb and its arguments, or the protocol error the request deserves."""
    verbs = [value for name, value in arguments if name == "verb"]
    if len(verbs) != 1 or verbs[0] not in VERBS:
        shown = verbs[0] if len(verbs) == 1 else ("none" if not verbs else "more than one")
        raise OAIError("badVerb", f"verb {shown!r} is not an OAI-PMH verb; use one of {', '.join(VERBS)}")
    verb = verbs[0]
    args: dict[str, str] = {}
    for name, value in arguments:
        if name == "verb":
            continue
        if name in args:
            raise OAIError("badArgument", f"argument {name!r} is repeated")
        args[name] = value
    required, optional = VERBS[verb]
    if "resumptionToken" in args and verb in RESUMABLE:
        if len(args) > 1:
            raise OAIError("badArgument", "resumptionToken is an exclusive argument")
        return verb, args
    unknown = sorted(set(args) - required - optional)
    if unknown:
        raise OAIError("badArgument", f"{verb} does not take {', '.join(unknown)}")
    missing = sorted(required - set(args))
    if missing:
        raise OAIError("badArgument", f"{verb} needs {', '.join(missing)}")
    return verb, args


def parse_datestamp(text: str, name: str) -> tuple[float, bool]:
    """A UTC datestamp (day or seconds granularity) → (seconds since the epoch, is-day-granularity)."""
    for pattern, day in (("%Y-%m-%dT%H:%M:%SZ", False), ("%Y-%m-%d", True)):
        try:
            parsed = datetime.strptime(text, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
        if len(text) != (10 if day else 20):  # strptime accepts "2026-1-1"; the protocol does not
            break
        return parsed.timestamp(), day
    raise OAIError("badArgument", f"{name}={text!r} is not YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ")


def date_bounds(start_text: str | None, until_text: str | None) -> tuple[float | None, float | None]:
    """``from``/``until`` (both inclusive) → [start, end) in seconds; mixed granularities are refused."""
    start = until = None
    start_day = until_day = None
    if start_text is not None:
        start, start_day = parse_datestamp(start_text, "from")
    if until_text is not None:
        until, until_day = parse_datestamp(until_text, "until")
    if start_day is not None and until_day is not None and start_day != until_day:
        raise OAIError("badArgument", "from and until must have the same granularity")
    if start is not None and until is not None and start > until:
        raise OAIError("badArgument", "from is later than until")
    end = None if until is None else until + (86400.0 if until_day else 1.0)
    return start, end


def stamp_text(seconds: float) -> str:
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- records -------------------------------------------------------------------------------------


def header_element(item: Item) -> etree._Element:
    header = _el("header")
    if item.deleted:
        header.set("status", "deleted")
    _sub(header, "identifier", oai_id(item.id))
    _sub(header, "datestamp", stamp_text(item.stamp))
    for spec in item.sets:
        _sub(header, "setSpec", spec)
    return header


def record_element(item: Item, prefix: str) -> etree._Element:
    record = _el("record")
    record.append(header_element(item))
    if item.merged is not None:
        _sub(record, "metadata").append(metadata_element(item.merged, prefix))
    return record


def _prefix(prefix: str) -> str:
    if prefix not in FORMATS:
        raise OAIError("cannotDisseminateFormat", f"no metadata format {prefix!r}; use {' or '.join(FORMATS)}")
    return prefix


def _el(name: str) -> etree._Element:
    return etree.Element(f"{{{OAI_NS}}}{name}")


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    node = etree.SubElement(parent, f"{{{OAI_NS}}}{name}")
    if text is not None:
        node.text = text
    return node
