"""Staff commands for deduplication: ``unioncat explain`` and ``unioncat override``.

``explain ID1 ID2`` shows every rule and score that joins or separates two stored records, whether
they are in one cluster now, and any staff override on the pair. ``override`` records staff decisions
in the record store (through `indexer.dedup.clusters.ClusterStore`), where they survive re-harvests and
``unioncat index --rebuild``; the next ``unioncat index`` re-clusters the records they touch.
"""

from __future__ import annotations

import json
from typing import Any

import click

from harvester.cli import AppContext, pass_app
from indexer.dedup.matching import Explanation


def _cluster_store(app: AppContext) -> Any:
    from indexer.dedup.clusters import ClusterStore

    return ClusterStore(app.store())


def _record(app: AppContext, record_id: str) -> Any:
    stored = app.store().get(record_id)
    if stored is None:
        raise click.ClickException(f"no stored record {record_id!r} (ids look like source:localid)")
    if stored.deleted:
        raise click.ClickException(f"record {record_id!r} has been deleted by its source")
    return stored.normalized


def explain_pair(app: AppContext, a: str, b: str) -> tuple[Explanation, str | None, str | None]:
    """The matcher's explanation for two stored records plus their current clusters."""
    explanation, cluster_a, cluster_b, _ = explain_with_blocking(app, a, b)
    return explanation, cluster_a, cluster_b


def explain_with_blocking(app: AppContext, a: str, b: str) -> tuple[Explanation, str | None, str | None, Any]:
    """`explain_pair` plus the `BlockingReport`: whether clustering compares the pair at all."""
    from indexer.dedup.clustering import blocking_report
    from indexer.dedup.matchers import matcher_for

    record_a, record_b = _record(app, a), _record(app, b)
    clusters = _cluster_store(app)
    overrides = clusters.overrides()
    matcher = matcher_for(app.settings)
    explanation = matcher.explain(record_a, record_b, overrides)
    keys_a = matcher.blocking_keys(record_a, overrides)
    keys_b = matcher.blocking_keys(record_b, overrides)
    report = blocking_report(keys_a, keys_b, clusters.block_size)
    return explanation, clusters.cluster_of(a), clusters.cluster_of(b), report


def format_explanation(
    explanation: Explanation, cluster_a: str | None, cluster_b: str | None, blocking: Any = None
) -> str:
    lines = [
        f"{explanation.a}  vs  {explanation.b}",
        f"decision: {'SAME item' if explanation.same else 'DIFFERENT items'}"
        f" (P(same) {explanation.score:.3f})",
    ]
    if explanation.override:
        lines.append(f"staff override: {explanation.override}")
    if cluster_a is None or cluster_b is None:
        lines.append("clusters: not clustered yet (run `unioncat index`)")
    elif cluster_a == cluster_b:
        lines.append(f"clusters: both in {cluster_a} now")
    else:
        lines.append(f"clusters: in different clusters now ({cluster_a} / {cluster_b})")
    if blocking is not None:
        lines.append(f"blocking: {blocking.reason}")
        if not blocking.compared:
            lines.append("  (the decision above is what the matcher would say if it were asked)")
            lines.append(f"  keys of {explanation.a}: {', '.join(blocking.keys_a) or '-'}")
            lines.append(f"  keys of {explanation.b}: {', '.join(blocking.keys_b) or '-'}")
    lines.append("reasons (score = contribution to the log-odds; veto = keeps them apart):")
    for reason in explanation.reasons:
        mark = "VETO" if reason.veto else f"{reason.score:+7.2f}"
        lines.append(f"  {mark:>7}  {reason.rule:<20} {reason.detail}")
    return "\n".join(lines)


