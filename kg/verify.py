"""Release verification: a release directory is served only if it is exactly what was imported.

``codingkg import`` records in ``manifest.json`` the sha256, size and fact count of every file it
writes (the ``written`` table). :func:`verify_release` checks a directory against that table
before anything loads it or trusts a snapshot built from it: a missing or unreadable manifest,
a file listed but absent, a file present but not listed, or a size or digest that differs is a
:class:`ReleaseError` whose one-line message names the file. A truncated bulk file or a deleted
manifest therefore stops the load instead of silently serving a smaller graph.

:func:`seal_release` writes the table for a directory of hand-written RDF (tests, curated
extensions), so such a directory can be layered too; sealing is a deliberate act, never implicit.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from kg.load import GraphLoadError

__all__ = [
    "MANIFEST",
    "ReleaseError",
    "VerifiedRelease",
    "WrittenFile",
    "file_sha256",
    "seal_release",
    "verify_release",
    "verify_releases",
    "written_entry",
]

MANIFEST = "manifest.json"
_RDF_SUFFIXES = (".ttl", ".nt")
_HASH_THREADS = max(1, min(4, os.cpu_count() or 1))


class ReleaseError(GraphLoadError):
    """A release directory cannot be trusted; the message is one line naming the file at fault."""


@dataclass(frozen=True, slots=True)
class WrittenFile:
    """One file of a release as the manifest records it."""

    file: str
    sha256: str
    size: int
    facts: int


@dataclass(frozen=True, slots=True)
class VerifiedRelease:
    """A release directory whose every file matched its manifest.

    Attributes:
        directory: the release directory.
        manifest: the parsed ``manifest.json``.
        files: the verified files, in manifest order.
        digest: sha256 of the manifest's bytes, so of every file's digest: the release's identity.
    """

    directory: Path
    manifest: Mapping[str, Any]
    files: tuple[WrittenFile, ...]
    digest: str
    stats: tuple[tuple[str, int, int, int], ...] = ()

    def check_unchanged(self) -> None:
        """Raise if any file was replaced or modified since it was verified (e.g. an import ran meanwhile).

        Raises:
            ReleaseError: naming the first file whose inode, size or mtime changed.
        """
        if _stats(self.directory, [MANIFEST, *(f.file for f in self.files)]) != self.stats:
            raise ReleaseError(f"{self.directory}: changed while it was being loaded; load it again")

    def rdf_files(self) -> list[Path]:
        """The verified RDF files, in the loader's stable (sorted) order."""
        return sorted(self.directory / f.file for f in self.files if f.file.endswith(_RDF_SUFFIXES))

    def digests(self) -> dict[Path, str]:
        """Each verified file's resolved path and sha256 (the snapshot key reads these)."""
        return {(self.directory / f.file).resolve(): f.sha256 for f in self.files}


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file's bytes, read in 1 MiB chunks.

    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile(delete=False) as f:
    ...     _ = f.write(b"abc")
    >>> file_sha256(Path(f.name))[:16]
    'ba7816bf8f01cfea'
    >>> os.unlink(f.name)
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def written_entry(directory: Path, name: str, facts: int) -> dict[str, Any]:
    """The manifest entry of one written file (relative name, sha256, size, facts)."""
    path = directory / name
    return {"file": name, "sha256": file_sha256(path), "size": path.stat().st_size, "facts": facts}


def _listed_name(directory: Path, raw: object) -> str:
    name = str(raw)
    pure = PurePosixPath(name)
    if not name or pure.is_absolute() or ".." in pure.parts or name == MANIFEST or "\\" in name:
        raise ReleaseError(f"{directory / MANIFEST}: lists an invalid file name {name[:80]!r}")
    return name


def _read_manifest(directory: Path) -> tuple[dict[str, Any], bytes]:
    if not directory.exists():
        raise ReleaseError(f"{directory}: no such release directory")
    if not directory.is_dir():
        raise ReleaseError(f"{directory}: not a directory")
    path = directory / MANIFEST
    if not path.is_file():
        if not any(directory.iterdir()):
            raise ReleaseError(f"{directory}: empty directory, not a codingkg release")
        raise ReleaseError(f"{path}: missing; a release is served only with its manifest (re-run codingkg import)")
    try:
        raw = path.read_bytes()
        manifest = json.loads(raw)
    except OSError as err:
        raise ReleaseError(f"{path}: cannot read ({err.strerror or err})") from None
    except (ValueError, UnicodeDecodeError) as err:
        raise ReleaseError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("written"), list):
        raise ReleaseError(f"{path}: has no 'written' file table (written by an older codingkg; re-run codingkg import)")
    return manifest, raw


