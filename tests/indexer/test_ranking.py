"""The embedded engine's id_order key: it must never order two ids against their string order, and
must tell cluster ids apart (equal keys are settled by reading the full id, which costs a document read)."""

from __future__ import annotations

import random
from typing import Any

from indexer.dedup.cluster_ids import make_cluster_id
from indexer.search.backends.embedded.ranking import id_order_key

ODD = ["", "c", "c-", "c0", "c9:", "cA", "c_x", "cg", "cz", "c\u00e9", "b", "d", "a-tie", "z", "\u00e9", "c" + "f" * 20]


def _ids(rng: random.Random) -> list[str]:
    alphabet = "c0123456789abcdef-:_Az\u00e9"
    made = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 18))) for _ in range(400)]
    return made + ODD + [make_cluster_id(f"src:{n}") for n in range(300)] + [f"c{n:016x}" for n in range(0, 4000, 7)]


def test_keys_never_contradict_string_order() -> None:
    ids = sorted(set(_ids(random.Random(7))))
    keys = [id_order_key(i) for i in ids]
    assert keys == sorted(keys)
    assert all(0 <= k < 1 << 64 for k in keys)


def test_cluster_ids_differing_before_their_last_digit_get_different_keys() -> None:
    real = sorted({make_cluster_id(f"src:{n}") for n in range(2000)})
    assert len({id_order_key(i) for i in real}) == len(real)  # hashes: distinct in their first 15 digits
    sequential = [f"c{n:016x}" for n in range(0, 5000, 16)]
    assert len({id_order_key(i) for i in sequential}) == len(sequential)
    assert id_order_key("c0000000000000010") == id_order_key("c000000000000001f")  # only the 16th differs


def _oracle(hit: Any, sort: str) -> tuple[Any, ...]:
    year = hit.doc["year"]
    if sort == "relevance":
        return (-hit.score, hit.id)
    if sort == "title":
        return (hit.doc["title_sort"], hit.id)
    return (year is None, -(year or 0) if sort == "newest" else (year or 0), hit.id)


def test_small_collection_depths_give_the_same_pages(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """With tiny depths and windows every tie goes through the id-order paths (score windows, equal-value
    searches, several windows, key collisions): each page must still be the oracle's slice."""
    from indexer.search.backends.base import SearchRequest
    from indexer.search.backends.embedded import EmbeddedBackend, ranking
    from tests.indexer.test_backend_contract import TIED_DOCS, make_doc

    docs = TIED_DOCS + [make_doc(f"c{n:016x}", "Quillwort notes", year=1990 + n % 4) for n in range(0, 640, 9)]
    backend = EmbeddedBackend(tmp_path / "index")
    backend.rebuild(iter(docs[::-1]))
    full = {}
    for sort in ("relevance", "newest", "oldest", "title"):
        pages = [
            backend.search(SearchRequest("quillwort OR hornwort", sort=sort, per_page=100, page=p)) for p in (1, 2, 3)
        ]
        hits = [hit for results in pages for hit in results.hits]
        full[sort] = [hit.id for hit in hits]
        assert len(full[sort]) == pages[0].total == len(docs)
        assert full[sort] == [hit.id for hit in sorted(hits, key=lambda hit: _oracle(hit, sort))]
    monkeypatch.setattr(ranking, "FIRST_DEPTH", 3)
    monkeypatch.setattr(ranking, "SCAN", (4, 16, 64, 256, 1024))
    for sort, expected in full.items():
        paged = []
        for page in range(1, 40):
            paged += [
                h.id
                for h in backend.search(SearchRequest("quillwort OR hornwort", sort=sort, per_page=7, page=page)).hits
            ]
        assert paged == expected, sort
    backend.close()
