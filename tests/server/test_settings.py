"""Settings through the environment (how worker processes get them) and the serve command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from codingkg.cli import build_parser
from server.settings import ServerSettings


def test_settings_round_trip_through_the_environment() -> None:
    settings = ServerSettings(data_dirs=(Path("/srv/a"), Path("/srv/b")), cors_origins=("https://a.example", "*"),
                              introspection=False, graphiql=False, max_body_bytes=4096, use_cache=False)
    assert ServerSettings.from_env(settings.to_env()) == settings
    assert ServerSettings.from_env({}) == ServerSettings()


def test_bad_body_cap_in_the_environment_is_refused() -> None:
    with pytest.raises(ValueError, match="MAX_BODY_BYTES must be positive"):
        ServerSettings.from_env({"CODINGKG_SERVER_MAX_BODY_BYTES": "0"})


def test_serve_options() -> None:
    args = build_parser().parse_args([
        "serve", "--host", "127.0.0.1", "--port", "8123", "--data", "r1", "--data", "r2", "--workers", "2",
        "--cors-origin", "https://a.example", "--no-introspection", "--no-graphiql",
    ])
    assert (args.host, args.port, args.workers) == ("127.0.0.1", 8123, 2)
    assert args.data == [Path("r1"), Path("r2")]
    assert args.cors_origin == ["https://a.example"]
    assert args.no_introspection and args.no_graphiql
    defaults = build_parser().parse_args(["serve"])
    assert (defaults.host, defaults.port, defaults.workers, defaults.data) == ("127.0.0.1", 8000, 1, [])
    assert not defaults.no_introspection and not defaults.no_graphiql


def test_serve_refuses_zero_workers(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--workers", "0"])
    assert "must be at least 1" in capsys.readouterr().err
