"""Claims over codes only the embedded CMS baseline knows: checked against their CMS facts, sensibly.

With the fee schedule and Addendum B embedded, a realistic office claim (visit, drug, IV push,
venipuncture, blood count) no longer stops at UNKNOWN_CODE: the codes reach the payment-status
and MUE checks, and what the graph has no data for is INFO, not an error.
"""

from __future__ import annotations

from kg.claims import check_claim, claim_from_dict
from kg.graph import KnowledgeGraph

LINES = [{"code": "99213", "modifiers": ["25"]}, {"code": "J1100", "units": 4}, {"code": "96374"},
         {"code": "36415"}, {"code": "85025"}]


def _findings(kg: KnowledgeGraph, claim_type: str) -> list[tuple[str, str, int | None]]:
    claim = claim_from_dict({"claimType": claim_type, "placeOfService": "11", "dateOfService": "2026-06-01", "lines": LINES})
    return [(f.rule, f.severity.value, f.line) for f in check_claim(kg, claim).findings]


def test_an_office_claim_with_lab_lines_is_valid(kg: KnowledgeGraph) -> None:
    findings = _findings(kg, "PROFESSIONAL")
    assert not [f for f in findings if f[0] == "UNKNOWN_CODE" or f[1] == "ERROR"], findings
    # 36415 and 85025 have fee-schedule status X in the shipped PPRRVU file: outside the physician
    # fee schedule (clinical laboratory), which is information on a professional claim.
    assert ("NOT_PAYABLE", "INFO", 4) in findings and ("NOT_PAYABLE", "INFO", 5) in findings
    # No MUE is embedded for the lab codes: said, never a pass and never an error.
    assert ("NO_DATA", "INFO", 5) in findings


def test_the_same_lines_on_a_hospital_claim_follow_addendum_b(kg: KnowledgeGraph) -> None:
    findings = _findings(kg, "FACILITY_OUTPATIENT")
    # 99213 has SI B in the shipped Addendum B (hospitals report a different visit code), J1100 SI N.
    assert ("NOT_PAYABLE", "ERROR", 1) in findings
    assert ("PACKAGED", "INFO", 2) in findings
    assert not [f for f in findings if f[0] == "UNKNOWN_CODE"]
