"""The release directory: manifest, sources, SHACL validation, and the import command line."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from codingkg.cli import main
from kg.graph import KnowledgeGraph
from kg.verify import seal_release


def test_validate_passes_on_an_imported_release(small_release: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--data", str(small_release)]) == 0
    assert "valid" in capsys.readouterr().out


def test_validate_names_a_broken_fact(small_release: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for path in small_release.iterdir():
        text = path.read_text()
        if path.name.startswith("mcr-mue-practitioner"):
            text = text.replace("ck:maxUnits 2 ;", 'ck:maxUnits "two" ;')
        (broken / path.name).write_text(text)
    assert main(["validate", "--data", str(broken)]) == 2  # edited after import: the manifest refuses it
    assert "mcr-mue-practitioner" in capsys.readouterr().err
    seal_release(broken)  # re-sealed on purpose: now SHACL, not the manifest check, must catch the bad value
    assert main(["validate", "--data", str(broken)]) == 1
    assert "maxUnits" in capsys.readouterr().err


def test_manifest_describes_every_file(small_release: Path, quarter_writer, tmp_path: Path) -> None:
    files = quarter_writer(tmp_path)
    manifest = json.loads((small_release / "manifest.json").read_text())
    assert manifest["release"] == "release-2026q3"
    by_name = {f["file"]: f for f in manifest["files"]}
    assert sorted(by_name) == sorted(p.name for p in files)
    for path in files:
        entry = by_name[path.name]
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert entry["quarter"] == "2026-Q3"
        assert entry["importer_version"] == "1"
        assert all((small_release / out).is_file() for out in entry["outputs"])
    assert {f["format"] for f in manifest["files"]} == {"ncci-ptp", "ncci-mue", "cms-aoc"}
    assert by_name["ccipra-v322r0-f1.txt"]["rows"] == 6
    assert by_name["ccipra-v322r0-f1.txt"]["retired"] == 2
    assert by_name["MCR_MUE_PractitionerServices_Eff_07-01-2026.csv"]["effective"] == "2026-07-01"


def test_every_file_is_a_source_node(small_graph: KnowledgeGraph, small_release: Path) -> None:
    manifest = json.loads((small_release / "manifest.json").read_text())
    sources = {s.iri: s for s in small_graph.release().sources}
    for entry in manifest["files"]:
        source = sources[entry["source"]]
        assert (source.file_name, source.sha256, source.rows, source.quarter, source.confidence) == (
            entry["file"], entry["sha256"], entry["rows"], entry["quarter"], "cms-file")
    assert small_graph.release().layers == ("curated", "release-2026q3")


def test_import_command_prints_the_manifest(tmp_path: Path, quarter_writer, capsys: pytest.CaptureFixture[str]) -> None:
    files = quarter_writer(tmp_path / "cms")
    out = tmp_path / "out"
    assert main(["import", *map(str, files), "--out", str(out), "--release", "Q3 2026"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["release"] == "q3-2026"
    assert "parts f2, f3, f4 not imported" in captured.err
    assert (out / "manifest.json").is_file()
