"""A multi-library MARC corpus for the scale benchmark (`bench/scale.py`): ten member libraries with the
overlap real consortia have, written as ISO 2709 files on disk.

Items (a "work" in one edition) are drawn first, then handed to libraries:

- **how many libraries hold an item** follows a long tail: ~0.3% of items are held by all ten (the
  bestsellers and classics every member buys), ~4% by 4-9, ~25% by 2-3, the rest by one library only;
- **which libraries**: members have Zipf-like sizes (lib00 is the largest, lib09 the smallest), so a
  rarely held item is most often in a large library;
- **duplicates vary the way real copy cataloguing does** (`bench/dedup_data.py` has the same kinds):
  case and punctuation of the title, a dropped letter, the subtitle dropped, the forename reduced to
  initials, the page count, publisher or ISBN missing, an OCLC number only in some copies, 260 instead
  of 264;
- **hard negatives** stay apart: multi-volume sets whose volumes share title and ISBN ("v. 1", "v. 2"),
  and second/third editions of one work.

Titles are 2-8 pseudo-words with a Zipf-like skew, so common words make big blocks as in real
catalogs. Records are ~800 bytes with an 852 holding each. The bytes are assembled here (leader,
directory, fields) rather than through pymarc objects: at ten million records building pymarc objects
would take longer than the harvest it feeds; the harvest reads them back with pymarc.

Deterministic: part `k` of `parts` uses seed `seed + k`, and each part writes its own file per library
(`lib03/part1.mrc`), so generation runs on every core and the same arguments give the same bytes.
"""

from __future__ import annotations

import random
from itertools import accumulate
from pathlib import Path

from dedup_data import _isbn13, _words  # bench/dedup_data.py: the same syllable words and ISBNs

LIBRARIES = tuple(f"lib{n:02d}" for n in range(10))
LIBRARY_WEIGHTS = tuple(1.0 / (rank + 1) ** 0.7 for rank in range(len(LIBRARIES)))
SUBJECTS = ("History", "Poetry", "Economics", "Music", "Law", "Medicine", "Education", "Philosophy",
            "Religion", "Women", "Children", "Politics", "Science", "Art", "Water", "Energy")
FT = b"\x1e"
RT = b"\x1d"
SF = "\x1f"


def iso2709(control: list[tuple[str, str]], data: list[tuple[str, str, str]]) -> bytes:
    """One UTF-8 ISO 2709 record from (tag, value) control fields and (tag, indicators, subfields)
    data fields, subfields as "\\x1fa…\\x1fb…"."""
    bodies = [(tag, value.encode("utf-8") + FT) for tag, value in control]
    bodies += [(tag, (ind + body).encode("utf-8") + FT) for tag, ind, body in data]
    directory = bytearray()
    offset = 0
    for tag, body in bodies:
        directory += f"{tag}{len(body):04d}{offset:05d}".encode("ascii")
        offset += len(body)
    base = 24 + len(directory) + 1
    length = base + offset + 1
    leader = f"{length:05d}cam a22{base:05d} i 4500".encode("ascii")
    return leader + bytes(directory) + FT + b"".join(body for _, body in bodies) + RT


class _Vocabulary:
    def __init__(self, rng: random.Random) -> None:
        self.words = _words(rng, 20000)
        self.weights = list(accumulate(1.0 / (rank + 1) ** 0.9 for rank in range(len(self.words))))
        self.surnames = [w.capitalize() for w in _words(rng, 5000)]
        self.forenames = [w.capitalize() for w in _words(rng, 400)]
        self.publishers = [f"{w.capitalize()} Press" for w in _words(rng, 800)]
        self.places = [w.capitalize() for w in _words(rng, 200)]
        self.series = [" ".join(_words(rng, 2)).title() + " series" for _ in range(300)]
        self.library_cum = list(accumulate(LIBRARY_WEIGHTS))

    def phrase(self, rng: random.Random, low: int, high: int) -> str:
        return " ".join(rng.choices(self.words, cum_weights=self.weights, k=rng.randint(low, high)))


def _holders(rng: random.Random, vocab: _Vocabulary) -> list[int]:
    """Which libraries hold an item: a few held by all, a long tail held by one."""
    roll = rng.random()
    count = 10 if roll < 0.003 else rng.randint(4, 9) if roll < 0.043 else rng.randint(2, 3) if roll < 0.293 else 1
    chosen: set[int] = set()
    while len(chosen) < count:
        chosen.add(rng.choices(range(len(LIBRARIES)), cum_weights=vocab.library_cum)[0])
    return sorted(chosen)


