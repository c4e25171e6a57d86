"""A merged record as a CSL-JSON item: the bibliographic core every export and citation starts from.

CSL-JSON (the Citation Style Language's data format, read by Zotero, Pandoc and citeproc) is the one
mapping from our `Record` to "what a citation needs"; the citation styles render it, and it is also
offered as an export. Only what the record says is written: no guessed dates, no invented authors.

    item = csl_item(merged, "https://cat.example/record/c1")
    json.dumps([item])
"""

from __future__ import annotations

import re
from typing import Any

from harvester.record import Author, Record
from indexer.merge import MergedRecord

CSL_TYPES = {
    "book": "book",
    "e-book": "book",
    "serial": "periodical",
    "e-journal": "periodical",
    "map": "map",
    "score": "musical_score",
    "audio": "song",
    "music-recording": "song",
    "video": "motion_picture",
    "image": "graphic",
    "manuscript": "manuscript",
    "archive": "manuscript",
    "computer-file": "software",
    "thesis": "thesis",
    "article": "article",
    "dataset": "dataset",
}
"""`Record.format` → CSL item type; formats CSL has no word for become "document"."""

_TRAILING = re.compile(r"[\s,;:/=.]+$")
_DATES = re.compile(r",?\s*\(?\d{3,4}\??-(\d{3,4}\??)?\)?\.?$|,\s*(b\.|d\.|fl\.)\s*\d{3,4}\??\.?$")


def tidy(text: str) -> str:
    """Cataloging punctuation off the end ("Moby Dick /" → "Moby Dick"); a final period of an
    abbreviation ("ed.") is kept, since removing it would change the word."""
    text = " ".join(text.split())
    stripped = _TRAILING.sub("", text)
    if text.endswith(".") and re.search(r"\b\w{1,3}\.$", text):
        return text.rstrip(" ,;:/=")
    return stripped


def person_name(author: Author) -> tuple[str, str]:
    """(family, given) of a person's name in catalog form ("Melville, Herman, 1819-1891.").

    A name without a comma stays whole in ``family`` (it may be a name written in direct order,
    where guessing the split would be wrong more often than right).
    """
    name = _DATES.sub("", tidy(author.name)).strip()
    family, _, given = name.partition(",")
    return tidy(family), tidy(given)


def csl_names(authors: tuple[Author, ...]) -> list[dict[str, str]]:
    """Authors for CSL: persons as family/given, organizations and meetings as literals."""
    names: list[dict[str, str]] = []
    for author in authors:
        if author.kind != "person":
            names.append({"literal": tidy(author.name)})
            continue
        family, given = person_name(author)
        if not family:
            continue
        names.append({"family": family, "given": given} if given else {"literal": family})
    return names


def is_editor(author: Author) -> bool:
    return any(role.casefold().rstrip(".") in ("editor", "ed", "edt") for role in author.roles)


def csl_item(merged: MergedRecord) -> dict[str, Any]:
    """The CSL-JSON item of a merged record (``id`` is the cluster id).

    ``URL`` is the item's own online copy (an 856 that is the resource), never the catalog page: a
    citation's URL tells the reader where the work is, and the catalog record is not the work.
    """
    record = merged.record
    item: dict[str, Any] = {"id": merged.id, "type": CSL_TYPES.get(record.format, "document")}
    item["title"] = tidy(record.full_title) or "[No title]"
    creators = [a for a in record.authors if not is_editor(a)]
    editors = [a for a in record.authors if is_editor(a)]
    _put(item, "author", csl_names(tuple(creators)))
    _put(item, "editor", csl_names(tuple(editors)))
    if record.year:
        item["issued"] = {"date-parts": [[record.year]]}
    _put(item, "publisher", tidy(record.publisher))
    _put(item, "publisher-place", tidy(record.place))
    _put(item, "edition", tidy(record.edition))
    _put(item, "number-of-pages", str(record.page_count) if record.page_count else "")
    _put(item, "ISBN", record.isbns[0] if record.isbns else "")
    _put(item, "ISSN", record.issns[0] if record.issns else "")
    _put(item, "DOI", _doi(record))
    _put(item, "collection-title", tidy(record.series[0]) if record.series else "")
    _put(item, "language", record.languages[0] if record.languages else "")
    _put(item, "abstract", record.summary)
    _put(item, "URL", next(iter(resource_links(record)), ""))
    return item


def resource_links(record: Record) -> list[str]:
    """The http(s) links that are the item itself (856 2nd indicator 0/1), in record order."""
    return [link.url.strip() for link in record.links if link.resource and is_web_url(link.url)]


def is_web_url(url: str) -> bool:
    """Only http(s) URLs are exported: an 856 may hold ``javascript:`` or worse."""
    return url.strip().lower().startswith(("http://", "https://"))


def _doi(record: Record) -> str:
    for value in record.other_ids:
        scheme, _, rest = value.partition(":")
        if scheme.casefold() == "doi" and rest:
            return rest
    return ""


def _put(item: dict[str, Any], key: str, value: Any) -> None:
    if value:
        item[key] = value
