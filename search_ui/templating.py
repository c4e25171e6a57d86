"""The Jinja environment of the discovery interface: autoescape always on, plus a few display filters.

Record text comes from hundreds of catalogers and a few hostile feeds, so every template escapes it:
the environment is built here with ``autoescape=True`` for every file (not just ``*.html``), and no
template marks record data ``|safe``. Python passes data; templates decide how it looks.

    templates = make_templates()
    templates.TemplateResponse(request, "search.html", context)
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import jinja2
from starlette.templating import Jinja2Templates

from indexer.labels import format_label, language_name
from search_ui.interop.export import FORMATS
from search_ui.views.holdings_table import lending_label

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def number(value: Any) -> str:
    """``12345`` → ``"12,345"``; anything else as text."""
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)


def plural(count: int, singular: str, many: str | None = None) -> str:
    """``plural(1, "library", "libraries")`` → ``"1 library"``."""
    word = singular if count == 1 else (many or singular + "s")
    return f"{number(count)} {word}"


def plain(value: Any) -> str:
    """Nested status data (OAI watermarks, error lists) as one readable line; empty parts left out."""
    if isinstance(value, dict):
        parts = ((str(key).replace("_", " "), plain(item)) for key, item in sorted(value.items()))
        return "; ".join(f"{key}: {text}" for key, text in parts if text)
    if isinstance(value, list | tuple):
        return ", ".join(p for p in (plain(item) for item in value) if p)
    if value is None or value == "" or value == 0 or value is False:
        return ""
    return str(value)


def when(timestamp: float | None) -> str:
    """A Unix time as ``2026-11-24 10:55 UTC`` (empty for None)."""
    if not timestamp:
        return ""
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(float(timestamp)))


def make_templates() -> Jinja2Templates:
    """The templates object every view renders through (one per app, no module-level state)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.ChainableUndefined,
    )
    env.filters.update(
        number=number,
        plural=plural,
        format_label=format_label,
        language_name=language_name,
        when=when,
        plain=plain,
        lending_label=lending_label,
    )
    env.globals["export_formats"] = [(f.name, f.label) for f in FORMATS.values()]
    return Jinja2Templates(env=env)
