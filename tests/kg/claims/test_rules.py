"""Each rule id: a claim where it fires and a nearby claim where it must not."""

from __future__ import annotations

from datetime import date

import pytest

from kg.claims import check_claim
from kg.model import RelationKind, Severity
from kg.vocab import CK

from .conftest import errors, layered, make_claim, of_rule


def test_unknown_code_fires_and_the_line_is_not_checked_further(check):
    result = check([("99999",), ("96365",)])
    [finding] = of_rule(result, "UNKNOWN_CODE")
    assert finding.severity is Severity.ERROR and finding.line == 1 and finding.codes == ("99999",)
    assert [f for f in result.findings if f.line == 1 and f.rule != "UNKNOWN_CODE"] == []
    assert of_rule(check([("96365",)]), "UNKNOWN_CODE") == []


def test_code_ended_before_the_date_of_service_is_unknown_then(tmp_path):
    kg = layered(tmp_path, """
cpt:0999T a ck:Code ; skos:notation "0999T" ; skos:prefLabel "A retired test service" ; skos:inScheme scheme:cpt ;
    ck:end "2026-01-01"^^xsd:date ; dcterms:source src:codingkg-curation .
""")
    assert of_rule(check_claim(kg, make_claim([("0999T",)], dos=date(2025, 12, 31))), "UNKNOWN_CODE") == []
    assert len(of_rule(check_claim(kg, make_claim([("0999T",)], dos=date(2026, 1, 1))), "UNKNOWN_CODE")) == 1


@pytest.mark.parametrize("units", [0, -3])
def test_invalid_units_is_a_finding(check, units):
    [finding] = of_rule(check([("96365", units)]), "INVALID_UNITS")
    assert finding.severity is Severity.ERROR and finding.line == 1 and str(units) in finding.message
    assert of_rule(check([("96365", 1)]), "INVALID_UNITS") == []


def test_add_on_with_its_primary_passes(check):
    assert of_rule(check([("96365",), ("96368",)]), "ADDON_WITHOUT_PRIMARY") == []
    [finding] = of_rule(check([("96366",)]), "ADDON_WITHOUT_PRIMARY")
    assert finding.severity is Severity.ERROR


def test_a_primary_only_the_seed_page_names_is_contested_not_exclusive(check):
    # The seed page alone adds 96374 to 96368's primaries: kept, but a warning that says so.
    [finding] = of_rule(check([("96374",), ("96368",)]), "ADDON_WITHOUT_PRIMARY")
    assert finding.severity is Severity.WARNING and finding.line == 2
    assert "only one secondary source" in finding.message and "96365" in finding.message
    assert any(r.to_code.code == "96374" for r in finding.path)
    # Without the contested primary either, the exclusive CPT list decides: an error naming it only.
    [error] = of_rule(check([("96372",), ("96368",)]), "ADDON_WITHOUT_PRIMARY")
    assert error.severity is Severity.ERROR and "96374" not in error.message


def test_add_on_edit_type_3_is_a_warning_not_an_error(tmp_path):
    kg = layered(tmp_path, """
cpt:0998T a ck:Code ; skos:notation "0998T" ; skos:prefLabel "A test add-on" ; skos:inScheme scheme:cpt ;
    dcterms:source src:codingkg-curation .
rel:addon-0998T-96365 a ck:AddOnOf ; ck:fromCode cpt:0998T ; ck:toCode cpt:96365 ; ck:editType 3 ;
    dcterms:source src:cms-addon-edits .
""")
    [warning] = of_rule(check_claim(kg, make_claim([("0998T",)])), "ADDON_WITHOUT_PRIMARY")
    assert warning.severity is Severity.WARNING
    assert [r.edit_type for r in warning.path] == [3]
    assert of_rule(check_claim(kg, make_claim([("96365",), ("0998T",)])), "ADDON_WITHOUT_PRIMARY") == []


