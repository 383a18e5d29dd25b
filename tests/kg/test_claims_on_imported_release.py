"""Round trip: CMS files in their exact layouts -> import -> graph -> claim checks.

The small quarter of ``tests/kg/conftest.py`` holds, among others (column 1, column 2):
practitioner 96413/96360 with indicator 1, 96365/96372 with indicator 0, 96374/96372 with
indicator 1 retired on 2020-01-01; hospital 96413/96360 with indicator 0; a practitioner MUE of
2 for 96368 (adjudication 2) effective 2026-07-01.
"""

from __future__ import annotations

from datetime import date

from kg.claims import Claim, ClaimLine, check_claim
from kg.graph import KnowledgeGraph

AFTER = date(2026, 8, 3)


def _rules(kg: KnowledgeGraph, *lines: ClaimLine, claim_type: str = "PROFESSIONAL", dos: date = AFTER) -> set[tuple[str, int]]:
    place = "11" if claim_type == "PROFESSIONAL" else "22"
    result = check_claim(kg, Claim(claim_type, list(lines), place_of_service=place, date_of_service=dos))
    return {(f.rule, f.line) for f in result.findings if f.severity.value == "ERROR"}


def test_indicator_one_is_bundled_unless_a_bypass_modifier_is_on_column_two(small_graph: KnowledgeGraph) -> None:
    assert ("BUNDLED", 2) in _rules(small_graph, ClaimLine("96413"), ClaimLine("96360"))
    assert ("BUNDLED", 2) not in _rules(small_graph, ClaimLine("96413"), ClaimLine("96360", modifiers=("59",)))
    assert ("BUNDLED", 2) not in _rules(small_graph, ClaimLine("96413"), ClaimLine("96360", modifiers=("XU",)))
    # A modifier that is not a PTP bypass modifier does not help.
    assert ("BUNDLED", 2) in _rules(small_graph, ClaimLine("96413"), ClaimLine("96360", modifiers=("76",)))


def test_indicator_zero_is_bundled_even_with_a_bypass_modifier(small_graph: KnowledgeGraph) -> None:
    assert ("BUNDLED", 2) in _rules(small_graph, ClaimLine("96365"), ClaimLine("96372", modifiers=("59",)))


def test_the_finding_explains_itself_with_the_imported_edge(small_graph: KnowledgeGraph) -> None:
    claim = Claim("PROFESSIONAL", [ClaimLine("96365"), ClaimLine("96372", modifiers=("59",))],
                  place_of_service="11", date_of_service=AFTER)
    (finding,) = [f for f in check_claim(small_graph, claim).findings if f.rule == "BUNDLED"]
    (edge,) = finding.path
    assert (edge.from_code.code, edge.to_code.code, edge.modifier_indicator) == ("96372", "96365", 0)
    assert edge.sources[0].file_name == "ccipra-v322r0-f1.txt"
    assert finding.codes == ("96372", "96365")


def test_practitioner_and_hospital_tables_apply_to_their_own_claim_type(small_graph: KnowledgeGraph) -> None:
    # Hospital table: 96413/96360 with indicator 0 — a bypass modifier does not help there.
    facility = _rules(small_graph, ClaimLine("96413"), ClaimLine("96360", modifiers=("59",)), claim_type="FACILITY_OUTPATIENT")
    professional = _rules(small_graph, ClaimLine("96413"), ClaimLine("96360", modifiers=("59",)))
    assert ("BUNDLED", 2) in facility
    assert ("BUNDLED", 2) not in professional


def test_a_retired_edit_fires_only_before_its_deletion(small_graph: KnowledgeGraph) -> None:
    lines = (ClaimLine("96374"), ClaimLine("96372"))
    assert ("BUNDLED", 2) in _rules(small_graph, *lines, dos=date(2019, 12, 31))
    assert ("BUNDLED", 2) not in _rules(small_graph, *lines, dos=date(2020, 1, 1))
    assert ("BUNDLED", 2) not in _rules(small_graph, *lines)


def test_mue_exceeded_by_the_imported_limit(small_graph: KnowledgeGraph) -> None:
    # The imported practitioner MUE (2 per date of service) replaces the curated one (1).
    assert ("MUE_EXCEEDED", 2) not in _rules(small_graph, ClaimLine("96413"), ClaimLine("96368", units=2))
    assert ("MUE_EXCEEDED", 2) in _rules(small_graph, ClaimLine("96413"), ClaimLine("96368", units=3))
    # Adjudication 2 counts per date of service, across lines.
    split = _rules(small_graph, ClaimLine("96413"), ClaimLine("96368", units=2), ClaimLine("96368", units=1))
    assert any(rule == "MUE_EXCEEDED" for rule, _ in split)


def test_the_curated_graph_alone_does_not_bundle_these_pairs(kg: KnowledgeGraph) -> None:
    assert not any(rule == "BUNDLED" for rule, _ in _rules(kg, ClaimLine("96413"), ClaimLine("96360")))
