"""CMS add-on code edits (.xlsx and .txt): which primaries each add-on may be reported with.

Layout: an AMA notice row, then one header row ``AOC_Edit_Type | Add-On_Code | AOC_DelDT |
Primary_Code | Primary_Code_DelDT | AOC_Edit_EffDT | AOC_Edit_DelDT | Special_Instruction_Notes``
whose names drift between releases (``(Julian)`` suffixes, an extra type-description column):
columns are matched by squashed name. Dates are Julian ``YYYYDDD``; blank means not deleted.

Each row with a primary code becomes a ``ck:AddOnOf`` from the add-on to the primary with its
``ck:editType``; the relationship ends at the earliest of the edit's, the add-on's and the
primary's deletion dates. A primary of ``CCCCC`` (edit type 2) means each contractor defines
the primaries: the add-on gets ``ck:contractorDefinedPrimaries true`` (while that row is
active) and no relationship. The special instruction notes are not copied (they are not the
project's own words); the manifest counts them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from kg.importers.base import (
    CmsFileError,
    FileOutputLike,
    FileSummary,
    data_rows,
    header_row,
    julian_date,
    quarter_of,
    read_rows,
    squash,
)

__all__ = ["AddOnImporter", "aoc_version"]

CONTRACTOR_DEFINED = "CCCCC"  # the file's placeholder for "primaries defined by each contractor"
_VERSION = re.compile(r"V(\d{4})Q([1-4])(?:_\d+)?", re.IGNORECASE)


def aoc_version(file_name: str) -> tuple[str, str] | None:
    """``(version, quarter)`` from an add-on edit file name, or ``None``.

    >>> aoc_version("AOC_V2025Q4_01-MCR.txt")
    ('V2025Q4_01', '2025-Q4')
    """
    m = _VERSION.search(file_name)
    return (m.group(0), f"{m.group(1)}-Q{m.group(2)}") if m else None


def _is_header(cells: Sequence[str]) -> bool:
    names = {squash(c) for c in cells}
    return {"aocedittype", "addoncode", "primarycode"} <= names


class AddOnImporter:
    """CMS add-on code edits (format ``cms-aoc``)."""

    name = "cms-aoc"
    version = "1"
    description = "CMS add-on code edits: add-on to primary pairs, edit types 1/2/3, Julian dates"

    def sniff(self, header_rows: Sequence[Sequence[str]]) -> bool:
        """A header naming the edit type, the add-on code and the primary code.

        >>> AddOnImporter().sniff([["notice"], ["AOC_Edit_Type", "Add-On_Code", "AOC_DelDT (Julian)", "Primary_Code"]])
        True
        """
        return any(_is_header(r) for r in header_rows)

    def read(self, path: Path, out: FileOutputLike, quarter: str | None) -> FileSummary:
        """Read one add-on edit file; see the module docstring.

        Raises:
            CmsFileError: a malformed row (bad edit type, bad Julian date, bad code).
        """
        rows = read_rows(path)
        header = header_row(rows, _is_header, path, "add-on edit")
        c_type, c_addon, c_primary = header.find("AOC_Edit_Type"), header.find("Add-On_Code"), header.find("Primary_Code")
        c_eff = header.find("AOC_Edit_EffDT")
        deletions = [header.find("AOC_Edit_DelDT"), header.find("AOC_DelDT"), header.find("Primary_Code_DelDT")]
        width = max(c_type, c_addon, c_primary, c_eff) + 1
        count = retired = 0
        latest = date.min
        flagged: set[str] = set()
        for line, cells in data_rows(rows, width, path):
            edit_type = cells[c_type].strip()
            if edit_type not in ("1", "2", "3"):
                raise CmsFileError(path, line, f"add-on edit type {edit_type!r} is not 1, 2 or 3")
            try:
                effective = julian_date(cells[c_eff].strip())
                ends = [julian_date(cells[c].strip()) for c in deletions if c < len(cells) and cells[c].strip()]
            except ValueError as err:
                raise CmsFileError(path, line, str(err)) from None
            end = min(ends) if ends else None
            if end is not None and end < effective:
                raise CmsFileError(path, line, f"deletion date {end} is before effective date {effective}")
            add_on = out.code(cells[c_addon], line)
            primary = cells[c_primary].strip().upper()
            count += 1
            retired += end is not None
            latest = max(latest, effective)
            if primary == CONTRACTOR_DEFINED:
                key = cells[c_addon]
                if end is None and key not in flagged:
                    flagged.add(key)
                    out.code_fact(key, [("ck:contractorDefinedPrimaries", True)])
                continue
            out.node(str(line), "AddOnOf", [
                ("ck:fromCode", add_on), ("ck:toCode", out.code(primary, line)), ("ck:editType", int(edit_type)),
                ("ck:effective", effective), ("ck:end", end),
            ])
        if count == 0:
            raise CmsFileError(path, header.last_line, "no add-on edit rows after the header")
        named = aoc_version(path.name)
        version, file_quarter = named if named else (None, quarter or quarter_of(latest))
        return FileSummary(rows=count, facts=count, quarter=file_quarter, version=version, retired=retired)
