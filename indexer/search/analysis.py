"""How index documents and queries become tantivy terms: analyzers, the embedded schema, documents and
the translation of the `indexer.search.query` tree into tantivy queries (`QueryBuilder`).

The same analyzer objects serve indexing (registered on the tantivy index under a name) and querying
(`analyze_stemmed` / `analyze_folded` in Python), so a query word is always reduced exactly like the
indexed text: lower-cased, ASCII-folded ("Łódź" → "lodz", "Müller" → "muller") and, for the main copy of
every text field, English-stemmed ("whaling" → "whale").

Stemming breaks prefix and typo matching ("whali*" does not reach the stem "whale", and "melvile" is two
edits from the stem "melvil"), so title, subtitle and authors also get an unstemmed, folded copy
(``title_exact`` …) that prefix and fuzzy queries use. Facet fields that users may also type as a query
field (``library:duke``) get such a copy too, because the facet field itself holds the exact display
string ("Duke University") for counting and filtering.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import tantivy

from harvester import identifiers
from harvester.text import nfc
from indexer.search.query import Bool, Term
from indexer.search.schema import FIELDS_BY_NAME, TEXT_FIELDS, IndexField

STEMMED = "uc_stem"
FOLDED = "uc_fold"
RAW = "raw"
EXACT_SUFFIX = "_exact"
MAX_TOKEN_CHARS = 160
"""Longer "words" are garbage (hashes, encoded blobs; URLs are split at their punctuation): dropping them
keeps the term dictionary small. tantivy counts this in UTF-8 bytes, so it must leave room for words of
non-Latin scripts: at 40 bytes a Russian word of 20 letters ("высокопроизводительный") or a German
compound with umlauts vanished from the index, while OpenSearch (which counts characters) kept it."""
UNSTEMMED_COPIES = ("title", "subtitle", "authors")
"""Text fields that also get an unstemmed folded copy (for prefix and typo-tolerant matching)."""
FUZZY_FIELDS = ("title", "subtitle", "authors", "subjects", "library", "format", "language")
"""Where typos are forgiven: what patrons type from memory. Expanding a typo over notes and publishers
costs a lot at 1M records and mostly finds noise."""


def _analyzer(stem: bool) -> tantivy.TextAnalyzer:
    builder = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(MAX_TOKEN_CHARS))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
    )
    if stem:
        builder = builder.filter(tantivy.Filter.stemmer("english"))
    return builder.build()


_ANALYZERS = {STEMMED: _analyzer(stem=True), FOLDED: _analyzer(stem=False)}
_CJK_SOURCES = tuple(f.name for f in TEXT_FIELDS if f.name not in ("cjk", "variants"))


CJK_FIELD = "cjk"
"""The hidden text field of CJK bigrams (see `cjk_bigrams`): both backends derive it from a document's
other text fields when they index it, never store it, and search it for every unfielded word."""
_CJK_RUN = re.compile(
    "[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002ebef]+"
)
"""A run of Han ideographs, kana or Hangul: text written without spaces between words."""


def cjk_bigrams(text: str) -> str:
    """Every run of CJK characters in `text` as its overlapping two-character pieces ("中国近代史" →
    "中国 国近 近代 代史"; one character stays itself), space-separated; "" when there is none.

    Chinese and Japanese put no spaces between words, so the word tokenizer sees a whole title as one
    "word": "近代史" could not find "中国近代史研究", and a run over 13 characters (40 bytes) was dropped
    from the index altogether. Overlapping bigrams are what library discovery systems index CJK as
    (Solr's CJKBigramFilter, used by VuFind and Blacklight): a typed run becomes its bigrams as a phrase,
    so it matches exactly where those characters stand together."""
    pieces: list[str] = []
    for run in _CJK_RUN.findall(nfc(text)):
        pieces.extend([run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)])
    return " ".join(pieces)


def cjk_text(doc: Mapping[str, Any]) -> str:
    """The `CJK_FIELD` value of an index document: the bigrams of each of its text fields' values."""
    parts: list[str] = []
    for name in _CJK_SOURCES:
        value = doc.get(name)
        for text in (value if isinstance(value, list | tuple) else [value]):
            if isinstance(text, str) and text and not text.isascii():
                bigrams = cjk_bigrams(text)
                if bigrams:
                    parts.append(bigrams)
    return " ".join(parts)


VARIANTS_FIELD = "variants"
"""The hidden text field of joined spellings (see `joined`): both backends derive it, like `CJK_FIELD`,
from a document's title, subtitle, authors, subjects and series, never store it, and search it for
every unfielded word."""
DERIVED_FIELDS = (CJK_FIELD, VARIANTS_FIELD)
VARIANT_SCORE = 10.0
"""What a typed word matching a joined spelling scores, in both engines: a constant, about a third of a
rare title word's score in the demo catalog (~30). Not BM25: few records have joined spellings, and over
a field most records lack the engines' BM25 parts disagree (tantivy averages the field's length over
all records, Lucene over those that have it; bench/README "Search"), and tantivy's made such a match
worth less than a word in the notes."""
_VARIANT_SOURCES = ("title", "subtitle", "authors", "subjects", "series")
_APOSTROPHES_HYPHENS = frozenset("'’‘ʼ`´′-‐‑‒–")
_MARK_RANGES = ((0x02B0, 0x02FF), (0x0300, 0x036F), (0x0591, 0x05C7), (0x0610, 0x061A), (0x0640, 0x0640),
                (0x064B, 0x065F), (0x0670, 0x0670), (0x06D6, 0x06ED), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF),
                (0x20D0, 0x20FF), (0xFE20, 0xFE2F), (0x00AD, 0x00AD), (0x200C, 0x200D), (0x2060, 0x2060))
