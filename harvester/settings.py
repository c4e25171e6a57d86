"""Settings: one TOML file, read once, validated up front, with errors that name the file and the key.

The loader lives in the most upstream package so that every package may import it; the documented
example is ``config/unioncat.toml``. Which file is read: ``--config PATH``, else ``$UNIONCAT_CONFIG``,
else ``config/unioncat.toml`` in the working directory. Relative paths in the file resolve against the
file's own folder, so a config works from wherever the command is run.

    settings = load_settings(Path("config/unioncat.toml"))
    for source in settings.sources: ...
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harvester.errors import ConfigError
from harvester.limits import Limits
from harvester.marc.profiles import PROFILES, HoldingsProfile, resolve_profile
from harvester.settings_table import (
    BACKENDS,
    FILE_ORDERS,
    LIBRARY,
    LIMITS,
    MARC_FORMATS,
    OAI_OPTIONS,
    SEARCH,
    SOURCE,
    SOURCE_TYPES,
    STAFF,
    TOP,
    Setting,
)

__all__ = ["BACKENDS", "FILE_ORDERS", "MARC_FORMATS", "SOURCE_TYPES", "ConfigError"]

DEFAULT_CONFIG = Path("config/unioncat.toml")


@dataclass(frozen=True, slots=True)
class OAIOptions:
    """An OAI-PMH source's ``options`` table: retry, backoff and window tuning (see `OAI_OPTIONS`)."""

    max_retries: int = OAI_OPTIONS["max_retries"].default
    backoff_base: float = OAI_OPTIONS["backoff_base"].default
    backoff_cap: float = OAI_OPTIONS["backoff_cap"].default
    max_wait: float = OAI_OPTIONS["max_wait"].default
    malformed_retries: int = OAI_OPTIONS["malformed_retries"].default
    overlap_seconds: float = OAI_OPTIONS["overlap_seconds"].default
    max_window_restarts: int = OAI_OPTIONS["max_window_restarts"].default
    max_empty_pages: int = OAI_OPTIONS["max_empty_pages"].default
    max_splits: int = OAI_OPTIONS["max_splits"].default
    min_window_seconds: float = OAI_OPTIONS["min_window_seconds"].default
    workers: int | None = OAI_OPTIONS["workers"].default
    parallel_threshold: int = OAI_OPTIONS["parallel_threshold"].default
    retry_isolated: int = OAI_OPTIONS["retry_isolated"].default
    server_error_retries: int = OAI_OPTIONS["server_error_retries"].default


@dataclass(frozen=True, slots=True)
class Library:
    """The library a source's holdings belong to (shown to patrons and ILL staff)."""

    code: str
    name: str
    lat: float | None = LIBRARY["lat"].default
    lon: float | None = LIBRARY["lon"].default


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """One partner source: a MARC file/folder/glob, or an OAI-PMH endpoint."""

    id: str
    name: str
    type: str
    library: Library
    holdings: HoldingsProfile
    path: Path | None = None
    format: str = SOURCE["format"].default
    encoding: str | None = SOURCE["encoding"].default
    id_field: str = "001"  # the first of `id_fields`, kept for callers that want one
    id_fields: tuple[str, ...] = ("001",)  # where the id may be, in order; none: an id derived from content
    order: str = SOURCE["order"].default  # the order a folder's files are read in (a later record supersedes)
    dedup_within_source: bool = SOURCE["dedup_within_source"].default
    url: str = SOURCE["url"].default
    metadata_prefix: str = SOURCE["metadata_prefix"].default
    sets: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    rate_limit: float = SOURCE["rate_limit"].default
    timeout: float = SOURCE["timeout"].default
    options: OAIOptions = field(default_factory=OAIOptions)
    limits: Limits = field(default_factory=Limits)  # the [limits] table, with this source's overrides


@dataclass(frozen=True, slots=True)
class SearchSettings:
    """Which search backend to use and how to reach it."""

    backend: str = SEARCH["backend"].default
    index_dir: Path | None = None  # embedded; default data_dir/index
    url: str = SEARCH["url"].default  # opensearch
    username: str = SEARCH["username"].default
    password: str = SEARCH["password"].default
    verify_certs: bool = SEARCH["verify_certs"].default
    ca_certs: str = SEARCH["ca_certs"].default
    index_prefix: str = SEARCH["index_prefix"].default
    shards: int = SEARCH["shards"].default
    replicas: int = SEARCH["replicas"].default
    facet_thesauri: tuple[str, ...] = SEARCH["facet_thesauri"].default  # the Subject facet's vocabularies


