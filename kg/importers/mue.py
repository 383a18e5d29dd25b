"""NCCI medically unlikely edits (MUE): practitioner, outpatient hospital and DME tables (.csv, .xlsx).

Layout: a quoted multi-line notice, a row of empty cells, then one header row whose first cell
holds a line break (``"HCPCS/\\nCPT Code"``), the values column named for the table
(``Practitioner Services MUE Values`` ...), ``MUE Adjudication Indicator`` and ``MUE Rationale``.
The values column's name picks the claim type (``ck:mueValuesColumn`` in the ontology). Each row
becomes a ``ck:MueLimit``; the adjudication indicator's leading digit picks the
``ck:MueAdjudication`` individual with that ``ck:indicatorValue``. Rows carry no dates: the
limits take effect on the date in the CMS file name (``..._Eff_10-01-2025.csv``), else on the
first day of the quarter given on the command line.
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
    quarter_of,
    quarter_start,
    read_rows,
    ref,
    squash,
)
from kg.vocab import local_name

__all__ = ["MueImporter", "mue_effective"]

_EFFECTIVE = re.compile(r"eff[_-]?(\d{1,2})[-_.](\d{1,2})[-_.](\d{4})", re.IGNORECASE)
_INDICATOR = re.compile(r"\s*(\d+)")


def mue_effective(file_name: str) -> date | None:
    """The effective date in an MUE file name, or ``None``.

    >>> mue_effective("MCR_MUE_PractitionerServices_Eff_10-01-2025.csv")
    datetime.date(2025, 10, 1)
    """
    m = _EFFECTIVE.search(file_name)
    if m is None:
        return None
    try:
        return date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
    except ValueError:
        return None


def _is_header(cells: Sequence[str]) -> bool:
    names = [squash(c) for c in cells]
    return bool(names) and names[0] == "hcpcscptcode" and any(n.endswith("muevalues") for n in names) \
        and "mueadjudicationindicator" in names


class MueImporter:
    """NCCI MUE tables (format ``ncci-mue``)."""

    name = "ncci-mue"
    version = "1"
    description = "NCCI medically unlikely edits: practitioner, outpatient hospital or DME supplier table"

    def sniff(self, header_rows: Sequence[Sequence[str]]) -> bool:
        """A ``HCPCS/CPT Code`` header with an ``... MUE Values`` and an adjudication column.

        >>> MueImporter().sniff([[",,,"], ["HCPCS/\\nCPT Code", "DME Supplier Services MUE Values",
        ...                       "MUE Adjudication Indicator", "MUE Rationale"]])
        True
        """
        return any(_is_header(r) for r in header_rows)

    def read(self, path: Path, out: FileOutputLike, quarter: str | None) -> FileSummary:
        """Read one MUE table; see the module docstring.

        Raises:
            CmsFileError: no effective date, unknown table, or a malformed row.
        """
        effective = mue_effective(path.name)
        if effective is None:
            if quarter is None:
                raise CmsFileError(path, None, "the file name carries no effective date (…_Eff_MM-DD-YYYY): pass --quarter")
            effective = quarter_start(quarter)
        rows = read_rows(path)
        header = header_row(rows, _is_header, path, "MUE")
        c_code = header.find("HCPCS/CPT Code")
        c_value = next(i for i, n in enumerate(header.names) if squash(n).endswith("muevalues"))
        claim = out.vocab.mue_columns.get(squash(header.names[c_value]))
        if claim is None:
            raise CmsFileError(path, header.last_line, f"unknown MUE table column {header.names[c_value]!r}")
        c_adj = header.find("MUE Adjudication Indicator")
        c_rat = header.optional("MUE Rationale")
        width = max(c_code, c_value, c_adj) + 1
        seen: dict[str, int] = {}
        count = 0
        for line, cells in data_rows(rows, width, path):
            code = cells[c_code].strip().upper()
            if code in seen:
                raise CmsFileError(path, line, f"code {code} listed twice (first on line {seen[code]})")
            seen[code] = line
            value = cells[c_value].strip()
            if not value.isdigit():
                raise CmsFileError(path, line, f"MUE value {value!r} for {code} is not a whole number of units")
            m = _INDICATOR.match(cells[c_adj])
            adjudication = out.vocab.adjudications.get(m.group(1)) if m else None
            if adjudication is None:
                raise CmsFileError(path, line, f"unknown MUE adjudication indicator {cells[c_adj].strip()!r}")
            rationale = " ".join(cells[c_rat].split()) if c_rat is not None and c_rat < len(cells) else ""
            out.node(str(line), "MueLimit", [
                ("ck:code", out.code(code, line)), ("ck:claimType", ref(claim)), ("ck:maxUnits", int(value)),
                ("ck:adjudication", ref(adjudication)), ("ck:rationale", rationale or None), ("ck:effective", effective),
            ])
            count += 1
        if count == 0:
            raise CmsFileError(path, header.last_line, "no MUE rows after the header")
        return FileSummary(rows=count, facts=count, quarter=quarter_of(effective), version=effective.isoformat(),
                           effective=effective, table=local_name(claim))
