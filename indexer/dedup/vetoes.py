"""Vetoes: hard evidence that two records are different items, however alike their titles are.

One veto keeps a pair apart, in clustering and in `unioncat explain`. Every veto is a rule a cataloger
would state: a book is not a sound recording; the 2nd edition is not the 3rd; volume 2 is not volume 3;
"MC77-I-22A" and "MC77-I-22B" in one series are two reports; a 3-volume set is not one of its volumes;
two articles two or more years apart are different items, and so are a conference paper and its
journal version a year later (*related versions* — one work, see `indexer.dedup.works` — but separate
items, so that each keeps its own holdings); a year one off between two citations of the same host
is left to the score, since citations often give the preprint's or a late volume's year.
"""

from __future__ import annotations

from rapidfuzz import fuzz

from indexer.dedup.matching import Reason
from indexer.dedup.parts import (
    host_kind,
    host_similarity,
    is_recurring_title,
    place_agreement,
    title_cores,
    title_year,
)
from indexer.dedup.profiles import COMPONENT_FORMATS, Profile

FORMAT_FAMILIES = {
    "book": "text", "e-book": "text", "microform": "text", "thesis": "text",
    "serial": "serial", "e-journal": "serial",
    "audio": "audio", "music-recording": "music", "score": "score", "map": "map", "video": "video",
    "image": "image", "manuscript": "manuscript", "archive": "archive", "computer-file": "computer",
    "dataset": "computer", "kit": "kit", "object": "object", "article": "part", "chapter": "part",
    "mixed": "mixed",
}  # fmt: skip
"""Formats in one family may be the same item in another carrier (print / e-book / microfilm of one
edition); formats in different families never are."""

PART_CORE_MIN = 50
"""Part (article/chapter) title cores less similar than this (rapidfuzz token-set ratio, names, host
words and years of both records set aside: `indexer.dedup.parts.title_cores`) are different papers."""

YEAR_VETO = 30
"""Years further apart than this veto a match; closer gaps only lower the score (a reprint of one
edition, or a record giving the original date where another gives the printing, is the same item)."""


def vetoes(a: Profile, b: Profile) -> list[Reason]:
    """Hard evidence that two records are different items."""
    found: list[Reason] = []
    if not formats_compatible(a.format, b.format):
        found.append(Reason("format-veto", f"formats differ: {a.format} vs {b.format}", -10.0, True))
    if a.edition and b.edition and a.edition != b.edition:
        found.append(Reason("edition-veto", f"edition {a.edition} vs edition {b.edition}", -10.0, True))
    if a.part_numbers and b.part_numbers and not a.part_numbers & b.part_numbers:
        found.append(Reason("volume-veto", f"volume/part {_nums(a.part_numbers)} vs {_nums(b.part_numbers)}",
                            -10.0, True))  # fmt: skip
    elif _series_numbers_differ(a, b):
        numbers = f"{_nums(a.series_numbers)} vs {_nums(b.series_numbers)}"
        found.append(Reason("volume-veto", f"numbers {numbers} in one series ({a.series})", -10.0, True))
    elif _series_marks_differ(a, b):
        marks = f"{_nums(a.series_marks)} vs {_nums(b.series_marks)}"
        found.append(Reason("volume-veto", f"series numbers {marks} in one series ({a.series})", -10.0, True))
    if a.title_parts and b.title_parts and not a.title_parts & b.title_parts:
        numbers = f"{_nums(a.title_parts)} vs {_nums(b.title_parts)}"
        found.append(Reason("volume-veto", f"the titles name different parts ({numbers})", -10.0, True))
    if a.issns and b.issns and not (a.issns & b.issns):
        found.append(
            Reason(
                "issn-veto",
                f"ISSNs differ: {', '.join(sorted(a.issns))} vs {', '.join(sorted(b.issns))}",
                -10.0,
                True,
            )
        )
    if _disagree_everywhere(a, b):
        found.append(Reason("imprint-veto", "authors, publishers and page counts all differ", -10.0, True))
    parts = a.format in COMPONENT_FORMATS and b.format in COMPONENT_FORMATS
    if parts and _part_years_differ(a, b):
        found.append(Reason("year-veto", f"parts from different years ({a.year} / {b.year})", -10.0, True))
    elif _exact_year(a.year) and _exact_year(b.year) and abs(a.year - b.year) > YEAR_VETO:  # type: ignore[operator]
        found.append(
            Reason("year-veto", f"years {a.year} and {b.year} more than {YEAR_VETO} apart", -10.0, True)
        )
    if parts and a.host and b.host and host_similarity(a.host, b.host) < 80:
        if place_agreement(a.host_place, b.host_place) is False:
            found.append(Reason("host-veto", f"different hosts and places ({a.host}, {a.host_place} / "
                                f"{b.host}, {b.host_place})", -10.0, True))  # fmt: skip
    if parts and _recurring_unplaced(a, b):
        detail = "recurring column titles (Editorial, Keynote address …), other or no signers, no place or id"
        found.append(Reason("column-veto", detail, -10.0, True))
    if parts and _part_titles_differ(a, b):
        found.append(Reason("title-veto", "the titles have little in common (names, host and year set aside)",
                            -10.0, True))  # fmt: skip
    found.extend(_set_and_volume(a, b))
    return found


def _part_years_differ(a: Profile, b: Profile) -> bool:
    """A part is printed once, so two years apart or more are two items (recurring columns differ
    only by issue and year); a year read from a title that the other title carries too belongs to the
    title. One year apart is a citation's usual slip (the preprint's year, a volume dated a year late)
    and left to the score (`year_off`), unless one host is a journal and the other a conference: a
    journal version of a conference paper a year later is a related version, not the same item."""
    if not (a.year and b.year) or a.year == b.year or title_year(a, b) or title_year(b, a):
        return False
    if abs(a.year - b.year) > 1:
        return True
    return {host_kind(a.host), host_kind(b.host)} == {"journal", "conference"}


