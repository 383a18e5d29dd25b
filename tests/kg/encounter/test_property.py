"""Property tests: random records never raise and every line is well-formed and in the graph."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from kg.encounter import Administration, Encounter, Perspective, Route, SubstanceCategory, code_encounter
from kg.model import Severity

DAY = date(2026, 1, 5)


@st.composite
def administration(draw, index: int) -> Administration:
    start = draw(st.integers(min_value=0, max_value=22 * 60))
    length = draw(st.integers(min_value=0, max_value=300))
    begin = datetime.combine(DAY, datetime.min.time()) + timedelta(minutes=start)
    end = begin + timedelta(minutes=length)
    iso = draw(st.booleans()) or end.date() != DAY
    fmt = (lambda t: t.isoformat(timespec="minutes")) if iso else (lambda t: t.strftime("%H:%M"))
    return Administration(
        id=f"adm-{index}",
        substance=draw(st.sampled_from(["ondansetron", "carboplatin", "normal saline", "iron", "Ondansetron"])),
        category=draw(st.sampled_from(list(SubstanceCategory))),
        route=draw(st.sampled_from(list(Route))),
        start=fmt(begin), stop=fmt(end),
        site=draw(st.sampled_from([None, "left arm", "right arm"])),
        primary_reason=draw(st.booleans()),
        discontinued=draw(st.booleans()),
    )


@st.composite
def encounter(draw) -> Encounter:
    count = draw(st.integers(min_value=0, max_value=7))
    return Encounter(draw(st.sampled_from(list(Perspective))), draw(st.sampled_from([None, DAY])),
                     [draw(administration(i)) for i in range(count)])


@settings(max_examples=200, deadline=None)
@given(encounter())
def test_random_valid_records_code_cleanly(kg, record):
    coding = code_encounter(kg, record)
    ids = {a.id for a in record.administrations}
    for line in coding.lines:
        assert line.units >= 1
        assert line.administrations and set(line.administrations) <= ids
        assert kg.code(line.code) is not None, line.code
        assert line.rationale and line.rule and line.sources
        for modifier in line.modifiers:
            assert kg.modifier(modifier) is not None
    for finding in coding.findings:
        assert isinstance(finding.severity, Severity) and finding.message and finding.sources
    concurrent = [line for line in coding.lines if line.rule and line.rule.endswith("-concurrent")]
    assert len(concurrent) <= 1


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.none(), st.text(max_size=30)), st.one_of(st.none(), st.text(max_size=30)))
def test_any_time_text_is_a_finding_not_an_exception(kg, start, stop):
    record = Encounter("FACILITY", None, [Administration("a", "x", "THERAPEUTIC", "IV_INFUSION", start, stop)])
    coding = code_encounter(kg, record)
    assert coding.lines or coding.findings
