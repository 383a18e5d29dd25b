"""The encounter scenarios of the domain brief (SCENARIOS.md 1-3 and 5-8), coded exactly as stated."""

from __future__ import annotations

import pytest

from kg.encounter import Administration as adm

BOTH = ["FACILITY", "PHYSICIAN"]


def lines(coding):
    return [(line.code, line.units, line.modifiers) for line in coding.lines]


@pytest.mark.parametrize("perspective", BOTH)
def test_scenario_1_chemo_with_concurrent_antiemetic(code, perspective):
    coding = code(perspective,
                  adm("carbo", "carboplatin", "CHEMOTHERAPY", "IV_INFUSION", "09:00", "09:45"),
                  adm("ondan", "ondansetron", "THERAPEUTIC", "IV_INFUSION", "09:00", "09:30"))
    assert lines(coding) == [("96413", 1, ()), ("96368", 1, ())]
    assert coding.lines[0].administrations == ("carbo",)
    assert coding.lines[1].administrations == ("ondan",)
    assert coding.lines[1].rationale == (
        "ondansetron ran 09:00-09:30 while carboplatin was running: concurrent, reported once per encounter")
    assert not [f for f in coding.findings if f.severity.value != "INFO"]


@pytest.mark.parametrize("perspective", BOTH)
def test_scenario_2_three_bags_give_one_concurrent_unit(code, perspective):
    coding = code(perspective,
                  adm("cis", "cisplatin", "CHEMOTHERAPY", "IV_INFUSION", "09:00", "09:30"),
                  adm("dex", "dexamethasone", "THERAPEUTIC", "IV_INFUSION", "09:00", "09:30"),
                  adm("ond", "ondansetron", "THERAPEUTIC", "IV_INFUSION", "09:00", "09:30"))
    assert lines(coding) == [("96413", 1, ()), ("96368", 1, ())]
    assert coding.lines[1].administrations == ("dex", "ond")
    assert sum(line.units for line in coding.lines if line.code == "96368") == 1


@pytest.mark.parametrize("perspective", BOTH)
def test_scenario_3_concurrent_saline_is_not_coded_and_the_disagreement_is_cited(code, perspective):
    coding = code(perspective,
                  adm("iron", "ferric carboxymaltose", "THERAPEUTIC", "IV_INFUSION", "10:00", "10:20"),
                  adm("ns", "normal saline 500 mL", "HYDRATION", "IV_INFUSION", "10:00", "10:20"))
    assert lines(coding) == [("96365", 1, ())]
    [finding] = [f for f in coding.findings if f.rule == "HYDRATION_CONCURRENT"]
    assert finding.severity.value == "WARNING"
    assert {"96360", "96365", "96368"} <= set(finding.codes)
    # Both positions, each with its own source, and the graph edges that carry them.
    path = {r.iri.rsplit("/", 1)[-1] for r in finding.path}
    assert path == {"alt-96360-96368", "pkg-96360-96365"}
    titles = {s.iri.rsplit("/", 1)[-1] for s in finding.sources}
    assert {"seed-96368", "ncci-policy-manual-ch11"} <= titles
    assert "disagree" in finding.message and "96368" in finding.message
    assert "NCCI" in finding.message and "seed" in finding.message.lower()


def test_scenario_3_physician_flagging_the_saline_still_codes_the_drug(code):
    coding = code("PHYSICIAN",
                  adm("iron", "ferric carboxymaltose", "THERAPEUTIC", "IV_INFUSION", "10:00", "10:20"),
                  adm("ns", "normal saline", "HYDRATION", "IV_INFUSION", "10:00", "10:20", primary_reason=True))
    assert lines(coding) == [("96365", 1, ())]
    assert {"HYDRATION_CONCURRENT", "PRIMARY_REASON_NOT_CODED"} <= set(coding.rules())


@pytest.mark.parametrize("perspective", BOTH)
def test_scenario_5_seventy_five_minute_infusion(code, perspective):
    coding = code(perspective, adm("a", "infliximab", "THERAPEUTIC", "IV_INFUSION", "10:00", "11:15"))
    assert lines(coding) == [("96365", 1, ())]