def test_add_on_without_listed_primaries_is_no_data(tmp_path):
    kg = layered(tmp_path, """
cpt:0997T a ck:Code ; skos:notation "0997T" ; skos:prefLabel "A contractor-priced add-on" ; skos:inScheme scheme:cpt ;
    ck:contractorDefinedPrimaries true ; dcterms:source src:codingkg-curation .
""")
    result = check_claim(kg, make_claim([("0997T",)]))
    assert of_rule(result, "ADDON_WITHOUT_PRIMARY") == []
    assert any(f.line == 1 and "primaries" in f.message for f in of_rule(result, "NO_DATA"))


def test_mue_per_date_of_service_sums_lines(check):
    [finding] = of_rule(check([("96413",), ("96368",), ("96368",)]), "MUE_EXCEEDED")
    assert finding.line == 3 and "2 units" in finding.message
    assert of_rule(check([("96413",), ("96368",)]), "MUE_EXCEEDED") == []


def test_mue_line_edit_counts_each_line(tmp_path):
    kg = layered(tmp_path, """
mue:test-96366 a ck:MueLimit ; ck:code cpt:96366 ; ck:claimType claim:professional ; ck:maxUnits 2 ;
    ck:adjudication adj:line ; dcterms:source src:ncci-mue-policy .
""")
    ok = check_claim(kg, make_claim([("96365",), ("96366", 2), ("96366", 2)]))
    assert of_rule(ok, "MUE_EXCEEDED") == []
    [finding] = of_rule(check_claim(kg, make_claim([("96365",), ("96366", 3)])), "MUE_EXCEEDED")
    assert finding.line == 2


def test_code_without_an_mue_is_no_data_not_a_pass(check):
    # 96379 (unlisted) has no MUE on file; 96413 and 96368 now do.
    result = check([("96413",), ("96368",), ("96379",)])
    assert [f.line for f in of_rule(result, "NO_DATA") if "MUE" in f.message] == [3]


def test_an_mue_is_not_applied_before_the_period_its_value_comes_from(check):
    # MUE values change: CMS posts additions, deletions and revisions every quarter
    # (https://www.cms.gov/medicare-medicaid-coordination/national-correct-coding-initiative-ncci/ncci-medicare/medicare-ncci-medically-unlikely-edits),
    # and MUEs began on 2007-01-01 (https://www.cms.gov/medicare/coding/nationalcorrectcodinited/mue.html).
    # The curated value for 96415 is the one 2025 publications report; a 2019 claim is not judged by it.
    claim = [("96413",), ("96415", 40)]
    assert [f.line for f in of_rule(check(claim, dos=date(2026, 6, 1)), "MUE_EXCEEDED")] == [2]
    early = check(claim, dos=date(2019, 6, 1))
    assert of_rule(early, "MUE_EXCEEDED") == []
    assert [f.line for f in of_rule(early, "NO_DATA") if "MUE" in f.message] == [1, 2]


def test_every_curated_drug_administration_code_has_a_practitioner_mue(kg):
    # Item 5 of issue 12: NO_DATA for a drug administration code's units is the exception.
    members = {kg.node(m).get("notation") for s in kg.nodes_of_type(CK.CodeSet)
               if kg.node(s).get("notation") == "drug-administration" for m in kg.targets(s, "member")}
    missing = sorted(c for c in members if kg.mue(c, "PROFESSIONAL") is None)
    assert missing == ["96376", "96379"]  # facility-only (status X) and unlisted


PTP = """
rel:ptp-96361-96366 a ck:BundledInto ; ck:fromCode cpt:96361 ; ck:toCode cpt:96366 ;
    ck:modifierIndicator {indicator} ; ck:effective "2020-01-01"^^xsd:date ; ck:end "2026-01-01"^^xsd:date ;
    dcterms:source src:ncci-policy-manual-ch1 .
"""


