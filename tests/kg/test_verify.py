"""Release verification: what is loaded is exactly what was imported, or nothing is loaded."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from codingkg.cli import main
from kg.graph import KnowledgeGraph
from kg.importers.release import import_files, prune_work_dirs
from kg.verify import MANIFEST, ReleaseError, file_sha256, verify_release

ENCOUNTER = {"perspective": "FACILITY", "date": "2026-08-01", "administrations": [
    {"id": "a", "substance": "carboplatin", "category": "CHEMOTHERAPY", "route": "IV_INFUSION",
     "start": "09:00", "stop": "09:45"}]}
CLAIM = {"claimType": "PROFESSIONAL", "dateOfService": "2026-08-01",
         "lines": [{"code": "96413", "units": 1}, {"code": "96360", "units": 1}]}


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODINGKG_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def release(small_release: Path, tmp_path: Path) -> Path:
    """A private copy of the imported small quarter, free to damage."""
    copy = tmp_path / "release"
    shutil.copytree(small_release, copy)
    return copy


def _bulk_file(release: Path) -> Path:
    return next(p for p in sorted(release.glob("ccipra-*.bulk.ttl")))


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = main(list(argv))
    return status, capsys.readouterr().err


def test_manifest_records_every_written_file(small_release: Path) -> None:
    manifest = json.loads((small_release / MANIFEST).read_text())
    on_disk = sorted(p.name for p in small_release.iterdir() if p.name != MANIFEST)
    assert sorted(w["file"] for w in manifest["written"]) == on_disk
    for entry in manifest["written"]:
        path = small_release / entry["file"]
        assert entry["sha256"] == file_sha256(path)
        assert entry["size"] == path.stat().st_size
    facts = {w["file"]: w["facts"] for w in manifest["written"]}
    # The practitioner PTP table of the fixture has six rows, each one bulk node.
    assert facts[_bulk_file(small_release).name] == 6
    assert facts["sources.ttl"] == len(manifest["files"])
    assert verify_release(small_release).files


def test_truncated_bulk_file_is_refused_by_every_command(release: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    bulk = _bulk_file(release)
    lines = bulk.read_text().splitlines(keepends=True)
    pair = next(i for i, line in enumerate(lines) if "cpt:96413" in line and "cpt:96360" in line)
    bulk.write_text("".join(lines[:pair]))  # cut cleanly at a line boundary: still valid Turtle
    claims = tmp_path / "claims.json"
    claims.write_text(json.dumps(CLAIM))
    encounter = tmp_path / "encounter.json"
    encounter.write_text(json.dumps(ENCOUNTER))
    for argv in (["validate"], ["check", str(claims)], ["code", str(encounter)]):
        status, err = _run(capsys, *argv, "--data", str(release))
        assert status == 2, argv
        assert err.count("\n") == 1 and bulk.name in err and "truncated" in err, err
    with pytest.raises(ReleaseError, match=bulk.name):
        KnowledgeGraph.default([release])


def test_intact_release_checks_the_bundled_pair(release: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    claims = tmp_path / "claims.json"
    claims.write_text(json.dumps(CLAIM))
    status = main(["check", str(claims), "--data", str(release)])
    assert status == 1  # the column-two code is bundled: an ERROR finding
    assert "PTP" in capsys.readouterr().out


@pytest.mark.parametrize("damage", ["deleted manifest", "extra file", "missing file", "flipped byte",
                                    "manifest not JSON", "manifest without table", "escaping name"])
def test_damaged_release_is_refused_naming_the_file(release: Path, damage: str) -> None:
    manifest = release / MANIFEST
    victim = release / "codes.ttl"
    if damage == "deleted manifest":
        manifest.unlink()
        named = MANIFEST
    elif damage == "extra file":
        (release / "stray.ttl").write_text("")
        named = "stray.ttl"
    elif damage == "missing file":
        victim.unlink()
        named = "codes.ttl"
    elif damage == "flipped byte":
        data = bytearray(victim.read_bytes())
        data[len(data) // 2] ^= 0x01
        victim.write_bytes(bytes(data))
        named = "codes.ttl"
    elif damage == "manifest not JSON":
        manifest.write_text("{")
        named = MANIFEST
    elif damage == "manifest without table":
        data = json.loads(manifest.read_text())
        del data["written"]
        manifest.write_text(json.dumps(data))
        named = MANIFEST
    else:
        data = json.loads(manifest.read_text())
        data["written"][0]["file"] = "../outside.ttl"
        manifest.write_text(json.dumps(data))
        named = MANIFEST
    with pytest.raises(ReleaseError) as raised:
        verify_release(release)
    message = str(raised.value)
    assert named in message and "\n" not in message


def test_missing_or_empty_data_directory_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere"
    status, err = _run(capsys, "validate", "--data", str(missing))
    assert status == 2 and "no such release directory" in err and str(missing) in err
    empty = tmp_path / "empty"
    empty.mkdir()
    status, err = _run(capsys, "validate", "--data", str(empty))
    assert status == 2 and "empty" in err
    with pytest.raises(ReleaseError):
        KnowledgeGraph.default([empty])


def test_serve_refuses_a_release_without_manifest(release: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (release / MANIFEST).unlink()
    status, err = _run(capsys, "serve", "--port", "0", "--data", str(release))
    assert status == 2 and MANIFEST in err


def test_import_removes_work_folders_of_killed_imports(quarter_writer, tmp_path: Path) -> None:
    files = quarter_writer(tmp_path / "cms")
    out = tmp_path / "releases" / "q3"
    out.parent.mkdir()
    dead = out.parent / ".q3.999999999.abcd1234.tmp"  # no such process
    dead.mkdir()
    (dead / "half.bulk.ttl").write_text("r:1 a ck:BundledInto .\n")
    live = out.parent / f".q3.{os.getpid()}.efgh5678.tmp"  # a running import's
    live.mkdir()
    unrelated = out.parent / ".keep-me"
    unrelated.mkdir()
    import_files(files, out)
    assert not dead.exists()
    assert live.exists() and unrelated.exists()
    assert [p.name for p in out.parent.iterdir() if p.name.endswith(".tmp")] == [live.name]
    assert prune_work_dirs(out.parent) == []
    verify_release(out)


def test_a_release_replaced_while_loading_is_refused(release: Path, quarter_writer, tmp_path: Path) -> None:
    verified = verify_release(release)
    verified.check_unchanged()
    # An import over the same directory replaces every file (new inodes), as one would mid-load.
    files = quarter_writer(tmp_path / "next", version="v323r0")
    import_files(files, release)
    with pytest.raises(ReleaseError, match="changed while it was being loaded"):
        verified.check_unchanged()
    verify_release(release).check_unchanged()


def test_diff_refuses_a_damaged_release(release: Path, small_release: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (release / "codes.ttl").unlink()
    assert main(["diff", str(small_release), str(release)]) == 1
    assert "codes.ttl" in capsys.readouterr().err
