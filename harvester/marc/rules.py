"""A small mapping DSL: one line per normalized field, traject-style, with rules that know where they live.

    RULES = (
        to_field("edition", marc("250ab"), first, trim_punctuation),
        to_field("summary", marc("520ab"), first),
    )

`marc("245ab:246a")` extracts, per matching field, the listed subfields joined by a space; a bad spec
fails at import time. Each rule remembers its file and line, so a rule that crashes on a record names
itself ("rule edition at mapping.py:31: ValueError: ..."), and the record is quarantined with that
reason. Extractors receive a `MarcView`, which indexes the record's fields by tag once, so thirty rules
do not each scan every field.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pymarc import Field, Record

from harvester.errors import RuleError

Extractor = Callable[["MarcView"], Any]
Transform = Callable[[Any], Any]


class MarcView:
    """A MARC record with its fields indexed by tag (built once per record)."""

    __slots__ = ("record", "leader", "by_tag", "cache")

    def __init__(self, record: Record) -> None:
        self.record = record
        self.leader = str(record.leader)
        by_tag: dict[str, list[Field]] = {}
        for field in record.fields:
            entry = by_tag.get(field.tag)
            if entry is None:
                by_tag[field.tag] = [field]
            else:
                entry.append(field)
        self.by_tag = by_tag
        self.cache: dict[str, Any] = {}  # for values two rules share (valid and invalid ISBNs)

    def fields(self, *tags: str) -> list[Field]:
        """Fields with these tags, in tag order given (record order within a tag)."""
        if len(tags) == 1:
            return self.by_tag.get(tags[0], [])
        out: list[Field] = []
        for tag in tags:
            out.extend(self.by_tag.get(tag, ()))
        return out

    def control(self, tag: str) -> str:
        """A control field's data ('' when absent)."""
        found = self.by_tag.get(tag)
        return (found[0].data or "") if found and found[0].data is not None else ""

    def first(self, tag: str) -> Field | None:
        found = self.by_tag.get(tag)
        return found[0] if found else None


def subfield_values(field: Field, codes: str) -> list[str]:
    """The values of `field`'s subfields whose code is in `codes`, in field order."""
    return [sf.value for sf in field.subfields if sf.code in codes and sf.value]


_SPEC = re.compile(r"^([0-9A-Za-z]{3})([0-9a-z]*)$")


@dataclass(frozen=True, slots=True)
class _Spec:
    tag: str
    codes: str  # "" = every subfield (data fields) / the whole value (control fields)


def parse_spec(spec: str) -> tuple[_Spec, ...]:
    """``"245ab:246a"`` → specs; raises ValueError (at import time of the rules) when malformed."""
    parts = []
    for piece in spec.split(":"):
        match = _SPEC.match(piece.strip())
        if not match:
            raise ValueError(f"bad MARC spec {piece!r} in {spec!r} (want e.g. '245abnp')")
        parts.append(_Spec(match.group(1), match.group(2)))
    return tuple(parts)


def marc(spec: str, separator: str = " ", trim: bool = False) -> Extractor:
    """Extract, per matching field, the spec's subfields joined by `separator` (empty results dropped).

    With ``trim`` each subfield is trimmed of ISBD punctuation before joining ("Part 2, " + "The
    return." → "Part 2. The return" with separator ". ").
    """
    specs = parse_spec(spec)
    if len(specs) == 1 and specs[0].codes and not trim and not specs[0].tag.startswith("00"):
        return _single_spec(specs[0], separator, spec)

    def extract(view: MarcView) -> list[str]:
        out: list[str] = []
        for part in specs:
            for field in view.by_tag.get(part.tag, ()):
                if field.control_field:
                    text = field.data or ""
                else:
                    codes = part.codes
                    values = [sf.value for sf in field.subfields
                              if sf.value and (sf.code in codes if codes else sf.code not in "68")]
                    if trim:
                        values = [v for v in (trim_punctuation(v) for v in values) if v]
                    text = separator.join(values)
                text = " ".join(text.split())
                if text:
                    out.append(text)
        return out

    extract.__qualname__ = f"marc({spec!r})"
    extract.tags = frozenset(part.tag for part in specs)  # type: ignore[attr-defined]
    return extract


def _single_spec(part: _Spec, separator: str, spec: str) -> Extractor:
    """`marc` for the usual one-tag spec ("245b", "520ab"): the same result, fewer steps."""
    tag, codes = part.tag, part.codes

    def field_text(field: Any) -> str:
        """The field's wanted subfields joined, with runs of white space collapsed ("" when none)."""
        values = [sf.value for sf in field.subfields if sf.code in codes and sf.value]
        if not values:
            return ""
        text = separator.join(values) if len(values) > 1 else values[0]
        # any white space but a single inner space is collapsed: "not printable" is true of every other
        # white-space character (tab, CR, no-break and ideographic spaces), cheaply checked in C
        if "  " in text or text[:1] == " " or text[-1:] == " " or not text.isprintable():
            text = " ".join(text.split())
        return text

    def extract(view: MarcView) -> list[str]:
        found = view.by_tag.get(tag)
        if not found:
            return []
        return [text for field in found if (text := field_text(field))]

    def extract_first(view: MarcView) -> str:
        """``first(extract(view))`` without building the list (most rules keep only the first value)."""
        for field in view.by_tag.get(tag, ()):
            if text := field_text(field):
                return text
        return ""

    extract.__qualname__ = f"marc({spec!r})"
    extract_first.__qualname__ = f"first(marc({spec!r}))"
    extract.tags = extract_first.tags = frozenset((tag,))  # type: ignore[attr-defined]
    extract.first = extract_first  # type: ignore[attr-defined]  # `to_field` fuses "marc(...), first"
    return extract


