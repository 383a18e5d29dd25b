"""What every CMS importer shares: row readers, merged headers, dates, and the import vocabulary.

CMS files are read as *rows of cells* with their physical line (or spreadsheet row) number, so
every error names the file, the line and the reason. Columns are found by their merged header
name (the text of all header rows of a column, joined), never by position.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from kg.code_systems import notation_patterns
from kg.vocab import CK, RDF, SKOS, local_name

__all__ = [
    "CmsFileError",
    "CmsVocabulary",
    "FileOutputLike",
    "FileSummary",
    "Header",
    "Importer",
    "Ref",
    "data_rows",
    "head_rows",
    "header_row",
    "julian_date",
    "money",
    "quarter_of",
    "quarter_start",
    "read_rows",
    "ref",
    "release_month",
    "squash",
    "yyyymmdd_date",
]

SNIFF_ROWS = 40


class CmsFileError(ValueError):
    """A CMS file cannot be imported: names the file, the line (when known) and the reason.

    >>> str(CmsFileError("f.txt", 12, "bad date '2024133'"))
    "f.txt:12: bad date '2024133'"
    """

    def __init__(self, file: str | Path, line: int | None, reason: str) -> None:
        self.file, self.line, self.reason = str(file), line, reason
        super().__init__(f"{self.file}:{line}: {reason}" if line else f"{self.file}: {reason}")


# ---------------------------------------------------------------------------- reading rows
def _cell(value: object) -> str:
    """A spreadsheet value as the text the CSV form of the file would hold."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y%m%d")
    return str(value)


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises zipfile, KeyError and XML errors for damaged files
        raise CmsFileError(path, None, f"not a readable .xlsx workbook ({err})") from err
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell(v) for v in values]
            while cells and cells[-1] == "":
                cells.pop()
            yield number, cells
    finally:
        book.close()


# Bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) decode as their Latin-1
# characters instead of failing: a file mostly in Windows-1252 stays readable, byte for byte.
def _latin_1(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeDecodeError):
        raise err
    return err.object[err.start:err.end].decode("latin-1"), err.end


codecs.register_error("codingkg-latin-1", _latin_1)
_FALLBACK_ENCODING = "cp1252"
#: The DOS end-of-file byte some CMS files still end with (on its own line or after the last row).
_DOS_EOF = "\x1a"


def _text_encoding(path: Path) -> str:
    """The encoding of a delimited text file, accepting what CMS files are published in.

    A UTF-8 byte order mark means UTF-8 (and the mark is dropped); .txt tables (the NCCI files,
    published as Latin-1) otherwise read as Windows-1252, a superset of Latin-1's printable
    characters that also gives curly quotes and dashes their meaning; a .csv file reads as UTF-8
    when the whole of it decodes as such (they are a few MB at most), else as Windows-1252.
    """
    with open(path, "rb") as handle:
        if handle.read(3) == codecs.BOM_UTF8:
            return "utf-8-sig"
    if path.suffix.lower() == ".txt":
        return _FALLBACK_ENCODING
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return _FALLBACK_ENCODING
    return "utf-8-sig"


