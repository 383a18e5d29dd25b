"""Hostile and malformed requests: each gets a clear error and a status below 500, and the
server keeps serving (every test ends with a normal query on the same app)."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query

from kg.graph import KnowledgeGraph
from server.app import create_app
from server.limits import MAX_ALIASES, MAX_BODY_BYTES, MAX_QUERY_DEPTH, MAX_TRAVERSALS
from server.schema import INTERNAL_ERROR_MESSAGE
from server.settings import ServerSettings
from tests.server.helpers import data_of, gql, messages

pytestmark = pytest.mark.anyio

NORMAL = '{ validPrimaries(addOn: "96375") { code } }'


async def still_serving(client: httpx.AsyncClient) -> None:
    data = await data_of(client, NORMAL)
    assert [c["code"] for c in data["validPrimaries"]] == ["96365", "96374", "96409", "96413"]


def only_message(body: dict[str, Any]) -> str:
    found = messages(body)
    assert len(found) == 1, found
    return found[0]


async def test_very_long_code(client: httpx.AsyncClient) -> None:
    body = await gql(client, '{ code(code: "%s") { code } }' % ("9" * 5000))
    assert only_message(body) == "code must be at most 16 characters (got 5000)"
    body = await gql(client, "query($c: [String!]!) { codes(codes: $c) { code } }", {"c": ["96368", "x" * 40]})
    assert only_message(body) == "each of codes must be at most 16 characters (got 40)"
    await still_serving(client)


async def test_deep_nesting(client: httpx.AsyncClient) -> None:
    # Twelve levels of selection: code, then eleven alternating traversals.
    nested = "validPrimaries { addOns { " * 5 + "validPrimaries { code }" + " } }" * 5
    body = await gql(client, f'{{ code(code: "96368") {{ {nested} }} }}')
    assert only_message(body) == f"'anonymous' exceeds maximum operation depth of {MAX_QUERY_DEPTH}"
    assert body.get("data") is None
    await still_serving(client)


async def test_many_aliases(client: httpx.AsyncClient) -> None:
    aliases = " ".join(f"a{i}: __typename" for i in range(500))
    body = await gql(client, f"{{ {aliases} }}")
    assert only_message(body) == f"500 aliases found. Allowed: {MAX_ALIASES}"
    await still_serving(client)


async def test_too_many_tokens(client: httpx.AsyncClient) -> None:
    fields = " ".join("release { version }" for _ in range(600))
    body = await gql(client, f"{{ {fields} }}")
    assert "more than 2000 tokens" in only_message(body)
    await still_serving(client)


async def test_related_too_deep_and_list_caps(client: httpx.AsyncClient) -> None:
    body = await gql(client, '{ code(code: "96368") { related(depth: 50) { depth } } }')
    assert only_message(body) == "depth must be between 0 and 4 (got 50)"
    body = await gql(client, '{ search(text: "infusion", first: 1000) { code } }')
    assert only_message(body) == "first must be between 0 and 100 (got 1000)"
    body = await gql(client, "query($c: [String!]!) { codes(codes: $c) { code } }", {"c": ["96368"] * 101})
    assert only_message(body) == "codes may hold at most 100 codes (got 101)"
    body = await gql(client, '{ search(text: "%s") { code } }' % ("a " * 300))
    assert only_message(body) == "text must be at most 200 characters (got 600)"
    await still_serving(client)


async def test_traversal_budget_bounds_fan_out(client: httpx.AsyncClient) -> None:
    codes = ", ".join(f'"{c}"' for c in ["96365", "96366", "96367", "96368", "96374", "96375", "96413"] * 4)
    body = await gql(client, f"{{ codes(codes: [{codes}]) {{ related(depth: 4) {{ depth }} }} }}")
    assert set(messages(body)) == {f"at most {MAX_TRAVERSALS} related/path traversals per request"}
    assert len(body["errors"]) == 28 - MAX_TRAVERSALS
    assert sum(entry is not None for entry in body["data"]["codes"]) == MAX_TRAVERSALS
    await still_serving(client)


async def test_syntax_error(client: httpx.AsyncClient) -> None:
    body = await gql(client, '{ code(code: "96368" { code }')
    assert only_message(body).startswith("Syntax Error:")
    body = await gql(client, '{ code(code: "96368") { nosuchfield } }')
    assert only_message(body) == "Cannot query field 'nosuchfield' on type 'Code'."
    await still_serving(client)


async def test_invalid_dates(client: httpx.AsyncClient) -> None:
    body = await gql(client, '{ code(code: "96368", asOf: "2024-13-45") { code } }')
    assert only_message(body).startswith('Value cannot represent a Date: "2024-13-45".')
    body = await gql(client, "query($d: Date) { validPrimaries(addOn: \"96375\", asOf: $d) { code } }", {"d": "yesterday"})
    assert "Value cannot represent a Date: \"yesterday\"" in only_message(body)
    await still_serving(client)


async def test_body_too_large(client: httpx.AsyncClient) -> None:
    padding = " " * (2 * 1024 * 1024)
    response = await client.post("/graphql", content=(f'{{"query": "{{ release {{ version }} }}"{padding}}}').encode(),
                                 headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {"errors": [{"message": f"request body larger than {MAX_BODY_BYTES} bytes"}]}

    async def chunks():  # no Content-Length: the cap must hold while reading
        for _ in range(40):
            yield b" " * 65536

    response = await client.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    await still_serving(client)


async def test_non_json_bodies(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", content=b"{ this is not json", headers={"content-type": "application/json"})
    assert response.status_code == 400 and "JSON" in response.text
    response = await client.post("/graphql", json={"variables": {}})
    assert response.status_code == 400 and "No GraphQL query found" in response.text
    response = await client.post("/graphql", content=b"\xff\xfe", headers={"content-type": "text/plain"})
    assert 400 <= response.status_code < 500
    await still_serving(client)


async def test_internal_errors_are_masked_and_logged(kg: KnowledgeGraph, caplog: pytest.LogCaptureFixture) -> None:
    class BrokenGraph(KnowledgeGraph):
        def valid_primaries(self, add_on: str, as_of: Any = None) -> Any:
            raise RuntimeError("secret internal detail at /srv/data")

    broken = BrokenGraph.__new__(BrokenGraph)
    broken.__dict__.update(kg.__dict__)
    app = create_app(ServerSettings(), kg=broken)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        with caplog.at_level(logging.ERROR):
            response = await client.post("/graphql", json={"query": NORMAL})
        assert response.status_code == 200
        assert response.json()["errors"][0]["message"] == INTERNAL_ERROR_MESSAGE
        assert "secret" not in response.text and "Traceback" not in response.text
        assert any("secret internal detail" in r.getMessage() or (r.exc_info and "secret" in str(r.exc_info[1]))
                   for r in caplog.records)
        assert any(r.exc_info for r in caplog.records), "the server log keeps the traceback"
        # Client errors on the same app still keep their message.
        body = await gql(client, '{ code(code: "99999") { code } }')
        assert messages(body) == ["unknown code '99999'"]
        data = await data_of(client, '{ code(code: "96368") { isAddOn } }')
        assert data == {"code": {"isAddOn": True}}


async def test_graphiql_introspection_query_fits_the_limits(client: httpx.AsyncClient) -> None:
    data = await data_of(client, get_introspection_query())
    assert "Code" in {t["name"] for t in data["__schema"]["types"]}


async def test_introspection_and_graphiql_can_be_switched_off(kg: KnowledgeGraph) -> None:
    app = create_app(ServerSettings(introspection=False, graphiql=False), kg=kg)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        body = await gql(client, "{ __schema { types { name } } }")
        assert body.get("data") is None
        assert messages(body)[0] == (
            "GraphQL introspection has been disabled, but the requested query contained the field '__schema'."
        )
        page = await client.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code >= 400 and page.status_code < 500
        await still_serving(client)
