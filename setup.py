"""Build hook: the claim engine compiled to C with mypyc where the machine can, pure Python otherwise.

``pyproject.toml`` holds everything else about the package; this file only adds the optional
extension modules. The engine's modules are plain, type-checked Python; mypyc (part of mypy,
which already checks them in CI) turns them into C extensions that run the same code about
1.4-2 times faster (see benchmarks/README.md). Nothing here is required:

- no C compiler or Python headers, or mypyc cannot build them: the package installs as pure
  Python, with a warning, and answers the same;
- ``CODINGKG_COMPILE=0`` in the environment skips compiling (a quick install for development).

``codingkg --version`` says which one an install runs; ``kg/claims/build_info.py`` lists the
compiled modules and keeps an extension from running once its source has changed.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
PACKAGE_DIR = Path("kg") / "claims"


def _build_info() -> Any:
    # kg/claims/build_info.py names the compiled modules; it needs only the standard library,
    # so it loads here by path (importing the kg package would need its dependencies).
    spec = importlib.util.spec_from_file_location("codingkg_build_info", HERE / PACKAGE_DIR / "build_info.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILD_INFO = _build_info()


def _warn(message: str) -> None:
    print(f"codingkg: {message}; the claim engine installs as pure Python", file=sys.stderr)


class BuildAllOrNone(build_ext):
    """Build every compiled module or none: one that failed would leave a module importing a
    shared library that is not there, so any failure removes what was built and goes on."""

    def run(self) -> None:
        if not self.extensions:
            return
        try:
            super().run()
        except Exception as err:  # compiler missing or failing: the distutils errors, OSError
            for ext in self.extensions:
                for path in (self.get_ext_fullpath(ext.name), os.path.join(self.build_lib, self.get_ext_filename(ext.name))):
                    Path(path).unlink(missing_ok=True)
            self.extensions = []
            _warn(f"compiling failed ({type(err).__name__}: {err})")
            return
        # What the extensions were compiled from, beside them (see kg/claims/build_info.py).
        target = Path(self.get_ext_fullpath("kg.claims.engine")).parent
        BUILD_INFO.write_manifest(target, HERE / PACKAGE_DIR)


def _extensions() -> list[Any]:
    if os.environ.get("CODINGKG_COMPILE", "1").strip() in ("0", "false", "no", "off"):
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        _warn("mypyc is not installed")
        return []
    # The build environment holds only the build requirements, not the runtime ones (rdflib,
    # networkx, orjson, ...): their types are unknown here and compile as Any.
    options = ["--ignore-missing-imports", "--no-warn-unused-configs"]
    try:
        sources = [str(PACKAGE_DIR / f"{name}.py") for name in BUILD_INFO.COMPILED_MODULES]
        return list(mypycify([*options, *sources], group_name="codingkg_claims"))
    except (Exception, SystemExit) as err:  # mypy reports type errors by exiting
        _warn(f"mypyc could not translate the engine ({err})")
        return []


setup(ext_modules=_extensions(), cmdclass={"build_ext": BuildAllOrNone})
