"""``codingkg check CLAIMS.json``: JSON out, exit 0 all valid, 1 any ERROR, 2 bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from codingkg.cli import main

REPO = Path(__file__).resolve().parents[2]

VALID = {"claimType": "PROFESSIONAL", "placeOfService": "11", "dateOfService": "2026-06-01",
         "lines": [{"code": "99214", "modifiers": ["25"]}, {"code": "96365"}, {"code": "96368"}]}
INVALID = {"claimType": "PROFESSIONAL", "placeOfService": "11", "dateOfService": "2026-06-01",
           "lines": [{"code": "96368"}]}


def run(tmp_path, capsys, document) -> tuple[int, str, str]:
    path = tmp_path / "claims.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    status = main(["check", str(path)])
    out, err = capsys.readouterr()
    return status, out, err


def test_one_valid_claim_exits_0_with_a_claim_check_object(tmp_path, capsys):
    status, out, _ = run(tmp_path, capsys, VALID)
    assert status == 0
    result = json.loads(out)
    assert result["valid"] is True and all(f["severity"] != "ERROR" for f in result["findings"])


def test_a_list_with_an_invalid_claim_exits_1_with_results_in_order(tmp_path, capsys):
    status, out, _ = run(tmp_path, capsys, [VALID, INVALID])
    assert status == 1
    results = json.loads(out)
    assert [r["valid"] for r in results] == [True, False]
    assert results[1]["findings"][0]["rule"] == "ADDON_WITHOUT_PRIMARY"


def test_bad_input_exits_2_with_a_clear_message(tmp_path, capsys):
    status, out, err = run(tmp_path, capsys, [VALID, {**VALID, "claimType": "DENTAL"}])
    assert status == 2 and out == ""
    # The API's own message for the same input: the CLI runs the same GraphQL document.
    assert "[1].claimType" in err and "DENTAL" in err and "Traceback" not in err
    status, _, err = run(tmp_path, capsys, "{not json")
    assert status == 2 and "not valid JSON" in err
    status = main(["check", str(tmp_path / "missing.json")])
    assert status == 2 and "cannot read" in capsys.readouterr().err


def run_lines(tmp_path, capsys, lines: list, name: str = "claims.jsonl", extra: tuple = ()) -> tuple[int, str, str]:
    path = tmp_path / name
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    status = main(["check", str(path), *extra])
    out, err = capsys.readouterr()
    return status, out, err


def test_json_lines_give_one_claim_check_per_line_in_order_as_the_list_form(tmp_path, capsys):
    claims = [VALID, INVALID, VALID]
    status, out, _ = run_lines(tmp_path, capsys, claims)
    assert status == 1
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["valid"] for r in rows] == [True, False, True]
    # The same answers as the list form, which goes through the GraphQL schema.
    _, listed, _ = run(tmp_path, capsys, claims)
    assert rows == json.loads(listed)


def test_json_lines_are_found_by_flag_or_by_content(tmp_path, capsys):
    status, out, _ = run_lines(tmp_path, capsys, [VALID], name="one.json", extra=("--jsonl",))
    assert status == 0 and len(out.splitlines()) == 1 and json.loads(out)["valid"] is True
    status, out, _ = run_lines(tmp_path, capsys, [VALID, "", VALID], name="two.txt")
    assert status == 0 and [json.loads(line)["valid"] for line in out.splitlines()] == [True, True]


def test_a_bad_json_line_is_named_and_nothing_is_written(tmp_path, capsys):
    status, out, err = run_lines(tmp_path, capsys, [VALID, {**VALID, "claimType": "DENTAL"}])
    assert status == 2 and out == "" and "line 2" in err and "claimType" in err
    status, out, err = run_lines(tmp_path, capsys, [VALID, "{not json"])
    assert status == 2 and out == "" and "line 2" in err
    status, out, err = run_lines(tmp_path, capsys, [{**VALID, "lines": [{"code": "9" * 17}]}])
    assert status == 2 and out == "" and "line 1" in err


def _program(*args: str) -> subprocess.Popen[bytes]:
    """``python -m codingkg`` as a user runs it (the process exits through ``cli.run``)."""
    return subprocess.Popen([sys.executable, "-m", "codingkg", *args], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def test_the_program_writes_every_answer_before_it_exits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The program skips the interpreter's teardown on exit (cli.run): nothing it printed may be lost.
    path = tmp_path / "claims.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in [VALID, INVALID] * 150) + "\n", encoding="utf-8")
    assert main(["check", str(path), "--jsonl"]) == 1
    in_process = capsys.readouterr().out
    program = _program("check", str(path), "--jsonl")
    out, err = program.communicate(timeout=120)
    assert program.returncode == 1, err
    assert out.decode() == in_process and len(in_process.splitlines()) == 300


def test_a_reader_that_stops_early_ends_the_program_quietly(tmp_path: Path) -> None:
    path = tmp_path / "claims.jsonl"
    path.write_text("\n".join(json.dumps(INVALID) for _ in range(3000)) + "\n", encoding="utf-8")
    program = _program("check", str(path), "--jsonl")
    assert program.stdout is not None and program.stderr is not None
    assert program.stdout.read(100)  # what `| head -c 100` reads, then it goes away
    program.stdout.close()
    err = program.stderr.read().decode()
    assert program.wait(timeout=120) == 1
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
