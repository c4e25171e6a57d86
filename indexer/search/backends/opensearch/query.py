"""Translate unioncat's parsed query tree (`indexer.search.query`) into OpenSearch query DSL, as plain dicts.

Plain dicts (not opensearch-dsl objects) so unit tests can compare whole request bodies, and so the
translation reads like the JSON an operator would type into Dashboards' console.

This mirrors the embedded engine's `embedded.tantivy_query.QueryBuilder` clause for clause, because both
engines must give the same answers: the same fields, the same boosts (from `indexer.search.schema.FIELDS`),
the same scoring constants and typo rules (imported from `indexer.search.analysis`, not copied), the same
analysis (query words are analyzed in Python with the embedded engine's own analyzers, text is
composed to NFC first, and the index uses the equivalent chain, see `opensearch.mapping`):

- `Term` / `Phrase`, per field: text fields match their English-stemmed terms (``<field>.stemmed``),
  a query field that is a facet (``format:book``) its folded ``.text`` copy; one analyzed token is a
  term match, several (``o'brien`` → o, brien) a phrase. Fields combine with ``dis_max``
  (tie_breaker 0.3): the best field decides, other matching fields add a little.
- the joined spellings (``variants``) score the constant `analysis.VARIANT_SCORE` (``constant_score``),
  never BM25, in both engines.
- `Prefix`: on the folded, unstemmed copy (``title``, ``subtitle``, ``authors`` and the facet ``.text``
  copies), else on the stemmed terms, like the embedded engine; ``whal*`` must not be stemmed first.
- `IdentifierMatch`: ``terms`` on the normalized keyword field, boost 10. `YearRange`: ``range``.
- `ExactTitle`: ``constant_score`` over a ``term`` on ``title_key`` (the exact-title bonus).
- `CallNumber`: ``constant_score`` (boost 10) over ``prefix`` queries on the ``callnumber_heading`` terms.
- `Bool`: ``bool``; with no ``must`` at least one ``should`` must match, and a query of only
  exclusions (``-word``) matches everything else.
- fuzzy mode (the fallback): in the fields where typos are forgiven (`analysis.FUZZY_FIELDS`), each
  single-word `Term` also matches within the edit distance `analysis.fuzzy_distance` allows, on the
  unstemmed copy, at half the boost, every near word scoring the same (as tantivy's fuzzy query).

`translate` returns None for "no constraint" (a word that analyzes to nothing); callers use match_all.
"""

from __future__ import annotations

from typing import Any

from indexer.errors import QueryError
from indexer.search import analysis
from indexer.search.analysis import (
    FUZZY_FIELDS,
    FUZZY_WEIGHT,
    IDENTIFIER_BOOST,
    TIE_BREAKER,
    VARIANT_SCORE,
    VARIANTS_FIELD,
    fuzzy_distance,
    nfc,
)
from indexer.search.backends.opensearch.mapping import STEMMED_SUBFIELD, TEXT_SUBFIELD
from indexer.search.query import (
    CALLNUMBER_FIELD,
    EXACT_TITLE_SCORE,
    Bool,
    CallNumber,
    ExactTitle,
    IdentifierMatch,
    Phrase,
    Prefix,
    Term,
    YearRange,
)
from indexer.search.schema import FIELDS_BY_NAME, TEXT_FIELDS, IndexField

Clause = dict[str, Any]
MATCH_ALL: Clause = {"match_all": {}}


def translate(node: object, fuzzy: bool = False) -> Clause | None:
    """One query-tree node as an OpenSearch query clause (None: no constraint)."""
    if isinstance(node, Bool):
        return _bool(node, fuzzy)
    if isinstance(node, Term):
        return _per_field(node.fields, lambda f: _term(f, node.text, fuzzy))
    if isinstance(node, Phrase):
        return _per_field(node.fields, lambda f: _words(f, node.text))
    if isinstance(node, Prefix):
        return _per_field(node.fields, lambda f: _prefix(f, node.text))
    if isinstance(node, IdentifierMatch):
        values = [analysis.normalize_identifier(node.field, v) for v in node.values]
        return {"terms": {node.field: values, "boost": IDENTIFIER_BOOST}}
    if isinstance(node, ExactTitle):  # scoring only, like the embedded const_score_query
        return {"constant_score": {"filter": {"term": {"title_key": node.key}}, "boost": EXACT_TITLE_SCORE}}
    if isinstance(node, YearRange):
        if node.low is None and node.high is None:
            return None
        return {"range": {"year": year_bounds(node.low, node.high)}}
    if isinstance(node, CallNumber):  # a constant score, like the embedded const_score_query over prefixes
        starts = [{"prefix": {CALLNUMBER_FIELD: key}} for key in node.keys]
        either = starts[0] if len(starts) == 1 else {"bool": {"should": starts, "minimum_should_match": 1}}
        return {"constant_score": {"filter": either, "boost": IDENTIFIER_BOOST}}
    raise QueryError("this query could not be understood")


