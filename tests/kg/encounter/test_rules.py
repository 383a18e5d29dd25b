"""Concurrency, hierarchy, sites, pushes, hydration overlap and discontinued administrations."""

from __future__ import annotations

from kg.encounter import Administration as adm


def test_hydration_time_alongside_a_drug_does_not_count(code):
    coding = code("FACILITY",
                  adm("drug", "ceftriaxone", "THERAPEUTIC", "IV_INFUSION", "09:00", "09:45"),
                  adm("ns", "normal saline", "HYDRATION", "IV_INFUSION", "09:00", "11:00"))
    # 120 min of saline, 45 alongside the drug: 75 min on its own = one secondary hydration unit.
    assert coding.codes() == [("96365", 1), ("96361", 1)]
    assert coding.lines[1].administrations == ("ns",)
    [finding] = [f for f in coding.findings if f.rule == "HYDRATION_CONCURRENT"]
    assert "45 of its 120 min" in finding.message and "75 min on its own are counted" in finding.message


def test_hydration_is_never_the_concurrent_code(code):
    coding = code("FACILITY",
                  adm("drug", "methylprednisolone", "THERAPEUTIC", "IV_INFUSION", "09:00", "09:30"),
                  adm("ns", "normal saline", "HYDRATION", "IV_INFUSION", "09:10", "09:30"))
    assert coding.codes() == [("96365", 1)]
    assert "HYDRATION_CONCURRENT" in coding.rules()


def test_hydration_before_the_drug_is_secondary_in_the_facility_hierarchy(code):
    coding = code("FACILITY",
                  adm("ns", "normal saline", "HYDRATION", "IV_INFUSION", "08:00", "09:00"),
                  adm("chemo", "paclitaxel", "CHEMOTHERAPY", "IV_INFUSION", "09:00", "12:00"))
    assert coding.codes() == [("96413", 1), ("96415", 2), ("96361", 1)]


def test_several_drugs_in_one_bag_are_one_infusion(code):
    coding = code("FACILITY", adm("bag", "cisplatin + mannitol", "CHEMOTHERAPY", "IV_INFUSION", "09:00", "10:00"))
    assert coding.codes() == [("96413", 1)]


def test_a_restarted_infusion_of_the_same_drug_is_one_service(code):
    coding = code("FACILITY",
                  adm("a1", "vancomycin", "THERAPEUTIC", "IV_INFUSION", "09:00", "10:00"),
                  adm("a2", "vancomycin", "THERAPEUTIC", "IV_INFUSION", "10:30", "11:15"))
    assert coding.codes() == [("96365", 1), ("96366", 1)]
    assert coding.lines[0].administrations == ("a1", "a2")


def test_each_new_pushed_substance_is_an_additional_push(code):
    coding = code("FACILITY",
                  adm("p1", "ondansetron", "THERAPEUTIC", "IV_PUSH", "09:00", "09:02"),
                  adm("p2", "famotidine", "THERAPEUTIC", "IV_PUSH", "09:05", "09:07"),
                  adm("p3", "diphenhydramine", "THERAPEUTIC", "IV_PUSH", "09:10", "09:12"))
    assert coding.codes() == [("96374", 1), ("96375", 2)]  # one line, a unit per new substance


def test_chemotherapy_pushes(code):
    coding = code("FACILITY",
                  adm("c1", "vincristine", "CHEMOTHERAPY", "IV_PUSH", "09:00", "09:03"),
                  adm("c2", "doxorubicin", "CHEMOTHERAPY", "IV_PUSH", "09:10", "09:15"),
                  adm("t1", "ondansetron", "THERAPEUTIC", "IV_PUSH", "09:20", "09:22"))
    assert coding.codes() == [("96409", 1), ("96411", 1), ("96375", 1)]


