"""`unioncat explain` / `unioncat override` end to end, on the bundled HathiTrust demo sources.

Real parts only: the four `samples/hathitrust-*` sources (Goldfinch records contributed by four member
libraries, no identifiers; the first record of each pair is in set A or C, the second in B or D) are
harvested by `unioncat harvest` into a real SQLite store and clustered by `unioncat index` (embedded
tantivy backend) through the root command. The labels of their 261 pairs
are in tests/data/dedup/hathitrust_pairs.csv.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from harvester.store import RecordStore
from indexer.dedup.clusters import ClusterStore
from search_ui.cli import cli

ROOT = Path(__file__).resolve().parents[2]
PAIRS = ROOT / "tests" / "data" / "dedup" / "hathitrust_pairs.csv"
LETTERS = ("a", "b", "c", "d")


def source_of() -> dict[str, str]:
    """Local id → the demo source that holds it."""
    found: dict[str, str] = {}
    for letter in LETTERS:
        path = ROOT / "samples" / f"hathitrust-{letter}" / f"hathitrust_{letter}.jsonl"
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            local_id = next(f["001"] for f in record["fields"] if "001" in f)
            found[local_id] = f"hathitrust-{letter}"
    return found


def write_config(folder: Path) -> Path:
    config = folder / "unioncat.toml"
    lines = ['data_dir = "var"']
    for letter in LETTERS:
        lines += [
            "[[sources]]",
            f'id = "hathitrust-{letter}"',
            f'name = "HathiTrust contributions (set {letter.upper()})"',
            f'path = "{ROOT / "samples" / f"hathitrust-{letter}"}"',
            'format = "marcjson"',
            f'library = {{ code = "HT-{letter.upper()}", name = "Member library {letter.upper()}" }}',
        ]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def invoke(config: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def labelled_pairs() -> list[tuple[str, str, int]]:
    where = source_of()
    with open(PAIRS, encoding="utf-8", newline="") as handle:
        return [(f"{where[r['id_a']]}:{r['id_a']}", f"{where[r['id_b']]}:{r['id_b']}", int(r["label"]))
                for r in csv.DictReader(handle)]  # fmt: skip


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    config = write_config(folder)
    invoke(config, "harvest", "-q", "--workers", "1")
    invoke(config, "index", "-q")
    return folder


@pytest.fixture
def config(indexed: Path, tmp_path: Path) -> Path:
    """A private copy of the harvested and indexed demo, so tests may change overrides."""
    shutil.copytree(indexed / "var", tmp_path / "var")
    return write_config(tmp_path)


def clusters(config: Path) -> dict[str, str]:
    store = RecordStore(config.parent / "var" / "unioncat.sqlite")
    try:
        return {rid: cid for cid, members in ClusterStore(store).iter_clusters() for rid in members}
    finally:
        store.close()


def test_demo_sources_show_merged_clusters_across_libraries(config: Path) -> None:
    cluster_of = clusters(config)
    pairs = labelled_pairs()
    duplicates = [(a, b) for a, b, y in pairs if y]
    merged = sum(cluster_of[a] == cluster_of[b] for a, b in duplicates)
    wrong = sum(cluster_of[a] == cluster_of[b] for a, b, y in pairs if not y)
    assert merged >= 0.93 * len(duplicates) and wrong <= 2
    lines = [json.loads(x) for x in invoke(config, "clusters", "--format", "jsonl").splitlines()]
    assert sum(1 for c in lines if len(c["members"]) == 2) >= 180


def test_explain_shows_rules_scores_and_current_clusters(config: Path) -> None:
    a, b = next((a, b) for a, b, y in labelled_pairs() if y)
    text = invoke(config, "explain", a, b)
    assert "SAME item" in text and "clusters: both in c" in text
    assert "title_sim" in text and "decision" in text
    data = json.loads(invoke(config, "explain", "--json", a, b))
    assert data["same"] and data["same_cluster"] and data["override"] == ""
    assert {"rule", "detail", "score", "veto"} == set(data["reasons"][0])
    missing = invoke(config, "explain", a, "hathitrust-b:nope", code=1)
    assert "no stored record 'hathitrust-b:nope'" in missing


def test_split_and_merge_overrides_apply_and_survive_rebuild(config: Path) -> None:
    pairs = labelled_pairs()
    a, b = next((a, b) for a, b, y in pairs if y)
    c, d = next((c, d) for c, d, y in pairs if not y)
    invoke(config, "override", "split", a, b)
    invoke(config, "override", "merge", d, c)
    listing = invoke(config, "override", "list")
    assert f"split  {min(a, b)} {max(a, b)}" in listing and "merge" in listing
    invoke(config, "index", "-q")
    cluster_of = clusters(config)
    assert cluster_of[a] != cluster_of[b] and cluster_of[c] == cluster_of[d]
    assert "staff override: force-split" in invoke(config, "explain", a, b)
    invoke(config, "index", "--rebuild", "-q")
    cluster_of = clusters(config)
    assert cluster_of[a] != cluster_of[b] and cluster_of[c] == cluster_of[d]
    invoke(config, "override", "remove", "split", b, a)
    invoke(config, "index", "-q")
    assert clusters(config)[a] == clusters(config)[b]
    assert "no split override" in invoke(config, "override", "remove", "split", a, b, code=1)


def test_block_takes_a_normalized_identifier_key(config: Path) -> None:
    out = invoke(config, "override", "block", "ISBN:0-306-40615-2")
    assert "block isbn:9780306406157" in out
    rows = json.loads(invoke(config, "override", "list", "--json"))
    assert [(r["kind"], r["a"]) for r in rows] == [("block", "isbn:9780306406157")]
    assert "not a valid ISBN" in invoke(config, "override", "block", "isbn:123", code=1)
    invoke(config, "override", "remove", "block", "isbn:9780306406157")
    assert "no overrides" in invoke(config, "override", "list")


def test_explain_says_when_a_pair_was_never_compared_and_lists_the_keys(config: Path) -> None:
    pairs = labelled_pairs()
    a, b = pairs[0][0], pairs[1][1]  # records of two different labelled pairs: unrelated titles
    data = json.loads(invoke(config, "explain", "--json", a, b))
    blocking = data["blocking"]
    assert not blocking["compared"] and blocking["reason"].startswith("never compared: no blocking key")
    assert blocking["keys_a"] and blocking["keys_b"] and blocking["shared_keys"] == []
    text = invoke(config, "explain", a, b)
    assert "blocking: never compared" in text and f"keys of {a}: " in text
    c, d = next((c, d) for c, d, y in pairs if y)
    compared = json.loads(invoke(config, "explain", "--json", c, d))["blocking"]
    assert compared["compared"] and compared["shared_keys"]
    assert "blocking: compared: they share" in invoke(config, "explain", c, d)
