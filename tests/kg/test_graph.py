"""KnowledgeGraph queries, including as-of filtering with data made in the test."""

from __future__ import annotations

from datetime import date

import pytest

from kg.graph import KnowledgeGraph, UnknownCodeError
from kg.model import RelationKind
from ontology import default_files

DATED = """
@prefix ck: <https://w3id.org/codingkg/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix cpt: <https://w3id.org/codingkg/cpt/> .
@prefix src: <https://w3id.org/codingkg/source/> .
<https://w3id.org/codingkg/relationship/ended> a ck:MutuallyExclusiveWith ;
    ck:fromCode cpt:96372 ; ck:toCode cpt:96373 ; ck:end "2024-07-01"^^xsd:date ; dcterms:source src:seed-96368 .
<https://w3id.org/codingkg/relationship/future> a ck:MutuallyExclusiveWith ;
    ck:fromCode cpt:96372 ; ck:toCode cpt:96377 ; ck:effective "2027-01-01"^^xsd:date ; dcterms:source src:seed-96368 .
"""


@pytest.fixture(scope="module")
def dated_kg(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    path = tmp_path_factory.mktemp("dated") / "dated.ttl"
    path.write_text(DATED, encoding="utf-8")
    return KnowledgeGraph.from_layers([[*default_files(), path]])


def _me_partners(kg: KnowledgeGraph, as_of: date) -> set[str]:
    rels = kg.relationships("96372", [RelationKind.MUTUALLY_EXCLUSIVE_WITH], as_of=as_of)
    return {r.to_code.code for r in rels}


def test_an_edge_disappears_after_its_end_date(dated_kg: KnowledgeGraph) -> None:
    assert "96373" in _me_partners(dated_kg, date(2024, 6, 30))
    assert "96373" not in _me_partners(dated_kg, date(2024, 7, 1))  # end is exclusive
    assert "96373" not in _me_partners(dated_kg, date(2025, 1, 1))


def test_an_edge_is_absent_before_its_effective_date(dated_kg: KnowledgeGraph) -> None:
    assert "96377" not in _me_partners(dated_kg, date(2026, 12, 31))
    assert "96377" in _me_partners(dated_kg, date(2027, 1, 1))


def test_as_of_applies_to_paths_and_related(dated_kg: KnowledgeGraph) -> None:
    assert dated_kg.path("96372", "96373", as_of=date(2024, 1, 1))[0].kind is RelationKind.MUTUALLY_EXCLUSIVE_WITH
    later = dated_kg.path("96372", "96373", as_of=date(2025, 1, 1)) or []
    assert "https://w3id.org/codingkg/relationship/ended" not in {r.iri for r in later}
    me = [RelationKind.MUTUALLY_EXCLUSIVE_WITH]
    near = {r.code.code for r in dated_kg.related("96372", depth=1, kinds=me, as_of=date(2027, 6, 1))}
    assert near == {"96377"}


def test_payment_status_before_its_effective_date_is_no_data(kg: KnowledgeGraph) -> None:
    assert [p.payment_system for p in kg.payment_statuses("96368", as_of=date(2025, 1, 1))] == []
    assert [p.payment_system for p in kg.payment_statuses("96368", as_of=date(2025, 10, 1))] == ["MPFS"]


def test_valid_primaries_and_add_ons(kg: KnowledgeGraph) -> None:
    assert [c.code for c in kg.valid_primaries("96375")] == ["96365", "96374", "96409", "96413"]
    assert [c.code for c in kg.valid_primaries("96423")] == ["96422"]
    assert "96368" in {c.code for c in kg.add_ons("96413")}
    assert kg.valid_primaries("96365") == []  # a primary has none


def test_related_walks_depth_with_explained_paths(kg: KnowledgeGraph) -> None:
    near = {r.code.code: r for r in kg.related("96368", depth=1)}
    far = {r.code.code: r for r in kg.related("96368", depth=2)}
    assert set(near) < set(far)
    for found in far.values():
        assert len(found.path) == found.depth <= 2
        assert found.path[-1].from_code.code == found.code.code or found.path[-1].to_code.code == found.code.code
    only_me = kg.related("96368", depth=3, kinds=[RelationKind.MUTUALLY_EXCLUSIVE_WITH])
    assert [r.code.code for r in only_me] == ["96367"]


def test_path_between_unconnected_codes_is_none(kg: KnowledgeGraph) -> None:
    assert kg.path("99214", "J1100") is None
    assert kg.path("96368", "96368") == []


def test_search_by_words_and_by_code(kg: KnowledgeGraph) -> None:
    assert [c.code for c in kg.search("96368")] == ["96368"]
    assert "J2405" in {c.code for c in kg.search("ondansetron")}
    hydration = [c.code for c in kg.search("hydration")]
    assert hydration[:2] == ["96360", "96361"]
    assert kg.search("") == []
    assert kg.search("zzzz-no-such-word") == []
    assert len(kg.search("office", first=3)) == 3


def test_unknown_codes_raise_a_clear_error(kg: KnowledgeGraph) -> None:
    assert kg.code("12345") is None
    with pytest.raises(UnknownCodeError, match="unknown code '12345'"):
        kg.valid_primaries("12345")
    with pytest.raises(UnknownCodeError):
        kg.relationships("X" * 5000)
    assert "…" in str(UnknownCodeError("X" * 5000))


def test_guidance_and_sources(kg: KnowledgeGraph) -> None:
    assert len(kg.guidance("96368", "documentation")) == 8
    assert len(kg.guidance("96368", "denial-risk")) == 5
    assert kg.guidance("96365") == []
    confidences = [s.confidence for s in kg.code_sources("96368")]
    assert confidences == sorted(confidences, key=["cms-file", "cpt-guideline", "secondary"].index)


def test_registries(kg: KnowledgeGraph) -> None:
    assert kg.modifier("59").bypasses_ptp and not kg.modifier("25").bypasses_ptp
    assert kg.modifier("ZZ") is None
    assert {m.code for m in kg.modifiers()} >= {"25", "50", "51", "53", "59", "XE", "XP", "XS", "XU"}
    release = kg.release()
    assert release.layers == ("cms-baseline", "curated")
    assert any(s.file_name == "PPRRVU2025_Oct.csv" for s in release.sources)
    assert release.triples > 2000