def test_chemo_push_outranks_a_therapeutic_infusion(code):
    coding = code("FACILITY",
                  adm("t", "ceftriaxone", "THERAPEUTIC", "IV_INFUSION", "08:00", "08:40"),
                  adm("c", "vincristine", "CHEMOTHERAPY", "IV_PUSH", "09:00", "09:03"))
    assert coding.codes() == [("96409", 1), ("96367", 1)]


def test_overlapping_pushes_are_a_finding(code):
    coding = code("FACILITY",
                  adm("p1", "ondansetron", "THERAPEUTIC", "IV_PUSH", "09:00", "09:05"),
                  adm("p2", "famotidine", "THERAPEUTIC", "IV_PUSH", "09:03", "09:06"))
    assert coding.codes() == [("96374", 1), ("96375", 1)]
    assert coding.rules().count("PUSH_OVERLAP") == 1


def test_second_access_site_gets_a_second_initial_with_a_separate_site_modifier(code):
    coding = code("FACILITY",
                  adm("a", "ceftriaxone", "THERAPEUTIC", "IV_INFUSION", "09:00", "09:40", site="left forearm"),
                  adm("b", "vancomycin", "THERAPEUTIC", "IV_INFUSION", "09:00", "10:40", site="right forearm"))
    assert [(x.code, x.units, x.modifiers) for x in coding.lines] == [
        ("96365", 1, ()), ("96365", 1, ("XU",)), ("96366", 1, ())]
    assert "SEPARATE_SITE" in coding.rules()
    # Without the second site the same drugs run concurrently through one line: the longer one
    # (vancomycin) is the initial infusion with its extra hour, ceftriaxone the concurrent one.
    same = code("FACILITY",
                adm("a", "ceftriaxone", "THERAPEUTIC", "IV_INFUSION", "09:00", "09:40"),
                adm("b", "vancomycin", "THERAPEUTIC", "IV_INFUSION", "09:00", "10:40"))
    assert same.codes() == [("96365", 1), ("96366", 1), ("96368", 1)]
    assert same.lines[0].administrations == ("b",) and same.lines[2].administrations == ("a",)


def test_site_names_are_compared_without_case_or_spaces(code):
    coding = code("FACILITY",
                  adm("a", "ceftriaxone", "THERAPEUTIC", "IV_INFUSION", "09:00", "09:40", site="Left arm"),
                  adm("b", "vancomycin", "THERAPEUTIC", "IV_INFUSION", "10:00", "10:40", site=" left ARM"))
    assert coding.codes() == [("96365", 1), ("96367", 1)]


def test_the_initial_site_is_the_one_with_the_highest_service(code):
    coding = code("FACILITY",
                  adm("t", "ceftriaxone", "THERAPEUTIC", "IV_INFUSION", "08:00", "08:40", site="A"),
                  adm("c", "carboplatin", "CHEMOTHERAPY", "IV_INFUSION", "09:00", "09:45", site="B"))
    assert [(x.code, x.modifiers, x.administrations) for x in coding.lines] == [
        ("96413", (), ("c",)), ("96365", ("XU",), ("t",))]


def test_discontinued_infusion_is_coded_as_intended_with_53(code):
    coding = code("FACILITY", adm("a", "iron sucrose", "THERAPEUTIC", "IV_INFUSION", "10:00", "10:10", discontinued=True))
    assert [(x.code, x.modifiers) for x in coding.lines] == [("96365", ("53",))]
    assert "DISCONTINUED" in coding.rules()


def test_concurrent_chemotherapy_bag_has_no_code_in_the_graph(code):
    coding = code("FACILITY",
                  adm("a", "carboplatin", "CHEMOTHERAPY", "IV_INFUSION", "09:00", "10:00"),
                  adm("b", "paclitaxel", "CHEMOTHERAPY", "IV_INFUSION", "09:00", "10:00"))
    assert coding.codes() == [("96413", 1)]
    [finding] = [f for f in coding.findings if f.rule == "NO_DATA"]
    assert "paclitaxel" in finding.message and finding.severity.value == "WARNING"


