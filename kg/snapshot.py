"""Compiled snapshots: the loaded graph pickled, keyed by the exact input files.

Parsing RDF is the slow part of start-up; a snapshot lets a restart skip it. The key covers
every input file's path, size and modification time plus the engine version, so any change
to the data or the code builds a fresh snapshot. A cache that cannot be written (read-only
home, full disk) only costs speed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from collections.abc import Sequence
from pathlib import Path

from kg.load import LoadResult, load_graph

__all__ = ["cache_dir", "cached_load", "snapshot_key"]

log = logging.getLogger(__name__)


def cache_dir() -> Path:
    """``$CODINGKG_CACHE_DIR``, else ``~/.cache/codingkg``."""
    configured = os.environ.get("CODINGKG_CACHE_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "codingkg"


def snapshot_key(layers: Sequence[Sequence[Path]]) -> str:
    """A digest of the engine version and every input file's path, size and mtime."""
    from kg import __version__

    digest = hashlib.sha256(__version__.encode())
    for index, paths in enumerate(layers):
        for path in paths:
            stat = Path(path).stat()
            digest.update(f"{index}\0{Path(path).resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:32]


def cached_load(layers: Sequence[Sequence[Path]], use_cache: bool = True) -> LoadResult:
    """Load layered RDF, from a snapshot when one matches the inputs.

    Args:
        layers: as for :func:`kg.load.load_graph`.
        use_cache: ``False`` always parses (and writes nothing).
    """
    if not use_cache:
        return load_graph(layers)
    target = cache_dir() / f"graph-{snapshot_key(layers)}.pickle"
    try:
        with target.open("rb") as handle:
            return pickle.load(handle)
    except FileNotFoundError:
        pass
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError) as err:
        log.warning("ignoring unreadable snapshot %s: %s", target, err)
    result = load_graph(layers)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False, suffix=".tmp") as handle:
            pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(handle.name, target)
    except OSError as err:
        log.warning("could not write snapshot %s: %s", target, err)
    return result
