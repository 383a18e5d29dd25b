"""NCCI PTP tables: rows become dated, sourced bundled-into and mutually-exclusive edges."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from kg.graph import KnowledgeGraph
from kg.importers.cms_layouts import PtpRecord, write_ptp
from kg.importers.release import import_files
from kg.model import RelationKind

PROFESSIONAL = "https://w3id.org/codingkg/claim-type/professional"
OUTPATIENT = "https://w3id.org/codingkg/claim-type/facility-outpatient"


def _between(kg: KnowledgeGraph, a: str, b: str, kind: str = "BUNDLED_INTO", as_of: date | None = None):
    return kg.edges_between(kg.require_code_iri(a), kg.require_code_iri(b), kind, as_of)


def test_indicator_one_and_zero_land_with_their_dates_and_claim_types(small_graph: KnowledgeGraph) -> None:
    edges = {e.attrs["claimType"]: e.attrs for e in _between(small_graph, "96360", "96413")}
    assert set(edges) == {PROFESSIONAL, OUTPATIENT}
    assert edges[PROFESSIONAL]["modifierIndicator"] == 1
    assert edges[OUTPATIENT]["modifierIndicator"] == 0
    assert edges[PROFESSIONAL]["effective"] == date(2009, 1, 1)
    assert "end" not in edges[PROFESSIONAL]
    zero = _between(small_graph, "96372", "96365")
    assert [(e.attrs["modifierIndicator"], e.attrs["effective"]) for e in zero] == [(0, date(2010, 1, 1))]


def test_column_two_is_the_component(small_graph: KnowledgeGraph) -> None:
    assert _between(small_graph, "96413", "96360") == []
    imported = [r for r in small_graph.relationships("96413", [RelationKind.BUNDLED_INTO])
                if any(s.file_name for s in r.sources)]  # the curated CR 3631 edges cite no file
    assert {r.from_code.code for r in imported} == {"96360"}


def test_rationale_is_normalised(small_graph: KnowledgeGraph) -> None:
    [edge] = _between(small_graph, "96372", "96365")
    assert edge.attrs["rationale"] == "Standards of medical/surgical practice"


def test_retired_edit_fires_only_before_its_deletion(small_graph: KnowledgeGraph) -> None:
    before = _between(small_graph, "96372", "96374", as_of=date(2019, 12, 31))
    assert [e.attrs["end"] for e in before] == [date(2020, 1, 1)]
    assert _between(small_graph, "96372", "96374", as_of=date(2020, 1, 1)) == []
    assert _between(small_graph, "96372", "96374") == []
    # deleted on its effective date (indicator 9): never in force
    assert _between(small_graph, "96372", "99214", as_of=date(2015, 1, 1)) == []


def test_mutually_exclusive_rows_become_me_edges_with_indicator(small_graph: KnowledgeGraph) -> None:
    [edge] = _between(small_graph, "96368", "96367", "MUTUALLY_EXCLUSIVE_WITH")
    assert edge.attrs["modifierIndicator"] == 1
    assert edge.attrs.get("symmetric") is True
    assert _between(small_graph, "96368", "96367") == []
    # the curated position (leaving 96367) stays beside the imported one
    assert _between(small_graph, "96367", "96368", "MUTUALLY_EXCLUSIVE_WITH")


def test_every_edge_cites_its_cms_file(small_graph: KnowledgeGraph) -> None:
    [edge] = _between(small_graph, "96372", "96365")
    [source] = small_graph.sources_of(edge.attrs["sources"])
    assert source.file_name == "ccipra-v322r0-f1.txt"
    assert source.confidence == "cms-file"
    assert source.quarter == "2026-Q3"
    assert source.rows == 6
    assert len(source.sha256) == 64


def test_codes_new_to_the_graph_become_code_nodes_without_descriptors(small_graph: KnowledgeGraph) -> None:
    code = small_graph.code("12345")
    assert code is not None and code.system == "CPT"
    assert (code.title, code.title_source) == ("CPT code 12345 (descriptor not licensed)", "NOT_LICENSED")
    # a curated code keeps its own title
    j1100 = small_graph.code("J1100")
    assert j1100.title_source == "CURATED" and "(" not in j1100.title


def test_xlsx_part_gives_the_same_edges_as_txt(tmp_path: Path) -> None:
    rows = [PtpRecord("96413", "96360", date(2009, 1, 1), date(2021, 4, 1), 1),
            PtpRecord("96367", "96368", date(2007, 1, 1), None, 0, "MUTUALLY EXCLUSIVE PROCEDURES")]
    txt = write_ptp(tmp_path / "ccipra-v321r0-f1.txt", rows)
    xlsx = write_ptp(tmp_path / "ccipra-v321r0-f1.xlsx", rows)
    import_files([txt], tmp_path / "a")
    import_files([xlsx], tmp_path / "b")

    def facts(release: Path) -> list[tuple]:
        kg = KnowledgeGraph.default([release], baseline=False)
        found = []
        for a, b, kind in (("96360", "96413", "BUNDLED_INTO"), ("96368", "96367", "MUTUALLY_EXCLUSIVE_WITH")):
            for e in _between(kg, a, b, kind, date(2020, 1, 1)):
                found.append((kind, e.attrs["modifierIndicator"], e.attrs["rationale"], e.attrs["effective"],
                              e.attrs.get("end")))
        return found

    assert facts(tmp_path / "a") == facts(tmp_path / "b") == [
        ("BUNDLED_INTO", 1, "Misuse of column two code with column one code", date(2009, 1, 1), date(2021, 4, 1)),
        ("MUTUALLY_EXCLUSIVE_WITH", 0, "Mutually exclusive procedures", date(2007, 1, 1), None),
    ]
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["files"][0]["quarter"] == "2026-Q2"
    assert manifest["files"][0]["version"] == "v321r0"


def test_missing_parts_are_reported(small_release: Path) -> None:
    warnings = json.loads((small_release / "manifest.json").read_text())["warnings"]
    assert any("professional" in w and "f2, f3, f4" in w for w in warnings)
