"""Layout variants: the official Addendum B layout and a PPRRVU with an inserted column."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from kg.graph import KnowledgeGraph
from kg.importers.base import CmsFileError
from kg.importers.release import import_files

OFFICIAL_HEADER = ["HCPCS Code", "Short Descriptor", "SI", "APC", "Relative Weight", "Payment Rate",
                   "National Unadjusted Copayment", "Minimum Unadjusted Copayment", "IRA Coinsurance Percentage",
                   "Adjusted Beneficiary Copayment", "Drug and Device Pass-Through Expiration during Calendar Year",
                   "Note", "* Indicates a Change"]


def _official(path: Path, rows: list[list[str]], preamble: int = 3) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["Addendum B.-- OPPS Payment by HCPCS Code for January 2026"])
        for _ in range(preamble - 1):
            writer.writerow(["CPT codes and descriptions only are copyright American Medical Association."])
        writer.writerow(OFFICIAL_HEADER)
        writer.writerows(rows)
        writer.writerow(["* Indicates a change from the prior quarter"])
    return path


@pytest.mark.parametrize("preamble", [1, 5])
def test_official_addendum_b(tmp_path: Path, preamble: int) -> None:
    rows = [["96365", "", "S", "5692", "1.2", "$1,217.31", "$43.46", "", "", "", "", "", ""],
            ["96368", "", "N", "", "", ".", "", "", "", "", "", "", ""],
            ["J9999", "Synthetic drug code", "K", "9999", "", "$5.00", "", "", "", "", "", "", "*"]]
    path = _official(tmp_path / "2026_January_Web_Addendum_B.csv", rows, preamble)
    import_files([path], tmp_path / "r")
    kg = KnowledgeGraph.default([tmp_path / "r"], baseline=False)
    [paid] = [p for p in kg.payment_statuses("96365") if p.payment_system == "OPPS"]
    assert (paid.status, paid.payment_rate, paid.effective) == ("S", 1217.31, date(2026, 1, 1))
    [packaged] = [p for p in kg.payment_statuses("96368") if p.payment_system == "OPPS"]
    assert (packaged.status, packaged.payment_rate) == ("N", None)
    assert kg.code("J9999").title == "Synthetic drug code"


def test_unknown_status_indicator_is_an_error(tmp_path: Path) -> None:
    path = _official(tmp_path / "addendum-b-2026-01.csv", [["96365", "", "ZZ", "", "", "", "", "", "", "", "", "", ""]])
    with pytest.raises(CmsFileError) as err:
        import_files([path], tmp_path / "r")
    assert err.value.line == 5 and "unknown OPPS status indicator 'ZZ'" in err.value.reason


def test_pprrvu_with_an_inserted_column(cms_reference: Path, tmp_path: Path) -> None:
    """2026 files insert PRIC IND after TEAM SURG; a column is also inserted after STATUS CODE here so
    that every indicator moves: they must still be read from the columns their names say."""
    with open(cms_reference / "PPRRVU2025_Oct.csv", encoding="latin-1", newline="") as handle:
        lines = list(csv.reader(handle))
    team_surg = [i for i, name in enumerate(lines[9]) if name == "SURG"][3]  # BILAT, ASST, CO-, TEAM
    shifted = [list(r) for r in lines[:10]] + [list(r) for r in lines[10:] if r and r[0] in ("96368", "27130", "0001F")]
    for number, row in enumerate(shifted):
        if len(row) > team_surg:
            row.insert(team_surg + 1, {8: "PRIC", 9: "IND"}.get(number, "") if number < 10 else "0")
            row.insert(4, {8: "EXTRA", 9: "FLAG"}.get(number, "") if number < 10 else "Z")
    path = tmp_path / "PPRRVU2026_Jan.csv"
    with open(path, "w", encoding="latin-1", newline="") as out:
        csv.writer(out, lineterminator="\r\n").writerows(shifted)
    import_files([path], tmp_path / "r")
    kg = KnowledgeGraph.default([tmp_path / "r"], baseline=False)
    [status] = [p for p in kg.payment_statuses("27130") if p.payment_system == "MPFS"]
    original = next(r for r in lines[10:] if r and r[0] == "27130" and not r[1])
    assert status.indicators == {"globalDays": original[14], "multipleProcedure": original[18],
                                 "bilateralSurgery": original[19], "pctc": original[13]}
    assert status.effective == date(2025, 10, 1)  # the banner still says October 2025
