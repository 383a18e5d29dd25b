"""Issue 12 encounter coding families: each where it applies and a nearby record where it must not."""

from __future__ import annotations

from datetime import date

import pytest

from kg.encounter import Administration as adm
from kg.encounter import EncounterInputError


def rules_of(coding, severity=None):
    return [f.rule for f in coding.findings if severity is None or f.severity.value == severity]


# ---------------------------------------------------------------- overlapping infusions
def test_a_bag_that_mostly_ran_alone_is_sequential_not_concurrent(code):
    coding = code("FACILITY",
                  adm("a", "ceftriaxone", "THERAPEUTIC", "IV_INFUSION", "09:00", "10:00"),
                  adm("b", "metronidazole", "THERAPEUTIC", "IV_INFUSION", "09:50", "10:50"))
    assert coding.codes() == [("96365", 1), ("96367", 1)]
    assert "50 min on its own" in coding.lines[1].rationale


def test_a_bag_that_ran_alone_under_an_infusion_s_minimum_stays_concurrent(code):
    coding = code("FACILITY",
                  adm("a", "ceftriaxone", "THERAPEUTIC", "IV_INFUSION", "09:00", "10:00"),
                  adm("b", "metronidazole", "THERAPEUTIC", "IV_INFUSION", "09:30", "10:15"))
    assert coding.codes() == [("96365", 1), ("96368", 1)]


def test_the_longer_of_two_overlapping_infusions_is_initial(code):
    coding = code("FACILITY",
                  adm("a", "drug A", "THERAPEUTIC", "IV_INFUSION", "06:00", "07:30"),
                  adm("b", "drug B", "THERAPEUTIC", "IV_INFUSION", "07:00", "16:00"))
    assert coding.codes() == [("96365", 1), ("96366", 8), ("96367", 1)]
    assert coding.lines[0].administrations == ("b",) and coding.lines[2].administrations == ("a",)


def test_without_overlap_the_earlier_infusion_stays_initial(code):
    coding = code("FACILITY",
                  adm("a", "drug A", "THERAPEUTIC", "IV_INFUSION", "06:00", "06:40"),
                  adm("b", "drug B", "THERAPEUTIC", "IV_INFUSION", "07:00", "16:00"))
    assert coding.lines[0].administrations == ("a",)
    assert coding.codes() == [("96365", 1), ("96367", 1), ("96366", 8)]


# ---------------------------------------------------------------- repeated drugs
@pytest.mark.parametrize("push_at, expected, finding", [
    ("11:30", [("96365", 1), ("96376", 1)], None),
    ("11:03", [("96365", 1)], "REPEAT_PUSH_TOO_SOON"),
])
def test_the_same_drug_pushed_after_its_infusion(code, push_at, expected, finding):
    coding = code("FACILITY",
                  adm("inf", "levetiracetam", "THERAPEUTIC", "IV_INFUSION", "10:00", "10:43"),
                  adm("push", "levetiracetam", "THERAPEUTIC", "IV_PUSH", push_at, push_at[:3] + "59"))
    assert coding.codes() == expected
    assert (finding in coding.rules()) if finding else "REPEAT_PUSH_TOO_SOON" not in coding.rules()


def test_a_different_drug_pushed_after_an_infusion_is_an_additional_push(code):
    coding = code("FACILITY",
                  adm("inf", "levetiracetam", "THERAPEUTIC", "IV_INFUSION", "10:00", "10:43"),
                  adm("push", "lorazepam", "THERAPEUTIC", "IV_PUSH", "11:30", "11:31"))
    assert coding.codes() == [("96365", 1), ("96375", 1)]


def test_the_physician_reports_no_repeat_push(code):
    coding = code("PHYSICIAN",
                  adm("inf", "levetiracetam", "THERAPEUTIC", "IV_INFUSION", "10:00", "10:43"),
                  adm("push", "levetiracetam", "THERAPEUTIC", "IV_PUSH", "11:30", "11:31"))
    assert coding.codes() == [("96365", 1)] and "NOT_REPORTED_FOR_PERSPECTIVE" in coding.rules()


def test_a_drug_infused_again_later_adds_its_time_to_the_same_service(code):
    coding = code("FACILITY",
                  adm("a", "vancomycin", "THERAPEUTIC", "IV_INFUSION", "08:00", "09:00"),
                  adm("b", "vancomycin", "THERAPEUTIC", "IV_INFUSION", "13:00", "14:00"))
    assert coding.codes() == [("96365", 1), ("96366", 1)]


# ---------------------------------------------------------------- pumps and intra-arterial codes
PUMP_START, PUMP_STOP = "2026-06-01T11:10", "2026-06-03T09:10"


