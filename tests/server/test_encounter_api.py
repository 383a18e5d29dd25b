"""``codeEncounter`` over HTTP: the seed scenarios, record problems as findings, bad input as clear errors."""

from __future__ import annotations

import httpx
import pytest

from tests.server.helpers import data_of, gql, messages

pytestmark = pytest.mark.anyio

QUERY = """query Code($encounter: EncounterInput!) {
  codeEncounter(encounter: $encounter) {
    lines { code units modifiers administrations rationale sources { confidence } }
    findings { rule severity message codes line sources { title confidence } path { kind from { code } to { code } } }
  }
}"""


def _adm(id_: str, substance: str, category: str, route: str, start: str, stop: str, **extra: object) -> dict:
    return {"id": id_, "substance": substance, "category": category, "route": route, "start": start, "stop": stop, **extra}


async def test_scenario_1_chemo_with_concurrent_antiemetic(client: httpx.AsyncClient) -> None:
    encounter = {"perspective": "FACILITY", "date": "2026-05-04", "administrations": [
        _adm("a", "carboplatin", "CHEMOTHERAPY", "IV_INFUSION", "09:00", "09:45"),
        _adm("b", "ondansetron", "THERAPEUTIC", "IV_INFUSION", "09:00", "09:30")]}
    data = await data_of(client, QUERY, {"encounter": encounter})
    lines = data["codeEncounter"]["lines"]
    assert [(line["code"], line["units"]) for line in lines] == [("96413", 1), ("96368", 1)]
    assert lines[1]["administrations"] == ["b"]
    assert "ondansetron" in lines[1]["rationale"] and "concurrent" in lines[1]["rationale"]
    assert all(line["sources"] for line in lines)


async def test_scenario_3_names_the_disagreement_with_both_sources(client: httpx.AsyncClient) -> None:
    encounter = {"perspective": "FACILITY", "administrations": [
        _adm("iron", "ferric carboxymaltose", "THERAPEUTIC", "IV_INFUSION", "10:00", "10:20"),
        _adm("ns", "normal saline", "HYDRATION", "IV_INFUSION", "10:00", "10:20")]}
    data = await data_of(client, QUERY, {"encounter": encounter})
    coding = data["codeEncounter"]
    assert [line["code"] for line in coding["lines"]] == ["96365"]
    (finding,) = [f for f in coding["findings"] if f["rule"] == "HYDRATION_CONCURRENT"]
    assert {s["confidence"] for s in finding["sources"]} >= {"secondary", "cpt-guideline"}
    assert {(p["kind"], p["to"]["code"]) for p in finding["path"]} >= {("PACKAGED_UNDER", "96365"), ("ALTERNATIVE_TO", "96368")}


async def test_record_problems_are_findings_not_errors(client: httpx.AsyncClient) -> None:
    encounter = {"perspective": "PHYSICIAN", "administrations": [
        _adm("a", "drug", "THERAPEUTIC", "IV_INFUSION", "09:00", "25:99"),
        _adm("b", "drug", "THERAPEUTIC", "IV_INFUSION", "10:00", "09:00")]}
    data = await data_of(client, QUERY, {"encounter": encounter})
    rules = {f["rule"] for f in data["codeEncounter"]["findings"]}
    assert {"TIME_INVALID", "MIDNIGHT_WITHOUT_DATE"} <= rules
    assert data["codeEncounter"]["lines"] == []


async def test_structurally_bad_input_is_a_clear_client_error(client: httpx.AsyncClient) -> None:
    unknown_category = {"perspective": "FACILITY", "administrations": [
        _adm("a", "drug", "CHEMO", "IV_INFUSION", "09:00", "10:00")]}
    body = await gql(client, QUERY, {"encounter": unknown_category})
    assert "CHEMO" in messages(body)[0] and body.get("data") is None

    repeated = {"perspective": "FACILITY", "administrations": [
        _adm("a", "x", "THERAPEUTIC", "IV_PUSH", "09:00", "09:05"),
        _adm("a", "y", "THERAPEUTIC", "IV_PUSH", "09:10", "09:15")]}
    body = await gql(client, QUERY, {"encounter": repeated})
    assert messages(body) == ["invalid encounter: administrations: id 'a' is used twice"]

    too_many = {"perspective": "FACILITY", "administrations": [
        _adm(str(n), "x", "THERAPEUTIC", "IV_PUSH", "09:00", "09:05") for n in range(101)]}
    body = await gql(client, QUERY, {"encounter": too_many})
    assert "administrations (count) must be between 0 and 100" in messages(body)[0]

    # The server keeps serving.
    data = await data_of(client, '{ code(code: "96368") { code } }')
    assert data["code"]["code"] == "96368"


async def test_a_drug_code_gives_the_category(client: httpx.AsyncClient) -> None:
    encounter = {"perspective": "PHYSICIAN", "date": "2026-06-01", "administrations": [
        {"id": "a", "substance": "leuprolide", "hcpcs": "J9217", "route": "INJECTION", "start": "09:00", "stop": "09:01"},
        {"id": "p", "substance": "fluorouracil", "category": "CHEMOTHERAPY", "route": "IV_INFUSION",
         "start": "2026-06-01T10:00", "stop": "2026-06-03T08:00", "pump": "PORTABLE"},
        {"id": "r", "substance": "morphine", "category": "THERAPEUTIC", "route": "INTRA_ARTERIAL",
         "start": "11:00", "stop": "11:02"}]}
    data = await data_of(client, QUERY, {"encounter": encounter})
    assert {(line["code"], line["units"]) for line in data["codeEncounter"]["lines"]} >= {("96402", 1), ("96416", 1)}


async def test_neither_category_nor_drug_code_is_a_client_error(client: httpx.AsyncClient) -> None:
    missing = {"perspective": "PHYSICIAN", "administrations": [
        {"id": "a", "substance": "x", "route": "INJECTION", "start": "09:00", "stop": "09:01"}]}
    body = await gql(client, QUERY, {"encounter": missing})
    assert messages(body) == ["invalid encounter: administration 'a': give a category or the drug's hcpcs code"]
    refill = {"perspective": "PHYSICIAN", "administrations": [
        {"id": "a", "substance": "x", "category": "THERAPEUTIC", "route": "INJECTION", "start": "09:00",
         "stop": "09:01", "refill": True}]}
    body = await gql(client, QUERY, {"encounter": refill})
    assert messages(body) == ["invalid encounter: administration 'a': a refill needs the pump refilled"]
