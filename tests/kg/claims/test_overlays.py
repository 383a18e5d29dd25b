"""Payer overlays: rules added or overridden in a payer's own file, the Medicare baseline untouched."""

from __future__ import annotations

import pytest

from kg.claims import ClaimRulesError, check_claim, rule_book
from kg.model import Severity

from .conftest import errors, layered, make_claim, of_rule

ACME = """
payer:acme a ck:Payer ; skos:notation "acme" ; skos:prefLabel "Acme Health" ; ck:baseline payer:commercial ;
    dcterms:source src:codingkg-curation .

# Replace the baseline rule: a second initial service is only a warning for this plan.
cr:acme-one-initial a ck:ClaimRule ; ck:overrides cr:one-initial-service ; ck:payer payer:acme ;
    ck:ruleId "MULTIPLE_INITIAL_SERVICES" ; ck:checkKind ck:OneInitialService ; ck:severity ck:WarningSeverity ;
    ck:appliesToSet set:initial-services ;
    skos:prefLabel "Acme: second initial service reviewed, not denied" ;
    ck:message "Acme reviews a second initial service ({code}, line {line}) instead of denying it." ;
    dcterms:source src:codingkg-curation .

# A new rule: no drug administration billed from the patient's home.
set:acme-home-restricted a ck:CodeSet ; skos:notation "acme-home" ; skos:prefLabel "Acme home restriction" ;
    ck:member cpt:96365, cpt:96374 ; dcterms:source src:codingkg-curation .
cr:acme-no-home-infusion a ck:ClaimRule ; ck:payer payer:acme ;
    ck:ruleId "NOT_REPORTABLE_IN_SETTING" ; ck:checkKind ck:SettingRestriction ; ck:severity ck:ErrorSeverity ;
    ck:claimType claim:professional ; ck:placeOfService pos:12 ; ck:appliesToSet set:acme-home-restricted ;
    skos:prefLabel "Acme: no home infusion on professional claims" ;
    ck:message "Acme does not pay {code} at place of service {pos}: use the home infusion benefit." ;
    dcterms:source src:codingkg-curation .
"""


def test_commercial_overrides_the_medicare_only_cr3631_policy(kg):
    lines = [("99211", 1, ["25"]), ("96372",)]
    assert len(of_rule(check_claim(kg, make_claim(lines, payer="medicare")), "BUNDLED")) == 1
    assert of_rule(check_claim(kg, make_claim(lines, payer="commercial")), "BUNDLED") == []
    # Medicaid builds on Medicare and does not override it.
    assert len(of_rule(check_claim(kg, make_claim(lines, payer="medicaid")), "BUNDLED")) == 1


def test_medicaid_claims_carry_the_state_policy_caveat(kg):
    result = check_claim(kg, make_claim([("96365",)], payer="medicaid"))
    [notice] = [f for f in of_rule(result, "NO_DATA") if f.line is None]
    assert notice.severity is Severity.INFO and "state" in notice.message
    assert result.valid


def test_commercial_site_of_care_notice_only_at_pos_19(kg):
    at_19 = check_claim(kg, make_claim([("96365",)], claim_type="FACILITY_OUTPATIENT", pos="19", payer="commercial"))
    assert any("site-of-care" in f.message for f in of_rule(at_19, "NO_DATA"))
    at_22 = check_claim(kg, make_claim([("96365",)], claim_type="FACILITY_OUTPATIENT", pos="22", payer="commercial"))
    assert not any("site-of-care" in f.message for f in at_22.findings)


def test_payer_file_made_in_the_test_replaces_and_adds_rules(tmp_path):
    kg = layered(tmp_path, ACME, "acme.ttl")
    two_initials = [("96365",), ("96374",)]
    acme = check_claim(kg, make_claim(two_initials, payer="acme"))
    [finding] = of_rule(acme, "MULTIPLE_INITIAL_SERVICES")
    assert finding.severity is Severity.WARNING and "Acme" in finding.message and acme.valid
    # The baseline is untouched for Medicare and for the payer Acme builds on.
    for payer in ("medicare", "commercial"):
        [baseline] = of_rule(check_claim(kg, make_claim(two_initials, payer=payer)), "MULTIPLE_INITIAL_SERVICES")
        assert baseline.severity is Severity.ERROR
    # The new rule applies to Acme only, at its place of service only.
    home = check_claim(kg, make_claim([("96365",)], pos="12", payer="acme"))
    assert [f.line for f in of_rule(home, "NOT_REPORTABLE_IN_SETTING")] == [1]
    assert of_rule(check_claim(kg, make_claim([("96365",)], pos="12", payer="commercial")),
                   "NOT_REPORTABLE_IN_SETTING") == []
    assert of_rule(check_claim(kg, make_claim([("96365",)], pos="11", payer="acme")),
                   "NOT_REPORTABLE_IN_SETTING") == []
    # Acme inherits commercial's override of CR 3631 through its baseline chain.
    assert errors(check_claim(kg, make_claim([("99211",), ("96372",)], payer="acme"))) == []


def test_overlay_can_switch_off_a_rule_for_one_claim_type_only(tmp_path):
    kg = layered(tmp_path, """
cr:test-no-mue-professional a ck:ClaimRule ; ck:payer payer:commercial ; ck:claimType claim:professional ;
    ck:overrides cr:mue ; ck:disabled true ; dcterms:source src:codingkg-curation .
""")
    lines = [("96413",), ("96368", 2)]
    assert of_rule(check_claim(kg, make_claim(lines, payer="commercial")), "MUE_EXCEEDED") == []
    assert len(of_rule(check_claim(kg, make_claim(lines, payer="medicare")), "MUE_EXCEEDED")) == 1


def test_rule_dates_follow_the_date_of_service(tmp_path):
    from datetime import date

    kg = layered(tmp_path, """
cr:test-dated a ck:ClaimRule ; ck:payer payer:medicare ; ck:ruleId "NO_DATA" ; ck:checkKind ck:ClaimNotice ;
    ck:severity ck:InfoSeverity ; ck:effective "2026-07-01"^^xsd:date ; ck:end "2026-10-01"^^xsd:date ;
    ck:message "Test notice in force in the third quarter." ; dcterms:source src:codingkg-curation .
""")

    def noticed(day: date) -> bool:
        result = check_claim(kg, make_claim([("96365",)], dos=day))
        return any("third quarter" in f.message for f in result.findings)

    assert [noticed(date(2026, 6, 30)), noticed(date(2026, 7, 1)), noticed(date(2026, 10, 1))] == [False, True, False]


def test_a_rule_naming_an_unknown_check_kind_fails_at_load_with_its_name(tmp_path):
    kg = layered(tmp_path, """
cr:test-broken a ck:ClaimRule ; ck:ruleId "BUNDLED" ; ck:checkKind ck:NoSuchKind ; ck:severity ck:ErrorSeverity ;
    ck:message "x" ; dcterms:source src:codingkg-curation .
""")
    with pytest.raises(ClaimRulesError, match="test-broken"):
        rule_book(kg)


def test_a_rule_lacking_its_kinds_parameter_fails_at_load(tmp_path):
    kg = layered(tmp_path, """
cr:test-no-set a ck:ClaimRule ; ck:ruleId "NOT_REPORTABLE_IN_SETTING" ; ck:checkKind ck:SettingRestriction ;
    ck:severity ck:ErrorSeverity ; ck:message "x" ; dcterms:source src:codingkg-curation .
""")
    with pytest.raises(ClaimRulesError, match="applies_to"):
        rule_book(kg)