@dataclass(frozen=True, slots=True)
class StaffSettings:
    """What the public may not see, and how staff sign in (`search_ui.staff`)."""

    hidden_fields: tuple[str, ...] = tuple(STAFF["hidden_fields"].default)
    secure_cookies: bool = STAFF["secure_cookies"].default
    session_hours: float = STAFF["session_hours"].default
    auth_header: str = STAFF["auth_header"].default
    trusted_proxies: tuple[str, ...] = tuple(STAFF["trusted_proxies"].default)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything unioncat reads from its config file."""

    config_file: Path
    data_dir: Path
    sources: tuple[SourceConfig, ...]
    search: SearchSettings = field(default_factory=SearchSettings)
    workers: int = TOP["workers"].default  # processes for parsing; 0 = one per core
    batch_size: int = TOP["batch_size"].default
    limits: Limits = field(default_factory=Limits)  # the top-level [limits]; each source carries its own
    staff: StaffSettings = field(default_factory=StaffSettings)

    @property
    def store_path(self) -> Path:
        return self.data_dir / "unioncat.sqlite"

    @property
    def index_dir(self) -> Path:
        return self.search.index_dir or self.data_dir / "index"

    def source(self, source_id: str) -> SourceConfig:
        for source in self.sources:
            if source.id == source_id:
                return source
        known = ", ".join(s.id for s in self.sources) or "none"
        raise KeyError(f"no source {source_id!r} in {self.config_file} (configured: {known})")


def config_path(explicit: str | Path | None, environ: Mapping[str, str] | None = None) -> Path:
    """The config file to read: the explicit path, else $UNIONCAT_CONFIG, else the default."""
    env = os.environ if environ is None else environ
    if explicit:
        return Path(explicit)
    if env.get("UNIONCAT_CONFIG"):
        return Path(env["UNIONCAT_CONFIG"])
    return DEFAULT_CONFIG


def load_settings(path: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate a config file; raises `ConfigError` naming the file and key on any problem."""
    file = config_path(path, environ).resolve()
    if not file.is_file():
        raise ConfigError(file, "", "config file not found (use --config PATH or $UNIONCAT_CONFIG)")
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(file, "", f"not valid TOML: {exc}") from exc
    return parse_settings(data, file)


def parse_settings(data: dict[str, Any], file: Path) -> Settings:
    """Validate an already-parsed TOML document (split out so tests can feed dicts)."""
    reader = _Reader(file)
    base = file.parent
    reader.only(data, "", set(TOP))
    data_dir = _resolve(base, reader.value(data, TOP["data_dir"]))
    raw_sources = reader.value(data, TOP["sources"])
    limits = _limits(reader, reader.value(data, TOP["limits"]), "limits", Limits())
    sources = tuple(_source(reader, base, i, raw, limits) for i, raw in enumerate(raw_sources))
    seen: set[str] = set()
    for index, source in enumerate(sources):
        if source.id in seen:
            raise ConfigError(file, f"sources[{index}].id", f"duplicate id {source.id!r}")
        seen.add(source.id)
    return Settings(
        config_file=file,
        data_dir=data_dir,
        sources=sources,
        search=_search(reader, base, reader.value(data, TOP["search"])),
        workers=reader.value(data, TOP["workers"]),
        batch_size=reader.value(data, TOP["batch_size"]),
        limits=limits,
        staff=_staff(reader, reader.value(data, TOP["staff"])),
    )


def _limits(reader: _Reader, raw: dict[str, Any], key: str, base: Limits) -> Limits:
    """A ``limits`` table over ``base`` (the defaults, or the top-level table for a source's own);
    every cap a positive number of bytes, and a record must fit in an unterminated chunk."""
    reader.only(raw, key, set(LIMITS))
    values = {name: reader.value(raw, LIMITS[name], key) for name in raw}
    for name, value in values.items():
        if value <= 0:
            raise ConfigError(reader.file, f"{key}.{name}", f"must be a positive number of bytes, got {value}")
    limits = replace(base, **values)
    if limits.max_unterminated_bytes < limits.max_record_bytes:
        raise ConfigError(reader.file, f"{key}.max_unterminated_bytes",
                          f"must be at least max_record_bytes ({limits.max_record_bytes})")
    return limits


