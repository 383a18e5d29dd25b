"""The lean execution path answers as strawberry's own execution does, with documents prepared once."""

from __future__ import annotations

import logging

import pytest
import strawberry
from strawberry.schema.exceptions import CannotGetOperationTypeError

from kg.graph import KnowledgeGraph
from server.context import Context
from server.execution import GET_OPERATIONS, Executor
from server.schema import INTERNAL_ERROR_MESSAGE, build_schema, safe_schema

CHECK_CLAIM = (
    '{ checkClaim(claim: {claimType: PROFESSIONAL, placeOfService: "11", dateOfService: "2026-06-01", lines: ['
    '{code: "99214", modifiers: ["25"]}, {code: "96413"}, {code: "96415", units: 2}, {code: "96368"}, '
    '{code: "96375"}, {code: "J9045", units: 10}]}) { valid findings { rule severity line message codes '
    "sources { iri } path { kind } } } }"
)
QUERIES = [
    '{ code(code: "96368") { code title isAddOn mue { maxUnits } paymentStatuses { paymentSystem status } '
    "validPrimaries { code } } }",
    '{ validPrimaries(addOn: "96375") { code title system } }',
    CHECK_CLAIM,
    'query Batch($claims: [ClaimInput!]!) { checkClaims(claims: $claims) { valid findings { rule line } } }',
    '{ checkClaim(claim: {claimType: PROFESSIONAL, lines: []}) { valid } }',
    '{ checkClaim(claim: {claimType: PROFESSIONAL, payer: "no such payer!", lines: [{code: "99214"}]}) { valid } }',
    '{ code(code: "00000") { code } }',
    "{ nope }",
    # Arguments of every kind the direct resolvers take: enums, lists of enums, dates, lists, renamed ones.
    '{ code(code: "96413", asOf: "2026-06-01") { mue(claimType: FACILITY_OUTPATIENT) { maxUnits } '
    'professional: mue(claimType: PROFESSIONAL, asOf: null) { maxUnits } addOns(first: 3) { code } '
    "relationships(kinds: [ADD_ON_OF, BUNDLED_INTO], first: 5) { kind from { code } to { code } } "
    "related(depth: 2, kinds: [ADD_ON_OF], first: 4) { code { code } depth path { kind } } "
    'modifierRules(asOf: "2026-06-01") { modifier applicability } sources(asOf: "2026-06-01") { iri } } }',
    'query Q($c: ClaimType, $k: [RelationKind!]) { code(code: "96368") { mue(claimType: $c) { maxUnits } '
    "relationships(kinds: $k) { kind } } }",
    '{ codes(codes: ["96368", "nosuch", "96375"], asOf: "2026-06-01") { code } search(text: "infusion", first: 3) { code } '
    'modifier(code: "25") { code } path(from: "96368", to: "96365") { kind } }',
    '{ validPrimaries(addOn: "96375", first: 500) { code } }',
    '{ code(code: "96368") { validPrimaries(first: -1) { code } } }',
    '{ code(code: "96368") { related(depth: 9) { depth } } }',
]
VARIABLES = {"c": "FACILITY_OUTPATIENT", "k": ["ADD_ON_OF"]}
BATCH = {"claims": [{"claimType": "FACILITY_OUTPATIENT", "lines": [{"code": "96365"}, {"code": "96366", "units": 3}]},
                    {"claimType": "PROFESSIONAL", "dateOfService": "2026-06-01", "lines": [{"code": "96375"}]}]}


@strawberry.type
class Holder:
    @strawberry.field
    def value(self) -> int:
        raise RuntimeError("secret detail")


@strawberry.type
class BrokenQuery:
    @strawberry.field
    def holder(self) -> Holder:
        return Holder()


@pytest.fixture(scope="module")
def kg() -> KnowledgeGraph:
    return KnowledgeGraph.default()


@pytest.mark.parametrize("query", QUERIES)
def test_answers_equal_strawberrys_own_execution(kg: KnowledgeGraph, query: str) -> None:
    variables = BATCH if "$claims" in query else VARIABLES if "$k" in query else None
    expected = build_schema().execute_sync(query, variable_values=variables, context_value=Context(kg=kg))
    got = Executor(build_schema()).execute(query, variables, None, Context(kg=kg))
    assert got.data == expected.data
    assert [e.formatted for e in got.errors or []] == [e.formatted for e in expected.errors or []]


def test_a_query_text_is_parsed_and_validated_once_and_priced_once_without_variables() -> None:
    executor = Executor(build_schema())
    first = executor.prepare("{ validPrimaries(addOn: \"96375\") { code } }")
    assert executor.prepare("{ validPrimaries(addOn: \"96375\") { code } }") is first
    assert executor.cost(first, None, None) == executor.cost(first, None, None) > 0
    assert first.costs == {None: executor.cost(first, None, None)}
    with_variables = executor.prepare("query($c: [String!]!) { codes(codes: $c) { code } }")
    assert executor.cost(with_variables, {"c": ["96365"]}, None) < executor.cost(with_variables, {"c": ["96365"] * 9}, None)
    assert with_variables.costs == {}
    broken = executor.prepare("{ code(")
    assert broken.document is None and "Syntax Error" in broken.errors[0].message


def test_internal_errors_are_masked_and_logged_client_errors_keep_their_message(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        result = Executor(safe_schema(BrokenQuery)).execute("{ holder { value } }", None, None, None)
    assert result.data is None
    assert [e.formatted for e in result.errors or []] == [
        {"message": INTERNAL_ERROR_MESSAGE, "locations": [{"line": 1, "column": 12}], "path": ["holder", "value"]}]
    assert "secret detail" in caplog.text


def test_introspection_off_refuses_schema_queries_and_get_runs_queries_only() -> None:
    closed = Executor(build_schema(introspection=False)).execute("{ __schema { types { name } } }", None, None, None)
    assert closed.data is None and "introspection" in (closed.errors or [])[0].message.lower()
    opened = Executor(build_schema()).execute("{ __schema { queryType { name } } }", None, None, None, GET_OPERATIONS)
    assert opened.data == {"__schema": {"queryType": {"name": "Query"}}}
    with pytest.raises(CannotGetOperationTypeError):
        Executor(build_schema()).execute("query A { __typename }", None, "B", None)
