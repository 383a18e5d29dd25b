"""What a graph was built from: its version, layers, sources and size."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kg.model import Release
from kg.vocab import CK

if TYPE_CHECKING:
    from kg.graph import KnowledgeGraph

__all__ = ["release"]


def release(kg: KnowledgeGraph) -> Release:
    """What the graph was built from; see :meth:`KnowledgeGraph.release`."""
    from kg import __version__

    sources = kg.sources_of(kg._of_type.get(CK.Source, ()))
    version = kg.content_digest[:16] or f"{__version__}+{'+'.join(kg.layer_names)}"
    return Release(version=version, built_at=kg.built_at,
                   layers=kg.layer_names, sources=sources, triples=kg.triples,
                   nodes=kg.graph.number_of_nodes(),
                   edges=kg.graph.number_of_edges() + (len(kg.bulk) if kg.bulk is not None else 0))