def _source(reader: _Reader, base: Path, index: int, raw: Any, limits: Limits) -> SourceConfig:
    key = f"sources[{index}]"
    if not isinstance(raw, dict):
        raise ConfigError(reader.file, key, "each [[sources]] entry must be a table")
    reader.only(raw, key, set(SOURCE))
    source_id = reader.value(raw, SOURCE["id"], key)
    if not source_id or ":" in source_id or "/" in source_id:
        raise ConfigError(reader.file, f"{key}.id", "required; letters, digits, '-' and '_' only")
    kind = reader.value(raw, SOURCE["type"], key)
    name = reader.value(raw, SOURCE["name"], key) or source_id
    path: Path | None = None
    if kind == "marc":
        path_text = reader.value(raw, SOURCE["path"], key)
        if not path_text:
            raise ConfigError(reader.file, f"{key}.path", "required for a marc source (file, folder or glob)")
        path = _resolve(base, path_text)
    url = reader.value(raw, SOURCE["url"], key)
    if kind == "oai-pmh" and not url.startswith(("http://", "https://")):
        raise ConfigError(reader.file, f"{key}.url", "required for an oai-pmh source (http:// or https://)")
    sets = _sets(reader, raw, key)
    id_fields = _id_fields(reader, raw, key)
    return SourceConfig(
        id=source_id,
        name=name,
        type=kind,
        library=_library(reader, raw.get("library"), f"{key}.library", source_id, name),
        holdings=_holdings(reader, raw.get("holdings"), f"{key}.holdings"),
        path=path,
        format=reader.value(raw, SOURCE["format"], key),
        encoding=reader.value(raw, SOURCE["encoding"], key),
        id_field=id_fields[0],
        id_fields=id_fields,
        order=reader.value(raw, SOURCE["order"], key),
        dedup_within_source=reader.value(raw, SOURCE["dedup_within_source"], key),
        url=url,
        metadata_prefix=reader.value(raw, SOURCE["metadata_prefix"], key),
        sets=sets,
        headers=reader.value(raw, SOURCE["headers"], key),
        rate_limit=float(reader.value(raw, SOURCE["rate_limit"], key)),
        timeout=float(reader.value(raw, SOURCE["timeout"], key)),
        options=_oai_options(reader, reader.value(raw, SOURCE["options"], key), f"{key}.options"),
        limits=_limits(reader, reader.value(raw, SOURCE["limits"], key), f"{key}.limits", limits),
    )


_ID_SPEC = re.compile(r"^[0-9A-Za-z]{3}[0-9a-z]?$")


def _id_fields(reader: _Reader, raw: dict[str, Any], key: str) -> tuple[str, ...]:
    """``id_field = "001"`` or ``id_field = ["001", "035a", "999c"]``: a control field, or a tag and
    subfield code, tried in order."""
    value = raw.get("id_field", "001")
    specs = [value] if isinstance(value, str) else value
    if not isinstance(specs, list) or not specs or not all(isinstance(v, str) and _ID_SPEC.match(v)
                                                           for v in specs):
        raise ConfigError(reader.file, f"{key}.id_field",
                          f"expected a field like \"001\" or \"035a\", or a list of them, got {value!r}")
    return tuple(specs)


def _sets(reader: _Reader, raw: dict[str, Any], key: str) -> tuple[str, ...]:
    """``set = "a"`` or ``sets = ["a", "b"]``: the OAI-PMH sets to harvest (none = the whole feed)."""
    name = "sets" if "sets" in raw else "set"
    value = raw.get(name, [])
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(reader.file, f"{key}.{name}", f"expected a set name or a list of names, got {value!r}")
    return tuple(value)


def _library(reader: _Reader, raw: Any, key: str, source_id: str, name: str) -> Library:
    if raw is None:
        return Library(code=source_id, name=name)
    if isinstance(raw, str):
        return Library(code=raw, name=name)
    if not isinstance(raw, dict):
        raise ConfigError(reader.file, key, "must be a table {code, name, lat, lon} or a code string")
    reader.only(raw, key, set(LIBRARY))
    lat = reader.value(raw, LIBRARY["lat"], key)
    lon = reader.value(raw, LIBRARY["lon"], key)
    return Library(
        code=reader.value(raw, LIBRARY["code"], key) or source_id,
        name=reader.value(raw, LIBRARY["name"], key) or name,
        lat=float(lat) if lat is not None else None,
        lon=float(lon) if lon is not None else None,
    )


