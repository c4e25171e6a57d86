"""Articles, chapters and conference papers: features that survive citation-style records.

Component parts are described differently from books. There is no publisher, page count or edition;
what identifies a paper is its title, its authors, its host (journal, proceedings) and year. Records
from repositories and citation databases are also messier: an author list, the venue or the year is
often pasted into the title ("emergent semantics … web 2002", "… jayant r. haritsa sigmod
conference"). So the part model compares the *core* of the titles — the title words that are not
author names, host words or years of either record — and how much of each core the other covers,
instead of a plain title similarity that the pasted words would drag down.

The host item is evidence in both directions: two parts in different journals are different items
("Editorial" in two journals), the same host and the same pages is strong evidence for. Journal
names are abbreviated in many ways, so `host_similarity` accepts initialisms ("vldb" = "very large
data bases") and word-prefix abbreviations ("acm trans database syst") as the same name.
"""

from __future__ import annotations

from rapidfuzz import fuzz

from indexer.dedup.profiles import Profile

PART_FEATURES = (
    "core_overlap", "core_set", "core_order", "core_extra", "title_set", "author_overlap",
    "author_conflict", "host_same", "host_conflict", "host_place_same", "host_place_conflict",
    "year_off",
)  # fmt: skip

PART_DESCRIPTIONS = {
    "core_overlap": "share of title words in common (names, host words and years set aside)",
    "core_set": "title core similarity (one title contained in the other counts as alike)",
    "core_order": "title core similarity in word order",
    "core_extra": "title words only one record has (scaled, 4 or more = 1)",
    "title_set": "title overlap as written",
    "author_overlap": "share of the shorter author list in common",
    "author_conflict": "both name authors, none in common",
    "host_same": "same host (journal or proceedings)",
    "host_conflict": "different hosts",
    "host_place_same": "same volume/issue/pages in the host",
    "host_place_conflict": "different volume/issue/pages in the host",
    "year_off": "years one apart (a citation's slip, or another version)",
}


def is_year(token: str) -> bool:
    return len(token) == 4 and token.isdigit() and token[:2] in ("15", "16", "17", "18", "19", "20")


def title_cores(a: Profile, b: Profile) -> tuple[list[str], list[str]]:
    """Both titles without the words that belong to either record's names, host or year."""
    noise = a.name_tokens | b.name_tokens | set(a.host.split()) | set(b.host.split())
    surnames = a.surnames | b.surnames
    return _core(a.full_title, noise, surnames), _core(b.full_title, noise, surnames)


def _core(title: str, noise: set[str] | frozenset[str], surnames: frozenset[str] = frozenset()) -> list[str]:
    tokens = title.split()
    return [t for k, t in enumerate(tokens) if len(t) > 2 and t not in noise and not is_year(t)
            and not _given_name(tokens, k, noise, surnames)]  # fmt: skip


def _given_name(tokens: list[str], k: int, noise: set[str] | frozenset[str], surnames: frozenset[str]) -> bool:
    """A pasted author list spells out a given name the other record gives as an initial ("stefan
    seltzsam" / "s. seltzsam"): a word followed by a known surname (a middle initial between them
    allowed) whose initial is among the names' initials."""
    if not surnames or len(tokens[k]) == 1 or tokens[k][0] not in noise:
        return False
    follow = tokens[k + 1 : k + 3]
    if follow and len(follow[0]) == 1 and len(follow) > 1:
        return follow[1] in surnames
    return bool(follow) and follow[0] in surnames


RECURRING_WORDS = frozenset(
    """editorial editorials editor editors notes note guest preface foreword introduction intro
    book books review reviews reviewers reviewed column columns letter letters memoriam obituary obituaries
    errata erratum corrigendum corrigenda correction corrections addendum announcement announcements news
    call papers contents index front matter message messages chair chairs chairman president presidents
    treasurer secretary vice report reports keynote address panel tutorial abstracts minutes comment
    comments reply response rejoinder discussion acknowledgment acknowledgments acknowledgement
    acknowledgements welcome remarks opening closing overview special issue section forum viewpoint
    calendar events event conference workshop proceedings volume list referees award awards""".split()
)
"""Words of the titles a journal or proceedings prints again and again ("Editorial", "Editor's notes",
"Book review column", "Call for papers", "In memoriam", "Chair's message", "Errata"). A title made of
these words alone names a column, not a paper: two of them in one host and year are as likely to be two
issues' columns as one (the DBLP-ACM development pairs are mostly different items)."""


