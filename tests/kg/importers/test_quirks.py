"""Quirks of CMS files as published: each one accepted explicitly, anything else still an error.

Accepted: a DOS end-of-file byte (0x1A) on its own line or after the last row, blank trailer
rows, a UTF-8 byte order mark, Windows-1252 text, a quoted header cell broken over two lines,
and trailing spaces around codes. Errors name ``file:line: reason``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.importers.base import CmsFileError, read_rows
from kg.importers.release import import_files
from kg.load import parse_triples

CRLF = b"\r\n"
REDUCED_HEADER = b"HCPCSCode,ShortDescriptor,StatusIndicator,PaymentRate,Changed?,Source"


def _pprrvu_slice(cms_reference: Path, rows: int = 5) -> bytes:
    """The real file's banner and header (10 lines) and its first ``rows`` data rows, as published (CRLF)."""
    lines = (cms_reference / "PPRRVU2025_Oct.csv").read_bytes().split(CRLF)
    return CRLF.join(lines[: 10 + rows]) + CRLF


def _codes(release: Path) -> dict[str, tuple[str, str]]:
    """Code notation -> (title, title source) from a release's ``codes.ttl``."""
    props: dict[str, dict[str, str]] = {}
    for s, p, o, _ in parse_triples(release / "codes.ttl"):
        props.setdefault(s, {})[p.rsplit("#", 1)[-1].rsplit("/", 1)[-1]] = o
    return {v["notation"]: (v["prefLabel"], v["titleSource"]) for v in props.values()}


def _rows(release: Path) -> int:
    return sum(f["rows"] for f in json.loads((release / "manifest.json").read_text())["files"])


def test_the_real_pprrvu_file_and_a_copy_ending_in_dos_eof_both_import(cms_reference: Path, tmp_path: Path) -> None:
    original = cms_reference / "PPRRVU2025_Oct.csv"
    copy = tmp_path / "PPRRVU2025_Oct.csv"
    copy.write_bytes(original.read_bytes() + b"\x1a")
    import_files([original], tmp_path / "plain")
    import_files([copy], tmp_path / "eof")
    assert _rows(tmp_path / "plain") == _rows(tmp_path / "eof") == 19090  # FORMATS.md: 19,090 data rows
    assert _codes(tmp_path / "plain") == _codes(tmp_path / "eof")


@pytest.mark.parametrize("ending", [b"\x1a", b"\x1a" + CRLF, CRLF + b"\x1a", CRLF + b"\x1a" + CRLF + CRLF])
def test_dos_eof_on_its_own_line_or_after_the_last_row(cms_reference: Path, tmp_path: Path, ending: bytes) -> None:
    path = tmp_path / "PPRRVU2025_Oct.csv"
    path.write_bytes(_pprrvu_slice(cms_reference).rstrip(CRLF) + ending)
    import_files([path], tmp_path / "r")
    assert _rows(tmp_path / "r") == 5


def test_data_after_dos_eof_is_an_error(cms_reference: Path, tmp_path: Path) -> None:
    lines = _pprrvu_slice(cms_reference).split(CRLF)
    path = tmp_path / "PPRRVU2025_Oct.csv"
    path.write_bytes(CRLF.join([*lines[:12], b"\x1a", *lines[12:]]))
    with pytest.raises(CmsFileError, match=r"PPRRVU2025_Oct\.csv:14: data after the DOS end-of-file byte"):
        import_files([path], tmp_path / "r")
    assert not (tmp_path / "r").exists()


def test_dos_eof_inside_a_row_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "addendum-b-2026-04.csv"
    path.write_bytes(CRLF.join([REDUCED_HEADER, b'"J1100","","N",,false,"2026-04"', b'"J9999","","K",,false,"2026\x1a-04"']))
    with pytest.raises(CmsFileError, match=r"addendum-b-2026-04\.csv:3: DOS end-of-file byte \(0x1A\) inside a row"):
        list(read_rows(path))


def test_blank_trailer_rows(cms_reference: Path, tmp_path: Path) -> None:
    path = tmp_path / "PPRRVU2025_Oct.csv"
    path.write_bytes(_pprrvu_slice(cms_reference) + b",,,,,,,,," + CRLF + CRLF + b" , ," + CRLF)
    import_files([path], tmp_path / "r")
    assert _rows(tmp_path / "r") == 5


def test_utf8_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "addendum-b-2026-04.csv"
    path.write_bytes(b"\xef\xbb\xbf" + CRLF.join([REDUCED_HEADER, b'"J9999","Chemotherapy drug","K",,false,"2026-04"', b""]))
    import_files([path], tmp_path / "r")
    assert _codes(tmp_path / "r")["J9999"] == ("Chemotherapy drug", "CMS_SHORT_DESCRIPTOR")


def test_windows_1252_text(tmp_path: Path) -> None:
    path = tmp_path / "addendum-b-2026-04.csv"
    # 0x96 is an en dash and 0x92 a right single quote in Windows-1252 (C1 controls in Latin-1).
    path.write_bytes(CRLF.join([REDUCED_HEADER, b'"J9999","Drug \x96 other\x92s","K",,false,"2026-04"', b""]))
    import_files([path], tmp_path / "r")
    assert _codes(tmp_path / "r")["J9999"][0] == "Drug \u2013 other\u2019s"


def test_quoted_header_cells_over_two_lines(tmp_path: Path) -> None:
    path = tmp_path / "addendum-b-january-2026.csv"
    path.write_bytes(CRLF.join([
        b"Addendum B.-Final OPPS Payment by HCPCS Code for January 2026", b"",
        b'"HCPCS' + CRLF + b'Code","Short' + CRLF + b'Descriptor","SI","APC","Payment' + CRLF + b'Rate"',
        b'"J9999","Chemotherapy drug","K","9999","$12.50"', b""]))
    import_files([path], tmp_path / "r")
    assert _codes(tmp_path / "r")["J9999"] == ("Chemotherapy drug", "CMS_SHORT_DESCRIPTOR")


def test_trailing_spaces_around_codes(cms_reference: Path, tmp_path: Path) -> None:
    lines = _pprrvu_slice(cms_reference, rows=1).split(CRLF)
    code = lines[10].split(b",")[0]
    lines[10] = code + b"  " + lines[10][len(code):]
    path = tmp_path / "PPRRVU2025_Oct.csv"
    path.write_bytes(CRLF.join(lines))
    import_files([path], tmp_path / "r")
    assert list(_codes(tmp_path / "r")) == [code.decode()]


def test_anything_else_still_fails_with_file_line_and_reason(cms_reference: Path, tmp_path: Path) -> None:
    lines = _pprrvu_slice(cms_reference, rows=3).split(CRLF)
    lines[11] = b"99 21" + lines[11][5:]  # a space inside a code is not a published quirk
    path = tmp_path / "PPRRVU2025_Oct.csv"
    path.write_bytes(CRLF.join(lines))
    with pytest.raises(CmsFileError, match=r"PPRRVU2025_Oct\.csv:12: '99 21' is not a CPT or HCPCS code"):
        import_files([path], tmp_path / "r")
