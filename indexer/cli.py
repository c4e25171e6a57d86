"""Index-side commands: ``index``, ``search``, ``holdings``, ``clusters``.

``explain`` and ``override`` live in `indexer.dedup.cli`; the root group (`search_ui.cli`) gathers both.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from harvester.cli import AppContext, pass_app
from indexer.errors import BackendError
from indexer.search.backends.base import SearchRequest, SearchResults
from indexer.search.schema import FACET_FIELDS, SORTS


def _backend(app: AppContext) -> Any:
    from indexer.search.backends import open_backend

    try:
        return open_backend(app.settings)
    except BackendError as exc:
        raise click.ClickException(f"search backend unavailable: {exc}") from exc


@click.command()
@click.option(
    "--rebuild", is_flag=True, help="Re-cluster everything and build a fresh index, swapped in atomically."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
@pass_app
def index(app: AppContext, rebuild: bool, quiet: bool) -> None:
    """Cluster duplicates and bring the search index up to date with the record store.

    Incremental by default: only clusters whose records changed since the last run are re-indexed,
    and retired ones are removed. Staff overrides survive --rebuild.
    """
    from indexer.errors import IndexRunning
    from indexer.run import update_index

    backend = _backend(app)
    try:
        report = update_index(app.settings, app.store(), backend, rebuild=rebuild, show_progress=not quiet)
    except BackendError as exc:
        raise click.ClickException(f"indexing failed: {exc}") from exc
    except IndexRunning as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        backend.close()
    click.echo(report.summary())


@click.command()
@click.argument("query", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable results (total, hits, facets).")
@click.option(
    "--filter",
    "filters",
    multiple=True,
    metavar="FIELD=VALUE",
    help=f"Narrow by a facet ({', '.join(FACET_FIELDS)}) or year=1990-2000; repeatable.",
)
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True, help="Hits per page.")
@click.option("--page", type=click.IntRange(1, None), default=1, show_default=True)
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@pass_app
def search(
    app: AppContext,
    query: tuple[str, ...],
    as_json: bool,
    filters: tuple[str, ...],
    limit: int,
    page: int,
    sort: str,
) -> None:
    """Search the catalog, e.g. `unioncat search "moby dick" --filter format=Book`."""
    request = _request(" ".join(query), filters, limit, page, sort)
    backend = _backend(app)
    try:
        results = backend.search(request)
        empty = results.total == 0 and backend.count() == 0
    except BackendError as exc:  # QueryError included: its message is meant for the user
        raise click.ClickException(str(exc)) from exc
    finally:
        backend.close()
    if empty:
        click.echo("The search index is empty: run `unioncat harvest` and `unioncat index` first.", err=True)
    if as_json:
        click.echo(json.dumps(results.to_json(), indent=2, ensure_ascii=False))
    else:
        _print_results(results)


def _request(text: str, filters: tuple[str, ...], limit: int, page: int, sort: str) -> SearchRequest:
    chosen: dict[str, tuple[str, ...]] = {}
    year_from = year_to = None
    for item in filters:
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not value:
            raise click.BadParameter(f"{item!r}: expected FIELD=VALUE", param_hint="--filter")
        if name == "year":
            year_from, year_to = _years(value)
        elif name in FACET_FIELDS:
            chosen[name] = (*chosen.get(name, ()), value)
        else:
            raise click.BadParameter(
                f"unknown field {name!r}; use one of {', '.join(FACET_FIELDS)}, year", param_hint="--filter"
            )
    return SearchRequest(
        text=text, filters=chosen, year_from=year_from, year_to=year_to, sort=sort, page=page, per_page=limit
    )


def _years(value: str) -> tuple[int | None, int | None]:
    low, sep, high = value.partition("-")
    try:
        start = int(low) if low.strip() else None
        end = (int(high) if high.strip() else None) if sep else start
    except ValueError as exc:
        message = f"year={value!r}: expected 1990 or 1990-2000"
        raise click.BadParameter(message, param_hint="--filter") from exc
    return start, end


def _print_results(results: SearchResults) -> None:
    first = (results.page - 1) * results.per_page
    note = " (no item matched every word; showing items matching some)" if results.relaxed else ""
    note += " (allowing for typos)" if results.fuzzy else ""
    click.echo(f"{results.total:,} result(s){note}")
    for number, hit in enumerate(results.to_json()["hits"], start=first + 1):
        year = f" ({hit['year']})" if hit["year"] else ""
        authors = "; ".join(hit["authors"][:2])
        click.echo(f"{number:>4}. {hit['title']}{year} [{hit['format']}]  {hit['id']}")
        if authors:
            click.echo(f"      {authors}")
        libraries = hit["libraries"]
        click.echo(
            f"      held by {len(libraries)} librar{'y' if len(libraries) == 1 else 'ies'}: "
            + ", ".join(libraries)
        )
    for name, values in results.facets.items():
        if values:
            shown = ", ".join(f"{f.value} ({f.count})" for f in values[:8])
            click.echo(f"{name}: {shown}")


@click.command()
@click.argument("identifiers", nargs=-1, required=True)
@click.option("--requester", default="", metavar="CODE",
              help="Your library's code: left out of the lenders; distances are measured from it.")
@click.option("--csv", "as_csv", is_flag=True, help="One CSV row per holding (for spreadsheets).")
@click.option("--requests", "as_requests", is_flag=True,
              help="One CSV row per request with its lending string (the batch answer).")
@pass_app
def holdings(app: AppContext, identifiers: tuple[str, ...], requester: str, as_csv: bool,
             as_requests: bool) -> None:
    """Who holds these ISBNs / ISSNs / OCLC numbers / LCCNs / WorldCat links, and whom to ask first.

    One answer per line (`-` reads a list from stdin), with the ranked lenders, the reason for each
    rank and a lending string of up to five symbols, e.g.

        unioncat holdings --requester NcD 0-19-852663-6 "(OCoLC) 12345"
    """
    from indexer.holdings_check import answers_to_csv, check_holdings, parse_identifier_list, requests_to_csv
    from indexer.lenders import directory_from_settings

    settings = app.settings
    known = {s.library.code for s in settings.sources}
    if requester and requester not in known:
        raise click.BadParameter(f"{requester!r} is not a configured library; known: {', '.join(sorted(known))}",
                                 param_hint="--requester")
    wanted: list[str] = []
    for given in identifiers:
        wanted.extend(parse_identifier_list(sys.stdin.read() if given == "-" else given))
    answers = check_holdings(app.store(), wanted, directory=directory_from_settings(settings), requester=requester)
    if as_csv or as_requests:
        click.echo((requests_to_csv if as_requests else answers_to_csv)(answers), nl=False)
        return
    for answer in answers:
        _echo_answer(answer)


def _echo_answer(answer: Any) -> None:
    """One pasted identifier: its message, then per item the holdings and the ranked lenders."""
    from indexer.holdings_check import copies_text, lendable_text

    click.echo(f"{answer.query} → {answer.message}")
    for item in answer.items:
        year = f" ({item.year})" if item.year else ""
        click.echo(f"  {item.cluster_id}  {item.title}{year} [{item.format}]")
        for h in item.holdings:
            place = " — ".join(p for p in (h.library_name or h.library_code, h.location) if p)
            copies = f"{copies_text(h)} cop{'y' if h.copies == 1 else 'ies'}" if h.copies is not None else ""
            lend = f"lending: {lendable_text(h)}" + (f" ({h.basis})" if h.basis else "")
            bits = [place, h.call_number, h.status, copies, lend, h.summary]
            click.echo("    " + "  |  ".join(b for b in bits if b))
        for lender in item.lenders.lenders:
            click.echo(f"    {lender.rank}. {lender.symbol} {lender.name}: {lender.reason}")
        for other in item.lenders.not_lending:
            click.echo(f"    -  {other.name}: {other.reason}")
        click.echo(f"    lending string: {item.lenders.lending_string or '(none: no library says it lends)'}")


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "jsonl"]),
    default="text",
    show_default=True,
    help='jsonl: one {"id", "members"} object per line.',
)
@click.option(
    "--min-size",
    type=click.IntRange(1, None),
    default=1,
    show_default=True,
    help="Only clusters with at least this many records.",
)
@pass_app
def clusters(app: AppContext, fmt: str, min_size: int) -> None:
    """Every cluster (clusters of one included) with its member records, as of the last `unioncat index`."""
    from indexer.dedup.clusters import ClusterStore

    store = ClusterStore(app.store())
    total = shown = records = 0
    for cluster_id, members in store.iter_clusters():
        total += 1
        records += len(members)
        if len(members) < min_size:
            continue
        shown += 1
        if fmt == "jsonl":
            click.echo(json.dumps({"id": cluster_id, "members": members}, ensure_ascii=False))
        else:
            click.echo(f"{cluster_id}  {len(members)}  {' '.join(members)}")
    if fmt == "text":  # the summary goes to stderr, so the listing itself pipes cleanly
        if not total:
            click.echo("No clusters yet. Run `unioncat index`.", err=True)
        else:
            click.echo(f"{shown:,} of {total:,} clusters shown; {records:,} records in all.", err=True)


COMMANDS: list[click.Command] = [index, search, holdings, clusters]
