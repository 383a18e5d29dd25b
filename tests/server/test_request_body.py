"""Malformed requests: each a 4xx with a JSON GraphQL error, no traceback logged, nothing changed."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.limits import MAX_JSON_DEPTH
from server.request_body import BadRequest, parse_request
from tests.server.helpers import data_of

NORMAL = '{ validPrimaries(addOn: "96375") { code } }'
QUERY = b'"query": "{ release { version } }"'

MALFORMED = {
    "JSON nested 1000 deep": (b'{"query": "{ release { version } }", "variables": {"v": ' + b"[" * 1000 + b"]" * 1000 + b"}}",
                              f"nested more than {MAX_JSON_DEPTH} levels deep"),
    "body 42": (b"42", "must be a JSON object (got int)"),
    "body null": (b"null", "must be a JSON object (got null)"),
    "body a string": (b'"{ release { version } }"', "must be a JSON object (got string)"),
    "body an array": (b"[{" + QUERY + b"}]", "must be a JSON object (got array)"),
    "invalid UTF-8": (b'{"query": "{ release { version } }", "operationName": "\xff\xfe"}', "not valid UTF-8"),
    "lone surrogate in operationName": (b'{' + QUERY + b', "operationName": "\\ud800"}', "lone UTF-16 surrogate (\\ud800)"),
    "lone surrogate in variables": (b'{' + QUERY + b', "variables": {"c": "x\\udc00"}}', "lone UTF-16 surrogate (\\udc00)"),
    "lone surrogate in a key": (b'{' + QUERY + b', "variables": {"\\udbff": 1}}', "lone UTF-16 surrogate (\\udbff)"),
    "lone surrogate in the query": (b'{"query": "{ code(code: \\"\\ud800\\") { code } }"}', "lone UTF-16 surrogate"),
    "variables an array": (b'{' + QUERY + b', "variables": [1]}', "variables must be a JSON object (got array)"),
    "query a number": (b'{"query": 1}', "query must be a string (got int)"),
    "operationName an object": (b'{' + QUERY + b', "operationName": {}}', "operationName must be a string (got object)"),
    "no query": (b'{"variables": {}}', "No GraphQL query found in the request"),
    "not JSON": (b"{ this is not json", "the request body is not valid JSON"),
}


@pytest.mark.anyio
@pytest.mark.parametrize("name", list(MALFORMED))
async def test_malformed_json_bodies_are_400_with_a_json_error(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    body, expected = MALFORMED[name]
    with caplog.at_level(logging.DEBUG):
        response = await client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    errors = response.json()["errors"]
    assert len(errors) == 1 and expected in errors[0]["message"], errors
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert "Traceback" not in caplog.text
    await data_of(client, NORMAL)


@pytest.mark.anyio
async def test_wrong_content_types_and_methods_get_json_errors(client: httpx.AsyncClient) -> None:
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"content-type": content_type} if content_type else {}
        response = await client.post("/graphql", content=b"{ release { version } }", headers=headers)
        assert response.status_code == 415, content_type
        assert "send application/json or application/graphql" in response.json()["errors"][0]["message"]
    response = await client.put("/graphql", content=b"{}")
    assert response.status_code == 405 and response.headers["allow"] == "GET, POST"
    assert response.json() == {"errors": [{"message": "GraphQL takes GET or POST requests, not PUT"}]}
    response = await client.get("/graphql", params={"variables": "{"})
    assert response.status_code == 400 and "variables parameter is not valid JSON" in response.json()["errors"][0]["message"]


@pytest.mark.anyio
async def test_application_graphql_bodies_are_queries(client: httpx.AsyncClient) -> None:
    query = 'query Primaries($a: String!) { validPrimaries(addOn: $a) { code } }'
    response = await client.post("/graphql", content=query.encode(), params={"variables": json.dumps({"a": "96375"})},
                                 headers={"content-type": "application/graphql; charset=utf-8"})
    assert response.status_code == 200
    assert [c["code"] for c in response.json()["data"]["validPrimaries"]] == ["96365", "96374", "96409", "96413"]
    response = await client.post("/graphql", content=b"\xff{ release }", headers={"content-type": "application/graphql"})
    assert response.status_code == 400 and "not valid UTF-8" in response.json()["errors"][0]["message"]


def test_parse_request_reads_each_transport() -> None:
    posted = parse_request("POST", "application/json", b'{"query": "{ a }", "variables": {"x": 1}, "operationName": "A"}')
    assert (posted.query, posted.variables, posted.operation_name) == ("{ a }", {"x": 1}, "A")
    got = parse_request("GET", None, b"ignored", {"query": "{ a }", "variables": '{"x": 2}'})
    assert (got.query, got.variables, got.operation_name) == ("{ a }", {"x": 2}, None)
    # Exactly MAX_JSON_DEPTH levels are fine: the body, its variables, then the lists.
    deep = "[" * (MAX_JSON_DEPTH - 2) + "]" * (MAX_JSON_DEPTH - 2)
    assert parse_request("POST", "application/json", f'{{"query": "{{ a }}", "variables": {{"v": {deep}}}}}'.encode())
    with pytest.raises(BadRequest, match="nested more than"):
        parse_request("POST", "application/json", f'{{"query": "{{ a }}", "variables": {{"v": [{deep}]}}}}'.encode())


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.sampled_from(["application/json", "application/graphql", "text/plain", None]))
def test_any_body_is_read_or_refused_as_a_client_error(body: bytes, content_type: str | None) -> None:
    try:
        request = parse_request("POST", content_type, body)
    except BadRequest as err:
        assert err.status in (400, 415)
        return
    # What is accepted encodes back to UTF-8: nothing later can fail on it.
    request.query.encode("utf-8")
    json.dumps(request.variables, ensure_ascii=False).encode("utf-8")


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=30))
def test_any_json_document_is_read_or_refused_as_a_client_error(value: object) -> None:
    body = json.dumps({"query": "{ a }", "variables": {"v": value}}).encode()
    try:
        request = parse_request("POST", "application/json", body)
    except BadRequest as err:
        assert err.status == 400
        return
    json.dumps(request.variables, ensure_ascii=False).encode("utf-8")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_any_query_text_gets_an_answer_below_500(app: Any, text: str) -> None:
    # Through the whole endpoint: parse, price, validate, run. Lone surrogates are refused at
    # the body; any other text is a query, a syntax error or a validation error.
    async def send() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            return await client.post("/graphql", content=text.encode("utf-8", "surrogatepass"),
                                     headers={"content-type": "application/graphql"})

    response = asyncio.run(send())
    assert response.status_code < 500, (text, response.text)
    assert "errors" in response.json() or "data" in response.json()
