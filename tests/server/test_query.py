"""Every root field of the contract, over HTTP against the ASGI app, with the curated data.

Expected values come from the domain notes (DRUG-ADMINISTRATION.md, SCENARIOS.md) and the
CMS files the curated data cites, not from the engine's output.
"""

from __future__ import annotations

import re

import httpx
import pytest

from kg.graph import KnowledgeGraph
from server.app import create_app
from server.settings import ServerSettings
from tests.server.helpers import data_of, gql, messages

pytestmark = pytest.mark.anyio


async def test_valid_primaries_of_a_push_add_on(client: httpx.AsyncClient) -> None:
    data = await data_of(client, '{ validPrimaries(addOn: "96375") { code system isAddOn } }')
    assert [c["code"] for c in data["validPrimaries"]] == ["96365", "96374", "96409", "96413"]
    assert {c["system"] for c in data["validPrimaries"]} == {"CPT"}
    assert not any(c["isAddOn"] for c in data["validPrimaries"])


async def test_valid_primaries_of_an_unknown_code_is_a_clear_error(client: httpx.AsyncClient) -> None:
    body = await gql(client, '{ validPrimaries(addOn: "99999") { code } }')
    assert messages(body) == ["unknown code '99999'"]
    assert body["errors"][0]["path"] == ["validPrimaries"]


async def test_code_card(client: httpx.AsyncClient) -> None:
    query = """{ code(code: "96368") {
        code iri system title isAddOn family
        validPrimaries { code }
        mue { maxUnits claimType adjudication perDateOfService sources { title confidence } }
        facility: mue(claimType: FACILITY_OUTPATIENT) { maxUnits }
        paymentStatuses { paymentSystem status payable packaging indicators { name value } sources { quarter } }
        modifierRules { modifier applicability reason }
        documentation denialRisks auditRedFlags
        guidance { kind text sources { title } }
        sources { title confidence }
    } }"""
    card = (await data_of(client, query))["code"]
    assert card["code"] == "96368" and card["isAddOn"] is True
    assert card["iri"] == "https://w3id.org/codingkg/cpt/96368"
    assert {"96365", "96366", "96413", "96415", "96416"} <= {c["code"] for c in card["validPrimaries"]}
    assert card["mue"]["maxUnits"] == 1
    assert card["mue"]["claimType"] == "PROFESSIONAL"
    assert card["mue"]["perDateOfService"] is True
    assert card["mue"]["sources"], "an MUE always names its source"
    statuses = {(p["paymentSystem"], p["status"]) for p in card["paymentStatuses"]}
    assert ("OPPS", "N") in statuses and ("MPFS", "A") in statuses
    opps = next(p for p in card["paymentStatuses"] if p["paymentSystem"] == "OPPS")
    assert opps["packaging"] == "always" and opps["sources"][0]["quarter"] == "2026-Q2"
    mpfs = next(p for p in card["paymentStatuses"] if p["paymentSystem"] == "MPFS")
    assert {"name": "globalDays", "value": "ZZZ"} in mpfs["indicators"]
    assert ("51", "NOT_APPLICABLE") in {(r["modifier"], r["applicability"]) for r in card["modifierRules"]}
    assert card["documentation"] and card["denialRisks"]
    kinds = {g["kind"] for g in card["guidance"]}
    assert {"documentation", "denial-risk"} <= kinds
    assert len(card["documentation"]) == sum(g["kind"] == "documentation" for g in card["guidance"])
    assert all(s["confidence"] for s in card["sources"])


async def test_unknown_code_is_null_with_an_error(client: httpx.AsyncClient) -> None:
    body = await gql(client, '{ code(code: "99999") { code } }')
    assert body["data"] == {"code": None}
    assert messages(body) == ["unknown code '99999'"]


