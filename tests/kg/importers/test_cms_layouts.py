"""Generated quarters are in CMS's exact layouts and import whole."""

from __future__ import annotations

from pathlib import Path

from kg.graph import KnowledgeGraph
from kg.importers.cms_layouts import generate_set
from kg.importers.release import import_files


def test_ptp_layout_bytes(tmp_path: Path) -> None:
    generated = generate_set(tmp_path, scale=0.0005, seed=3)
    raw = generated.ptp[0].read_bytes()
    lines = raw.split(b"\r\n")
    assert lines[0].startswith(b"CPT only copyright") and lines[1] == b"Column1/Column2 Edits"
    assert lines[2].split(b"\t")[:2] == [b"Column 1", b"Column 2"]
    assert lines[5] == b"\t\t\t\t\t9=not applicable\t"
    assert b"\n" not in raw.replace(b"\r\n", b"")
    mue = generated.mue[0].read_bytes()
    assert b',,,\r\n"HCPCS/\nCPT Code",Practitioner Services MUE Values,MUE Adjudication Indicator' in mue


def test_generated_quarter_imports_whole(tmp_path: Path) -> None:
    generated = generate_set(tmp_path / "cms", scale=0.0005, seed=3)
    assert len(generated.ptp) == 8 and len(generated.mue) == 3
    manifest = import_files(generated.files, tmp_path / "release")
    assert manifest.warnings == []
    rows = {f.format: 0 for f in manifest.files}
    for f in manifest.files:
        rows[f.format] += f.rows
    assert rows == {"ncci-ptp": generated.ptp_rows, "ncci-mue": generated.mue_rows, "cms-aoc": generated.aoc_rows}
    kg = KnowledgeGraph.default([tmp_path / "release"], baseline=False)
    assert kg.bulk is not None and len(kg.bulk) == generated.ptp_rows
    retired = sum(f.retired for f in manifest.files if f.format == "ncci-ptp")
    assert 0 < retired < generated.ptp_rows
