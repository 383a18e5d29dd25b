"""OPPS Addendum B: each HCPCS code's hospital outpatient status indicator and payment rate.

Two layouts are read. The official one (``HCPCS Code, Short Descriptor, SI, APC, Relative
Weight, Payment Rate, ...``) comes after a preamble of variable length, so the header row is
searched for; money cells may carry ``$``, thousands separators or a lone ``.``. The reduced
third-party one is ``HCPCSCode, ShortDescriptor, StatusIndicator, PaymentRate, Changed?, Source``
where ``Source`` is the release month (``2026-04``).

Each row becomes a ``ck:PaymentStatus`` of the code under the OPPS payment system with the
``ck:StatusValue`` whose notation is the SI (an SI the ontology does not declare is an error,
not a guess). The effective date is the release month: the ``Source`` column, else a month and
year in the preamble, else in the file name, else the quarter given on the command line.
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
    header_row,
    money,
    quarter_of,
    quarter_start,
    read_rows,
    ref,
    release_month,
    squash,
)

__all__ = ["AddendumBImporter"]

_CODE_SHAPED = re.compile(r"^[A-Za-z0-9]{1,7}$")


def _is_header(cells: Sequence[str]) -> bool:
    names = {squash(c) for c in cells}
    return "hcpcscode" in names and bool({"si", "statusindicator"} & names)


class AddendumBImporter:
    """OPPS Addendum B (format ``opps-addendum-b``)."""

    name = "opps-addendum-b"
    version = "1"
    description = "OPPS Addendum B: status indicator and payment rate per HCPCS code (official or reduced layout)"

    def sniff(self, header_rows: Sequence[Sequence[str]]) -> bool:
        """A header row with a HCPCS code column and an SI column, after any preamble.

        >>> AddendumBImporter().sniff([["HCPCSCode", "ShortDescriptor", "StatusIndicator", "PaymentRate"]])
        True
        """
        return any(_is_header(r) for r in header_rows)

    def read(self, path: Path, out: FileOutputLike, quarter: str | None) -> FileSummary:
        """Read one Addendum B; see the module docstring.

        Raises:
            CmsFileError: no release month, an unknown SI, or a malformed row.
        """
        rows = read_rows(path)
        preamble: list[str] = []
        header = header_row(rows, _is_header, path, "Addendum B", preamble)
        c_code = header.find("HCPCS Code")
        c_si = header.find("SI", "Status Indicator")
        c_desc = header.optional("Short Descriptor")
        c_rate = header.optional("Payment Rate")
        c_month = header.optional("Source")
        default = release_month(" ".join(preamble)) or release_month(path.name)
        if default is None and quarter is not None:
            default = quarter_start(quarter)
        opps = out.vocab.payment_systems.get("opps")
        if opps is None:
            raise CmsFileError(path, None, "the ontology declares no OPPS payment system")
        width = max(c_code, c_si) + 1
        count = 0
        effective_dates: set[date] = set()
        seen: dict[str, int] = {}
        for line, cells in rows:
            if not any(c.strip() for c in cells):
                continue
            if not _CODE_SHAPED.match(cells[c_code].strip() if c_code < len(cells) else ""):
                continue  # a footnote under the table ("* Indicates a change ..."), not a code row
            if len(cells) < width:
                raise CmsFileError(path, line, f"row has {len(cells)} fields, expected at least {width} (truncated file?)")
            code, si = cells[c_code].strip().upper(), cells[c_si].strip().upper()
            status = out.vocab.statuses.get(("opps", si))
            if status is None:
                raise CmsFileError(path, line, f"unknown OPPS status indicator {si!r} for {code} "
                                   "(declare it as a ck:StatusValue in ontology/data/)")
            if code in seen:
                raise CmsFileError(path, line, f"code {code} listed twice (first on line {seen[code]})")
            seen[code] = line
            month = release_month(cells[c_month]) if c_month is not None and c_month < len(cells) else None
            effective = month or default
            if effective is None:
                raise CmsFileError(path, line, "cannot tell the release month (no Source column, none in the preamble "
                                   "or file name): pass --quarter")
            effective_dates.add(effective)
            try:
                rate = money(cells[c_rate]) if c_rate is not None and c_rate < len(cells) else None
            except ValueError as err:
                raise CmsFileError(path, line, str(err)) from None
            descriptor = cells[c_desc] if c_desc is not None and c_desc < len(cells) else ""
            out.node(code, "PaymentStatus", [
                ("ck:code", out.code(code, line, descriptor)), ("ck:paymentSystem", ref(opps)),
                ("ck:status", ref(status)), ("ck:paymentRate", rate), ("ck:effective", effective),
            ])
            count += 1
        if count == 0:
            raise CmsFileError(path, header.last_line, "no Addendum B rows after the header")
        effective = max(effective_dates)
        return FileSummary(rows=count, facts=count, quarter=quarter_of(effective), version=effective.strftime("%Y-%m"),
                           effective=effective)