def _delimiter(path: Path, encoding: str) -> str:
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        sample = "".join(handle.readline() for _ in range(SNIFF_ROWS))
    counts = {d: sample.count(d) for d in ("\t", "|", ",")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _rows_to_eof(path: Path, reader: Any) -> Iterator[tuple[int, list[str]]]:
    """The rows of a csv reader up to a DOS end-of-file byte, which ends the file.

    The byte may stand on a line of its own or follow the last row's last cell; only blank
    rows may come after it.

    Raises:
        CmsFileError: the byte is inside a row, or data follows it.
    """
    for cells in reader:
        if cells and _DOS_EOF in cells[-1]:
            last = cells[-1]
            if last.index(_DOS_EOF) != len(last) - 1:
                raise CmsFileError(path, reader.line_num, "DOS end-of-file byte (0x1A) inside a row")
            line = reader.line_num
            cells[-1] = last[:-1]
            for after in reader:
                if any(c.strip() for c in after):
                    raise CmsFileError(path, reader.line_num, "data after the DOS end-of-file byte (0x1A) "
                                       f"on line {line}")
            if any(c.strip() for c in cells):
                yield line, cells
            return
        yield reader.line_num, cells


def read_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line, cells)`` for every row of a .csv, .txt (tab, pipe or comma) or .xlsx file.

    ``line`` is the physical line on which the row ends (a quoted cell may span lines), or the
    spreadsheet row number. Published quirks are accepted: a UTF-8 byte order mark, Windows-1252
    text, and a DOS end-of-file byte (0x1A) ending the file.

    Raises:
        CmsFileError: the file cannot be read.
    """
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        yield from _xlsx_rows(path)
        return
    try:
        encoding = _text_encoding(path)
        delimiter = _delimiter(path, encoding)
        with open(path, encoding=encoding, errors="codingkg-latin-1", newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter, quoting=csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL)
            yield from _rows_to_eof(path, reader)
    except OSError as err:
        raise CmsFileError(path, None, f"cannot read ({err.strerror or err})") from err
    except (csv.Error, UnicodeDecodeError) as err:
        raise CmsFileError(path, None, f"not a readable delimited text file ({err})") from err


def header_row(
    rows: Iterator[tuple[int, list[str]]], is_header: Callable[[Sequence[str]], bool], path: Path, what: str,
    preamble: list[str] | None = None,
) -> Header:
    """Read ``rows`` up to the first one ``is_header`` accepts and return it as a one-row header.

    Args:
        rows: from :func:`read_rows`; left positioned on the first data row.
        is_header: recognises the header row.
        path: the file, for errors.
        what: what the header belongs to ("MUE", "add-on edit", ...), for errors.
        preamble: when given, collects the cells of the rows before the header.

    Raises:
        CmsFileError: no row is a header.
    """
    for line, cells in rows:
        if is_header(cells):
            return Header.merge([cells], line, line, str(path))
        if preamble is not None:
            preamble.extend(cells)
    raise CmsFileError(path, None, f"no {what} header row found")


def data_rows(rows: Iterator[tuple[int, list[str]]], width: int, path: Path) -> Iterator[tuple[int, list[str]]]:
    """The non-blank rows after the header, each checked to have at least ``width`` cells.

    Raises:
        CmsFileError: a row is shorter (a truncated file, usually), naming its line.
    """
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) < width:
            raise CmsFileError(path, line, f"row has {len(cells)} fields, expected at least {width} (truncated file?)")
        yield line, cells


def head_rows(path: Path, count: int = SNIFF_ROWS) -> list[list[str]]:
    """The first rows of a file, for sniffing its format."""
    rows = []
    for _, cells in read_rows(path):
        rows.append(cells)
        if len(rows) >= count:
            break
    return rows


# ---------------------------------------------------------------------------- headers
def squash(name: str) -> str:
    """A header name reduced for matching: lower case, letters and digits only, no "(Julian)".

    >>> squash("AOC_Edit_EffDT (Julian)"), squash("HCPCS/\\nCPT Code"), squash("Column 1")
    ('aocediteffdt', 'hcpcscptcode', 'column1')
    """
    text = re.sub(r"\([^)]*\)", " ", name.lower()).replace("julian", " ")
    return re.sub(r"[^a-z0-9]", "", text)


@dataclass(slots=True)
class Header:
    """The merged column names of a header that may span several rows."""

    names: list[str]
    first_line: int
    last_line: int
    file: str

    @classmethod
    def merge(cls, rows: Sequence[Sequence[str]], first_line: int, last_line: int, file: str) -> Header:
        """Join each column's cells over the header rows.

        >>> Header.merge([["Column 1", "Deletion"], ["", "Date"], ["", "*=no data"]], 3, 5, "f").names
        ['Column 1', 'Deletion Date *=no data']
        """
        width = max((len(r) for r in rows), default=0)
        names = []
        for col in range(width):
            parts = [" ".join(r[col].split()) for r in rows if col < len(r) and r[col].strip()]
            names.append(" ".join(parts))
        return cls(names, first_line, last_line, file)

    def optional(self, *names: str, prefix: bool = False) -> int | None:
        """The index of the column whose squashed name equals (or starts with) one of ``names``."""
        squashed = [squash(n) for n in self.names]
        for want in map(squash, names):
            for index, have in enumerate(squashed):
                if have == want or (prefix and have.startswith(want)):
                    return index
        return None

    def find(self, *names: str, prefix: bool = False) -> int:
        """Like :meth:`optional`, for a column the format requires.

        Raises:
            CmsFileError: no column matches (the error lists the columns found).
        """
        index = self.optional(*names, prefix=prefix)
        if index is None:
            raise CmsFileError(self.file, self.last_line,
                               f"header has no column {names[0]!r} (columns: {', '.join(n for n in self.names if n)})")
        return index


# ---------------------------------------------------------------------------- values
@cache
def yyyymmdd_date(text: str) -> date:
    """A ``YYYYMMDD`` date.

    >>> yyyymmdd_date("20060101")
    datetime.date(2006, 1, 1)

    Raises:
        ValueError: not eight digits forming a real date.
    """
    if len(text) != 8 or not text.isdigit():
        raise ValueError(f"bad date {text!r} (expected YYYYMMDD)")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise ValueError(f"bad date {text!r} (no such day)") from None


@cache
def julian_date(text: str) -> date:
    """A Julian ``YYYYDDD`` date (year and day of the year).

    >>> julian_date("2013091")
    datetime.date(2013, 4, 1)

    Raises:
        ValueError: not seven digits forming a real day of that year.
    """
    if len(text) != 7 or not text.isdigit():
        raise ValueError(f"bad Julian date {text!r} (expected YYYYDDD)")
    year, day = int(text[:4]), int(text[4:])
    try:
        first = date(year, 1, 1)
        result = date.fromordinal(first.toordinal() + day - 1)
    except ValueError:
        raise ValueError(f"bad Julian date {text!r}") from None
    if day < 1 or result.year != year:
        raise ValueError(f"bad Julian date {text!r} (day {day} is not in {year})")
    return result


def money(text: str) -> Decimal | None:
    """A money cell: ``$``, thousands separators and a lone ``.`` (none) allowed.

    >>> money("$1,234.50"), money("."), money("")
    (Decimal('1234.50'), None, None)

    Raises:
        ValueError: not a number.
    """
    cleaned = text.replace("$", "").replace(",", "").strip()
    if cleaned in ("", "."):
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"bad amount {text!r}") from None


def quarter_of(day: date) -> str:
    """The calendar quarter of a date, as ``YYYY-Qn``.

    >>> quarter_of(date(2025, 10, 1))
    '2025-Q4'
    """
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_start(quarter: str) -> date:
    """The first day of a ``YYYY-Qn`` quarter.

    >>> quarter_start("2026-Q2")
    datetime.date(2026, 4, 1)

    Raises:
        ValueError: not a quarter.
    """
    m = re.fullmatch(r"(\d{4})-Q([1-4])", quarter.strip())
    if m is None:
        raise ValueError(f"bad quarter {quarter!r} (expected YYYY-Qn)")
    return date(int(m.group(1)), 3 * int(m.group(2)) - 2, 1)


# ---------------------------------------------------------------------------- dates and references
_MONTHS = {m: i for i, m in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"), start=1)}
_MONTH_YEAR = re.compile(r"\b(" + "|".join(_MONTHS) + r")\b\D{0,12}(\d{4})", re.IGNORECASE)
_YEAR_MONTH = re.compile(r"(20\d\d)[-_ ]?(0[1-9]|1[0-2])(?!\d)")


def release_month(text: str) -> date | None:
    """The first day of a release month written as ``2026-04`` or ``April 2026``, or ``None``.

    >>> release_month("opps-addendum-b-2026-04-reduced.csv"), release_month("Addendum B, January 2025")
    (datetime.date(2026, 4, 1), datetime.date(2025, 1, 1))
    """
    m = _MONTH_YEAR.search(text)
    if m:
        return date(int(m.group(2)), _MONTHS[m.group(1).lower()], 1)
    m = _YEAR_MONTH.search(text)
    return date(int(m.group(1)), int(m.group(2)), 1) if m else None


class Ref(str):
    """A Turtle reference (prefixed name or ``<iri>``) rather than a string literal."""

    __slots__ = ()


def ref(value: str) -> Ref:
    """Mark a prefixed name or full IRI as a reference for :meth:`kg.importers.release.FileOutput.node`.

    >>> ref("https://w3id.org/codingkg/claim-type/dme")
    '<https://w3id.org/codingkg/claim-type/dme>'
    """
    return Ref(f"<{value}>" if "://" in value else value)


# ---------------------------------------------------------------------------- vocabulary
@dataclass(slots=True)
class CmsVocabulary:
    """What the importers read from ``ontology/``: code systems, status values, tables, rationales."""

    schemes: dict[str, re.Pattern[str]] = field(default_factory=dict)
    scheme_public: dict[str, bool] = field(default_factory=dict)
    scheme_licensed: dict[str, re.Pattern[str]] = field(default_factory=dict)
    statuses: dict[tuple[str, str], str] = field(default_factory=dict)
    adjudications: dict[str, str] = field(default_factory=dict)
    mue_columns: dict[str, str] = field(default_factory=dict)
    ptp_prefixes: dict[str, str] = field(default_factory=dict)
    rationales: dict[str, tuple[str, str]] = field(default_factory=dict)
    payment_systems: dict[str, str] = field(default_factory=dict)
    curated_codes: frozenset[str] = frozenset()

    @classmethod
    @cache
    def default(cls) -> CmsVocabulary:
        """Read from the embedded ontology (once per process).

        >>> CmsVocabulary.default().scheme_of("0001A")
        'cpt'
        """
        from kg.load import parse_triples
        from ontology import default_files

        props: dict[str, dict[str, list[object]]] = {}
        for path in default_files():
            for s, p, o, _ in parse_triples(path):
                props.setdefault(s, {}).setdefault(p, []).append(o)

        def one(subject: str, predicate: str) -> object | None:
            values = props.get(subject, {}).get(predicate)
            return values[0] if values else None

        vocab = cls(schemes=dict(notation_patterns()))
        systems = {s: str(one(s, SKOS.notation)).lower() for s, p in props.items() if CK.PaymentSystem in p.get(RDF.type, ())}
        vocab.payment_systems = {name: iri for iri, name in systems.items()}
        curated = set()
        for subject, attrs in props.items():
            types = attrs.get(RDF.type, ())
            if CK.CodeSystem in types and one(subject, CK.notationPattern):
                name = local_name(subject)
                vocab.scheme_public[name] = bool(one(subject, CK.publicDescriptors))
                if one(subject, CK.licensedDescriptorPattern):
                    vocab.scheme_licensed[name] = re.compile(str(one(subject, CK.licensedDescriptorPattern)))
            if CK.StatusValue in types:
                system = systems.get(str(one(subject, CK.paymentSystem)), "")
                vocab.statuses[system, str(one(subject, SKOS.notation))] = subject
            if CK.MueAdjudication in types:
                vocab.adjudications[str(one(subject, CK.indicatorValue))] = subject
            if CK.ClaimType in types or one(subject, CK.mueValuesColumn) or one(subject, CK.ptpFilePrefix):
                if one(subject, CK.mueValuesColumn):
                    vocab.mue_columns[squash(str(one(subject, CK.mueValuesColumn)))] = subject
                if one(subject, CK.ptpFilePrefix):
                    vocab.ptp_prefixes[str(one(subject, CK.ptpFilePrefix)).lower()] = subject
            if CK.PtpRationale in types:
                label = str(one(subject, SKOS.prefLabel))
                vocab.rationales[squash(label)] = (label, str(one(subject, CK.relationshipClass) or CK.BundledInto))
            if CK.Code in types and one(subject, SKOS.notation):
                curated.add(str(one(subject, SKOS.notation)).upper())
        vocab.curated_codes = frozenset(curated)
        return vocab

    def scheme_of(self, notation: str) -> str | None:
        """The code system (``cpt``, ``hcpcs``) whose notation pattern matches, or ``None``."""
        for name, pattern in self.schemes.items():
            if pattern.match(notation):
                return name
        return None

    def descriptor_is_public(self, notation: str) -> bool:
        """Whether a CMS file's short descriptor for this code may be kept as its title."""
        scheme = self.scheme_of(notation)
        if scheme is None or not self.scheme_public.get(scheme):
            return False
        licensed = self.scheme_licensed.get(scheme)
        return not (licensed and licensed.match(notation))


