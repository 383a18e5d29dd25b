"""``codingkg code ENCOUNTER.json``: JSON out, exit 2 with a clear message on bad input."""

from __future__ import annotations

import json

import pytest

from codingkg.cli import main
from kg.verify import seal_release

SCENARIO_1 = {"perspective": "FACILITY", "date": "2026-04-10", "administrations": [
    {"id": "a", "substance": "carboplatin", "category": "CHEMOTHERAPY", "route": "IV_INFUSION",
     "start": "09:00", "stop": "09:45"},
    {"id": "b", "substance": "ondansetron", "category": "THERAPEUTIC", "route": "IV_INFUSION",
     "start": "09:00", "stop": "09:30"}]}


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CODINGKG_CACHE_DIR", str(tmp_path / "cache"))


@pytest.mark.parametrize("wrap", [False, True])
def test_codes_a_file(tmp_path, capsys, wrap):
    path = tmp_path / "encounter.json"
    path.write_text(json.dumps({"encounter": SCENARIO_1} if wrap else SCENARIO_1))
    assert main(["code", str(path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(x["code"], x["units"], x["administrations"]) for x in out["lines"]] == [
        ("96413", 1, ["a"]), ("96368", 1, ["b"])]
    assert all(f["rule"] and f["severity"] in ("ERROR", "WARNING", "INFO") for f in out["findings"])


def test_record_problems_are_findings_in_the_output(tmp_path, capsys):
    bad_time = json.loads(json.dumps(SCENARIO_1))
    bad_time["administrations"][1]["stop"] = "25:99"
    path = tmp_path / "encounter.json"
    path.write_text(json.dumps(bad_time))
    assert main(["code", str(path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [x["code"] for x in out["lines"]] == ["96413"]
    assert out["findings"][0]["rule"] == "TIME_INVALID"


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "is not valid JSON"),
    (json.dumps({**SCENARIO_1, "perspective": "NURSE"}), "invalid encounter: Variable '$encounter' has invalid value at "
     ".perspective: Value 'NURSE'"),
    (json.dumps({"perspective": "FACILITY", "administrations": [
        {**SCENARIO_1["administrations"][0], "category": "CHEMO"}]}), "administrations[0].category: Value 'CHEMO'"),
])
def test_bad_input_exits_2_with_a_message(tmp_path, capsys, content, message):
    path = tmp_path / "encounter.json"
    path.write_text(content)
    assert main(["code", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and message in captured.err and "Traceback" not in captured.err


def test_missing_file_exits_2(tmp_path, capsys):
    assert main(["code", str(tmp_path / "absent.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_unreadable_release_directory_exits_2(tmp_path, capsys):
    path = tmp_path / "encounter.json"
    path.write_text(json.dumps(SCENARIO_1))
    release = tmp_path / "release"
    release.mkdir()
    (release / "broken.ttl").write_text("this is not turtle")
    seal_release(release)  # sealed as it is: the manifest matches, the parser is what refuses it
    assert main(["code", str(path), "--data", str(release)]) == 2
    assert "cannot load the graph" in capsys.readouterr().err
