"""Fixtures for the claim-check tests: the default graph and a compact way to write claims."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import pytest

from kg.claims import Claim, ClaimCheck, ClaimLine, check_claim
from kg.graph import KnowledgeGraph
from kg.model import Finding, Severity

# A date on which every curated fact in the default graph is in force (OPPS April 2026,
# physician fee schedule October 2025): tests never depend on today's date unless they say so.
DOS = date(2026, 6, 1)

PREFIXES = """
@prefix ck:      <https://w3id.org/codingkg/ontology#> .
@prefix skos:    <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .
@prefix src:     <https://w3id.org/codingkg/source/> .
@prefix cpt:     <https://w3id.org/codingkg/cpt/> .
@prefix rel:     <https://w3id.org/codingkg/relationship/> .
@prefix cr:      <https://w3id.org/codingkg/claim-rule/> .
@prefix set:     <https://w3id.org/codingkg/code-set/> .
@prefix payer:   <https://w3id.org/codingkg/payer/> .
@prefix pos:     <https://w3id.org/codingkg/pos/> .
@prefix claim:   <https://w3id.org/codingkg/claim-type/> .
@prefix scheme:  <https://w3id.org/codingkg/scheme/> .
@prefix mue:     <https://w3id.org/codingkg/mue/> .
@prefix adj:     <https://w3id.org/codingkg/mue-adjudication/> .
"""


@pytest.fixture(scope="session")
def kg() -> KnowledgeGraph:
    return KnowledgeGraph.default()


def make_claim(lines: Sequence[tuple], claim_type: str = "PROFESSIONAL", pos: str | None = "11",
               payer: str = "medicare", dos: date | None = DOS) -> Claim:
    """``lines`` as (code,), (code, units) or (code, units, [modifiers])."""
    built = [ClaimLine(spec[0], spec[1] if len(spec) > 1 else 1, tuple(spec[2]) if len(spec) > 2 else ())
             for spec in lines]
    return Claim(claim_type, built, payer=payer, place_of_service=pos, date_of_service=dos)


@pytest.fixture()
def check(kg: KnowledgeGraph) -> Callable[..., ClaimCheck]:
    def run(lines: Sequence[tuple], **kwargs) -> ClaimCheck:
        return check_claim(kg, make_claim(lines, **kwargs))

    return run


def of_rule(result: ClaimCheck, rule: str, severity: Severity | None = None) -> list[Finding]:
    """The findings of one rule id (and severity, when given)."""
    return [f for f in result.findings if f.rule == rule and (severity is None or f.severity is severity)]


def errors(result: ClaimCheck) -> list[Finding]:
    return [f for f in result.findings if f.severity is Severity.ERROR]


def layered(tmp_path: Path, turtle: str, name: str = "extra.ttl") -> KnowledgeGraph:
    """The default graph plus one Turtle file written for the test (a later layer)."""
    from ontology import default_files

    path = tmp_path / name
    path.write_text(PREFIXES + turtle, encoding="utf-8")
    return KnowledgeGraph.from_layers([default_files(), [path]])
