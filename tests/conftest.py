"""Shared test fixtures: the embedded graph and the location of ../shared reference files."""

from __future__ import annotations

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
