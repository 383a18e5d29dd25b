"""The default graph knows every code of the CMS files the package ships, over the GraphQL API.

Expected values are read from the shipped CSV files themselves with the standard ``csv``
module (not through the importers), so the test does not restate what the engine computes.
"""

from __future__ import annotations

import csv
import random

import httpx
import pytest

from kg.baseline import BASELINE_DIR
from server.limits import MAX_CODES
from tests.server.helpers import data_of, gql, messages

PPRRVU = BASELINE_DIR / "PPRRVU2025_Oct.csv"
ADDENDUM_B = BASELINE_DIR / "opps-addendum-b-2026-04-reduced.csv"
SAMPLE = 500


def _pprrvu_global_rows() -> dict[str, list[str]]:
    """Code -> its global (no modifier) row; the header's last row starts ``HCPCS, MOD``."""
    with PPRRVU.open(encoding="latin-1", newline="") as handle:
        rows = list(csv.reader(handle))
    start = next(i for i, r in enumerate(rows) if r[:2] == ["HCPCS", "MOD"]) + 1
    table: dict[str, list[str]] = {}
    for row in rows[start:]:
        if row and row[0].strip() and (row[0] not in table or not row[1].strip()):
            table[row[0].strip()] = row
    return table


def _addendum_b() -> dict[str, str]:
    with ADDENDUM_B.open(encoding="latin-1", newline="") as handle:
        return {r["HCPCSCode"].strip(): r["StatusIndicator"].strip() for r in csv.DictReader(handle)}


PFS = _pprrvu_global_rows()
OPPS = _addendum_b()
QUERY = """query($codes: [String!]!) {
  codes(codes: $codes) { code title titleSource isAddOn paymentStatuses { paymentSystem status } }
}"""


async def _codes(client: httpx.AsyncClient, codes: list[str]) -> list[dict]:
    found: list[dict] = []
    for start in range(0, len(codes), MAX_CODES):
        found += (await data_of(client, QUERY, {"codes": codes[start:start + MAX_CODES]}))["codes"]
    return found


@pytest.mark.anyio
async def test_500_random_codes_of_the_shipped_files_are_all_known(client: httpx.AsyncClient) -> None:
    rng = random.Random(20251001)
    codes = rng.sample(sorted(PFS.keys() | OPPS.keys()), SAMPLE)
    found = await _codes(client, codes)
    assert [c["code"] for c in found] == codes  # every one known (an unknown one would be null)
    for code, card in zip(codes, found, strict=True):
        statuses = {(p["paymentSystem"], p["status"]) for p in card["paymentStatuses"]}
        if code in OPPS:
            assert ("OPPS", OPPS[code]) in statuses, code
        if code in PFS:
            assert ("MPFS", PFS[code][3]) in statuses, code
            if PFS[code][14] == "ZZZ":
                assert card["isAddOn"], code
        assert card["title"], code
        if card["titleSource"] == "NOT_LICENSED":
            assert code in card["title"]  # a neutral placeholder, never a descriptor


@pytest.mark.anyio
async def test_title_sources(client: httpx.AsyncClient) -> None:
    found = {c["code"]: c for c in await _codes(client, ["96368", "J9999", "D0120"])}
    assert found["96368"]["titleSource"] == "CURATED"
    assert found["J9999"]["titleSource"] == "CMS_SHORT_DESCRIPTOR"  # public HCPCS Level II text
    assert found["D0120"]["titleSource"] == "NOT_LICENSED"  # CDT text is licensed


@pytest.mark.anyio
async def test_a_code_in_no_source_stays_unknown(client: httpx.AsyncClient) -> None:
    assert "00000" not in PFS and "00000" not in OPPS
    body = await gql(client, '{ codes(codes: ["00000", "99213"]) { code } }')
    assert body["data"]["codes"] == [None, {"code": "99213"}]
    assert messages(body) == ["unknown code '00000'"]
