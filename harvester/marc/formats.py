"""What kind of thing a MARC record describes: leader/06-07, 007 and 008 → one of `record.FORMATS`.

Patrons filter by "book", "e-book", "video"; ILL staff need to know a serial from a monograph. MARC
spreads that over the leader (type of record, bibliographic level), 007 (physical description: "c" =
electronic resource, "h" = microform, "v" = videorecording) and 008's form of item, whose position
depends on the type of record (23 for books, music, serials; 29 for maps and visual materials).
Component parts (leader/07 ``a`` in a book, ``b`` in a serial) are chapters and articles: calling an
article a "serial" made it look like the journal it appeared in, to patrons and to the deduplicator.
"""

from __future__ import annotations

from collections.abc import Sequence

_ELECTRONIC_FORMS = "oqs"  # 008 form of item: online, direct electronic, electronic
_MICROFORM_FORMS = "abc"  # microfilm, microfiche, microopaque

_BY_TYPE = {
    "c": "score",
    "d": "score",  # manuscript music
    "e": "map",
    "f": "map",  # manuscript map
    "i": "audio",  # nonmusical sound recording (audiobooks, speeches)
    "j": "music-recording",
    "k": "image",
    "o": "kit",
    "r": "object",
}


def form_of_item(record_type: str, f008: str) -> str:
    """008's form of item (position 23, or 29 for maps and visual materials)."""
    position = 29 if record_type in "efgkor" else 23
    return f008[position] if len(f008) > position else ""


def classify(leader: str, f007s: Sequence[str], f008: str, thesis: bool = False) -> str:
    """The `Record.format` value for a bibliographic record."""
    record_type = leader[6] if len(leader) > 6 else " "
    level = leader[7] if len(leader) > 7 else " "
    categories = {f[:1] for f in f007s if f}
    form = form_of_item(record_type, f008)
    electronic = form in _ELECTRONIC_FORMS and form != "" or "c" in categories
    microform = form in _MICROFORM_FORMS and form != "" or "h" in categories
    if record_type in ("a", "t"):
        if level == "b":  # serial component part: an article, never the serial itself
            return "article"
        if level == "a":  # monographic component part: a chapter or a paper in proceedings
            return "chapter"
        if level in "is" and level.strip():
            return "e-journal" if electronic else "serial"
        if record_type == "t":
            return "manuscript"
        if electronic:
            return "e-book"
        if microform:
            return "microform"
        if thesis:
            return "thesis"
        return "book"
    if record_type in _BY_TYPE:
        return _BY_TYPE[record_type]
    if record_type == "g":  # projected medium: 008/33 type of visual material
        visual = f008[33] if len(f008) > 33 else ""
        if visual in "vm" and visual or "v" in categories or "m" in categories:
            return "video"
        return "image" if visual in "sft" and visual else "video"
    if record_type == "m":  # computer file: 008/26 "a" numeric data
        return "dataset" if len(f008) > 26 and f008[26] == "a" else "computer-file"
    if record_type == "p":  # mixed materials; leader/08 "a" = archival control
        return "archive" if len(leader) > 8 and leader[8] == "a" else "mixed"
    return "other"
