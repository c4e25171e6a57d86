"""`unioncat status` tells partners and operators where every source stands and what the index holds."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from search_ui.cli import cli

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def test_status_reports_sources_and_the_search_backend(tmp_path: Path) -> None:
    shutil.copytree(SAMPLES / "michigan", tmp_path / "michigan")
    config = tmp_path / "unioncat.toml"
    config.write_text('data_dir = "var"\n[[sources]]\nid = "michigan"\npath = "michigan"\n')
    runner = CliRunner()
    base = ["--config", str(config)]
    assert runner.invoke(cli, [*base, "harvest", "-q"]).exit_code == 0
    before = runner.invoke(cli, [*base, "status"])
    assert "michigan" in before.output and ", 0 documents" in before.output  # nothing indexed yet
    assert runner.invoke(cli, [*base, "index"]).exit_code == 0
    after = runner.invoke(cli, [*base, "status"])
    assert after.exit_code == 0, after.output
    assert "search backend: embedded" in after.output
    assert "31 documents" in after.output  # umich_batch.mrc holds 31 distinct records
