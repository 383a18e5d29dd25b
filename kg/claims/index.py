"""A per-graph adjacency index grouped by edge kind, built lazily one code at a time.

``KnowledgeGraph.edges`` scans every edge at a node for each question; a claim asks several
questions of the same few codes, and at full scale a code carries thousands of PTP edges. This
index groups a code's edges by kind and by neighbour once per process (structure only: dates
are still filtered per claim), so a pair lookup is a dict lookup whatever the degree.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import networkx as nx

from kg.adjacency import Adjacency, predecessors, successors

__all__ = ["AdjacencyIndex"]

Attrs = dict[str, Any]


class AdjacencyIndex:
    """Edges at a node by kind and by neighbour, for both directions.

    >>> g = nx.MultiDiGraph()
    >>> _ = g.add_edge("a", "b", key="e1", kind="ADD_ON_OF")
    >>> index = AdjacencyIndex(g)
    >>> [t for t, _ in index.out_kind("a")["ADD_ON_OF"]], list(index.out_by_target("a"))
    (['b'], ['b'])
    >>> index.in_kind("b")["ADD_ON_OF"][0][0]
    'a'
    """

    def __init__(self, graph: nx.MultiDiGraph) -> None:
        self._graph = graph
        self._out_kind: dict[str, dict[str, list[tuple[str, Attrs]]]] = {}
        self._in_kind: dict[str, dict[str, list[tuple[str, Attrs]]]] = {}
        self._out_target: dict[str, dict[str, list[Attrs]]] = {}

    @staticmethod
    def _build(adjacency: Adjacency) -> tuple[dict[str, list[tuple[str, Attrs]]], dict[str, list[Attrs]]]:
        by_kind: dict[str, list[tuple[str, Attrs]]] = defaultdict(list)
        by_other: dict[str, list[Attrs]] = defaultdict(list)
        for other, keyed in adjacency.items():
            for attrs in keyed.values():
                by_kind[attrs["kind"]].append((other, attrs))
                by_other[other].append(attrs)
        return dict(by_kind), dict(by_other)

    def out_kind(self, iri: str) -> dict[str, list[tuple[str, Attrs]]]:
        """Edges leaving ``iri``: kind -> [(target, attrs)]."""
        found = self._out_kind.get(iri)
        if found is None:
            found, by_target = self._build(successors(self._graph, iri))
            self._out_kind[iri], self._out_target[iri] = found, by_target
        return found

    def out_by_target(self, iri: str) -> dict[str, list[Attrs]]:
        """Edges leaving ``iri``: target -> [attrs] (every kind)."""
        if iri not in self._out_target:
            self.out_kind(iri)
        return self._out_target[iri]

    def in_kind(self, iri: str) -> dict[str, list[tuple[str, Attrs]]]:
        """Edges arriving at ``iri``: kind -> [(source, attrs)]."""
        found = self._in_kind.get(iri)
        if found is None:
            found, _ = self._build(predecessors(self._graph, iri))
            self._in_kind[iri] = found
        return found
