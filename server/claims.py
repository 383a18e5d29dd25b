"""``checkClaim`` and ``checkClaims``: what a payer's edits will do to a claim, and why.

Inputs mirror the contract and become :mod:`kg.claims` dataclasses; the engine does the rest.
A malformed claim (no lines, an unknown claim type) is the client's fault and comes back as a
clear error; what is wrong *with* a well-formed claim (an unknown code, zero units) comes back
as findings.

>>> [f.python_name for f in ClaimsQuery.__strawberry_definition__.fields]
['check_claim', 'check_claims']
"""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from graphql import GraphQLSchema
from strawberry import UNSET, Info

from kg import claims as engine
from server.context import count_findings, graph_of
from server.findings import Finding, findings_of
from server.limits import (
    MAX_BATCH_LINES,
    MAX_CLAIM_LINES,
    MAX_CLAIMS,
    MAX_LINE_MODIFIERS,
    ClientError,
    check_code,
    check_identifier,
    check_range,
)
from server.types import ClaimType

__all__ = ["CHUNK_CLAIMS", "ClaimCheck", "ClaimInput", "ClaimLineInput", "ClaimsQuery", "resolve_from_arguments"]

#: Claims checked between two deadline checks of a batch.
CHUNK_CLAIMS = 50


@strawberry.input(description="One service line of a claim.")
class ClaimLineInput:
    code: str
    units: int = 1
    modifiers: list[str] = strawberry.field(default_factory=list)

    def to_model(self, where: str) -> engine.ClaimLine:
        """The engine's claim line (argument lengths checked first)."""
        return _line(self.code, self.units, self.modifiers, where)


@strawberry.input(description="A claim to check before submission.")
class ClaimInput:
    payer: str = "medicare"
    claim_type: ClaimType
    place_of_service: str | None = UNSET
    date_of_service: date | None = UNSET
    lines: list[ClaimLineInput]

    def to_model(self, where: str = "claim") -> engine.Claim:
        """The engine's claim; a structural problem becomes a :class:`ClientError` naming the field."""
        return _claim(self.payer, self.claim_type, self.place_of_service, self.date_of_service,
                      [(line.code, line.units, line.modifiers) for line in self.lines], where)


def _line(code: str, units: int, modifiers: list[str], where: str) -> engine.ClaimLine:
    check_code(code, f"{where}.code")
    check_range(len(modifiers), f"{where}.modifiers (count)", 0, MAX_LINE_MODIFIERS)
    for modifier in modifiers:
        check_code(modifier, f"{where}.modifiers")
    return engine.ClaimLine.of(code, units, modifiers)


def _claim(payer: str, claim_type: ClaimType, place_of_service: str | None, date_of_service: date | None,
           lines: list[tuple[str, int, list[str]]], where: str) -> engine.Claim:
    check_identifier(payer, f"{where}.payer")
    if place_of_service:
        check_code(place_of_service, f"{where}.placeOfService")
    check_range(len(lines), f"{where}.lines (count)", 1, MAX_CLAIM_LINES)
    try:
        return engine.Claim(
            claim_type=claim_type,
            lines=tuple(_line(*line, f"{where}.lines[{n}]") for n, line in enumerate(lines)),
            payer=payer,
            place_of_service=place_of_service or None,
            date_of_service=date_of_service or None,
        )
    except engine.ClaimInputError as err:
        raise ClientError(f"invalid {where}: {err}") from None


def _claim_from_arguments(value: dict[str, Any], where: str = "claim") -> engine.Claim:
    """The engine's claim from graphql-core's coerced ``ClaimInput`` (a dict; defaults filled in)."""
    return _claim(value["payer"], value["claimType"], value.get("placeOfService"), value.get("dateOfService"),
                  [(line["code"], line["units"], line["modifiers"]) for line in value["lines"]], where)


@strawberry.type(description="The result of checking a claim: valid when no finding is an ERROR.")
class ClaimCheck:
    model: strawberry.Private[engine.ClaimCheck]

    @strawberry.field(description="True when no finding is an ERROR.")
    def valid(self) -> bool:
        return self.model.valid

    @strawberry.field(description="Every finding, each with its rule id, line, sources and the edges that fired.")
    def findings(self) -> list[Finding]:
        return findings_of(self.model.findings)


@strawberry.type
class ClaimsQuery:
    """The claim checker's root fields; merged into ``Query`` by :func:`server.schema.build_schema`."""

    @strawberry.field(description="Check one claim against the payer's edits (date of service drives every lookup).")
    def check_claim(self, info: Info, claim: ClaimInput) -> ClaimCheck:
        check = engine.check_claim(graph_of(info), claim.to_model())
        count_findings(info, (f.rule for f in check.findings))
        return ClaimCheck(model=check)

    @strawberry.field(
        description=f"Check up to {MAX_CLAIMS} claims of {MAX_BATCH_LINES} lines in all in one request; "
        "results in the same order."
    )
    def check_claims(self, info: Info, claims: list[ClaimInput]) -> list[ClaimCheck]:
        check_range(len(claims), "claims (count)", 1, MAX_CLAIMS)
        check_range(sum(len(claim.lines) for claim in claims), "claims (lines in all)", 1, MAX_BATCH_LINES)
        return _check_batch(info, [claim.to_model(f"claims[{n}]") for n, claim in enumerate(claims)])


def _check_batch(info: Any, models: list[engine.Claim]) -> list[ClaimCheck]:
    checks: list[ClaimCheck] = []
    for start in range(0, len(models), CHUNK_CLAIMS):
        # graph_of checks the request's deadline, so a batch past its time stops between chunks.
        kg = graph_of(info)
        chunk = engine.check_claims(kg, models[start:start + CHUNK_CLAIMS])
        count_findings(info, (f.rule for check in chunk for f in check.findings))
        checks.extend(ClaimCheck(model=check) for check in chunk)
    return checks


def _resolve_check_claim(_root: Any, info: Any, claim: dict[str, Any]) -> ClaimCheck:
    check = engine.check_claim(graph_of(info), _claim_from_arguments(claim))
    count_findings(info, (f.rule for f in check.findings))
    return ClaimCheck(model=check)


def _resolve_check_claims(_root: Any, info: Any, claims: list[dict[str, Any]]) -> list[ClaimCheck]:
    check_range(len(claims), "claims (count)", 1, MAX_CLAIMS)
    check_range(sum(len(claim["lines"]) for claim in claims), "claims (lines in all)", 1, MAX_BATCH_LINES)
    return _check_batch(info, [_claim_from_arguments(claim, f"claims[{n}]") for n, claim in enumerate(claims)])


def resolve_from_arguments(schema: GraphQLSchema) -> None:
    """Resolve ``checkClaim`` and ``checkClaims`` straight from graphql-core's coerced arguments.

    Strawberry turns a claim argument into ``ClaimInput`` and ``ClaimLineInput`` objects, value
    by value, before the resolver runs: for a 10-line claim that costs as much as checking it.
    graphql-core has already coerced and defaulted the argument into plain dicts; these
    resolvers build the engine's claim from those with the same checks and messages.

    Args:
        schema: the ``GraphQLSchema`` strawberry built; left alone when it has no such fields.
    """
    fields = schema.query_type.fields if schema.query_type is not None else {}
    for name, resolve in (("checkClaim", _resolve_check_claim), ("checkClaims", _resolve_check_claims)):
        if name in fields:
            fields[name].resolve = resolve
