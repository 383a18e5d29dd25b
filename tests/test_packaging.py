"""What a user deploys: the Dockerfile matches the README, the wheel carries data, licence and types."""

from __future__ import annotations

import importlib.machinery
import json
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path
from typing import Any

from kg.claims.build_info import COMPILED_MODULES, ENGINE_VARIABLE, MANIFEST, source_digests
from kg.graph import KnowledgeGraph
from tests.published.cases import load_cases

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = (REPO / "Dockerfile").read_text(encoding="utf-8")
README = (REPO / "README.md").read_text(encoding="utf-8")


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (keyword, argument), continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    found = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, argument = line.strip().partition(" ")
            found.append((keyword.upper(), argument.strip()))
    return found


def _section(title: str) -> str:
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _bash_blocks(text: str) -> list[list[str]]:
    return [[line.split("#", 1)[0].strip() for line in block.strip().splitlines() if line.split("#", 1)[0].strip()]
            for block in re.findall(r"```bash\n(.*?)```", text, re.S)]


def _without_pip_flags(command: str) -> str:
    words = shlex.split(command)
    return " ".join(w for w in words if w not in ("--no-cache-dir", "--quiet", "-q"))


def test_the_dockerfile_installs_with_the_readme_steps() -> None:
    runs = [a for k, a in _instructions() if k == "RUN"]
    steps = [_without_pip_flags(part.strip()) for run in runs for part in run.split("&&")
             if part.strip().startswith(("pip ", "codingkg "))]
    install_block = next(b for b in _bash_blocks(_section("Deploying")) if any(c.startswith("pip ") for c in b))
    assert steps == install_block == ["pip install .[fast]", "codingkg build"]


def test_the_readme_docker_lines_match_the_image() -> None:
    commands = [c for block in _bash_blocks(_section("Deploying")) for c in block if c.startswith("docker ")]
    build = next(c for c in commands if c.startswith("docker build"))
    run = next(c for c in commands if c.startswith("docker run"))
    assert build == "docker build -t codingkg ."
    exposed = next(a for k, a in _instructions() if k == "EXPOSE")
    assert f"-p {exposed}:{exposed}" in run and run.endswith(" codingkg")
    assert f"#   {build}" in DOCKERFILE and "#   docker run --rm -p 8000:8000 codingkg" in DOCKERFILE


def test_the_image_is_slim_non_root_healthy_and_listens_on_all_interfaces() -> None:
    instructions = _instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    users = [a for k, a in instructions if k == "USER"]
    assert users and users[-1] not in ("root", "0")
    health = next(a for k, a in instructions if k == "HEALTHCHECK")
    assert "/healthz" in health
    env = " ".join(a for k, a in instructions if k == "ENV")
    assert "CODINGKG_HOST=0.0.0.0" in env
    # The graph is compiled at build time, by the user that serves it (so the cache is its own).
    keywords = [k if k != "RUN" else f"RUN {a}" for k, a in instructions]
    assert keywords.index("RUN codingkg build") > keywords.index("USER")
    assert instructions[-1] == ("CMD", '["codingkg", "serve"]')
    # The image builds from the files a package build reads, setup.py (the compiled engine) among them.
    copied = {word.rstrip("/") for k, a in instructions if k == "COPY" for word in a.split()[:-1]}
    assert copied == set(PACKAGE_FILES)


def test_the_licence_is_the_full_apache_text() -> None:
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text and "END OF TERMS AND CONDITIONS" in text


#: What a package build reads (the Dockerfile copies the same).
PACKAGE_FILES = ["pyproject.toml", "setup.py", "README.md", "LICENSE", "CHANGELOG.md", "codingkg", "kg", "server", "ontology"]


def _wheel(folder: Path, compile_engine: bool) -> Path:
    """A wheel built from a copy of the package's files (pip builds in the source tree, and two
    builds at once in the checkout would share its build folder)."""
    source = folder / "source"
    skip = shutil.ignore_patterns("__pycache__", "*.so", "*.pyd", MANIFEST)
    for name in PACKAGE_FILES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=skip)
        else:
            source.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    env = {**os.environ, "CODINGKG_COMPILE": "1" if compile_engine else "0"}
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(source), "-w", str(folder)],
                   check=True, capture_output=True, timeout=600, env=env)
    (wheel,) = folder.glob("codingkg-*.whl")
    return wheel


def test_the_wheel_carries_the_cms_files_licence_and_type_markers(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path, compile_engine=False)
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"ontology/cms/{p.name}" for p in (REPO / "ontology" / "cms").iterdir()}
    assert shipped == {"ontology/cms/PPRRVU2025_Oct.csv", "ontology/cms/opps-addendum-b-2026-04-reduced.csv",
                       "ontology/cms/SHA256SUMS"}
    assert shipped <= names
    assert {"kg/py.typed", "server/py.typed", "codingkg/__main__.py", "codingkg/py.typed"} <= names
    assert any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith(".dist-info/LICENSE") for n in names)


