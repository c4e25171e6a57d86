"""Normalized match keys: what two records must share before the deduplicator even compares them.

Blocking is what lets deduplication scale: a record is only compared with records that share at least
one key with it. Keys come in three kinds:

- **identifier keys** (``isbn:``, ``issn:``, ``oclc:``, ``lccn:``, and the ``scheme:value`` standard
  numbers of 024/015/016 in `Record.other_ids`): exact, cheap, but sometimes misused (a publisher
  reusing one ISBN for every volume of a set, a serial ISSN printed on a monograph in the series);
- **composite keys** (``isbnyf:ISBN|year|format|volume``): the decision only trusts a shared ISBN
  when these agree too (`indexer.dedup.decide`), so a multi-volume set sharing an ISBN does not collapse;
- **fuzzy keys** for the records with no identifiers at all — most of the older catalog (the
  Goldfinch pairs carry none): ``tb:`` first two title words + the surname of each of the first three
  authors, ``ty:`` three title words + year, ``tf:`` five words of title and subtitle + year,
  ``ay:`` author surname + year (narrowed: `WINDOWED_KEYS`) and ``ap:`` the same + publisher, ``tl:``
  six words of a long title, ``tt:`` the whole title,
  ``ti:``/``tj:`` the initials of the title's words + year/surname (a typo inside a word survives),
  and three kinds that one added or removed word cannot defeat (`word_keys`: ``tw:`` first three
  words, ``tz:`` last three, ``tq:`` the two longest words — no year, no author), and two that a
  typo, a one-word title or a citation pasted into a title cannot defeat (`short_keys`: ``t2:`` first
  two title words + year, ``tp:`` page count + year + initial), and for component parts only two
  that a typo, a cut subtitle or a reordered author list cannot defeat (`part_author_keys`: ``pa:``
  surname + title initial, ``py:`` surname + year, for each of the first three authors), whose
  blocks are all capped small.
  Keys that found no duplicate the others miss on the tuning half of the Goldfinch pairs were dropped
  (fewer rows in ClusterStore's key table); blocks that grow too big are compared by sorted
  neighbourhood (`indexer.dedup.clustering`).

Everything is folded the same way (`fold`): Unicode NFKD with diacritics removed, a few letters that do
not decompose mapped by hand (ß, æ, ø, ł, þ …), lower case, punctuation to spaces; titles also lose
leading articles and stopwords so "The Hobbit" and "Hobbit, The" meet.
"""

from __future__ import annotations

import re
from functools import lru_cache

from harvester.record import Record
from harvester.text import fold

STOPWORDS = frozenset(
    """a an the and or of in on at to for by with from into as is are be
    le la les l un une des du de d et en au aux
    der die das dem den des ein eine einer eines und im zu zur zum von vom mit
    el los las lo y del al
    il lo gli i della delle dei degli e
    o os as da do dos das em
    het een van
    och af""".split()
)
"""Articles, conjunctions and prepositions (English, French, German, Spanish, Italian, Portuguese,
Dutch, Swedish) that catalogers drop, abbreviate or transpose inconsistently."""


def words(text: str) -> list[str]:
    """Folded significant words: stopwords dropped (all of them kept when that leaves nothing)."""
    return list(_words(text))


@lru_cache(maxsize=262144)
def _words(text: str) -> tuple[str, ...]:
    tokens = fold(text).split()
    significant = tuple(t for t in tokens if t not in STOPWORDS)
    return significant or tuple(tokens)


def title_text(record: Record) -> str:
    """Title proper plus part (245 $a $n $p) — the subtitle is too often abbreviated or missing.

    Catalogers disagree on where the title proper ends ("Highways: acquiring land …" all in $a, or
    split into $a and $b), so the title is cut at the first colon, semicolon, " / " or " = ".
    """
    title = title_proper(record.title)
    return f"{title} {record.part}".strip() if record.part else title


_TITLE_END = re.compile(r"\s*(?::|;|\s/\s|\s=\s)\s*")


def title_proper(title: str) -> str:
    """The text before a subtitle/statement separator, when something significant precedes it."""
    head = _TITLE_END.split(title, maxsplit=1)[0]
    return head if words(head) else title


def full_title_text(record: Record) -> str:
    """Title, subtitle and part as one string (for overlap measures and long-title keys)."""
    return " ".join(t for t in (record.title, record.subtitle, record.part) if t)


