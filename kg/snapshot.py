"""Compiled snapshots: the loaded graph saved so a restart can skip parsing RDF, and never trusted blindly.

A snapshot is a pickle, and unpickling runs code, so a snapshot is only read if this process can
prove it was written by this installation:

* every file carries an HMAC-SHA256 over its snapshot key and its bytes, made with a
  per-installation secret kept *outside* the cache directory (``$CODINGKG_SNAPSHOT_KEY``, else
  ``$XDG_CONFIG_HOME/codingkg/snapshot.key``, else ``~/.config/codingkg/snapshot.key``; created
  0600 on first use). The tag is checked over the whole file before a byte is unpickled.
* the snapshot key is a digest of the *content* of every input (release files by the sha256
  their verified manifest records, other files hashed) and of the engine's source code, not of
  paths and mtimes: any change to data or code builds a fresh snapshot.
* the file starts with a format line (:data:`_MAGIC`) that changes with what a snapshot holds;
  a file of another format is removed and rebuilt.
* the cache directory (``$CODINGKG_CACHE_DIR``, else ``~/.cache/codingkg``) is created 0700; one
  that is group- or world-writable or owned by another user is refused with a warning, as is a
  key file others can read, and the graph is then loaded from RDF.

Any failure to read a snapshot, whatever its exception type, means the graph is rebuilt from RDF
and the bad file removed, so a damaged cache cannot make every restart crash. Old snapshots and
the temporary files of killed writers are pruned after each write. A cache that cannot be
written (read-only home, full disk) only costs speed.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import hmac
import logging
import os
import pickle
import re
import secrets
import stat
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from kg.load import LoadResult, load_graph
from kg.lookup import build_index

__all__ = [
    "KEEP_SNAPSHOTS",
    "cache_dir",
    "cached_load",
    "engine_digest",
    "key_file",
    "prune",
    "snapshot_key",
    "snapshot_path",
]

log = logging.getLogger(__name__)

#: The format line; bumped whenever what a snapshot holds changes (v3: the code indexes), so an older
#: file is rebuilt, never read as the new layout.
_MAGIC = b"codingkg-snapshot-v3\n"
_TAG_BYTES = hashlib.sha256().digest_size
_SECRET_BYTES = 32
#: Snapshots kept in the cache directory (the newest; one per data set served recently).
KEEP_SNAPSHOTS = 4
#: A temporary file this old whose writer cannot be identified is abandoned.
_STALE_TMP_S = 3600
_TMP = re.compile(r"^\.graph-(?P<pid>\d+)-[^.]+\.tmp$")


def cache_dir() -> Path:
    """``$CODINGKG_CACHE_DIR``, else ``~/.cache/codingkg``."""
    configured = os.environ.get("CODINGKG_CACHE_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "codingkg"


def key_file() -> Path:
    """Where the per-installation snapshot secret lives (never inside the cache directory)."""
    configured = os.environ.get("CODINGKG_SNAPSHOT_KEY")
    if configured:
        return Path(configured)
    config = os.environ.get("XDG_CONFIG_HOME")
    return (Path(config) if config else Path.home() / ".config") / "codingkg" / "snapshot.key"


@functools.cache
def engine_digest() -> str:
    """sha256 over the engine's Python source (``kg/``), so a code change invalidates snapshots.

    >>> len(engine_digest())
    64
    """
    from kg import __version__

    root = Path(__file__).resolve().parent
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _content_digest(path: Path, known: Mapping[Path, str]) -> str:
    from kg.verify import file_sha256

    resolved = Path(path).resolve()
    found = known.get(resolved)
    return found if found is not None else file_sha256(resolved)


def snapshot_key(layers: Sequence[Sequence[Path]], digests: Mapping[Path, str] | None = None) -> str:
    """A digest of the engine code and every input file's content, by layer and name.

    Args:
        layers: as for :func:`kg.load.load_graph`.
        digests: sha256 already verified for some files (resolved path -> hex), e.g. from a
            release manifest; other files are hashed here.
    """
    known = digests or {}
    digest = hashlib.sha256(engine_digest().encode())
    for index, paths in enumerate(layers):
        for path in paths:
            digest.update(f"{index}\0{Path(path).name}\0{_content_digest(Path(path), known)}\n".encode())
    return digest.hexdigest()[:32]


def snapshot_path(directory: Path, key: str) -> Path:
    """The snapshot file of a key in a cache directory."""
    return directory / f"graph-{key}.snap"


def _private_dir(path: Path) -> bool:
    """Create ``path`` 0700 if absent; refuse (``False``) one others could write to or that we do not own."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = path.stat()
    except OSError as err:
        log.warning("snapshot cache %s unavailable (%s); loading from RDF", path, err.strerror or err)
        return False
    if not stat.S_ISDIR(info.st_mode):
        log.warning("snapshot cache %s is not a directory; loading from RDF", path)
        return False
    if info.st_uid != os.geteuid():
        log.warning("snapshot cache %s is owned by uid %d, not this user; refusing it, loading from RDF",
                    path, info.st_uid)
        return False
    if info.st_mode & 0o022:
        log.warning("snapshot cache %s is writable by group or others (mode %o); refusing it, loading from RDF",
                    path, stat.S_IMODE(info.st_mode))
        return False
    return True


