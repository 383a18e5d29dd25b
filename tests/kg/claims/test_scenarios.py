"""The worked claims of SCENARIOS.md ("Claims (checkClaim)", scenario 3 and scenario 4).

Medicare, professional, office (POS 11) unless the scenario says otherwise.
"""

from __future__ import annotations

from kg.model import RelationKind, Severity

from .conftest import errors, of_rule


def test_concurrent_infusion_alone_is_an_add_on_without_primary(check):
    result = check([("96368",)])
    assert not result.valid
    [finding] = errors(result)
    assert finding.rule == "ADDON_WITHOUT_PRIMARY"
    assert finding.line == 1 and finding.codes == ("96368",)
    # Why: the add-on-of edges that were looked for, each naming a primary absent from the claim.
    assert finding.path and all(r.kind is RelationKind.ADD_ON_OF and r.from_code.code == "96368" for r in finding.path)
    assert {"96365", "96413"} <= {r.to_code.code for r in finding.path}
    assert "96365" in finding.message and finding.sources


def test_two_units_of_concurrent_infusion_exceed_the_mue(check):
    result = check([("96413",), ("96368", 2)])
    assert not result.valid
    [finding] = errors(result)
    assert finding.rule == "MUE_EXCEEDED" and finding.line == 2 and finding.codes == ("96368",)
    assert "1" in finding.message and "2 units" in finding.message
    assert any(s.iri.endswith("/ncci-mue-policy") for s in finding.sources)


def test_em_with_25_plus_infusion_and_concurrent_has_no_errors(check):
    # Also scenario 4's claim: its concurrent bag was saline, so the concurrent-hydration warning is right.
    result = check([("99214", 1, ["25"]), ("96365",), ("96368",)])
    assert result.valid
    assert errors(result) == []
    assert [f.line for f in of_rule(result, "HYDRATION_CONCURRENT", Severity.WARNING)] == [3]


def test_modifier_51_on_the_add_on_is_an_error(check):
    result = check([("96365",), ("96368", 1, ["51"])])
    assert not result.valid
    [finding] = errors(result)
    assert finding.rule == "MODIFIER_NOT_APPLICABLE" and finding.line == 2
    assert "51" in finding.message


def test_hospital_outpatient_concurrent_is_packaged_info_only(check):
    result = check([("96365",), ("96368",)], claim_type="FACILITY_OUTPATIENT", pos="22")
    assert result.valid and errors(result) == []
    [packaged] = of_rule(result, "PACKAGED")
    assert packaged.severity is Severity.INFO and packaged.line == 2 and packaged.codes == ("96368",)
    assert "N" in packaged.message
    assert any(s.iri.endswith("/opps-addendum-b-2026-04") for s in packaged.sources)


def test_scenario_3_concurrent_saline_claim_passes_with_a_warning_citing_both_positions(check):
    result = check([("96365",), ("96368",)])
    assert result.valid
    [warning] = of_rule(result, "HYDRATION_CONCURRENT")
    assert warning.severity is Severity.WARNING and warning.line == 2
    assert "drug" in warning.message
    by_kind = {r.kind: r for r in warning.path}
    packaged = [r for r in warning.path if r.kind is RelationKind.PACKAGED_UNDER]
    alternative = by_kind[RelationKind.ALTERNATIVE_TO]
    # Position 1: NCCI chapter XI and CPT say concurrent hydration is not reported at all.
    assert packaged and all({"ncci-policy-manual-ch11", "cpt-drug-admin-guidelines"}
                            <= {s.iri.rsplit("/", 1)[1] for s in r.sources} for r in packaged)
    assert ("96360", "96365") in {(r.from_code.code, r.to_code.code) for r in packaged}
    # Position 2: the seed page codes the concurrent saline as 96368.
    assert (alternative.from_code.code, alternative.to_code.code) == ("96360", "96368")
    assert [s.iri.rsplit("/", 1)[1] for s in alternative.sources] == ["seed-96368"]
    assert {"ncci-policy-manual-ch11", "seed-96368"} <= {s.iri.rsplit("/", 1)[1] for s in warning.sources}


def test_scenario_4_claim_has_the_em_line_untouched(check):
    result = check([("99214", 1, ["25"]), ("96365",), ("96368",)])
    assert [f for f in result.findings if f.line == 1 and f.severity is not Severity.INFO] == []
