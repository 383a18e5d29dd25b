"""``codingkg import``: CMS files in, one RDF release directory out, all or nothing.

A release directory holds, per imported file, a Turtle file of its facts (and, for NCCI PTP
tables, a bulk Turtle file in the one-node-per-line layout :mod:`kg.bulk` streams), a
``codes.ttl`` with every code the files name that the curated data lacks, a ``sources.ttl``
with one ``ck:Source`` per file (sha256, rows, quarter) that every fact cites, and a
``manifest.json`` that also lists every written file's sha256, size and fact count (checked by
:func:`kg.verify.verify_release` before the release is loaded). Everything is written into a
temporary directory beside the target and renamed into place only when every file has been read
without error; the work folders a killed import leaves behind are removed by the next import.

Turtle is written by hand rather than through rdflib: a quarter's PTP tables are about five
million relationship nodes, which rdflib's serializer cannot produce in the time budget.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from kg.bulk import BulkRow, bulk_line, bulk_prefixes
from kg.importers import REGISTRY
from kg.importers.base import CmsFileError, CmsVocabulary, Ref, head_rows, ref
from kg.verify import MANIFEST, file_sha256, written_entry
from kg.vocab import BASE, CK, DCTERMS, SKOS, XSD

__all__ = ["FileOutput", "ImportedFile", "Manifest", "detect", "import_files", "literal", "prune_work_dirs", "ref",
           "turtle_string"]

_NAME = re.compile(r"[^A-Za-z0-9-]+")


def turtle_string(text: str) -> str:
    """A Turtle string literal.

    >>> turtle_string('say "hi"')
    '"say \\\\"hi\\\\""'
    """
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def literal(value: object) -> str:
    """A Python value as a Turtle literal (dates, integers, decimals, booleans, strings).

    >>> literal(date(2025, 10, 1)), literal(3), literal(True), literal(Decimal("1.50"))
    ('"2025-10-01"^^xsd:date', '3', 'true', '"1.50"^^xsd:decimal')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return f'"{value.isoformat()}"^^xsd:date'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return f'"{value}"^^xsd:decimal'
    return turtle_string(str(value))


def _name(text: str) -> str:
    return _NAME.sub("-", text).strip("-").lower() or "file"


@dataclass(slots=True)
class ImportedFile:
    """One input file as recorded in the manifest."""

    file: str
    sha256: str
    format: str
    importer: str
    importer_version: str
    rows: int
    facts: int
    retired: int
    quarter: str
    version: str | None
    effective: str | None
    table: str | None
    source: str
    outputs: list[str]