def is_recurring_title(core: list[str]) -> bool:
    """A title core ("editorial", "guest editor introduction") of recurring-column words only."""
    return bool(core) and all(token in RECURRING_WORDS for token in core)


def host_similarity(x: str, y: str) -> float:
    """0-100: how alike two folded host names are, abbreviations and initialisms counted as equal."""
    if not x or not y:
        return 0.0
    if _abbreviates(x, y) or _abbreviates(y, x):
        return 100.0
    return fuzz.token_set_ratio(x, y)


def _abbreviates(short: str, long: str) -> bool:
    """Every word of `short` is an initialism of consecutive words of `long` or a prefix of one of
    its words, in order ("acm trans database syst" / "acm transactions database systems")."""
    words = long.split()
    position = 0
    for token in short.split():
        found = False
        for k in range(position, len(words)):
            initials = "".join(w[0] for w in words[k : k + len(token)])
            if words[k].startswith(token) or (len(token) >= 3 and initials == token):
                position = k + (len(token) if initials == token and not words[k].startswith(token) else 1)
                found = True
                break
        if not found:
            return False
    return True


def part_features(a: Profile, b: Profile) -> dict[str, float]:
    """The part model's inputs for one pair; missing data gives 0 (no evidence either way)."""
    f: dict[str, float] = {}
    core_a, core_b = title_cores(a, b)
    set_a, set_b = set(core_a), set(core_b)
    if set_a and set_b:
        f["core_overlap"] = len(set_a & set_b) / len(set_a | set_b)
        f["core_set"] = fuzz.token_set_ratio(" ".join(core_a), " ".join(core_b)) / 100.0
        f["core_order"] = fuzz.ratio(" ".join(core_a), " ".join(core_b)) / 100.0
        f["core_extra"] = min(4, len(set_a ^ set_b)) / 4.0
    if a.full_title and b.full_title:
        f["title_set"] = fuzz.token_set_ratio(a.full_title, b.full_title) / 100.0
    if a.surnames and b.surnames:
        common = len(a.surnames & b.surnames)
        f["author_overlap"] = common / min(len(a.surnames), len(b.surnames))
        if not common:
            f["author_conflict"] = 1.0
    if a.host and b.host:
        f["host_same" if host_similarity(a.host, b.host) >= 80 else "host_conflict"] = 1.0
    if a.year and b.year and abs(a.year - b.year) == 1 and not (title_year(a, b) or title_year(b, a)):
        f["year_off"] = 1.0
    place = place_agreement(a.host_place, b.host_place)  # compared even when the host names differ:
    if place is not None:  # the same volume and pages under two spellings of one journal agree
        f["host_place_same" if place else "host_place_conflict"] = 1.0
    return {k: v for k, v in f.items() if v}


def title_year(a: Profile, b: Profile) -> bool:
    """`a` has no date and the year read from its title is in `b`'s title too: it belongs to the title
    ("In memory of Bob Kooi (1951-1993)", "Report on FQAS 2000"), not to a citation pasted into it."""
    return a.year_from_title and str(a.year) in b.full_title.split()


HOST_KINDS = {
    "journal": frozenset("journal j transactions trans record rec letters lett review bulletin bull magazine "
                         "quarterly annals newsletter communications commun".split()),
    "conference": frozenset("conference conf proceedings proc symposium symp workshop congress meeting "
                            "colloquium".split()),
}  # fmt: skip
"""Words that say what kind of host a folded host title names: a journal or a conference's
proceedings ("ACM Trans. Database Syst.", "Proc. SIGMOD Conference")."""


def host_kind(host: str) -> str:
    """"journal", "conference", or "" when the host's words do not say (or say both)."""
    tokens = set(host.split())
    kinds = [kind for kind, marks in HOST_KINDS.items() if tokens & marks]
    return kinds[0] if len(kinds) == 1 else ""


def place_agreement(x: str, y: str) -> bool | None:
    """Volume, issue and pages ("12|3|45-67") compared where both give them: True when they agree
    and pages or volume+issue are among them, False when any differs, None without evidence."""
    if not x or not y:
        return None
    pairs = [(p, q) for p, q in zip(x.split("|"), y.split("|"), strict=False) if p and q]
    if not pairs:
        return None
    if any(p != q for p, q in pairs):
        return False
    return len(pairs) >= 2 or bool(x.split("|")[-1])
