"""The documentation keeps up with the code: every setting and every command is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harvester.limits import Limits
from harvester.marc.profiles import PROFILES
from harvester.settings import OAIOptions, SearchSettings, Settings, SourceConfig
from harvester.settings_table import LIMITS, OAI_OPTIONS, SEARCH, SOURCE, TABLES, TOP

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("where", sorted(TABLES))
def test_every_setting_is_documented(where: str) -> None:
    # the example config documents the file's own keys; the README documents the OAI-PMH tuning options
    config = (REPO / "config" / "unioncat.toml").read_text()
    readme = (REPO / "README.md").read_text()
    text = readme if where == "sources[].options" else config + readme
    missing = [
        name for name, setting in TABLES[where].items()
        if not re.search(rf"\b{name}\b", text) or not setting.help
    ]
    assert missing == [], f"undocumented settings in {where or 'the top level'}: {missing}"


@pytest.mark.parametrize(
    ("table", "cls"),
    [(TOP, Settings), (SEARCH, SearchSettings), (SOURCE, SourceConfig), (OAI_OPTIONS, OAIOptions),
     (LIMITS, Limits)],
)
def test_the_settings_dataclasses_take_their_defaults_from_the_table(table, cls) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    fields = {f.name: f for f in dataclasses.fields(cls)}
    for name, setting in table.items():
        if name in fields and fields[name].default is not dataclasses.MISSING and setting.default is not None:
            assert fields[name].default == setting.default, (cls.__name__, name)


def test_every_holdings_profile_is_documented() -> None:
    readme = (REPO / "README.md").read_text()
    config = (REPO / "config" / "unioncat.toml").read_text()
    for name in PROFILES:
        assert f"`{name}`" in readme and name in config, name


def test_every_command_is_in_the_readme() -> None:
    from search_ui.cli import cli

    readme = (REPO / "README.md").read_text()
    missing = [name for name in cli.commands if f"unioncat {name}" not in readme]
    assert missing == []


def test_readme_shows_the_two_commands() -> None:
    readme = (REPO / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