@pytest.mark.parametrize("perspective, pump, code_", [
    ("FACILITY", "PORTABLE", "96416"), ("PHYSICIAN", "PORTABLE", "96416"), ("PHYSICIAN", "IMPLANTABLE", "96416"),
    ("PHYSICIAN", "PRACTICE_SUPPLIED", "G0498"), ("FACILITY", "PRACTICE_SUPPLIED", "96416"),
])
def test_a_prolonged_chemotherapy_infusion_on_a_pump(code, perspective, pump, code_):
    coding = code(perspective, adm("p", "fluorouracil", "CHEMOTHERAPY", "IV_INFUSION", PUMP_START, PUMP_STOP, pump=pump))
    assert coding.codes() == [(code_, 1)] and coding.lines[0].modifiers == ()


def test_a_pump_infusion_of_eight_hours_or_less_is_coded_by_its_time(code):
    coding = code("PHYSICIAN", adm("p", "fluorouracil", "CHEMOTHERAPY", "IV_INFUSION", "09:00", "17:00",
                                   pump="PORTABLE"))
    assert coding.codes() == [("96413", 1), ("96415", 7)]


def test_the_pump_start_stands_beside_the_day_s_other_chemotherapy(code):
    coding = code("FACILITY",
                  adm("ox", "oxaliplatin", "CHEMOTHERAPY", "IV_INFUSION", "09:00", "11:00"),
                  adm("fu", "fluorouracil bolus", "CHEMOTHERAPY", "IV_PUSH", "11:05", "11:07"),
                  adm("p", "fluorouracil", "CHEMOTHERAPY", "IV_INFUSION", "2026-06-01T11:10", "2026-06-03T09:10",
                      pump="PORTABLE"), date=date(2026, 6, 1))
    assert coding.codes() == [("96413", 1), ("96415", 1), ("96411", 1), ("96416", 1)]


@pytest.mark.parametrize("pump, code_", [("PORTABLE", "96521"), ("PRACTICE_SUPPLIED", "96521"),
                                         ("IMPLANTABLE", "96522")])
def test_pump_refills(code, pump, code_):
    for category in ("CHEMOTHERAPY", "THERAPEUTIC"):
        coding = code("PHYSICIAN", adm("r", "refill", category, "IV_INFUSION", "10:00", "10:20", pump=pump,
                                       refill=True))
        assert coding.codes() == [(code_, 1)]


def test_a_refill_needs_its_pump():
    with pytest.raises(EncounterInputError, match="refill needs the pump"):
        adm("r", "refill", "THERAPEUTIC", "IV_INFUSION", "10:00", "10:20", refill=True)


@pytest.mark.parametrize("category, stop, expected", [
    ("CHEMOTHERAPY", "09:05", [("96420", 1)]),
    ("CHEMOTHERAPY", "11:40", [("96422", 1), ("96423", 2)]),
    ("THERAPEUTIC", "09:03", [("96373", 1)]),
])
def test_intra_arterial_administrations(code, category, stop, expected):
    assert code("PHYSICIAN", adm("a", "drug", category, "INTRA_ARTERIAL", "09:00", stop)).codes() == expected


def test_a_therapeutic_intra_arterial_infusion_has_no_code_and_says_so(code):
    coding = code("PHYSICIAN", adm("a", "verapamil", "THERAPEUTIC", "INTRA_ARTERIAL", "09:00", "10:00"))
    assert coding.codes() == [] and coding.rules() == ["NO_DATA"]


# ---------------------------------------------------------------- subcutaneous infusion
def test_a_second_subcutaneous_site_is_an_additional_pump_set_up(code):
    coding = code("FACILITY",
                  adm("a", "immune globulin", "THERAPEUTIC", "SUBCUTANEOUS_INFUSION", "09:00", "11:00", site="left"),
                  adm("b", "immune globulin", "THERAPEUTIC", "SUBCUTANEOUS_INFUSION", "09:00", "10:00", site="right"))
    assert coding.codes() == [("96369", 1), ("96370", 1), ("96371", 1)]
    assert all("XU" not in line.modifiers for line in coding.lines) and "SEPARATE_SITE" not in coding.rules()


def test_one_subcutaneous_site_is_one_service(code):
    coding = code("FACILITY",
                  adm("a", "immune globulin", "THERAPEUTIC", "SUBCUTANEOUS_INFUSION", "09:00", "10:00", site="left"),
                  adm("b", "immune globulin", "THERAPEUTIC", "SUBCUTANEOUS_INFUSION", "10:30", "11:00", site="left"))
    assert coding.codes() == [("96369", 1)]


# ---------------------------------------------------------------- hormonal and other injections
@pytest.mark.parametrize("hcpcs, expected", [("J9217", "96402"), ("J9395", "96402"), ("J9045", "96401"),
                                             ("J1100", "96372")])