def short_title(record: Record, length: int = 4) -> str:
    """The first `length` significant title words, joined without spaces ("mobydickwhale")."""
    return "".join(words(title_text(record))[:length])


def author_surname(record: Record) -> str:
    """Folded surname of the first (primary if any) author, or first word of a corporate name."""
    if not record.authors:
        return ""
    author = next((a for a in record.authors if a.primary), record.authors[0])
    return name_surname(author.name, author.kind)


@lru_cache(maxsize=65536)
def name_surname(name: str, kind: str = "person") -> str:
    """Surname of a heading: "Melville, Herman, 1819-1891" and "Herman Melville" → "melville".

    Cached: the keys and the profile of one record ask for the same names several times, and
    headings repeat across a catalog."""
    if kind == "person":
        if _ET_AL.fullmatch(fold(name)):
            return ""  # "et al.": the citation cut its author list here, it names nobody
        if "," in name:
            head = fold(name.split(",", 1)[0])
        else:
            parts = fold(name).split()
            head = parts[-1] if parts else ""
            if len(parts) > 1 and len(parts[0]) > 1 and _initials_last(name, head):
                head = parts[0]  # "Ross K. A.", "Smith JA": citation style, surname first
        return head.replace(" ", "")
    tokens = words(name)
    return tokens[0] if tokens else ""


_ET_AL = re.compile(r"\s*(et al|et alii|and others|u a|et coll)\s*")


def _initials_last(name: str, last: str) -> bool:
    """The last word of a name without a comma is initials, not a surname: one letter ("ross k a"), or
    two or three capitals after a word that is not all capitals ("Smith JA")."""
    if len(last) == 1:
        return True
    tokens = name.split()
    tail = tokens[-1].replace(".", "")
    return len(tail) <= 3 and tail.isalpha() and tail.isupper() and not tokens[0].isupper()


def author_surnames(record: Record) -> frozenset[str]:
    """Surnames of every person author (first word for corporate bodies)."""
    return frozenset(s for a in record.authors if (s := name_surname(a.name, a.kind)))


def identifier_keys(record: Record) -> list[str]:
    """Exact standard-number keys (already normalized by the harvester)."""
    keys = [f"isbn:{v}" for v in record.isbns]
    keys += [f"issn:{v}" for v in record.issns]
    keys += [f"oclc:{v}" for v in record.oclc_numbers]
    keys += [f"lccn:{v}" for v in record.lccns]
    for other in record.other_ids:
        scheme, sep, value = other.partition(":")
        if sep and value:
            keys.append(f"{scheme.lower()}:{value.strip().lower()}")
    return keys


def volume_numbers(record: Record) -> frozenset[str]:
    """Numbers (arabic, or roman converted) in the volume/part designations: {"2"} for "v. 2", "Part II"."""
    found: set[str] = set()
    for text in (*record.volumes, record.part):
        found.update(numbers_in(text))
    return frozenset(found)


_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}
_ROMAN_WORD = re.compile(r"\b[ivxlc]{1,7}\b")
_DIGITS = re.compile(r"\d+")
_NOT_ROMAN = frozenset({"v", "c", "l", "d", "m", "cd", "dc", "mi", "di", "li"})
"""Single letters that are abbreviations ("v." volume, "c." copy, "l." leaves), not numerals."""


def roman_to_int(text: str) -> int | None:
    """Roman numeral → int ("xiv" → 14); None when it is not a well-formed small numeral."""
    total, prev = 0, 0
    for ch in reversed(text):
        value = _ROMAN.get(ch)
        if value is None:
            return None
        total = total - value if value < prev else total + value
        prev = max(prev, value)
    return total if 0 < total < 200 else None


def numbers_in(text: str) -> list[str]:
    """Arabic and roman numbers in `text`, as decimal strings ("v. III, pt. 2" → ["3", "2"])."""
    folded = fold(text)
    found = [str(int(d)) for d in _DIGITS.findall(folded)]
    for word in _ROMAN_WORD.findall(folded):
        if word in _NOT_ROMAN:
            continue
        value = roman_to_int(word)
        if value is not None:
            found.append(str(value))
    return found


def composite_keys(record: Record) -> list[str]:
    """ISBN + year + format + volume: an ISBN key that still tells the volumes of a set apart."""
    year = record.year if record.year is not None else "?"
    volume = ",".join(sorted(volume_numbers(record))) or "-"
    return [f"isbnyf:{isbn}|{year}|{record.format}|{volume}" for isbn in record.isbns]