def _entry(directory: Path, raw: object) -> WrittenFile:
    if not isinstance(raw, dict):
        raise ReleaseError(f"{directory / MANIFEST}: a 'written' entry is not an object")
    name = _listed_name(directory, raw.get("file", ""))
    sha, size, facts = raw.get("sha256"), raw.get("size"), raw.get("facts", 0)
    if not isinstance(sha, str) or len(sha) != 64 or not isinstance(size, int) or not isinstance(facts, int):
        raise ReleaseError(f"{directory / MANIFEST}: entry for {name} lacks a sha256, size or fact count")
    return WrittenFile(name, sha.lower(), size, facts)


def _stats(directory: Path, names: Sequence[str]) -> tuple[tuple[str, int, int, int], ...]:
    found = []
    for name in names:
        try:
            info = (directory / name).stat()
        except OSError:
            found.append((name, -1, -1, -1))
            continue
        found.append((name, info.st_ino, info.st_size, info.st_mtime_ns))
    return tuple(found)


def verify_release(directory: Path) -> VerifiedRelease:
    """Check a release directory against its manifest.

    Args:
        directory: a directory written by ``codingkg import`` (or sealed by :func:`seal_release`).

    Returns:
        The verified release (its files and digests).

    Raises:
        ReleaseError: the directory is missing or empty, the manifest is missing or unreadable,
            a listed file is missing, an unlisted file is present, or a size or sha256 differs.

    >>> verify_release(Path("/nonexistent/release"))
    Traceback (most recent call last):
    ...
    kg.verify.ReleaseError: /nonexistent/release: no such release directory
    """
    directory = Path(directory)
    manifest, raw = _read_manifest(directory)
    files = tuple(_entry(directory, e) for e in manifest["written"])
    stats = _stats(directory, [MANIFEST, *(f.file for f in files)])
    listed = {f.file for f in files}
    if len(listed) != len(files):
        raise ReleaseError(f"{directory / MANIFEST}: lists a file twice")
    present = {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file() or p.is_symlink()}
    for extra in sorted(present - listed - {MANIFEST}):
        raise ReleaseError(f"{directory / extra}: not in the release manifest (remove it or re-run codingkg import)")
    for entry in files:
        path = directory / entry.file
        if entry.file not in present or not path.is_file():
            raise ReleaseError(f"{path}: listed in the manifest but missing")
        size = path.stat().st_size
        if size != entry.size:
            raise ReleaseError(f"{path}: {size} bytes, the manifest says {entry.size} (truncated or changed)")
    # hashlib releases the GIL on large buffers, so the files hash in parallel on several cores.
    with ThreadPoolExecutor(max_workers=min(_HASH_THREADS, len(files) or 1)) as pool:
        digests = list(pool.map(file_sha256, (directory / f.file for f in files)))
    for entry, digest in zip(files, digests, strict=True):
        if digest != entry.sha256:
            raise ReleaseError(f"{directory / entry.file}: content differs from the manifest's sha256 (corrupted or edited)")
    verified = VerifiedRelease(directory, manifest, files, hashlib.sha256(raw).hexdigest(), stats)
    verified.check_unchanged()  # the manifest read first and the files hashed after belong together
    return verified


def verify_releases(directories: Sequence[Path]) -> list[VerifiedRelease]:
    """:func:`verify_release` for each directory, in order (the first failure raises)."""
    return [verify_release(Path(d)) for d in directories]


def seal_release(directory: Path, name: str | None = None) -> dict[str, Any]:
    """Write ``manifest.json`` for a directory of RDF files that has none (or refresh its table).

    Fact counts are the number of RDF subjects each file states (0 for a file that does not
    parse). An existing manifest keeps its other fields; only ``written`` is replaced.

    Args:
        directory: the directory to seal.
        name: the release name for a new manifest (default: the directory name).

    Returns:
        The manifest written.

    Raises:
        ReleaseError: the directory does not exist or holds no files.
    """
    from kg.load import parse_triples

    directory = Path(directory)
    if not directory.is_dir():
        raise ReleaseError(f"{directory}: no such release directory")
    path = directory / MANIFEST
    manifest: dict[str, Any] = {}
    if path.is_file():
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            manifest = {}
    names = sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file() and p != path)
    if not names:
        raise ReleaseError(f"{directory}: empty directory, nothing to seal")
    written = []
    for rel in names:
        facts = 0
        if rel.endswith(_RDF_SUFFIXES):
            # A file that does not parse is sealed as it is: the loader reports it when it reads the file.
            with contextlib.suppress(GraphLoadError):
                facts = len({s for s, *_ in parse_triples(directory / rel)})
        written.append(written_entry(directory, rel, facts))
    manifest = {"release": name or directory.name, **manifest, "written": written}
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