"""Modifier letters (ʻ ʹ ʼ ʾ ʿ of ALA-LC romanization), combining diacritics left uncomposed (the ligature
halves of "Rossi︠i︡a"), Hebrew points, Arabic vowel signs and tatweel, soft hyphens and zero-width joiners."""
_CHUNK = re.compile(r"[^\s,;:()\[\]{}<>\"/\\|!?*+=&]+")


def _is_mark(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _MARK_RANGES)


def _joined_chunk(chunk: str) -> str:
    """One space-free chunk with its joiners removed, or "" when it has none inside a word.

    Joiners: the marks of `_MARK_RANGES` anywhere ("ʻUtbī"), apostrophes and hyphens between two
    characters ("don't", "co-operation"), periods between single letters ("U.S."). A chunk left with
    anything but letters and digits, or with no letter (ISBNs, "1983-1993"), gives "".
    """
    chunk = chunk.strip(".")
    pieces = chunk.split(".")
    if len(pieces) > 1 and all(len(piece) == 1 and piece.isalpha() for piece in pieces):
        return "".join(pieces)
    out: list[str] = []
    inner = False
    for i, char in enumerate(chunk):
        if _is_mark(char):
            inner = True
        elif char in _APOSTROPHES_HYPHENS:
            inner = inner or 0 < i < len(chunk) - 1
        else:
            out.append(char)
    text = "".join(out)
    if not inner or not text.isalnum() or not any(c.isalpha() for c in text):
        return ""
    return text


def joined(text: str) -> str:
    """`text` with its words' apostrophes, hyphens and romanization marks removed ("Don't" → "Dont",
    "co-operation" → "cooperation", "ʻUtbī" → "Utbī", "Chubarʹi͡an" → "Chubarian", "U.S." → "US").

    The word tokenizer splits or keeps these: "don't" is "don" + "t", "ʻutbi" keeps its ʻ, and "Rossi︠i︡a"
    is three words, so a patron typing "dont", "Utbi" or "Rossiia" found nothing. Library discovery
    systems index the joined form beside the parts (Solr's WordDelimiterGraphFilter with
    ``catenateWords``, ICU folding for the marks); here it is the hidden `VARIANTS_FIELD`."""
    return _CHUNK.sub(lambda match: _joined_chunk(match.group(0)) or match.group(0), nfc(text))


def variants_text(doc: Mapping[str, Any]) -> str:
    """The `VARIANTS_FIELD` value of an index document: each joined chunk of its `_VARIANT_SOURCES`."""
    found: list[str] = []
    for name in _VARIANT_SOURCES:
        value = doc.get(name)
        for text in (value if isinstance(value, list | tuple) else [value]):
            if isinstance(text, str) and text:
                found.extend(j for j in (_joined_chunk(c) for c in _CHUNK.findall(nfc(text))) if j)
    return " ".join(dict.fromkeys(found))


def derived_text(doc: Mapping[str, Any]) -> dict[str, str]:
    """The hidden, derived text fields (`DERIVED_FIELDS`) of an index document that have a value."""
    values = {CJK_FIELD: cjk_text(doc), VARIANTS_FIELD: variants_text(doc)}
    return {name: value for name, value in values.items() if value}


def query_text(field: IndexField, text: str) -> str:
    """What a word typed against `field` is analyzed as: its CJK bigrams in `CJK_FIELD` (nothing there
    when it has no CJK), the word itself everywhere else."""
    return cjk_bigrams(text) if field.name == CJK_FIELD else text


def analyze_stemmed(text: str) -> list[str]:
    return _ANALYZERS[STEMMED].analyze(nfc(text))


def analyze_folded(text: str) -> list[str]:
    return _ANALYZERS[FOLDED].analyze(nfc(text))


def exact_copy(field: IndexField) -> str | None:
    """Name of the unstemmed folded copy of a field, or None when it has none."""
    if field.kind == "text" and field.name in UNSTEMMED_COPIES:
        return field.name + EXACT_SUFFIX
    if field.kind == "keyword" and field.query_alias:
        return field.name + EXACT_SUFFIX
    return None


def _clean(text: str) -> str:
    return "".join(c for c in text if c.isalnum())