def fuzzy_keys(record: Record) -> list[str]:
    """Title/author keys for records without shared identifiers.

    Several overlapping keys because catalogers disagree in different places: one record carries the
    subtitle in 245 $a, another names a different first author, a third has a reprint year.
    """
    keys: list[str] = []
    title_words = words(title_text(record))
    if not title_words:
        return keys
    full_words = words(full_title_text(record))
    surnames = [s for a in record.authors[:3] if (s := name_surname(a.name, a.kind))]
    surname = author_surname(record)
    head = "".join(title_words[:2])
    for name in dict.fromkeys(surnames):
        keys.append(f"tb:{head}|{name}")
    if record.year is not None:
        keys.append(f"ty:{''.join(title_words[:3])}|{record.year}")
        keys.append(f"tf:{''.join(full_words[:5])}|{record.year}")
        if surname and record.authors[0].kind == "person":
            keys.append(f"ay:{surname}|{record.year}")
            if publisher := publisher_word(record):
                keys.append(f"ap:{surname}|{record.year}|{publisher}")
    if len(full_words) >= 5:
        keys.append(f"tl:{''.join(full_words[:6])}")
    if len(title_words) >= 2:
        keys.append(f"tt:{''.join(title_words)}")  # the whole title: records with no author or year
    initials = "".join(w[0] for w in full_words[:6])
    if len(full_words) >= 4 and record.year is not None:
        keys.append(f"ti:{initials}|{record.year}")  # survives a typo inside a word
    if len(full_words) >= 3 and surname:
        keys.append(f"tj:{initials}|{surname}")
    keys.extend(word_keys(title_words, full_words))
    keys.extend(short_keys(record, title_words))
    if record.format in PART_FORMATS:
        keys.extend(part_author_keys(surnames, title_words, record.year))
    return keys


def part_author_keys(surnames: list[str], title_words: list[str], year: int | None) -> list[str]:
    """Capped author keys of a component part, for the citation whose title a typo, a dropped word
    or a cut subtitle changed and whose author list is reordered or cut with "et al.": for each of
    its first three authors ``pa:`` surname + first letter of the title, and ``py:`` surname + year
    (author and year: how a bibliography is sorted). Parts only: an author's books of one year are
    too many, a paper's co-authors rarely all move."""
    keys = [f"pa:{name}|{title_words[0][0]}" for name in dict.fromkeys(surnames)]
    if year is not None:
        keys += [f"py:{name}|{year}" for name in dict.fromkeys(surnames)]
    return keys


def short_keys(record: Record, title_words: list[str]) -> list[str]:
    """Capped keys for what the others cannot survive (`WORD_KEYS` caps their blocks):

    - ``t2:`` the first two title words + year, the year read from the title when the record has
      none (a citation-style part record pastes authors, venue and year into its title: "spatial
      operators eliseo clementini … 2000" against "spatial operators", 2000 — every longer title key
      and ``tw:`` then differ, and two-word titles have no ``tz:``);
    - ``tp:`` page count + year + first letter of the title: a one-word title ("Proceedings") against
      the same book with its subtitle in 245 $a, or a typo in the first word ("Pecrone"), still
      meet (pamphlets under 10 pages are too alike to say anything).
    """
    year = record.year
    if year is None and record.format in PART_FORMATS:
        year = year_in_text(record.title)
    if year is None:
        return []
    keys = [f"t2:{''.join(title_words[:2])}|{year}"]
    if record.page_count and record.page_count >= 10:
        keys.append(f"tp:{record.page_count}|{year}|{title_words[0][0]}")
    return keys


PART_FORMATS = frozenset({"article", "chapter"})
"""Formats of component parts (`indexer.dedup.profiles.COMPONENT_FORMATS` is this set)."""

_YEAR_WORD = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")


def year_in_text(text: str) -> int | None:
    """The last year-like number of a title, for a part record that gives no date of its own (a
    citation pasted into the title: "… sigmod conference 1995")."""
    found = _YEAR_WORD.findall(text)
    return int(found[-1]) if found else None


WORD_KEYS = ("tw:", "tz:", "tq:", "t2:", "tp:", "pa:", "py:")
"""The key kinds one added or removed word cannot defeat (a common word pair says nothing)."""

CAPPED_KEYS = WORD_KEYS
"""The key kinds whose blocks `indexer.dedup.clustering` drops above `WORD_KEY_CAP` members."""

