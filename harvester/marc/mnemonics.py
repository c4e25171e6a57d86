"""The character mnemonics of MARCMaker/MARCBreaker text (``.mrk``): ``{acute}e``, ``{Lstrok}``, ``{dollar}``.

The Library of Congress's MARCBreaker — and MarcEdit when it breaks MARC-8 records — writes every
character that is not plain ASCII as a named mnemonic for its MARC-8 (ANSEL) code point. Diacritics are
MARC-8 combining marks, written *before* the letter they sit on (``{acute}e`` is "é"), as MARC-8 stores
them; Unicode puts a combining mark after its letter. `decode_mnemonics` turns the names into
characters, moves each diacritic behind its letter and composes the result (NFC), so a record read
from ``.mrk`` has the same text as the same record read from its ISO 2709 MARC-8 original.

The table is the ANSEL repertoire (MARC-8 0xA1-0xC8 and 0xE0-0xFE) under the LoC mnemonic names, plus the
ASCII characters the format reserves; a name it does not hold is kept as written, so nothing is lost.
"""

from __future__ import annotations

import re
import unicodedata

SPACING: dict[str, str] = {
    # the characters MARC text syntax reserves
    "dollar": "$", "lcub": "{", "rcub": "}", "bsol": "\\",
    # MARC-8 special letters and symbols (0xA1-0xC8)
    "Lstrok": "\u0141", "Ostrok": "\u00d8", "Dstrok": "\u0110", "THORN": "\u00de", "AElig": "\u00c6",
    "OElig": "\u0152", "softsign": "\u02b9", "middot": "\u00b7", "flat": "\u266d", "reg": "\u00ae",
    "plusmn": "\u00b1", "Ohorn": "\u01a0", "Uhorn": "\u01af", "mlrhring": "\u02bc", "mllhring": "\u02bb",
    "lstrok": "\u0142", "ostrok": "\u00f8", "dstrok": "\u0111", "thorn": "\u00fe", "aelig": "\u00e6",
    "oelig": "\u0153", "hardsign": "\u02ba", "inodot": "\u0131", "pound": "\u00a3", "eth": "\u00f0",
    "ohorn": "\u01a1", "uhorn": "\u01b0", "deg": "\u00b0", "scriptl": "\u2113", "phono": "\u2117",
    "copy": "\u00a9", "sharp": "\u266f", "iquest": "\u00bf", "iexcl": "\u00a1", "eszett": "\u00df",
    "euro": "\u20ac",
    # the joiners MARC-8 carries as C1 controls
    "joiner": "\u200d", "nonjoin": "\u200c",
}
COMBINING: dict[str, str] = {  # MARC-8 0xE0-0xFE: written before the letter
    "hooka": "\u0309", "grave": "\u0300", "acute": "\u0301", "circ": "\u0302", "tilde": "\u0303",
    "macr": "\u0304", "breve": "\u0306", "dot": "\u0307", "uml": "\u0308", "caron": "\u030c",
    "ring": "\u030a", "llig": "\ufe20", "rlig": "\ufe21", "rcommaa": "\u0315", "dblac": "\u030b",
    "candra": "\u0310", "cedil": "\u0327", "ogon": "\u0328", "dotb": "\u0323", "dbldotb": "\u0324",
    "ringb": "\u0325", "dblunder": "\u0333", "under": "\u0332", "commab": "\u0326", "rcedil": "\u031c",
    "breveb": "\u032e", "ldbltil": "\ufe22", "rdbltil": "\ufe23", "commaa": "\u0313",
}
_TOKEN = re.compile(r"\{([A-Za-z]{2,10}|U\+[0-9A-Fa-f]{4,6})\}|&#x([0-9A-Fa-f]{2,6});")


def decode_mnemonics(text: str) -> str:
    """``{acute}ecole {dollar}5 {U+00E9}`` → ``école $5 é``, in one pass (a ``{lcub}`` never starts
    another mnemonic); unknown names stay as written. Text without a mnemonic comes back unchanged."""
    if "{" not in text and "&#x" not in text:
        return text
    out: list[str] = []
    pending: list[str] = []  # diacritics waiting for their letter
    position = 0
    for match in _TOKEN.finditer(text):
        character, combining = _character(match)
        if character is None:
            continue
        _emit(out, pending, text[position:match.start()])
        if combining:
            pending.append(character)
        else:
            _emit(out, pending, character)
        position = match.end()
    if not position:
        return text
    _emit(out, pending, text[position:])
    out.extend(pending)  # a diacritic with no letter after it stays, at the end
    return unicodedata.normalize("NFC", "".join(out))


def _character(match: re.Match[str]) -> tuple[str | None, bool]:
    """(the character a mnemonic stands for or None, whether it is a MARC-8 diacritic)."""
    name, hexa = match.group(1), match.group(2)
    if name and name.startswith("U+"):
        hexa = name[2:]
    if hexa:
        code = int(hexa, 16)
        return (chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else None), False
    if name in COMBINING:
        return COMBINING[name], True
    return SPACING.get(name), False


def _emit(out: list[str], pending: list[str], chunk: str) -> None:
    """Append ``chunk``, the waiting diacritics going right after its first character."""
    if not chunk:
        return
    if pending:
        out.append(chunk[0])
        out.extend(pending)
        pending.clear()
        out.append(chunk[1:])
    else:
        out.append(chunk)