@pytest.mark.parametrize("perspective", BOTH)
def test_scenario_6_one_hour_forty_five(code, perspective):
    coding = code(perspective, adm("a", "vancomycin", "THERAPEUTIC", "IV_INFUSION", "10:00", "11:45"))
    assert lines(coding) == [("96365", 1, ()), ("96366", 1, ())]
    assert coding.lines[1].administrations == ("a",)


@pytest.mark.parametrize("stop", ["07:15", "07:17"])
@pytest.mark.parametrize("perspective", BOTH)
def test_scenario_7_short_bolus_then_push(code, perspective, stop):
    coding = code(perspective,
                  adm("ns", "normal saline bolus", "HYDRATION", "IV_INFUSION", "07:00", "07:20"),
                  adm("mor", "morphine", "THERAPEUTIC", "IV_PUSH", "07:15", stop))
    assert lines(coding) == [("96374", 1, ())]
    assert coding.lines[0].administrations == ("mor",)
    assert "HYDRATION_TOO_SHORT" in coding.rules()


@pytest.mark.parametrize("perspective", BOTH)
def test_scenario_8_two_chemo_drugs_in_sequence(code, perspective):
    coding = code(perspective,
                  adm("A", "chemo A", "CHEMOTHERAPY", "IV_INFUSION", "09:00", "11:00"),
                  adm("B", "chemo B", "CHEMOTHERAPY", "IV_INFUSION", "11:00", "13:00"))
    # The scenario's 96413, 96415, 96417, 96415: reported as one line per code, the additional
    # hours of both drugs on one 96415 line of two units.
    assert coding.codes() == [("96413", 1), ("96415", 2), ("96417", 1)]
    assert [line.administrations for line in coding.lines] == [("A",), ("A", "B"), ("B",)]
    assert not [f for f in coding.findings if f.severity.value != "INFO"]


# ---------------------------------------------------------------- where the perspectives differ
def test_primary_reason_flag_changes_the_initial_code_for_the_physician(code):
    records = (adm("push", "ondansetron", "THERAPEUTIC", "IV_PUSH", "09:00", "09:02", primary_reason=True),
               adm("drip", "ceftriaxone", "THERAPEUTIC", "IV_INFUSION", "10:00", "10:40"))
    physician, facility = code("PHYSICIAN", *records), code("FACILITY", *records)
    assert lines(physician) == [("96374", 1, ()), ("96367", 1, ())]
    assert "PRIMARY_REASON_OVERRIDES_HIERARCHY" in physician.rules()
    assert lines(facility) == [("96365", 1, ()), ("96375", 1, ())]
    assert facility.lines[0].administrations == ("drip",)


def test_physician_without_flag_follows_the_hierarchy(code):
    coding = code("PHYSICIAN",
                  adm("push", "ondansetron", "THERAPEUTIC", "IV_PUSH", "09:00", "09:02"),
                  adm("drip", "ceftriaxone", "THERAPEUTIC", "IV_INFUSION", "10:00", "10:40"))
    assert lines(coding) == [("96365", 1, ()), ("96375", 1, ())]


def test_repeat_push_is_facility_only(code):
    records = (adm("p1", "ondansetron", "THERAPEUTIC", "IV_PUSH", "09:00", "09:02"),
               adm("p2", "ondansetron", "THERAPEUTIC", "IV_PUSH", "10:00", "10:02"))
    assert lines(code("FACILITY", *records)) == [("96374", 1, ()), ("96376", 1, ())]
    physician = code("PHYSICIAN", *records)
    assert lines(physician) == [("96374", 1, ())]
    assert "NOT_REPORTED_FOR_PERSPECTIVE" in physician.rules()


def test_multiple_primary_flags_are_reported(code):
    coding = code("PHYSICIAN",
                  adm("a", "ondansetron", "THERAPEUTIC", "IV_PUSH", "09:00", "09:02", primary_reason=True),
                  adm("b", "ceftriaxone", "THERAPEUTIC", "IV_INFUSION", "10:00", "10:40", primary_reason=True))
    assert lines(coding) == [("96365", 1, ()), ("96375", 1, ())]
    assert "MULTIPLE_PRIMARY_REASONS" in coding.rules()
