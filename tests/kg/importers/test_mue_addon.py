"""MUE tables and add-on code edits: imported facts override the curated ones, with their own source."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kg.graph import KnowledgeGraph
from kg.importers.cms_layouts import AocRecord, MueRecord, write_aoc, write_mue
from kg.importers.release import import_files


def test_imported_mue_replaces_the_curated_one(small_graph: KnowledgeGraph) -> None:
    curated = KnowledgeGraph.default().mue("96368")
    assert curated is not None and curated.max_units == 1
    mue = small_graph.mue("96368")
    assert mue is not None
    assert (mue.max_units, mue.adjudication, mue.rationale) == (2, "DATE_OF_SERVICE_POLICY", "CMS Policy")
    assert mue.effective == date(2026, 7, 1)
    assert [s.file_name for s in mue.sources] == ["MCR_MUE_PractitionerServices_Eff_07-01-2026.csv"]


def test_mue_per_claim_type(small_graph: KnowledgeGraph) -> None:
    outpatient = small_graph.mue("96368", "FACILITY_OUTPATIENT")
    assert outpatient is not None and outpatient.max_units == 1
    dme = small_graph.mue("E0781", "DME_SUPPLIER")
    assert dme is not None and (dme.max_units, dme.per_date_of_service) == (1, True)
    line = small_graph.mue("96365")
    assert line is not None and line.adjudication == "DATE_OF_SERVICE_CLINICAL"
    # no row is no data, never "no limit"
    assert small_graph.mue("J1100", "FACILITY_OUTPATIENT") is None


def test_imported_add_on_list_replaces_the_curated_primaries(small_graph: KnowledgeGraph) -> None:
    assert {c.code for c in KnowledgeGraph.default().valid_primaries("96368")} > {"96365", "96413"}
    assert [c.code for c in small_graph.valid_primaries("96368")] == ["96365", "96413"]
    assert [c.code for c in small_graph.valid_primaries("96368", as_of=date(2019, 6, 1))] == ["96365", "96366", "96413"]
    edges = small_graph.add_on_edges("96368")
    assert {(r.edit_type, r.effective) for r in edges} == {(1, date(2013, 4, 1))}
    assert all(s.file_name == "AOC_V2026Q3-MCR.txt" for r in edges for s in r.sources)


def test_contractor_defined_primaries_make_an_add_on(small_graph: KnowledgeGraph) -> None:
    code = small_graph.code("0999T")
    assert code is not None and code.is_add_on
    assert small_graph.node(code.iri)["contractorDefinedPrimaries"] is True
    assert small_graph.valid_primaries("0999T") == []
    assert [r.edit_type for r in small_graph.add_on_edges("96375")] == [3]


def test_notes_are_not_copied(small_release: Path) -> None:
    assert "kept out of the graph" not in "".join(p.read_text() for p in small_release.glob("*.ttl"))


def test_drifting_aoc_headers_and_xlsx(tmp_path: Path) -> None:
    rows = [AocRecord(1, "96368", "96365", date(2013, 4, 1), primary_deleted=date(2018, 1, 1)),
            AocRecord(2, "96376", "CCCCC", date(2013, 4, 1))]
    txt = write_aoc(tmp_path / "AOC_V2025Q4_01-MCR.txt", rows, julian_suffix=True, type_description=True)
    xlsx = write_aoc(tmp_path / "AOC_V2026Q2-MCR.xlsx", rows)
    for source, out in ((txt, "a"), (xlsx, "b")):
        import_files([source], tmp_path / out)
        kg = KnowledgeGraph.default([tmp_path / out], baseline=False)
        [edge] = kg.add_on_edges("96368", as_of=date(2017, 1, 1))
        assert (edge.to_code.code, edge.end) == ("96365", date(2018, 1, 1))
        assert kg.valid_primaries("96368") == []
        assert kg.node(kg.require_code_iri("96376"))["contractorDefinedPrimaries"] is True


def test_mue_xlsx(tmp_path: Path) -> None:
    path = write_mue(tmp_path / "MCR_MUE_PractitionerServices_Eff_04-01-2026.xlsx", "practitioner",
                     [MueRecord("96368", 3, 1, "Clinical: Data")])
    import_files([path], tmp_path / "r")
    mue = KnowledgeGraph.default([tmp_path / "r"], baseline=False).mue("96368")
    assert mue is not None and (mue.max_units, mue.adjudication, mue.per_date_of_service) == (3, "LINE", False)
    assert mue.effective == date(2026, 4, 1)


@pytest.mark.parametrize("value", ["1.5", "", "two"])
def test_non_integer_mue_is_rejected(tmp_path: Path, value: str) -> None:
    from kg.importers.base import CmsFileError

    path = write_mue(tmp_path / "MCR_MUE_PractitionerServices_Eff_04-01-2026.csv", "practitioner",
                     [MueRecord("96365", 1), MueRecord("96368", value)])
    with pytest.raises(CmsFileError) as err:
        import_files([path], tmp_path / "r")
    assert (err.value.line, "not a whole number" in err.value.reason) == (7, True)
    assert not (tmp_path / "r").exists()
