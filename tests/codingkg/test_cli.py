"""The command line a newcomer meets: version, ``python -m codingkg``, help, environment, one-line errors."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from codingkg.cli import ENVIRONMENT, build_parser, main
from kg import __version__
from kg.claims import engine_build
from kg.verify import seal_release

REPO = Path(__file__).resolve().parents[2]
ORDER = ["serve", "check", "code", "import", "diff", "validate", "build", "schema"]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"codingkg {__version__} (claim engine: {engine_build()})"


def test_python_dash_m_codingkg_runs_the_cli() -> None:
    done = subprocess.run([sys.executable, "-m", "codingkg", "--help"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    listed = re.findall(r"^    (\w+)\s{2,}\S", done.stdout, re.M)
    assert listed == ORDER  # a newcomer's order: serve first, the SDL last
    for name in ENVIRONMENT:
        assert name in done.stdout


def test_the_engine_package_is_not_a_command() -> None:
    # The command line lives outside the engine: ``kg`` must not import the layer above it.
    done = subprocess.run([sys.executable, "-m", "kg", "--help"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "__main__" in done.stderr


@pytest.mark.parametrize("command", ORDER)
def test_each_command_has_a_description_an_example_and_exit_statuses(command: str) -> None:
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices[command]  # type: ignore[union-attr]
    text = sub.format_help()
    assert sub.description and "\n" not in sub.description
    assert re.search(rf"example:\n  codingkg {command}\b", text), text
    assert re.search(r"exit status:\n  0\b", text), text


def test_serve_options_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODINGKG_HOST", "0.0.0.0")
    monkeypatch.setenv("CODINGKG_PORT", "9100")
    monkeypatch.setenv("CODINGKG_WORKERS", "3")
    monkeypatch.setenv("CODINGKG_INTROSPECTION", "0")
    monkeypatch.setenv("CODINGKG_GRAPHIQL", "off")
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.workers, args.no_introspection, args.no_graphiql) == ("0.0.0.0", 9100, 3, True, True)
    args = build_parser().parse_args(["serve", "--port", "9200", "--host", "127.0.0.1"])
    assert (args.host, args.port) == ("127.0.0.1", 9200)  # the option wins over the environment


def test_data_and_cors_from_the_environment_reach_the_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import server.serve

    seen = {}

    def fake_serve(settings, **options):  # records what serve would run with
        seen.update(settings=settings, **options)
        return 0  # serve returns the exit status

    monkeypatch.setattr(server.serve, "serve", fake_serve)
    monkeypatch.setenv("CODINGKG_DATA", f"{tmp_path / 'a'}{__import__('os').pathsep}{tmp_path / 'b'}")
    monkeypatch.setenv("CODINGKG_CORS_ORIGINS", "https://a.example, https://b.example")
    assert main(["serve"]) == 0
    assert seen["settings"].data_dirs == (tmp_path / "a", tmp_path / "b")
    assert seen["settings"].cors_origins == ("https://a.example", "https://b.example")
    assert main(["serve", "--data", str(tmp_path / "c")]) == 0
    assert seen["settings"].data_dirs == (tmp_path / "c",)


@pytest.mark.parametrize(("argv", "env", "message"), [
    (["serve", "--port", "70000"], {}, "argument --port: port must be 0-"),
    (["serve"], {"CODINGKG_PORT": "http"}, "argument --port: not a port number: 'http'"),
    (["serve", "--workers", "0"], {}, "argument --workers: must be at least 1"),
])
def test_bad_serve_options_are_one_line(argv: list[str], env: dict[str, str], message: str,
                                         capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stop:
        main(argv)
    err = capsys.readouterr().err
    assert stop.value.code == 2 and message in err
    assert err.count("\n") == 1 and err.startswith("codingkg serve: error:")


def test_a_port_in_use_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err == f"codingkg serve: cannot listen on 127.0.0.1:{port}: Address already in use\n"


def test_bad_turtle_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    release = tmp_path / "release"
    release.mkdir()
    (release / "broken.ttl").write_text("this is not turtle")
    seal_release(release)  # sealed, so the load (not the verification) is what fails
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert main(["serve", "--port", str(port), "--data", str(release)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"codingkg serve: cannot load the graph: {release / 'broken.ttl'}:")
    assert err.count("\n") == 1 and "Traceback" not in err
