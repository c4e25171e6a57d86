"""The folding functions of `harvester.text`, pinned: they differ on purpose, and each caller relies on its
own behaviour (match keys, sort keys, MARC field values, what the search engines are given)."""

from __future__ import annotations

import pytest

from harvester.text import clean_marc_text, fold, name_key, nfc, sort_key, title_sort_key

DECOMPOSED = "e\u0301cole"  # "école" as many MARC 21 UTF-8 records store it


def test_nfc_composes_and_changes_nothing_else() -> None:
    assert nfc(DECOMPOSED) == "\u00e9cole"
    assert nfc("L'Été !") == "L'Été !"
    assert nfc("Mu\u0308ller\u0098") == "Müller\u0098"  # C1 controls are not its business


def test_clean_marc_text_also_drops_marc_non_sort_markers() -> None:
    assert clean_marc_text("\u0098The\u009c " + DECOMPOSED) == "The \u00e9cole"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("L'Été !", "lete"),
        ("Müller & Sons", "muller sons"),
        ("Melville, Herman, 1819-1891.", "melville herman 1819 1891"),
        ("ʻOlelo Hawaiʻi", "olelo hawaii"),  # modifier letters dropped
        ("Œuvres — complètes", "œuvres completes"),  # ligature kept, dash gone
        ("Война и мир", "воина и мир"),
        ("東京 大学", "東京 大学"),
        ("Straße", "strasse"),
    ],
)
def test_sort_key_drops_accents_and_punctuation(text: str, key: str) -> None:
    assert sort_key(text) == key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("L'Été !", "l'ete !"),  # punctuation kept, unlike sort_key
        ("Müller & Sons", "muller & sons"),
        ("ʻOlelo Hawaiʻi", "ʻolelo hawaiʻi"),
        ("Œuvres — complètes", "œuvres — completes"),
        ("  Éclair   au café ", "eclair au cafe"),
    ],
)
def test_title_sort_key_drops_accents_and_keeps_punctuation(text: str, key: str) -> None:
    assert title_sort_key(text) == key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Müller & Sons", "muller and sons"),  # "&" spelled out, so "and" and "&" match
        ("L'Été !", "lete"),
        ("Œuvres — complètes", "oeuvres completes"),  # ligatures spelled out
        ("Война и мир", "воина и мир"),  # letters of every script survive
        ("東京 大学", "東京 大学"),
        ("", ""),
    ],
)
def test_fold_gives_match_words(text: str, key: str) -> None:
    assert fold(text) == key


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Melville, Herman, 1819-1891.", "melvilleherman"),
        ("Melville, Herman", "melvilleherman"),
        ("Müller, J.", "mullerj"),
        ("Толстой, Лев", "толстоилев"),
    ],
)
def test_name_key_keeps_letters_only(name: str, key: str) -> None:
    assert name_key(name) == key