@dataclass(slots=True)
class Manifest:
    """What a release holds: its name, when and by what it was built, and each file."""

    release: str
    created: str
    engine_version: str
    files: list[ImportedFile] = field(default_factory=list)
    codes_added: int = 0
    warnings: list[str] = field(default_factory=list)
    #: Every file written: name, sha256, size and facts (see :func:`kg.verify.verify_release`).
    written: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The manifest as JSON-ready data."""
        return asdict(self)


@dataclass(slots=True)
class _CodeEntry:
    scheme: str
    label: str | None
    sources: list[str]


class _Release:
    """Shared state while a release is written: prefixes, new codes and sources."""

    def __init__(self, directory: Path, name: str, vocab: CmsVocabulary) -> None:
        self.directory, self.name, self.vocab = directory, name, vocab
        self.codes: dict[str, _CodeEntry] = {}
        self.source_prefix = f"{BASE}source/{name}/"
        self.stems: set[str] = set()
        #: Facts (RDF nodes) written per output file name, for the manifest's ``written`` table.
        self.facts: dict[str, int] = {}

    def prefixes(self, stem: str) -> dict[str, str]:
        return {
            "ck": str(CK), "dcterms": str(DCTERMS), "xsd": str(XSD), "skos": str(SKOS),
            "r": f"{BASE}release/{self.name}/{stem}/", "src": self.source_prefix,
            **{scheme: f"{BASE}{scheme}/" for scheme in self.vocab.schemes},
        }

    def stem(self, path: Path) -> str:
        base = _name(path.name)
        stem, n = base, 1
        while stem in self.stems:
            n += 1
            stem = f"{base}-{n}"
        self.stems.add(stem)
        return stem


class FileOutput:
    """Where an importer writes the facts of one file (see :class:`kg.importers.base.FileOutputLike`)."""

    def __init__(self, release: _Release, path: Path, stem: str) -> None:
        self.vocab = release.vocab
        self.path, self.stem, self._release = path, stem, release
        self.outputs: list[str] = []
        self._file: IO[str] | None = None
        self._bulk: IO[str] | None = None
        self._refs: dict[str, str] = {}
        self.facts = 0

    @property
    def _ttl(self) -> IO[str]:
        """The file's Turtle output, created with its prefixes on first use."""
        if self._file is None:
            name = f"{self.stem}.ttl"
            # Held open across many writes; close() shuts it (and import_files always calls close()).
            self._file = open(self._release.directory / name, "w", encoding="utf-8")  # noqa: SIM115
            self._file.write("".join(f"@prefix {k}: <{v}> .\n" for k, v in self._release.prefixes(self.stem).items()))
            self.outputs.append(name)
        return self._file

    def code(self, notation: str, line: int, descriptor: str = "") -> str:
        """The prefixed name of a code, registering it in the release's code list.

        Raises:
            CmsFileError: the text is not a notation of any code system.
        """
        ref = self._refs.get(notation)
        if ref is not None:
            return ref
        clean = notation.strip().upper()
        scheme = self.vocab.scheme_of(clean)
        if scheme is None:
            raise CmsFileError(self.path, line, f"{notation!r} is not a CPT or HCPCS code")
        ref = self._refs[notation] = Ref(f"{scheme}:{clean}")
        entry = self._release.codes.get(clean)
        if entry is None:
            entry = self._release.codes[clean] = _CodeEntry(scheme, None, [])
        if self.stem not in entry.sources:
            entry.sources.append(self.stem)
        text = " ".join(descriptor.split())
        if entry.label is None and text and self.vocab.descriptor_is_public(clean):
            entry.label = text
        return ref

    def node(self, local: str, cls: str, props: Sequence[tuple[str, object]]) -> None:
        """Write one n-ary node ``r:<local>`` of class ``ck:<cls>`` citing this file.

        ``props`` are ``(predicate, value)``: values made by :func:`ref` (and the code references
        :meth:`code` returns) are references; other values become literals; ``None`` is skipped.
        """
        parts = [f"r:{local} a ck:{cls}"]
        for predicate, value in props:
            if value is None:
                continue
            parts.append(f"{predicate} {value if isinstance(value, Ref) else literal(value)}")
        parts.append(f"dcterms:source src:{self.stem}")
        self._ttl.write(" ;\n    ".join(parts) + " .\n")
        self._count(f"{self.stem}.ttl")

    def _count(self, name: str) -> None:
        self.facts += 1
        self._release.facts[name] = self._release.facts.get(name, 0) + 1

    def code_fact(self, notation: str, props: Sequence[tuple[str, object]]) -> None:
        """Write literal facts about a code node itself (e.g. contractor-defined primaries)."""
        ref = self._refs[notation]
        self._ttl.write(f"{ref} " + " ;\n    ".join(f"{p} {literal(v)}" for p, v in props) + " .\n")
        self._count(f"{self.stem}.ttl")

    def bulk(self, line: int, cls: str, from_ref: str, to_ref: str, claim: str, indicator: int,
             rationale: str, effective: date, end: date | None) -> None:
        """Write one PTP row to this file's bulk relationship file."""
        if self._bulk is None:
            name = f"{self.stem}.bulk.ttl"
            self._bulk = open(self._release.directory / name, "w", encoding="utf-8")  # noqa: SIM115
            prefixes = self._release.prefixes(self.stem)
            self._bulk.write(bulk_prefixes(prefixes["r"], prefixes["src"],
                                           {s: prefixes[s] for s in self.vocab.schemes}))
            self.outputs.append(name)
        self._bulk.write(bulk_line(BulkRow(line, cls, from_ref, to_ref, claim, indicator, rationale,
                                           effective, end, self.stem)))
        self._count(f"{self.stem}.bulk.ttl")

    def close(self) -> None:
        """Close the output files."""
        if self._file is not None:
            self._file.close()
        if self._bulk is not None:
            self._bulk.close()


