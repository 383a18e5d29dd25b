"""Malformed files fail with file, line and reason, exit non-zero, and leave nothing behind."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from codingkg.cli import main
from kg.importers.cms_layouts import AocRecord, PtpRecord, write_aoc, write_ptp


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().err


def _nothing_written(out: Path) -> bool:
    return not out.exists() and not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]


def test_truncated_ptp_part(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                            quarter_writer: Callable[..., list[Path]]) -> None:
    files = quarter_writer(tmp_path / "cms")
    part = files[0]
    data = part.read_bytes()
    part.write_bytes(data[: data.rindex(b"\t1\t")])  # the last row ends mid-row
    out = tmp_path / "release"
    code, err = _run(capsys, "import", *map(str, files), "--out", str(out))
    assert code != 0
    assert f"{part}:12:" in err and "truncated" in err
    assert _nothing_written(out)


def test_truncated_inside_the_rationale(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    part = write_ptp(tmp_path / "ccipra-v322r0-f2.txt", [PtpRecord("96413", "96360", date(2009, 1, 1))])
    part.write_bytes(part.read_bytes()[:-20])
    code, err = _run(capsys, "import", str(part), "--out", str(tmp_path / "r"))
    assert code != 0 and f"{part}:7:" in err and "unknown PTP rationale" in err


def test_wrong_header(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    part = write_ptp(tmp_path / "ccipra-v322r0-f1.txt", [PtpRecord("96413", "96360", date(2009, 1, 1))])
    part.write_text(part.read_text(encoding="latin-1").replace("Column 2", "Column Two"), encoding="latin-1")
    code, err = _run(capsys, "import", str(part), "--out", str(tmp_path / "r"))
    assert code != 0 and str(part) in err and "no importer recognises" in err
    other = tmp_path / "notes.csv"
    other.write_text("a,b,c\n1,2,3\n")
    code, err = _run(capsys, "import", str(other), "--out", str(tmp_path / "r"))
    assert code != 0 and "no importer recognises" in err
    assert _nothing_written(tmp_path / "r")


def test_missing_required_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    part = write_ptp(tmp_path / "ccipra-v322r0-f1.txt", [PtpRecord("96413", "96360", date(2009, 1, 1))])
    part.write_text(part.read_text(encoding="latin-1").replace("Modifier", "Modifiers?").replace("Modifiers?", "Flag"),
                    encoding="latin-1")
    code, err = _run(capsys, "import", str(part), "--out", str(tmp_path / "r"))
    assert code != 0 and f"{part}:6:" in err and "no column 'Modifier'" in err


@pytest.mark.parametrize(("effective", "reason"), [("20061301", "no such day"), ("2006011", "expected YYYYMMDD")])
def test_bad_ptp_date(tmp_path: Path, capsys: pytest.CaptureFixture[str], effective: str, reason: str) -> None:
    part = write_ptp(tmp_path / "ccioph-v322r0-f3.txt", [PtpRecord("96413", "96360", date(2009, 1, 1)),
                                                          PtpRecord("96365", "96360", date(2009, 2, 1))])
    part.write_text(part.read_text(encoding="latin-1").replace("20090201", effective), encoding="latin-1")
    code, err = _run(capsys, "import", str(part), "--out", str(tmp_path / "r"))
    assert code != 0 and f"{part}:8:" in err and reason in err
    assert _nothing_written(tmp_path / "r")


def test_bad_julian_date(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_aoc(tmp_path / "AOC_V2026Q2-MCR.txt", [AocRecord(1, "96368", "96365", date(2013, 4, 1)),
                                                        AocRecord(1, "96368", "96413", date(2013, 4, 1))])
    lines = path.read_bytes().split(b"\r\n")
    lines[3] = lines[3].replace(b"2013091", b"2013400")
    path.write_bytes(b"\r\n".join(lines))
    code, err = _run(capsys, "import", str(path), "--out", str(tmp_path / "r"))
    assert code != 0 and f"{path}:4:" in err and "2013400" in err


def test_bad_edit_type_and_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_aoc(tmp_path / "AOC_V2026Q2-MCR.txt", [AocRecord(4, "96368", "96365", date(2013, 4, 1))])
    code, err = _run(capsys, "import", str(path), "--out", str(tmp_path / "r"))
    assert code != 0 and f"{path}:3:" in err and "edit type '4'" in err
    path = write_aoc(tmp_path / "AOC_V2026Q2-MCR.txt", [AocRecord(1, "9636", "96365", date(2013, 4, 1))])
    code, err = _run(capsys, "import", str(path), "--out", str(tmp_path / "r"))
    assert code != 0 and "'9636' is not a CPT or HCPCS code" in err


def test_a_failed_import_leaves_the_previous_release(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     quarter_writer: Callable[..., list[Path]]) -> None:
    files = quarter_writer(tmp_path / "cms")
    out = tmp_path / "release"
    assert _run(capsys, "import", *map(str, files), "--out", str(out))[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    files[0].write_bytes(files[0].read_bytes()[:-30])
    assert _run(capsys, "import", *map(str, files), "--out", str(out))[0] != 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_refuses_to_replace_a_directory_that_is_not_a_release(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                              quarter_writer: Callable[..., list[Path]]) -> None:
    files = quarter_writer(tmp_path / "cms")
    code, err = _run(capsys, "import", *map(str, files), "--out", str(tmp_path / "cms"))
    assert code != 0 and "not a codingkg release" in err
    assert sorted(p.name for p in (tmp_path / "cms").iterdir()) == sorted(p.name for p in files)
