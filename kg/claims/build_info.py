"""Which claim engine runs: C extensions that mypyc built at install time, or the Python sources.

``setup.py`` compiles the modules named in :data:`COMPILED_MODULES` and writes the SHA-256 of
each source it compiled into :data:`MANIFEST`, beside them. An extension built from other
sources than the ones on disk now (an editable install whose files were edited since) must not
answer for them: when ``kg.claims`` is imported, :func:`run_sources_if_stale` sees the change
and every compiled module is then loaded from its source instead, with one warning.

This module uses the standard library only: ``setup.py`` reads :data:`COMPILED_MODULES` from
it before any dependency is installed.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

__all__ = ["COMPILED_MODULES", "ENGINE_VARIABLE", "MANIFEST", "engine_build", "is_compiled", "run_sources_if_stale",
           "source_digests", "stale_modules", "write_manifest"]

#: The modules of ``kg.claims`` that are compiled: the claim checker's hot path. ``model.py``
#: stays Python: its dataclasses are the public input types, whose constructors accept any
#: iterable of lines (a compiled class would refuse a list where it declares a tuple).
COMPILED_MODULES = ("batch", "checks", "context", "engine", "index", "rule_index", "rules", "serialize")
#: Written by ``setup.py`` beside the extensions: ``{"sources": {module: sha256 of its .py}}``.
MANIFEST = "compiled.json"
#: ``CODINGKG_ENGINE=python`` runs the Python sources where the engine is compiled.
ENGINE_VARIABLE = "CODINGKG_ENGINE"
_PACKAGE = "kg.claims"
_HERE = Path(__file__).resolve().parent


def source_digests(directory: Path, modules: Sequence[str] = COMPILED_MODULES) -> dict[str, str]:
    """The SHA-256 of each module's source in ``directory``, as ``setup.py`` records them."""
    return {name: hashlib.sha256((directory / f"{name}.py").read_bytes()).hexdigest() for name in modules}


def write_manifest(target: Path, sources: Path, modules: Sequence[str] = COMPILED_MODULES) -> None:
    """Record in ``target`` (beside the extensions) what they were compiled from: the digests
    of the sources in ``sources``. ``setup.py`` calls it after a successful compile."""
    text = json.dumps({"sources": source_digests(sources, modules)}, indent=1) + "\n"
    (target / MANIFEST).write_text(text, encoding="utf-8")


def _has_extension(directory: Path, name: str) -> bool:
    return any((directory / f"{name}{suffix}").is_file() for suffix in importlib.machinery.EXTENSION_SUFFIXES)


def is_compiled(directory: Path = _HERE, modules: Sequence[str] = COMPILED_MODULES) -> bool:
    """Whether every module has a C extension beside its source (what Python would import)."""
    return all(_has_extension(directory, name) for name in modules)


def stale_modules(directory: Path = _HERE, modules: Sequence[str] = COMPILED_MODULES) -> list[str]:
    """The compiled modules whose source changed since they were compiled (every module when
    the manifest is missing or unreadable: nothing then says what they were built from).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     folder = Path(tmp)
    ...     _ = (folder / "a.py").write_text("x = 1")
    ...     write_manifest(folder, folder, ["a"])
    ...     before = stale_modules(folder, ["a"])
    ...     _ = (folder / "a.py").write_text("x = 2")
    ...     before, stale_modules(folder, ["a"])
    ([], ['a'])
    """
    try:
        recorded = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))["sources"]
        current = source_digests(directory, modules)
    except (OSError, ValueError, KeyError, TypeError):
        return list(modules)
    return [name for name in modules if recorded.get(name) != current[name]]


class _Sources(importlib.abc.MetaPathFinder):
    """Finds the named modules' ``.py`` files ahead of their extensions."""

    def __init__(self, package: str, directory: Path, modules: Sequence[str]) -> None:
        self._paths = {f"{package}.{name}": directory / f"{name}.py" for name in modules}

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None,
                  ) -> importlib.machinery.ModuleSpec | None:
        found = self._paths.get(fullname)
        return None if found is None else importlib.util.spec_from_file_location(fullname, found)


def run_sources_if_stale(package: str = _PACKAGE, directory: Path = _HERE,
                         modules: Sequence[str] = COMPILED_MODULES) -> bool:
    """Make the package's compiled modules load from source when their sources changed since
    they were compiled, or when ``CODINGKG_ENGINE=python`` asks for the sources (to profile or
    debug the engine line by line); call it before the first of them is imported.

    Returns:
        Whether the sources will run instead of the extensions.
    """
    compiled = [_has_extension(directory, name) for name in modules]
    if not any(compiled):
        return False
    if os.environ.get(ENGINE_VARIABLE, "").strip().lower() == "python":
        sys.meta_path.insert(0, _Sources(package, directory, modules))
        return True
    if all(compiled):
        stale = stale_modules(directory, modules)
        if not stale:
            return False
        why = f"{', '.join(f'{package}.{name}' for name in stale)} changed since it was compiled"
    else:  # some extensions missing: the compiled modules call one another, so none may run
        why = f"{', '.join(f'{package}.{n}' for n, c in zip(modules, compiled, strict=True) if not c)} is not compiled"
    sys.meta_path.insert(0, _Sources(package, directory, modules))
    warnings.warn(f"{why}: running the claim engine from its Python sources (rebuild with 'pip install -e .' to "
                  "compile it again)", RuntimeWarning, stacklevel=2)
    return True


def engine_build() -> str:
    """How this install runs the claim checker: ``"compiled"`` (C extensions built with mypyc at
    install time) or ``"python"``. Both answer the same; the compiled one is faster.

    >>> engine_build() in ("compiled", "python")
    True
    """
    engine = sys.modules.get(f"{_PACKAGE}.engine")
    origin = getattr(engine, "__file__", None) or ""
    return "compiled" if origin.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)) else "python"
