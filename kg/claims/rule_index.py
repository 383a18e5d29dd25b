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
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx

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

    def partners(self, iri: str) -> frozenset[str]:
        """Codes ``iri`` has an edge to in the graph or the bulk table (any kind, any date)."""
        found = self._partners.get(iri)
        if found is None:
            graph_side = frozenset(self._graph.succ[iri]) if iri in self._graph else frozenset()
            found = self._partners[iri] = graph_side | self.bulk_partners(iri)
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
