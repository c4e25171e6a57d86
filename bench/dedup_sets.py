"""The labelled de-duplication sets as Records + labelled pairs (shared by dedup_eval and train_dedup).

- **Goldfinch** (HathiTrust monographs, MARC-in-JSON through the real harvester normalization, the
  answer-bearing ``CID`` field dropped first), split by `is_tuning` into a tuning and a held-out half;
- **DBLP-ACM** (Leipzig: two CSV tables and the perfect mapping; DBLP2.csv is latin-1);
- **dblp-acm-magellan** (the DeepMatcher/Magellan train/valid/test pairs, structured and dirty): the
  records of one split, each distinct (side, text) one Record, with its labelled pairs.

A benchmark row becomes an article Record: title, authors split on ",", the venue as the host item
(`Record.host_title`: it is the journal or proceedings the paper appeared in), year.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import zipfile
from collections.abc import Iterable
from pathlib import Path

from harvester.record import Author, Record

DATA = Path("/work/shared/data/dedup")
Pair = tuple[str, str, int]


def is_tuning(a: str, b: str) -> bool:
    """The deterministic split: first byte of sha1 of the sorted pair even → tuning half."""
    lo, hi = sorted((a, b))
    return hashlib.sha1(f"{lo}|{hi}".encode()).digest()[0] % 2 == 0


def goldfinch_raw(data: Path = DATA) -> Iterable[dict]:
    """Goldfinch records as MARC-in-JSON dicts with the answer-bearing CID field removed."""
    with zipfile.ZipFile(data / "goldfinch" / "val.json.zip") as archive:
        name = archive.namelist()[0]
        with archive.open(name) as handle:
            for line in io.TextIOWrapper(handle, encoding="utf-8"):
                if line.strip():
                    raw = json.loads(line)
                    raw["fields"] = [f for f in raw["fields"] if "CID" not in f]
                    yield raw


def goldfinch_records(data: Path = DATA, source_id: str = "goldfinch") -> list[Record]:
    """Every distinct Goldfinch record through the real harvester normalization."""
    from harvester.marc.files import parse_raw_record
    from harvester.marc.mapping import normalize_marc

    source = goldfinch_source(source_id)
    records: dict[str, Record] = {}
    for raw in goldfinch_raw(data):
        local_id = next(f["001"] for f in raw["fields"] if "001" in f)
        if local_id in records:
            continue
        marc = parse_raw_record(json.dumps(raw).encode("utf-8"), "marcjson")
        records[local_id] = normalize_marc(marc, source, local_id)
    return list(records.values())


def goldfinch_source(source_id: str = "goldfinch"):  # noqa: ANN201 - SourceConfig
    from harvester.marc.profiles import resolve_profile
    from harvester.settings import Library, SourceConfig

    return SourceConfig(
        id=source_id,
        name="HathiTrust Goldfinch",
        type="marc",
        library=Library(code=source_id, name="HathiTrust member library"),
        holdings=resolve_profile("auto") if _has_auto() else _first_profile(),
        format="marcjson",
        dedup_within_source=True,
    )


def _has_auto() -> bool:
    from harvester.marc.profiles import PROFILES

    return "auto" in PROFILES


def _first_profile():  # noqa: ANN202
    from harvester.marc.profiles import PROFILES

    return next(iter(PROFILES.values()))


def goldfinch_labels(data: Path = DATA, source_id: str = "goldfinch") -> list[Pair]:
    with open(data / "goldfinch" / "val_labels.csv", encoding="utf-8") as handle:
        return [
            (f"{source_id}:{r['id1']}", f"{source_id}:{r['id2']}", int(r["label"]))
            for r in csv.DictReader(handle)
        ]


def dblp_acm_records(data: Path = DATA) -> tuple[list[Record], set[tuple[str, str]]]:
    """Both DBLP-ACM tables as Records (sources dblp / acm) and the perfect mapping as id pairs."""
    records: list[Record] = []
    for name, source, encoding in (("DBLP2.csv", "dblp", "latin-1"), ("ACM.csv", "acm", "utf-8")):
        with open(data / "dblp-acm" / name, encoding=encoding, newline="") as handle:
            for row in csv.DictReader(handle):
                records.append(
                    article_record(source, row["id"], row["title"], row["authors"], row["venue"], row["year"])
                )
    with open(data / "dblp-acm" / "DBLP-ACM_perfectMapping.csv", encoding="utf-8", newline="") as handle:
        gold = {(f"dblp:{r['idDBLP']}", f"acm:{r['idACM']}") for r in csv.DictReader(handle)}
    return records, gold


def article_record(source: str, local_id: str, title: str, authors: str, venue: str, year: str) -> Record:
    """A CSV row of a bibliographic-article benchmark as a normalized Record (HTML entities decoded,
    as a harvester decodes them: ACM.csv writes "&#199;etintemel")."""
    title, authors, venue = html.unescape(title), html.unescape(authors), html.unescape(venue)
    names = [n.strip() for n in authors.split(",") if n.strip()]
    return Record(
        id=f"{source}:{local_id}",
        source_id=source,
        local_id=local_id,
        title=title.strip(),
        authors=tuple(Author(name=n, primary=(k == 0)) for k, n in enumerate(names)),
        host_title=venue.strip(),
        year=_year(year),
        format="article",
    )


def _year(text: str) -> int | None:
    """"1997", "1997.0" (the Magellan files write years as floats) → 1997; anything else → None."""
    head = text.strip().removesuffix(".0")
    return int(head) if head.isdigit() else None


def magellan_set(data: Path, split: str, flavour: str) -> tuple[list[Record], list[Pair]]:
    """One dblp-acm-magellan split: its distinct records (ids from a hash of the row text, left rows
    in source ``dblp``, right rows in ``acm``) and its labelled pairs."""
    records: dict[str, Record] = {}
    pairs: list[Pair] = []
    path = data / "dblp-acm-magellan" / flavour / f"{split}.txt"
    for row in path.read_text(encoding="utf-8").splitlines():
        left, right, label = row.split("\t")
        ids = []
        for side, text in (("dblp", left), ("acm", right)):
            local = hashlib.sha1(text.strip().encode()).hexdigest()[:12]
            record_id = f"{side}:{local}"
            if record_id not in records:
                values = magellan_values(text)
                records[record_id] = article_record(side, local, values.get("title", ""), values.get("authors", ""),
                                                    values.get("venue", ""), values.get("year", ""))  # fmt: skip
            ids.append(record_id)
        pairs.append((ids[0], ids[1], int(label)))
    return list(records.values()), pairs


def magellan_values(text: str) -> dict[str, str]:
    """"COL title VAL … COL year VAL 1997.0" → {"title": …, "year": "1997.0"}."""
    values = {}
    for part in text.split("COL ")[1:]:
        name, _, value = (part + " ").partition(" VAL ")
        values[name.strip()] = value.strip()
    return values


DEGRADATIONS = ("no year", "no venue", "venue initials", "author initials", "first author only",
                "truncated title", "authors in title")  # fmt: skip


def degraded_set(data: Path = DATA, split: str = "train", seed: int = 12) -> tuple[list[Record], list[Pair]]:
    """A robustness set of our own: the structured Magellan `split` with every ACM-side record degraded
    the ways other citation sets are (each of `DEGRADATIONS` drawn independently, fixed seed): year
    missing, venue missing or cut to initials, authors as initials ("j. smith" or "smith j.") or
    only the first,
    the title truncated to its first words, the author list pasted into the title. Only *train* and
    *valid* may be degraded for development; the labels are the split's own."""
    import random

    rng = random.Random(seed)
    records, pairs = magellan_set(data, split, "structured")
    out = [r if r.source_id == "dblp" else _degrade(r, rng) for r in records]
    return out, pairs


