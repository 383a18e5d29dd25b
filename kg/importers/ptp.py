"""NCCI procedure-to-procedure (PTP) edits: practitioner and hospital tables, .txt parts or .xlsx.

Layout: a two-line preamble, then a header spread over four rows whose merged names are
``Column 1 | Column 2 | *=in existence prior to 1996 | Effective Date | Deletion Date *=no data |
Modifier 0=not allowed 1=allowed 9=not applicable | PTP Edit Rationale``. Each row becomes a
``ck:BundledInto`` relationship from the column-2 code (the component) to the column-1 code, or
a ``ck:MutuallyExclusiveWith`` one when the rationale's ``ck:relationshipClass`` says so, with
the modifier indicator, the normalised rationale, the effective date and the deletion date
(exclusive end; ``*`` or blank means still active). Retired rows are kept, dated.

The two tables share one layout and their preambles do not name them, so the table (and the
claim type its edits apply to) is read from the CMS file-name prefix (``ccipra``/``ccioph``,
declared as ``ck:ptpFilePrefix`` in the ontology). The release version (``v322r0``: major =
year - 1994, minor = quarter - 1) comes from the file name too; without one, the quarter of the
latest effective date is used.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from kg.importers.base import CmsFileError, FileOutputLike, FileSummary, Header, quarter_of, read_rows, squash, yyyymmdd_date
from kg.vocab import local_name

__all__ = ["PtpImporter", "ptp_version"]

HEADER_ROWS = 4
_VERSION = re.compile(r"v(\d{2})(\d)r(\d+)", re.IGNORECASE)


def ptp_version(file_name: str) -> tuple[str, str] | None:
    """``(version, quarter)`` from an NCCI file name, or ``None``.

    >>> ptp_version("ccipra-v322r0-f1.TXT")
    ('v322r0', '2026-Q3')
    """
    m = _VERSION.search(file_name)
    if m is None or not 0 <= int(m.group(2)) <= 3:
        return None
    return m.group(0).lower(), f"{1994 + int(m.group(1))}-Q{int(m.group(2)) + 1}"


def _is_header_start(cells: Sequence[str]) -> bool:
    return len(cells) > 1 and squash(cells[0]) == "column1" and squash(cells[1]) == "column2"


class PtpImporter:
    """NCCI PTP tables (format ``ncci-ptp``)."""

    name = "ncci-ptp"
    version = "1"
    description = "NCCI procedure-to-procedure edits, practitioner or hospital table, one part (.txt or .xlsx)"

    def sniff(self, header_rows: Sequence[Sequence[str]]) -> bool:
        """A row starting ``Column 1``, ``Column 2`` after the preamble.

        >>> PtpImporter().sniff([["Column1/Column2 Edits"], ["Column 1", "Column 2", "*=in existence"]])
        True
        """
        return any(_is_header_start(r) for r in header_rows)

    def read(self, path: Path, out: FileOutputLike, quarter: str | None) -> FileSummary:
        """Read one PTP part; see the module docstring.

        Raises:
            CmsFileError: unknown table, incomplete header, or a malformed row.
        """
        vocab = out.vocab
        lower = path.name.lower()
        claim = next((iri for prefix, iri in vocab.ptp_prefixes.items() if lower.startswith(prefix)), None)
        if claim is None:
            raise CmsFileError(path, None, "cannot tell whether this is the practitioner or the hospital PTP table: "
                               f"keep CMS's file name prefix ({' or '.join(sorted(vocab.ptp_prefixes))})")
        claim_name = local_name(claim)
        rows = read_rows(path)
        header_rows: list[list[str]] = []
        first = last = 0
        for line, cells in rows:
            if header_rows or _is_header_start(cells):
                header_rows.append(cells)
                first, last = first or line, line
                if len(header_rows) == HEADER_ROWS:
                    break
        if len(header_rows) < HEADER_ROWS:
            raise CmsFileError(path, last or None, "PTP header incomplete (expected four header rows)")
        header = Header.merge(header_rows, first, last, str(path))
        c1, c2 = header.find("Column 1"), header.find("Column 2")
        c_eff = header.find("Effective Date", prefix=True)
        c_del = header.find("Deletion Date", prefix=True)
        c_mod = header.find("Modifier", prefix=True)
        c_rat = header.find("PTP Edit Rationale", prefix=True)
        width = max(c1, c2, c_eff, c_del, c_mod, c_rat) + 1
        rationales: dict[str, tuple[str, str]] = {}
        code, bulk = out.code, out.bulk
        count = retired = 0
        latest = date.min
        for line, cells in rows:
            if len(cells) < width:
                if not any(c.strip() for c in cells):
                    continue
                raise CmsFileError(path, line, f"row has {len(cells)} fields, expected {width} (truncated file?)")
            try:
                effective = yyyymmdd_date(cells[c_eff].strip())
                deletion = cells[c_del].strip()
                end = None if deletion in ("", "*") else yyyymmdd_date(deletion)
            except ValueError as err:
                raise CmsFileError(path, line, str(err)) from None
            if end is not None and end < effective:
                raise CmsFileError(path, line, f"deletion date {end} is before effective date {effective}")
            indicator = cells[c_mod].strip()
            if indicator not in ("0", "1", "9"):
                raise CmsFileError(path, line, f"modifier indicator {indicator!r} is not 0, 1 or 9")
            text = cells[c_rat]
            rationale = rationales.get(text)
            if rationale is None:
                known = vocab.rationales.get(squash(text))
                if known is None:
                    raise CmsFileError(path, line, f"unknown PTP rationale {text.strip()!r} (truncated file, or a new "
                                       "value to declare as a ck:PtpRationale in ontology/data/cms-formats.ttl)")
                rationale = rationales[text] = (known[0], local_name(known[1]))
            bulk(line, rationale[1], code(cells[c2], line), code(cells[c1], line), claim_name, int(indicator),
                 rationale[0], effective, end)
            count += 1
            if end is not None:
                retired += 1
            if effective > latest:
                latest = effective
        if count == 0:
            raise CmsFileError(path, last, "no PTP rows after the header")
        named = ptp_version(path.name)
        version, file_quarter = named if named else (None, quarter or quarter_of(latest))
        return FileSummary(rows=count, facts=count, quarter=file_quarter, version=version, retired=retired,
                           table=claim_name)
