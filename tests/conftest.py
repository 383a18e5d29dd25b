"""Shared test fixtures: the embedded graph and the location of ../shared reference files."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.graph import KnowledgeGraph

REPO = Path(__file__).resolve().parents[1]


def find_shared() -> Path:
    """The ``shared`` folder that sits beside the checkout (or above it)."""
    for parent in (REPO, *REPO.parents):
        candidate = parent / "shared"
        if (candidate / "reference" / "cms").is_dir():
            return candidate
        sibling = parent.parent / "shared"
        if (sibling / "reference" / "cms").is_dir():
            return sibling
    raise FileNotFoundError("cannot find shared/reference/cms beside the repository")


@pytest.fixture(scope="session")
def kg() -> KnowledgeGraph:
    """The embedded default graph, loaded once per test session."""
    return KnowledgeGraph.default()


@pytest.fixture(scope="session")
def shared() -> Path:
    """The shared reference folder (domain brief, CMS files)."""
    return find_shared()


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