def _degrade(record: Record, rng) -> Record:  # noqa: ANN001 - random.Random
    from dataclasses import replace

    title, authors, host, year = record.title, list(record.authors), record.host_title, record.year
    if rng.random() < 0.3:
        year = None
    if rng.random() < 0.15:
        host = ""
    elif rng.random() < 0.3:
        host = "".join(w[0] for w in host.split() if w[:1].isalnum())
    if authors and rng.random() < 0.4:
        surname_first = rng.random() < 0.5
        authors = [replace(a, name=_initials(a.name, surname_first)) for a in authors]
    if len(authors) > 1 and rng.random() < 0.2:
        authors = authors[:1]
    words = title.split()
    if len(words) >= 6 and rng.random() < 0.2:
        title = " ".join(words[: max(3, int(len(words) * 0.6))])
    if authors and rng.random() < 0.15:
        title = f"{title} {' , '.join(a.name for a in authors)}"
        authors = []
    return replace(record, title=title, authors=tuple(authors), host_title=host, year=year)


def _initials(name: str, surname_first: bool = False) -> str:
    """"jennifer widom" → "j. widom" (or "widom j." as citation styles write it); one word stays."""
    parts = name.split()
    if len(parts) < 2:
        return name
    initials = [f"{p[0]}." for p in parts[:-1]]
    return " ".join(parts[-1:] + initials if surname_first else initials + parts[-1:])


NOISE = ("middle words dropped", "typos / OCR", "subtitle dropped or added", "all caps, no punctuation",
         "venue abbreviated or missing", "authors reordered or cut with et al", "initials without dots",
         "year off by one or missing")  # fmt: skip


def noisy_set(data: Path = DATA, split: str = "train", seed: int = 21) -> tuple[list[Record], list[Pair]]:
    """A second robustness set of our own, the kinds of damage `degraded_set` has not: the structured
    Magellan `split` with every ACM-side record noised the ways scraped citations are (each of `NOISE`
    drawn independently, fixed seed): one or two words dropped from the middle of the title, character
    typos and OCR confusions ("rn"/"m", "l"/"1"), the subtitle dropped or a generic one added, the
    title in capitals without punctuation, the venue as a citation abbreviation ("Proc. Int. Conf.
    Manag. Data") or missing, the authors reordered or cut to the first ones + "et al.", initials
    without dots ("JF Naughton"), the year one off or missing. Only *train* and *valid* may be
    noised for development; the labels are the split's own."""
    import random

    rng = random.Random(seed)
    records, pairs = magellan_set(data, split, "structured")
    return [r if r.source_id == "dblp" else _noise(r, rng) for r in records], pairs


