"""The schema: the committed SDL, the contract's names, and merging in further query classes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import strawberry
from strawberry import Info

from codingkg.cli import main
from kg.graph import KnowledgeGraph
from server.context import Context, graph_of
from server.schema import build_schema, schema_sdl
from server.types import Code, Relationship, Source, relationships_of, sources_of

REPOSITORY = Path(__file__).resolve().parents[2]

# Field signatures as the GraphQL contract (DESIGN.md) writes them.
CONTRACT = [
    "code(code: String!, asOf: Date): Code",
    "codes(codes: [String!]!, asOf: Date): [Code]!",
    "search(text: String!, first: Int = 20): [Code!]!",
    "validPrimaries(addOn: String!, asOf: Date): [Code!]!",
    "modifier(code: String!): Modifier",
    "modifiers: [Modifier!]!",
    "payers: [Payer!]!",
    "path(from: String!, to: String!, asOf: Date): [Relationship!]",
    "release: Release!",
    "code: String!", "iri: String!", "system: String!", "title: String!", "description: String",
    "isAddOn: Boolean!", "family: String",
    "validPrimaries(asOf: Date): [Code!]!",
    "addOns(asOf: Date): [Code!]!",
    "mue(claimType: ClaimType = PROFESSIONAL, asOf: Date): Mue",
    "relationships(kinds: [RelationKind!], asOf: Date): [Relationship!]!",
    "related(depth: Int = 1, kinds: [RelationKind!], asOf: Date): [RelatedCode!]!",
    "modifierRules: [ModifierRule!]!",
    "paymentStatuses: [PaymentStatus!]!",
    "documentation: [String!]!",
    "denialRisks: [String!]!",
    "kind: RelationKind!", "from: Code!", "to: Code!", "effective: Date", "end: Date", "note: String",
    "sources: [Source!]!",
    "scalar Date",
    # codeEncounter
    "codeEncounter(encounter: EncounterInput!): EncounterCoding!",
    "perspective: Perspective!", "date: Date", "administrations: [AdministrationInput!]!",
    "id: String!", "substance: String!", "category: SubstanceCategory", "hcpcs: String", "route: Route!",
    "start: String!", "stop: String!", "site: String", "primaryReason: Boolean = false",
    "lines: [CodedLine!]!", "findings: [Finding!]!",
    "units: Int!", "modifiers: [String!]!", "administrations: [String!]!", "rationale: String!",
    # checkClaim
    "checkClaim(claim: ClaimInput!): ClaimCheck!", "checkClaims(claims: [ClaimInput!]!): [ClaimCheck!]!",
    'payer: String! = "medicare"', "claimType: ClaimType!", "placeOfService: String", "dateOfService: Date",
    "lines: [ClaimLineInput!]!", "code: String!", "units: Int! = 1", "modifiers: [String!]! = []",
    "valid: Boolean!",
    # Finding
    "rule: String!", "severity: Severity!", "message: String!", "codes: [String!]!", "line: Int",
    "path: [Relationship!]!",
]


def test_committed_schema_matches_the_code() -> None:
    committed = (REPOSITORY / "schema.graphql").read_text()
    assert committed == schema_sdl(), "schema.graphql is stale: run `codingkg schema > schema.graphql`"


def test_schema_command_prints_the_sdl(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert capsys.readouterr().out == schema_sdl()


def test_contract_names() -> None:
    sdl = schema_sdl()
    # A field whose contract has no arguments may take an optional asOf here (an extension), and
    # a list field an optional trailing `first` (a bound the cost model counts).
    lines = {line.strip() for line in sdl.splitlines()}
    lines |= {re.sub(r", first: Int = \d+\)", ")", line) for line in lines}
    lines |= {re.sub(r"\(first: Int = \d+\)", "", line) for line in lines}
    lines |= {line.replace("(asOf: Date)", "") for line in lines}
    missing = [sig for sig in CONTRACT if sig not in lines]
    assert missing == []
    kinds = ["ADD_ON_OF", "MUTUALLY_EXCLUSIVE_WITH", "BUNDLED_INTO", "PACKAGED_UNDER", "ALTERNATIVE_TO"]
    assert "enum RelationKind {\n" + "".join(f"  {k}\n" for k in kinds) + "}" in sdl
    assert "type Query {" in sdl
    for enum, values in {"Perspective": ["PHYSICIAN", "FACILITY"], "Severity": ["ERROR", "WARNING", "INFO"],
                         "SubstanceCategory": ["CHEMOTHERAPY", "THERAPEUTIC", "HYDRATION"]}.items():
        assert f"enum {enum} {{\n" + "".join(f"  {v}\n" for v in values) + "}" in sdl, enum
    # Route keeps the contract's values, in order, and is extended (issue 12: intra-arterial).
    contract_routes = ["IV_INFUSION", "IV_PUSH", "SUBCUTANEOUS_INFUSION", "INJECTION"]
    assert "enum Route {\n" + "".join(f"  {v}\n" for v in contract_routes) + "  INTRA_ARTERIAL\n}" in sdl


@strawberry.type
class ExplainQuery:
    """A query class as a later module would add one, built from the exported types."""

    @strawberry.field
    def why_linked(self, info: Info, a: str, b: str) -> list[Relationship]:
        return relationships_of(graph_of(info).path(a, b) or [])

    @strawberry.field
    def cited(self, info: Info, code: str) -> list[Source]:
        return sources_of(graph_of(info).code_sources(code))

    @strawberry.field
    def first_primary(self, info: Info, add_on: str) -> Code | None:
        found = graph_of(info).valid_primaries(add_on)
        return Code.from_model(found[0]) if found else None


def test_further_query_classes_merge_into_query(kg: KnowledgeGraph) -> None:
    schema = build_schema(extra_queries=(ExplainQuery,))
    sdl = schema.as_str()
    assert "whyLinked(a: String!, b: String!): [Relationship!]!" in sdl
    assert "validPrimaries(addOn: String!, asOf: Date, first: Int = 100): [Code!]!" in sdl
    result = schema.execute_sync(
        '{ whyLinked(a: "96411", b: "96415") { kind to { code } } firstPrimary(addOn: "96375") { code } '
        'cited(code: "96368") { confidence } }',
        context_value=Context(kg=kg),
    )
    assert result.errors is None
    assert [r["to"]["code"] for r in result.data["whyLinked"]] == ["96413", "96413"]
    assert result.data["firstPrimary"] == {"code": "96365"}
    assert result.data["cited"]
