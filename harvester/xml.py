"""The one way unioncat parses XML: no entities expanded, no DTD loaded, no network, no huge trees.

MARCXML files, OAI-PMH responses and their payloads come from outside; an XML parser with default
settings would expand ``<!ENTITY xxe SYSTEM "file:///etc/passwd">`` into the record (XXE), fetch DTDs
over the network, or blow up on a "billion laughs" document. Every XML parse in unioncat goes through
this module so that those settings live in one place and are tested once.

    root = parse_bytes(payload)                       # a whole (small) document
    for element in iter_elements(handle, ("record",)):   # streaming, elements cleared as you go
        ...
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from lxml import etree

XMLSyntaxError = etree.XMLSyntaxError

_PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
}


def safe_parser(recover: bool = False, remove_blank_text: bool = False) -> etree.XMLParser:
    """A new lxml parser with entity resolution, DTD loading and network access off.

    ``recover`` stays False by default: a broken document should fail loudly (and be quarantined),
    not turn into a silently truncated tree.
    """
    return etree.XMLParser(recover=recover, remove_blank_text=remove_blank_text, **_PARSER_OPTIONS)


_DEFAULT_PARSER = safe_parser()


def parse_bytes(data: bytes) -> etree._Element:
    """Parse a whole XML document (bytes) safely; raises `XMLSyntaxError` when not well-formed."""
    return etree.fromstring(data, parser=_DEFAULT_PARSER)


def iter_elements(source: IO[bytes] | str, local_names: Iterable[str]) -> Iterator[etree._Element]:
    """Stream the elements with these local names (any namespace) as each one ends.

    The caller gets each element complete; after it moves on, the element and every sibling before it
    are cleared, so memory stays flat however long the file is. Raises `XMLSyntaxError` at the point
    where the document stops being well-formed (elements before that point have been yielded).
    """
    wanted = set(local_names)
    context = etree.iterparse(source, events=("end",), **_PARSER_OPTIONS)
    for _event, element in context:
        tag = element.tag
        if not isinstance(tag, str):  # comments, processing instructions, entity references
            continue
        if tag.rpartition("}")[2] not in wanted:
            continue
        yield element
        release(element)
    del context


def iter_numbered(source: IO[bytes] | str, local_name: str) -> Iterator[tuple[int, etree._Element]]:
    """`iter_elements` for one local name, each element with its number in the order the elements
    *start* (0-based). A reader rescanning a file after a break can then tell exactly which elements it
    already has, even when an unclosed element made a later one nested in it end first. An element
    nested in another is yielded but left in place (its parent still needs what precedes it)."""
    numbers: dict[etree._Element, int] = {}
    started = 0
    context = etree.iterparse(source, events=("start", "end"), tag="{*}" + local_name, **_PARSER_OPTIONS)
    for event, element in context:
        if event == "start":
            numbers[element] = started
            started += 1
            continue
        yield numbers.pop(element), element
        if not numbers:  # not nested in another such element: releasing it there would cut its parent
            release(element)
    del context


def root_of(path: str | Path) -> tuple[str, bool]:
    """A document's root element's local name ("" when it has none) and whether any element is inside
    it: what a file that yielded no wanted element holds instead (read leniently, for the message)."""
    name = ""
    with open(path, "rb") as handle:
        for _event, element in etree.iterparse(handle, events=("start",), recover=True, **_PARSER_OPTIONS):
            if name:
                return name, True
            name = local_name(element) or "?"
    return name, False


def release(element: etree._Element) -> None:
    """Free a streamed element and the already-processed siblings that precede it."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def local_name(element: etree._Element) -> str:
    """The tag without its namespace ("{http://www.loc.gov/MARC21/slim}record" → "record")."""
    tag = element.tag
    return tag.rpartition("}")[2].rpartition(":")[2] if isinstance(tag, str) else ""
