"""The embedded CMS baseline: checked against its sums, imported once, lowest of the layers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import kg.baseline as baseline
from kg.baseline import BASELINE_DIR, BaselineError, baseline_inputs, baseline_release
from kg.graph import KnowledgeGraph
from kg.importers.release import import_files


def test_shipped_files_match_their_recorded_sums() -> None:
    assert [p.name for p in baseline_inputs()] == ["PPRRVU2025_Oct.csv", "opps-addendum-b-2026-04-reduced.csv"]


def test_an_altered_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "cms"
    shutil.copytree(BASELINE_DIR, copy)
    with (copy / "opps-addendum-b-2026-04-reduced.csv").open("ab") as handle:
        handle.write(b'"J9999","","K",,false,"2026-04"\r\n')
    monkeypatch.setattr(baseline, "BASELINE_DIR", copy)
    with pytest.raises(BaselineError, match=r"opps-addendum-b-2026-04-reduced\.csv: sha256 [0-9a-f]{64} differs"):
        baseline_inputs()


def test_an_unwritable_cache_imports_to_a_temporary_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    monkeypatch.setenv("CODINGKG_CACHE_DIR", str(blocked))
    monkeypatch.setattr(baseline, "_memo", {})
    release = baseline_release()
    assert release.name == "cms-baseline" and not release.is_relative_to(blocked)
    assert (release / "manifest.json").is_file()


def test_layers_curated_over_baseline_and_a_release_over_both(kg: KnowledgeGraph, tmp_path: Path) -> None:
    # The default graph: curated 96368 keeps its own title and its curated fee schedule fact.
    code = kg.code("96368")
    assert code is not None and code.title_source == "CURATED"
    mpfs = [p for p in kg.payment_statuses("96368") if p.payment_system == "MPFS"]
    assert len(mpfs) == 1 and "cms-baseline" not in mpfs[0].sources[0].iri
    before = {p.payment_system: p.status for p in kg.payment_statuses("J9999")}
    assert before == {"MPFS": "E", "OPPS": "N"}  # the shipped files' values (PPRRVU status, Addendum B SI)
    # A newer release layered with --data wins over the baseline for what it states.
    addendum = tmp_path / "addendum-b-2026-07.csv"
    addendum.write_text('HCPCSCode,ShortDescriptor,StatusIndicator,PaymentRate,Changed?,Source\n'
                        '"J9999","Chemotherapy drug","K",,true,"2026-07"\n', encoding="utf-8")
    import_files([addendum], tmp_path / "2026-q3")
    layered = KnowledgeGraph.default([tmp_path / "2026-q3"])
    assert layered.release().layers == ("cms-baseline", "curated", "2026-q3")
    after = {p.payment_system: p.status for p in layered.payment_statuses("J9999")}
    assert after == {"MPFS": "E", "OPPS": "K"}


def test_same_data_same_version(kg: KnowledgeGraph, tmp_path: Path) -> None:
    """Another server with copies of the same files (other paths, other times) reports the same version."""
    from kg.layers import default_layers

    layers = default_layers()
    copies = []
    for index, files in enumerate(layers.files):
        (tmp_path / str(index)).mkdir()
        copies.append([Path(shutil.copy(p, tmp_path / str(index) / p.name)) for p in files])
    again = KnowledgeGraph.from_layers(copies, layers.names)
    assert again.release().version == kg.release().version
    assert again.release().built_at >= kg.release().built_at  # when its data was built


def test_other_data_other_version(curated: KnowledgeGraph, tmp_path: Path) -> None:
    from kg.layers import default_layers

    files = list(default_layers(baseline=False).files[0])
    changed = Path(shutil.copy(files[-1], tmp_path / files[-1].name))
    changed.write_text(changed.read_text(encoding="utf-8") + "\n# one more line\n", encoding="utf-8")
    other = KnowledgeGraph.from_layers([[*files[:-1], changed]])
    assert other.release().version != curated.release().version


_IMPORT_THEN_HOLD = """
import sys, time
from kg.baseline import verified_baseline
release = verified_baseline()
time.sleep(1.0)  # the window in which a second importer would replace the directory
release.check_unchanged()
print(release.directory)
"""


def test_processes_starting_on_an_empty_cache_share_one_import(tmp_path: Path) -> None:
    """Test workers and forked servers start together: none may replace the release another is loading."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "CODINGKG_CACHE_DIR": str(tmp_path / "cache")}
    runs = [subprocess.Popen([sys.executable, "-c", _IMPORT_THEN_HOLD], env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    results = [(run.wait(timeout=120), *run.communicate()) for run in runs]
    assert [code for code, _, _ in results] == [0, 0, 0, 0], [err for _, _, err in results]
    assert len({out.strip() for _, out, _ in results}) == 1
