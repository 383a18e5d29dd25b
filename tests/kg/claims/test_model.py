"""Claim input: the ClaimInput JSON shape, clear errors for malformed input, and JSON output."""

from __future__ import annotations

from datetime import date

import pytest

from kg.claims import Claim, ClaimInputError, ClaimLine, claim_from_dict


def test_claim_from_dict_reads_the_graphql_shape():
    claim = claim_from_dict({"payer": "Commercial", "claimType": "facility_outpatient", "placeOfService": "22",
                             "dateOfService": "2026-06-01",
                             "lines": [{"code": " 96365 ", "units": 1, "modifiers": ["xu"]}, {"code": "96368"}]})
    assert claim == Claim("FACILITY_OUTPATIENT", (ClaimLine("96365", 1, ("XU",)), ClaimLine("96368")),
                          payer="commercial", place_of_service="22", date_of_service=date(2026, 6, 1))


@pytest.mark.parametrize(("data", "message"), [
    ({"claimType": "DENTAL", "lines": [{"code": "96365"}]}, "unknown claim type 'DENTAL'"),
    ({"lines": [{"code": "96365"}]}, "claimType: missing"),
    ({"claimType": "PROFESSIONAL", "dateOfService": "06/01/2026", "lines": [{"code": "96365"}]}, "YYYY-MM-DD"),
    ({"claimType": "PROFESSIONAL", "dateOfService": 20260601, "lines": [{"code": "96365"}]}, "ISO date"),
    ({"claimType": "PROFESSIONAL"}, "lines: missing"),
    ({"claimType": "PROFESSIONAL", "lines": []}, "at least one line"),
    ({"claimType": "PROFESSIONAL", "lines": {"code": "96365"}}, "expected a list"),
    ({"claimType": "PROFESSIONAL", "lines": [{"units": 2}]}, r"lines\[0\].code: missing"),
    ({"claimType": "PROFESSIONAL", "lines": [{"code": ""}]}, r"lines\[0\].code"),
    ({"claimType": "PROFESSIONAL", "lines": [{"code": "96365", "units": "2"}]}, r"lines\[0\].units"),
    ({"claimType": "PROFESSIONAL", "lines": [{"code": "96365", "units": True}]}, r"lines\[0\].units"),
    ({"claimType": "PROFESSIONAL", "lines": [{"code": "96365", "modifiers": "25"}]}, r"lines\[0\].modifiers"),
    ({"claimType": "PROFESSIONAL", "lines": [{"code": "96365", "modifer": ["25"]}]}, "unknown field"),
    ({"claimType": "PROFESSIONAL", "claimtype": "x", "lines": [{"code": "96365"}]}, "unknown field"),
    ({"claimType": "PROFESSIONAL", "payer": "", "lines": [{"code": "96365"}]}, "payer"),
    ("not an object", "expected a JSON object"),
])
def test_malformed_input_raises_a_clear_value_error(data, message):
    with pytest.raises(ClaimInputError, match=message) as caught:
        claim_from_dict(data)
    assert isinstance(caught.value, ValueError)


def test_units_below_one_are_not_an_input_error():
    assert claim_from_dict({"claimType": "PROFESSIONAL", "lines": [{"code": "96365", "units": 0}]}).lines[0].units == 0


def test_numeric_place_of_service_is_read_as_its_two_digit_code():
    assert claim_from_dict({"claimType": "PROFESSIONAL", "placeOfService": 11, "lines": [{"code": "1"}]}).place_of_service == "11"


