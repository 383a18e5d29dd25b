"""JSON-ready dictionaries of an :class:`EncounterCoding`, with the GraphQL field names.

>>> from kg.model import Finding, Severity
>>> coding_to_dict(EncounterCoding([], [Finding("EMPTY_RECORD", Severity.WARNING, "nothing")]))["findings"][0]["severity"]
'WARNING'
"""

from __future__ import annotations

from typing import Any

from kg.encounter.model import CodedLine, EncounterCoding
from kg.model import Finding, Relationship, Source

__all__ = ["coding_to_dict", "finding_to_dict", "line_to_dict"]


def _source(src: Source) -> dict[str, Any]:
    return {"iri": src.iri, "title": src.title, "publisher": src.publisher, "confidence": src.confidence}


def _relationship(rel: Relationship) -> dict[str, Any]:
    return {"kind": rel.kind.value, "from": rel.from_code.code, "to": rel.to_code.code, "iri": rel.iri,
            "note": rel.note, "effective": rel.effective.isoformat() if rel.effective else None,
            "end": rel.end.isoformat() if rel.end else None, "sources": [_source(s) for s in rel.sources]}


def line_to_dict(line: CodedLine) -> dict[str, Any]:
    """A coded line as the GraphQL ``CodedLine`` (plus the rule and sources behind it)."""
    return {"code": line.code, "units": line.units, "modifiers": list(line.modifiers),
            "administrations": list(line.administrations), "rationale": line.rationale,
            "rule": line.rule, "sources": [_source(s) for s in line.sources]}


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    """A finding as the GraphQL ``Finding``."""
    return {"rule": finding.rule, "severity": finding.severity.value, "message": finding.message,
            "codes": list(finding.codes), "line": finding.line,
            "sources": [_source(s) for s in finding.sources], "path": [_relationship(r) for r in finding.path]}


def coding_to_dict(coding: EncounterCoding) -> dict[str, Any]:
    """The whole coding as the GraphQL ``EncounterCoding``."""
    return {"lines": [line_to_dict(x) for x in coding.lines], "findings": [finding_to_dict(f) for f in coding.findings]}
