"""Real SRU clients we did not write against /sru on 127.0.0.1: Debian's yaz-client and PyPI's sruthi.

yaz-client is driven through its command language on stdin (``sru get 1.2`` / ``sru post 2.0``,
``querytype cql``, ``find``, ``show``, ``scan``), exactly as a librarian would type it; CI installs it
(.ci/run, which also sets UNIONCAT_REQUIRE_YAZ so that they can never be skipped there); a machine
without it skips them with a reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import sruthi
import sruthi.errors

from indexer.catalog import Catalog
from tests.search_ui.dataset import Dataset
from tests.search_ui.test_oai_provider_harvest import serve

YAZ = shutil.which("yaz-client")


@pytest.fixture(scope="module")
def sru_url(dataset: Dataset, catalog: Catalog) -> Iterator[str]:
    from search_ui.app import create_app

    with serve(create_app(dataset.settings, catalog)) as base:
        yield f"{base}/sru"


def yaz(url: str, *commands: str) -> str:
    script = "\n".join([f"open {url}", *commands, "quit"]) + "\n"
    done = subprocess.run([YAZ or "yaz-client"], input=script, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


if YAZ is None and os.environ.get("UNIONCAT_REQUIRE_YAZ") == "1":  # CI (.ci/run) installs it: never skip there
    raise RuntimeError("UNIONCAT_REQUIRE_YAZ is set but yaz-client is not installed (apt-get install yaz)")
needs_yaz = pytest.mark.skipif(YAZ is None, reason="Debian's yaz is not installed (apt-get install yaz)")


@needs_yaz
@pytest.mark.parametrize("version", ["sru get 1.2", "sru post 1.2", "sru get 2.0", "sru post 2.0"])
def test_yaz_client_finds_by_id_and_shows_marcxml_with_holdings(sru_url: str, dataset: Dataset,
                                                                 version: str) -> None:
    out = yaz(sru_url, version, "querytype cql", f'find id="{dataset.moby}"', "show 1")
    assert "Number of hits: 1" in out
    assert f'<marc:controlfield tag="001">{dataset.moby}</marc:controlfield>' in out
    assert out.count('<marc:datafield tag="999" ind1="1" ind2="1">') == 3
    assert '<marc:subfield code="s">EAS</marc:subfield><marc:subfield code="p">not lendable</marc:subfield>' in out


@needs_yaz
def test_yaz_client_searches_pages_and_reads_dc(sru_url: str) -> None:
    out = yaz(sru_url, "sru get 1.2", "querytype cql", "schema dc", "find dc.title = history and dc.date < 1960",
              "show 9+2")
    assert "Number of hits: 10" in out
    assert "pos=9 schema=info:srw/schema/1/dc-v1.1" in out and "pos=10 " in out and "pos=11" not in out
    assert out.count("<dc:title>A history of") == 2


@needs_yaz
def test_yaz_client_reports_diagnostics_and_scans(sru_url: str) -> None:
    out = yaz(sru_url, "sru get 1.2", "querytype cql", "find foo.bar = x", "find dc.title = (",
              "scan bath.isbn = 978")
    assert "SRW diagnostic info:srw/diagnostic/1/16" in out and "Details: foo.bar" in out
    assert "SRW diagnostic info:srw/diagnostic/1/10" in out
    assert "9780142437247: 1" in out and "9780306406157: 1" in out


def test_sruthi_crosslink_lookup(sru_url: str, dataset: Dataset) -> None:
    records = sruthi.searchretrieve(sru_url, query=f'id="{dataset.moby}"', maximum_records=1,
                                    record_schema="info:srw/schema/1/marcxml-v1.1")
    assert records.count == 1
    record: dict[str, Any] = records[0]
    assert record["schema"] == "info:srw/schema/1/marcxml-v1.1"
    holdings = [f for f in record["datafield"] if f["tag"] == "999"]
    assert len(holdings) == 3 and all((f["ind1"], f["ind2"]) == ("1", "1") for f in holdings)
    symbols = {next(s["text"] for s in f["subfield"] if s["code"] == "s") for f in holdings}
    assert symbols == {"NOR", "SOU", "EAS"}


def test_sruthi_pages_through_a_search(sru_url: str) -> None:
    records = sruthi.searchretrieve(sru_url, query="cql.anywhere = history", maximum_records=7, record_schema="dc")
    titles = [r["title"] for r in records]
    assert records.count == 45 and len(titles) == 45 == len(set(titles))


def test_sruthi_explain_and_diagnostics(sru_url: str) -> None:
    info = sruthi.explain(sru_url)
    assert info.sru_version == "1.2" and info.config["maximumRecords"] == 100
    assert {"title", "creator"} <= set(info.index["dc"]) and "isbn" in info.index["bath"]
    assert "marcxml" in info.schema and "dc" in info.schema
    with pytest.raises(sruthi.errors.SruError, match="info:srw/diagnostic/1/16"):
        sruthi.searchretrieve(sru_url, query="foo.bar = x")
