"""Shared test fixtures: the embedded graph (with and without the CMS baseline) and the test data folder.

Everything the tests read lives in the repository: the real CMS files are the copies the package
ships (``ontology/cms/``), other reference text is under ``tests/data/``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.graph import KnowledgeGraph

REPO = Path(__file__).resolve().parents[1]
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def kg() -> KnowledgeGraph:
    """The embedded default graph (CMS baseline and curated data), loaded once per test session."""
    return KnowledgeGraph.default()


@pytest.fixture(scope="session")
def curated() -> KnowledgeGraph:
    """The curated data alone, without the embedded CMS baseline."""
    return KnowledgeGraph.default(baseline=False)


@pytest.fixture(scope="session")
def test_data() -> Path:
    """The folder of reference files the tests read (``tests/data``)."""
    return TEST_DATA


@pytest.fixture(scope="session", autouse=True)
def snapshot_key_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A snapshot secret for this test run, so tests never touch the real installation's key."""
    path = tmp_path_factory.mktemp("snapshot-key") / "snapshot.key"
    previous = os.environ.get("CODINGKG_SNAPSHOT_KEY")
    os.environ["CODINGKG_SNAPSHOT_KEY"] = str(path)
    yield path
    if previous is None:
        os.environ.pop("CODINGKG_SNAPSHOT_KEY", None)
    else:
        os.environ["CODINGKG_SNAPSHOT_KEY"] = previous
