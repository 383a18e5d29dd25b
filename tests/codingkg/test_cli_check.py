"""``codingkg check CLAIMS.json``: JSON out, exit 0 all valid, 1 any ERROR, 2 bad input."""

from __future__ import annotations

import json

from codingkg.cli import main

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
