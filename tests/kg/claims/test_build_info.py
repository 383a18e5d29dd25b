"""The compiled claim engine never answers for sources it was not built from (kg/claims/build_info.py)."""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.claims import build_info
from kg.claims import engine as loaded_engine
from kg.claims.build_info import MANIFEST, engine_build, is_compiled, run_sources_if_stale, stale_modules, write_manifest

# Not a C extension: importing it as one fails, so a test can tell which file was loaded.
_BROKEN_EXTENSION = b"\x7fELF not really a shared library"


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A package ``fakeengine`` whose two modules each have a source and an "extension" beside it."""
    folder = tmp_path / "fakeengine"
    folder.mkdir()
    (folder / "__init__.py").write_text("", encoding="utf-8")
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    for name in ("alpha", "beta"):
        (folder / f"{name}.py").write_text(f"WHERE = 'source of {name}'\n", encoding="utf-8")
        (folder / f"{name}{suffix}").write_bytes(_BROKEN_EXTENSION)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))  # finders added by a test go with it
    monkeypatch.delenv(build_info.ENGINE_VARIABLE, raising=False)
    yield folder
    for name in [m for m in sys.modules if m == "fakeengine" or m.startswith("fakeengine.")]:
        del sys.modules[name]


def _record(folder: Path) -> None:
    write_manifest(folder, folder, ["alpha", "beta"])


def test_a_fresh_build_runs_its_extensions(package: Path) -> None:
    _record(package)
    assert is_compiled(package, ["alpha", "beta"])
    assert stale_modules(package, ["alpha", "beta"]) == []
    assert run_sources_if_stale("fakeengine", package, ["alpha", "beta"]) is False
    with pytest.raises(ImportError):  # the "extension" is what Python loads, as it would a real one
        importlib.import_module("fakeengine.alpha")


def test_an_edited_source_runs_instead_of_its_stale_extension(package: Path) -> None:
    _record(package)
    (package / "beta.py").write_text("WHERE = 'edited source of beta'\n", encoding="utf-8")
    assert stale_modules(package, ["alpha", "beta"]) == ["beta"]
    with pytest.warns(RuntimeWarning, match=r"fakeengine\.beta changed since it was compiled"):
        assert run_sources_if_stale("fakeengine", package, ["alpha", "beta"]) is True
    # Every compiled module runs from source (one compiled module cannot call into another's
    # source), and the edited one answers with its edit.
    assert importlib.import_module("fakeengine.alpha").WHERE == "source of alpha"
    assert importlib.import_module("fakeengine.beta").WHERE == "edited source of beta"


@pytest.mark.parametrize("manifest", [None, "not json", '{"other": 1}', '{"sources": {"alpha": "0"}}'])
def test_without_a_record_of_every_source_the_extensions_do_not_run(package: Path, manifest: str | None) -> None:
    if manifest is not None:
        (package / MANIFEST).write_text(manifest, encoding="utf-8")
    assert stale_modules(package, ["alpha", "beta"]) in (["alpha", "beta"], ["beta"])
    with pytest.warns(RuntimeWarning):
        assert run_sources_if_stale("fakeengine", package, ["alpha", "beta"]) is True
    assert importlib.import_module("fakeengine.beta").WHERE == "source of beta"


def test_a_partly_compiled_engine_runs_from_source(package: Path) -> None:
    _record(package)
    (package / f"alpha{importlib.machinery.EXTENSION_SUFFIXES[0]}").unlink()  # beta's extension is left
    assert not is_compiled(package, ["alpha", "beta"])
    with pytest.warns(RuntimeWarning, match=r"fakeengine\.alpha is not compiled"):
        assert run_sources_if_stale("fakeengine", package, ["alpha", "beta"]) is True
    assert importlib.import_module("fakeengine.beta").WHERE == "source of beta"


def test_the_engine_variable_runs_the_sources_without_a_warning(package: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _record(package)
    monkeypatch.setenv(build_info.ENGINE_VARIABLE, "python")
    assert run_sources_if_stale("fakeengine", package, ["alpha", "beta"]) is True
    assert importlib.import_module("fakeengine.alpha").WHERE == "source of alpha"


def test_sources_without_extensions_need_nothing(tmp_path: Path) -> None:
    (tmp_path / "alpha.py").write_text("", encoding="utf-8")
    assert not is_compiled(tmp_path, ["alpha"])
    assert run_sources_if_stale("nothing", tmp_path, ["alpha"]) is False


def test_the_reported_build_is_the_loaded_engine() -> None:
    engine_file = Path(loaded_engine.__file__ or "")
    assert engine_build() == ("python" if engine_file.suffix == ".py" else "compiled")
    assert engine_file.parent == Path(build_info.__file__).parent
    # What setup.py compiles exists in the package, as sources.
    for name in build_info.COMPILED_MODULES:
        assert (engine_file.parent / f"{name}.py").is_file()
