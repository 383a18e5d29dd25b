"""Issue 12 claim-check families: each where it applies and a nearby claim where it must not."""

from __future__ import annotations

from datetime import date

import pytest

from kg.model import RelationKind, Severity

from .conftest import errors, of_rule


# ---------------------------------------------------------------- IV access and port flush
@pytest.mark.parametrize("access", ["36000", "36410", "36591", "96523"])
def test_access_and_flush_are_part_of_the_same_days_drug_administration(check, access):
    result = check([("96365",), (access,)])
    [finding] = of_rule(result, "BUNDLED")
    assert finding.line == 2 and finding.severity is Severity.ERROR
    [edge] = finding.path
    assert (edge.from_code.code, edge.to_code.code) == (access, "96365")
    assert "ncci-access-bundling" in {s.iri.rsplit("/", 1)[1] for s in edge.sources}
    # On their own they stand: nothing is bundled, and the line is a known code.
    alone = check([(access,)])
    assert of_rule(alone, "BUNDLED") == [] and of_rule(alone, "UNKNOWN_CODE") == []


def test_a_separate_encounter_bypasses_the_access_edit(check):
    assert of_rule(check([("96413",), ("36591", 1, ["XE"])]), "BUNDLED") == []


def test_hospital_port_draw_is_packaged_not_bundled(check):
    result = check([("96413",), ("36591",)], claim_type="FACILITY_OUTPATIENT", pos="22")
    assert of_rule(result, "BUNDLED") == []
    assert [f.line for f in of_rule(result, "PACKAGED")] == [2]


# ---------------------------------------------------------------- hydration warnings need hydration billed
def test_no_hydration_warning_without_hydration_beside_chemotherapy(check):
    assert of_rule(check([("96413",), ("96368",)]), "HYDRATION_CONCURRENT") == []
    assert of_rule(check([("96365",), ("96361",), ("96368",)]), "HYDRATION_CONCURRENT")


# ---------------------------------------------------------------- the lower-ranked initial is flagged
@pytest.mark.parametrize("lines, flagged", [
    ([("96374",), ("96365",)], 1), ([("96365",), ("96374",)], 2),
    ([("96365",), ("96413",)], 1), ([("96360",), ("96365",)], 1), ([("96409",), ("96374",)], 2),
])
def test_the_lower_ranked_of_two_initial_services_is_flagged(check, lines, flagged):
    assert [f.line for f in of_rule(check(lines), "MULTIPLE_INITIAL_SERVICES")] == [flagged]


def test_two_initials_of_one_rank_flag_the_later_line(check):
    assert [f.line for f in of_rule(check([("96365",), ("96365",)]), "MULTIPLE_INITIAL_SERVICES")] == [2]


# ---------------------------------------------------------------- an overlay that does not know says NO_DATA
def test_generic_commercial_payer_does_not_know_cr_3631(check):
    result = check([("99211",), ("96372",)], payer="commercial")
    assert of_rule(result, "BUNDLED") == [] and result.valid
    [unknown] = [f for f in of_rule(result, "NO_DATA") if f.line == 1 and "CR 3631" in f.message]
    assert unknown.severity is Severity.WARNING
    assert "cms-cr3631" in {s.iri.rsplit("/", 1)[1] for s in unknown.sources}
    # Medicare and the Medicaid overlay built on it apply the rule.
    for payer in ("medicare", "medicaid"):
        assert [f.line for f in of_rule(check([("99211",), ("96372",)], payer=payer), "BUNDLED")] == [1]
    # A higher visit level is not concerned.
    assert not [f for f in of_rule(check([("99213", 1, ["25"]), ("96372",)], payer="commercial"), "NO_DATA")
                if "CR 3631" in f.message]


# ---------------------------------------------------------------- retired codes carry their end
def test_an_ended_code_says_when_it_ended_and_what_replaces_it(check):
    [finding] = of_rule(check([("96372",), ("J2930",)]), "UNKNOWN_CODE")
    assert finding.line == 2 and "2024-07-01" in finding.message and "J2919" in finding.message
    assert [(r.from_code.code, r.to_code.code) for r in finding.path] == [("J2930", "J2919")]
    assert of_rule(check([("96372",), ("J2930",)], dos=date(2024, 3, 1)), "UNKNOWN_CODE") == []
    assert of_rule(check([("96365",), ("J2919", 25)]), "UNKNOWN_CODE") == []


