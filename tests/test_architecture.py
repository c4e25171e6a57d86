"""The shape of the code, checked: one-way flow, no import cycles, SQL only in the stores, small modules.

These are the rules of the house (README "How it is built"); each test names what broke them so the fix
is obvious. Imports inside functions and under ``TYPE_CHECKING`` count too: an import cycle hidden in a
function is still a cycle.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("harvester", "indexer", "search_ui")
UPSTREAM = {"harvester": set(), "indexer": {"harvester"}, "search_ui": {"harvester", "indexer"}}

SQL_HOMES = (
    "harvester/store/",  # the record store: every statement on its tables
    "indexer/dedup/clusters.py",  # the indexer's own store: the clustering tables
    "indexer/dedup/cluster_schema.py",
    "indexer/dedup/overrides.py",
    "indexer/dedup/cluster_changes.py",  # cluster change times for the OAI-PMH provider (joins the members)
    "indexer/dedup/cluster_write.py",  # a full pass's result, streamed through temporary tables
    "indexer/dedup/cluster_keys.py",  # a full pass's key-table rows, made by the clustering workers
    "indexer/analytics/store.py",  # the collection analytics' own tables (profiles, staging, cells)
)
"""Where SQL may be written. A new module with tables of its own belongs in this list only if it owns
tables (created through `RecordStore.migrate`); reading or writing the store's tables goes through
`harvester.store` methods."""

MAX_LINES = 450
"""The guideline is ~400 lines a module; past this, split it by concept."""

_SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+"
                  r"(TABLE|INDEX)|ALTER\s+TABLE|DROP\s+TABLE)\b", re.S)
"""Statements as this project writes them: keywords in capitals (a log line saying "create index" is not SQL)."""


@cache
def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _resolve(name: str) -> str | None:
    """The project module an import refers to (the longest existing prefix), or None if not ours."""
    known = modules()
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


@cache
def imports_of(module: str) -> frozenset[str]:
    path = modules()[module]
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names]
            if any(name not in modules() for name in names):
                names.append(base)  # a name defined in the module itself, not a sub-module
        for name in names:
            target = _resolve(name)
            if target and target != module:
                targets.add(target)
    return frozenset(targets)


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in imports_of(node):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in modules():
        if module not in index:
            visit(module)
    return found


def _package_init_reexports(module: str, target: str) -> bool:
    """A package's __init__ importing its own sub-modules (to re-export them) is not a cycle of concepts."""
    return modules()[module].name == "__init__.py" and target.startswith(module + ".")


def test_the_project_modules_are_found() -> None:
    # guards the checks below against silently checking nothing
    assert {"harvester.store", "indexer.dedup.clusters", "search_ui.app"} <= set(modules())
    assert "harvester.store" in imports_of("indexer.catalog")


def test_no_import_cycles_even_inside_functions() -> None:
    cycles = []
    for component in _cycles():
        inner = [
            (a, b) for a in component for b in imports_of(a) if b in component and not _package_init_reexports(a, b)
        ]
        if inner:
            cycles.append(" <-> ".join(component) + f"  (edges: {sorted(inner)})")
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_data_flows_one_way_harvester_indexer_search_ui() -> None:
    upward = [
        f"{module} imports {target}"
        for module in modules()
        for target in imports_of(module)
        if (top := target.split(".")[0]) != (home := module.split(".")[0]) and top not in UPSTREAM[home]
    ]
    assert not upward, "upward imports:\n" + "\n".join(sorted(upward))


def test_sql_is_written_only_in_the_stores() -> None:
    offenders = []
    for path in modules().values():
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(SQL_HOMES):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _SQL.search(node.value):
                if not _is_docstring_like(node.value):
                    offenders.append(f"{relative}:{node.lineno}: {node.value[:60]!r}")
    assert not offenders, "SQL outside the stores (add a store method instead):\n" + "\n".join(offenders)


def _is_docstring_like(text: str) -> bool:
    """Prose that mentions SQL words (a docstring) rather than a statement: it has sentence punctuation."""
    return "\n" in text and ". " in text and not text.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE"))


def test_the_sql_check_would_catch_a_statement() -> None:
    assert _SQL.search("SELECT id FROM records WHERE seq > ?")
    assert _SQL.search("DELETE FROM quarantine WHERE source_id = ?")
    assert _SQL.search("INSERT OR IGNORE INTO cluster_pending VALUES (?)")
    assert not _SQL.search("Select the records to update from the list")
    assert not _SQL.search("create index unioncat-v2 (3 shards)")


def test_modules_stay_small() -> None:
    large = []
    for path in modules().values():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            large.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert not large, f"modules over {MAX_LINES} lines (split them by concept):\n" + "\n".join(large)