def _holdings(reader: _Reader, raw: Any, key: str) -> HoldingsProfile:
    if raw is None:
        return PROFILES["marc21"]
    if isinstance(raw, str):
        raw = {"profile": raw}
    if not isinstance(raw, dict):
        raise ConfigError(reader.file, key, "must be a profile name or a table with `profile` and overrides")
    overrides = dict(raw)
    name = overrides.pop("profile", "marc21")
    if name not in PROFILES:
        raise ConfigError(reader.file, f"{key}.profile", f"unknown profile {name!r}; known: {', '.join(PROFILES)}")
    try:
        return resolve_profile(name, overrides, (reader.file.parent / "maps",))
    except (TypeError, ValueError) as exc:
        raise ConfigError(reader.file, key, str(exc)) from exc


def _search(reader: _Reader, base: Path, raw: dict[str, Any]) -> SearchSettings:
    key = "search"
    reader.only(raw, key, set(SEARCH))
    values = {name: reader.value(raw, setting, key) for name, setting in SEARCH.items()}
    values["index_dir"] = _resolve(base, values["index_dir"]) if values["index_dir"] else None
    values["facet_thesauri"] = _thesauri(reader, values["facet_thesauri"], f"{key}.facet_thesauri")
    return SearchSettings(**values)


def _staff(reader: _Reader, raw: dict[str, Any]) -> StaffSettings:
    """The ``[staff]`` table; the hidden-field rules are checked where they are parsed (`search_ui.staff`)."""
    key = "staff"
    reader.only(raw, key, set(STAFF))
    values = {name: reader.value(raw, setting, key) for name, setting in STAFF.items()}
    for name in ("hidden_fields", "trusted_proxies"):
        if not all(isinstance(item, str) for item in values[name]):
            raise ConfigError(reader.file, f"{key}.{name}", "expected a list of strings")
        values[name] = tuple(values[name])
    values["session_hours"] = float(values["session_hours"])
    return StaffSettings(**values)


def _thesauri(reader: _Reader, value: Any, key: str) -> tuple[str, ...]:
    """Thesaurus codes, folded as `harvester.marc.headings.thesaurus` writes them ("LCSH" = "lcsh")."""
    if not all(isinstance(code, str) and code.strip() for code in value):
        raise ConfigError(reader.file, key, f'expected a list of thesaurus codes like ["lcsh", "mesh"], got {value!r}')
    return tuple(dict.fromkeys(code.strip().casefold() for code in value))


def _oai_options(reader: _Reader, raw: dict[str, Any], key: str) -> OAIOptions:
    """The ``options`` table: unknown keys fail here, at load time, with the file and the key."""
    reader.only(raw, key, set(OAI_OPTIONS))
    values: dict[str, Any] = {}
    for name in raw:
        value = reader.value(raw, OAI_OPTIONS[name], key)
        values[name] = float(value) if name in _FLOAT_OPTIONS else value
    return OAIOptions(**values)


_FLOAT_OPTIONS = {name for name, setting in OAI_OPTIONS.items() if setting.kind == (int, float)}


def _resolve(base: Path, text: str) -> Path:
    path = Path(os.path.expanduser(text))
    return path if path.is_absolute() else (base / path).resolve()


@dataclass(frozen=True, slots=True)
class _Reader:
    """Typed look-ups whose errors name the file and the full key."""

    file: Path

    def get(self, table: dict[str, Any], name: str, kind: Any, default: Any, prefix: str = "") -> Any:
        if name not in table:
            return default
        value = table[name]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds or not isinstance(value, kind):  # true is not a number
            expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise ConfigError(self.file, _join(prefix, name), f"expected {expected}, got {value!r}")
        return value

    def value(self, table: dict[str, Any], setting: Setting, prefix: str = "") -> Any:
        """The setting's value in the table (its declared default when absent), type- and choice-checked."""
        if setting.choices:
            return self.choice(table, setting.name, setting.choices, setting.default, prefix)
        return self.get(table, setting.name, setting.kind, setting.default, prefix)

    def choice(self, table: dict[str, Any], name: str, options: tuple[str, ...], default: str, prefix: str) -> str:
        value = self.get(table, name, str, default, prefix)
        if value not in options:
            raise ConfigError(
                self.file, _join(prefix, name), f"must be one of {', '.join(options)} (got {value!r})"
            )
        return str(value)

    def only(self, table: dict[str, Any], prefix: str, allowed: set[str]) -> None:
        for name in table:
            if name not in allowed:
                raise ConfigError(
                    self.file, _join(prefix, name), f"unknown setting; known: {', '.join(sorted(allowed))}"
                )


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name
