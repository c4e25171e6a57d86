"""`unioncat index`, `search`, `holdings` and `clusters` through the real root command (click's CliRunner)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from harvester.record import Holding
from harvester.store import RecordStore
from search_ui.cli import cli
from tests.indexer.conftest import LIBRARIES, Catalogue, make_record

ISBN = "9780306406157"


@pytest.fixture
def config(tmp_path: Path, store: RecordStore, catalogue: Catalogue) -> Path:
    """A config whose data_dir is the store fixture's folder, with five records in it."""
    lines = ['data_dir = "var"']
    for source_id, (code, name) in LIBRARIES.items():
        lines += ["[[sources]]", f'id = "{source_id}"', 'path = "unused"',
                  f'library = {{ code = "{code}", name = "{name}" }}']
    path = tmp_path / "unioncat.toml"
    path.write_text("\n".join(lines) + "\n")
    catalogue.put(
        make_record("lib-a:1", title="Moby Dick", isbns=(ISBN,), year=1851, authors=()),
        make_record("lib-b:1", title="Moby Dick", isbns=(ISBN,), year=1851),
        make_record("lib-a:2", title="Walden", year=1854),
        make_record("lib-c:1", title="Whale songs", year=1990, format="music-recording"),
    )
    return path


def invoke(config: Path, *args: str, input: str | None = None) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config), *args], input=input, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_index_then_incremental_index(config: Path) -> None:
    first = invoke(config, "index", "--quiet")
    assert "full rebuild" in first and "4 records clustered, 3 clusters" in first
    assert "3 documents indexed (1 held by 2+ libraries)" in first
    second = invoke(config, "index", "-q")
    assert "incremental" in second and "0 documents indexed" in second


def test_search_json_shape_filters_and_facets(config: Path) -> None:
    invoke(config, "index", "-q")
    data = json.loads(invoke(config, "search", "--json", "moby", "dick"))
    assert data["total"] == 1
    [hit] = data["hits"]
    assert {"id", "title", "authors", "year", "format", "members", "libraries"} <= set(hit)
    assert hit["title"] == "Moby Dick" and hit["year"] == 1851 and hit["format"] == "Book"
    assert hit["members"] == ["lib-a:1", "lib-b:1"]
    assert hit["libraries"] == ["Library A", "Library B"]
    assert data["facets"]["library"] == [
        {"value": "Library A", "count": 1}, {"value": "Library B", "count": 1},
    ]
    everything = json.loads(invoke(config, "search", "--json", "--limit", "2"))
    assert everything["total"] == 3 and len(everything["hits"]) == 2
    assert sum(f["count"] for f in everything["facets"]["format"]) == 3
    narrowed = json.loads(invoke(config, "search", "--json", "--filter", "format=Music recording"))
    assert [h["title"] for h in narrowed["hits"]] == ["Whale songs"]
    years = json.loads(invoke(config, "search", "--json", "--filter", "year=1850-1852", "--sort", "oldest"))
    assert [h["title"] for h in years["hits"]] == ["Moby Dick"]
    text = invoke(config, "search", "walden")
    assert "1 result(s)" in text and "held by 1 library: Library A" in text


def test_search_rejects_unknown_filters(config: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(config), "search", "--filter", "colour=red", "x"])
    assert result.exit_code == 2 and "unknown field 'colour'" in result.output


def test_holdings_from_arguments_stdin_and_as_csv(config: Path) -> None:
    invoke(config, "index", "-q")
    text = invoke(config, "holdings", "0-306-40615-2", "nonsense")
    assert "0-306-40615-2 → ISBN 9780306406157: held by 2 libraries, none says it lends" in text
    assert "Library A" in text and "Library B" in text and "CN 1" in text
    assert "nonsense → not an ISBN" in text and "lending string: (none: no library says it lends)" in text
    piped = invoke(config, "holdings", "-", "--csv", input="978-0-306-40615-7\n0306406152\n")
    rows = list(csv.DictReader(io.StringIO(piped)))
    assert [(r["query"], r["library"]) for r in rows] == [
        ("978-0-306-40615-7", "Library A"), ("978-0-306-40615-7", "Library B"),
        ("0306406152", "Library A"), ("0306406152", "Library B"),
    ]


def test_holdings_ranks_lenders_from_the_requesting_library(tmp_path: Path, store: RecordStore,
                                                             catalogue: Catalogue) -> None:
    places = {"lib-a": (36.001, -78.938), "lib-b": (35.910, -79.048), "lib-c": (42.276, -83.738)}
    lines = ['data_dir = "var"']
    for source_id, (code, name) in LIBRARIES.items():
        lat, lon = places[source_id]
        lines += ["[[sources]]", f'id = "{source_id}"', 'path = "unused"',
                  f'library = {{ code = "{code}", name = "{name}", lat = {lat}, lon = {lon} }}']
    config = tmp_path / "unioncat.toml"
    config.write_text("\n".join(lines) + "\n")
    for source_id, (code, name) in LIBRARIES.items():
        copy = Holding(code, name, call_number="PS1", copies=1, kind="item", lendable=True, available=True,
                       basis="status - (Available)")
        catalogue.put(make_record(f"{source_id}:9", title="Walden", isbns=(ISBN,), holdings=(copy,)))
    invoke(config, "index", "-q")
    text = invoke(config, "holdings", "--requester", "LA", ISBN)
    assert "1. LB Library B: available now, 14 km" in text
    assert "2. LC Library C: available now, 811 km" in text
    assert "Library A: your library (the requester is never a lender)" in text
    assert "lending string: LB,LC" in text
    rows = list(csv.DictReader(io.StringIO(invoke(config, "holdings", "--requests", "--requester", "LA", ISBN))))
    assert [(r["query"], r["lending_string"]) for r in rows] == [(ISBN, "LB,LC")]
    wrong = CliRunner().invoke(cli, ["--config", str(config), "holdings", "--requester", "XX", ISBN])
    assert wrong.exit_code == 2 and "'XX' is not a configured library" in wrong.output


def test_clusters_lists_every_cluster_including_singletons(config: Path) -> None:
    invoke(config, "index", "-q")
    lines = [json.loads(line) for line in invoke(config, "clusters", "--format", "jsonl").splitlines()]
    assert sorted(sorted(c["members"]) for c in lines) == [["lib-a:1", "lib-b:1"], ["lib-a:2"], ["lib-c:1"]]
    assert all(set(c) == {"id", "members"} and c["id"].startswith("c") for c in lines)
    result = CliRunner().invoke(cli, ["--config", str(config), "clusters", "--min-size", "2"])
    assert result.stdout.count("\n") == 1 and "lib-a:1 lib-b:1" in result.stdout
    assert "1 of 3 clusters shown; 4 records in all." in result.stderr


def test_search_before_any_index_says_what_to_do(config: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(config), "search", "--json", "moby"])
    assert result.exit_code == 0 and json.loads(result.stdout)["total"] == 0
    assert "run `unioncat harvest` and `unioncat index` first" in result.stderr
