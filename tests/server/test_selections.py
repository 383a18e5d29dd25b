"""Documents whose merged selections would take seconds to validate are refused before validation."""

from __future__ import annotations

import pytest
from graphql import get_introspection_query

from server.execution import Executor
from server.limits import MAX_MERGED_SELECTIONS, MAX_REPEATED_FIELDS
from server.schema import build_schema


def _nested(codes: int, primaries: int, add_ons: int) -> str:
    inner = " ".join(["addOns { code }"] * add_ons)
    middle = " ".join([f"validPrimaries {{ {inner} }}"] * primaries)
    return "{ " + " ".join([f'code(code: "96368") {{ {middle} }}'] * codes) + " }"


def _errors(query: str) -> list[str]:
    return [error.message for error in Executor(build_schema()).prepare(query).errors]


def test_fields_multiplied_down_the_levels_are_refused_by_their_merged_count() -> None:
    # 10 x 10 x 4 fields under code.validPrimaries.addOns: validation took 1.9 s before this check.
    assert _errors(_nested(10, 10, 4)) == [
        f"'code.validPrimaries' is selected 100 times under one response name; at most {MAX_REPEATED_FIELDS} may be"]
    assert _errors(_nested(3, 3, 3)) == [
        f"'code.validPrimaries.addOns' is selected 27 times under one response name; at most {MAX_REPEATED_FIELDS} may be"]


def test_a_field_repeated_in_one_selection_set_is_refused() -> None:
    assert _errors("{ " + "release { version } " * 490 + "}") == [
        f"'release' is selected 490 times under one response name; at most {MAX_REPEATED_FIELDS} may be"]


def test_fragments_count_where_they_are_spread() -> None:
    fragment = "fragment R on Query { release { version } }"
    assert _errors("{ " + "...R " * 11 + "} " + fragment) == [
        f"'release' is selected 11 times under one response name; at most {MAX_REPEATED_FIELDS} may be"]
    doubling = " ".join(f"fragment F{n} on Release {{ ...F{n + 1} ...F{n + 1} }}" for n in range(25))
    assert _errors(f"{{ release {{ ...F0 }} }} {doubling} fragment F25 on Release {{ version }}") == [
        f"the document makes more than {MAX_MERGED_SELECTIONS} selections once its fragments are expanded"]


@pytest.mark.anyio
async def test_over_the_limit_is_told_before_the_cost() -> None:
    import httpx

    from kg.graph import KnowledgeGraph
    from server.app import create_app

    app = create_app(kg=KnowledgeGraph.default(), admin_token="")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        body = (await client.post("/graphql", json={"query": _nested(10, 10, 4)})).json()
    assert body["data"] is None
    assert [e["message"] for e in body["errors"]] == [
        f"'code.validPrimaries' is selected 100 times under one response name; at most {MAX_REPEATED_FIELDS} may be"]


def test_ordinary_documents_validate_as_before() -> None:
    assert _errors(get_introspection_query()) == []  # what GraphiQL sends first
    assert _errors(_nested(2, 2, 2)) == []
    assert _errors('{ a: code(code: "96368") { code } b: code(code: "96375") { code } }') == []
    # A fragment cycle is still told as GraphQL tells it.
    assert _errors("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }") == [
        "Cannot spread fragment 'A' within itself via 'B'."]
