"""Drug categories from the graph: HCPCS sections, curated flags, narrower sections, dates, disputes."""

from __future__ import annotations

from datetime import date

import pytest

from kg.drugs import drug_category
from kg.graph import KnowledgeGraph


@pytest.fixture(scope="module")
def kg() -> KnowledgeGraph:
    return KnowledgeGraph.default()


@pytest.mark.parametrize("code, label, flagged", [
    ("J9045", "antineoplastic drug", False),                     # the J9000-J9999 section
    ("j9217", "hormonal antineoplastic drug", True),             # a flag wins over its section
    ("J1745", "monoclonal antibody or other complex biologic", True),
    ("J1100", "therapeutic, prophylactic or diagnostic drug", False),
    ("J7050", "hydration fluid", False),                         # the narrower solutions section
    ("J9999", "antineoplastic drug", False),                     # a section covers codes the graph lacks
])
def test_category_of_a_drug_code(kg, code, label, flagged):
    found = drug_category(kg, code)
    assert found is not None and (found.label, found.flagged) == (label, flagged)
    assert found.sources


@pytest.mark.parametrize("code", ["96365", "A4216", "J99", "G0498"])
def test_codes_outside_every_drug_section_have_none(kg, code):
    assert drug_category(kg, code) is None


def test_an_ended_drug_code_has_no_category_after_its_end(kg):
    assert drug_category(kg, "J2930", date(2026, 6, 1)) is None
    assert drug_category(kg, "J2930", date(2024, 3, 1)).substance_category == "THERAPEUTIC"


def test_chemotherapy_categories_name_the_administration_codes_that_suit_them(kg):
    suits = {kg.node(i)["notation"] for i in drug_category(kg, "J9045").administered_with}
    assert {"96401", "96402", "96409", "96413", "96416"} <= suits and "96365" not in suits
    assert drug_category(kg, "J1100").administered_with == frozenset()


def test_a_disputed_flag_carries_the_other_position(kg):
    [dispute] = drug_category(kg, "J3315").disputes
    assert dispute.category.label == "therapeutic, prophylactic or diagnostic drug" and dispute.sources
    assert drug_category(kg, "J9217").disputes == ()


def test_a_category_cites_what_placed_the_code_in_it(kg):
    flagged = {s.iri.rsplit("/", 1)[1] for s in drug_category(kg, "J9217").sources}
    assert "hormonal-antineoplastic-lists" in flagged
    by_section = {s.iri.rsplit("/", 1)[1] for s in drug_category(kg, "J9045").sources}
    assert "hcpcs-level-ii-2026" in by_section and "hormonal-antineoplastic-lists" not in by_section
