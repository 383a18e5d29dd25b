"""Which codes a code can pair with: the per-code index the pair checks read.

A claim's pair checks (PTP, mutually exclusive, any edge joining two lines) used to probe every
ordered pair of lines, once against the networkx adjacency and once per bulk edge kind against
the columnar PTP table: about ``n * (n - 1) * (1 + kinds)`` lookups for ``n`` lines, nearly all
of them misses. This index keeps, per code, the set of codes it has an edge to (any kind, any
date: dates are still filtered per claim), so a claim intersects one set per line with the
claim's codes and only probes the pairs that exist.

The sets are compiled once per code and kept for the life of the graph (a code's set is built
the first time a claim names it: at full scale compiling every code's set up front would cost
start time for codes no claim may ever carry).

A check that reads only some edge kinds (the pair rules read the kinds their
``ck:relationKind`` names) asks for the partners joined by those kinds only
(:meth:`PairIndex.partners_by`): a claim's add-on and primary codes, joined by other kinds,
then cost the pair checks nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx

from kg.adjacency import successors

if TYPE_CHECKING:
    from kg.bulk import BulkEdges

__all__ = ["PairIndex"]


class PairIndex:
    """Per code: the codes joined to it by an outgoing edge, networkx and bulk table together.

    >>> g = nx.MultiDiGraph()
    >>> _ = g.add_edge("a", "b", key="e1", kind="BUNDLED_INTO")
    >>> index = PairIndex(g, None)
    >>> sorted(index.partners("a")), sorted(index.partners("b")), index.bulk_partners("a")
    (['b'], [], frozenset())
    """

    def __init__(self, graph: nx.MultiDiGraph, bulk: BulkEdges | None) -> None:
        self._graph = graph
        self._bulk = bulk
        self._partners: dict[str, frozenset[str]] = {}
        self._bulk_partners: dict[str, frozenset[str]] = {}
        self._partners_by: dict[tuple[str, frozenset[str]], frozenset[str]] = {}

    def partners(self, iri: str) -> frozenset[str]:
        """Codes ``iri`` has an edge to in the graph or the bulk table (any kind, any date)."""
        found = self._partners.get(iri)
        if found is None:
            graph_side = frozenset(successors(self._graph, iri))
            found = self._partners[iri] = graph_side | self.bulk_partners(iri)
        return found

    def partners_by(self, iri: str, kinds: frozenset[str]) -> frozenset[str]:
        """Codes ``iri`` has an edge to of one of ``kinds``, in the graph or the bulk table (any date).

        >>> g = nx.MultiDiGraph()
        >>> _ = g.add_edge("a", "b", key="e1", kind="ADD_ON_OF")
        >>> _ = g.add_edge("a", "c", key="e2", kind="BUNDLED_INTO")
        >>> sorted(PairIndex(g, None).partners_by("a", frozenset({"BUNDLED_INTO"})))
        ['c']
        """
        key = (iri, kinds)
        found = self._partners_by.get(key)
        if found is None:
            graph_side = set()
            for other, keyed in successors(self._graph, iri).items():
                if any(attrs["kind"] in kinds for attrs in keyed.values()):
                    graph_side.add(other)
            bulk = self._bulk
            node = None if bulk is None else bulk.node_index.get(iri)
            if bulk is not None and node is not None and not kinds.isdisjoint(bulk.kind_set):
                wanted = {i for i, kind in enumerate(bulk.kinds) if kind in kinds}
                rows = range(bulk.src_offsets[node], bulk.src_offsets[node + 1])
                nodes, dst, kind_of = bulk.nodes, bulk.dst, bulk.kind
                graph_side.update(nodes[dst[row]] for row in rows if kind_of[row] in wanted)
            found = self._partners_by[key] = frozenset(graph_side)
        return found

    def bulk_partners(self, iri: str) -> frozenset[str]:
        """Codes ``iri`` has a row to in the bulk table (any kind, any date)."""
        found = self._bulk_partners.get(iri)
        if found is None:
            bulk = self._bulk
            node = None if bulk is None else bulk.node_index.get(iri)
            if bulk is None or node is None:
                found = frozenset()
            else:
                # Rows leaving a node are contiguous and sorted by target: one slice, no per-row objects.
                nodes = bulk.nodes
                found = frozenset(nodes[d] for d in set(bulk.dst[bulk.src_offsets[node]:bulk.src_offsets[node + 1]]))
            self._bulk_partners[iri] = found
        return found
