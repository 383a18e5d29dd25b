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


def test_the_answer_cache_may_be_turned_off_but_not_made_negative() -> None:
    assert ServerSettings.from_env({"CODINGKG_SERVER_ANSWER_CACHE_BYTES": "0"}).answer_cache_bytes == 0
    assert ServerSettings.from_env(ServerSettings(answer_cache_bytes=0).to_env()).answer_cache_bytes == 0
    with pytest.raises(ValueError, match="ANSWER_CACHE_BYTES must be 0 or more"):
        ServerSettings.from_env({"CODINGKG_SERVER_ANSWER_CACHE_BYTES": "-1"})
    with pytest.raises(ValueError, match="EXECUTION_THREADS must be positive"):
        ServerSettings.from_env({"CODINGKG_SERVER_EXECUTION_THREADS": "0"})


def test_serve_options() -> None:
    args = build_parser().parse_args([
        "serve", "--host", "127.0.0.1", "--port", "8123", "--data", "r1", "--data", "r2", "--workers", "2",
        "--cors-origin", "https://a.example", "--no-introspection", "--no-graphiql", "--answer-cache-mb", "0",
    ])
    assert (args.host, args.port, args.workers) == ("127.0.0.1", 8123, 2)
    assert args.data == [Path("r1"), Path("r2")]
    assert args.cors_origin == ["https://a.example"]
    assert args.no_introspection and args.no_graphiql and args.answer_cache_mb == 0
    defaults = build_parser().parse_args(["serve"])
    assert (defaults.host, defaults.port, defaults.workers, defaults.data) == ("127.0.0.1", 8000, 1, [])
    assert not defaults.no_introspection and not defaults.no_graphiql and defaults.answer_cache_mb is None


def test_serve_refuses_zero_workers(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--workers", "0"])
    assert "must be at least 1" in capsys.readouterr().err