WINDOWED_KEYS = ("ay:",)
"""The key kinds whose blocks above `WORD_KEY_CAP` members are compared only `NARROW_WINDOW` places
apart in title order (`indexer.dedup.clustering`): ``ay:`` author + year, whose blocks grow with the
catalogue. With 5,000 surnames over 176 years, a 10M-record store had ``ay:`` blocks of 11-30 records
by the hundred thousand: 66M of its 175M candidate pairs, nearly all two different books of one
author's year, where a 1M store had blocks of one or two. What such a block finds that no other key
does is a copy whose title lost a letter (title order keeps it next to its twin) or a title in
another language (``ap:``, author + year + publisher, keeps those: on the Goldfinch tuning half 8 of
the 10 duplicates only ``ay:`` reached share a publisher word)."""

PUBLISHING_WORDS = frozenset(
    """printed published publisher publishers publishing sold verlag editions editorial editora
    imprimerie impr librairie libreria typis apud chez""".split()
)
"""Words of a 260/264 $b that say "a publisher" rather than which ("Printed for W. Miller")."""


def publisher_word(record: Record) -> str:
    """The first telling word of the publisher ("Macmillan and co." and "Macmillan" → "macmillan",
    "D.C. Heath" → "heath"), or "" (no publisher, or "s.n."): words of two letters or fewer, stopwords
    and `PUBLISHING_WORDS` are passed over."""
    return next((w for w in words(record.publisher) if len(w) > 2 and w not in PUBLISHING_WORDS), "")


def word_keys(title_words: list[str], full_words: list[str]) -> list[str]:
    """Keys without year or author, so that a missing date, a missing or pasted-in author list, or
    one word added at either end still leaves one in common:

    - ``tw:`` the first three words of title and subtitle (survives anything appended);
    - ``tz:`` the last three words of the title proper (survives a prefix: "Smith: …", "[Demo] …");
    - ``tq:`` the two longest distinct words of title and subtitle (length stands in for rarity;
      survives a changed subtitle or a short word either side).
    """
    keys = []
    if len(full_words) >= 3:
        keys.append(f"tw:{''.join(full_words[:3])}")
    if len(title_words) >= 3:
        keys.append(f"tz:{''.join(title_words[-3:])}")
    # longest first, ties in alphabetical order (two C-level sorts: the stable one keeps the ties' order)
    longest = sorted(sorted({w for w in full_words if len(w) > 2 and not w.isdigit()}), key=len, reverse=True)[:2]
    if len(longest) == 2:
        keys.append(f"tq:{'|'.join(sorted(longest))}")
    return keys


def blocking_keys(record: Record, blocked: frozenset[str] = frozenset()) -> list[str]:
    """Every key of `record` except the identifiers staff marked as not unique (`blocked`)."""
    keys = identifier_keys(record) + fuzzy_keys(record)
    if blocked:
        keys = [k for k in keys if k not in blocked]
    return list(dict.fromkeys(keys))


_ORDINALS = {
    "first": "1", "second": "2", "third": "3", "fourth": "4", "fifth": "5", "sixth": "6",
    "seventh": "7", "eighth": "8", "ninth": "9", "tenth": "10", "eleventh": "11", "twelfth": "12",
    "premiere": "1", "deuxieme": "2", "troisieme": "3", "erste": "1", "zweite": "2", "dritte": "3",
    "segunda": "2", "tercera": "3", "seconda": "2", "terza": "3",
}  # fmt: skip
_REPRINT_WORDS = re.compile(r"\b(impression|printing|thousand|tirage|druck|reprint|issue)\b")
_ORDINAL_DIGITS = re.compile(r"(\d+)(?:st|nd|rd|th|d|e|er|re|eme|a|o)?")


def edition_number(text: str) -> str:
    """The edition's number ("2nd ed." / "Second edition" / "3. Aufl." → "2"/"2"/"3"), "" when none.

    "1st ed." counts as no number: most first editions do not say so, so "1" and "" must not differ.
    """
    folded = fold(text)
    if _REPRINT_WORDS.search(folded):
        return ""
    for word in folded.split():  # the first number wins: "2d English ed. from the third German ed."
        number = _ORDINALS.get(word)
        if number is None:
            match = _ORDINAL_DIGITS.fullmatch(word)
            if not match or len(match.group(1)) > 3:
                continue
            number = str(int(match.group(1)))
        return "" if number in ("0", "1") else number
    return ""
