"""The embedded CMS baseline: the public CMS files shipped in ``ontology/cms/``, imported on first use.

The package carries the real physician fee schedule relative value file and OPPS Addendum B
(``ontology/cms/``, their sha256 in ``SHA256SUMS``). On first use they are checked against
those sums and imported by the project's own importers (:func:`kg.importers.release.import_files`)
into a release directory in the cache (``$CODINGKG_CACHE_DIR``, else ``~/.cache/codingkg``),
keyed by the files' sums and the importer and ontology sources, so a new engine re-imports.
The release is the lowest layer of the default graph: curated facts and any ``--data``
releases are stated above it and win for what they cover.

A cache directory that cannot be written only costs time: the import then goes to a temporary
directory removed when the process exits.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import logging
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from kg.load import GraphLoadError

if TYPE_CHECKING:
    from kg.verify import VerifiedRelease

__all__ = [
    "BASELINE_DIR",
    "BASELINE_NAME",
    "BaselineError",
    "baseline_files",
    "baseline_inputs",
    "baseline_release",
    "verified_baseline",
]

log = logging.getLogger(__name__)

#: Where the shipped CMS files and their ``SHA256SUMS`` live.
BASELINE_DIR = Path(__file__).resolve().parents[1] / "ontology" / "cms"
#: The release (and layer) name of the imported baseline.
BASELINE_NAME = "cms-baseline"
_SUMS = "SHA256SUMS"


class BaselineError(GraphLoadError):
    """The shipped CMS files are missing, altered, or do not import."""


def _sums() -> dict[str, str]:
    path = BASELINE_DIR / _SUMS
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise BaselineError(f"{path}: cannot read ({err.strerror or err})") from err
    sums = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        digest, _, name = line.partition("  ")
        if len(digest) != 64 or not name:
            raise BaselineError(f"{path}:{number}: expected '<sha256>  <file name>'")
        sums[name.strip()] = digest
    return sums


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def baseline_inputs() -> list[Path]:
    """The shipped CMS files, each checked against its recorded sha256.

    >>> sorted(p.name for p in baseline_inputs())
    ['PPRRVU2025_Oct.csv', 'opps-addendum-b-2026-04-reduced.csv']

    Raises:
        BaselineError: a file is missing or its content is not the one recorded.
    """
    paths = []
    for name, expected in _sums().items():
        path = BASELINE_DIR / name
        try:
            actual = _sha256(path)
        except OSError as err:
            raise BaselineError(f"{path}: cannot read ({err.strerror or err})") from err
        if actual != expected:
            raise BaselineError(f"{path}: sha256 {actual} differs from the one recorded in {_SUMS} ({expected})")
        paths.append(path)
    return paths


def _key() -> str:
    """A digest of what the imported release depends on: the files' sums, importers and ontology."""
    from kg import __version__
    from ontology import default_files

    digest = hashlib.sha256(__version__.encode())
    digest.update((BASELINE_DIR / _SUMS).read_bytes())
    importers = sorted((Path(__file__).parent / "importers").glob("*.py"))
    for path in [*importers, *default_files()]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:24]


def _import(inputs: list[Path], out: Path) -> None:
    from kg.importers.base import CmsFileError
    from kg.importers.release import import_files

    try:
        import_files(inputs, out, release=BASELINE_NAME)
    except CmsFileError as err:
        raise BaselineError(f"the embedded CMS baseline does not import: {err}") from err


@contextlib.contextmanager
def _import_lock(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``directory/.lock`` while the baseline is imported there.

    Several processes starting on an empty cache (test workers, forked servers) would otherwise
    each import and replace the release while the others verify and load it.
    """
    with open(directory / ".lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_memo: dict[str, Path] = {}


def baseline_release() -> Path:
    """The directory of the imported baseline release, importing it when the cache lacks it.

    Returns:
        A release directory named ``cms-baseline``.

    Raises:
        BaselineError: the shipped files are missing, altered or do not import.
    """
    from kg.importers.release import MANIFEST
    from kg.snapshot import cache_dir

    inputs = baseline_inputs()
    key = _key()
    known = _memo.get(key)
    if known is not None and (known / MANIFEST).is_file():
        return known
    target = cache_dir() / f"baseline-{key}" / BASELINE_NAME
    if not (target / MANIFEST).is_file():
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with _import_lock(target.parent):
                # Another process may have imported it while this one waited for the lock.
                if not (target / MANIFEST).is_file():
                    _import(inputs, target)
        except OSError as err:
            log.warning("cannot write the imported baseline to %s (%s); importing to a temporary directory", target, err)
            scratch = Path(tempfile.mkdtemp(prefix="codingkg-baseline-"))
            atexit.register(shutil.rmtree, scratch, ignore_errors=True)
            target = scratch / BASELINE_NAME
            _import(inputs, target)
    _memo[key] = target
    return target


def verified_baseline() -> VerifiedRelease:
    """The imported baseline release, verified against its manifest; a damaged cached copy is imported again.

    The cache is only a cache: a baseline release there that lost a file or a byte is never
    served, it is removed and rebuilt from the shipped (sha256-checked) CMS files.

    Raises:
        BaselineError: the shipped files are missing, altered or do not import.
    """
    from kg.verify import ReleaseError, verify_release

    directory = baseline_release()
    try:
        return verify_release(directory)
    except ReleaseError as err:
        log.warning("the cached CMS baseline is damaged (%s); importing it again", err)
    shutil.rmtree(directory, ignore_errors=True)
    _memo.clear()
    return verify_release(baseline_release())


def baseline_files() -> list[Path]:
    """The RDF files of the imported baseline release (see :func:`baseline_release`).

    >>> sorted(p.name for p in baseline_files())[:2]
    ['codes.ttl', 'opps-addendum-b-2026-04-reduced-csv.ttl']
    """
    return verified_baseline().rdf_files()