def reads(*tags: str) -> Callable[[Extractor], Extractor]:
    """Declare which tags an extractor reads; a rule whose tags are all absent is not run at all
    (most records lack most fields, and skipping is cheaper than looking)."""

    def mark(extract: Extractor) -> Extractor:
        extract.tags = frozenset(tags)  # type: ignore[attr-defined]
        return extract

    return mark


@dataclass(frozen=True, slots=True)
class Rule:
    """One line of the mapping: the record field it fills, how, and where the rule is written."""

    name: str
    extract: Extractor
    transforms: tuple[Transform, ...]
    where: str
    tags: frozenset[str] | None = None  # the tags the extractor reads (None: unknown, always run)

    def apply(self, view: MarcView) -> Any:
        try:
            value = self.extract(view)
            for transform in self.transforms:
                value = transform(value)
            return value
        except Exception as exc:  # re-raised with the rule's name and location: the evidence
            raise RuleError(f"rule {self.name} at {self.where}: {type(exc).__name__}: {exc}") from exc


def to_field(name: str, extract: Extractor, *transforms: Transform) -> Rule:
    """Declare a rule; its source location is taken from the caller (for error messages)."""
    frame = sys._getframe(1)
    where = f"{frame.f_code.co_filename.rsplit('/', 1)[-1]}:{frame.f_lineno}"
    if not callable(extract) or not all(callable(t) for t in transforms):
        raise TypeError(f"rule {name} at {where}: extractor and transforms must be callables")
    if transforms and transforms[0] is first and hasattr(extract, "first"):
        extract, transforms = extract.first, transforms[1:]  # the same value, without the list
    return Rule(name, extract, tuple(transforms), where, getattr(extract, "tags", None))


_PLANS: dict[tuple[int, tuple[str, ...]], tuple[tuple[Rule, ...], tuple[Rule, ...]]] = {}
_PLAN_LIMIT = 4096


def _plan(rules: Sequence[Rule], present: tuple[str, ...]) -> tuple[Rule, ...]:
    """The rules that can find something in a record with these tags (the others are skipped)."""
    tags = frozenset(present)
    return tuple(rule for rule in rules if rule.tags is None or not rule.tags.isdisjoint(tags))


def apply_rules(rules: Sequence[Rule], view: MarcView) -> dict[str, Any]:
    """Run every rule; empty results are left out so the record's defaults apply.

    Which rules a record needs depends only on the tags it has, and records of one source mostly share
    a handful of tag layouts, so for a tuple of rules (immutable) the choice is remembered per tag layout.
    """
    values: dict[str, Any] = {}
    if type(rules) is tuple:
        key = (id(rules), tuple(view.by_tag))
        cached = _PLANS.get(key)
        if cached is not None and cached[0] is rules:  # the entry keeps `rules` alive: its id is not reused
            plan = cached[1]
        else:
            plan = _plan(rules, key[1])
            if len(_PLANS) >= _PLAN_LIMIT:
                _PLANS.clear()
            _PLANS[key] = (rules, plan)
    else:
        plan = _plan(rules, tuple(view.by_tag))
    for rule in plan:
        try:  # inlined `Rule.apply`: this loop runs ~30 times per record
            value = rule.extract(view)
            for transform in rule.transforms:
                value = transform(value)
        except Exception as exc:
            raise RuleError(f"rule {rule.name} at {rule.where}: {type(exc).__name__}: {exc}") from exc
        if value or value == 0 and value is not False:
            values[rule.name] = value
    return values


# --- transforms ------------------------------------------------------------------------------------

_TRAILING_CHARS = " \t\n\r\u00a0/:;=,"
_UNTRIMMED_STARTS = ("[", " ", "\t", "\n", "\r", "\u00a0")


def trim_punctuation(text: str) -> str:
    """Drop ISBD/AACR2 punctuation that only separates elements (cf. traject's ``trim_punctuation``).

    Trailing " /", " :", " ;", " =", "," go; a final period goes when it ends a word of 3+ characters
    (so initials and abbreviations such as "Jr." or "S." keep theirs); unbalanced square brackets at
    either end go.
    """
    if text[-1:].isalnum() and text[:1] not in _UNTRIMMED_STARTS:
        return text  # nothing to trim: the common case, decided without copying
    text = text.strip().rstrip(_TRAILING_CHARS)
    if text[-1:] == ".":
        body = text[:-1].rstrip()
        if not body.endswith("..") and (body[-1:] in (")", "]") or len(body) >= 3 and body[-3:].isalnum()):
            text = body.rstrip(_TRAILING_CHARS)
    if text[:1] == "[" and "]" not in text:
        text = text[1:].strip()
    if text[-1:] == "]" and "[" not in text:
        text = text[:-1].rstrip(_TRAILING_CHARS)
    return text


def first(values: Sequence[str]) -> str:
    return values[0] if values else ""


def unique(values: Iterable[str]) -> list[str]:
    """Values in order, without repeats (compared case-insensitively)."""
    items = values if isinstance(values, list) else list(values)
    if len(items) < 2:
        return items
    seen: set[str] = set()
    out: list[str] = []
    for value in items:
        key = value.casefold()
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


def trimmed(values: Iterable[str]) -> list[str]:
    """Each value trimmed of ISBD punctuation; empty ones dropped."""
    return [t for t in (trim_punctuation(v) for v in values) if t]


def joined(separator: str) -> Transform:
    def join(values: Sequence[str]) -> str:
        return separator.join(values)

    return join
