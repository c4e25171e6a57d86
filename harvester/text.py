"""Text folding, in one place: every way unioncat reduces text for comparing, sorting or matching.

They differ on purpose, and each is pinned by tests/harvester/test_text.py:

- `nfc`: composed Unicode only ("u" + U+0308 → "ü"); what both search engines are given, so a decomposed
  paste does not split "Müller" in two.
- `clean_marc_text`: `nfc` plus MARC's C1 controls (non-sort markers 0x98/0x9C) removed, after text
  encoded to UTF-8 twice ("CafÃ©", `repair_mojibake`) is decoded once more: every decoded MARC field value.
- `sort_key`: lower case, accents and punctuation removed, spaces collapsed ("L'Été !" → "lete"): the
  record's `title_sort` and repository titles sorted among catalog records.
- `title_sort_key`: lower case and accents removed, punctuation kept ("L'Été !" → "l'ete !"): the index's
  title sort of merged records.
- `fold`: lower-case ASCII-ish words, "&"/apostrophes/ligatures spelled out, letters of every script kept,
  one space between words: the deduplicator's match keys.
- `name_key`: letters only ("Melville, Herman, 1819-1891." → "melvilleherman"): the same author in two
  records of one cluster.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from ftfy import fix_encoding

_C1_CONTROLS = re.compile("[\u0080-\u009f]")
# UTF-8 read as Latin-1 or Windows-1252 and encoded again: a lead byte's letter (Ã Â Ð Ñ Ì …) followed by
# a continuation byte's character (U+0080-U+00BF, or the cp1252 letters and signs of 0x80-0x9F)
_CP1252_SIGNS = bytes(range(0x80, 0xA0)).decode("cp1252", "ignore")  # € ‚ ƒ „ … † ‡ ˆ ‰ Š ‹ Œ Ž …
_MOJIBAKE = re.compile(f"[\u00c2-\u00f4][\u0080-\u00bf{_CP1252_SIGNS}]")
MOJIBAKE_BYTES = re.compile(b"\xc3[\x82-\xb4](?:\xc2[\x80-\xbf]|"
                            + b"|".join(re.escape(c.encode()) for c in _CP1252_SIGNS) + b")")
"""The same signature in UTF-8 bytes: a raw record that may hold mojibake (checked before decoding)."""
MOJIBAKE_REPAIR = "text encoded to UTF-8 twice (\"Ã©\" for \"é\") decoded once more"
_SORT_DROP = {"Mn", "Mc", "Me", "Lm", "Cf"}  # combining marks, modifier letters (ʻ), format chars (RTL marks)
_ASCII_PUNCT = re.compile(r"[^a-z0-9\s\-/:;,.]+")
_ASCII_SPACE = re.compile(r"[\s\-/:;,.]+")
_SPECIAL = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ø": "o",
        "Ø": "o",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "Ð": "d",
        "þ": "th",
        "Þ": "th",
        "ı": "i",
        "&": " and ",
        "ʹ": "",
        "ʺ": "",
        "ʼ": "",
        "ʻ": "",
        "'": "",
        "’": "",
    }
)
_NON_WORD = re.compile(r"[\W_]+")  # letters of every script survive (Cyrillic, CJK…)


def nfc(text: str) -> str:
    """Composed Unicode: a decomposed "u + ◌̈" (as macOS pastes it) would split "Müller" into two words."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def clean_marc_text(text: str) -> str:
    """Composed Unicode (MARC 21 UTF-8 records are often decomposed: "e" + U+0301), C1 controls removed,
    double-encoded UTF-8 repaired first (its C1 characters are part of what it spells)."""
    return nfc(_C1_CONTROLS.sub("", repair_mojibake(text)))


def repair_mojibake(text: str) -> str:
    """Text that went through UTF-8 twice decoded once more: "CafÃ©" → "Café", "PeÌ\x81tain" → "Pétain",
    "itâ€™s" → "it’s" (an ILS that stored UTF-8 bytes as Latin-1 and exported them as UTF-8 again, a
    Koha classic). Only text with the signature is looked at, and ftfy decides, with its own test that
    the result is less strange than the input, so "café »" stays as it is."""
    if text.isascii() or _MOJIBAKE.search(text) is None:
        return text
    return fix_encoding(text)


def has_mojibake(text: str) -> bool:
    """Whether text still shows the signature `repair_mojibake` looks for."""
    return not text.isascii() and _MOJIBAKE.search(text) is not None


def sort_key(text: str) -> str:
    """Lower case, accents and punctuation removed, spaces collapsed: "L'Été !" → "lete"."""
    if text.isascii():
        return _ASCII_SPACE.sub(" ", _ASCII_PUNCT.sub("", text.lower())).strip()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(c if c.isalnum() else (" " if c.isspace() or c in "-/:;,." else "")
                   for c in decomposed if unicodedata.category(c) not in _SORT_DROP)
    return " ".join(kept.split())


def title_sort_key(title: str) -> str:
    """Folded, lower-cased title for the title sort ("Éclair" sorts with "eclair"), punctuation kept."""
    text = unicodedata.normalize("NFKD", title.casefold())
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split())


@lru_cache(maxsize=262144)
def fold(text: str) -> str:
    """Text reduced to lower-case ASCII-ish words separated by single spaces."""
    if not text:
        return ""
    if not text.isascii():  # the slow path only for text that has something to decompose
        text = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    elif "&" in text or "'" in text:
        text = text.translate(_SPECIAL)
    return _NON_WORD.sub(" ", text.lower()).strip()


def name_key(name: str) -> str:
    """Name without dates or punctuation, folded: "Melville, Herman, 1819-1891." ~ "Melville, Herman"."""
    text = unicodedata.normalize("NFKD", name.casefold())
    return re.sub(r"[\W\d_]+", "", "".join(c for c in text if not unicodedata.combining(c)))
