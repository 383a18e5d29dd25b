"""Writers of CMS files in their exact published layouts, for tests and benchmarks.

No real NCCI PTP, MUE or add-on edit file ships with the project, so tests and benchmarks
generate them: same preamble, multi-row headers, line ends and encodings as CMS's files
(``FORMATS.md``). :func:`generate_set` builds a whole synthetic quarter at any scale
(``scale=1`` is the real size: about 2.6 M practitioner and 2.4 M hospital PTP rows including
retired ones, MUE tables of about 15,000 / 14,600 / 2,900 rows, about 4,000 add-on edit rows).
The code numbers are synthetic; no descriptor text is written.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

__all__ = [
    "AocRecord",
    "MueRecord",
    "PtpRecord",
    "generate_set",
    "julian",
    "write_aoc",
    "write_mue",
    "write_ptp",
]

CRLF = "\r\n"
PTP_PREAMBLE = ["CPT only copyright 2025 American Medical Association.  All rights reserved.", "Column1/Column2 Edits"]
PTP_HEADER = [
    ["Column 1", "Column 2", "*=in existence", "Effective", "Deletion", "Modifier", "PTP Edit Rationale"],
    ["", "", "prior to 1996", "Date", "Date", "0=not allowed", ""],
    ["", "", "", "", "*=no data", "1=allowed", ""],
    ["", "", "", "", "", "9=not applicable", ""],
]
MUE_NOTICE = ("CPT codes, descriptions and other data only are copyright 2025 American Medical Association.\n"
              "All Rights Reserved. Applicable FARS/DFARS Apply.")
MUE_VALUE_COLUMNS = {
    "practitioner": "Practitioner Services MUE Values",
    "outpatient": "Outpatient Hospital Services MUE Values",
    "dme": "DME Supplier Services MUE Values",
}
MUE_ADJUDICATION = {1: "1 Line Edit", 2: "2 Date of Service Edit: Policy", 3: "3 Date of Service Edit: Clinical"}
AOC_HEADER = ["AOC_Edit_Type", "Add-On_Code", "AOC_DelDT", "Primary_Code", "Primary_Code_DelDT", "AOC_Edit_EffDT",
              "AOC_Edit_DelDT", "Special_Instruction_Notes"]
RATIONALES = ["Misuse of column two code with column one code", "Standards of medical/surgical practice",
              "CPT Manual or CMS manual coding instruction", "HCPCS/CPT procedure code definition",
              "CPT separate procedure definition", "Mutually exclusive procedures",
              "Anesthesia service included in surgical procedure"]


@dataclass(frozen=True, slots=True)
class PtpRecord:
    """One PTP row: column 1 (comprehensive) and column 2 (component) codes and the edit's terms."""

    column1: str
    column2: str
    effective: date
    deletion: date | None = None
    modifier: int = 1
    rationale: str = RATIONALES[0]
    prior_1996: bool = False


@dataclass(frozen=True, slots=True)
class MueRecord:
    """One MUE row."""

    code: str
    value: str | int
    adjudication: int = 3
    rationale: str = "Clinical: Data"


@dataclass(frozen=True, slots=True)
class AocRecord:
    """One add-on code edit row (dates as :class:`date`; written as Julian)."""

    edit_type: int
    add_on: str
    primary: str
    effective: date
    add_on_deleted: date | None = None
    primary_deleted: date | None = None
    edit_deleted: date | None = None
    notes: str = ""


def julian(day: date | None) -> str:
    """A date as CMS's Julian ``YYYYDDD`` (blank for ``None``).

    >>> julian(date(2013, 4, 1))
    '2013091'
    """
    return "" if day is None else f"{day.year}{day.timetuple().tm_yday:03d}"


def _ymd(day: date | None) -> str:
    return "*" if day is None else day.strftime("%Y%m%d")


def _ptp_cells(r: PtpRecord) -> list[str]:
    return [r.column1, r.column2, "*" if r.prior_1996 else "", r.effective.strftime("%Y%m%d"), _ymd(r.deletion),
            str(r.modifier), r.rationale]


def _write_xlsx(path: Path, rows: Iterable[Sequence[object]]) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in rows:
        sheet.append(list(row))
    book.save(path)


