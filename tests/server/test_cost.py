"""Query cost: counted before execution, refused over the budget, reported on every answer."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from graphql import parse

from server.cost import check_cost, query_cost
from server.limits import (
    DEFAULT_FIRST,
    DEFAULT_LIST_SIZE,
    MAX_BATCH_LINES,
    MAX_BODY_BYTES,
    MAX_CLAIM_LINES,
    MAX_CLAIMS,
    MAX_CODE_LENGTH,
    MAX_COST,
    MAX_LINE_MODIFIERS,
    MAX_TOKENS,
)
from server.schema import build_schema
from tests.server.helpers import data_of, gql, messages

SCHEMA = build_schema()._schema

# The fan-out of issue 9: 100 codes, then add-ons and primaries nested five deep. Within the
# depth (8), alias (30) and token (2,000) limits, and about 1.2 kB.
FAN_CODES = ["96365", "96366", "96367", "96368", "96374", "96375", "96413", "96415", "96416", "96417"] * 10
FAN_SELECTION = "code addOns { code validPrimaries { code addOns { code validPrimaries { code addOns { code } } } } }"
FAN_OUT = "{ codes(codes: [" + ", ".join(f'"{c}"' for c in FAN_CODES) + "]) { " + FAN_SELECTION + " } }"
FAN_OUT_ALIASES = ("query($c: [String!]!) { "
                   + " ".join(f"a{n}: codes(codes: $c) {{ {FAN_SELECTION} }}" for n in range(30)) + " }")


def cost(query: str, variables: dict | None = None, operation: str | None = None) -> int:
    return query_cost(SCHEMA, parse(query), variables, operation)


def test_each_field_costs_one_and_lists_multiply_what_is_under_them() -> None:
    assert cost('{ code(code: "96365") { code title } }') == 3
    # addOns defaults to DEFAULT_FIRST items, each costing itself plus its two fields.
    assert cost('{ code(code: "96365") { addOns { code title } } }') == 1 + DEFAULT_FIRST * 3
    nested = '{ code(code: "96365") { addOns(first: 2) { code validPrimaries(first: 3) { code } } } }'
    assert cost(nested) == 1 + 2 * (1 + 1 + 3 * 2)
    # A list without `first` counts DEFAULT_LIST_SIZE items.
    assert cost('{ code(code: "96365") { sources { title } } }') == 1 + DEFAULT_LIST_SIZE * 2


def test_variables_aliases_and_fragments_are_all_counted() -> None:
    by_literal = cost('{ codes(codes: ["96365", "96366", "96367"]) { code } }')
    by_variable = cost("query($c: [String!]!) { codes(codes: $c) { code } }", {"c": ["96365", "96366", "96367"]})
    by_default = cost('query($c: [String!]! = ["96365", "96366", "96367"]) { codes(codes: $c) { code } }')
    assert by_literal == by_variable == by_default == 3 * 2
    assert cost("query($n: Int) { search(text: \"x\", first: $n) { code } }", {"n": 7}) == 7 * 2
    single = cost('{ code(code: "96365") { addOns(first: 5) { code } } }')
    aliased = '{ a: code(code: "96365") { addOns(first: 5) { code } } b: code(code: "96365") { addOns(first: 5) { code } } }'
    assert cost(aliased) == 2 * single
    fragment = 'fragment F on Code { addOns(first: 5) { code } } { code(code: "96365") { ...F } }'
    inline = '{ code(code: "96365") { ... on Code { addOns(first: 5) { code } } } }'
    assert cost(fragment) == cost(inline) == single


def test_only_the_operation_that_runs_is_counted() -> None:
    document = 'query Small { release { version } } query Big { search(text: "x", first: 100) { code } }'
    assert cost(document, operation="Small") == 2
    assert cost(document, operation="Big") == 100 * 2
    assert cost(document) == 0  # ambiguous: execution reports it


def test_claim_batches_count_their_lines() -> None:
    query = "query($c: [ClaimInput!]!) { checkClaims(claims: $c) { valid } }"
    claims = [{"claimType": "PROFESSIONAL", "lines": [{"code": "96365"}] * 7}] * 3
    assert cost(query, {"c": claims}) == 3 * 7 + 3 * 2


def test_cyclic_fragments_and_unknown_fields_do_not_break_the_count() -> None:
    cyclic = 'fragment A on Code { addOns { ...B } } fragment B on Code { validPrimaries { ...A } } { code(code: "1") { ...A } }'
    assert cost(cyclic) == 1 + DEFAULT_FIRST * (1 + DEFAULT_FIRST)
    assert cost('{ nosuchfield { x } code(code: "1") { nope } }') == 1 + 2


def test_introspection_costs_nothing() -> None:
    assert cost("{ __schema { types { name fields { name args { name } } } } }") == 0


def test_refusal_names_the_cost_and_the_budget() -> None:
    with pytest.raises(Exception, match=rf"query cost {MAX_COST + 1} exceeds the budget of {MAX_COST}"):
        check_cost(MAX_COST + 1)
    assert check_cost(MAX_COST) == MAX_COST



@pytest.mark.anyio
@pytest.mark.parametrize("aliases", [False, True], ids=["fan-out", "fan-out x30 aliases"])
async def test_fan_out_is_refused_in_milliseconds(client: httpx.AsyncClient, aliases: bool) -> None:
    query, variables = (FAN_OUT_ALIASES, {"c": FAN_CODES}) if aliases else (FAN_OUT, {})
    document = parse(query)
    assert document.loc is not None and document.loc.end_token.line >= 1
    assert len(query) < (5000 if aliases else 1300)
    expected = query_cost(SCHEMA, document, variables)
    assert expected > MAX_COST
    started = time.perf_counter()
    body = await gql(client, query, variables)
    elapsed = time.perf_counter() - started
    assert messages(body) == [f"query cost {expected} exceeds the budget of {MAX_COST}: "
                              "ask for fewer items (first, codes, claims) or fewer nested lists"]
    assert body["extensions"] == {"cost": expected, "costBudget": MAX_COST}
    assert "data" not in body or body["data"] is None
    assert elapsed < 0.5, f"refusal took {elapsed:.3f} s"
    # The same shape within the budget runs.
    data = await data_of(client, '{ codes(codes: ["96365", "96374"]) { code addOns(first: 3) { code } } }')
    assert [c["code"] for c in data["codes"]] == ["96365", "96374"]


def test_fan_out_passes_the_shape_limits() -> None:
    # Depth, alias and token limits alone would let it run: that is what the cost model is for.
    document = parse(FAN_OUT_ALIASES, max_tokens=MAX_TOKENS)
    assert document is not None
    parse(FAN_OUT, max_tokens=MAX_TOKENS)


@pytest.mark.anyio
async def test_every_answered_query_reports_its_cost(client: httpx.AsyncClient) -> None:
    query = '{ code(code: "96365") { code addOns(first: 2) { code } } release { version } }'
    response = await client.post("/graphql", json={"query": query})
    body = response.json()
    assert "errors" not in body
    assert body["extensions"] == {"cost": cost(query), "costBudget": MAX_COST}
    assert body["extensions"]["cost"] == 1 + 1 + 2 * 2 + 1 + 1


@pytest.mark.anyio
async def test_first_bounds_nested_lists(client: httpx.AsyncClient) -> None:
    data = await data_of(client, '{ code(code: "96365") { all: addOns(first: 100) { code } one: addOns(first: 1) { code } } }')
    assert len(data["code"]["all"]) > 1
    assert data["code"]["one"] == data["code"]["all"][:1]
    body = await gql(client, '{ code(code: "96365") { relationships(first: 101) { kind } } }')
    assert messages(body) == ["first must be between 0 and 100 (got 101)"]


def test_the_largest_legal_claim_batch_fits_the_body_cap() -> None:
    # Every field at its longest: codes and modifiers of MAX_CODE_LENGTH, the most modifiers,
    # the largest unit count, the longest claim type, all MAX_BATCH_LINES lines.
    longest = "X" * MAX_CODE_LENGTH
    line = {"code": longest, "units": -(2**31), "modifiers": [longest] * MAX_LINE_MODIFIERS}
    per_claim = min(MAX_CLAIM_LINES, MAX_BATCH_LINES // MAX_CLAIMS)
    claim = {"payer": longest, "claimType": "FACILITY_OUTPATIENT", "placeOfService": longest,
             "dateOfService": "2026-12-31", "lines": [line] * per_claim}
    claims = [claim] * MAX_CLAIMS
    assert sum(len(c["lines"]) for c in claims) == MAX_BATCH_LINES
    query = ("query Batch($claims: [ClaimInput!]!) { checkClaims(claims: $claims) "
             "{ valid findings { rule severity line message codes } } }")
    body = json.dumps({"query": query, "variables": {"claims": claims}, "operationName": "Batch"}, separators=(",", ":"))
    assert len(body.encode()) <= MAX_BODY_BYTES
    # And it is within the cost budget.
    assert query_cost(SCHEMA, parse(query), {"claims": claims}) <= MAX_COST