def query_clause(node: object, fuzzy: bool = False) -> Clause:
    """`translate`, with "no constraint" as ``match_all``."""
    return translate(node, fuzzy) or dict(MATCH_ALL)


def year_bounds(low: int | None, high: int | None) -> dict[str, int]:
    """Inclusive ``range`` bounds; an open side is left out."""
    bounds: dict[str, int] = {}
    if low is not None:
        bounds["gte"] = low
    if high is not None:
        bounds["lte"] = high
    return bounds


def _bool(node: Bool, fuzzy: bool) -> Clause | None:
    must = [c for c in (translate(child, fuzzy) for child in node.must) if c is not None]
    should = [c for c in (translate(child, fuzzy) for child in node.should) if c is not None]
    must_not = [c for c in (translate(child, fuzzy) for child in node.must_not) if c is not None]
    if not must and not should and not must_not:
        return None
    if not must and not should:
        must = [dict(MATCH_ALL)]
    if len(must) + len(should) == 1 and not must_not:
        return (must or should)[0]
    body: Clause = {}
    if must:
        body["must"] = must
    if should:
        body["should"] = should
        if not must:
            body["minimum_should_match"] = 1
    if must_not:
        body["must_not"] = must_not
    return {"bool": body}


def _per_field(names: tuple[str, ...], make: Any) -> Clause | None:
    fields = [_field(n) for n in names] if names else list(TEXT_FIELDS)
    clauses = [c for c in (make(f) for f in fields) if c is not None]
    if not clauses:
        return None
    if len(clauses) == 1:
        return clauses[0]
    return {"dis_max": {"queries": clauses, "tie_breaker": TIE_BREAKER}}


def _field(name: str) -> IndexField:
    field = FIELDS_BY_NAME.get(name)
    if field is None:
        raise QueryError(f"unknown field {name!r}")
    return field


def _target(field: IndexField) -> tuple[str, bool]:
    """(OpenSearch field, stemmed?) that words typed against `field` are matched in; ("", _) = none."""
    if field.kind == "text":
        return f"{field.name}.{STEMMED_SUBFIELD}", True
    if analysis.exact_copy(field):
        return f"{field.name}.{TEXT_SUBFIELD}", False
    return "", False


def _unstemmed(field: IndexField) -> str | None:
    """The folded, unstemmed copy the embedded engine keeps for this field, as an OpenSearch field."""
    if not analysis.exact_copy(field):
        return None
    return field.name if field.kind == "text" else f"{field.name}.{TEXT_SUBFIELD}"


def _tokens(text: str, stemmed: bool) -> list[str]:
    return analysis.analyze_stemmed(text) if stemmed else analysis.analyze_folded(text)


def _words(field: IndexField, text: str) -> Clause | None:
    """A word or phrase in one field: ``match_phrase`` (one token = a plain term match)."""
    name, stemmed = _target(field)
    text = analysis.query_text(field, text)
    if not name or not _tokens(text, stemmed):
        return None
    return _scored(field, "match_phrase", name, {"query": nfc(text)})


def _term(field: IndexField, text: str, fuzzy: bool) -> Clause | None:
    exact = _words(field, text)
    if exact is None or not fuzzy or field.name not in FUZZY_FIELDS:
        return exact
    copy = _unstemmed(field)
    name = copy or _target(field)[0]
    tokens = _tokens(text, stemmed=copy is None)
    if len(tokens) != 1 or fuzzy_distance(tokens[0]) == 0:
        return exact
    options = {
        "value": tokens[0],
        "fuzziness": fuzzy_distance(tokens[0]),
        "transpositions": True,
        "rewrite": "constant_score",  # every near word scores the same, as tantivy's fuzzy query does
    }
    typo = {"fuzzy": {name: _boosted(options, field.boost * FUZZY_WEIGHT)}}
    return {"bool": {"should": [exact, typo]}}


def _prefix(field: IndexField, text: str) -> Clause | None:
    copy = _unstemmed(field)
    if copy is None and field.kind != "text":
        return None
    name = copy or _target(field)[0]
    tokens = analysis.analyze_folded(analysis.query_text(field, text))
    if not tokens:
        return None
    if len(tokens) > 1:
        return _scored(field, "match_phrase_prefix", name, {"query": " ".join(tokens)})
    return _scored(field, "prefix", name, {"value": tokens[0]})


def _scored(field: IndexField, kind: str, name: str, options: dict[str, Any]) -> Clause:
    """A ``kind`` query on ``name`` with the field's boost; in the joined spellings, the constant
    `VARIANT_SCORE`, as in the embedded engine (its `QueryBuilder._scored`)."""
    if field.name == VARIANTS_FIELD:
        return {"constant_score": {"filter": {kind: {name: options}}, "boost": VARIANT_SCORE}}
    return {kind: {name: _boosted(options, field.boost)}}


def _boosted(options: dict[str, Any], boost: float) -> dict[str, Any]:
    if boost != 1.0:
        options["boost"] = boost
    return options
