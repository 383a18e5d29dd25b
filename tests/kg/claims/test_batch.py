"""JSON Lines input: read with a fast parser, judged exactly as the standard parser judges it."""

from __future__ import annotations

import io
import json

import pytest

from kg.claims import check_claim, claim_from_dict
from kg.claims.batch import BatchInputError, BatchLimits, parse_json_lines, write_checks
from kg.claims.serialize import check_to_dict
from kg.graph import KnowledgeGraph

LIMITS = BatchLimits(max_lines=100, max_code_length=16)
CLAIM = {"claimType": "PROFESSIONAL", "placeOfService": "11", "dateOfService": "2026-06-01",
         "lines": [{"code": "96413"}, {"code": "96368", "units": 2, "modifiers": ["xu"]}, {"code": "J9045", "units": 10}]}


@pytest.mark.parametrize("text", ['{"claimType": "PROFESSIONAL", "lines": [}', "{'a': 1}", "[1, 2", '{"a": 1} x'])
def test_a_bad_line_reports_what_the_standard_parser_reports(text: str) -> None:
    try:
        json.loads(text)
    except json.JSONDecodeError as err:
        expected = f"line 2: not valid JSON: {err}"
    with pytest.raises(BatchInputError) as raised:
        parse_json_lines([json.dumps(CLAIM), text], LIMITS)
    assert str(raised.value) == expected


def test_values_only_the_standard_parser_reads_are_judged_as_claims() -> None:
    """NaN and integers beyond 64 bits parse as the API's parser reads them: then the claim's
    own checks speak (units must fit; the fast parser alone would refuse the line as not JSON)."""
    huge = dict(CLAIM, lines=[{"code": "96413", "units": 2**70}])
    [claim] = parse_json_lines([json.dumps(huge)], LIMITS)
    assert claim.lines[0].units == 2**70
    with pytest.raises(BatchInputError, match="line 1: claimType"):
        parse_json_lines(['{"claimType": NaN, "lines": [{"code": "96413"}]}'], LIMITS)


def test_written_lines_are_the_api_shaped_checks_in_order() -> None:
    kg = KnowledgeGraph.default()
    lines = [json.dumps(CLAIM), "", json.dumps(dict(CLAIM, lines=CLAIM["lines"][:1]))] * 300
    out = io.StringIO()
    all_valid = write_checks(kg, parse_json_lines(lines, LIMITS), out)
    written = out.getvalue().splitlines()
    expected = [check_to_dict(check_claim(kg, claim_from_dict(json.loads(t)))) for t in lines if t]
    assert [json.loads(line) for line in written] == expected
    assert all_valid == all(c["valid"] for c in expected)
    assert out.getvalue().endswith("\n") and len(written) == 600  # blocks of 512 joined without a gap
