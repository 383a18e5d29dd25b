"""Root query fields of the GraphQL contract (all but ``checkClaim`` and ``codeEncounter``).

Resolvers check argument limits (:mod:`server.limits`), call one
:class:`~kg.graph.KnowledgeGraph` method and wrap what it returns. An unknown code is the
client's fault: the field is null and the response carries the error ``unknown code '…'``.

>>> [f.name for f in GraphQuery.__strawberry_definition__.fields][:3]
['code', 'codes', 'search']
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry import UNSET, Info

from kg.graph import UnknownCodeError
from server.context import graph_of
from server.limits import MAX_FIRST, check_code, check_codes, check_range, check_text, spend_traversal
from server.types import Code, Modifier, Payer, Relationship, Release, codes_of, date_of, first_of, relationships_of

__all__ = ["GraphQuery"]


@strawberry.type(description="Lookups and traversals over the knowledge graph.")
class GraphQuery:
    """The graph's root fields; :func:`server.schema.build_schema` merges it with other query classes."""

    @strawberry.field(description="A code by notation; null (and an error) when unknown, null when not valid on `asOf`.")
    def code(self, info: Info, code: str, as_of: date | None = UNSET) -> Code | None:
        kg = graph_of(info)
        kg.require_code_iri(check_code(code))
        day = date_of(as_of)
        found = kg.code(code, day)
        return None if found is None else Code.from_model(found, day)

    @strawberry.field(description="Several codes in the order asked; unknown ones are null, each with an error naming it.")
    def codes(self, info: Info, codes: list[str], as_of: date | None = UNSET) -> list[Code | None]:
        kg = graph_of(info)
        day = date_of(as_of)
        found: list[Code | UnknownCodeError | None] = []
        for code in check_codes(codes):
            if kg.code_iri(code) is None:
                # Returning the exception as the item makes graphql-core null that entry and
                # report the error at its path, while the other entries are still served.
                found.append(UnknownCodeError(code))
                continue
            obj = kg.code(code, day)
            found.append(None if obj is None else Code.from_model(obj, day))
        return found  # type: ignore[return-value]

    @strawberry.field(
        description=f"Codes whose notation, title or synonyms start with the words of `text` (first ≤ {MAX_FIRST})."
    )
    def search(self, info: Info, text: str, first: int | None = 20) -> list[Code]:
        count = check_range(20 if first is None else first, "first", 0, MAX_FIRST)
        return codes_of(graph_of(info).search(check_text(text), count))

    @strawberry.field(description=f"The primary codes an add-on may be reported with (the first `first`, ≤ {MAX_FIRST}).")
    def valid_primaries(
        self, info: Info, add_on: str, as_of: date | None = UNSET, first: int | None = MAX_FIRST
    ) -> list[Code]:
        count = first_of(first, default=MAX_FIRST)
        day = date_of(as_of)
        return codes_of(graph_of(info).valid_primaries(check_code(add_on, "addOn"), day)[:count], day)

    @strawberry.field(description="A modifier by its two-character code; null when unknown.")
    def modifier(self, info: Info, code: str) -> Modifier | None:
        found = graph_of(info).modifier(check_code(code))
        return None if found is None else Modifier.from_model(found)

    @strawberry.field(description="Every modifier the graph knows.")
    def modifiers(self, info: Info) -> list[Modifier]:
        return [Modifier.from_model(m) for m in graph_of(info).modifiers()]

    @strawberry.field(description="Every payer, with the baseline it builds on.")
    def payers(self, info: Info) -> list[Payer]:
        return [Payer.from_model(p) for p in graph_of(info).payers()]

    @strawberry.field(
        name="path",
        description="The shortest chain of relationships linking two codes; null when they are not linked.",
    )
    def path(
        self, info: Info, from_: Annotated[str, strawberry.argument(name="from")], to: str, as_of: date | None = UNSET
    ) -> list[Relationship] | None:
        spend_traversal(info.context)
        day = date_of(as_of)
        found = graph_of(info).path(check_code(from_, "from"), check_code(to, "to"), day)
        return None if found is None else relationships_of(found, day)

    @strawberry.field(description="What data is served: version, build time, layers, and each source with its quarter.")
    def release(self, info: Info) -> Release:
        return Release.from_model(graph_of(info).release())
