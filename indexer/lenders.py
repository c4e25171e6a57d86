"""Whom to ask: the libraries that hold a lendable copy, ranked by a documented rule, with reasons.

Interlibrary-loan staff send a request down a *lending string* of up to five library symbols (OCLC's
"smart" strings; ReShare's rota): the first library says yes or no, then the next. The rule, in order:

1. the requesting library itself is never a lender (``requester`` is a parameter of every view);
2. availability tier: a lendable copy on the shelf now, then lendable copies whose status is not given,
   then libraries that lend only by their stated policy, then lendable copies that are all out;
3. distance from the requesting library (haversine over the configured ``lat``/``lon``), compared in
   bands of ``distance_band_km`` (default 100 km) so that nearby libraries share the load;
4. the load-balancing term: with ``lends``/``borrows`` figures, the library that lends least for what it
   borrows is asked first (ReShare's ratio), divided by its ``weight``; without figures a per-request rota
   (a stable hash of the request and the library, divided by ``weight``) spreads requests evenly.

Libraries that hold the item but whose records do not say it lends are listed apart with the reason, not
ranked: the union catalog never invents a lender. Symbols, weights and figures come from
``config/maps/lending.toml`` (a data file the consortium edits), coordinates from each source's
``library`` table.
"""

from __future__ import annotations

import hashlib
import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harvester.marc.codemaps import SHIPPED_MAPS
from harvester.record import Holding
from harvester.settings import Settings

EARTH_RADIUS_KM = 6371.0088
TIERS = ("available now", "lendable (shelf status not given)", "lendable by library policy",
         "lendable (all copies out)")


@dataclass(frozen=True, slots=True)
class LibraryInfo:
    """What the ranking knows about one library."""

    code: str
    name: str = ""
    symbol: str = ""
    lat: float | None = None
    lon: float | None = None
    weight: float = 1.0
    lends: int | None = None
    borrows: int | None = None

    @property
    def ill_symbol(self) -> str:
        return self.symbol or self.code


@dataclass(frozen=True, slots=True)
class LendingRule:
    distance_band_km: float = 100.0
    string_length: int = 5


@dataclass(frozen=True, slots=True)
class Directory:
    """Libraries by code, and the rule's parameters."""

    libraries: Mapping[str, LibraryInfo] = field(default_factory=dict)
    rule: LendingRule = field(default_factory=LendingRule)

    def get(self, code: str, name: str = "") -> LibraryInfo:
        return self.libraries.get(code) or LibraryInfo(code=code, name=name)


@dataclass(frozen=True, slots=True)
class Lender:
    rank: int
    code: str
    name: str
    symbol: str
    tier: int
    available: int
    lendable: int
    distance_km: float | None
    reason: str


