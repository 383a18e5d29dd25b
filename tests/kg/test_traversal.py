"""Ranking one hop of a walk by notation (:func:`kg.traversal._by_notation`).

The walk's contract test (``test_graph_traversal_order``) covers codes of the code index;
these cover the other case: a node reached by a relationship that the code index does not
hold, ranked by the notation the graph gives it, or left out when it has none.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import networkx as nx

from kg.search_index import CodeIndex
from kg.traversal import _by_notation


def _graph(extra: dict[str, dict[str, Any]]) -> Any:
    index = CodeIndex(codes={"96368": "c:96368", "96365": "c:96365", "J1100": "c:J1100"},
                      notations={"c:96368": "96368", "c:96365": "96365", "c:J1100": "J1100"})
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(index.notations)
    for node, attrs in extra.items():
        graph.add_node(node, **attrs)
    return SimpleNamespace(_index=index, graph=graph)


def test_codes_of_the_index_sort_by_notation() -> None:
    kg = _graph({})
    assert _by_notation(kg, ["c:J1100", "c:96368", "c:96365"]) == ["c:96365", "c:96368", "c:J1100"]


def test_a_node_outside_the_index_ranks_by_its_own_notation_or_is_left_out() -> None:
    kg = _graph({"x:old": {"notation": "96366"}, "x:unnamed": {}})
    level = ["c:J1100", "x:unnamed", "x:old", "c:96368", "c:96365"]
    assert _by_notation(kg, level) == ["c:96365", "x:old", "c:96368", "c:J1100"]


def test_equal_notations_keep_the_walk_order() -> None:
    kg = _graph({"x:twin": {"notation": "96368"}})
    assert _by_notation(kg, ["x:twin", "c:96368"]) == ["x:twin", "c:96368"]
    assert _by_notation(kg, ["c:96368", "x:twin"]) == ["c:96368", "x:twin"]