def test_the_drug_code_decides_the_injection_code(code, hcpcs, expected):
    coding = code("PHYSICIAN", adm("a", "drug", None, "INJECTION", "09:00", "09:01", hcpcs=hcpcs))
    assert coding.codes() == [(expected, 1)]
    assert "DRUG_CATEGORY_MISMATCH" not in coding.rules()


def test_a_hormonal_antineoplastic_pushed_is_a_chemotherapy_push(code):
    assert code("PHYSICIAN", adm("a", "leuprolide", None, "IV_PUSH", "09:00", "09:01", hcpcs="J9217")).codes() == [
        ("96409", 1)]


def test_a_record_category_the_drug_code_contradicts_is_a_finding(code):
    coding = code("PHYSICIAN", adm("a", "leuprolide", "THERAPEUTIC", "INJECTION", "09:00", "09:01", hcpcs="J9217"))
    assert coding.codes() == [("96402", 1)] and "DRUG_CATEGORY_MISMATCH" in rules_of(coding, "WARNING")


def test_a_drug_code_the_graph_cannot_place_needs_a_category(code):
    coding = code("PHYSICIAN", adm("a", "mystery", None, "INJECTION", "09:00", "09:01", hcpcs="Q9999"))
    assert coding.codes() == [] and coding.rules() == ["NO_DATA"]
    kept = code("PHYSICIAN", adm("a", "mystery", "THERAPEUTIC", "INJECTION", "09:00", "09:01", hcpcs="Q9999"))
    assert kept.codes() == [("96372", 1)] and kept.rules() == ["NO_DATA"]


def test_neither_category_nor_drug_code_is_bad_input():
    with pytest.raises(EncounterInputError, match="category or the drug's hcpcs"):
        adm("a", "mystery", None, "INJECTION", "09:00", "09:01")


def test_a_contested_drug_category_names_both_codes(code):
    coding = code("PHYSICIAN", adm("a", "triptorelin", None, "INJECTION", "09:00", "09:01", hcpcs="J3315"))
    assert coding.codes() == [("96402", 1)]
    [finding] = [f for f in coding.findings if f.rule == "DRUG_CATEGORY_CONTESTED"]
    assert set(finding.codes) == {"96402", "96372"}
    plain = code("PHYSICIAN", adm("a", "leuprolide", None, "INJECTION", "09:00", "09:01", hcpcs="J9217"))
    assert "DRUG_CATEGORY_CONTESTED" not in plain.rules()


def test_further_injections_are_units_and_a_split_dose_is_one(code):
    two = code("PHYSICIAN",
               adm("a", "ceftriaxone", "THERAPEUTIC", "INJECTION", "09:00", "09:01"),
               adm("b", "ketorolac", "THERAPEUTIC", "INJECTION", "09:05", "09:06"))
    assert two.codes() == [("96372", 2)]
    split = code("PHYSICIAN",
                 adm("a", "ceftriaxone 2 g", "THERAPEUTIC", "INJECTION", "09:00", "09:01", site="left gluteal"),
                 adm("b", "ceftriaxone 2 g", "THERAPEUTIC", "INJECTION", "09:00", "09:01", site="right gluteal"))
    assert split.codes() == [("96372", 1)] and split.lines[0].administrations == ("a", "b")


def test_an_injection_beside_an_infusion_keeps_its_separate_site_modifier(code):
    coding = code("FACILITY",
                  adm("iv", "vancomycin", "THERAPEUTIC", "IV_INFUSION", "09:00", "10:00"),
                  adm("im", "ketorolac", "THERAPEUTIC", "INJECTION", "09:30", "09:31"))
    assert [(x.code, x.modifiers) for x in coding.lines] == [("96365", ()), ("96372", ("XU",))]


# ---------------------------------------------------------------- units: MUE or plausibility
def test_implausible_units_without_an_mue_are_a_finding(code):
    pushes = [adm(f"p{i}", "ondansetron", "THERAPEUTIC", "IV_PUSH", f"{8 + i:02d}:00", f"{8 + i:02d}:02")
              for i in range(13)]
    coding = code("FACILITY", *pushes)
    assert coding.codes() == [("96374", 1), ("96376", 12)]
    [finding] = [f for f in coding.findings if f.rule == "UNITS_IMPLAUSIBLE"]
    assert finding.line == 2 and finding.severity.value == "WARNING"
    few = code("FACILITY", *pushes[:4])
    assert few.codes() == [("96374", 1), ("96376", 3)] and "UNITS_IMPLAUSIBLE" not in few.rules()


