"""What a user deploys: the Dockerfile matches the README, the wheel carries data, licence and types."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

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


def test_the_licence_is_the_full_apache_text() -> None:
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text and "END OF TERMS AND CONDITIONS" in text


def test_the_wheel_carries_the_cms_files_licence_and_type_markers(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(REPO),
                    "-w", str(tmp_path)], check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("codingkg-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"ontology/cms/{p.name}" for p in (REPO / "ontology" / "cms").iterdir()}
    assert shipped == {"ontology/cms/PPRRVU2025_Oct.csv", "ontology/cms/opps-addendum-b-2026-04-reduced.csv",
                       "ontology/cms/SHA256SUMS"}
    assert shipped <= names
    assert {"kg/py.typed", "server/py.typed", "codingkg/__main__.py", "codingkg/py.typed"} <= names
    assert any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith(".dist-info/LICENSE") for n in names)
