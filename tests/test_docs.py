"""The documentation keeps up with the code: every setting and every command is documented."""

from __future__ import annotations

import re
from pathlib import Path

from harvester.marc.profiles import PROFILES
from harvester.settings import _SOURCE_KEYS

REPO = Path(__file__).resolve().parents[1]


def test_every_source_setting_is_documented_in_the_example_config() -> None:
    text = (REPO / "config" / "unioncat.toml").read_text()
    documented = [key for key in _SOURCE_KEYS if re.search(rf"\b{key}\b", text)]
    missing = sorted(set(_SOURCE_KEYS) - {"set", "sets", "options"} - set(documented))
    assert missing == []


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