def test_no_line_leaves_above_a_published_mue(code):
    coding = code("PHYSICIAN", adm("a", "drug", "CHEMOTHERAPY", "IV_INFUSION", "00:00", "23:30"))
    assert dict(coding.codes())["96415"] == 8 and "MUE_EXCEEDED" in coding.rules()


# ---------------------------------------------------------------- stopped early: both readings
def test_an_infusion_stopped_early_names_the_clock_reading(code):
    coding = code("FACILITY", adm("a", "rituximab", "CHEMOTHERAPY", "IV_INFUSION", "10:00", "10:12",
                                  discontinued=True))
    assert [(x.code, x.modifiers) for x in coding.lines] == [("96413", ("53",))]
    [finding] = [f for f in coding.findings if f.rule == "STOPPED_EARLY_READINGS"]
    assert set(finding.codes) == {"96413", "96409"}
    full = code("FACILITY", adm("a", "rituximab", "CHEMOTHERAPY", "IV_INFUSION", "10:00", "10:40", discontinued=True))
    assert "STOPPED_EARLY_READINGS" not in full.rules()


# ---------------------------------------------------------------- distinct services a PTP edit pairs
def test_a_separate_chemotherapy_infusion_beside_g0498_is_marked_distinct(code):
    coding = code("PHYSICIAN",
                  adm("ox", "oxaliplatin", "CHEMOTHERAPY", "IV_INFUSION", "09:00", "10:00"),
                  adm("p", "fluorouracil", "CHEMOTHERAPY", "IV_INFUSION", PUMP_START, PUMP_STOP,
                      pump="PRACTICE_SUPPLIED"), date=date(2026, 6, 1))
    assert [(x.code, x.modifiers) for x in coding.lines] == [("96413", ("XU",)), ("G0498", ())]
    [finding] = [f for f in coding.findings if f.rule == "DISTINCT_SERVICE"]
    assert finding.line == 1 and "cms-pump-g0498" in {s.iri.rsplit("/", 1)[1] for s in finding.sources}
    # With the facility's pump start code no edit pairs them: nothing is marked.
    facility = code("FACILITY",
                    adm("ox", "oxaliplatin", "CHEMOTHERAPY", "IV_INFUSION", "09:00", "10:00"),
                    adm("p", "fluorouracil", "CHEMOTHERAPY", "IV_INFUSION", PUMP_START, PUMP_STOP,
                        pump="PRACTICE_SUPPLIED"), date=date(2026, 6, 1))
    assert [(x.code, x.modifiers) for x in facility.lines] == [("96413", ()), ("96416", ())]
    assert "DISTINCT_SERVICE" not in facility.rules()


# ---------------------------------------------------------------- hydration split around a drug
def test_hydration_pieces_added_up_name_the_dispute(code):
    coding = code("FACILITY",
                  adm("ns", "normal saline", "HYDRATION", "IV_INFUSION", "10:50", "13:25"),
                  adm("ox", "oxaliplatin", "CHEMOTHERAPY", "IV_INFUSION", "11:20", "13:05"))
    assert coding.codes() == [("96413", 1), ("96415", 1), ("96361", 1)]
    [finding] = [f for f in coding.findings if f.rule == "HYDRATION_PIECES_COMBINED"]
    assert finding.codes == ("96361",) and "30 min and 20 min" in finding.message
    assert {"cpt-assistant-hydration-total", "payer-split-hydration-denial"} <= {
        s.iri.rsplit("/", 1)[1] for s in finding.sources}


def test_hydration_in_one_piece_or_long_enough_pieces_has_no_dispute(code):
    one = code("FACILITY",
               adm("ns", "normal saline", "HYDRATION", "IV_INFUSION", "10:00", "11:30"),
               adm("ox", "oxaliplatin", "CHEMOTHERAPY", "IV_INFUSION", "11:40", "12:05"))
    assert one.codes() == [("96413", 1), ("96361", 1)] and "HYDRATION_PIECES_COMBINED" not in one.rules()
    # Two pieces that each earn their unit: adding them up changes nothing.
    long = code("FACILITY",
                adm("ns", "normal saline", "HYDRATION", "IV_INFUSION", "08:00", "12:00"),
                adm("ox", "oxaliplatin", "CHEMOTHERAPY", "IV_INFUSION", "09:00", "11:00"))
    assert "HYDRATION_PIECES_COMBINED" not in long.rules()


def test_initial_hydration_reached_only_by_adding_pieces_names_the_dispute(code):
    coding = code("FACILITY",
                  adm("ns", "normal saline", "HYDRATION", "IV_INFUSION", "10:00", "11:10", site="left arm"),
                  adm("iv", "vancomycin", "THERAPEUTIC", "IV_INFUSION", "10:20", "10:50", site="right arm"))
    assert ("96360", 1) in coding.codes() and "HYDRATION_PIECES_COMBINED" in coding.rules()