def test_ptp_edge_with_indicator_1_is_bypassed_by_xu_on_the_column_2_line(tmp_path):
    kg = layered(tmp_path, PTP.format(indicator=1))
    lines = [("96365",), ("96366",), ("96361",)]
    [finding] = of_rule(check_claim(kg, make_claim(lines, dos=date(2025, 6, 1))), "BUNDLED")
    assert finding.line == 3 and finding.codes == ("96361", "96366")
    [edge] = finding.path
    assert edge.kind is RelationKind.BUNDLED_INTO and edge.modifier_indicator == 1
    assert "XU" in finding.message
    bypassed = [("96365",), ("96366",), ("96361", 1, ["XU"])]
    assert of_rule(check_claim(kg, make_claim(bypassed, dos=date(2025, 6, 1))), "BUNDLED") == []
    # The modifier on the column-1 line does not bypass.
    wrong_line = [("96365",), ("96366", 1, ["XU"]), ("96361",)]
    assert len(of_rule(check_claim(kg, make_claim(wrong_line, dos=date(2025, 6, 1))), "BUNDLED")) == 1


def test_ptp_edge_with_indicator_0_is_never_bypassed_and_9_never_applies(tmp_path):
    kg0 = layered(tmp_path, PTP.format(indicator=0), "ptp0.ttl")
    lines = [("96365",), ("96366",), ("96361", 1, ["XU"])]
    assert len(of_rule(check_claim(kg0, make_claim(lines, dos=date(2025, 6, 1))), "BUNDLED")) == 1
    kg9 = layered(tmp_path, PTP.format(indicator=9), "ptp9.ttl")
    assert of_rule(check_claim(kg9, make_claim([*lines[:2], ("96361",)], dos=date(2025, 6, 1))), "BUNDLED") == []


def test_retired_and_future_dated_ptp_edges_follow_the_date_of_service(tmp_path):
    kg = layered(tmp_path, PTP.format(indicator=1) + """
rel:ptp-96375-96367 a ck:BundledInto ; ck:fromCode cpt:96375 ; ck:toCode cpt:96367 ;
    ck:modifierIndicator 1 ; ck:effective "2027-01-01"^^xsd:date ; dcterms:source src:ncci-policy-manual-ch1 .
""")
    retired = [("96365",), ("96366",), ("96361",)]
    assert len(of_rule(check_claim(kg, make_claim(retired, dos=date(2025, 12, 31))), "BUNDLED")) == 1
    assert of_rule(check_claim(kg, make_claim(retired, dos=date(2026, 1, 1))), "BUNDLED") == []  # end is exclusive
    future = [("96365",), ("96367",), ("96375",)]
    assert of_rule(check_claim(kg, make_claim(future, dos=date(2026, 12, 31))), "BUNDLED") == []
    assert len(of_rule(check_claim(kg, make_claim(future, dos=date(2027, 1, 1))), "BUNDLED")) == 1


def test_99211_with_drug_administration_is_bundled_even_with_25(check):
    result = check([("99211", 1, ["25"]), ("96372",)])
    [finding] = of_rule(result, "BUNDLED")
    assert finding.severity is Severity.ERROR and finding.line == 1 and finding.codes == ("99211", "96372")
    [edge] = finding.path
    assert edge.modifier_indicator == 0 and [s.iri.rsplit("/", 1)[1] for s in edge.sources] == ["cms-cr3631"]


def test_higher_em_level_with_25_and_an_injection_is_untouched(check):
    result = check([("99214", 1, ["25"]), ("96372",)])
    assert result.valid and of_rule(result, "BUNDLED") == []


def test_cr3631_applies_from_its_effective_date(check):
    assert of_rule(check([("99211",), ("96372",)], dos=date(2004, 12, 31)), "BUNDLED") == []


def test_modifier_50_and_51_not_applicable_from_fee_schedule_indicators(check):
    [finding] = of_rule(check([("96365", 1, ["50"])]), "MODIFIER_NOT_APPLICABLE")
    assert finding.line == 1 and "50" in finding.message and "BILAT" in finding.message
    assert any(s.iri.endswith("/pprrvu-2025-oct") for s in finding.sources)
    assert of_rule(check([("96365", 1, ["JZ"])]), "MODIFIER_NOT_APPLICABLE") == []