def _can_compile() -> bool:
    """A C compiler and the Python headers: what setup.py needs to compile the claim engine."""
    compiler = (sysconfig.get_config_var("CC") or "").split()
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    return bool(compiler) and shutil.which(compiler[0]) is not None and headers.is_file()


def _claims(kg: KnowledgeGraph, count: int) -> list[dict[str, Any]]:
    """Every published claim case, then ten-line claims drawn over the graph's codes, units,
    modifiers, claim types, payers, places and dates."""
    claims = [case.data["input"] for case in load_cases() if case.kind == "claim"]
    rng = random.Random(21)
    codes = sorted(c.code for c in kg.codes())
    modifiers = sorted(m.code for m in kg.modifiers())
    for _ in range(count):
        lines = [{"code": rng.choice(codes), "units": rng.choice((0, 1, 1, 2, 3, 8, 40)),
                  "modifiers": rng.sample(modifiers, rng.choice((0, 0, 1, 2)))} for _ in range(rng.randint(1, 10))]
        claims.append({"payer": rng.choice(("medicare", "medicaid", "commercial", "unknown-payer")),
                       "claimType": rng.choice(("PROFESSIONAL", "FACILITY_OUTPATIENT", "FACILITY_INPATIENT")),
                       "placeOfService": rng.choice(("11", "22", "19", "99")),
                       "dateOfService": rng.choice(("2024-01-02", "2025-11-03", "2026-06-01")), "lines": lines})
    return claims


def _check(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "codingkg", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600, check=False)


def test_the_compiled_engine_installs_where_it_can_and_answers_as_the_sources(
        tmp_path: Path, kg: KnowledgeGraph) -> None:
    wheel = _wheel(tmp_path / "wheel", compile_engine=True)
    names = set(zipfile.ZipFile(wheel).namelist())
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    extensions = {f"kg/claims/{name}{suffix}" for name in COMPILED_MODULES}
    # Compiled wherever a compiler is at hand: a build that silently fell back to Python fails here.
    assert (extensions <= names) is _can_compile()
    if extensions <= names:
        recorded = json.loads(zipfile.ZipFile(wheel).read(f"kg/claims/{MANIFEST}"))["sources"]
        assert recorded == source_digests(REPO / "kg" / "claims")

    installed = tmp_path / "installed"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(installed),
                    str(wheel)], check=True, capture_output=True, timeout=300)
    claims = _claims(kg, 300)
    batch = tmp_path / "claims.jsonl"
    batch.write_text("".join(json.dumps(c) + "\n" for c in claims), encoding="utf-8")
    document = tmp_path / "claims.json"  # a JSON document runs through the GraphQL schema, not the batch path
    document.write_text(json.dumps(claims[:40]), encoding="utf-8")
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps(claims[0]) + "\n" + json.dumps({**claims[1], "lines": [{"code": 7}]}) + "\n",
                      encoding="utf-8")
    # The wheel's engine (cwd outside the checkout), and this checkout's sources as Python.
    wheel_env = {**os.environ, "PYTHONPATH": str(installed), "CODINGKG_CACHE_DIR": str(tmp_path / "cache-wheel")}
    wheel_env.pop(ENGINE_VARIABLE, None)
    source_env = {**os.environ, ENGINE_VARIABLE: "python", "CODINGKG_CACHE_DIR": str(tmp_path / "cache-source")}
    version = _check(["--version"], tmp_path, wheel_env).stdout
    assert f"(claim engine: {'compiled' if _can_compile() else 'python'})" in version
    assert "(claim engine: python)" in _check(["--version"], REPO, source_env).stdout
    for args in (["check", str(batch), "--jsonl"], ["check", str(document)], ["check", str(broken), "--jsonl"]):
        from_wheel, from_sources = _check(args, tmp_path, wheel_env), _check(args, REPO, source_env)
        assert (from_wheel.returncode, from_wheel.stdout, from_wheel.stderr) == \
            (from_sources.returncode, from_sources.stdout, from_sources.stderr), args
        expected_statuses = {2} if args[1] == str(broken) else {0, 1}  # 2: the batch is refused
        assert from_wheel.returncode in expected_statuses
    outputs = _check(["check", str(batch), "--jsonl"], tmp_path, wheel_env).stdout.splitlines()
    assert len(outputs) == len(claims)
    assert {f["rule"] for line in outputs for f in json.loads(line)["findings"]} >= {
        "ADDON_WITHOUT_PRIMARY", "BUNDLED", "INVALID_UNITS", "MUE_EXCEEDED", "NO_DATA", "PACKAGED"}