def detect(path: Path) -> Any:
    """The importer whose ``sniff`` accepts the file's first rows.

    Raises:
        CmsFileError: no importer (or more than one) recognises the header.
    """
    rows = head_rows(path)
    found = [imp for imp in REGISTRY.values() if imp.sniff(rows)]
    if not found:
        raise CmsFileError(path, None, "no importer recognises this file's header "
                           f"(known formats: {', '.join(sorted(REGISTRY))})")
    if len(found) > 1:
        raise CmsFileError(path, None, f"header matches several formats: {', '.join(i.name for i in found)}")
    return found[0]


def _title(notation: str, entry: _CodeEntry, vocab: CmsVocabulary) -> tuple[str, str]:
    """An imported code's title and where it comes from (the values of ``ck:titleSource``).

    >>> vocab = CmsVocabulary.default()
    >>> _title("99213", _CodeEntry("cpt", None, []), vocab)
    ('CPT code 99213 (descriptor not licensed)', 'NOT_LICENSED')
    >>> _title("J1100", _CodeEntry("hcpcs", "Dexamethasone inj", []), vocab)
    ('Dexamethasone inj', 'CMS_SHORT_DESCRIPTOR')
    """
    if entry.label:
        return entry.label, "CMS_SHORT_DESCRIPTOR"
    if vocab.descriptor_is_public(notation):
        return f"{entry.scheme.upper()} code {notation} (no descriptor in the source file)", "NOT_PROVIDED"
    return f"{entry.scheme.upper()} code {notation} (descriptor not licensed)", "NOT_LICENSED"


def _write_codes(release: _Release) -> int:
    vocab = release.vocab
    added = 0
    with open(release.directory / "codes.ttl", "w", encoding="utf-8") as out:
        out.write("".join(f"@prefix {k}: <{v}> .\n" for k, v in release.prefixes("codes").items()))
        out.write(f"@prefix scheme: <{BASE}scheme/> .\n")
        for notation in sorted(release.codes):
            entry = release.codes[notation]
            if notation in vocab.curated_codes:
                continue  # the curated title and description stay; the release adds facts only
            label, origin = _title(notation, entry, vocab)
            sources = ", ".join(f"src:{s}" for s in entry.sources)
            out.write(f"{entry.scheme}:{notation} a ck:Code ;\n    skos:notation {turtle_string(notation)} ;\n"
                      f"    skos:inScheme scheme:{entry.scheme} ;\n    skos:prefLabel {turtle_string(label)} ;\n"
                      f"    ck:titleSource {turtle_string(origin)} ;\n    dcterms:source {sources} .\n")
            added += 1
    return added


def _write_sources(release: _Release, files: Sequence[ImportedFile]) -> None:
    with open(release.directory / "sources.ttl", "w", encoding="utf-8") as out:
        out.write("".join(f"@prefix {k}: <{v}> .\n" for k, v in release.prefixes("sources").items()))
        for f in files:
            title = f"CMS file {f.file} ({f.format}, {f.quarter})"
            out.write(f"src:{f.source} a ck:Source ;\n    dcterms:title {turtle_string(title)} ;\n"
                      f'    dcterms:publisher "Centers for Medicare & Medicaid Services" ;\n'
                      f"    ck:fileName {turtle_string(f.file)} ;\n    ck:sha256 {turtle_string(f.sha256)} ;\n"
                      f"    ck:rows {f.rows} ;\n    ck:quarter {turtle_string(f.quarter)} ;\n"
                      + (f"    ck:version {turtle_string(f.version)} ;\n" if f.version else "")
                      + "    ck:confidence ck:CmsFile .\n")


def _ptp_warnings(files: Sequence[ImportedFile]) -> list[str]:
    """Say when a PTP table was imported without all four of its parts (a silent hole otherwise)."""
    parts: dict[tuple[str, str], set[str]] = {}
    for f in files:
        if f.format != "ncci-ptp":
            continue
        m = re.search(r"-(f[1-4])\b", f.file.lower())
        parts.setdefault((f.table or "", f.version or f.quarter), set()).add(m.group(1) if m else "?")
    warnings = []
    for (table, version), seen in sorted(parts.items()):
        missing = sorted({"f1", "f2", "f3", "f4"} - seen)
        if missing:
            warnings.append(f"PTP {table} table {version}: parts {', '.join(missing)} not imported; "
                            "edits in their code ranges are absent from this release")
    return warnings


