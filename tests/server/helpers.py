"""Helpers for the GraphQL API tests: send a request, read its data or its error messages."""

from __future__ import annotations

from typing import Any

import httpx


async def gql(client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """POST a GraphQL request and return the JSON body, asserting the HTTP status is not a server error."""
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}})
    assert response.status_code < 500, response.text
    return response.json()


async def data_of(client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``data`` of a request that must succeed without errors."""
    body = await gql(client, query, variables)
    assert "errors" not in body, body["errors"]
    return body["data"]


def messages(body: dict[str, Any]) -> list[str]:
    """The error messages of a GraphQL response."""
    return [e["message"] for e in body.get("errors", ())]
