"""Harvest-side commands: ``harvest``, ``status``, ``quarantine``, ``show``.

Each package exports its commands in ``COMMANDS``; the root group (`search_ui.cli`) adds them. Commands
receive an `AppContext` through `pass_app`, which reads the config lazily (``--help`` never needs one)
and reports a bad config file as a friendly one-line error naming the file and key.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import click

from harvester.limits import human_size
from harvester.lock import show_interrupted
from harvester.settings import ConfigError, Settings, load_settings
from harvester.store import RecordStore

F = TypeVar("F", bound=Callable[..., Any])
StatusFooter = Callable[[Settings], list[str]]


class AppContext:
    """What every command needs: settings (loaded on first use) and the record store."""

    def __init__(self, config: str | None, status_footers: tuple[StatusFooter, ...] = ()) -> None:
        self._config = config
        self._settings: Settings | None = None
        self._store: RecordStore | None = None
        # Downstream packages (the search index) add lines to `unioncat status` through these,
        # handed in by the root group, so this upstream package never imports them.
        self.status_footers = status_footers

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(self._config)
            except ConfigError as exc:
                raise click.ClickException(f"bad config: {exc}") from exc
        return self._settings

    def store(self) -> RecordStore:
        if self._store is None:
            self._store = RecordStore(self.settings.store_path)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def pass_app(func: F) -> F:
    """Give a command the `AppContext` as its first argument (set up by the root group)."""

    @click.pass_context
    @functools.wraps(func)
    def wrapper(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        app = ctx.find_object(AppContext)
        if app is None:  # a command invoked on its own, e.g. in a test
            app = AppContext(None)
            ctx.obj = app
        return ctx.invoke(func, app, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


@click.command()
@click.argument("source_ids", nargs=-1)
@click.option("--full", is_flag=True, help="Re-read everything (OAI-PMH: ignore the watermark).")
@click.option("--workers", type=int, default=None, help="Parsing processes (default: one per core).")
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
@pass_app
def harvest(
    app: AppContext, source_ids: tuple[str, ...], full: bool, workers: int | None, quiet: bool
) -> None:
    """Harvest SOURCE_IDS (default: every configured source) into the record store.

    Every record read is stored, updated, left alone when unchanged, quarantined with its reason, or
    skipped (authority records) and counted. Exits non-zero only when a whole source failed.
    """
    from harvester.errors import HarvestRunning
    from harvester.run import harvest_sources

    settings = app.settings
    try:
        sources = [settings.source(s) for s in source_ids] if source_ids else list(settings.sources)
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0])) from exc
    if not sources:
        raise click.ClickException(f"no sources configured in {settings.config_file}")
    try:
        results = harvest_sources(
            settings, app.store(), sources, full=full, workers=workers, show_progress=not quiet
        )
    except HarvestRunning as exc:
        raise click.ClickException(str(exc)) from exc
    failed = [r for r in results if r.status == "failed"]
    for result in results:
        click.echo(result.summary())
    if failed:
        raise click.ClickException(f"{len(failed)} of {len(results)} source(s) failed: "
                                   + ", ".join(r.source_id for r in failed))


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def status(app: AppContext, as_json: bool) -> None:
    """Per source: live, deleted and quarantined records, and the last harvest run."""
    rows = app.store().source_status()
    extra = _status_extras(app)
    show_interrupted(rows, app.settings.data_dir)  # "running" with nobody holding the lock: killed mid-run
    for row in rows:
        row.update(extra.get(row["id"], {}))
        row["details"] = _ingest_lines(row) + row.get("details", [])
    if as_json:
        click.echo(json.dumps(rows, indent=2, sort_keys=True, default=str))
        return
    if not rows:
        click.echo("No sources harvested yet. Run `unioncat harvest`.")
        return
    header = f"{'source':<24} {'records':>8} {'deleted':>8} {'quarant.':>8}  last run"
    click.echo(header)
    click.echo("-" * len(header))
    for row in rows:
        click.echo(
            f"{row['id']:<24} {row['records']:>8} {row['deleted']:>8} {row['quarantined']:>8}  "
            f"{_describe_run(row['last_run'])}"
        )
        for line in row.get("details", []):
            click.echo(f"{'':<26}{line}")
    for footer in app.status_footers:
        for line in footer(app.settings):
            click.echo(line)


def _status_extras(app: AppContext) -> dict[str, dict[str, Any]]:
    """OAI watermarks and search-backend figures, from the modules that own them (when present)."""
    extras: dict[str, dict[str, Any]] = {}
    store = app.store()
    for source in app.settings.sources:
        if source.type != "oai-pmh":
            continue
        try:
            from harvester.oai.harvest import oai_status
        except ImportError:  # pragma: no cover - OAI support not installed
            break
        info = oai_status(store, source.id)
        details = [f"{k}: {v}" for k, v in info.items() if v not in (None, "", {})]
        extras[source.id] = {"oai": info, "details": details}
    return extras


def _ingest_lines(row: dict[str, Any]) -> list[str]:
    """How a source's records were read: stored, superseded and duplicates (last run), repaired, ids
    derived (with why), and the quarantine by reason, so a partner sees what happened to its feed."""
    lines = [f"stored {row['records'] + row['holdings_records']}, superseded {row.get('superseded', 0)}, "
             f"duplicates {row.get('duplicates', 0)} (last run), repaired {row.get('repaired', 0)}, "
             f"derived ids {row.get('derived_ids', 0)}"]
    lines += [f"{d['count']} × {d['reason']}" for d in row.get("derived_reasons", [])]
    lines += [f"quarantined {q['count']} × {q['reason'][:100]} ({q['kind']})"
              for q in row.get("quarantined_by_reason", [])]
    return lines


def _describe_run(run: dict[str, Any] | None) -> str:
    if not run:
        return "never"
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(run["started_at"]))
    counts = run.get("counts", {})
    text = f"{when} {run['status']}: read {counts.get('read', 0)}, new {counts.get('new', 0)}, " \
           f"updated {counts.get('updated', 0)}, quarantined {counts.get('quarantined', 0)}"
    if run.get("error"):
        text += f" — {run['error']}"
    return text


@click.command()
@click.argument("source_id")
@click.option("--raw", is_flag=True, help="Also print the raw bytes of each rejected record.")
@pass_app
def quarantine(app: AppContext, source_id: str, raw: bool) -> None:
    """What was rejected from SOURCE_ID, where, and why."""
    entries = app.store().quarantined(source_id)
    if not entries:
        click.echo(f"Nothing quarantined for {source_id}.")
        return
    for entry in entries:
        where = f"{entry.file} {entry.position}".strip()
        ident = f" [{entry.local_id}]" if entry.local_id else ""
        click.echo(f"{where}{ident}: {entry.reason}")
        if entry.excerpt:
            click.echo(f"    excerpt: the first {len(entry.raw or b''):,} of {entry.size:,} bytes "
                       f"({human_size(entry.size)}) are kept")
        if raw and entry.raw:
            click.echo("    " + entry.raw[:2000].decode("utf-8", "replace").replace("\x1e", "␞\n    "))
    click.echo(f"{len(entries)} quarantined record(s) from {source_id}.")


@click.command()
@click.argument("record_id")
@click.option("--json", "as_json", is_flag=True, help="The normalized record as JSON only.")
@pass_app
def show(app: AppContext, record_id: str, as_json: bool) -> None:
    """A stored record: normalized fields, then the raw record as text."""
    from harvester.marc.raw_view import raw_as_text

    stored = app.store().get(record_id)
    if stored is None:
        raise click.ClickException(f"no record {record_id!r} (ids look like source:localid)")
    data = stored.normalized.to_dict()
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    state = "DELETED" if stored.deleted else "live"
    click.echo(f"{stored.id}  ({state}; {stored.raw_format}; {stored.file} {stored.position})")
    if stored.normalized.id_origin:
        click.echo(f"  ! {stored.normalized.id_origin} (the id is a hash of the record's content)")
    for repair in stored.normalized.repairs:
        click.echo(f"  ! repaired: {repair}")
    for key, value in data.items():
        if value in ("", None, [], ()):
            continue
        click.echo(f"  {key}: {json.dumps(value, ensure_ascii=False)}")
    click.echo("\nRaw record:")
    click.echo(raw_as_text(stored.raw, stored.raw_format))


COMMANDS: list[click.Command] = [harvest, status, quarantine, show]
