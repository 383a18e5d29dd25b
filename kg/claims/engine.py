"""Check claims against the rules that apply to them: the library entry points.

>>> from kg.graph import KnowledgeGraph
>>> from kg.claims.model import Claim, ClaimLine
>>> kg = KnowledgeGraph.default()
>>> result = check_claim(kg, Claim("PROFESSIONAL", [ClaimLine("96368")], place_of_service="11"))
>>> result.valid, [f.rule for f in result.findings if f.severity.value == "ERROR"]
(False, ['ADDON_WITHOUT_PRIMARY'])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from kg.claims.checks import CHECKS
from kg.claims.context import ClaimContext
from kg.claims.model import Claim, ClaimCheck, claim_from_dict
from kg.claims.rules import rule_book
from kg.graph import KnowledgeGraph
from kg.model import Finding
from kg.vocab import CK

__all__ = ["check_claim", "check_claims"]


def check_claim(kg: KnowledgeGraph, claim: Claim | Mapping[str, Any]) -> ClaimCheck:
    """What the payer's edits will do to a claim, and why.

    Args:
        kg: the knowledge graph (its ``ck:ClaimRule`` nodes are compiled once per graph).
        claim: a :class:`Claim`, or a ``ClaimInput``-shaped mapping (see
            :func:`kg.claims.model.claim_from_dict`).

    Returns:
        ``ClaimCheck(valid, findings)``: ``valid`` is false when any finding is an ``ERROR``.
        Findings are ordered by line (claim-level first), then severity.

    Raises:
        ClaimInputError: ``claim`` is a mapping that is malformed.
        ClaimRulesError: the graph's declared rules are inconsistent.
    """
    if not isinstance(claim, Claim):
        claim = claim_from_dict(claim)
    book = rule_book(kg)
    ctx = ClaimContext(kg, book, claim, claim.date_of_service or date.today())
    findings: list[Finding] = [ctx.no_data([rule], None) for rule in ctx.selection.undecided
                               if rule.kind != CK.ClaimNotice]  # a caveat that cannot apply is no gap
    for kind, rules in ctx.selection.by_kind.items():
        run = CHECKS[kind].run
        if run is not None:
            findings.extend(run(ctx, rules))
    # The same finding can come from two rules of one kind (a NO_DATA gap, say): report it once.
    unique = list({(f.rule, f.line, f.codes, f.message): f for f in reversed(findings)}.values())
    unique.sort(key=lambda f: (f.line or 0, -book.severity_rank.get(f.severity, 0), f.rule, f.codes, f.message))
    return ClaimCheck.of(unique)


def check_claims(kg: KnowledgeGraph, claims: Iterable[Claim | Mapping[str, Any]]) -> list[ClaimCheck]:
    """:func:`check_claim` for each claim, in order.

    >>> from kg.graph import KnowledgeGraph
    >>> from kg.claims.model import Claim, ClaimLine
    >>> checks = check_claims(KnowledgeGraph.default(), [Claim("PROFESSIONAL", [ClaimLine("96365")], place_of_service="11")])
    >>> [c.valid for c in checks]
    [True]
    """
    return [check_claim(kg, claim) for claim in claims]