def _secret(cache: Path) -> bytes | None:
    """The installation's HMAC secret, created on first use; ``None`` (with a warning) if unsafe."""
    path = key_file()
    try:
        if path.resolve().is_relative_to(cache.resolve()):
            log.warning("snapshot key %s lies inside the cache directory; refusing the cache", path)
            return None
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(_SECRET_BYTES))
        info = path.stat()
        if info.st_uid != os.geteuid() or info.st_mode & 0o077:
            log.warning("snapshot key %s is readable by others or not ours (mode %o); refusing the cache",
                        path, stat.S_IMODE(info.st_mode))
            return None
        secret = path.read_bytes()
    except OSError as err:
        log.warning("snapshot key %s unavailable (%s); loading from RDF", path, err.strerror or err)
        return None
    if len(secret) < _SECRET_BYTES:
        log.warning("snapshot key %s is too short; refusing the cache", path)
        return None
    return secret


def _mac(secret: bytes, key: str) -> hmac.HMAC:
    return hmac.new(secret, _MAGIC + key.encode() + b"\0", hashlib.sha256)


def _read(target: Path, secret: bytes, key: str) -> LoadResult:
    """Unpickle a snapshot only after its tag checks out over every byte."""
    with target.open("rb") as handle:
        if handle.read(len(_MAGIC)) != _MAGIC:
            raise ValueError("not a codingkg snapshot")
        tag = handle.read(_TAG_BYTES)
        mac = _mac(secret, key)
        while chunk := handle.read(1 << 20):
            mac.update(chunk)
        if not hmac.compare_digest(mac.digest(), tag):
            raise ValueError("authentication tag does not match (not written by this installation, or damaged)")
        handle.seek(len(_MAGIC) + _TAG_BYTES)
        # Unpickling a full quarter allocates millions of containers, and every few hundred
        # allocations the cyclic collector would walk the ones made so far (4x the time of the
        # load itself); nothing made here is garbage before it is done.
        collecting = gc.isenabled()
        gc.disable()
        try:
            result = pickle.load(handle)
        finally:
            if collecting:
                gc.enable()
    if not isinstance(result, LoadResult):
        raise ValueError(f"holds a {type(result).__name__}, not a loaded graph")
    return result


class _MacWriter:
    """A file wrapper that feeds everything written through an HMAC (pickle writes in pieces)."""

    def __init__(self, handle: IO[bytes], mac: hmac.HMAC) -> None:
        self.handle, self.mac = handle, mac

    def write(self, data: bytes) -> int:
        self.mac.update(data)
        return self.handle.write(data)


def _write(target: Path, secret: bytes, key: str, result: LoadResult) -> None:
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".graph-{os.getpid()}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(_MAGIC + bytes(_TAG_BYTES))
            mac = _mac(secret, key)
            pickle.dump(result, _MacWriter(handle, mac), protocol=pickle.HIGHEST_PROTOCOL)
            handle.seek(len(_MAGIC))
            handle.write(mac.digest())
        os.replace(name, target)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def prune(directory: Path, keep: int = KEEP_SNAPSHOTS) -> list[Path]:
    """Remove all but the ``keep`` newest snapshots, older-format files and killed writers' temp files.

    Returns:
        The files removed.
    """
    removed: list[Path] = []
    try:
        entries = list(directory.iterdir())
    except OSError:
        return removed
    now = time.time()
    snapshots = []
    for entry in entries:
        try:
            info = entry.lstat()
            if entry.name.startswith("graph-") and entry.suffix == ".snap":
                snapshots.append((info.st_mtime, entry))
                continue
            match = _TMP.match(entry.name)
            stale = ((entry.name.startswith("graph-") and entry.suffix == ".pickle")  # the unsigned format
                     or (match is not None and not _pid_alive(int(match["pid"])))
                     or (entry.name.endswith(".tmp") and now - info.st_mtime > _STALE_TMP_S))
            if stale and stat.S_ISREG(info.st_mode):
                entry.unlink()
                removed.append(entry)
        except OSError:
            continue
    for _, entry in sorted(snapshots, reverse=True)[keep:]:
        try:
            entry.unlink()
            removed.append(entry)
        except OSError:
            continue
    return removed


def cached_load(
    layers: Sequence[Sequence[Path]], use_cache: bool = True, digests: Mapping[Path, str] | None = None
) -> LoadResult:
    """Load layered RDF, from an authenticated snapshot when one matches the inputs.

    Args:
        layers: as for :func:`kg.load.load_graph`.
        use_cache: ``False`` always parses (and writes nothing).
        digests: sha256 of verified input files (see :func:`snapshot_key`).

    Raises:
        GraphLoadError: an RDF file cannot be parsed (never for a bad snapshot: that is rebuilt).
    """
    if not use_cache:
        return load_graph(layers)
    cache = cache_dir()
    secret = _secret(cache) if _private_dir(cache) else None
    if secret is None:
        return load_graph(layers)
    key = snapshot_key(layers, digests)
    target = snapshot_path(cache, key)
    if target.exists():
        try:
            return _read(target, secret, key)
        except Exception as err:
            log.warning("ignoring snapshot %s and rebuilding: %s", target, err)
            target.unlink(missing_ok=True)
    result = load_graph(layers)
    result.index = build_index(result.graph)  # saved with the graph: a start from the snapshot skips it
    try:
        _write(target, secret, key, result)
        prune(cache)
    except Exception as err:
        log.warning("could not write snapshot %s: %s", target, err)
    return result
