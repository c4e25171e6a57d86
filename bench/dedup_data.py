"""Synthetic catalog records with injected duplicates, for timing the deduplicator at scale.

    .venv/bin/python bench/dedup_eval.py --synthetic 1000000     # clusters them and prints the time

Deterministic (seeded). Items get titles of 2-8 pseudo-words drawn with a Zipf-like skew (so common
words such as "report" or "history" make big blocks, as in real catalogs), an author from a few
thousand surnames, a year, a page count, a publisher and, for a third of them, a valid ISBN. About 25%
of items are then copied into 1-3 other sources with cataloging noise: case and punctuation changes,
the subtitle dropped or moved into the title, a typo, the forename reduced to initials, page count or
publisher missing. Some items are multi-volume sets sharing one ISBN, with "v. N" parts. The truth is
returned as the list of injected duplicate pairs.
"""

from __future__ import annotations

import random
from itertools import accumulate

from harvester.record import Author, Record

SYLLABLES = "ka lo mi ne ru sa te vi po da fe gu hi jo ku la ma no pe qu ri so tu va we xi yo za".split()
SOURCES = tuple(f"lib{n:02d}" for n in range(10))


def _isbn13(rng: random.Random) -> str:
    body = "978" + "".join(str(rng.randrange(10)) for _ in range(9))
    total = sum(int(d) * (1 if k % 2 == 0 else 3) for k, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _words(rng: random.Random, count: int) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            out.append(word)
    return out


def _noisy_title(rng: random.Random, title: str) -> str:
    roll = rng.random()
    if roll < 0.2:
        return title.upper()
    if roll < 0.35 and len(title) > 6:
        k = rng.randrange(1, len(title) - 1)
        return title[:k] + title[k + 1 :]  # a dropped letter
    if roll < 0.5:
        return title + "."
    return title


def synthetic_records(n: int, seed: int = 42) -> tuple[list[Record], list[tuple[str, str]]]:
    """About `n` records (items plus their injected duplicates) and the true duplicate pairs."""
    rng = random.Random(seed)
    vocabulary = _words(rng, 20000)
    weights = list(accumulate(1.0 / (rank + 1) ** 0.9 for rank in range(len(vocabulary))))
    surnames = [w.capitalize() for w in _words(rng, 5000)]
    forenames = [w.capitalize() for w in _words(rng, 400)]
    publishers = [f"{w.capitalize()} Press" for w in _words(rng, 800)]
    records: list[Record] = []
    truth: list[tuple[str, str]] = []
    counter = 0
    while len(records) < n:
        counter += 1
        title_words = rng.choices(vocabulary, cum_weights=weights, k=rng.randint(2, 8))
        title = " ".join(title_words).capitalize()
        subtitle = " ".join(rng.choices(vocabulary, cum_weights=weights, k=rng.randint(0, 4)))
        surname, forename = rng.choice(surnames), rng.choice(forenames)
        year = rng.randint(1800, 2024)
        pages = rng.randint(40, 900)
        publisher = rng.choice(publishers)
        isbn = _isbn13(rng) if year > 1970 and rng.random() < 0.6 else ""
        volumes = rng.randint(2, 4) if rng.random() < 0.02 else 0
        for volume in range(volumes or 1):
            base_source = rng.randrange(len(SOURCES))
            copies = 1 + (rng.choices((1, 2, 3), (6, 3, 1))[0] if rng.random() < 0.25 else 0)
            ids: list[str] = []
            for copy in range(copies):
                source = SOURCES[(base_source + copy) % len(SOURCES)]
                local = f"{counter}-{volume}-{copy}"
                noisy = copy > 0
                name = (
                    f"{surname}, {forename[0]}." if noisy and rng.random() < 0.3 else f"{surname}, {forename}"
                )
                records.append(
                    Record(
                        id=f"{source}:{local}",
                        source_id=source,
                        local_id=local,
                        title=_noisy_title(rng, title) if noisy else title,
                        subtitle="" if noisy and rng.random() < 0.3 else subtitle,
                        part=f"v. {volume + 1}" if volumes else "",
                        volumes=(f"v. {volume + 1}",) if volumes else (),
                        authors=(Author(name=name, primary=True),),
                        year=year,
                        format="book",
                        page_count=None if noisy and rng.random() < 0.2 else pages,
                        publisher="" if noisy and rng.random() < 0.2 else publisher,
                        isbns=(isbn,) if isbn and not (noisy and rng.random() < 0.3) else (),
                        languages=("eng",),
                    )
                )
                ids.append(f"{source}:{local}")
            truth.extend((ids[0], other) for other in ids[1:])
    return records, truth
