"""Property: any claim built from known codes, random units and modifiers is checked without an
exception, and every finding points at lines and codes of that claim."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.claims import Claim, ClaimCheck, ClaimLine, check_claim
from kg.graph import KnowledgeGraph
from kg.model import Severity

KG = KnowledgeGraph.default()
CODES = [c.code for c in KG.codes()]
MODIFIERS = [m.code for m in KG.modifiers()] + ["GY", "KX"]  # two the graph does not hold

lines = st.lists(
    st.builds(ClaimLine,
              code=st.sampled_from([*CODES, "99999", "A0000"]),
              units=st.integers(min_value=-2, max_value=12),
              modifiers=st.lists(st.sampled_from(MODIFIERS), max_size=3).map(tuple)),
    min_size=1, max_size=10)

claims = st.builds(
    Claim,
    claim_type=st.sampled_from(["PROFESSIONAL", "FACILITY_OUTPATIENT", "FACILITY_INPATIENT"]),
    lines=lines,
    payer=st.sampled_from(["medicare", "medicaid", "commercial", "unknown-plan"]),
    place_of_service=st.sampled_from([None, "11", "12", "19", "21", "22", "23", "24", "99"]),
    date_of_service=st.one_of(st.none(), st.dates(min_value=date(2003, 1, 1), max_value=date(2028, 12, 31))),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claims)
def test_any_claim_is_checked_and_findings_reference_its_lines(claim: Claim):
    result = check_claim(KG, claim)
    assert isinstance(result, ClaimCheck)
    assert result.valid == (not any(f.severity is Severity.ERROR for f in result.findings))
    on_claim = {line.code for line in claim.lines}
    for finding in result.findings:
        assert finding.rule and finding.message and finding.sources
        assert "{" not in finding.message, finding.message  # every placeholder was filled
        if finding.line is None:
            continue
        assert 1 <= finding.line <= len(claim.lines)
        assert finding.codes and set(finding.codes) <= on_claim
        assert finding.codes[0] == claim.lines[finding.line - 1].code
