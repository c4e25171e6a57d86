"""The ``unioncat`` command: one root group that gathers every package's commands.

Data flows harvester → indexer → search_ui, so this most downstream package is where all the commands
meet: ``harvest``, ``status``, ``quarantine``, ``show`` (harvester), ``index``, ``search``,
``holdings``, ``clusters``, ``explain``, ``override`` (indexer) and ``serve`` (here).
"""

from __future__ import annotations

import importlib

import click

from harvester.cli import AppContext


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
    from indexer.status import search_status_lines

    app = AppContext(config, status_footers=(search_status_lines,))
    ctx.obj = app
    ctx.call_on_close(app.close)


for _module in ("harvester.cli", "indexer.cli", "indexer.dedup_cli", "search_ui.commands"):
    try:
        _commands = importlib.import_module(_module).COMMANDS
    except ModuleNotFoundError as _exc:
        if _exc.name != _module:
            raise
        continue
    for _command in _commands:
        cli.add_command(_command)
