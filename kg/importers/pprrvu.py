"""Physician fee schedule relative value file (PPRRVU .csv): status and indicators per code.

Layout: a banner (title with the year and release month, copyright lines), then a header
spread over several rows whose last row holds the short names (``HCPCS, MOD, DESCRIPTION,
STATUS CODE, ..., PCTC IND, GLOB DAYS, ..., MULT PROC, BILAT SURG, ...``). Columns are matched
by merged name: 2026 files insert ``PRIC IND`` after ``TEAM SURG``.

A code may have several rows (MOD blank, 26, TC, 53); the global row (MOD blank) describes the
code, else its first row. Each code becomes a ``ck:PaymentStatus`` under the physician fee
schedule with the ``ck:StatusValue`` of its status code and the literal indicators
``ck:globalDays`` (``ZZZ`` makes the code an add-on), ``ck:multipleProcedure`` and
``ck:bilateralSurgery`` (what they mean for modifiers 51 and 50 is declared in
``ontology/data/modifiers.ttl``) and ``ck:pctc``. CPT descriptors are not read (they are AMA
text); HCPCS Level II ones are kept as titles where the ontology marks them public.
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
    Header,
    data_rows,
    quarter_of,
    quarter_start,
    read_rows,
    ref,
    release_month,
    squash,
)

__all__ = ["PprrvuImporter"]

_MAX_HEADER_ROWS = 8
_MONTH_ABBREVIATION = re.compile(r"PPRRVU(\d{4})_(Jan|Apr|Jul|Oct)", re.IGNORECASE)
_MONTH_NAMES = {"jan": "January", "apr": "April", "jul": "July", "oct": "October"}


def _is_last_header_row(cells: Sequence[str]) -> bool:
    return len(cells) > 1 and squash(cells[0]) == "hcpcs" and squash(cells[1]) == "mod"


def _is_header_row(cells: Sequence[str]) -> bool:
    """Header rows have text beyond the banner's one text column (the third)."""
    return any(c.strip() for i, c in enumerate(cells) if i != 2)


def _release_date(banner: str, file_name: str) -> date | None:
    found = re.search(r"(\d{4})\b.*?\b(January|April|July|October)\b", banner, re.IGNORECASE)
    if found:
        return release_month(f"{found.group(2)} {found.group(1)}")
    named = _MONTH_ABBREVIATION.search(file_name)
    if named:
        return release_month(f"{_MONTH_NAMES[named.group(2).lower()]} {named.group(1)}")
    return None


class PprrvuImporter:
    """The PPRRVU relative value file (format ``mpfs-pprrvu``)."""

    name = "mpfs-pprrvu"
    version = "1"
    description = "Medicare physician fee schedule relative value file (PPRRVU): status and payment indicators"

    def sniff(self, header_rows: Sequence[Sequence[str]]) -> bool:
        """A header whose last row starts ``HCPCS, MOD`` and that names a status code and global days.

        >>> PprrvuImporter().sniff([["", "", "", "STATUS", "", "GLOB"], ["HCPCS", "MOD", "DESCRIPTION", "CODE", "", "DAYS"]])
        True
        """
        for index, cells in enumerate(header_rows):
            if _is_last_header_row(cells):
                merged = Header.merge(header_rows[max(0, index - _MAX_HEADER_ROWS + 1):index + 1], 0, 0, "")
                names = {squash(n) for n in merged.names}
                return any(n.endswith("statuscode") for n in names) and any(n.endswith("globdays") for n in names)
        return False

    def read(self, path: Path, out: FileOutputLike, quarter: str | None) -> FileSummary:
        """Read the whole relative value file; see the module docstring.

        Raises:
            CmsFileError: no release date, unknown status code, or a malformed row.
        """
        rows = read_rows(path)
        above: list[tuple[int, list[str]]] = []
        header = None
        for line, cells in rows:
            if _is_last_header_row(cells):
                block = [cells]
                for _, earlier in reversed(above[-(_MAX_HEADER_ROWS - 1):]):
                    if not _is_header_row(earlier):
                        break
                    block.insert(0, earlier)
                header = Header.merge(block, line - len(block) + 1, line, str(path))
                break
            above.append((line, cells))
        if header is None:
            raise CmsFileError(path, None, "no PPRRVU header (a row starting HCPCS, MOD) found")
        banner = " ".join(c for _, cells in above for c in cells)
        effective = _release_date(banner, path.name) or (quarter_start(quarter) if quarter else None)
        if effective is None:
            raise CmsFileError(path, header.first_line, "cannot tell the release (no year and month in the banner or "
                               "file name): pass --quarter")
        columns = {
            "code": header.find("HCPCS"), "mod": header.find("MOD"), "status": header.find("STATUS CODE"),
            "glob": header.find("GLOB DAYS"), "mult": header.find("MULT PROC"), "bilat": header.find("BILAT SURG"),
            "pctc": header.find("PCTC IND"),
        }
        c_desc = header.optional("DESCRIPTION")
        width = max(columns.values()) + 1
        chosen: dict[str, tuple[int, list[str]]] = {}
        count = 0
        for line, cells in data_rows(rows, width, path):
            count += 1
            code = cells[columns["code"]].strip().upper()
            out.code(code, line, cells[c_desc] if c_desc is not None else "")
            if code not in chosen or (not cells[columns["mod"]].strip() and chosen[code][1][columns["mod"]].strip()):
                chosen[code] = (line, cells)
        mpfs = out.vocab.payment_systems.get("mpfs")
        if mpfs is None:
            raise CmsFileError(path, None, "the ontology declares no MPFS payment system")
        for code, (line, cells) in chosen.items():
            status = out.vocab.statuses.get(("mpfs", cells[columns["status"]].strip().upper()))
            if status is None:
                raise CmsFileError(path, line, f"unknown fee schedule status code {cells[columns['status']].strip()!r} "
                                   f"for {code} (declare it as a ck:StatusValue in ontology/data/)")
            out.node(code, "PaymentStatus", [
                ("ck:code", out.code(code, line)), ("ck:paymentSystem", ref(mpfs)), ("ck:status", ref(status)),
                *((f"ck:{p}", cells[columns[c]].strip() or None) for p, c in
                  (("globalDays", "glob"), ("multipleProcedure", "mult"), ("bilateralSurgery", "bilat"), ("pctc", "pctc"))),
                ("ck:effective", effective),
            ])
        if count == 0:
            raise CmsFileError(path, header.last_line, "no rows after the header")
        return FileSummary(rows=count, facts=len(chosen), quarter=quarter_of(effective),
                           version=f"{effective.year} {effective.strftime('%B')} release", effective=effective)
