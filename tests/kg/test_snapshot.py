"""Compiled snapshots: reused when inputs are unchanged, rebuilt when they change."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg import snapshot
from ontology import default_files


def test_snapshot_is_written_reused_and_invalidated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODINGKG_CACHE_DIR", str(tmp_path / "cache"))
    extra = tmp_path / "extra.ttl"
    extra.write_text("", encoding="utf-8")
    layers = [default_files(), [extra]]
    first = snapshot.cached_load(layers)
    files = list((tmp_path / "cache").glob("graph-*.snap"))
    assert len(files) == 1

    calls: list[object] = []
    monkeypatch.setattr(snapshot, "load_graph", lambda layers: calls.append(layers))
    second = snapshot.cached_load(layers)
    assert calls == []  # served from the snapshot, no parsing
    assert second.graph.number_of_edges() == first.graph.number_of_edges()

    extra.write_text("# changed\n", encoding="utf-8")
    snapshot.cached_load(layers)
    assert len(calls) == 1  # a changed input is parsed again


def test_unwritable_cache_only_costs_speed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv("CODINGKG_CACHE_DIR", str(blocker / "cache"))
    result = snapshot.cached_load([default_files()])
    assert result.graph.number_of_nodes() > 100
