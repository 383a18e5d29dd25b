"""Reading edges from networkx's storage (:mod:`kg.adjacency`) gives what networkx's own views give.

The module reads dicts networkx keeps private; if a networkx release stored edges differently,
these tests fail instead of the graph silently losing or reordering edges.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import pytest

from kg.adjacency import predecessors, successors
from kg.graph import KnowledgeGraph


def _out_by_view(graph: nx.MultiDiGraph, node: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [(target, key, attrs) for _, target, key, attrs in graph.out_edges(node, keys=True, data=True)]


def _in_by_view(graph: nx.MultiDiGraph, node: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [(source, key, attrs) for source, _, key, attrs in graph.in_edges(node, keys=True, data=True)]


def _flat(adjacency: Any) -> list[tuple[str, str, dict[str, Any]]]:
    return [(other, key, attrs) for other, keyed in adjacency.items() for key, attrs in keyed.items()]


@pytest.mark.parametrize("fixture", ["kg", "small_graph"])
def test_every_node_reads_the_edges_networkx_lists_in_its_order(fixture: str, request: pytest.FixtureRequest) -> None:
    graph: nx.MultiDiGraph = request.getfixturevalue(fixture).graph
    edges_seen = 0
    for node in graph.nodes:
        out = _flat(successors(graph, node))
        assert out == _out_by_view(graph, node), node
        # The very attribute dicts networkx holds, not copies: memos key on them.
        assert all(a is b for (_, _, a), (_, _, b) in zip(out, _out_by_view(graph, node), strict=True))
        assert _flat(predecessors(graph, node)) == _in_by_view(graph, node), node
        edges_seen += len(out)
    assert edges_seen == graph.number_of_edges() > 0


def test_a_node_outside_the_graph_has_no_edges(kg: KnowledgeGraph) -> None:
    assert "https://example.org/not-a-node" not in kg.graph
    assert dict(successors(kg.graph, "https://example.org/not-a-node")) == {}
    assert dict(predecessors(kg.graph, "https://example.org/not-a-node")) == {}


def test_parallel_edges_between_two_nodes_are_each_read() -> None:
    graph = nx.MultiDiGraph()
    graph.add_edge("a", "b", key="e1", kind="BUNDLED_INTO")
    graph.add_edge("a", "b", key="e2", kind="MUTUALLY_EXCLUSIVE")
    graph.add_edge("c", "b", key="e3", kind="ADD_ON_OF")
    assert [(t, k) for t, k, _ in _flat(successors(graph, "a"))] == [("b", "e1"), ("b", "e2")]
    assert [(s, k) for s, k, _ in _flat(predecessors(graph, "b"))] == [("a", "e1"), ("a", "e2"), ("c", "e3")]
