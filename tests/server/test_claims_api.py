"""``checkClaim`` and ``checkClaims`` over HTTP: the SCENARIOS.md claims, batches, bad input."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.server.helpers import data_of, gql, messages

pytestmark = pytest.mark.anyio

CHECK = """query Check($claim: ClaimInput!) {
  checkClaim(claim: $claim) {
    valid
    findings { rule severity message codes line sources { title confidence } path { kind from { code } to { code } } }
  }
}"""
BATCH = """query Batch($claims: [ClaimInput!]!) { checkClaims(claims: $claims) { valid findings { rule severity line } } }"""


def _claim(*lines: dict[str, Any], claim_type: str = "PROFESSIONAL", pos: str | None = "11") -> dict[str, Any]:
    claim: dict[str, Any] = {"claimType": claim_type, "dateOfService": "2026-06-01", "lines": list(lines)}
    if pos:
        claim["placeOfService"] = pos
    return claim


def _errors(result: dict[str, Any]) -> list[tuple[str, int | None]]:
    return [(f["rule"], f["line"]) for f in result["findings"] if f["severity"] == "ERROR"]


async def _check(client: httpx.AsyncClient, claim: dict[str, Any]) -> dict[str, Any]:
    return (await data_of(client, CHECK, {"claim": claim}))["checkClaim"]


async def test_add_on_alone_is_an_error_with_the_edges_looked_for(client: httpx.AsyncClient) -> None:
    result = await _check(client, _claim({"code": "96368"}))
    assert not result["valid"]
    (finding,) = [f for f in result["findings"] if f["rule"] == "ADDON_WITHOUT_PRIMARY"]
    assert finding["severity"] == "ERROR" and finding["line"] == 1 and finding["codes"] == ["96368"]
    assert {p["to"]["code"] for p in finding["path"]} >= {"96365", "96366", "96413", "96415", "96416"}
    assert finding["sources"]


async def test_units_over_the_mue(client: httpx.AsyncClient) -> None:
    result = await _check(client, _claim({"code": "96413"}, {"code": "96368", "units": 2}))
    assert _errors(result) == [("MUE_EXCEEDED", 2)]


async def test_office_visit_with_infusions_passes(client: httpx.AsyncClient) -> None:
    result = await _check(client, _claim({"code": "99214", "modifiers": ["25"]}, {"code": "96365"}, {"code": "96368"}))
    assert result["valid"] and _errors(result) == []


async def test_modifier_51_on_an_add_on(client: httpx.AsyncClient) -> None:
    result = await _check(client, _claim({"code": "96365"}, {"code": "96368", "modifiers": ["51"]}))
    assert _errors(result) == [("MODIFIER_NOT_APPLICABLE", 2)]


async def test_hospital_outpatient_claim_is_valid_with_packaging_info(client: httpx.AsyncClient) -> None:
    claim = _claim({"code": "96365"}, {"code": "96368"}, claim_type="FACILITY_OUTPATIENT", pos="22")
    result = await _check(client, claim)
    assert result["valid"]
    packaged = [f for f in result["findings"] if f["rule"] == "PACKAGED"]
    assert [(f["severity"], f["line"]) for f in packaged] == [("INFO", 2)]


async def test_batch_keeps_order(client: httpx.AsyncClient) -> None:
    claims = [_claim({"code": "96368"}), _claim({"code": "96365"}, {"code": "96368"})]
    results = (await data_of(client, BATCH, {"claims": claims}))["checkClaims"]
    assert [r["valid"] for r in results] == [False, True]


async def test_a_batch_of_a_thousand_ten_line_claims_is_accepted(client: httpx.AsyncClient) -> None:
    lines = [{"code": "96413"}, {"code": "96415", "units": 2}, {"code": "96417"}, {"code": "96368"},
             {"code": "96375"}, {"code": "96411"}, {"code": "J9045", "units": 6}, {"code": "J2405", "units": 8},
             {"code": "J1100", "units": 12}, {"code": "99214", "modifiers": ["25"]}]
    results = (await data_of(client, BATCH, {"claims": [_claim(*lines)] * 1000}))["checkClaims"]
    assert len(results) == 1000 and len({str(r) for r in results}) == 1


async def test_bad_claims_get_clear_errors_and_the_server_keeps_serving(client: httpx.AsyncClient) -> None:
    body = await gql(client, CHECK, {"claim": {"claimType": "PROFESSIONAL", "lines": []}})
    assert messages(body) == ["claim.lines (count) must be between 1 and 100 (got 0)"]
    body = await gql(client, CHECK, {"claim": {"claimType": "DENTAL", "lines": [{"code": "96365"}]}})
    assert "DENTAL" in messages(body)[0]
    body = await gql(client, CHECK, {"claim": _claim({"code": "9" * 5000})})
    assert "at most 16 characters" in messages(body)[0]
    body = await gql(client, CHECK, {"claim": {**_claim({"code": "96365"}), "dateOfService": "2026-13-45"}})
    assert "Date" in messages(body)[0] or "date" in messages(body)[0]
    body = await gql(client, BATCH, {"claims": [_claim({"code": "96365"})] * 1001})
    assert messages(body) == ["claims (count) must be between 1 and 1000 (got 1001)"]
    # Findings, not errors, for what is wrong inside a well-formed claim.
    result = await _check(client, _claim({"code": "00000"}, {"code": "96365", "units": 0}))
    assert {(f["rule"], f["line"]) for f in result["findings"]} >= {("UNKNOWN_CODE", 1), ("INVALID_UNITS", 2)}
    data = await data_of(client, '{ code(code: "96368") { code } }')
    assert data["code"]["code"] == "96368"


async def test_a_dme_supplier_claim_is_checked(client: httpx.AsyncClient) -> None:
    # The schema offers DME_SUPPLIER; the engine checks such a claim with the rules that apply to it.
    result = await _check(client, _claim({"code": "ZZZZZ"}, {"code": "96365", "units": 0}, claim_type="DME_SUPPLIER", pos=None))
    assert not result["valid"]
    assert sorted(_errors(result)) == [("INVALID_UNITS", 2), ("UNKNOWN_CODE", 1)]
