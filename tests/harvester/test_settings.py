"""Settings: the minimal file works, relative paths follow the file, bad files fail naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from harvester.marc.profiles import PROFILES
from harvester.settings import ConfigError, config_path, load_settings

REPO = Path(__file__).resolve().parents[2]

MINIMAL = """
data_dir = "var"
[[sources]]
id = "laurentian"
name = "Laurentian University Library"
type = "marc"
path = "samples/laurentian"
format = "auto"
"""


OAI = '[[sources]]\nid = "repo"\ntype = "oai-pmh"\nurl = "http://127.0.0.1:1/oai"\n'


def write(tmp_path: Path, text: str, name: str = "unioncat.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_config_from_the_issue_works_with_defaults(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, MINIMAL))
    source = settings.sources[0]
    assert settings.data_dir == tmp_path / "var"
    assert settings.store_path == tmp_path / "var" / "unioncat.sqlite"
    assert source.path == tmp_path / "samples" / "laurentian"
    assert source.library.code == "laurentian"
    assert source.library.name == "Laurentian University Library"
    assert source.holdings == PROFILES["marc21"]
    assert source.id_field == "001"
    assert settings.search.backend == "embedded"


def test_relative_paths_resolve_against_the_config_folder_not_the_cwd(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    path = write(folder, MINIMAL)
    monkeypatch.chdir(tmp_path)
    assert load_settings(path).sources[0].path == folder / "samples" / "laurentian"


def test_config_is_chosen_by_flag_then_environment_then_default() -> None:
    assert config_path("a.toml", {"UNIONCAT_CONFIG": "b.toml"}) == Path("a.toml")
    assert config_path(None, {"UNIONCAT_CONFIG": "b.toml"}) == Path("b.toml")
    assert config_path(None, {}) == Path("config/unioncat.toml")


def test_environment_variable_selects_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL, "other.toml")
    assert load_settings(None, {"UNIONCAT_CONFIG": str(path)}).config_file == path


def test_oai_options_are_typed_with_the_documented_defaults(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, OAI + "options = { max_retries = 1, backoff_cap = 8 }\n"))
    options = settings.sources[0].options
    assert (options.max_retries, options.backoff_cap, options.backoff_base) == (1, 8.0, 1.0)
    assert isinstance(options.backoff_cap, float) and options.retry_isolated == 100


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        (MINIMAL.replace('format = "auto"', 'format = "mrc"'), "sources[0].format", "must be one of"),
        (MINIMAL.replace('type = "marc"', 'type = "z3950"'), "sources[0].type", "must be one of"),
        (MINIMAL + 'colour = "red"\n', "sources[0].colour", "unknown setting"),
        (MINIMAL.replace('path = "samples/laurentian"', ""), "sources[0].path", "required"),
        (MINIMAL.replace('data_dir = "var"', "data_dir = 3"), "data_dir", "expected str"),
        (MINIMAL + 'holdings = "aleph"\n', "sources[0].holdings.profile", "unknown profile"),
        (MINIMAL + 'holdings = { profile = "koha", colour = "z" }\n', "sources[0].holdings", "unknown holdings"),
        (MINIMAL + MINIMAL.replace('data_dir = "var"', ""), "sources[1].id", "duplicate id"),
        ('[search]\nbackend = "solr"\n', "search.backend", "must be one of"),
        ('[[sources]]\nid = "x"\ntype = "oai-pmh"\n', "sources[0].url", "required"),
        (OAI + "options = { max_retrys = 3 }\n", "sources[0].options.max_retrys", "unknown setting"),
        (OAI + 'options = { max_retries = "3" }\n', "sources[0].options.max_retries", "expected int"),
        (OAI + "options = { backoff_base = true }\n", "sources[0].options.backoff_base", "expected int or float"),
    ],
)
def test_bad_config_fails_fast_naming_file_and_key(tmp_path: Path, text: str, key: str, words: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert caught.value.key == key
    assert words in caught.value.message
    assert str(path) in str(caught.value)


def test_not_toml_and_missing_file_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(write(tmp_path, "data_dir = = 1"))
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml")


def test_holdings_profile_overrides_only_the_named_subfields(tmp_path: Path) -> None:
    text = MINIMAL + 'holdings = { profile = "koha", call_number = "ok" }\n'
    profile = load_settings(write(tmp_path, text)).sources[0].holdings
    assert profile.tag == "952" and profile.call_number == "ok"
    assert profile.barcode == PROFILES["koha"].barcode


def test_every_named_profile_from_the_issue_ships() -> None:
    assert {"marc21", "koha", "sierra", "sierra-949", "symphony", "alma", "evergreen"} <= set(PROFILES)


def test_the_documented_example_config_loads_and_its_paths_exist() -> None:
    settings = load_settings(REPO / "config" / "unioncat.toml")
    assert len(settings.sources) >= 4
    for source in settings.sources:
        assert source.path is not None and source.path.exists(), source.id
