"""Finding codes: the notation and word indexes of a graph, and codes as :class:`kg.model.Code` objects.

Functions here take the :class:`kg.graph.KnowledgeGraph` they read; the facade's methods call them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from kg.adjacency import successors
from kg.model import Code, RelationKind
from kg.search_index import CodeIndex
from kg.vocab import CK, local_name

if TYPE_CHECKING:
    import networkx as nx

    from kg.graph import KnowledgeGraph

__all__ = ["build_index", "code_object", "is_add_on", "search", "tokens"]

_TOKEN = re.compile(r"[a-z0-9]+")


def tokens(text: str) -> list[str]:
    """The lower-case words of ``text`` the search index holds."""
    return _TOKEN.findall(text.lower())


def _tuple(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    return value if isinstance(value, tuple) else (value,)


def build_index(graph: nx.MultiDiGraph) -> CodeIndex:
    """The notation, type and word indexes of a loaded graph.

    Args:
        graph: the runtime graph of a :class:`kg.load.LoadResult`.

    Returns:
        A :class:`CodeIndex`; :func:`kg.snapshot.cached_load` stores it in the snapshot.
    """
    of_type: defaultdict[str, list[str]] = defaultdict(list)
    for node, types in graph.nodes(data="types", default=()):
        for t in types:
            of_type[t].append(node)
    codes: dict[str, str] = {}
    notations: dict[str, str] = {}
    words: defaultdict[str, set[str]] = defaultdict(set)
    nodes = graph.nodes
    for node in of_type.get(CK.Code, ()):
        attrs = nodes[node]
        notation = attrs.get("notation")
        if notation is None:
            continue
        codes[str(notation).upper()] = node
        notations[node] = str(notation)
        found = [str(notation).lower()]
        for name in ("prefLabel", "description", "altLabel"):
            for text in _tuple(attrs.get(name)):
                found.extend(tokens(str(text)))
        for word in found:
            words[word].add(node)
    return CodeIndex(codes=codes, of_type=dict(of_type), notations=notations, words=dict(words))


def code_object(kg: KnowledgeGraph, iri: str) -> Code:
    cached = kg._code_cache.get(iri)
    if cached is not None:
        return cached
    attrs = kg.node(iri)
    scheme = kg.target(iri, "inScheme")
    family = kg.target(iri, "broader")
    code = Code(
        iri=iri,
        code=str(attrs.get("notation", local_name(iri))),
        system=kg.text(scheme, "notation", "") if scheme else "",
        title=str(attrs.get("prefLabel", attrs.get("notation", local_name(iri)))),
        title_source=str(attrs.get("titleSource", "CURATED")),
        description=attrs.get("description"),
        family=kg.text(family, "notation") if family else None,
        family_title=kg.text(family, "prefLabel") if family else None,
        is_add_on=is_add_on(kg, iri),
        synonyms=tuple(str(s) for s in _tuple(attrs.get("altLabel"))),
        effective=attrs.get("effective"),
        end=attrs.get("end"),
    )
    kg._code_cache[iri] = code
    return code


def is_add_on(kg: KnowledgeGraph, iri: str) -> bool:
    """Whether a code is an add-on: it has add-on edges, contractor-defined primaries, or a payment
    status carrying an indicator value the ontology declares a ``ck:AddOnIndicator``."""
    if kg.flag(iri, "contractorDefinedPrimaries"):
        return True
    status_kind, markers = _add_on_markers(kg)
    for keyed in successors(kg.graph, iri).values():
        for attrs in keyed.values():
            if attrs["kind"] == RelationKind.ADD_ON_OF.value:
                return True
            if attrs["kind"] == status_kind and any(str(attrs.get(field)) == value for field, value in markers):
                return True
    return False


def _add_on_markers(kg: KnowledgeGraph) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The payment-status edge kind and the ``(field, value)`` of each ``ck:AddOnIndicator``,
    read once per graph (every code the graph builds asks)."""
    found = kg._add_on_markers
    if found is None:
        markers = tuple((kg.text(m, "indicatorField", ""), kg.text(m, "indicatorValue", ""))
                        for m in kg.nodes_of_type(CK.AddOnIndicator))
        found = kg._add_on_markers = (kg.text(CK.PaymentStatus, "edgeKind", ""), markers)
    return found


def search(kg: KnowledgeGraph, text: str, first: int = 20) -> list[Code]:
    """Codes whose notation, title, description or synonyms match the words of ``text``; see :meth:`KnowledgeGraph.search`."""
    words = tokens(text)
    if not words or first <= 0:
        return []
    candidates: set[str] | None = None
    for word in words:
        hits = kg._index.prefixes.hits(word)
        candidates = hits if candidates is None else candidates & hits
        if not candidates:
            return []

    def score(iri: str) -> tuple[int, str]:
        c = code_object(kg, iri)
        title = set(tokens(c.title)) | {c.code.lower()}
        return (-sum(any(t.startswith(w) for t in title) for w in words), c.code)

    return [code_object(kg, i) for i in sorted(candidates or (), key=score)[:first]]
