"""Claim checks: what a payer's edits will do to a claim before it is submitted, and why.

Python implements a few generic check kinds (:mod:`kg.claims.checks`); the rules that use them
are declared in RDF (``ontology/data/claim-rules*.ttl``) and compiled by :mod:`kg.claims.rules`.
Every finding names the line, the codes, a message, its sources and the graph edges that made
it fire.

>>> from kg.graph import KnowledgeGraph
>>> kg = KnowledgeGraph.default()
>>> claim = claim_from_dict({"claimType": "PROFESSIONAL", "placeOfService": "11",
...     "lines": [{"code": "96413"}, {"code": "96368", "units": 2}]})
>>> [(f.rule, f.line) for f in check_claim(kg, claim).findings if f.severity.value == "ERROR"]
[('MUE_EXCEEDED', 2)]
"""

from __future__ import annotations

from kg.claims import build_info

# Before the first compiled module is imported: an extension older than its source must not run.
build_info.run_sources_if_stale()

from kg.claims.build_info import engine_build  # noqa: E402
from kg.claims.engine import check_claim, check_claims  # noqa: E402
from kg.claims.model import (  # noqa: E402
    Claim,
    ClaimCheck,
    ClaimInputError,
    ClaimLine,
    ClaimType,
    claim_from_dict,
    claims_from_json_value,
)
from kg.claims.rules import ClaimRule, ClaimRulesError, RuleBook, rule_book  # noqa: E402

__all__ = [
    "Claim",
    "ClaimCheck",
    "ClaimInputError",
    "ClaimLine",
    "ClaimRule",
    "ClaimRulesError",
    "ClaimType",
    "RuleBook",
    "check_claim",
    "check_claims",
    "claim_from_dict",
    "claims_from_json_value",
    "engine_build",
    "rule_book",
]
