"""Fixtures: one real union catalog per test session (store + tantivy index), and apps over it.

Building the catalog (SQLite store, clustering, tantivy index) takes well under a second, but it is
shared per session because no test here changes it; tests that need their own build one.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():  # starlette 1.x nudges towards httpx2; httpx is what is installed
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from indexer.catalog import Catalog
from search_ui.app import create_app
from tests.search_ui.dataset import Dataset, build


@pytest.fixture(scope="session")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return build(tmp_path_factory.mktemp("catalog"))


@pytest.fixture(scope="session")
def catalog(dataset: Dataset) -> Iterator[Catalog]:
    catalog = Catalog.open(dataset.settings)
    yield catalog
    catalog.close()


@pytest.fixture(scope="session")
def client(dataset: Dataset, catalog: Catalog) -> Iterator[TestClient]:
    with TestClient(create_app(dataset.settings, catalog), raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def data_root(dataset: Dataset) -> Path:
    return dataset.settings.config_file.parent
