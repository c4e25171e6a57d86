"""The shared vocabulary of repository metadata (Dublin Core, MODS): identifiers sorted into ISBN /
ISSN / DOI / handle / URL, years, language names to ISO 639-2, type words to formats, title sort keys,
the source's one holding. `dc` and `mods` both use it, and `payload` dispatches to them, so it lives
below all three and no import goes in a circle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import pycountry

from harvester.identifiers import normalize_isbn, normalize_issn, recognise_identifier
from harvester.record import Holding, Link
from harvester.settings import SourceConfig
from harvester.text import sort_key

DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
MODS_NS = "http://www.loc.gov/mods/v3"
_YEAR = re.compile(r"(?<!\d)(1[0-9]{3}|20[0-9]{2})(?!\d)")
_DOI = re.compile(r"(10\.\d{4,9}/\S+)")
_SCHEMES = re.compile(r"^(repec|arxiv|pmid|pmcid|urn:nbn|urn:urn|ark|oai):\s*(\S+)$", re.I)
_HANDLE_URL = re.compile(r"^https?://hdl\.handle\.net/(\S+)$", re.I)
_FULLTEXT = re.compile(
    r"(\.pdf($|\?)|/bitstream/|/download|/files/|/content/|fulltext|full[-_]text|/pdf/)", re.I
)
LANGUAGES = {
    "en": "eng", "english": "eng", "fr": "fre", "fra": "fre", "french": "fre", "français": "fre",
    "de": "ger", "deu": "ger", "german": "ger", "deutsch": "ger", "es": "spa", "spanish": "spa",
    "español": "spa", "it": "ita", "italian": "ita", "nl": "dut", "nld": "dut", "dutch": "dut",
    "pt": "por", "portuguese": "por", "ru": "rus", "russian": "rus", "zh": "chi", "zho": "chi",
    "chinese": "chi", "ja": "jpn", "japanese": "jpn", "la": "lat", "latin": "lat", "sv": "swe",
    "swedish": "swe", "fi": "fin", "finnish": "fin", "da": "dan", "no": "nor", "pl": "pol", "ar": "ara",
    "he": "heb", "el": "gre", "ell": "gre", "cs": "cze", "ces": "cze", "ko": "kor",
}
FORMAT_WORDS = (
    ("thesis", "thesis"), ("dissertation", "thesis"), ("article", "article"), ("paper", "article"),
    ("preprint", "article"), ("report", "book"), ("dataset", "dataset"),
    ("data set", "dataset"), ("software", "computer-file"), ("computer", "computer-file"),
    ("cartograph", "map"), ("map", "map"), ("notated music", "score"), ("score", "score"),
    ("sound recording-musical", "music-recording"), ("sound", "audio"), ("audio", "audio"),
    ("moving image", "video"), ("video", "video"), ("film", "video"), ("still image", "image"),
    ("image", "image"), ("photograph", "image"), ("manuscript", "manuscript"), ("mixed material", "mixed"),
    ("collection", "archive"), ("three dimensional", "object"), ("physical object", "object"),
    ("kit", "kit"), ("periodical", "serial"), ("journal", "serial"), ("serial", "serial"),
    ("book", "book"), ("monograph", "book"), ("text", "book"),
)


@dataclass(slots=True)
class Identifiers:
    """Identifiers collected from a repository record, already normalized."""

    isbns: list[str] = field(default_factory=list)
    issns: list[str] = field(default_factory=list)
    oclc: list[str] = field(default_factory=list)
    lccns: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)

    def add(self, text: str, scheme: str = "") -> None:
        """File one identifier string under the right list (ISBN, ISSN, DOI, handle, URL …)."""
        value = " ".join(text.split())
        if not value:
            return
        scheme = scheme.lower()
        lowered = value.lower()
        if scheme == "isbn" or lowered.startswith(("urn:isbn:", "isbn")):
            isbn = normalize_isbn(re.sub(r"^(urn:)?isbn:?\s*", "", value, flags=re.I))
            _append(self.isbns, isbn) if isbn else _append(self.other, f"isbn:{value}")
            return
        if scheme in ("issn", "eissn") or lowered.startswith(("urn:issn:", "issn")):
            issn = normalize_issn(re.sub(r"^(urn:)?e?issn:?\s*", "", value, flags=re.I))
            if issn:
                _append(self.issns, issn)
            return
        if lowered.startswith(("http://", "https://")):
            self._url(value)
            return
        doi = _DOI.search(value) if (scheme == "doi" or lowered.startswith(("doi:", "10."))) else None
        if doi:
            _append(self.other, "doi:" + doi.group(1).rstrip(".,;").lower())
            return
        if scheme in ("hdl", "handle") or lowered.startswith("hdl:"):
            _append(self.other, "hdl:" + re.sub(r"^hdl:\s*", "", value, flags=re.I))
            return
        scheme_prefix = _SCHEMES.match(value)
        if scheme_prefix and not scheme:
            _append(self.other, scheme_prefix.group(1).lower() + ":" + scheme_prefix.group(2))
            return
        found = recognise_identifier(value)
        if found is not None:
            kind, normalized = found
            target = {"isbn": self.isbns, "issn": self.issns, "oclc": self.oclc, "lccn": self.lccns}[kind]
            _append(target, normalized)
        elif scheme and scheme not in ("local", "uri", "url"):
            _append(self.other, f"{scheme}:{value}")

    def _url(self, url: str, label: str = "", full_text: bool | None = None) -> None:
        doi = _DOI.search(url) if "doi.org/" in url.lower() else None
        if doi:
            _append(self.other, "doi:" + doi.group(1).rstrip(".,;").lower())
        handle = _HANDLE_URL.match(url)
        if handle:
            _append(self.other, "hdl:" + handle.group(1))
        self.add_link(url, label, full_text)

    def add_link(self, url: str, label: str = "", full_text: bool | None = None) -> None:
        """A landing page (resource=False) or the full text itself (resource=True, guessed if not said)."""
        resource = bool(_FULLTEXT.search(url)) if full_text is None else full_text
        if any(link.url == url for link in self.links):
            return
        self.links.append(Link(url=url, label=label or ("Full text" if resource else "Landing page"),
                               resource=resource))


def _append(values: list[str], value: str | None) -> None:
    if value and value not in values:
        values.append(value)


def year_of(texts: list[str]) -> int | None:
    """The first plausible year in free-text dates ("1950s", "2003-05-01", "c1998")."""
    for text in texts:
        match = _YEAR.search(text)
        if match:
            return int(match.group(1))
    return None


def language_code(text: str) -> str | None:
    """ISO 639-2 (bibliographic) code from a code or an English/native language name.

    The table above first (the common names, native ones too); then ISO 639 itself (pycountry): any
    two-letter code ("hu", DSpace's "hu_HU"), a terminology code ("fra" → "fre", "ces" → "cze") or an
    English name ("Hungarian") — before, a code missing from the table was dropped."""
    value = text.strip().lower()
    if not value:
        return None
    if value in LANGUAGES:
        return LANGUAGES[value]
    base = value.split("-")[0].split("_")[0]
    if base in LANGUAGES:
        return LANGUAGES[base]
    return _iso639(value, base)


@lru_cache(maxsize=4096)
def _iso639(value: str, base: str) -> str | None:
    found = None
    if re.fullmatch(r"[a-z]{2}", base):
        found = pycountry.languages.get(alpha_2=base)
    elif re.fullmatch(r"[a-z]{3}", value):
        found = pycountry.languages.get(alpha_3=value)
        if found is None:
            return value  # already a bibliographic code pycountry lists under its terminology twin, or local
    elif re.fullmatch(r"[a-z][a-z ()-]{3,40}", value):
        try:
            found = pycountry.languages.lookup(value)
        except LookupError:
            found = None
    if found is None:
        return None
    return getattr(found, "bibliographic", None) or getattr(found, "alpha_3", None)


def format_of(words: list[str], default: str = "other") -> str:
    """A `FORMATS` value from DCMI types, MODS typeOfResource or genre words."""
    for word in words:
        lowered = word.strip().lower()
        for needle, fmt in FORMAT_WORDS:
            if needle in lowered:
                return fmt
    return default


def title_sort(title: str) -> str:
    """The title without a leading article, folded as MARC titles are (`marc.mapping.sort_key`), so
    repository records sort among catalog records."""
    return sort_key(re.sub(r"^(the|a|an|le|la|les|l'|der|die|das)\s+", "", title.strip(), flags=re.I))


def source_holding(source: SourceConfig) -> Holding:
    """Repository records carry no items: one holding for the source's library (see CONTRACTS)."""
    return Holding(library_code=source.library.code, library_name=source.library.name)
