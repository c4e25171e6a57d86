"""Top-level classification of a title: LC class letter (050/090) or Dewey hundreds (082).

Collection librarians compare members by broad subject, and the class number is the one subject
signal almost every MARC record carries in a comparable form. Only the top level is used: the first
letter of an LC class number ("QA76.73 .P98" → "Q") and the hundreds of a Dewey number ("005.133" →
"000"). A number that does not look like either (local schemes in 090, "Fiction", shelving codes) is
left out rather than guessed at, so "unclassified" counts say how much the breakdown does not cover.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

LC_CLASSES: dict[str, str] = {
    "A": "General works",
    "B": "Philosophy, psychology, religion",
    "C": "Auxiliary sciences of history",
    "D": "World history",
    "E": "History of the Americas",
    "F": "History of the Americas (local)",
    "G": "Geography, anthropology, recreation",
    "H": "Social sciences",
    "J": "Political science",
    "K": "Law",
    "L": "Education",
    "M": "Music",
    "N": "Fine arts",
    "P": "Language and literature",
    "Q": "Science",
    "R": "Medicine",
    "S": "Agriculture",
    "T": "Technology",
    "U": "Military science",
    "V": "Naval science",
    "Z": "Bibliography, library science",
}
"""The 21 main classes of the Library of Congress Classification outline."""

DDC_CLASSES: dict[str, str] = {
    "000": "Computer science, information, general works",
    "100": "Philosophy and psychology",
    "200": "Religion",
    "300": "Social sciences",
    "400": "Language",
    "500": "Science",
    "600": "Technology",
    "700": "Arts and recreation",
    "800": "Literature",
    "900": "History and geography",
}
"""The ten main classes of the Dewey Decimal Classification."""

_LC = re.compile(r"^([A-HJ-NP-VZ])[A-Z]{0,2}\s*\d")
_DDC = re.compile(r"^\[?(\d)\d{2}(?:[./\s']|$)")


def lc_class(number: str) -> str:
    """``"QA76.73 .P98"`` → ``"Q"``; empty when the text is not an LC class number."""
    match = _LC.match(number.strip().upper())
    return match.group(1) if match else ""


def ddc_class(number: str) -> str:
    """``"813/.54"`` → ``"800"``; empty when the text is not a Dewey number."""
    match = _DDC.match(number.strip())
    return match.group(1) + "00" if match else ""


def top_classes(numbers: Iterable[str]) -> tuple[str, str]:
    """The first LC main class and the first Dewey main class among ``"lcc:…"``/``"ddc:…"`` numbers."""
    lc = ddc = ""
    for value in numbers:
        scheme, _, number = value.partition(":")
        if scheme == "lcc" and not lc:
            lc = lc_class(number)
        elif scheme == "ddc" and not ddc:
            ddc = ddc_class(number)
    return lc, ddc


def lc_label(letter: str) -> str:
    """``"Q"`` → ``"LC Q – Science"`` (the ``classification`` facet value and the breakdown row)."""
    return f"LC {letter} – {LC_CLASSES[letter]}" if letter in LC_CLASSES else ""


def ddc_label(hundreds: str) -> str:
    """``"500"`` → ``"DDC 500 – Science"``."""
    return f"DDC {hundreds} – {DDC_CLASSES[hundreds]}" if hundreds in DDC_CLASSES else ""


def class_labels(numbers: Iterable[str]) -> list[str]:
    """The ``classification`` facet values of a title: its LC and Dewey main classes, when known."""
    lc, ddc = top_classes(numbers)
    return [label for label in (lc_label(lc), ddc_label(ddc)) if label]