def _item(rng: random.Random, vocab: _Vocabulary) -> dict[str, object]:
    year = rng.randint(1850, 2025)
    return {
        "title": vocab.phrase(rng, 2, 8).capitalize(),
        "subtitle": vocab.phrase(rng, 0, 4),
        "surname": rng.choice(vocab.surnames), "forename": rng.choice(vocab.forenames),
        "year": year, "pages": rng.randint(40, 900), "publisher": rng.choice(vocab.publishers),
        "place": rng.choice(vocab.places),
        "isbn": _isbn13(rng) if year > 1970 and rng.random() < 0.7 else "",
        "oclc": str(rng.randint(10**7, 10**9)) if rng.random() < 0.6 else "",
        "series": rng.choice(vocab.series) if rng.random() < 0.15 else "",
        "subjects": rng.sample(SUBJECTS, 2),
        "edition": 0,
    }


def _variant_title(rng: random.Random, title: str) -> str:
    roll = rng.random()
    if roll < 0.15:
        return title.upper()
    if roll < 0.27 and len(title) > 6:
        k = rng.randrange(1, len(title) - 1)
        return title[:k] + title[k + 1 :]
    if roll < 0.4:
        return title + "."
    return title


def _record(rng: random.Random, item: dict[str, object], library: str, local: str, copy: int,
            volume: str) -> bytes:
    """One library's record of an item; copies after the first carry cataloguing variation."""
    noisy = copy > 0
    title = _variant_title(rng, str(item["title"])) if noisy else str(item["title"])
    subtitle = "" if noisy and rng.random() < 0.3 else str(item["subtitle"])
    surname, forename = str(item["surname"]), str(item["forename"])
    name = f"{surname}, {forename[0]}." if noisy and rng.random() < 0.3 else f"{surname}, {forename}"
    year = int(item["year"])  # type: ignore[call-overload]
    edition = int(item["edition"])  # type: ignore[call-overload]
    control = [("001", local), ("005", "20240101120000.0"), ("008", f"240101s{year}    xxu           000 0 eng d")]
    data: list[tuple[str, str, str]] = []
    if item["isbn"] and not (noisy and rng.random() < 0.25):
        data.append(("020", "  ", f"{SF}a{item['isbn']}"))
    if item["oclc"] and rng.random() < 0.5:
        data.append(("035", "  ", f"{SF}a(OCoLC){item['oclc']}"))
    data.append(("100", "1 ", f"{SF}a{name},{SF}eauthor."))
    t245 = f"{SF}a{title}" + (f" :{SF}b{subtitle}" if subtitle else "")
    if volume:
        t245 += f".{SF}n{volume}"
    data.append(("245", "10", t245 + f" /{SF}c{forename} {surname}."))
    if edition:
        data.append(("250", "  ", f"{SF}a{edition}{'nd' if edition == 2 else 'rd'} ed."))
    publisher = "" if noisy and rng.random() < 0.2 else str(item["publisher"])
    imprint = f"{SF}a{item['place']} :" + (f"{SF}b{publisher}," if publisher else "") + f"{SF}c{year}."
    data.append(("260" if noisy and rng.random() < 0.3 else "264", " 1", imprint))
    if not (noisy and rng.random() < 0.2):
        data.append(("300", "  ", f"{SF}a{item['pages']} pages ;{SF}c24 cm"))
    if item["series"]:
        data.append(("490", "0 ", f"{SF}a{item['series']}"))
    for subject in item["subjects"]:  # type: ignore[attr-defined]
        data.append(("650", " 0", f"{SF}a{subject}."))
    data.append(("852", "  ", f"{SF}a{library.upper()}{SF}bMAIN{SF}hQA{rng.randint(1, 999)}{SF}p39{local}"))
    return iso2709(control, data)


def write_part(folder: Path, target: int, part: int, parts: int, seed: int = 7) -> int:
    """Write part ``part`` of ``parts`` of a corpus of about ``target`` records; returns records written."""
    rng = random.Random(seed + part)
    vocab = _Vocabulary(random.Random(seed))  # the same vocabulary in every part
    handles = {}
    for library in LIBRARIES:
        (folder / library).mkdir(parents=True, exist_ok=True)
        handles[library] = (folder / library / f"part{part}.mrc").open("wb")
    written, counter, share = 0, 0, target // parts + (1 if part < target % parts else 0)
    try:
        while written < share:
            counter += 1
            item = _item(rng, vocab)
            roll = rng.random()
            volumes = [f"v. {v}" for v in range(1, rng.randint(2, 4) + 1)] if roll < 0.02 else [""]
            editions = [0, 2, 3][: rng.randint(2, 3)] if 0.02 <= roll < 0.04 else [0]
            for volume in volumes:
                for edition in editions:
                    version = dict(item, edition=edition)
                    if edition:
                        version["isbn"] = _isbn13(rng) if item["isbn"] else ""
                        version["year"] = int(item["year"]) + edition  # type: ignore[call-overload]
                    for copy, holder in enumerate(_holders(rng, vocab)):
                        library = LIBRARIES[holder]
                        local = f"p{part}i{counter}v{volume[3:] or 0}e{edition}"
                        handles[library].write(_record(rng, version, library, local, copy, volume))
                        written += 1
    finally:
        for handle in handles.values():
            handle.close()
    return written
