"""The ``serve`` command: the discovery interface on uvicorn (default http://127.0.0.1:8000).

The catalog is opened before the server starts, so a missing index or a bad backend setting is a
one-line error instead of a traceback from inside the server's startup.
"""

from __future__ import annotations

import click

from harvester.cli import AppContext, pass_app


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="TCP port.")
@pass_app
def serve(app: AppContext, host: str, port: int) -> None:
    """Serve the search interface, record pages, ILL holdings check and partner-feed status."""
    import uvicorn

    from indexer.backends.base import BackendError
    from indexer.catalog import Catalog
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


COMMANDS: list[click.Command] = [serve]
