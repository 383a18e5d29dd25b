"""Relationships between codes: add-on pairs, typed relationships, walks and explained paths.

Functions here take the :class:`kg.graph.KnowledgeGraph` they read; the facade's methods call them.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from datetime import date
from itertools import filterfalse, pairwise
from operator import itemgetter
from typing import TYPE_CHECKING

from kg.adjacency import predecessors, successors
from kg.lookup import code_object
from kg.model import Code, Edge, RelatedCode, RelationKind, Relationship, is_active

if TYPE_CHECKING:
    from kg.graph import KnowledgeGraph

__all__ = ["add_on_edges", "add_ons", "hop", "meet", "neighbours", "path", "related", "relation_edges",
           "relationship", "relationships", "valid_primaries", "walk"]

_RELATION_KINDS = frozenset(k.value for k in RelationKind)
#: Relationship objects kept for reuse (they are immutable, like the graph they come from).
_RELATIONSHIP_MEMO_SIZE = 100_000
#: Sorted neighbour lists kept for reuse (node, kinds, day). A hub's list holds up to a few
#: thousand codes at full scale, so this bounds the memo to some tens of MB.
_NEIGHBOUR_MEMO_SIZE = 2048


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


def neighbours(kg: KnowledgeGraph, node: str, wanted: frozenset[str], day: date) -> tuple[str, ...]:
    """Codes one active relationship of a wanted kind away, either direction, sorted.

    Memoised per node, kinds and day (bounded): a walk at full scale expands hubs with
    thousands of PTP rows, and the same hubs recur from query to query.
    """
    key = (node, wanted, day)
    memo = kg._neighbour_memo
    found_memo = memo.get(key)
    if found_memo is not None:
        return found_memo
    found: set[str] = set()
    for adjacency in (successors(kg.graph, node), predecessors(kg.graph, node)):
        for other, keyed in adjacency.items():
            if any(attrs["kind"] in wanted and is_active(attrs, day) for attrs in keyed.values()):
                found.add(other)
    if kg.bulk is not None:
        found |= kg.bulk.neighbours(node, wanted, day)
    found.discard(node)
    result = tuple(sorted(found))
    if len(memo) >= _NEIGHBOUR_MEMO_SIZE:
        memo.clear()  # bounded; refilled by the hubs still asked about
    memo[key] = result
    return result


def _reach(
    kg: KnowledgeGraph, source: str, wanted: frozenset[str], day: date, depth: int, enough: int | None
) -> tuple[dict[str, str], list[list[str]]]:
    """Every code reached, breadth first: the code each was reached from, and the codes of each hop.

    Returns:
        ``(parents, levels)``: ``parents`` maps each code (``source`` to itself) to the code it was
        first reached from; ``levels[k]`` lists the codes first reached at hop ``k + 1``, in the
        order the walk met them.
    """
    parents = {source: source}
    levels: list[list[str]] = []
    frontier = [source]
    for _ in range(depth):
        following: list[str] = []
        for node in frontier:
            # filterfalse over the dict's own __contains__: no bytecode per neighbour, and a
            # hub at full scale lists thousands of them.
            fresh = list(filterfalse(parents.__contains__, neighbours(kg, node, wanted, day)))
            parents.update(dict.fromkeys(fresh, node))
            following += fresh
        if not following:
            break
        levels.append(following)
        if enough is not None and len(parents) > enough:
            break
        frontier = following
    return parents, levels


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
    parents, _ = _reach(kg, source, wanted, as_of or date.today(), depth, enough)
    paths: dict[str, list[str]] = {}
    for node, parent in parents.items():
        paths[node] = [*paths[parent], node] if node != source else [node]
    return paths


def hop(kg: KnowledgeGraph, a: str, b: str, kinds: Iterable[str] | None, as_of: date | None) -> Relationship:
    wanted = _RELATION_KINDS if kinds is None else frozenset(kinds)
    day = as_of or date.today()
    key = (a, b, wanted, day)
    memo = kg._hop_memo
    found = memo.get(key)
    if found is not None:
        return found
    for source, target in ((a, b), (b, a)):
        if source not in kg.graph:
            continue
        # The first active edge of a wanted kind between the two codes, bulk rows first (in row
        # order), then graph edges: the order edges() lists them. A binary search in the bulk
        # table, not a scan of a hub's thousands of rows.
        edge = kg.bulk.first_between(source, target, wanted, day) if kg.bulk is not None else None
        if edge is None:
            edge = next((Edge(source, target, attrs) for attrs in successors(kg.graph, source).get(target, {}).values()
                         if attrs["kind"] in wanted and is_active(attrs, day)), None)
        if edge is not None:
            if len(memo) >= _RELATIONSHIP_MEMO_SIZE:
                memo.clear()
            found = memo[key] = relationship(kg, edge)
            return found
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
    wanted = _RELATION_KINDS if names is None else frozenset(names) & _RELATION_KINDS
    parents, levels = _reach(kg, iri, wanted, as_of or date.today(), max(depth, 0), limit)
    wanted_count = sum(map(len, levels)) if limit is None else max(limit, 0)
    kept: list[tuple[int, str]] = []
    for depth_, level in enumerate(levels, start=1):
        if len(kept) >= wanted_count:
            break
        kept.extend((depth_, target) for target in _by_notation(kg, level)[: wanted_count - len(kept)])
    paths: dict[str, tuple[Relationship, ...]] = {iri: ()}  # a code's path extends its parent's

    def path_to(target: str) -> tuple[Relationship, ...]:
        unexplained = []
        while target not in paths:
            unexplained.append(target)
            target = parents[target]
        found = paths[target]
        for node in reversed(unexplained):
            found = paths[node] = (*found, hop(kg, parents[node], node, names, as_of))
        return found

    return [RelatedCode(code_object(kg, target), depth_, path_to(target)) for depth_, target in kept]


def _by_notation(kg: KnowledgeGraph, level: list[str]) -> list[str]:
    """The codes of one hop that carry a notation, sorted by it; ties keep the walk's order.

    The ranks come from the code index (a C-level sort key, no Code objects); the start
    code of a walk has no parent, so it never appears in a level.
    """
    rank = kg._index.ranks
    try:
        # One pass: sorting fails on the first node outside the code index (a separate
        # membership pass costs as much as the sort at full scale, for a case that is rare).
        return sorted(level, key=rank.__getitem__)
    except KeyError:  # nodes outside the code index that may still carry a notation
        nodes, notations = kg.graph.nodes, kg._index.notations
        keyed: list[tuple[str, str]] = []
        for target in level:
            notation = notations.get(target)
            if notation is None and target in nodes:
                found = nodes[target].get("notation")
                notation = None if found is None else str(found)
            if notation is not None:
                keyed.append((notation, target))
        keyed.sort(key=itemgetter(0))
        return [target for _, target in keyed]


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
