"""Compiled snapshots: reused when inputs are unchanged, rebuilt when they change, never trusted blindly."""

from __future__ import annotations

import logging
import os
import pickle
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg import lookup, snapshot
from kg.graph import KnowledgeGraph
from kg.load import load_graph
from ontology import default_files


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("CODINGKG_CACHE_DIR", str(directory))
    monkeypatch.setenv("CODINGKG_SNAPSHOT_KEY", str(tmp_path / "config" / "snapshot.key"))
    return directory


@pytest.fixture
def layers(tmp_path: Path) -> list[list[Path]]:
    extra = tmp_path / "extra.ttl"
    extra.write_text("", encoding="utf-8")
    return [default_files(), [extra]]


class _Counting:
    """Stands in for ``load_graph`` and counts the parses (the real one still runs)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, layers):
        self.calls += 1
        return load_graph(layers)


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> _Counting:
    counting = _Counting()
    monkeypatch.setattr(snapshot, "load_graph", counting)
    return counting


def _only_snapshot(cache: Path) -> Path:
    files = list(cache.glob("graph-*.snap"))
    assert len(files) == 1, files
    return files[0]


def test_snapshot_is_written_reused_and_invalidated_by_content(cache: Path, layers, parses: _Counting) -> None:
    first = snapshot.cached_load(layers)
    assert parses.calls == 1
    _only_snapshot(cache)
    second = snapshot.cached_load(layers)
    assert parses.calls == 1  # served from the snapshot, no parsing
    assert second.graph.number_of_edges() == first.graph.number_of_edges()

    extra = layers[1][0]
    os.utime(extra, (1, 1))  # a new mtime alone is not a new input
    snapshot.cached_load(layers)
    assert parses.calls == 1
    extra.write_text("# changed\n", encoding="utf-8")
    os.utime(extra, (1, 1))  # content changed, mtime put back: still a new input
    snapshot.cached_load(layers)
    assert parses.calls == 2


def _index_of(index) -> tuple[dict, dict, dict, list]:
    return index.codes, index.of_type, index.words, [sorted(index.prefixes.hits(w)) for w in ("infus", "9636", "x")]


def test_snapshot_holds_the_code_index(cache: Path, layers, parses: _Counting, monkeypatch: pytest.MonkeyPatch) -> None:
    written = snapshot.cached_load(layers)
    fresh = lookup.build_index(load_graph(layers).graph)
    assert written.index is not None and fresh.words["infusion"]
    assert _index_of(written.index) == _index_of(fresh)

    def no_rebuild(_graph):
        raise AssertionError("rebuilt the code index although the snapshot holds it")

    monkeypatch.setattr(lookup, "build_index", no_rebuild)
    read = snapshot.cached_load(layers)
    assert parses.calls == 1  # from the snapshot
    assert _index_of(read.index) == _index_of(fresh)
    kg = KnowledgeGraph(read)
    assert [c.code for c in kg.search("concurrent infusion")] == ["96368"]
    assert kg.code_iri("j1100") == fresh.codes["J1100"]


def test_snapshot_of_the_previous_format_is_rebuilt_not_read(cache: Path, layers, parses: _Counting,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # Written exactly as the previous version did: its format line, a valid tag, a graph without indexes.
    old = load_graph(layers)
    key = snapshot.snapshot_key(layers)
    target = snapshot.snapshot_path(cache, key)
    cache.mkdir(mode=0o700)
    secret = snapshot._secret(cache)
    assert secret is not None
    with monkeypatch.context() as patch:
        patch.setattr(snapshot, "_MAGIC", b"codingkg-snapshot-v2\n")
        snapshot._write(target, secret, key, old)
        assert snapshot._read(target, secret, key).index is None  # a well-formed file of the old format
    result = snapshot.cached_load(layers)
    assert parses.calls == 1 and result.index is not None
    assert target.read_bytes().startswith(snapshot._MAGIC) and snapshot._MAGIC != b"codingkg-snapshot-v2\n"
    assert snapshot.cached_load(layers).index is not None and parses.calls == 1


def test_cache_directory_and_key_are_private(cache: Path, layers, tmp_path: Path) -> None:
    snapshot.cached_load(layers)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    key = tmp_path / "config" / "snapshot.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not key.resolve().is_relative_to(cache.resolve())


def test_planted_pickle_does_not_execute(cache: Path, layers, tmp_path: Path, parses: _Counting) -> None:
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (Path.write_text, (marker, "ran"))

    body = pickle.dumps(Payload())
    pickle.loads(body)  # the payload is live: plain unpickling runs it
    assert marker.read_text() == "ran"
    marker.unlink()
    key = snapshot.snapshot_key(layers)
    target = snapshot.snapshot_path(cache, key)
    cache.mkdir(mode=0o700)
    # A bare pickle, and one dressed in the snapshot header with a forged tag, at the exact name.
    for planted in (body, snapshot._MAGIC + bytes(32) + body):
        target.write_bytes(planted)
        result = snapshot.cached_load(layers)
        assert not marker.exists()
        assert result.graph.number_of_nodes() > 100
    assert parses.calls == 2  # each time rebuilt from RDF
    assert target.read_bytes().startswith(snapshot._MAGIC) and body not in target.read_bytes()


def test_flipped_byte_is_rebuilt_not_loaded(cache: Path, layers, parses: _Counting) -> None:
    expected = snapshot.cached_load(layers)
    target = _only_snapshot(cache)
    data = bytearray(target.read_bytes())
    for position in (len(data) // 2, len(data) - 1, 30):  # payload middle, payload end, inside the tag
        flipped = bytearray(data)
        flipped[position] ^= 0x10
        target.write_bytes(bytes(flipped))
        calls = parses.calls
        again = snapshot.cached_load(layers)
        assert parses.calls == calls + 1
        assert sorted(again.graph.edges(keys=True)) == sorted(expected.graph.edges(keys=True))


def test_any_read_failure_rebuilds(cache: Path, layers, parses: _Counting, monkeypatch: pytest.MonkeyPatch) -> None:
    snapshot.cached_load(layers)
    target = _only_snapshot(cache)

    def broken(_handle):
        raise RecursionError("an error type nobody lists")

    monkeypatch.setattr(snapshot.pickle, "load", broken)
    result = snapshot.cached_load(layers)
    assert result.graph.number_of_nodes() > 100 and parses.calls == 2
    monkeypatch.undo()
    monkeypatch.setenv("CODINGKG_CACHE_DIR", str(cache))
    assert target.exists()  # rewritten by the rebuild, readable again


@pytest.mark.parametrize("problem", ["group-writable", "foreign owner"])
def test_unsafe_cache_directory_is_refused(cache: Path, layers, problem: str, monkeypatch: pytest.MonkeyPatch,
                                           caplog: pytest.LogCaptureFixture) -> None:
    cache.mkdir(mode=0o700)
    if problem == "group-writable":
        cache.chmod(0o770)
    else:
        owner = cache.stat().st_uid
        monkeypatch.setattr(snapshot.os, "geteuid", lambda: owner + 1)
    with caplog.at_level(logging.WARNING, logger="kg.snapshot"):
        result = snapshot.cached_load(layers)
    assert result.graph.number_of_nodes() > 100
    assert list(cache.iterdir()) == []
    assert "refusing" in caplog.text


def test_old_snapshots_and_killed_writers_are_pruned(cache: Path, layers) -> None:
    cache.mkdir(mode=0o700)
    for n in range(6):
        old = cache / f"graph-{n:032x}.snap"
        old.write_bytes(b"old")
        os.utime(old, (1000 + n, 1000 + n))
    (cache / "graph-0123.pickle").write_bytes(b"unsigned format")
    killed = cache / ".graph-999999999-abc.tmp"
    killed.write_bytes(b"half")
    running = cache / f".graph-{os.getpid()}-def.tmp"
    running.write_bytes(b"in progress")
    snapshot.cached_load(layers)
    names = sorted(p.name for p in cache.iterdir())
    snaps = [n for n in names if n.endswith(".snap")]
    assert len(snaps) == snapshot.KEEP_SNAPSHOTS
    assert f"graph-{snapshot.snapshot_key(layers)}.snap" in snaps
    assert "graph-00000000000000000000000000000005.snap" in snaps  # the newest old one stays
    assert "graph-0123.pickle" not in names and killed.name not in names
    assert running.name in names


def test_unwritable_cache_only_costs_speed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv("CODINGKG_CACHE_DIR", str(blocker / "cache"))
    result = snapshot.cached_load([default_files()])
    assert result.graph.number_of_nodes() > 100


@given(data=st.data())
@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_damage_to_a_snapshot_rebuilds_the_same_graph(tmp_path_factory: pytest.TempPathFactory, data) -> None:
    from ontology import VOCABULARY_FILE

    root = tmp_path_factory.mktemp("snapshot-fuzz")
    environ = {"CODINGKG_CACHE_DIR": str(root / "cache"), "CODINGKG_SNAPSHOT_KEY": str(root / "key")}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environ.items():
            patch.setenv(name, value)
        layers = [[VOCABULARY_FILE]]
        intact = snapshot.cached_load(layers)
        (target,) = (root / "cache").glob("graph-*.snap")
        raw = target.read_bytes()
        if data.draw(st.booleans()):
            damaged = raw[: data.draw(st.integers(0, len(raw) - 1))]
        else:
            position = data.draw(st.integers(0, len(raw) - 1))
            damaged = raw[:position] + bytes([raw[position] ^ (1 << data.draw(st.integers(0, 7)))]) + raw[position + 1:]
        target.write_bytes(damaged)
        again = snapshot.cached_load(layers)
        assert sorted(again.graph.edges(keys=True)) == sorted(intact.graph.edges(keys=True))
        assert dict(again.graph.nodes(data=True)) == dict(intact.graph.nodes(data=True))
        # The damaged file was replaced by a good one: the next load needs no parsing.
        patch.setattr(snapshot, "load_graph", _no_parsing)
        assert snapshot.cached_load(layers).triples == intact.triples


def _no_parsing(_layers: object) -> None:
    raise AssertionError("parsed RDF although a valid snapshot was there")
