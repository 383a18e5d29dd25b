"""Relationships between codes: add-on pairs, typed relationships, walks and explained paths.

Functions here take the :class:`kg.graph.KnowledgeGraph` they read; the facade's methods call them.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from datetime import date
from itertools import pairwise
from typing import TYPE_CHECKING

from kg.lookup import code_object
from kg.model import Code, Edge, RelatedCode, RelationKind, Relationship, is_active

if TYPE_CHECKING:
    from kg.graph import KnowledgeGraph

__all__ = ["add_on_edges", "add_ons", "hop", "meet", "neighbours", "path", "related", "relation_edges",
           "relationship", "relationships", "valid_primaries", "walk"]

_RELATION_KINDS = frozenset(k.value for k in RelationKind)
#: Relationship objects kept for reuse (they are immutable, like the graph they come from).
_RELATIONSHIP_MEMO_SIZE = 100_000


def relationship(kg: KnowledgeGraph, edge: Edge) -> Relationship:
    a = edge.attrs
    key = (str(a.get("id")), edge.source, edge.target)
    found = kg._relationship_memo.get(key)
    if found is not None:
        return found
    if len(kg._relationship_memo) > _RELATIONSHIP_MEMO_SIZE:
        kg._relationship_memo.clear()  # bounded: a walk over a full PTP table must not keep every edge
    found = kg._relationship_memo[key] = Relationship(
        kind=RelationKind(a["kind"]),
        from_code=code_object(kg, edge.source),
        to_code=code_object(kg, edge.target),
        effective=a.get("effective"),
        end=a.get("end"),
        note=a.get("note"),
        sources=kg.sources_of(a.get("sources", ())),
        iri=a.get("id"),
        modifier_indicator=a.get("modifierIndicator"),
        rationale=a.get("rationale"),
        edit_type=a.get("editType"),
    )
    return found


def valid_primaries(kg: KnowledgeGraph, add_on: str, as_of: date | None = None) -> list[Code]:
    """Codes an add-on may be reported with, sorted by notation; see :meth:`KnowledgeGraph.valid_primaries`."""
    iri = kg.require_code_iri(add_on)
    found = {e.target for e in kg.edges(iri, RelationKind.ADD_ON_OF.value, "out", as_of)}
    return sorted((code_object(kg, t) for t in found), key=lambda c: c.code)


def add_on_edges(kg: KnowledgeGraph, add_on: str, as_of: date | None = None) -> list[Relationship]:
    """The add-on-of relationships of an add-on, each with its sources and edit type; see :meth:`KnowledgeGraph.add_on_edges`."""
    iri = kg.require_code_iri(add_on)
    return [relationship(kg, e) for e in kg.edges(iri, RelationKind.ADD_ON_OF.value, "out", as_of)]


def add_ons(kg: KnowledgeGraph, primary: str, as_of: date | None = None) -> list[Code]:
    """Add-on codes that may be reported with a primary, sorted by notation; see :meth:`KnowledgeGraph.add_ons`."""
    iri = kg.require_code_iri(primary)
    found = {e.source for e in kg.edges(iri, RelationKind.ADD_ON_OF.value, "in", as_of)}
    return sorted((code_object(kg, s) for s in found), key=lambda c: c.code)


def relation_edges(kg: KnowledgeGraph, iri: str, kinds: Iterable[str] | None, as_of: date | None) -> Iterator[Edge]:
    wanted = _RELATION_KINDS if kinds is None else frozenset(kinds) & _RELATION_KINDS
    for edge in kg.edges(iri, None, "both", as_of):
        if edge.kind in wanted and kg.graph.nodes[edge.source].get("notation") is not None \
                and kg.graph.nodes[edge.target].get("notation") is not None:
            yield edge


def relationships(
    kg: KnowledgeGraph,
    code: str,
    kinds: Iterable[RelationKind | str] | None = None,
    as_of: date | None = None,
    first: int | None = None,
) -> list[Relationship]:
    """Relationships touching a code, in either direction, optionally of some kinds; see :meth:`KnowledgeGraph.relationships`."""
    iri = kg.require_code_iri(code)
    names = None if kinds is None else [RelationKind(k).value for k in kinds]
    edges = relation_edges(kg, iri, names, as_of)
    if first is not None:
        nodes = kg.graph.nodes

        def rank(edge: Edge) -> tuple[str, str, str]:
            return edge.kind, str(nodes[edge.source]["notation"]), str(nodes[edge.target]["notation"])

        # nsmallest is stable, like sorted: the same first items as sorting everything.
        edges = iter(heapq.nsmallest(first, edges, key=rank))
    rels = [relationship(kg, e) for e in edges]
    return sorted(rels, key=lambda r: (r.kind.value, r.from_code.code, r.to_code.code))


def neighbours(kg: KnowledgeGraph, node: str, wanted: frozenset[str], day: date) -> list[str]:
    """Codes one active relationship of a wanted kind away, either direction, sorted."""
    found: set[str] = set()
    for _, other, attrs in kg.graph.out_edges(node, data=True):
        if attrs["kind"] in wanted and is_active(attrs, day):
            found.add(other)
    for other, _, attrs in kg.graph.in_edges(node, data=True):
        if attrs["kind"] in wanted and is_active(attrs, day):
            found.add(other)
    if kg.bulk is not None:
        found |= kg.bulk.neighbours(node, wanted, day)
    found.discard(node)
    return sorted(found)


def walk(
    kg: KnowledgeGraph, source: str, kinds: Iterable[str] | None, as_of: date | None, depth: int, enough: int | None = None
) -> dict[str, list[str]]:
    """Shortest relationship paths from ``source``, breadth first, neighbours in IRI order.

    networkx's shortest-path functions return *a* shortest path, which one depending on
    insertion order, and they cannot see the bulk PTP table; an explanation must not change
    because a file was loaded in another order, so this walk takes neighbours in sorted
    order (for codes of one system, by notation). It stops after the first complete hop at
    which ``enough`` codes have been reached (farther hops could not rank before them).
    """
    wanted = _RELATION_KINDS if kinds is None else frozenset(kinds) & _RELATION_KINDS
    day = as_of or date.today()
    paths = {source: [source]}
    frontier = [source]
    for _ in range(depth):
        following: list[str] = []
        for node in frontier:
            for neighbour in neighbours(kg, node, wanted, day):
                if neighbour in paths:
                    continue
                paths[neighbour] = [*paths[node], neighbour]
                following.append(neighbour)
        if not following or (enough is not None and len(paths) > enough):
            break
        frontier = following
    return paths


def hop(kg: KnowledgeGraph, a: str, b: str, kinds: Iterable[str] | None, as_of: date | None) -> Relationship:
    wanted = _RELATION_KINDS if kinds is None else frozenset(kinds)
    day = as_of or date.today()
    for source, target in ((a, b), (b, a)):
        if source not in kg.graph:
            continue
        # The edges between the two codes only, in the order edges() lists them (bulk rows
        # first): scanning every edge at a hub costs thousands of rows per hop at full scale.
        between = kg.bulk.edges_between(source, target, None, day) if kg.bulk is not None else []
        between += [Edge(source, target, attrs) for attrs in kg.graph.succ.get(source, {}).get(target, {}).values()
                    if is_active(attrs, day)]
        for edge in between:
            if edge.kind in wanted:
                return relationship(kg, edge)
    raise LookupError(f"no relationship between {a} and {b}")


def related(
    kg: KnowledgeGraph, code: str,
    depth: int = 1,
    kinds: Iterable[RelationKind | str] | None = None,
    as_of: date | None = None,
    limit: int | None = None,
) -> list[RelatedCode]:
    """Codes within ``depth`` relationship hops, each with the path that reaches it; see :meth:`KnowledgeGraph.related`."""
    iri = kg.require_code_iri(code)
    names = None if kinds is None else [RelationKind(k).value for k in kinds]
    paths = walk(kg, iri, names, as_of, max(depth, 0), enough=limit)
    reached = sorted(
        ((len(nodes) - 1, code_object(kg, target), nodes) for target, nodes in paths.items()
         if target != iri and kg.node(target).get("notation") is not None),
        key=lambda item: (item[0], item[1].code),
    )
    if limit is not None:
        reached = reached[: max(limit, 0)]
    return [RelatedCode(obj, hops, tuple(hop(kg, a, b, names, as_of) for a, b in pairwise(nodes)))
            for hops, obj, nodes in reached]


def path(
    kg: KnowledgeGraph, from_code: str, to_code: str, as_of: date | None = None, max_depth: int = 6
) -> list[Relationship] | None:
    """The shortest chain of relationships linking two codes, or ``None`` when unlinked; see :meth:`KnowledgeGraph.path`."""
    a, b = kg.require_code_iri(from_code), kg.require_code_iri(to_code)
    if a == b:
        return []
    nodes = meet(kg, a, b, _RELATION_KINDS, as_of or date.today(), max_depth)
    if nodes is None:
        return None
    return [hop(kg, x, y, None, as_of) for x, y in pairwise(nodes)]


def meet(kg: KnowledgeGraph, a: str, b: str, wanted: frozenset[str], day: date, max_depth: int) -> list[str] | None:
    """The nodes of a shortest path from ``a`` to ``b``, searching from both ends at once.

    Each step expands one whole layer of the side with the smaller frontier, so a code in
    a small component (or with no relationships) answers "unlinked" at once instead of
    the search flooding a full PTP table from the other end. Among the shortest paths met
    in the same step the lowest-sorting one is returned; neighbours are taken in sorted
    order, so the answer depends on the data only.
    """
    forward, backward = {a: [a]}, {b: [b]}
    forward_front, backward_front = [a], [b]
    for _ in range(max(max_depth, 0)):
        if not forward_front or not backward_front:
            return None
        grow_forward = len(forward_front) <= len(backward_front)
        side, front = (forward, forward_front) if grow_forward else (backward, backward_front)
        following: list[str] = []
        for node in front:
            for neighbour in neighbours(kg, node, wanted, day):
                if neighbour not in side:
                    side[neighbour] = [*side[node], neighbour]
                    following.append(neighbour)
        meets = [n for n in following if n in forward and n in backward]
        if meets:
            return min((forward[m] + backward[m][-2::-1] for m in meets), key=lambda p: (len(p), p))
        if grow_forward:
            forward_front = following
        else:
            backward_front = following
    return None
