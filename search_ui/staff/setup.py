"""`install_staff(app, settings)`: what `create_app` calls once to give the app its public/staff split.

Kept out of `search_ui.app` so the app module stays about the app: the hidden-field rules parsed
from ``[staff]`` onto ``app.state``, and the staff session middleware.
"""

from __future__ import annotations

from starlette.applications import Starlette

from harvester.errors import ConfigError
from harvester.settings import Settings
from search_ui.staff.hidden import HiddenFields
from search_ui.staff.session import StaffSession


def install_staff(app: Starlette, settings: Settings) -> None:
    try:
        app.state.hidden_fields = HiddenFields.parse(settings.staff.hidden_fields)
    except ValueError as exc:
        raise ConfigError(settings.config_file, "staff.hidden_fields", str(exc)) from exc
    app.add_middleware(StaffSession, settings=settings.staff)
