"""The per-code pair index: same pairs as probing every pair of lines, far fewer probes."""

from __future__ import annotations

from datetime import date
from itertools import permutations

from kg.claims import Claim, ClaimLine, rule_book
from kg.claims.context import ClaimContext
from kg.graph import KnowledgeGraph

AFTER = date(2026, 8, 3)
LINES = ["99214", "96413", "96415", "96417", "96367", "96368", "96375", "96361", "96360", "96372"]


def _every_pair(ctx: ClaimContext) -> list[tuple[int, int, list[dict]]]:
    """The pairs found the slow way: every ordered pair of lines, graph and bulk table probed."""
    kg, found = ctx.kg, []
    for lv, other in permutations(ctx.known, 2):
        if lv.iri == other.iri:
            continue
        attrs = list(kg.graph.succ[lv.iri].get(other.iri, {}).values())
        if kg.bulk is not None:
            attrs += [e.attrs for kind in kg.bulk.kind_set for e in kg.bulk.edges_between(lv.iri, other.iri, kind, ctx.as_of)]
        if attrs:
            found.append((lv.number, other.number, attrs))
    return found


def _context(kg: KnowledgeGraph, codes: list[str]) -> ClaimContext:
    claim = Claim("PROFESSIONAL", [ClaimLine(c) for c in codes], place_of_service="11", date_of_service=AFTER)
    return ClaimContext(kg, rule_book(kg), claim, AFTER)


def _as_numbers(pairs: list) -> list[tuple[int, int, list[dict]]]:
    return [(lv.number, other.number, list(attrs)) for lv, other, attrs in pairs]


def test_pairs_match_probing_every_pair_on_the_curated_graph() -> None:
    ctx = _context(KnowledgeGraph.default(), LINES)
    pairs = _as_numbers(ctx.linked_pairs())
    assert pairs == _every_pair(ctx)
    assert pairs  # the claim holds PTP pairs of the curated policy
    lines = len(ctx.known)
    # One partner-set read per line plus one probe per existing pair, instead of n * (n - 1).
    assert ctx.pair_lookups == lines + len(pairs) < lines * (lines - 1)


def test_pairs_match_probing_every_pair_with_a_bulk_table(small_graph: KnowledgeGraph) -> None:
    assert small_graph.bulk is not None
    for codes in (["96413", "96360"], ["96365", "96372", "96374"], ["96360", "96413", "96372", "96365", "99999"]):
        ctx = _context(small_graph, codes)
        assert _as_numbers(ctx.linked_pairs()) == _every_pair(ctx), codes
    ctx = _context(small_graph, ["96413", "96360"])
    assert any(a.get("modifierIndicator") == 1 for _, _, attrs in ctx.linked_pairs() for a in attrs)
