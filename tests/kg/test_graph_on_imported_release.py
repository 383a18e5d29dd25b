"""Traversals see imported PTP rows (held in the bulk table), with their dates."""

from __future__ import annotations

from datetime import date

from kg.graph import KnowledgeGraph
from kg.model import RelationKind

BUNDLED = [RelationKind.BUNDLED_INTO]


def test_related_walks_imported_ptp_rows_as_of_a_date(small_graph: KnowledgeGraph) -> None:
    now = {r.code.code for r in small_graph.related("96372", kinds=BUNDLED, as_of=date(2026, 8, 1))}
    before = {r.code.code for r in small_graph.related("96372", kinds=BUNDLED, as_of=date(2019, 6, 1))}
    assert "96365" in now and "96374" not in now  # 96374/96372 was deleted on 2020-01-01
    assert {"96365", "96374"} <= before


def test_path_explains_with_the_imported_edge(small_graph: KnowledgeGraph) -> None:
    (hop,) = small_graph.path("96372", "96365", as_of=date(2026, 8, 1))
    assert (hop.kind, hop.from_code.code, hop.to_code.code) == (RelationKind.BUNDLED_INTO, "96372", "96365")
    assert hop.modifier_indicator == 0
    assert hop.sources[0].file_name == "ccipra-v322r0-f1.txt"


def test_related_limit_keeps_the_nearest_codes(small_graph: KnowledgeGraph) -> None:
    everything = small_graph.related("96413", depth=2)
    first = small_graph.related("96413", depth=2, limit=3)
    assert [r.code.code for r in first] == [r.code.code for r in everything[:3]]
