"""The check-kind registry: every kind the ontology declares is run by the engine, and only those."""

from __future__ import annotations

import pytest

from kg.claims import ClaimRulesError, rule_book
from kg.claims.checks import CHECKS
from kg.graph import KnowledgeGraph
from kg.vocab import CK

from .conftest import layered


def test_the_ontology_and_the_registry_name_the_same_check_kinds(curated: KnowledgeGraph) -> None:
    declared = set(curated.nodes_of_type(CK.CheckKind))
    assert declared, "the ontology declares no ck:CheckKind"
    assert declared == set(CHECKS), (
        f"declared but not registered: {sorted(declared - set(CHECKS))}; "
        f"registered but not declared: {sorted(set(CHECKS) - declared)}"
    )


def test_a_payment_status_rule_needs_a_status_or_a_packaging_flag(tmp_path) -> None:
    kg = layered(tmp_path, """
cr:test-no-status a ck:ClaimRule ; ck:ruleId "NOT_PAYABLE" ; ck:checkKind ck:PaymentStatusCheck ;
    ck:severity ck:ErrorSeverity ; ck:message "x" ; dcterms:source src:codingkg-curation .
""")
    with pytest.raises(ClaimRulesError, match=r"test-no-status.*when_status or when_packaging"):
        rule_book(kg)


def test_a_no_data_policy_without_its_message_fails_at_load(tmp_path) -> None:
    kg = layered(tmp_path, """
cr:test-silent-gap a ck:ClaimRule ; ck:ruleId "NO_DATA" ; ck:checkKind ck:NoDataPolicy ;
    ck:severity ck:InfoSeverity ; ck:message "x" ; dcterms:source src:codingkg-curation .
""")
    with pytest.raises(ClaimRulesError, match="claim_message"):
        rule_book(kg)
