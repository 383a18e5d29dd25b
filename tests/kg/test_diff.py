"""releaseDiff: added, removed and changed facts between two imported quarters."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from codingkg.cli import main
from kg.diff import release_diff
from kg.importers.cms_layouts import MueRecord, PtpRecord
from kg.importers.release import import_files


@pytest.fixture(scope="module")
def two_quarters(tmp_path_factory: pytest.TempPathFactory, quarter_writer: Callable[..., list[Path]],
                 quarter_rows: dict[str, list]) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("quarters")
    import_files(quarter_writer(root / "q3"), root / "2026q3")
    ptp = [PtpRecord(r.column1, r.column2, r.effective, date(2026, 10, 1), r.modifier, r.rationale)
           if (r.column1, r.column2) == ("96365", "96372") else r for r in quarter_rows["ptp"]]
    ptp.append(PtpRecord("96366", "96368", date(2026, 10, 1), None, 1))
    mue = [MueRecord("96368", 3, 2, "CMS Policy"), *quarter_rows["mue"][1:]]
    aoc = [r for r in quarter_rows["aoc"] if r.add_on != "96375"]
    import_files(quarter_writer(root / "q4", ptp=ptp, mue=mue, aoc=aoc, version="v323r0"), root / "2026q4")
    return root / "2026q3", root / "2026q4"


@pytest.fixture(autouse=True)
def _private_snapshot_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODINGKG_CACHE_DIR", str(tmp_path / "cache"))


def _keys(changes) -> set[tuple[str, str, str]]:
    return {(c.kind, c.from_code, c.to) for c in changes}


def test_release_diff(two_quarters: tuple[Path, Path]) -> None:
    diff = release_diff(*two_quarters)
    assert _keys(diff.added) == {("BUNDLED_INTO", "96368", "96366")}
    assert _keys(diff.removed) == {("ADD_ON_OF", "96375", "96365")}
    assert _keys(diff.changed) == {("BUNDLED_INTO", "96372", "96365"), ("MUE", "96368", "professional")}
    changed = {c.kind: c for c in diff.changed}
    assert (changed["BUNDLED_INTO"].before["end"], changed["BUNDLED_INTO"].after["end"]) == (None, "2026-10-01")
    assert (changed["MUE"].before["maxUnits"], changed["MUE"].after["maxUnits"]) == (2, 3)


def test_diff_for_one_code(two_quarters: tuple[Path, Path]) -> None:
    diff = release_diff(*two_quarters, code="96368")
    assert _keys(diff.added) == {("BUNDLED_INTO", "96368", "96366")}
    assert _keys(diff.changed) == {("MUE", "96368", "professional")}
    assert diff.removed == ()
    assert release_diff(*two_quarters, code="96360").to_json()["counts"] == {"added": 0, "removed": 0, "changed": 0}


def test_same_release_has_no_changes(two_quarters: tuple[Path, Path]) -> None:
    diff = release_diff(two_quarters[0], two_quarters[0])
    assert (diff.added, diff.removed, diff.changed) == ((), (), ())


def test_diff_command(two_quarters: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", *map(str, two_quarters), "--code", "96375"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["counts"] == {"added": 0, "removed": 1, "changed": 0}
    assert out["removed"][0]["before"] == {"editType": 3, "effective": "2013-04-01"}
    assert main(["diff", str(two_quarters[0]), str(two_quarters[0].parent / "missing")]) == 1
