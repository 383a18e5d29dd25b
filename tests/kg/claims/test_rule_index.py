"""The per-code pair index: same pairs as probing every pair of lines, far fewer probes."""

from __future__ import annotations

from datetime import date
from itertools import permutations

from hypothesis import given, settings
from hypothesis import strategies as st

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


def _kinds_between(kg: KnowledgeGraph, source: str, target: str) -> set[str]:
    """Edge kinds from ``source`` to ``target`` (any date), read edge by edge."""
    kinds = {a["kind"] for a in kg.graph.succ[source].get(target, {}).values()} if source in kg.graph else set()
    bulk = kg.bulk
    if bulk is not None and source in bulk.node_index:
        node = bulk.node_index[source]
        kinds |= {bulk.kinds[bulk.kind[r]] for r in range(bulk.src_offsets[node], bulk.src_offsets[node + 1])
                  if bulk.nodes[bulk.dst[r]] == target}
    return kinds


def _check_partners_by(kg: KnowledgeGraph, codes: list[str], kinds: frozenset[str]) -> None:
    index = rule_book(kg).pairs
    assert index is not None
    iris = [i for i in (kg.code_iri(c) for c in codes) if i is not None]
    for iri in iris:
        expected = {other for other in iris if other != iri and kinds & _kinds_between(kg, iri, other)}
        assert set(index.partners_by(iri, kinds)) & set(iris) - {iri} == expected
        assert index.partners_by(iri, kinds) <= index.partners(iri)  # a subset of every partner


PAIR_KINDS = ["BUNDLED_INTO", "MUTUALLY_EXCLUSIVE_WITH", "ADD_ON_OF", "ALTERNATIVE_TO", "NO_SUCH_KIND"]
_CURATED = KnowledgeGraph.default()
_POOL = [*LINES, "96365", "96366", "96374", "J9045", "J2405", *(c.code for c in _CURATED.codes()[:30])]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(_POOL), min_size=2, max_size=10, unique=True),
       st.frozensets(st.sampled_from(PAIR_KINDS), min_size=1))
def test_partners_by_kind_match_the_edges_on_the_curated_graph(codes: list[str], kinds: frozenset[str]) -> None:
    _check_partners_by(_CURATED, codes, kinds)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(_POOL), min_size=2, max_size=10), st.frozensets(st.sampled_from(PAIR_KINDS), min_size=1))
def test_pairs_of_some_kinds_are_the_pairs_joined_by_those_kinds(codes: list[str], kinds: frozenset[str]) -> None:
    ctx = _context(_CURATED, codes)
    expected = [(a, b, attrs) for a, b, attrs in _every_pair(ctx)
                if any(a_.get("kind") in kinds for a_ in attrs)]
    assert _as_numbers(ctx.linked_pairs(kinds)) == expected


def test_partners_by_kind_read_the_bulk_table(small_graph: KnowledgeGraph) -> None:
    bulk = small_graph.bulk
    assert bulk is not None
    codes = sorted({str(small_graph.node(bulk.nodes[n]).get("notation")) for n in bulk.src[:200]})
    for kinds in (frozenset(bulk.kinds), frozenset(bulk.kinds[:1]), frozenset({"ADD_ON_OF"})):
        _check_partners_by(small_graph, codes[:15], kinds)
    ctx = _context(small_graph, codes[:8])
    assert _as_numbers(ctx.linked_pairs(frozenset(bulk.kinds))) == \
        [(a, b, attrs) for a, b, attrs in _every_pair(ctx) if any(x["kind"] in bulk.kinds for x in attrs)]