@click.command()
@click.argument("id1")
@click.argument("id2")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@pass_app
def explain(app: AppContext, id1: str, id2: str, as_json: bool) -> None:
    """Why records ID1 and ID2 (source:localid) were or were not merged: rules, scores, overrides."""
    explanation, cluster_a, cluster_b, blocking = explain_with_blocking(app, id1, id2)
    if as_json:
        data = {
            "a": explanation.a,
            "b": explanation.b,
            "same": explanation.same,
            "score": explanation.score,
            "override": explanation.override,
            "cluster_a": cluster_a,
            "cluster_b": cluster_b,
            "same_cluster": cluster_a is not None and cluster_a == cluster_b,
            "blocking": {
                "compared": blocking.compared,
                "reason": blocking.reason,
                "shared_keys": list(blocking.shared),
                "keys_a": list(blocking.keys_a),
                "keys_b": list(blocking.keys_b),
            },
            "reasons": [
                {"rule": r.rule, "detail": r.detail, "score": r.score, "veto": r.veto}
                for r in explanation.reasons
            ],
        }
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(format_explanation(explanation, cluster_a, cluster_b, blocking))


@click.group()
def override() -> None:
    """Staff decisions that beat the deduplicator (kept in the record store, survive --rebuild)."""


def _who() -> str:
    """The audit trail's "who" for the command line: the operating-system account."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no such user in a container
        return "cli"


_REASON = click.option("--reason", "why", default="", help="why (kept in the override audit trail)")


def _add(app: AppContext, kind: str, a: str, b: str = "", why: str = "") -> None:
    if kind != "block":
        _record(app, a)
        _record(app, b)
    try:
        _cluster_store(app).staff.add(kind, a, b, who=_who(), why=why)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    target = f"{a} {b}".strip()
    click.echo(f"override added: {kind} {target}; run `unioncat index` to apply it")


@override.command("merge")
@click.argument("id1")
@click.argument("id2")
@_REASON
@pass_app
def override_merge(app: AppContext, id1: str, id2: str, why: str) -> None:
    """Force records ID1 and ID2 into one cluster."""
    _add(app, "merge", id1, id2, why)


@override.command("split")
@click.argument("id1")
@click.argument("id2")
@_REASON
@pass_app
def override_split(app: AppContext, id1: str, id2: str, why: str) -> None:
    """Never put records ID1 and ID2 in one cluster."""
    _add(app, "split", id1, id2, why)


@override.command("block")
@click.argument("key")
@_REASON
@pass_app
def override_block(app: AppContext, key: str, why: str) -> None:
    """Mark an identifier KEY (e.g. isbn:9780306406157) as not unique: it never joins records."""
    _add(app, "block", _normalize_key(key), why=why)


@override.command("list")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@pass_app
def override_list(app: AppContext, as_json: bool) -> None:
    """Every staff override, oldest first."""
    rows = _cluster_store(app).list_overrides()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no overrides")
    for row in rows:
        click.echo(f"{row['kind']:<6} {row['a']} {row['b']}".rstrip())


@override.command("remove")
@click.argument("kind", type=click.Choice(["merge", "split", "block"]))
@click.argument("a")
@click.argument("b", required=False, default="")
@_REASON
@pass_app
def override_remove(app: AppContext, kind: str, a: str, b: str, why: str) -> None:
    """Remove an override: `remove merge ID1 ID2`, `remove split ID1 ID2`, `remove block KEY`."""
    if kind == "block":
        a = _normalize_key(a)
    try:
        removed = _cluster_store(app).staff.remove(kind, a, b, who=_who(), why=why)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if not removed:
        raise click.ClickException(f"no {kind} override {f'{a} {b}'.strip()}")
    click.echo(f"override removed: {kind} {f'{a} {b}'.strip()}; run `unioncat index` to apply it")


def _normalize_key(key: str) -> str:
    """Normalize a key the way blocking keys are written: "ISBN:0-306-40615-2" → "isbn:9780306406157"."""
    scheme, sep, value = key.strip().partition(":")
    if not sep or not value.strip():
        raise click.ClickException("block takes an identifier key such as isbn:9780306406157")
    scheme = scheme.lower()
    try:
        from harvester import identifiers
    except ImportError:  # pragma: no cover - the harvester always ships it
        return f"{scheme}:{value.strip()}"
    normalizer = getattr(identifiers, f"normalize_{scheme}", None)
    if normalizer is not None:
        normalized = normalizer(value)
        if normalized is None:
            raise click.ClickException(f"{value.strip()!r} is not a valid {scheme.upper()}")
        return f"{scheme}:{normalized}"
    return f"{scheme}:{value.strip().lower()}"


COMMANDS: list[click.Command] = [explain, override]