# ---------------------------------------------------------------- CMS's whole facility list
@pytest.mark.parametrize("pos", ["19", "21", "22", "23", "24", "26", "31", "34", "41", "42", "51", "52", "53",
                                 "56", "61"])
def test_every_cms_facility_place_of_service_restricts_the_physician(check, pos):
    assert [f.line for f in of_rule(check([("96365",)], pos=pos), "NOT_REPORTABLE_IN_SETTING")] == [1]


@pytest.mark.parametrize("pos", ["11", "12", "49"])
def test_non_facility_places_do_not(check, pos):
    assert of_rule(check([("96365",)], pos=pos), "NOT_REPORTABLE_IN_SETTING") == []


# ---------------------------------------------------------------- OPPS Q1 packaging is S, T or V
def test_q1_packages_only_with_s_t_or_v(kg, check):
    q1 = next(i for i in kg.nodes_of_type("https://w3id.org/codingkg/ontology#StatusValue")
              if kg.node(i).get("notation") == "Q1")
    assert sorted(kg.node(t)["notation"] for t in kg.targets(q1, "packagedWithStatus")) == ["S", "T", "V"]
    packaged = check([("96365",), ("96372",)], claim_type="FACILITY_OUTPATIENT", pos="22")
    assert [f.line for f in of_rule(packaged, "PACKAGED")] == [2]
    alone = check([("96372",), ("J2405",)], claim_type="FACILITY_OUTPATIENT", pos="22")  # J2405 is N
    assert [f.line for f in of_rule(alone, "PACKAGED")] == [2]


# ---------------------------------------------------------------- drug lines and administration codes
@pytest.mark.parametrize("lines, line", [
    ([("96365",), ("J9045", 6)], 2),      # carboplatin with a therapeutic infusion
    ([("96372",), ("J9217",)], 2),        # hormonal antineoplastic with the generic injection
    ([("96401",), ("J0897", 120)], 1),    # chemotherapy injection whose drug is denosumab
])
def test_drug_and_administration_that_do_not_match_warn(check, lines, line):
    result = check(lines)
    [finding] = of_rule(result, "DRUG_ADMINISTRATION_MISMATCH")
    assert finding.line == line and finding.severity is Severity.WARNING and result.valid
    assert finding.sources


@pytest.mark.parametrize("lines", [
    [("96413",), ("J9045", 6)], [("96402",), ("J9217",)], [("96413",), ("J1745", 10)], [("96372",), ("J2405", 4)],
])
def test_matching_drug_and_administration_do_not(check, lines):
    assert of_rule(check(lines), "DRUG_ADMINISTRATION_MISMATCH") == []


def test_facility_claims_match_drugs_too(check):
    result = check([("96365",), ("J9045", 6)], claim_type="FACILITY_OUTPATIENT", pos="22")
    assert [f.line for f in of_rule(result, "DRUG_ADMINISTRATION_MISMATCH")] == [2]


def test_chemotherapy_administration_without_any_drug_line_is_no_data(check):
    [note] = [f for f in of_rule(check([("96413",)]), "NO_DATA") if "drug line" in f.message]
    assert note.line == 1 and note.severity is Severity.INFO


# ---------------------------------------------------------------- Medicare's pump code
def test_g0498_takes_no_other_pump_start(check):
    result = check([("G0498",), ("96416",)])
    [finding] = errors(result)
    assert (finding.rule, finding.line) == ("BUNDLED", 2) and "No modifier" in finding.message
    assert check([("G0498",)]).valid and check([("96416",)], payer="commercial").valid


def test_alternative_edges_of_retired_codes_are_dated(kg):
    [rel] = kg.relationships("J2930", [RelationKind.ALTERNATIVE_TO], date(2026, 6, 1))
    assert rel.effective == date(2024, 7, 1)