_ID_NORMALIZERS: dict[str, Callable[[str], str | None]] = {
    "isbn": identifiers.normalize_isbn,
    "issn": identifiers.normalize_issn,
    "oclc": identifiers.normalize_oclc,
    "lccn": identifiers.normalize_lccn,
}


def normalize_identifier(field: str, value: str) -> str:
    """The indexed form of an identifier; the query parser normalizes typed ones the same way."""
    normalizer = _ID_NORMALIZERS.get(field)
    if normalizer is None:
        return value.strip()
    found = normalizer(value)
    if found:
        return found
    cleaned = _clean(value)
    return cleaned.lower() if field == "lccn" else cleaned.upper()


def field(name: str) -> IndexField:
    return FIELDS_BY_NAME[name]


TIE_BREAKER = 0.3
"""dis_max tie breaker: the best field decides, other matching fields add a little (like best_fields)."""
IDENTIFIER_BOOST = 10.0
FUZZY_WEIGHT = 0.5
"""A typo-tolerant match scores half an exact one, so exact words still rank first in fuzzy mode."""


def fuzzy_distance(word: str) -> int:
    """Edits allowed for a word of this length: none up to 2 letters, 1 up to 7, else 2.

    Two edits on a 6-letter word already turn "muller" into "murder"; a transposition counts as one.
    """
    if len(word) <= 2:
        return 0
    return 1 if len(word) <= 7 else 2


def has_fuzzable_term(node: object) -> bool:
    if isinstance(node, Term):
        return any(fuzzy_distance(t) > 0 for t in analyze_folded(node.text))
    if isinstance(node, Bool):
        return any(has_fuzzable_term(c) for c in node.must + node.should)
    return False


STOPWORDS = frozenset(
    """a an and are as at be by for from in into is it of on or the to with
    au aux d de des du et l la le les un une
    das dem den der des die ein eine einer und von zu
    del el en la las los y
    di e gli il lo""".split()
)
"""Words too common to decide whether a record matches ("history and art" must find "The history of
British art"), in the catalog's main languages. They still score (a title containing them ranks
higher) and phrases keep them. A short fixed list, not a frequency cut-off, so that both backends and
every index size agree on what is optional."""


def is_stopword(text: str) -> bool:
    """Whether a typed word is only a stopword (after the same folding the index applies)."""
    tokens = analyze_folded(text)
    return bool(tokens) and all(token in STOPWORDS for token in tokens)


def title_key(text: str) -> str:
    """A title (or a whole query) reduced for "is this exactly the title?": folded words, ``&`` = and.

    "The History of British Art." and "the history of british art" give the same key; so do
    "Moby-Dick" and "moby dick", and "War & peace" and "war and peace".
    """
    return " ".join(analyze_folded(text.replace("&", " and ")))


LEADING_ARTICLES = ("the", "a", "an", "le", "la", "les", "l", "der", "die", "das", "el", "los", "las", "il")


def title_keys(*titles: str) -> list[str]:
    """The `title_key` forms a record is found under: each title, also `joined` ("Don't think twice" is
    also "dont think twice"), each also without a leading article."""
    keys: list[str] = []
    for title in titles:
        for key in dict.fromkeys((title_key(title), title_key(joined(title)))):
            if not key:
                continue
            keys.append(key)
            first, _, rest = key.partition(" ")
            if rest and first in LEADING_ARTICLES:
                keys.append(rest)
    return list(dict.fromkeys(keys))


HEADING_SEPARATOR = "\x1f"
"""Heading fields (``author_heading`` …) hold "<sort key>\\x1f<display form>" as one keyword term, so the
engine's term dictionary is at once the alphabetical browse list (sorted by key), the autocomplete
index (prefix of the key, counted by document frequency) and the label to show."""


def heading_term(key: str, display: str) -> str:
    return f"{key}{HEADING_SEPARATOR}{display}"


def split_heading(term: str) -> tuple[str, str]:
    """(sort key, display form) of a heading term; a term without a separator is both."""
    key, _, display = term.partition(HEADING_SEPARATOR)
    return key, display or key


def heading_key(text: str) -> str:
    """The browse/autocomplete key of a name, subject or title: folded words ("Müller, K." → "muller k")."""
    return title_key(text)


def callnumber_key(text: str) -> str:
    """A call number's shelf order key: class letters, then the class number padded so 9 < 76 < 100.

    Digits after a "." (and a Cutter's digits, ".D25" before ".D3") are decimal fractions in LC and Dewey
    (76.75 before 76.9), so stay as typed.
    Approximate for other schemes, but always consistent between the index and a typed jump.
    """
    parts: list[str] = []
    cutter = False  # ".D3": a Cutter number, also a decimal fraction (D25 before D3)
    for match in re.finditer(r"[^\W\d_]+|\d+", text):
        token = match.group(0)
        after_dot = match.start() > 0 and text[match.start() - 1] == "."
        if not token.isdigit():
            cutter = after_dot
            parts.append(token.casefold())
            continue
        parts.append(token if after_dot or cutter else token.zfill(6))
        cutter = False
    return " ".join(parts)
