"""Claim check results as JSON-ready dicts, camelCase like the GraphQL ``ClaimCheck`` type.

>>> from kg.claims.model import ClaimCheck
>>> check_to_dict(ClaimCheck.of([]))
{'valid': True, 'findings': []}
"""

from __future__ import annotations

from typing import Any

from kg.claims.model import ClaimCheck
from kg.model import Finding, Relationship, Source

__all__ = ["check_to_dict", "finding_to_dict", "relationship_to_dict", "source_to_dict"]


def source_to_dict(source: Source) -> dict[str, Any]:
    """A source as ``{iri, title, publisher, version, quarter, confidence}``."""
    return {"iri": source.iri, "title": source.title, "publisher": source.publisher,
            "version": source.version, "quarter": source.quarter, "confidence": source.confidence}


def relationship_to_dict(rel: Relationship) -> dict[str, Any]:
    """A relationship (a path edge) with its dates, indicators and sources."""
    return {
        "kind": rel.kind.value, "from": rel.from_code.code, "to": rel.to_code.code,
        "effective": rel.effective.isoformat() if rel.effective else None,
        "end": rel.end.isoformat() if rel.end else None,
        "note": rel.note, "modifierIndicator": rel.modifier_indicator, "editType": rel.edit_type,
        "iri": rel.iri, "sources": [source_to_dict(s) for s in rel.sources],
    }


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    """A finding with its sources and the path of edges that made it fire."""
    return {"rule": finding.rule, "severity": finding.severity.value, "message": finding.message,
            "codes": list(finding.codes), "line": finding.line,
            "sources": [source_to_dict(s) for s in finding.sources],
            "path": [relationship_to_dict(r) for r in finding.path]}


def check_to_dict(check: ClaimCheck) -> dict[str, Any]:
    """A claim check as ``{valid, findings}``."""
    return {"valid": check.valid, "findings": [finding_to_dict(f) for f in check.findings]}