async def test_codes_keeps_order_and_nulls_unknown_entries(client: httpx.AsyncClient) -> None:
    body = await gql(client, '{ codes(codes: ["96413", "99999", "j1100", "00000"]) { code isAddOn } }')
    assert body["data"]["codes"] == [
        {"code": "96413", "isAddOn": False}, None, {"code": "J1100", "isAddOn": False}, None,
    ]
    assert sorted(messages(body)) == ["unknown code '00000'", "unknown code '99999'"]
    assert sorted(tuple(e["path"]) for e in body["errors"]) == [("codes", 1), ("codes", 3)]


async def test_search(client: httpx.AsyncClient) -> None:
    data = await data_of(
        client, '{ search(text: "concurrent infusion") { code } hydration: search(text: "hydration", first: 1) { code } }'
    )
    assert [c["code"] for c in data["search"]] == ["96368"]
    assert len(data["hydration"]) == 1 and data["hydration"][0]["code"] in {"96360", "96361"}


async def test_search_without_a_match_is_empty(client: httpx.AsyncClient) -> None:
    assert (await data_of(client, '{ search(text: "zzzqqq") { code } }'))["search"] == []


async def test_modifier_and_modifiers(client: httpx.AsyncClient) -> None:
    data = await data_of(client, '{ modifier(code: "xu") { code bypassesPtp sources { title } } '
                                 'none: modifier(code: "QQ") { code } modifiers { code } }')
    assert data["modifier"]["code"] == "XU" and data["modifier"]["bypassesPtp"] is True
    assert data["modifier"]["sources"]
    assert data["none"] is None
    codes = [m["code"] for m in data["modifiers"]]
    assert {"25", "51", "59", "XE", "XP", "XS", "XU"} <= set(codes)
    assert codes == sorted(codes)


async def test_payers(client: httpx.AsyncClient) -> None:
    data = await data_of(client, "{ payers { id name baseline } }")
    by_id = {p["id"]: p for p in data["payers"]}
    assert by_id["medicare"]["baseline"] is None
    assert by_id["commercial"]["baseline"] == "medicare" and by_id["medicaid"]["baseline"] == "medicare"


async def test_path_between_two_add_ons_of_one_primary(client: httpx.AsyncClient) -> None:
    data = await data_of(client, '{ path(from: "96411", to: "96415") { kind from { code } to { code } sources { title } } }')
    hops = [(r["kind"], r["from"]["code"], r["to"]["code"]) for r in data["path"]]
    assert hops == [("ADD_ON_OF", "96411", "96413"), ("ADD_ON_OF", "96415", "96413")]
    assert all(r["sources"] for r in data["path"])


async def test_path_to_itself_is_empty_and_unknown_end_is_an_error(client: httpx.AsyncClient) -> None:
    assert (await data_of(client, '{ path(from: "96368", to: "96368") { kind } }'))["path"] == []
    body = await gql(client, '{ path(from: "96368", to: "99999") { kind } }')
    assert body["data"] == {"path": None} and messages(body) == ["unknown code '99999'"]


async def test_related_walks_relationships_with_their_paths(client: httpx.AsyncClient) -> None:
    query = """{ code(code: "96368") {
        one: related(depth: 1) { depth code { code } path { kind from { code } to { code } } }
        exclusive: related(depth: 1, kinds: [MUTUALLY_EXCLUSIVE_WITH]) { code { code } }
        two: related(depth: 2, kinds: [ADD_ON_OF]) { depth code { code } path { from { code } to { code } } }
        relationships(kinds: [MUTUALLY_EXCLUSIVE_WITH]) { kind from { code } to { code } }
    } }"""
    card = (await data_of(client, query))["code"]
    one = {r["code"]["code"]: r for r in card["one"]}
    assert "96367" in one and "96365" in one
    assert all(r["depth"] == 1 and len(r["path"]) == 1 for r in card["one"])
    assert [r["code"]["code"] for r in card["exclusive"]] == ["96367"]
    assert [(r["kind"], r["from"]["code"], r["to"]["code"]) for r in card["relationships"]] == [
        ("MUTUALLY_EXCLUSIVE_WITH", "96367", "96368")
    ]
    two = {r["code"]["code"]: r for r in card["two"]}
    # 96375 shares the primary 96365 with 96368: two add-on hops away, through that primary.
    assert two["96375"]["depth"] == 2
    assert {h["to"]["code"] for h in two["96375"]["path"]} <= {"96365", "96374", "96413"}
    assert [r["depth"] for r in card["two"]] == sorted(r["depth"] for r in card["two"])