def test_hydration_given_as_an_injection_has_no_kind(code):
    coding = code("FACILITY", adm("a", "saline", "HYDRATION", "INJECTION", "09:00", "09:01"))
    assert coding.lines == [] and coding.rules() == ["NO_DATA"]


def test_flagged_hydration_cannot_head_a_drug_infusion(code):
    # The physician's primary reason is hydration, but the sequential-infusion code does not follow
    # the hydration code: the drug infusion takes the initial code and the hydration follows it.
    coding = code("PHYSICIAN",
                  adm("ns", "normal saline", "HYDRATION", "IV_INFUSION", "08:00", "09:00", primary_reason=True),
                  adm("d", "ceftriaxone", "THERAPEUTIC", "IV_INFUSION", "09:00", "09:40"))
    assert coding.codes() == [("96365", 1), ("96361", 1)]
    assert [line.administrations for line in coding.lines] == [("d",), ("ns",)]
    [finding] = [f for f in coding.findings if f.rule == "PRIMARY_REASON_NOT_INITIAL"]
    assert finding.codes == ("96367",) and "normal saline" in finding.message
    assert {r.to_code.code for r in finding.path} == {"96365", "96374", "96409", "96413"}
    assert "ADDON_WITHOUT_PRIMARY" not in coding.rules()


def test_concurrent_code_comes_with_its_documentation(code):
    coding = code("FACILITY",
                  adm("a", "carboplatin", "CHEMOTHERAPY", "IV_INFUSION", "09:00", "09:45"),
                  adm("b", "ondansetron", "THERAPEUTIC", "IV_INFUSION", "09:00", "09:30"))
    [doc] = [f for f in coding.findings if f.rule == "DOCUMENTATION"]
    assert doc.codes == ("96368",) and "start and stop times" in doc.message


def test_iso_times_across_midnight_are_coded(code):
    coding = code("FACILITY", adm("a", "vancomycin", "THERAPEUTIC", "IV_INFUSION", "2026-01-05T23:30", "2026-01-06T01:30"))
    assert coding.codes() == [("96365", 1), ("96366", 1)]


def test_clock_stop_beside_an_iso_start_takes_its_date(code):
    coding = code("FACILITY", adm("a", "vancomycin", "THERAPEUTIC", "IV_INFUSION", "2026-01-05T09:00", "10:45"))
    assert coding.codes() == [("96365", 1), ("96366", 1)]


def test_an_injection_beside_an_infusion_carries_the_separate_site_modifier(code):
    coding = code("FACILITY",
                  adm("drip", "ceftriaxone", "THERAPEUTIC", "IV_INFUSION", "09:00", "09:40"),
                  adm("im", "ketorolac", "THERAPEUTIC", "INJECTION", "10:00", "10:01"))
    assert [(x.code, x.modifiers) for x in coding.lines] == [("96365", ()), ("96372", ("XU",))]
    assert "SEPARATE_SITE" in coding.rules()


def test_two_sites_above_the_practitioner_mue_report_only_the_limit(code):
    records = (adm("a", "ceftriaxone", "THERAPEUTIC", "IV_INFUSION", "09:00", "09:40", site="L"),
               adm("b", "vancomycin", "THERAPEUTIC", "IV_INFUSION", "09:00", "09:40", site="R"))
    physician = code("PHYSICIAN", *records)
    # Units above the practitioner MUE are denied, so only the limit is reported.
    assert physician.codes() == [("96365", 1)]
    [finding] = [f for f in physician.findings if f.rule == "MUE_EXCEEDED"]
    assert finding.codes == ("96365",) and "2 units against a limit of 1" in finding.message
    assert "not reported for administrations b" in finding.message
    # The curated MUEs are practitioner values: the facility claim has none to exceed.
    assert "MUE_EXCEEDED" not in code("FACILITY", *records).rules()
