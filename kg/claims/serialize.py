"""Claim checks as JSON values shaped exactly like the API's ``checkClaim`` data.

The GraphQL answer to ``checkClaim { valid findings { rule severity message codes line
sources { iri title publisher version quarter confidence fileName } path { kind from { code }
to { code } effective end note modifierIndicator rationale editType iri sources { ... } } } }``
(the selection ``codingkg check`` asks for, :data:`server.offline.CHECK_DOCUMENT`) built
straight from the domain objects, without per-field GraphQL resolution: the batch path prints
it, and a test holds it equal to the API's answer on many claims.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeVar

import orjson

from kg.claims.model import ClaimCheck
from kg.model import Finding, Relationship, Source

__all__ = ["check_to_dict", "check_to_json", "finding_to_dict", "relationship_to_dict", "source_to_dict"]

_T = TypeVar("_T")


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _name(value: Any) -> str:
    # GraphQL enums answer with the member's name; the domain enums are StrEnums named as valued.
    return str(getattr(value, "name", value))


def source_to_dict(source: Source) -> dict[str, Any]:
    """A source as the API's ``Source`` selection.

    >>> source_to_dict(Source(iri="x", title="t"))["title"]
    't'
    """
    return {"iri": source.iri, "title": source.title, "publisher": source.publisher, "version": source.version,
            "quarter": source.quarter, "confidence": source.confidence, "fileName": source.file_name}


def relationship_to_dict(rel: Relationship) -> dict[str, Any]:
    """A relationship as the API's ``Relationship`` selection (codes by notation)."""
    return {"kind": _name(rel.kind), "from": {"code": rel.from_code.code}, "to": {"code": rel.to_code.code},
            "effective": _day(rel.effective), "end": _day(rel.end), "note": rel.note,
            "modifierIndicator": rel.modifier_indicator, "rationale": rel.rationale, "editType": rel.edit_type,
            "iri": rel.iri, "sources": [source_to_dict(s) for s in rel.sources]}


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    """A finding as the API's ``Finding`` selection."""
    return {"rule": finding.rule, "severity": _name(finding.severity), "message": finding.message,
            "codes": list(finding.codes), "line": finding.line,
            "sources": [source_to_dict(s) for s in finding.sources],
            "path": [relationship_to_dict(r) for r in finding.path]}


def check_to_dict(check: ClaimCheck) -> dict[str, Any]:
    """A claim check as the API's ``ClaimCheck`` data.

    >>> from kg.graph import KnowledgeGraph
    >>> from kg.claims import check_claim
    >>> out = check_to_dict(check_claim(KnowledgeGraph.default(),
    ...     {"claimType": "PROFESSIONAL", "placeOfService": "11", "lines": [{"code": "96368"}]}))
    >>> out["valid"], out["findings"][0]["rule"], out["findings"][0]["severity"]
    (False, 'ADDON_WITHOUT_PRIMARY', 'ERROR')
    """
    return {"valid": check.valid, "findings": [finding_to_dict(f) for f in check.findings]}


#: Serialized source and path lists by the identity of the tuple a finding holds. The engine
#: shares those tuples between the findings of every claim (they are compiled once per rule and
#: code), so most findings are written from JSON already encoded. Each entry keeps its tuple
#: alive, so an id is never reused while its entry exists.
_ENCODED: dict[int, tuple[object, orjson.Fragment]] = {}
_ENCODED_LIMIT = 100_000


def _encoded(items: Sequence[_T], to_dict: Callable[[_T], dict[str, Any]]) -> orjson.Fragment:
    found = _ENCODED.get(id(items))
    if found is not None and found[0] is items:
        return found[1]
    if len(_ENCODED) > _ENCODED_LIMIT:  # bounded: findings built per claim bring new tuples
        _ENCODED.clear()
    fragment = orjson.Fragment(orjson.dumps([to_dict(item) for item in items]))
    _ENCODED[id(items)] = (items, fragment)
    return fragment


def check_to_json(check: ClaimCheck) -> bytes:
    """:func:`check_to_dict` encoded as compact JSON (UTF-8, no ASCII escaping), the same bytes
    as ``orjson.dumps(check_to_dict(check))``, written faster for batches.

    >>> from kg.graph import KnowledgeGraph
    >>> from kg.claims import check_claim
    >>> check = check_claim(KnowledgeGraph.default(),
    ...     {"claimType": "PROFESSIONAL", "placeOfService": "11", "lines": [{"code": "96368"}]})
    >>> check_to_json(check) == orjson.dumps(check_to_dict(check))
    True
    """
    return orjson.dumps({"valid": check.valid, "findings": [
        {"rule": f.rule, "severity": _name(f.severity), "message": f.message, "codes": f.codes, "line": f.line,
         "sources": _encoded(f.sources, source_to_dict), "path": _encoded(f.path, relationship_to_dict)}
        for f in check.findings]})
