"""``related``, ``walk`` and ``path`` on a generated quarter answer exactly as the plain definition does.

The engine ranks with indexes (per-node neighbour memos, notation ranks, a binary search per
hop); the reference below recomputes every answer from :meth:`KnowledgeGraph.edges` alone,
the way the walk is specified: breadth first, neighbours in IRI order, codes ranked by hop
count then notation (ties in walk order), each hop explained by the first active edge of a
wanted kind between the two codes (``a`` to ``b`` before ``b`` to ``a``, in ``edges()`` order).
"""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import pytest

from kg.graph import KnowledgeGraph
from kg.importers.cms_layouts import generate_set
from kg.importers.release import import_files
from kg.model import RelationKind

KINDS = frozenset(k.value for k in RelationKind)
DAYS = (date(2026, 8, 3), date(2008, 6, 1))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    root = tmp_path_factory.mktemp("generated-quarter")
    files = generate_set(root / "cms", scale=0.0005, seed=11).files
    import_files(files, root / "release")
    return KnowledgeGraph.default([root / "release"], baseline=False)


def _neighbours(kg: KnowledgeGraph, node: str, wanted: frozenset[str], day: date) -> list[str]:
    found = {e.target if e.source == node else e.source for e in kg.edges(node, None, "both", day) if e.kind in wanted}
    found.discard(node)
    return sorted(found)


def _paths(kg: KnowledgeGraph, source: str, wanted: frozenset[str], day: date, depth: int,
           enough: int | None) -> dict[str, list[str]]:
    paths, frontier = {source: [source]}, [source]
    for _ in range(depth):
        following = []
        for node in frontier:
            for other in _neighbours(kg, node, wanted, day):
                if other not in paths:
                    paths[other] = [*paths[node], other]
                    following.append(other)
        if not following or (enough is not None and len(paths) > enough):
            break
        frontier = following
    return paths


def _hop(kg: KnowledgeGraph, a: str, b: str, wanted: frozenset[str], day: date) -> tuple[str, str, str, str]:
    for source, target in ((a, b), (b, a)):
        for edge in kg.edges(source, None, "out", day):
            if edge.target == target and edge.kind in wanted:
                return edge.kind, source, target, str(edge.attrs.get("id"))
    raise AssertionError(f"no edge between {a} and {b}")


def _expected(kg: KnowledgeGraph, code: str, depth: int, wanted: frozenset[str], day: date, limit: int | None) -> list:
    iri = kg.code_iri(code)
    assert iri is not None
    paths = _paths(kg, iri, wanted, day, depth, limit)
    ranked = sorted(((len(p) - 1, str(kg.node(t)["notation"]), p) for t, p in paths.items()
                     if t != iri and kg.node(t).get("notation") is not None), key=lambda item: item[:2])
    if limit is not None:
        ranked = ranked[:max(limit, 0)]
    return [(notation, hops, [_hop(kg, a, b, wanted, day) for a, b in pairwise(p)]) for hops, notation, p in ranked]


def _answer(kg: KnowledgeGraph, code: str, depth: int, kinds: list[str] | None, day: date, limit: int | None) -> list:
    return [(r.code.code, r.depth, [(h.kind.value, h.from_code.iri, h.to_code.iri, str(h.iri)) for h in r.path])
            for r in kg.related(code, depth=depth, kinds=kinds, as_of=day, limit=limit)]


def _busiest(kg: KnowledgeGraph, count: int) -> list[str]:
    assert kg.bulk is not None
    degree = {iri: kg.bulk.src_offsets[n + 1] - kg.bulk.src_offsets[n] + kg.bulk.dst_offsets[n + 1]
              - kg.bulk.dst_offsets[n] for iri, n in kg.bulk.node_index.items()}
    busy = sorted(degree, key=lambda iri: (-degree[iri], iri))
    return [str(kg.node(i)["notation"]) for i in busy if kg.node(i).get("notation") is not None][:count]


@pytest.mark.parametrize("day", DAYS)
def test_related_matches_the_plain_walk(generated: KnowledgeGraph, day: date) -> None:
    codes = [*_busiest(generated, 4), "96368", "96413"]
    bundled = [RelationKind.BUNDLED_INTO.value]
    checked = 0
    for code in codes:
        for depth, limit in ((1, None), (2, None), (2, 7), (3, 40), (2, 0)):
            for kinds in (None, bundled):
                wanted = KINDS if kinds is None else frozenset(kinds)
                generated.clear_memos()
                expected = _expected(generated, code, depth, wanted, day, limit)
                answer = [(c, d, [h[0] for h in p]) for c, d, p in _answer(generated, code, depth, kinds, day, limit)]
                assert answer == [(c, d, [h[0] for h in p]) for c, d, p in expected], (code, depth, limit, kinds)
                # Asked again (every memo warm), the answer is the same, hop for hop.
                again = _answer(generated, code, depth, kinds, day, limit)
                assert again == [(c, d, [(k, s, t, i) for k, s, t, i in p]) for c, d, p in expected]
                checked += len(expected)
    assert checked > 200  # the quarter is big enough for the walk to branch


def test_walk_and_path_match_the_plain_walk(generated: KnowledgeGraph) -> None:
    from kg import traversal

    day = DAYS[0]
    hub, *others = _busiest(generated, 6)
    iri = generated.require_code_iri(hub)
    assert traversal.walk(generated, iri, None, day, 2) == _paths(generated, iri, KINDS, day, 2, None)
    everything = _paths(generated, iri, KINDS, day, 6, None)
    for other in others:
        steps = generated.path(hub, other, as_of=day)
        assert steps is not None
        assert len(steps) == len(everything[generated.require_code_iri(other)]) - 1  # a shortest chain
        assert {steps[0].from_code.code, steps[0].to_code.code} >= {hub} and other in {steps[-1].from_code.code,
                                                                                     steps[-1].to_code.code}