def test_modifier_25_on_a_procedure_is_misplaced(check):
    [finding] = of_rule(check([("96365", 1, ["25"])]), "MODIFIER_MISPLACED")
    assert finding.severity is Severity.ERROR and finding.line == 1
    assert of_rule(check([("99214", 1, ["25"]), ("96365",)]), "MODIFIER_MISPLACED") == []
    assert of_rule(check([("96365", 1, ["25"])]), "MODIFIER_NOT_APPLICABLE") == []


def test_unknown_modifier_is_no_data(check):
    result = check([("96365", 1, ["GY"])])
    assert [f.line for f in of_rule(result, "NO_DATA") if "GY" in f.message] == [1]


def test_sequential_and_concurrent_together_is_a_mutually_exclusive_warning(check):
    result = check([("96365",), ("96367",), ("96368",)])
    [finding] = of_rule(result, "MUTUALLY_EXCLUSIVE")
    assert finding.severity is Severity.WARNING and set(finding.codes) == {"96367", "96368"}
    assert finding.path[0].kind is RelationKind.MUTUALLY_EXCLUSIVE_WITH
    assert of_rule(check([("96365",), ("96367",)]), "MUTUALLY_EXCLUSIVE") == []


def test_two_initial_services_need_a_separate_site_modifier(check):
    [finding] = of_rule(check([("96365",), ("96374",)]), "MULTIPLE_INITIAL_SERVICES")
    assert finding.severity is Severity.ERROR and finding.line == 2 and finding.codes == ("96374", "96365")
    assert of_rule(check([("96365",), ("96374", 1, ["XU"])]), "MULTIPLE_INITIAL_SERVICES") == []
    assert of_rule(check([("96365",), ("96374", 1, ["59"])]), "MULTIPLE_INITIAL_SERVICES") == []
    # XP (separate practitioner) bypasses PTP edits but does not mark a separate site.
    assert len(of_rule(check([("96365",), ("96374", 1, ["XP"])]), "MULTIPLE_INITIAL_SERVICES")) == 1


def test_therapeutic_initial_with_chemo_only_as_add_on_is_a_hierarchy_violation(check):
    [finding] = of_rule(check([("96365",), ("96411",)]), "HIERARCHY_VIOLATION")
    assert finding.severity is Severity.ERROR and finding.line == 1 and finding.codes == ("96365", "96411")
    assert of_rule(check([("96413",), ("96411",), ("96367",)]), "HIERARCHY_VIOLATION") == []
    assert of_rule(check([("96365",), ("96366",)]), "HIERARCHY_VIOLATION") == []


def test_conditionally_packaged_q1_needs_an_s_line(check):
    [finding] = of_rule(check([("96372",), ("96365", 1, ["XU"])], claim_type="FACILITY_OUTPATIENT", pos="22"),
                        "PACKAGED")
    assert finding.line == 1 and finding.codes == ("96372", "96365") and "Q1" in finding.message
    assert of_rule(check([("96372",)], claim_type="FACILITY_OUTPATIENT", pos="22"), "PACKAGED") == []


def test_packaging_is_an_outpatient_facility_matter(check):
    assert of_rule(check([("96365",), ("96368",)]), "PACKAGED") == []


def test_inpatient_claim_bundles_drug_administration(check):
    result = check([("96365",)], claim_type="FACILITY_INPATIENT", pos="21")
    [finding] = of_rule(result, "PACKAGED")
    assert finding.severity is Severity.INFO and "DRG" in finding.message
    assert result.valid


def test_physician_in_a_facility_place_of_service_does_not_report_drug_administration(check):
    [finding] = of_rule(check([("96365",)], pos="22"), "NOT_REPORTABLE_IN_SETTING")
    assert finding.severity is Severity.ERROR and finding.line == 1 and "22" in finding.message
    assert of_rule(check([("96365",)], pos="11"), "NOT_REPORTABLE_IN_SETTING") == []
    assert of_rule(check([("96365",)], claim_type="FACILITY_OUTPATIENT", pos="22"), "NOT_REPORTABLE_IN_SETTING") == []
    assert of_rule(check([("99214",)], pos="22"), "NOT_REPORTABLE_IN_SETTING") == []