# ---------------------------------------------------------------------------- importers
@dataclass(slots=True)
class FileSummary:
    """What an importer reports about one file once it has read all of it."""

    rows: int
    facts: int
    quarter: str
    version: str | None = None
    effective: date | None = None
    retired: int = 0
    table: str | None = None
    warnings: list[str] = field(default_factory=list)


class Importer(Protocol):
    """One CMS file format: ``name`` is its registry key, ``version`` the importer's own version."""

    name: str
    version: str
    description: str

    def sniff(self, header_rows: Sequence[Sequence[str]]) -> bool:
        """Whether the first rows of a file (cells per row) are this format's preamble and header."""
        ...

    def read(self, path: Path, out: FileOutputLike, quarter: str | None) -> FileSummary:
        """Read the whole file, writing its facts through ``out``.

        Args:
            path: the CMS file.
            out: where facts go (:class:`kg.importers.release.FileOutput`).
            quarter: ``YYYY-Qn`` given by the user, for files that do not say which quarter they are.

        Raises:
            CmsFileError: the file is malformed (the error names the line).
        """
        ...


class FileOutputLike(Protocol):
    """The part of :class:`kg.importers.release.FileOutput` importers use."""

    vocab: CmsVocabulary

    def code(self, notation: str, line: int, descriptor: str = "") -> str: ...

    def node(self, local: str, cls: str, props: Sequence[tuple[str, Any]]) -> None: ...

    def bulk(self, line: int, cls: str, from_ref: str, to_ref: str, claim: str, indicator: int,
             rationale: str, effective: date, end: date | None) -> None: ...

    def code_fact(self, notation: str, props: Iterable[tuple[str, Any]]) -> None: ...