def _noise(record: Record, rng) -> Record:  # noqa: ANN001 - random.Random
    from dataclasses import replace

    year = record.year
    if year is not None and rng.random() < 0.25:
        year = None if rng.random() < 0.6 else year + rng.choice((-1, 1))
    host = record.host_title
    if rng.random() < 0.4:
        host = "" if rng.random() < 0.4 else _abbreviated_venue(host)
    return replace(record, title=_noisy_title(record.title, rng), authors=_noisy_authors(record.authors, rng),
                   host_title=host, year=year)  # fmt: skip


_SUBTITLES = ("an overview", "extended abstract", "a case study", "preliminary report", "demo",
              "position paper", "invited talk", "experiences and lessons")  # fmt: skip


def _noisy_title(title: str, rng) -> str:  # noqa: ANN001 - random.Random
    words = title.split()
    if len(words) >= 5 and rng.random() < 0.2:
        for _ in range(rng.choice((1, 1, 2))):
            del words[rng.randrange(1, len(words) - 1)]
    if rng.random() < 0.25:
        for _ in range(rng.choice((1, 1, 2))):
            k = rng.randrange(len(words))
            words[k] = _typo(words[k], rng)
    title = " ".join(words)
    if ":" in title and rng.random() < 0.4:
        title = title.split(":", 1)[0].strip()
    elif rng.random() < 0.1:
        title = f"{title}: {rng.choice(_SUBTITLES)}"
    if rng.random() < 0.15:
        title = "".join(c if c.isalnum() or c.isspace() else " " for c in title.upper())
        title = " ".join(title.split())
    return title


_OCR = (("rn", "m"), ("m", "rn"), ("l", "1"), ("i", "l"), ("o", "0"), ("e", "c"), ("c", "e"),
        ("u", "v"), ("h", "b"), ("n", "u"), ("cl", "d"), ("f", "t"))  # fmt: skip


def _typo(word: str, rng) -> str:  # noqa: ANN001 - random.Random
    """One OCR confusion where the word has its letters, else a keyboard slip: two letters swapped,
    one dropped or doubled."""
    confusions = [(a, b) for a, b in _OCR if a in word]
    if confusions and rng.random() < 0.5:
        a, b = rng.choice(confusions)
        return word.replace(a, b, 1)
    if len(word) < 3:
        return word
    k = rng.randrange(len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return word[:k] + word[k + 1] + word[k] + word[k + 2 :]
    if kind == 1:
        return word[:k] + word[k + 1 :]
    return word[:k] + word[k] + word[k:]


def _noisy_authors(authors: tuple, rng):  # noqa: ANN001, ANN202 - Authors
    from dataclasses import replace

    names = [a.name for a in authors]
    if len(names) > 1 and rng.random() < 0.2:
        rng.shuffle(names)
    if len(names) > 2 and rng.random() < 0.2:
        names = names[: rng.choice((1, 2))] + ["et al."]
    if rng.random() < 0.3:
        names = [_dotless_initials(n) for n in names]
    out = [replace(authors[0], name=n, primary=(k == 0)) for k, n in enumerate(names)] if authors else []
    return tuple(out)


def _dotless_initials(name: str) -> str:
    """"jeffrey f. naughton" → "jf naughton" (as Google Scholar writes names); one word stays."""
    parts = name.split()
    if len(parts) < 2 or name == "et al.":
        return name
    return "".join(p[0] for p in parts[:-1]) + " " + parts[-1]


_VENUE_WORDS = {"proceedings": "proc.", "international": "int.", "conference": "conf.", "transactions": "trans.",
                "journal": "j.", "management": "manag.", "systems": "syst.", "record": "rec."}  # fmt: skip
"""ISO 4 abbreviations of the words of the development venues; other words over six letters are cut
to five + "." the way a citation style does."""


def _abbreviated_venue(venue: str) -> str:
    """A citation's abbreviation of a venue: "international conference on management of data" →
    "proc. int. conf. manag. data", "very large data bases" → "proc. vldb"; stopwords, dashes and
    parenthesised acronyms dropped."""
    words = venue.replace("(", " ( ").replace(")", " ) ").split()
    out, inside = [], False
    for w in words:
        if w in "()":
            inside = w == "("
            continue
        if inside or w in ("on", "of", "the", "and", "in", "--"):
            continue
        out.append(_VENUE_WORDS.get(w, w[:5] + "." if len(w) > 6 else w))
    text = " ".join(out).replace("very large data bases", "vldb")
    return f"proc. {text}" if "conf" in text or text == "vldb" else text