def test_professional_claim_without_place_of_service_says_the_setting_was_not_checked(check):
    result = check([("96365",)], pos=None)
    assert of_rule(result, "NOT_REPORTABLE_IN_SETTING") == []
    assert [f.line for f in of_rule(result, "NO_DATA") if "place of service" in f.message] == [None]


def test_facility_only_push_is_not_payable_on_a_professional_claim(check):
    [finding] = of_rule(check([("96365",), ("96376",)]), "NOT_PAYABLE")
    assert finding.severity is Severity.ERROR and finding.line == 2 and "X" in finding.message
    facility = check([("96365",), ("96376",)], claim_type="FACILITY_OUTPATIENT", pos="22")
    assert of_rule(facility, "NOT_PAYABLE") == [] and errors(facility) == []


def test_em_visit_code_is_not_payable_on_a_hospital_outpatient_claim(check):
    assert len(of_rule(check([("99214",)], claim_type="FACILITY_OUTPATIENT", pos="22"), "NOT_PAYABLE")) == 1
    assert of_rule(check([("99214",)]), "NOT_PAYABLE") == []


def test_drug_supply_codes_are_not_flagged_not_payable(check):
    # Fee-schedule status E: paid outside the fee schedule (ASP), not a denial.
    assert of_rule(check([("96365",), ("J1439",)]), "NOT_PAYABLE") == []


def test_hydration_with_concurrent_infusion_warns(check):
    [finding] = of_rule(check([("96360",), ("96368",)]), "HYDRATION_CONCURRENT")
    assert finding.severity is Severity.WARNING and finding.line == 2 and finding.codes == ("96368", "96360")
    kinds = {r.kind for r in finding.path}
    assert kinds == {RelationKind.ALTERNATIVE_TO, RelationKind.PACKAGED_UNDER}
    assert of_rule(check([("96365",), ("96367",)]), "HYDRATION_CONCURRENT") == []
    # No packaging edge ties hydration to an IV push, so nothing is contested there.
    assert of_rule(check([("96374",), ("96368",)]), "HYDRATION_CONCURRENT") == []


def test_unknown_payer_is_an_error_but_code_checks_still_run(check):
    result = check([("99999",), ("96365",)], payer="acme-health")
    assert not result.valid
    [payer] = [f for f in of_rule(result, "NO_DATA") if f.line is None]
    assert payer.severity is Severity.ERROR and "acme-health" in payer.message and "medicare" in payer.message
    assert len(of_rule(result, "UNKNOWN_CODE")) == 1


def test_claim_without_date_of_service_uses_today(kg):
    undated = check_claim(kg, make_claim([("96413",), ("96368", 2)], dos=None))
    today = check_claim(kg, make_claim([("96413",), ("96368", 2)], dos=date.today()))
    assert undated == today


def test_an_edge_resting_on_one_secondary_source_is_contested(tmp_path):
    kg = layered(tmp_path, """
rel:addon-96375-96360 a ck:AddOnOf ; ck:fromCode cpt:96375 ; ck:toCode cpt:96360 ; ck:editType 1 ;
    dcterms:source src:seed-96368 .
""")
    result = check_claim(kg, make_claim([("96360",), ("96375",)]))
    [finding] = of_rule(result, "ADDON_WITHOUT_PRIMARY")
    assert finding.severity is Severity.WARNING and "only one secondary source" in finding.message
    # The same edge with a guideline source beside it is a firm primary: nothing to say.
    firm = layered(tmp_path, """
rel:addon-96375-96360 a ck:AddOnOf ; ck:fromCode cpt:96375 ; ck:toCode cpt:96360 ; ck:editType 1 ;
    dcterms:source src:seed-96368, src:cpt-drug-admin-guidelines .
""", name="firm.ttl")
    assert of_rule(check_claim(firm, make_claim([("96360",), ("96375",)])), "ADDON_WITHOUT_PRIMARY") == []
