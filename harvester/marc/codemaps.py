"""Translation maps: a source's location, status and item-type codes to names and lending rules.

Library systems export codes (UNC's Sierra status ``o``, Laurentian's ``DESM-RARE``, Duke's ``PERKN``)
that mean nothing to a patron, and whether an item may go out on interlibrary loan is written in those
codes, not in the record. Like traject's and VuFind's translation maps, the meaning lives in data files
under ``config/maps/`` that a consortium edits without touching code::

    # config/maps/unc.toml
    extends = "ils/sierra"              # the ILS defaults, then this source's own codes on top
    [policy]
    default = "unknown"                 # what a copy no code speaks for is: lendable | not lendable | unknown
    note = ""                           # shown as the library's stated policy when default is not unknown
    [status]
    "-" = { name = "Available", rule = "lendable", available = true }
    o = { name = "In-library use only", rule = "not lendable" }
    [location]
    ddda = { name = "Davis Library stacks" }

Sections: ``library`` (branch codes), ``location``, ``status``, ``item_type`` and ``loan`` (a
not-for-loan or circulate flag such as Koha 952 $7 or Symphony's $r). ``rule`` is one of `RULES`; an
entry without a rule only names its code. Codes are matched exactly, then with blanks trimmed and case
folded ("wadb " and "WADB" find ``wadb``). A code no map names is shown as it came and counted as an
"unmapped code" for the partners page.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RULES = ("lendable", "not lendable", "unknown", "online")
"""What a code says about lending: a copy may go out, may not, nobody says, or it is an online resource."""
SECTIONS = ("library", "location", "status", "item_type", "loan")
"""The code kinds a map translates (one per profile subfield that carries a code)."""
SHIPPED_MAPS = Path(__file__).resolve().parents[2] / "config" / "maps"
"""The maps that come with unioncat (ILS defaults and the demo's sources), used when a config folder
has no ``maps/`` of its own or lacks a file."""
MAX_EXTENDS = 8


class MapError(ValueError):
    """A map file that cannot be read: names the file and the key."""

    def __init__(self, file: Path | str, message: str) -> None:
        self.file = str(file)
        super().__init__(f"{file}: {message}")


@dataclass(frozen=True, slots=True)
class CodeEntry:
    """What one code means: a display name, a lending rule ("" = no claim) and, for statuses,
    whether the copy is on the shelf now (None = the status does not say)."""

    name: str = ""
    rule: str = ""
    available: bool | None = None


@dataclass(frozen=True, slots=True)
class CodeMaps:
    """Every map a source reads, merged: the source's own entries over the ILS defaults it extends."""

    name: str = ""
    files: tuple[str, ...] = ()
    sections: Mapping[str, Mapping[str, CodeEntry]] = field(default_factory=dict)
    policy: str = "unknown"
    policy_note: str = ""

    def lookup(self, kind: str, code: str) -> CodeEntry | None:
        """The entry for `code` in section `kind`: exact, then trimmed and case-folded; None if unmapped."""
        section = self.sections.get(kind)
        if not section:
            return None
        found = section.get(code)
        if found is None:
            found = section.get(_fold(code))
        return found


def _fold(code: str) -> str:
    return " ".join(code.split()).casefold()


def load_maps(name: str, folders: tuple[Path, ...] = ()) -> CodeMaps:
    """The named map (``"unc"``, ``"ils/sierra"``) with everything it extends, looked up in `folders`
    then in the shipped maps. Raises `MapError` (file and key named) on a bad file or a missing map."""
    chain: list[tuple[Path, dict[str, Any]]] = []
    seen: set[str] = set()
    current: str | None = name
    while current is not None:
        if current in seen or len(chain) >= MAX_EXTENDS:
            raise MapError(f"{current}.toml", f"`extends` loops or goes deeper than {MAX_EXTENDS} maps")
        seen.add(current)
        path = find_map(current, folders)
        data = _read(path)
        chain.append((path, data))
        parent = data.get("extends")
        if parent is not None and not isinstance(parent, str):
            raise MapError(path, "`extends` must be a map name such as \"ils/sierra\"")
        current = parent
    return _merge(name, chain)


def find_map(name: str, folders: tuple[Path, ...] = ()) -> Path:
    """The file of map `name`: ``<folder>/<name>.toml`` in the first folder that has one."""
    if not name or ".." in Path(name).parts or Path(name).is_absolute():
        raise MapError(name, "a map name is a relative name such as \"unc\" or \"ils/koha\"")
    for folder in (*folders, SHIPPED_MAPS):
        candidate = folder / f"{name}.toml"
        if candidate.is_file():
            return candidate
    searched = ", ".join(str(f) for f in (*folders, SHIPPED_MAPS))
    raise MapError(f"{name}.toml", f"no such map (looked in {searched})")


def _read(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MapError(path, f"not valid TOML: {exc}") from exc
    unknown = set(data) - {"extends", "policy", "about", *SECTIONS}
    if unknown:
        raise MapError(path, f"unknown key(s) {sorted(unknown)}; known: extends, about, policy, {', '.join(SECTIONS)}")
    return data


def _merge(name: str, chain: list[tuple[Path, dict[str, Any]]]) -> CodeMaps:
    """Most general first, so the source's own file wins."""
    sections: dict[str, dict[str, CodeEntry]] = {kind: {} for kind in SECTIONS}
    policy, note = "unknown", ""
    for path, data in reversed(chain):
        for kind in SECTIONS:
            raw = data.get(kind, {})
            if not isinstance(raw, dict):
                raise MapError(path, f"[{kind}] must be a table of code = {{ name, rule }}")
            for code, value in raw.items():
                entry = _entry(path, f"{kind}.{code}", value)
                sections[kind][code] = entry
                sections[kind].setdefault(_fold(code), entry)
        if "policy" in data:
            policy, note = _policy(path, data["policy"])
    return CodeMaps(name, tuple(str(p) for p, _ in chain), sections, policy, note)


def _entry(path: Path, key: str, value: Any) -> CodeEntry:
    if isinstance(value, str):
        return CodeEntry(name=value)
    if not isinstance(value, dict):
        raise MapError(path, f"{key}: must be a name or a table {{ name, rule, available }}")
    unknown = set(value) - {"name", "rule", "available"}
    if unknown:
        raise MapError(path, f"{key}: unknown key(s) {sorted(unknown)}; known: name, rule, available")
    rule = value.get("rule", "")
    if rule and rule not in RULES:
        raise MapError(path, f"{key}.rule: {rule!r} is not one of {', '.join(RULES)}")
    available = value.get("available")
    if available is not None and not isinstance(available, bool):
        raise MapError(path, f"{key}.available: must be true or false")
    name = value.get("name", "")
    if not isinstance(name, str):
        raise MapError(path, f"{key}.name: must be text")
    return CodeEntry(name=name, rule=rule, available=available)


def _policy(path: Path, raw: Any) -> tuple[str, str]:
    if not isinstance(raw, dict) or set(raw) - {"default", "note"}:
        raise MapError(path, "[policy] takes `default` (lendable | not lendable | unknown) and `note`")
    default = raw.get("default", "unknown")
    if default not in ("lendable", "not lendable", "unknown"):
        raise MapError(path, f"policy.default: {default!r} is not lendable, not lendable or unknown")
    note = raw.get("note", "")
    if not isinstance(note, str):
        raise MapError(path, "policy.note: must be text")
    return default, note
