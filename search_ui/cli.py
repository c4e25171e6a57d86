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
@pass_app
def serve(app: AppContext, host: str, port: int) -> None:
    """Serve the search interface, record pages, ILL holdings check and partner-feed status."""
    import uvicorn

    from indexer.catalog import Catalog
    from indexer.errors import BackendError
    from search_ui.app import create_app

    settings = app.settings
    try:
        catalog = Catalog.open(settings)
    except (BackendError, OSError, ValueError) as exc:
        raise click.ClickException(f"cannot open the catalog ({exc}); run `unioncat index` first") from exc
    try:
        try:
            documents = catalog.backend.count()
        except (BackendError, OSError) as exc:
            raise click.ClickException(f"the search backend does not answer: {exc}") from exc
        click.echo(f"unioncat: {documents:,} items from {len(settings.sources)} sources")
        click.echo(f"unioncat is serving on http://{host}:{port}  (Ctrl-C to stop)")
        uvicorn.run(create_app(settings, catalog), host=host, port=port, log_level="warning")
    finally:
        catalog.close()


for _command in (*harvester_cli.COMMANDS, *indexer_cli.COMMANDS, *dedup_cli.COMMANDS, *staff_cli.COMMANDS, serve):
    cli.add_command(_command)
