"""The API's answers without HTTP: what ``codingkg check`` and ``codingkg code`` print.

The commands run the documents below through the same schema the server serves, with the
graph in the context, and print the ``data`` they answer: the command line and the API share
one serializer (the GraphQL types), and input errors are the API's own messages.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from kg.graph import KnowledgeGraph
from server.context import Context
from server.limits import MAX_CLAIMS
from server.schema import CodingSchema, build_schema

__all__ = ["CHECK_DOCUMENT", "CODE_DOCUMENT", "OfflineInputError", "check_document", "code_document", "execute"]

_FRAGMENTS = """
fragment SourceFields on Source { iri title publisher version quarter confidence fileName }
fragment RelationshipFields on Relationship {
  kind from { code } to { code } effective end note modifierIndicator rationale editType iri
  sources { ...SourceFields }
}
fragment FindingFields on Finding {
  rule severity message codes line sources { ...SourceFields } path { ...RelationshipFields }
}
"""

#: What ``codingkg check`` asks: every field of ``ClaimCheck``, codes of related codes by notation.
CHECK_DOCUMENT = """query CheckClaims($claims: [ClaimInput!]!) {
  checkClaims(claims: $claims) { valid findings { ...FindingFields } }
}""" + _FRAGMENTS

#: What ``codingkg code`` asks: every field of ``EncounterCoding``.
CODE_DOCUMENT = """query CodeEncounter($encounter: EncounterInput!) {
  codeEncounter(encounter: $encounter) {
    lines { code units modifiers administrations rationale rule sources { ...SourceFields } }
    findings { ...FindingFields }
  }
}""" + _FRAGMENTS


class OfflineInputError(ValueError):
    """The input was refused, with the API's messages joined in one line."""


@cache
def _schema() -> CodingSchema:
    return build_schema()


def execute(kg: KnowledgeGraph, document: str, variables: dict[str, Any]) -> dict[str, Any]:
    """Run a GraphQL document against ``kg`` in-process.

    Args:
        kg: the graph to answer from.
        document: a GraphQL query document.
        variables: its variables (JSON values).

    Returns:
        The response's ``data``.

    Raises:
        OfflineInputError: the response holds errors (their messages, joined).

    >>> execute(KnowledgeGraph.default(), '{ code(code: "96368") { isAddOn } }', {})
    {'code': {'isAddOn': True}}
    """
    result = _schema().execute_sync(document, variable_values=variables, context_value=Context(kg=kg))
    if result.errors:
        raise OfflineInputError("; ".join(e.message for e in result.errors))
    assert result.data is not None
    return result.data


def check_document(kg: KnowledgeGraph, value: Any) -> tuple[Any, bool]:
    """Check a JSON document holding one ``ClaimInput`` object or a list of them.

    Lists longer than the API's per-request limit are checked in batches of that size.

    Returns:
        The ``ClaimCheck`` object (or the list of them, in order) exactly as the API answers
        :data:`CHECK_DOCUMENT`, and whether every claim is valid.

    Raises:
        OfflineInputError: the document is not a claim or a list of claims, or a claim is refused.

    >>> out, ok = check_document(KnowledgeGraph.default(),
    ...     {"claimType": "PROFESSIONAL", "placeOfService": "11", "lines": [{"code": "96368"}]})
    >>> ok, out["findings"][0]["rule"]
    (False, 'ADDON_WITHOUT_PRIMARY')
    """
    many = isinstance(value, list)
    claims = value if many else [value]
    if not all(isinstance(c, dict) for c in claims) or not claims:
        raise OfflineInputError("expected a claim object or a non-empty list of claim objects")
    checks: list[dict[str, Any]] = []
    for start in range(0, len(claims), MAX_CLAIMS):
        try:
            checks += execute(kg, CHECK_DOCUMENT, {"claims": claims[start:start + MAX_CLAIMS]})["checkClaims"]
        except OfflineInputError as err:
            where = f"in claims {start}-{start + MAX_CLAIMS - 1} (numbered from {start}): " if start else ""
            raise OfflineInputError(where + str(err)) from None
    return (checks if many else checks[0]), all(c["valid"] for c in checks)


def code_document(kg: KnowledgeGraph, value: Any) -> dict[str, Any]:
    """Code a JSON ``EncounterInput`` (bare, or as the variables ``{"encounter": {...}}``).

    Returns:
        The ``EncounterCoding`` exactly as the API answers :data:`CODE_DOCUMENT`.

    Raises:
        OfflineInputError: the encounter is refused.
    """
    if isinstance(value, dict) and set(value) == {"encounter"}:
        value = value["encounter"]
    if not isinstance(value, dict):
        raise OfflineInputError("expected an encounter object")
    return execute(kg, CODE_DOCUMENT, {"encounter": value})["codeEncounter"]