def _part_titles_differ(a: Profile, b: Profile) -> bool:
    core_a, core_b = title_cores(a, b)
    if not core_a or not core_b:
        return False
    return fuzz.token_set_ratio(" ".join(core_a), " ".join(core_b)) < PART_CORE_MIN


def _recurring_unplaced(a: Profile, b: Profile) -> bool:
    """Two parts whose titles are both recurring column titles ("Editorial", "Keynote address") are
    kept apart unless something names the issue — the same volume/issue/pages in the host, or a DOI
    or handle in common — or at least the same people sign both: two guest editorials by different
    editors, or two keynotes by different speakers, in one host and year are two items. A column
    belongs to its host: the same editor's editorials in two journals are two items whoever signs."""
    core_a, core_b = title_cores(a, b)
    if not (is_recurring_title(core_a) and is_recurring_title(core_b)):
        return False
    if place_agreement(a.host_place, b.host_place) or a.other_ids & b.other_ids:
        return False
    return _other_journal(a, b) or not _same_signers(a, b)


def _other_journal(a: Profile, b: Profile) -> bool:
    """Two hosts that are not one: a journal and a conference, or two journals of other names
    (conference names are left out: one meeting goes by its acronym and by its full name)."""
    if not (a.host and b.host) or host_similarity(a.host, b.host) >= 80:
        return False
    kinds = {host_kind(a.host), host_kind(b.host)}
    return kinds in ({"journal"}, {"journal", "conference"})


def _same_signers(a: Profile, b: Profile) -> bool:
    """An author in common, or (a citation with its author list pasted into the title) the one
    record's surnames among the other's title words."""
    if a.surnames and b.surnames:
        return bool(a.surnames & b.surnames or fuzzy_common(a.surnames, b.surnames))
    named, other = (a, b) if a.surnames else (b, a)
    return bool(named.surnames & set(other.full_title.split()))


def _set_and_volume(a: Profile, b: Profile) -> list[Reason]:
    """A multi-volume set ("3 volumes") against one volume of it: a record with a part number, or with
    numbers in its title that the set's title lacks ("The history of British art, 600-1600" is one
    volume of the 3-volume "The history of British art"). Two sets counted differently, or a set and
    a record giving only pages, are left to the score (catalogers count bound volumes differently)."""
    for whole, single in ((a, b), (b, a)):
        if not whole.set_volumes or single.set_volumes:
            continue
        if single.part_numbers or single.title_numbers - whole.title_numbers:
            detail = f"a set of {whole.set_volumes} volumes vs a single volume"
            return [Reason("volume-veto", detail, -10.0, True)]
    return []


def formats_compatible(x: str, y: str) -> bool:
    """Same family, "other" on one side, or a component part against a text: an offprint of an article
    or a chapter catalogued as a pamphlet, or a repository's "Text" for a journal article."""
    fam_x, fam_y = FORMAT_FAMILIES.get(x, x), FORMAT_FAMILIES.get(y, y)
    return fam_x == fam_y or "other" in (x, y) or {fam_x, fam_y} == {"part", "text"}


def _exact_year(year: int | None) -> bool:
    """A year that can veto: given, and not a round century ("1800", "1900"), which is what an 008
    "18uu" / "19uu" date (century known, year not) becomes."""
    return year is not None and year % 100 != 0


def _nums(numbers: frozenset[str]) -> str:
    return ",".join(sorted(numbers, key=lambda n: (len(n), n)))


def _series_numbers_differ(a: Profile, b: Profile) -> bool:
    """Different numbers in the same series (490 $v): two issues of a monograph series. Numbers in two
    different series (a reissue in another publisher's library) say nothing."""
    if a.part_numbers or b.part_numbers:
        return False  # the part numbers decided (or one side has none: no evidence)
    if not (a.series_numbers and b.series_numbers) or a.series_numbers & b.series_numbers:
        return False
    if not (a.series and b.series):
        return bool(a.volumes and b.volumes and not a.volumes & b.volumes)
    return fuzz.token_sort_ratio(a.series, b.series) >= 85


def _series_marks_differ(a: Profile, b: Profile) -> bool:
    """The same number with another letter ("22a" / "22b") in the same series: a series number is an
    identifier, and its suffix letter names another report (the digits alone agree, so
    `_series_numbers_differ` cannot see it)."""
    if a.part_numbers or b.part_numbers or not (a.series_marks and b.series_marks):
        return False
    if a.series_marks & b.series_marks:
        return False
    if not {m[:-1] for m in a.series_marks} & {m[:-1] for m in b.series_marks}:
        return False
    return bool(a.series and b.series) and fuzz.token_sort_ratio(a.series, b.series) >= 85


def _disagree_everywhere(a: Profile, b: Profile) -> bool:
    """Same title, but no author in common, unrelated publishers and page counts >10% apart: two
    different books that happen to share a title (every such tuning pair in Goldfinch is a non-match)."""
    if not (a.surnames and b.surnames and a.publisher and b.publisher and a.pages and b.pages):
        return False
    if abs(a.pages - b.pages) / max(a.pages, b.pages) <= 0.1:
        return False
    if a.surnames & b.surnames or fuzzy_common(a.surnames, b.surnames):
        return False
    return fuzz.token_set_ratio(a.publisher, b.publisher) < 50


def fuzzy_common(x: frozenset[str], y: frozenset[str]) -> set[str]:
    return {s for s in x for t in y if len(s) > 3 and fuzz.ratio(s, t) >= 85}