@dataclass(frozen=True, slots=True)
class NotLending:
    code: str
    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class LenderList:
    requester: str
    lenders: tuple[Lender, ...]
    not_lending: tuple[NotLending, ...]
    lending_string: str


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km (e.g. Duke to UNC Chapel Hill, about 16 km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def rank_lenders(holdings: Iterable[Holding], directory: Directory, requester: str = "",
                 request_key: str = "") -> LenderList:
    """The ranked lender list for one item's holdings, as requested by library `requester`.

    `request_key` (the identifier or record id) seeds the rota, so one request always gets the same
    order and different requests spread over equally good lenders.
    """
    groups: dict[str, list[Holding]] = {}
    for holding in holdings:
        groups.setdefault(holding.library_code, []).append(holding)
    home = directory.libraries.get(requester)
    candidates: list[_Candidate] = []
    apart: list[NotLending] = []
    for code, rows in sorted(groups.items()):
        info = directory.get(code, rows[0].library_name)
        name = rows[0].library_name or info.name or code
        if requester and code == requester:
            apart.append(NotLending(code, name, "your library (the requester is never a lender)"))
            continue
        tier, available, lendable = _tier(rows)
        if tier is None:
            apart.append(NotLending(code, name, _why_not(rows)))
            continue
        distance = _distance(home, info)
        band = math.floor(distance / directory.rule.distance_band_km) if distance is not None else math.inf
        balance, words = _balance(info, request_key)
        candidates.append(_Candidate((tier, band, balance, distance if distance is not None else math.inf, code),
                                     info, name, available, lendable, distance, words))
    candidates.sort(key=lambda c: c.key)
    lenders = tuple(_lender(rank, c, candidates) for rank, c in enumerate(candidates, start=1))
    string = ",".join(lender.symbol for lender in lenders[: directory.rule.string_length])
    return LenderList(requester, lenders, tuple(apart), string)


@dataclass(frozen=True, slots=True)
class _Candidate:
    key: tuple[Any, ...]
    info: LibraryInfo
    name: str
    available: int
    lendable: int
    distance: float | None
    balance_words: str


def _lender(rank: int, c: _Candidate, everyone: Sequence[_Candidate]) -> Lender:
    """A ranked lender with its reason: the tier, the distance when known, and the load-balancing term
    only when it decided the order against another lender of the same tier and distance band."""
    tied = any(o is not c and o.key[:2] == c.key[:2] for o in everyone)
    parts = [TIERS[c.key[0]], _km(c.distance), c.balance_words if tied else ""]
    return Lender(rank, c.info.code, c.name, c.info.ill_symbol, c.key[0], c.available, c.lendable,
                  c.distance, ", ".join(p for p in parts if p))


def _tier(rows: Sequence[Holding]) -> tuple[int | None, int, int]:
    lendable = [h for h in rows if h.lendable is True]
    if not lendable:
        return None, 0, 0
    available = sum(h.copies or 1 for h in lendable if h.available is True)
    count = sum(h.copies or 1 for h in lendable)
    if available:
        return 0, available, count
    if any(h.available is None and not h.policy for h in lendable):
        return 1, 0, count
    if any(h.policy for h in lendable):
        return 2, 0, count
    return 3, 0, count


def _why_not(rows: Sequence[Holding]) -> str:
    if all(h.kind == "online" for h in rows):
        return "online access only (not lent as a physical loan)"
    refused = [h for h in rows if h.lendable is False and h.kind != "online"]
    if refused and all(h.lendable is False for h in rows):
        return "not lendable: " + (refused[0].basis or "the record says so")
    return "the record does not say whether it lends (no item data)"


def _distance(home: LibraryInfo | None, info: LibraryInfo) -> float | None:
    if home is None or None in (home.lat, home.lon, info.lat, info.lon):
        return None
    return haversine_km(home.lat, home.lon, info.lat, info.lon)  # type: ignore[arg-type]


def _km(distance: float | None) -> str:
    if distance is None:
        return ""
    return f"{distance:,.0f} km" if distance >= 1 else "under 1 km"


def _balance(info: LibraryInfo, request_key: str) -> tuple[float, str]:
    weight = info.weight if info.weight > 0 else 1.0
    if info.lends is not None and info.borrows is not None:
        ratio = info.lends / max(info.borrows, 1)
        if ratio > 1.05:
            words = "lends more than it borrows"
        elif ratio < 0.95:
            words = "borrows more than it lends"
        else:
            words = "lends about as much as it borrows"
        return ratio / weight, words
    digest = hashlib.sha1(f"{request_key}\x00{info.code}".encode()).digest()
    share = (int.from_bytes(digest[:8], "big") + 1) / 2**64
    return share / weight, "rota turn for this request" if request_key else ""


LENDING_FILE = "lending.toml"


class LendingFileError(ValueError):
    """``lending.toml`` cannot be used: names the file and the key."""


_LIBRARY_KEYS: dict[str, type | tuple[type, ...]] = {
    "name": str, "symbol": str, "lat": (int, float), "lon": (int, float), "weight": (int, float),
    "lends": int, "borrows": int,
}


def load_directory(path: Path | None, libraries: Iterable[LibraryInfo]) -> Directory:
    """The configured libraries (from the sources) completed by ``lending.toml`` (symbols, weights,
    figures, rule). A missing file means library codes as symbols, equal weights, the default rule."""
    base = {lib.code: lib for lib in libraries}
    if path is None or not path.is_file():
        return Directory(base, LendingRule())
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise LendingFileError(f"{path}: not valid TOML: {exc}") from exc
    unknown = set(data) - {"rule", "libraries"}
    if unknown:
        raise LendingFileError(f"{path}: unknown key(s) {sorted(unknown)}; known: rule, libraries")
    rule = _rule(path, data.get("rule", {}))
    for code, extra in (data.get("libraries") or {}).items():
        known = base.get(code) or LibraryInfo(code=code)
        base[code] = _library(path, code, extra, known)
    return Directory(base, rule)


def _rule(path: Path, raw: Any) -> LendingRule:
    if not isinstance(raw, dict) or set(raw) - {"distance_band_km", "string_length"}:
        raise LendingFileError(f"{path}: [rule] takes distance_band_km and string_length")
    band = raw.get("distance_band_km", 100.0)
    length = raw.get("string_length", 5)
    if not isinstance(band, (int, float)) or band <= 0:
        raise LendingFileError(f"{path}: rule.distance_band_km must be a positive number of km")
    if not isinstance(length, int) or not 1 <= length <= 5:
        raise LendingFileError(f"{path}: rule.string_length must be 1 to 5 (OCLC's limit)")
    return LendingRule(float(band), length)


def _library(path: Path, code: str, raw: Any, known: LibraryInfo) -> LibraryInfo:
    if not isinstance(raw, dict):
        raise LendingFileError(f"{path}: libraries.{code} must be a table")
    for key, value in raw.items():
        kind = _LIBRARY_KEYS.get(key)
        if kind is None:
            raise LendingFileError(f"{path}: libraries.{code}.{key}: unknown; known: {', '.join(_LIBRARY_KEYS)}")
        if not isinstance(value, kind) or isinstance(value, bool):
            raise LendingFileError(f"{path}: libraries.{code}.{key}: wrong type {type(value).__name__}")
    weight = float(raw.get("weight", known.weight))
    if weight <= 0:
        raise LendingFileError(f"{path}: libraries.{code}.weight must be above 0")
    return LibraryInfo(code, raw.get("name", known.name), raw.get("symbol", known.symbol),
                       raw.get("lat", known.lat), raw.get("lon", known.lon), weight,
                       raw.get("lends", known.lends), raw.get("borrows", known.borrows))


def directory_from_settings(settings: Settings) -> Directory:
    """Every configured source's library (code, name, coordinates), completed by the consortium's
    ``maps/lending.toml`` beside the config file, else the shipped one."""
    libraries = [LibraryInfo(s.library.code, s.library.name, lat=s.library.lat, lon=s.library.lon)
                 for s in settings.sources]
    own = settings.config_file.parent / "maps" / LENDING_FILE
    return load_directory(own if own.is_file() else SHIPPED_MAPS / LENDING_FILE, libraries)


@dataclass(frozen=True, slots=True)
class Availability:
    """What a result line says about getting the item: libraries that lend a copy not known to be out,
    and whether it is online. Both come only from what the holdings say (`rank_lenders`' first tiers)."""

    libraries: int
    online: bool

    @property
    def text(self) -> str:
        """ "Available to borrow at 3 libraries / online", "Online access", or "" (nothing stated)."""
        parts = []
        if self.libraries:
            parts.append(f"Available to borrow at {self.libraries} librar{'y' if self.libraries == 1 else 'ies'}")
        if self.online:
            parts.append("online" if parts else "Online access")
        return " / ".join(parts)

    @property
    def facet_values(self) -> list[str]:
        """Values of the search index's ``access`` facet."""
        return [value for value, present in ((BORROW_FACET, self.libraries > 0), (ONLINE_FACET, self.online))
                if present]


BORROW_FACET = "Available to borrow"
ONLINE_FACET = "Online access"


def availability(holdings: Iterable[Holding], online_link: bool = False) -> Availability:
    """Availability of one merged record: `online_link` when its record has a link to the resource."""
    lending: set[str] = set()
    online = online_link
    for h in holdings:
        if h.kind == "online":
            online = True
        elif h.lendable is True and h.available is not False:
            lending.add(h.library_code)
    return Availability(len(lending), online)
