"""Shared fixtures for the encounter coder tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kg.encounter import Administration, Encounter, EncounterCoding, code_encounter
from kg.graph import KnowledgeGraph


@pytest.fixture(scope="session")
def kg() -> KnowledgeGraph:
    return KnowledgeGraph.default()


@pytest.fixture(scope="session")
def code(kg: KnowledgeGraph) -> Callable[..., EncounterCoding]:
    """``code("FACILITY", adm, adm, ...)`` -> the coding of that record."""

    def run(perspective: str, *administrations: Administration, date=None) -> EncounterCoding:
        return code_encounter(kg, Encounter(perspective, date, administrations))

    return run