async def test_add_ons_of_a_primary(client: httpx.AsyncClient) -> None:
    data = await data_of(client, '{ code(code: "96369") { addOns { code } } }')
    assert [c["code"] for c in data["code"]["addOns"]] == ["96370", "96371"]


async def test_release(client: httpx.AsyncClient) -> None:
    query = "{ release { version builtAt layers triples nodes edges sources { title quarter confidence } } }"
    data = (await data_of(client, query))["release"]
    assert data["layers"] == ["cms-baseline", "curated"]
    assert re.fullmatch(r"[0-9a-f]{16}", data["version"])  # a digest of the data
    assert data["builtAt"][:4].isdigit() and data["triples"] > 0 and data["nodes"] > 0 and data["edges"] > 0
    quarters = {s["quarter"] for s in data["sources"]}
    assert {"2025-Q4", "2026-Q2"} <= quarters


async def test_as_of_filters_dated_facts_and_reaches_nested_fields(client: httpx.AsyncClient) -> None:
    # The MPFS status is effective 2025-10-01, the OPPS status 2026-04-01 (the files cited).
    query = """{
      before: code(code: "96368", asOf: "2026-01-01") { paymentStatuses { paymentSystem } }
      override: code(code: "96368", asOf: "2026-01-01") { paymentStatuses(asOf: "2026-05-01") { paymentSystem } }
      after: code(code: "96368", asOf: "2026-05-01") { paymentStatuses { paymentSystem } }
      old: code(code: "96368", asOf: "2020-01-01") { paymentStatuses { paymentSystem } }
    }"""
    data = await data_of(client, query)
    systems = {k: [p["paymentSystem"] for p in v["paymentStatuses"]] for k, v in data.items()}
    assert systems == {"before": ["MPFS"], "override": ["MPFS", "OPPS"], "after": ["MPFS", "OPPS"], "old": []}


async def test_as_of_on_an_imported_release(kg: KnowledgeGraph, release_dir) -> None:
    served = create_app(ServerSettings(data_dirs=(release_dir,), use_cache=False))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=served), base_url="http://testserver") as c:
        data = await data_of(c, """{
          in2023: validPrimaries(addOn: "96375", asOf: "2023-06-01") { code }
          in2024: validPrimaries(addOn: "96375", asOf: "2024-01-01") { code }
          in2019: validPrimaries(addOn: "96375", asOf: "2019-12-31") { code }
          card: code(code: "96375", asOf: "2023-06-01") { validPrimaries { code } relationships(kinds: [ADD_ON_OF]) { end } }
          release { layers sources { quarter } }
        }""")
    assert [c["code"] for c in data["in2023"]] == ["96365", "96374"]
    assert [c["code"] for c in data["in2024"]] == ["96374"]  # end dates are exclusive
    assert data["in2019"] == []
    assert [c["code"] for c in data["card"]["validPrimaries"]] == ["96365", "96374"]
    assert sorted(r["end"] or "" for r in data["card"]["relationships"]) == ["", "2024-01-01"]
    assert data["release"]["layers"] == ["cms-baseline", "curated", "addon-2023q4"]
    assert "2023-Q4" in {s["quarter"] for s in data["release"]["sources"]}


async def test_get_query_and_graphiql(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": '{ code(code: "96368") { isAddOn } }'})
    assert response.status_code == 200 and response.json()["data"] == {"code": {"isAddOn": True}}
    # code (1) plus its isAddOn (1).
    assert response.json()["extensions"]["cost"] == 2
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


async def test_healthz_and_cors(client: httpx.AsyncClient) -> None:
    health = await client.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    preflight = {"access-control-request-method": "POST"}
    allowed = await client.options("/graphql", headers={"origin": "https://app.example", **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    refused = await client.options("/graphql", headers={"origin": "https://evil.example", **preflight})
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
