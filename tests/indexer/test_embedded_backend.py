"""Embedded-only behaviour: versioned folders, atomic rebuild under concurrent readers, analyzers on reopen.

Search semantics shared with OpenSearch live in `test_backend_contract.py`; this file covers what only
the tantivy folder layout can get wrong.
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from harvester.settings import SearchSettings, Settings
from indexer.errors import BackendError
from indexer.search import analysis
from indexer.search.analysis import fuzzy_distance
from indexer.search.backends import open_backend
from indexer.search.backends.base import SearchBackend, SearchRequest
from indexer.search.backends.embedded import EmbeddedBackend, facets
from indexer.search.backends.embedded.versions import CURRENT, SCHEMA_FILE
from indexer.search.schema import FIELDS_BY_NAME
from tests.indexer.test_backend_contract import DOCS, FILLERS, make_doc

REPO = Path(__file__).resolve().parents[2]


def total(backend: SearchBackend, text: str) -> int:
    return backend.search(SearchRequest(text=text)).total


def versions(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if p.is_dir() and p.name.startswith("v"))


def test_analyzers_fold_and_stem() -> None:
    assert analysis.analyze_stemmed("Łódź Müller whaling Straße") == ["lodz", "muller", "whale", "strass"]
    assert analysis.analyze_folded("Running WHALES") == ["running", "whales"]


def test_fuzzy_distance_grows_with_word_length() -> None:
    assert [fuzzy_distance(w) for w in ("ab", "abc", "muller", "abcdefg", "abcdefgh")] == [0, 1, 1, 1, 2]


def test_a_new_folder_is_an_empty_searchable_index(tmp_path: Path) -> None:
    backend = EmbeddedBackend(tmp_path / "index")
    assert backend.count() == 0
    assert total(backend, "anything") == 0
    assert (tmp_path / "index" / CURRENT).read_text().strip() in versions(tmp_path / "index")


def test_reopen_registers_analyzers_again(tmp_path: Path) -> None:
    first = EmbeddedBackend(tmp_path)
    first.rebuild(iter(DOCS[:2]))
    first.close()
    reopened = EmbeddedBackend(tmp_path)  # a new tantivy.Index object: custom analyzers must be re-registered
    reopened.index([make_doc("c-new", "Grüße aus Kraków", authors=["Nowak, Zoë"])])
    reopened.commit()
    assert reopened.get("c-new") is not None
    assert total(reopened, "krakow") == 1
    assert total(reopened, "grusse") == 1
    assert total(reopened, "zoe") == 1
    reopened.close()


def test_rebuild_swaps_atomically_while_another_instance_searches(tmp_path: Path) -> None:
    writer = EmbeddedBackend(tmp_path)
    writer.rebuild(iter(DOCS))
    reader = EmbeddedBackend(tmp_path)  # like the web server: a separate instance on the same folder
    assert total(reader, "moby") == 2
    errors: list[BaseException] = []
    seen: set[int] = set()
    done = threading.Event()

    def search_loop() -> None:
        while not done.is_set():
            try:
                seen.add(total(reader, "ferns OR moby"))
            except BaseException as exc:  # noqa: BLE001 - any failure is the test's finding
                errors.append(exc)
                return

    thread = threading.Thread(target=search_loop)
    thread.start()
    try:
        for _ in range(3):
            writer.rebuild(iter(FILLERS))
            writer.rebuild(iter(DOCS))
        writer.rebuild(iter(FILLERS))
    finally:
        done.set()
        thread.join()
    assert errors == []
    assert seen <= {2, 25}  # always a whole version, never a half-built one
    assert total(reader, "moby") == 0 and total(reader, "ferns") == 25  # the reader noticed the swap
    assert len(versions(tmp_path)) <= 2  # current + previous kept, older versions deleted


def test_reader_in_another_process_notices_rebuilds_and_commits(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from indexer.search.backends.embedded import EmbeddedBackend\n"
        "from indexer.search.backends.base import SearchRequest\n"
        "b = EmbeddedBackend(Path(sys.argv[1]))\n"
        "for line in sys.stdin:\n"
        "    print(b.search(SearchRequest(text=line.strip())).total, flush=True)\n"
    )
    writer = EmbeddedBackend(tmp_path)
    writer.rebuild(iter(DOCS))
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert proc.stdin is not None and proc.stdout is not None
    stdin, stdout = proc.stdin, proc.stdout

    def ask(text: str) -> int:
        stdin.write(text + "\n")
        stdin.flush()
        return int(stdout.readline())

    try:
        assert ask("moby") == 2
        writer.rebuild(iter(FILLERS))
        assert ask("moby") == 0 and ask("ferns") == 25
        writer.index([make_doc("c-late", "A late whale")])
        writer.commit()
        assert ask("late") == 1  # incremental commit to the live version, seen without a restart
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)
        proc.stdout.close()
        writer.close()


def test_failed_rebuild_keeps_the_old_index(tmp_path: Path) -> None:
    backend = EmbeddedBackend(tmp_path)
    backend.rebuild(iter(DOCS))
    live = (tmp_path / CURRENT).read_text().strip()

    def broken():
        yield FILLERS[0]
        raise RuntimeError("source went away")

    with pytest.raises(RuntimeError):
        backend.rebuild(broken())
    assert (tmp_path / CURRENT).read_text().strip() == live
    assert versions(tmp_path) == [live]
    assert total(backend, "moby") == 2


def test_bad_document_is_refused_with_a_reason(tmp_path: Path) -> None:
    backend = EmbeddedBackend(tmp_path)
    with pytest.raises(ValueError, match="without an id"):
        backend.index([{"title": "no id"}])


def test_second_writer_gets_a_clear_error(tmp_path: Path) -> None:
    first = EmbeddedBackend(tmp_path)
    first.rebuild(iter(DOCS))
    second = EmbeddedBackend(tmp_path)
    first.index(DOCS[:1])
    with pytest.raises(BackendError, match="another process"):
        second.index(DOCS[:1])
    first.close()


def test_index_built_by_another_schema_asks_for_a_rebuild(tmp_path: Path) -> None:
    backend = EmbeddedBackend(tmp_path)
    backend.rebuild(iter(DOCS))
    live = (tmp_path / CURRENT).read_text().strip()
    (tmp_path / live / SCHEMA_FILE).write_text("older\n")
    stale = EmbeddedBackend(tmp_path)
    with pytest.raises(BackendError, match="index --rebuild"):
        stale.count()
    stale.rebuild(iter(DOCS[:3]))
    assert stale.count() == 3


def test_identifiers_are_normalized_at_index_time(tmp_path: Path) -> None:
    backend = EmbeddedBackend(tmp_path)
    backend.rebuild([make_doc("c-raw", "Raw ids", isbn=["0-306-40615-2 (pbk.)"], issn=["0317 8471"])])
    assert backend.get("c-raw")["isbn"] == ["9780306406157"]  # type: ignore[index]
    assert total(backend, "isbn:9780306406157") == 1
    assert total(backend, "issn:0317-8471") == 1


def test_display_round_trips_as_a_dict(tmp_path: Path) -> None:
    backend = EmbeddedBackend(tmp_path)
    doc = make_doc("c-d", "Display")
    doc["display"] = {"title": "Display <b>&</b>", "links": [{"url": "http://x", "label": "x"}], "year": None}
    backend.rebuild([doc])
    assert backend.get("c-d")["display"] == doc["display"]  # type: ignore[index]


def test_info_names_the_live_version(tmp_path: Path) -> None:
    backend = EmbeddedBackend(tmp_path)
    backend.rebuild(iter(DOCS))
    info = backend.info()
    assert info["backend"] == "embedded" and info["documents"] == len(DOCS)
    assert Path(info["path"]).name == (tmp_path / CURRENT).read_text().strip()


def test_open_backend_follows_the_settings(tmp_path: Path) -> None:
    settings = Settings(config_file=tmp_path / "x.toml", data_dir=tmp_path, sources=())
    backend = open_backend(settings)
    assert isinstance(backend, EmbeddedBackend) and backend.index_dir == tmp_path / "index"
    custom = Settings(tmp_path / "x.toml", tmp_path, (), SearchSettings(index_dir=tmp_path / "elsewhere"))
    assert open_backend(custom).index_dir == tmp_path / "elsewhere"  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="unknown search backend"):
        open_backend(Settings(tmp_path / "x.toml", tmp_path, (), SearchSettings(backend="solr")))


def test_whole_index_facet_counts_are_cached_until_the_index_changes(tmp_path: Path) -> None:
    backend = EmbeddedBackend(tmp_path)
    backend.rebuild(iter(DOCS))
    before = {f.value for f in backend.search(SearchRequest()).facets["library"]}
    assert backend.search(SearchRequest()).facets["library"]  # second call served from the cache
    backend.index([make_doc("c-new", "New library", library=["Elon University"])])
    backend.commit()
    after = {f.value for f in backend.search(SearchRequest()).facets["library"]}
    assert after == before | {"Elon University"}
    filtered = backend.search(SearchRequest(filters={"library": ("Elon University",)}))
    assert {f.value for f in filtered.facets["library"]} == after  # own filter left out: whole index
    assert filtered.total == 1


def test_concurrent_searches_from_many_threads_agree(tmp_path: Path) -> None:
    backend = EmbeddedBackend(tmp_path)
    backend.rebuild(iter(DOCS + FILLERS))
    expected = backend.search(SearchRequest(text="ferns", per_page=5)).to_json()
    answers: list[dict] = []

    def worker() -> None:
        for _ in range(20):
            answers.append(backend.search(SearchRequest(text="ferns", per_page=5)).to_json())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 80 and all(answer == expected for answer in answers)


def test_close_then_search_reopens(tmp_path: Path) -> None:
    backend = EmbeddedBackend(tmp_path)
    backend.rebuild(iter(DOCS))
    backend.close()
    assert total(backend, "moby") == 2
    backend.close()


def test_decomposed_unicode_matches_composed_both_ways(tmp_path: Path) -> None:
    backend = EmbeddedBackend(tmp_path)
    backend.rebuild(
        [
            make_doc(
                "c-nfd",
                "Die Wale",
                authors=["Mu\u0308ller, Ju\u0308rgen"],
                library=["Universita\u0308t Wien"],
            ),
            make_doc("c-nfc", "Łódź", authors=["Kowalski, Jan"]),
        ]
    )
    assert total(backend, "Müller") == 1  # typed composed, indexed decomposed
    assert total(backend, "muller") == 1
    assert total(backend, "Ło\u0301dz\u0301") == 1
    facet_values = {f.value for f in backend.search(SearchRequest()).facets["library"]}
    assert "Universität Wien" in facet_values  # stored composed, so a composed filter matches
    assert backend.search(SearchRequest(filters={"library": ("Universita\u0308t Wien",)})).total == 1


def test_random_punctuation_soup_never_raises_anything_but_query_error(tmp_path: Path) -> None:
    import random

    from indexer.errors import QueryError

    backend = EmbeddedBackend(tmp_path)
    backend.rebuild(iter(DOCS))
    rng = random.Random(20261124)
    atoms = ['"', "(", ")", "[", "]", "*", "-", "+", ":", "title:", "year:", "isbn:", "AND", "OR", "NOT",
             " ", "moby", "ü", "Ł", "0-306-40615-2", "1990", "TO", ">", "\\", "/", "?", "~", "^", "{", "}",
             "&&", "!", "\x00", "ocm", "'", "日本", "a" * 50, "x"]  # fmt: skip
    for _ in range(400):
        text = "".join(rng.choice(atoms) for _ in range(rng.randint(1, 10)))
        try:
            backend.search(SearchRequest(text=text, sort=rng.choice(["relevance", "oldest", "title"])))
        except QueryError as exc:
            assert "year" in str(exc)  # the only input the parser refuses


def test_every_slotted_facet_counts_what_the_documents_hold(tmp_path: Path) -> None:
    """Each facet counted on slots (classification and availability too) gives the documents' own counts,
    with values beyond its slots, a repeated value and records without any."""
    rng = random.Random(18)
    pools = {name: [f"{name} value {n}" for n in range(6)] for name in facets.FACET_SLOTS}
    docs = []
    for n in range(60):
        fields: dict[str, Any] = {}
        for name, pool in pools.items():
            values = rng.sample(pool, rng.randint(0 if name != "format" else 1, len(pool)))  # every doc has a format
            if values and n % 5 == 0:
                values.append(values[0])  # a value listed twice still counts the record once
            fields[name] = values if FIELDS_BY_NAME[name].multi else (values[:1] or [""])[0]
        docs.append(make_doc(f"c-every{n}", f"Counted mosses {n}", **fields))
    backend = EmbeddedBackend(tmp_path)
    backend.rebuild(iter(docs))
    counted = backend.search(SearchRequest(text="mosses", facets=tuple(pools), facet_size=50)).facets
    for name in pools:
        held = [d[name] if isinstance(d[name], list) else [d[name]] for d in docs]
        expected = {v: sum(v in values for values in held) for v in pools[name]}
        assert {f.value: f.count for f in counted[name]} == {v: c for v, c in expected.items() if c}, name


def test_slotted_facet_counts_equal_the_multi_valued_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Slots, overflow beyond the slots and the fallback (too many distinct values) all count exactly."""
    libraries = [f"Library {n}" for n in range(7)]
    docs = [
        make_doc(f"c-slot{n}", f"Slotted ferns {n}", library=libraries[: 1 + n % 7] + libraries[:1])
        for n in range(30)
    ]
    backend = EmbeddedBackend(tmp_path)
    backend.rebuild(iter(docs))
    expected = {lib: sum(lib in d["library"] for d in docs) for lib in libraries}
    counted = backend.search(SearchRequest(text="ferns", facet_size=50)).facets["library"]
    assert {f.value: f.count for f in counted} == expected
    assert [f.count for f in counted] == sorted(expected.values(), reverse=True)
    monkeypatch.setattr(facets, "SLOT_BUCKETS", 2)  # slots no longer list every value: fallback
    top = backend.search(SearchRequest(text="ferns", facet_size=2)).facets["library"]
    assert [(f.value, f.count) for f in top] == [("Library 0", 30), ("Library 1", expected["Library 1"])]
