"""RDF -> networkx conventions: literals as attributes, n-ary nodes as edges, layered overrides."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kg.load import GraphLoadError, load_graph
from ontology import default_files

PREFIXES = """
@prefix ck: <https://w3id.org/codingkg/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix cpt: <https://w3id.org/codingkg/cpt/> .
@prefix src: <https://w3id.org/codingkg/source/> .
@prefix claim: <https://w3id.org/codingkg/claim-type/> .
@prefix adj: <https://w3id.org/codingkg/mue-adjudication/> .
"""


def _write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(PREFIXES + body, encoding="utf-8")
    return path


def test_literals_become_attributes_and_nary_nodes_become_edges() -> None:
    graph = load_graph([default_files()]).graph
    code = graph.nodes["https://w3id.org/codingkg/cpt/96368"]
    assert code["notation"] == "96368"
    assert "concurrent infusion" in code["altLabel"]
    # No literal is a node.
    assert all(isinstance(n, str) and n.startswith(("http", "_:")) for n in graph.nodes)
    # The n-ary add-on node is an attributed edge, not a node.
    assert "https://w3id.org/codingkg/relationship/addon-96368-96365" not in graph
    data = graph.get_edge_data("https://w3id.org/codingkg/cpt/96368", "https://w3id.org/codingkg/cpt/96365")
    (attrs,) = [a for a in data.values() if a["kind"] == "ADD_ON_OF"]
    assert attrs["editType"] == 1
    assert attrs["sources"] == ("https://w3id.org/codingkg/source/cpt-drug-admin-guidelines",)


def test_typed_literals_become_python_values(tmp_path: Path) -> None:
    extra = _write(tmp_path, "dated.ttl", """
        <https://w3id.org/codingkg/relationship/t> a ck:AddOnOf ; ck:fromCode cpt:96368 ; ck:toCode cpt:96374 ;
            ck:effective "2030-01-01"^^xsd:date ; ck:editType 3 ; dcterms:source src:seed-96368 .
    """)
    graph = load_graph([default_files(), [extra]]).graph
    edges = graph.get_edge_data("https://w3id.org/codingkg/cpt/96368", "https://w3id.org/codingkg/cpt/96374")
    attrs = edges["https://w3id.org/codingkg/relationship/t"]
    assert attrs["effective"] == date(2030, 1, 1)
    assert attrs["editType"] == 3
    assert attrs["layer"] == 1


def test_a_later_layer_overrides_add_on_primaries_of_the_same_code(tmp_path: Path) -> None:
    release = _write(tmp_path, "aoc.ttl", """
        <https://w3id.org/codingkg/relationship/imported> a ck:AddOnOf ; ck:fromCode cpt:96368 ;
            ck:toCode cpt:96413 ; ck:editType 1 ; dcterms:source src:seed-96368 .
    """)
    graph = load_graph([default_files(), [release]]).graph
    primaries = {v for _, v, a in graph.out_edges("https://w3id.org/codingkg/cpt/96368", data=True) if a["kind"] == "ADD_ON_OF"}
    assert primaries == {"https://w3id.org/codingkg/cpt/96413"}
    # Other add-ons keep their curated primaries.
    others = {v for _, v, a in graph.out_edges("https://w3id.org/codingkg/cpt/96367", data=True) if a["kind"] == "ADD_ON_OF"}
    assert len(others) == 4


def test_an_imported_mue_replaces_only_the_same_claim_type(tmp_path: Path) -> None:
    release = _write(tmp_path, "mue.ttl", """
        <https://w3id.org/codingkg/mue/imported> a ck:MueLimit ; ck:code cpt:96368 ; ck:claimType claim:professional ;
            ck:maxUnits 2 ; ck:adjudication adj:line ; dcterms:source src:seed-96368 .
        <https://w3id.org/codingkg/mue/imported-op> a ck:MueLimit ; ck:code cpt:96368 ;
            ck:claimType claim:facility-outpatient ; ck:maxUnits 3 ; ck:adjudication adj:line ; dcterms:source src:seed-96368 .
    """)
    graph = load_graph([default_files(), [release]]).graph
    limits = sorted(a["maxUnits"] for _, _, a in graph.out_edges("https://w3id.org/codingkg/cpt/96368", data=True)
                    if a["kind"] == "MUE")
    assert limits == [2, 3]


def test_a_malformed_file_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix ck: <https://w3id.org/codingkg/ontology#> .\nck:x ck:y ", encoding="utf-8")
    with pytest.raises(GraphLoadError, match=r"broken\.ttl"):
        load_graph([default_files(), [broken]])