def write_ptp(path: Path, records: Iterable[PtpRecord]) -> Path:
    """Write one PTP part: tab-separated, CRLF, latin-1 (.txt), or the same rows as .xlsx.

    >>> import tempfile
    >>> p = write_ptp(Path(tempfile.mkdtemp()) / "ccipra-v322r0-f1.txt", [PtpRecord("29881", "29877", date(2006, 1, 1))])
    >>> p.read_bytes().splitlines()[-1]
    b'29881\\t29877\\t\\t20060101\\t*\\t1\\tMisuse of column two code with column one code'
    """
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        _write_xlsx(path, [*([line] for line in PTP_PREAMBLE), *PTP_HEADER, *(_ptp_cells(r) for r in records)])
        return path
    with open(path, "w", encoding="latin-1", newline="") as out:
        out.write(CRLF.join(PTP_PREAMBLE) + CRLF)
        out.writelines("\t".join(row) + CRLF for row in PTP_HEADER)
        out.writelines("\t".join(_ptp_cells(r)) + CRLF for r in records)
    return path


def write_mue(path: Path, table: str, records: Iterable[MueRecord]) -> Path:
    """Write one MUE table (``practitioner``, ``outpatient`` or ``dme``) as .csv (CRLF) or .xlsx."""
    path = Path(path)
    header = ["HCPCS/\nCPT Code", MUE_VALUE_COLUMNS[table], "MUE Adjudication Indicator", "MUE Rationale"]
    rows = [[MUE_NOTICE, "", "", ""], ["", "", "", ""], header,
            *([r.code, str(r.value), MUE_ADJUDICATION.get(r.adjudication, str(r.adjudication)), r.rationale]
              for r in records)]
    if path.suffix.lower() == ".xlsx":
        _write_xlsx(path, rows)
        return path
    with open(path, "w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator=CRLF).writerows(rows)
    return path


def write_aoc(path: Path, records: Iterable[AocRecord], *, julian_suffix: bool = False,
              type_description: bool = False) -> Path:
    """Write an add-on code edit file as tab-separated .txt (CRLF) or .xlsx.

    Args:
        path: target; the suffix picks the layout.
        records: the rows.
        julian_suffix: name date columns ``... (Julian)`` as some releases do.
        type_description: add the extra edit-type description column some releases carry.
    """
    path = Path(path)
    header = [f"{h} (Julian)" if julian_suffix and h.endswith("DT") else h for h in AOC_HEADER]
    if type_description:
        header.insert(1, "AOC_Edit_Type_Description")

    def cells(r: AocRecord) -> list[str]:
        row = [str(r.edit_type), r.add_on, julian(r.add_on_deleted), r.primary, julian(r.primary_deleted),
               julian(r.effective), julian(r.edit_deleted), r.notes]
        if type_description:
            row.insert(1, {1: "Only listed primaries", 2: "Contractor-defined primaries", 3: "Listed and others"}
                       .get(r.edit_type, ""))
        return row

    notice = ["CPT only copyright 2025 American Medical Association. All rights reserved."]
    if path.suffix.lower() == ".xlsx":
        _write_xlsx(path, [notice, header, *(cells(r) for r in records)])
        return path
    with open(path, "w", encoding="latin-1", newline="") as out:
        out.write(notice[0] + CRLF + "\t".join(header) + CRLF)
        out.writelines("\t".join(cells(r)) + CRLF for r in records)
    return path


# ---------------------------------------------------------------------------- a whole quarter
@dataclass(frozen=True, slots=True)
class GeneratedSet:
    """Files of one generated quarter and what went into them."""

    ptp: list[Path]
    mue: list[Path]
    aoc: list[Path]
    ptp_rows: int
    mue_rows: int
    aoc_rows: int

    @property
    def files(self) -> list[Path]:
        return [*self.ptp, *self.mue, *self.aoc]


def _code_universe(rng: random.Random, count: int) -> list[str]:
    """Synthetic notations in the shapes of CPT (five digits, four digits and a letter) and HCPCS."""
    codes: set[str] = set()
    while len(codes) < count:
        roll = rng.random()
        if roll < 0.8:
            codes.add(f"{rng.randint(10004, 99499):05d}")
        elif roll < 0.85:
            codes.add(f"{rng.randint(1, 999):04d}{rng.choice('TUMF')}")
        else:
            codes.add(f"{rng.choice('AEGJLQ')}{rng.randint(0, 9999):04d}")
    return sorted(codes)


def _part(code: str) -> int:
    """The f1-f4 part of a column-1 code: CMS splits each table by code range."""
    if not code[0].isdigit():
        return 3
    return min(int(code[0]) // 3, 3)


def _ptp_records(rng: random.Random, codes: Sequence[str], column1: Sequence[str], rows: int,
                 start: date) -> Iterator[PtpRecord]:
    """About ``rows`` edits whose column-1 codes come from ``column1`` (streamed: 2.6 M rows)."""
    per_code = max(rows // max(len(column1), 1), 1)
    made = 0
    while made < rows and column1:
        for col1 in column1:
            if made >= rows:
                return
            count = min(rows - made, max(1, int(rng.gauss(per_code, per_code / 3))))
            for col2 in rng.sample(codes, min(count + 1, len(codes)))[:count]:
                if col2 == col1:
                    continue
                effective = start + timedelta(days=91 * rng.randint(0, 100))
                roll = rng.random()
                if roll < 0.03:
                    deletion, modifier = effective, 9  # deleted on the day it took effect
                elif roll < 0.33:
                    deletion, modifier = effective + timedelta(days=91 * rng.randint(1, 30)), rng.choice((0, 1))
                else:
                    deletion, modifier = None, 0 if rng.random() < 0.1 else 1
                rationale = RATIONALES[5] if rng.random() < 0.05 else rng.choice(RATIONALES[:5] + RATIONALES[6:])
                if rng.random() < 0.02:
                    rationale = rationale.title()  # CMS capitalisation varies between rows
                yield PtpRecord(col1, col2, effective, deletion, modifier, rationale, effective == start)
                made += 1


class _Counted:
    """Counts the records an iterator yields (the writers stream them)."""

    def __init__(self, records: Iterable[PtpRecord]) -> None:
        self.records, self.count = records, 0

    def __iter__(self) -> Iterator[PtpRecord]:
        for record in self.records:
            self.count += 1
            yield record


def generate_set(directory: Path, scale: float = 1.0, seed: int = 0, version: str = "v322r0",
                 mue_effective: date = date(2026, 7, 1), aoc_version: str = "V2026Q3") -> GeneratedSet:
    """Write a whole synthetic quarter of PTP (practitioner and hospital, f1-f4), MUE and add-on files.

    Args:
        directory: where to write (created if needed).
        scale: fraction of the real sizes (``1.0`` = about 5 M PTP rows).
        seed: random seed; the same arguments always write the same files.
        version: NCCI version in the PTP file names.
        mue_effective: effective date in the MUE file names.
        aoc_version: version in the add-on file name.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    codes = _code_universe(rng, max(50, int(16000 * min(1.0, scale * 20))))
    start = date(1996, 1, 1)
    ptp: list[Path] = []
    ptp_rows = 0
    for prefix, rows in (("ccipra", 2_600_000), ("ccioph", 2_400_000)):
        total = max(8, int(rows * scale))
        for part in range(4):
            column1 = [c for c in codes if _part(c) == part]
            counted = _Counted(_ptp_records(rng, codes, column1, max(2, total * len(column1) // len(codes)), start))
            ptp.append(write_ptp(directory / f"{prefix}-{version}-f{part + 1}.txt", counted))
            ptp_rows += counted.count
    mue: list[Path] = []
    mue_rows = 0
    stamp = mue_effective.strftime("%m-%d-%Y")
    for table, name, rows in (("practitioner", "PractitionerServices", 15_000),
                              ("outpatient", "OutpatientHospitalServices", 14_600), ("dme", "DMESupplierServices", 2_900)):
        chosen = sorted(rng.sample(codes, min(len(codes), max(3, int(rows * scale)))))
        records = [MueRecord(c, rng.choice((1, 1, 1, 2, 3, 4, 6, 10, 30, 100)), rng.choice((1, 2, 3)),
                             rng.choice(("Clinical: Data", "CMS Policy", "Code Descriptor / CPT Instruction",
                                         "Anatomic Consideration"))) for c in chosen]
        mue.append(write_mue(directory / f"MCR_MUE_{name}_Eff_{stamp}.csv", table, records))
        mue_rows += len(records)
    aoc_records: list[AocRecord] = []
    add_ons = rng.sample(codes, max(3, int(740 * min(1.0, scale * 20))))
    target = max(6, int(4000 * scale))
    for add_on in add_ons:
        if len(aoc_records) >= target:
            break
        edit_type = rng.choices((1, 2, 3), (0.8, 0.05, 0.15))[0]
        effective = date(2013, 4, 1) + timedelta(days=91 * rng.randint(0, 50))
        if edit_type == 2:
            aoc_records.append(AocRecord(2, add_on, "CCCCC", effective))
            continue
        for primary in rng.sample(codes, rng.randint(1, 12)):
            if primary != add_on:
                deleted = effective + timedelta(days=91 * rng.randint(1, 20)) if rng.random() < 0.1 else None
                aoc_records.append(AocRecord(edit_type, add_on, primary, effective, edit_deleted=deleted))
    aoc = [write_aoc(directory / f"AOC_{aoc_version}-MCR.txt", aoc_records)]
    return GeneratedSet(ptp, mue, aoc, ptp_rows, mue_rows, len(aoc_records))
