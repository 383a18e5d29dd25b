"""Claim checks as JSON values shaped exactly like the API's ``checkClaim`` data.

The GraphQL answer to ``checkClaim { valid findings { rule severity message codes line
sources { iri title publisher version quarter confidence fileName } path { kind from { code }
to { code } effective end note modifierIndicator rationale editType iri sources { ... } } } }``
(the selection ``codingkg check`` asks for, :data:`server.offline.CHECK_DOCUMENT`) built
straight from the domain objects, without per-field GraphQL resolution: the batch path prints
it, and a test holds it equal to the API's answer on many claims.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from kg.claims.model import ClaimCheck
from kg.model import Finding, Relationship, Source

__all__ = ["check_to_dict", "finding_to_dict", "relationship_to_dict", "source_to_dict"]


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
