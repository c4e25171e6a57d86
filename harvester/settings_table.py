"""Every setting unioncat reads from its config file, declared once: name, type, default and help.

The settings dataclasses (`harvester.settings`) take their defaults from these tables and the TOML
reader takes the allowed keys, types and choices from them, so a setting cannot exist in one place and
not the other; `tests/test_docs.py` walks the tables to check that each one is documented.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SOURCE_TYPES = ("marc", "oai-pmh")
MARC_FORMATS = ("auto", "iso2709", "marcxml", "marcjson", "aleph", "mrk")
FILE_ORDERS = ("name", "mtime")
BACKENDS = ("embedded", "opensearch")


@dataclass(frozen=True, slots=True)
class Setting:
    """One key of the config file."""

    name: str
    kind: type | tuple[type, ...]
    default: Any
    help: str
    choices: tuple[str, ...] = ()


def _table(*settings: Setting) -> Mapping[str, Setting]:
    return {setting.name: setting for setting in settings}


TOP = _table(
    Setting("data_dir", str, "var", "where the record store, the search index and logs live"),
    Setting("workers", int, 0, "processes parsing file harvests, clustering a full pass and building its documents "
                               "(0 = one per core)"),
    Setting("batch_size", int, 500, "records per write transaction"),
    Setting("search", dict, {}, "the [search] table: which search backend, and how to reach it"),
    Setting("limits", dict, {}, "the [limits] table: size caps on hostile or broken input (LIMITS)"),
    Setting("sources", list, [], "one [[sources]] table per partner"),
    Setting("staff", dict, {}, "the [staff] table: fields hidden from the public, staff sign-in and cookies"),
)

SEARCH = _table(
    Setting("backend", str, "embedded", "embedded (tantivy, no server) or opensearch", BACKENDS),
    Setting("index_dir", str, None, "embedded: the index folder (default data_dir/index)"),
    Setting("url", str, "http://localhost:9200", "opensearch: the cluster URL"),
    Setting("username", str, "", "opensearch: user for HTTP basic auth"),
    Setting("password", str, "", "opensearch: its password"),
    Setting("verify_certs", bool, True, "opensearch: check the cluster's TLS certificate"),
    Setting("ca_certs", str, "", "opensearch: a CA bundle for that check"),
    Setting("index_prefix", str, "unioncat", "opensearch: index and alias names start with this"),
    Setting("shards", int, 1, "opensearch: primary shards of a new index"),
    Setting("replicas", int, 0, "opensearch: replicas of each shard"),
    Setting("facet_thesauri", list, ("lcsh",), "subject thesauri the Subject facet lists (codes as in 6XX "
            "ind2 / $2: lcsh, mesh, fast, gnd, sao …); headings from others stay searchable; change → full reindex"),
)

SOURCE = _table(
    Setting("id", str, None, "short id, used in record ids id:localid (required)"),
    Setting("name", str, None, "display name of the source (default: the id)"),
    Setting("type", str, "marc", "marc (files) or oai-pmh (a feed)", SOURCE_TYPES),
    Setting("library", (dict, str), None, "{ code, name, lat, lon } of the holding library, or a code"),
    Setting("holdings", (dict, str), "marc21", "a holdings profile name, or a table { profile = …, overrides }"),
    Setting("path", str, None, "marc: a file, a folder (read recursively) or a glob"),
    Setting("format", str, "auto", "marc: sniffed, or forced", MARC_FORMATS),
    Setting("encoding", str, None, "marc: force a character set when leaders lie"),
    Setting("id_field", (str, list), "001", "where the local id lives: 001, 035a, 907a …, or an ordered list of them"),
    Setting("order", str, "name", "marc: the order a folder's files are read in (a later record supersedes)",
            FILE_ORDERS),
    Setting("dedup_within_source", bool, False, "let this source's own records merge with each other"),
    Setting("url", str, "", "oai-pmh: the base URL"),
    Setting("metadata_prefix", str, "", "oai-pmh: the format to ask for (discovered when empty)"),
    Setting("set", str, None, "oai-pmh: one set to harvest"),
    Setting("sets", list, None, "oai-pmh: several sets to harvest (none: the whole feed)"),
    Setting("headers", dict, {}, "oai-pmh: extra HTTP headers"),
    Setting("rate_limit", (int, float), 2.0, "oai-pmh: requests per second (0 = no cap)"),
    Setting("timeout", (int, float), 30.0, "oai-pmh: seconds to wait for a response"),
    Setting("options", dict, {}, "oai-pmh: retry, backoff and window tuning (OAI_OPTIONS)"),
    Setting("limits", dict, {}, "this source's own size caps, over the top-level [limits] (LIMITS)"),
)

LIBRARY = _table(
    Setting("code", str, None, "the library's code or symbol (default: the source id)"),
    Setting("name", str, None, "the library's name (default: the source name)"),
    Setting("lat", (int, float), None, "latitude, for distances between libraries"),
    Setting("lon", (int, float), None, "longitude"),
)

OAI_OPTIONS = _table(
    Setting("max_retries", int, 5, "retries of a failed request"),
    Setting("backoff_base", (int, float), 1.0, "first backoff in seconds, doubled each retry"),
    Setting("backoff_cap", (int, float), 60.0, "longest backoff in seconds"),
    Setting("max_wait", (int, float), 300.0, "cap on any single wait, Retry-After included (seconds)"),
    Setting("malformed_retries", int, 2, "extra fetches of a page that is not well-formed"),
    Setting("overlap_seconds", (int, float), 60.0, "incremental harvests start this much before the watermark"),
    Setting("max_window_restarts", int, 3, "restarts of a date window after badResumptionToken"),
    Setting("max_empty_pages", int, 10, "pages of nothing in a row before the server is stopped"),
    Setting("max_splits", int, 100, "halvings of a failing date window"),
    Setting("min_window_seconds", (int, float), 1.0, "the smallest date window a split may make"),
    Setting("workers", int, None, "mapping processes for large pages (default 2)"),
    Setting("parallel_threshold", int, 100, "records a page needs before workers map it"),
    Setting("retry_isolated", int, 100, "records isolated by earlier runs fetched again per run"),
    Setting("server_error_retries", int, 1, "extra tries of a page the server answers with 5xx before isolating"),
)

MIB = 1 << 20

LIMITS = _table(
    Setting("max_response_bytes", int, 32 * MIB,
            "oai-pmh: largest response body after gzip/deflate decoding; a larger page is refused"),
    Setting("max_record_bytes", int, 4 * MIB, "largest raw record stored; a larger one is quarantined"),
    Setting("max_unterminated_bytes", int, 16 * MIB,
            "ISO 2709: bytes read looking for a record terminator before skipping to the next one"),
    Setting("quarantine_excerpt_bytes", int, 1 * MIB,
            "raw bytes kept per quarantine entry; a longer input keeps this excerpt and its size"),
)
"""Caps that keep memory and disk bounded whatever a source sends (decompression bombs, 50 MB fields,
files without a record terminator). Every value is in bytes and must be positive."""

DEFAULT_HIDDEN_FIELDS = ["852$x", "876-878$x", "9XX", "541 ind1=0", "561 ind1=0", "583 ind1=0"]
"""Staff-only MARC by default: non-public notes (852/876-878 $x), local item and order fields (9XX:
prices, barcodes, order data), and acquisition source, ownership history and action notes whose first
indicator 0 marks them private (541, 561, 583). Grammar: `search_ui.staff.hidden`."""

STAFF = _table(
    Setting("hidden_fields", list, DEFAULT_HIDDEN_FIELDS,
            'MARC shown only to signed-in staff: "TAG[-TAG][$codes][ ind1=chars]", X as a digit wildcard'),
    Setting("secure_cookies", bool, True,
            "send the staff session cookie over HTTPS only (false for http://127.0.0.1 dev)"),
    Setting("session_hours", (int, float), 8.0, "hours a staff sign-in lasts"),
    Setting("auth_header", str, "",
            "trust this request header (set by the institution's proxy) as the staff user name; empty = off"),
    Setting("trusted_proxies", list, ["127.0.0.1"], "client addresses allowed to send auth_header (the proxy's)"),
)

TABLES: Mapping[str, Mapping[str, Setting]] = {
    "": TOP,
    "search": SEARCH,
    "sources[]": SOURCE,
    "sources[].library": LIBRARY,
    "sources[].options": OAI_OPTIONS,
    "limits": LIMITS,
    "sources[].limits": LIMITS,
    "staff": STAFF,
}
"""Every table of the config file, by where it sits (holdings profiles are described in `marc.profiles`)."""
