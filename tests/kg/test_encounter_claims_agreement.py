"""The encounter coder agrees with the claim checker: coded lines, billed as a claim, raise no ERROR."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from kg.claims import Claim, ClaimLine, check_claim
from kg.encounter import Administration, Encounter, Perspective, Pump, Route, SubstanceCategory, code_encounter
from kg.graph import KnowledgeGraph
from kg.model import Severity

DAY = date(2026, 6, 1)
# Where each perspective's claim is billed: the physician's office, the hospital outpatient department.
CLAIM_OF = {Perspective.PHYSICIAN: ("PROFESSIONAL", "11"), Perspective.FACILITY: ("FACILITY_OUTPATIENT", "22")}


@st.composite
def administration(draw: st.DrawFn, index: int) -> Administration:
    start = draw(st.integers(min_value=6 * 60, max_value=14 * 60))
    # Mostly clinic-length administrations; sometimes a prolonged one (a pump runs for days).
    length = draw(st.one_of(st.integers(min_value=1, max_value=300), st.integers(min_value=300, max_value=3000)))
    clock = lambda minutes: f"{minutes // 60:02d}:{minutes % 60:02d}"  # noqa: E731
    iso = lambda minutes: (datetime.combine(DAY, time()) + timedelta(minutes=minutes)).isoformat()  # noqa: E731
    when = clock if start + length < 24 * 60 else iso
    hcpcs = draw(st.sampled_from([None, None, None, "J9045", "J9217", "J1745", "J3315", "J1100", "J7050"]))
    pump = draw(st.sampled_from([None, None, None, *Pump]))
    return Administration(
        id=f"a{index}",
        substance=draw(st.sampled_from(["carboplatin", "cisplatin", "ondansetron", "dexamethasone", "iron", "saline"])),
        category=draw(st.sampled_from([*SubstanceCategory, *([None] if hcpcs else [])])),
        route=draw(st.sampled_from(list(Route))),
        start=when(start), stop=when(start + length),
        site=draw(st.sampled_from([None, None, "left arm", "right hand"])),
        primary_reason=draw(st.booleans()),
        hcpcs=hcpcs, pump=pump, refill=pump is not None and draw(st.booleans()),
    )


@st.composite
def encounter(draw: st.DrawFn) -> Encounter:
    count = draw(st.integers(min_value=1, max_value=6))
    return Encounter(draw(st.sampled_from(list(Perspective))), DAY, [draw(administration(i)) for i in range(count)])


def _claim_of(record: Encounter, lines: list[ClaimLine]) -> Claim:
    claim_type, place = CLAIM_OF[record.perspective]
    return Claim(claim_type, lines, place_of_service=place, date_of_service=DAY)


@settings(max_examples=300, deadline=None)
@given(encounter())
def test_coded_lines_pass_the_claim_checker(kg: KnowledgeGraph, record: Encounter) -> None:
    coding = code_encounter(kg, record)
    if not coding.lines:
        return
    lines = [ClaimLine(line.code, line.units, line.modifiers) for line in coding.lines]
    result = check_claim(kg, _claim_of(record, lines))
    errors = [(f.rule, f.message) for f in result.findings if f.severity is Severity.ERROR]
    assert errors == [], (coding.codes(), [line.modifiers for line in coding.lines])


def test_the_seed_scenarios_agree(kg: KnowledgeGraph) -> None:
    scenario_1 = Encounter("FACILITY", DAY, [
        Administration("a", "carboplatin", "CHEMOTHERAPY", "IV_INFUSION", "09:00", "09:45"),
        Administration("b", "ondansetron", "THERAPEUTIC", "IV_INFUSION", "09:00", "09:30")])
    coding = code_encounter(kg, scenario_1)
    assert coding.codes() == [("96413", 1), ("96368", 1)]
    result = check_claim(kg, _claim_of(scenario_1, [ClaimLine(c, u) for c, u in coding.codes()]))
    assert result.valid