def _replace_directory(tmp: Path, out: Path) -> None:
    """Move the finished release into place; an existing release there is replaced."""
    if out.exists():
        if not out.is_dir() or (any(out.iterdir()) and not (out / MANIFEST).is_file()):
            raise CmsFileError(out, None, "output exists and is not a codingkg release; choose another --out")
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.{os.getpid()}.", suffix=".old", dir=out.parent))
        out.rename(old / out.name)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(out)


# Work folders beside the target: ".<name>.<pid>.<random>.tmp" (being written) and ".old" (being
# replaced). The pid lets a later import tell a killed import's leftovers from a running one's.
_WORK_DIR = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[A-Za-z0-9_]+\.(?:tmp|old)$")
# Folders left by imports before the pid was part of the name: pruned once clearly abandoned.
_LEGACY_WORK_DIR = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")
_LEGACY_AGE_S = 24 * 3600


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def prune_work_dirs(parent: Path) -> list[Path]:
    """Remove the work folders of killed imports in ``parent`` (a running import's are kept).

    Returns:
        The folders removed.
    """
    removed: list[Path] = []
    try:
        entries = list(Path(parent).iterdir())
    except OSError:
        return removed
    now = datetime.now(UTC).timestamp()
    for entry in entries:
        match = _WORK_DIR.match(entry.name)
        try:
            if not entry.is_dir() or entry.is_symlink():
                continue
            if match:
                if _alive(int(match["pid"])):
                    continue
            elif not (_LEGACY_WORK_DIR.match(entry.name) and now - entry.stat().st_mtime > _LEGACY_AGE_S):
                continue
        except OSError:
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def import_files(paths: Sequence[Path], out: Path, release: str | None = None, quarter: str | None = None) -> Manifest:
    """Import CMS files into a release directory, all or nothing.

    Args:
        paths: the CMS files; each one's format is detected from its header.
        out: the release directory to create (an existing release there is replaced).
        release: the release name (IRIs and the manifest); defaults to the directory name.
        quarter: ``YYYY-Qn`` for files that do not say which quarter they are.

    Returns:
        The manifest that was written.

    Raises:
        CmsFileError: a file is missing, unrecognised or malformed (nothing is written).
    """
    from kg import __version__

    out = Path(out)
    name = _name(release or out.name)
    if not paths:
        raise CmsFileError(out, None, "no input files")
    for path in paths:
        if not Path(path).is_file():
            raise CmsFileError(path, None, "no such file")
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    prune_work_dirs(parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.{os.getpid()}.", suffix=".tmp", dir=parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)  # mkdtemp makes the directory private; a release is ordinary data
        state = _Release(tmp, name, CmsVocabulary.default())
        manifest = Manifest(release=name, created=datetime.now(UTC).isoformat(timespec="seconds"),
                            engine_version=__version__)
        for path in map(Path, paths):
            importer = detect(path)
            output = FileOutput(state, path, state.stem(path))
            try:
                summary = importer.read(path, output, quarter)
            finally:
                output.close()
            manifest.files.append(ImportedFile(
                file=path.name, sha256=file_sha256(path), format=importer.name, importer=type(importer).__module__,
                importer_version=importer.version, rows=summary.rows, facts=output.facts, retired=summary.retired,
                quarter=summary.quarter, version=summary.version,
                effective=summary.effective.isoformat() if summary.effective else None,
                table=summary.table, source=state.source_prefix + output.stem, outputs=output.outputs,
            ))
            manifest.warnings.extend(f"{path.name}: {w}" for w in summary.warnings)
        manifest.codes_added = state.facts["codes.ttl"] = _write_codes(state)
        _write_sources(state, [_with_local_source(f, state) for f in manifest.files])
        state.facts["sources.ttl"] = len(manifest.files)
        manifest.warnings.extend(_ptp_warnings(manifest.files))
        manifest.written = [written_entry(tmp, p.name, state.facts.get(p.name, 0)) for p in sorted(tmp.iterdir())]
        (tmp / MANIFEST).write_text(json.dumps(manifest.to_json(), indent=2) + "\n", encoding="utf-8")
        _replace_directory(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _with_local_source(f: ImportedFile, state: _Release) -> ImportedFile:
    local = f.source[len(state.source_prefix):]
    return ImportedFile(**{**asdict(f), "source": local})
