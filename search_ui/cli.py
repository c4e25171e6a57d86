"""The ``unioncat`` command: one root group that gathers every package's commands, plus ``serve``.

Data flows harvester → indexer → search_ui, so this most downstream package is where all the commands
meet: ``harvest``, ``status``, ``quarantine``, ``show`` (harvester), ``index``, ``search``, ``holdings``,
``clusters``, ``explain``, ``override`` (indexer) and ``serve`` (here). Each package's commands are
imported by name, so a missing module is an ImportError at start-up, never a silently absent command.
"""

from __future__ import annotations

import click

from harvester import cli as harvester_cli
from harvester.cli import AppContext, pass_app
from harvester.settings import Settings
from indexer import cli as indexer_cli
from indexer.dedup import cli as dedup_cli
from indexer.status import search_status_lines
from search_ui.staff import cli as staff_cli


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    "config",
    envvar="UNIONCAT_CONFIG",
    type=click.Path(dir_okay=False),
    help="Config file (default: $UNIONCAT_CONFIG, else config/unioncat.toml).",
)
@click.version_option(package_name="unioncat")
@click.pass_context
def cli(ctx: click.Context, config: str | None) -> None:
    """unioncat: harvest library catalogs, deduplicate them, and search them all at once.

    \b
    Typical run:
      unioncat harvest          # read every configured source into the record store
      unioncat index            # cluster duplicates and update the search index
      unioncat serve            # the discovery interface on http://127.0.0.1:8000
    """
    app = AppContext(config, status_footers=(search_status_lines,))
    ctx.obj = app
    ctx.call_on_close(app.close)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="TCP port.")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Worker processes sharing the socket and the index (default: one per core).")
@click.option("--cache-mb", default=64, show_default=True, type=click.IntRange(0, 4096),
              help="Page cache per worker for public search pages, in MB (0 = off).")
@click.option("--max-body-kb", default=1024, show_default=True, type=click.IntRange(1, 1024 * 1024),
              help="Largest request body any route accepts (413 beyond).")
@click.option("--header-timeout", default=10.0, show_default=True, type=click.FloatRange(0.1, 3600),
              help="Seconds a client may take to send a request's headers before it is disconnected.")
@click.option("--body-timeout", default=30.0, show_default=True, type=click.FloatRange(0.1, 3600),
              help="Seconds a client may take to send a request body (408 beyond).")
@pass_app
def serve(app: AppContext, host: str, port: int, workers: int | None, cache_mb: int, max_body_kb: int,
          header_timeout: float, body_timeout: float) -> None:
    """Serve the search interface, record pages, ILL holdings check and partner-feed status.

    Several worker processes share one socket and the memory-mapped index; each keeps a small cache
    of public search pages that any index commit invalidates.
    """
    import os

    from search_ui.limits import WebLimits
    from search_ui.serve import ServeOptions
    from search_ui.serve import serve as run_server

    settings = app.settings
    documents = _catalog_size(settings)
    count = workers or os.cpu_count() or 1
    click.echo(f"unioncat: {documents:,} items from {len(settings.sources)} sources")
    click.echo(f"unioncat is serving on http://{host}:{port} with {count} worker{'s' * (count > 1)}  (Ctrl-C to stop)")
    limits = WebLimits(max_body=max_body_kb * 1024, body_timeout=body_timeout, header_timeout=header_timeout)
    options = ServeOptions(config=str(settings.config_file), workers=count, cache_bytes=cache_mb * 1024 * 1024,
                           limits=limits)
    run_server(options, host, port)


def _catalog_size(settings: Settings) -> int:
    """How many items the catalog serves; a friendly error when it cannot be opened or does not answer."""
    from indexer.catalog import Catalog
    from indexer.errors import BackendError

    try:
        catalog = Catalog.open(settings)
    except (BackendError, OSError, ValueError) as exc:
        raise click.ClickException(f"cannot open the catalog ({exc}); run `unioncat index` first") from exc
    try:
        return catalog.backend.count()
    except (BackendError, OSError) as exc:
        raise click.ClickException(f"the search backend does not answer: {exc}") from exc
    finally:
        catalog.close()


for _command in (*harvester_cli.COMMANDS, *indexer_cli.COMMANDS, *dedup_cli.COMMANDS, *staff_cli.COMMANDS, serve):
    cli.add_command(_command)
