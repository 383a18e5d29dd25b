"""The real October 2025 PPRRVU and April 2026 Addendum B import whole and land every indicator."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from kg.graph import KnowledgeGraph
from kg.importers.release import import_files

PPRRVU = "PPRRVU2025_Oct.csv"
ADDENDUM_B = "opps-addendum-b-2026-04-reduced.csv"


@pytest.fixture(scope="module")
def reference_release(cms_reference: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reference") / "cms-2025q4"
    import_files([cms_reference / PPRRVU, cms_reference / ADDENDUM_B], out)
    return out


@pytest.fixture(scope="module")
def reference_graph(reference_release: Path) -> KnowledgeGraph:
    return KnowledgeGraph.default([reference_release], baseline=False)


@pytest.fixture(scope="module")
def pprrvu_rows(cms_reference: Path) -> list[dict[str, str]]:
    """The file read independently: the tenth line holds the short column names."""
    with open(cms_reference / PPRRVU, encoding="latin-1", newline="") as handle:
        lines = list(csv.reader(handle))
    names = lines[9]
    # several columns share a short name ("SURG" four times): keep the first of each, as CMS orders
    # BILAT SURG before ASST, CO- and TEAM SURG
    first = {name: names.index(name) for name in names}
    return [{name: row[i] for name, i in first.items()} for row in lines[10:] if row]


def test_every_row_is_read(reference_release: Path, pprrvu_rows: list[dict[str, str]]) -> None:
    manifest = json.loads((reference_release / "manifest.json").read_text())
    files = {f["file"]: f for f in manifest["files"]}
    assert files[PPRRVU]["rows"] == len(pprrvu_rows) == 19090
    assert files[PPRRVU]["facts"] == len({r["HCPCS"] for r in pprrvu_rows})
    assert (files[PPRRVU]["quarter"], files[PPRRVU]["effective"]) == ("2025-Q4", "2025-10-01")
    assert files[ADDENDUM_B]["rows"] == 19059
    assert files[ADDENDUM_B]["quarter"] == "2026-Q2"


def test_every_zzz_code_is_an_add_on(reference_graph: KnowledgeGraph, pprrvu_rows: list[dict[str, str]]) -> None:
    zzz = {r["HCPCS"] for r in pprrvu_rows if r["DAYS"] == "ZZZ"}
    assert len(zzz) == 623
    not_add_on = [c for c in sorted(zzz) if not reference_graph.code(c).is_add_on]
    assert not_add_on == []


@pytest.mark.parametrize("code", ["96368", "96365", "G0018", "61715", "70170", "0001F", "D0120", "A2001", "27130"])
def test_status_and_indicators_match_the_file(reference_graph: KnowledgeGraph, pprrvu_rows: list[dict[str, str]],
                                              code: str) -> None:
    rows = [r for r in pprrvu_rows if r["HCPCS"] == code]
    row = next((r for r in rows if not r["MOD"]), rows[0])
    [status] = [p for p in reference_graph.payment_statuses(code) if p.payment_system == "MPFS"]
    assert status.status == row["CODE"]
    assert status.indicators == {"globalDays": row["DAYS"], "multipleProcedure": row["PROC"],
                                 "bilateralSurgery": row["SURG"], "pctc": row["IND"]}
    assert [s.file_name for s in status.sources] == [PPRRVU]


def test_payability_follows_the_status(reference_graph: KnowledgeGraph) -> None:
    statuses = {c: next(p for p in reference_graph.payment_statuses(c) if p.payment_system == "MPFS")
                for c in ("96365", "0001F", "G0008")}
    assert {c: (p.status, p.payable) for c, p in statuses.items()} == {
        "96365": ("A", "always"), "0001F": ("I", "never"), "G0008": ("X", "never")}


def test_indicators_drive_modifier_rules(reference_graph: KnowledgeGraph) -> None:
    rules = {(r.modifier, r.applicability) for r in reference_graph.modifier_rules("0001F")}
    assert {("51", "NOT_APPLICABLE"), ("50", "NOT_APPLICABLE")} <= rules  # MULT PROC 9, BILAT SURG 9
    assert ("51", "NOT_APPLICABLE") not in {(r.modifier, r.applicability)
                                            for r in reference_graph.modifier_rules("27130")}  # MULT PROC 2


def test_titles_never_copy_licensed_descriptors(reference_graph: KnowledgeGraph) -> None:
    assert reference_graph.code("27130").title == "CPT code 27130 (descriptor not licensed)"
    assert reference_graph.code("D0120").title == "HCPCS code D0120 (descriptor not licensed)"  # CDT text
    assert reference_graph.code("D0120").title_source == "NOT_LICENSED"
    assert reference_graph.code("A2001").title == "Innovamatrix ac, per sq cm"
    assert reference_graph.code("A2001").title_source == "CMS_SHORT_DESCRIPTOR"
    assert reference_graph.code("96368").title == KnowledgeGraph.default(baseline=False).code("96368").title


def test_96368_is_packaged_under_opps(reference_graph: KnowledgeGraph) -> None:
    [opps] = [p for p in reference_graph.payment_statuses("96368") if p.payment_system == "OPPS"]
    assert (opps.status, opps.packaging, opps.payable) == ("N", "always", "never")
    assert [s.file_name for s in opps.sources] == [ADDENDUM_B]
    [paid] = [p for p in reference_graph.payment_statuses("96365") if p.payment_system == "OPPS"]
    assert (paid.status, paid.payment_rate) == ("S", 217.31)
