"""Finding codes: the notation and word indexes of a graph, and codes as :class:`kg.model.Code` objects.

Functions here take the :class:`kg.graph.KnowledgeGraph` they read; the facade's methods call them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from kg.model import Code, RelationKind
from kg.search_index import PrefixIndex
from kg.vocab import CK, local_name

if TYPE_CHECKING:
    from kg.graph import KnowledgeGraph

__all__ = ["code_object", "index_codes", "is_add_on", "search", "tokens"]

_TOKEN = re.compile(r"[a-z0-9]+")


def tokens(text: str) -> list[str]:
    """The lower-case words of ``text`` the search index holds."""
    return _TOKEN.findall(text.lower())


def _tuple(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    return value if isinstance(value, tuple) else (value,)





def index_codes(kg: KnowledgeGraph) -> None:
    g = kg.graph
    for node, attrs in g.nodes(data=True):
        for t in attrs.get("types", ()):
            kg._of_type[t].append(node)
    for node in kg._of_type[CK.Code]:
        attrs = g.nodes[node]
        notation = attrs.get("notation")
        if notation is None:
            continue
        kg._codes[str(notation).upper()] = node
        words = [str(notation).lower()]
        for field in ("prefLabel", "description", "altLabel"):
            for text in _tuple(attrs.get(field)):
                words.extend(tokens(str(text)))
        for word in words:
            kg._search_index[word].add(node)


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
        system=str(kg.node(scheme).get("notation", "")) if scheme else "",
        title=str(attrs.get("prefLabel", attrs.get("notation", local_name(iri)))),
        title_source=str(attrs.get("titleSource", "CURATED")),
        description=attrs.get("description"),
        family=kg.node(family).get("notation") if family else None,
        family_title=kg.node(family).get("prefLabel") if family else None,
        is_add_on=is_add_on(kg, iri),
        synonyms=tuple(str(s) for s in _tuple(attrs.get("altLabel"))),
        effective=attrs.get("effective"),
        end=attrs.get("end"),
    )
    kg._code_cache[iri] = code
    return code


def is_add_on(kg: KnowledgeGraph, iri: str) -> bool:
    if kg.node(iri).get("contractorDefinedPrimaries"):
        return True
    for _, _, attrs in kg.graph.out_edges(iri, data=True):
        if attrs["kind"] == RelationKind.ADD_ON_OF.value:
            return True
        if attrs["kind"] == "PAYMENT_STATUS" and attrs.get("globalDays") == "ZZZ":
            return True
    return False


def search(kg: KnowledgeGraph, text: str, first: int = 20) -> list[Code]:
    """Codes whose notation, title, description or synonyms match the words of ``text``; see :meth:`KnowledgeGraph.search`."""
    words = tokens(text)
    if not words or first <= 0:
        return []
    candidates: set[str] | None = None
    for word in words:
        if kg._prefix_index is None:
            kg._prefix_index = PrefixIndex(kg._search_index)
        hits = kg._prefix_index.hits(word)
        candidates = hits if candidates is None else candidates & hits
        if not candidates:
            return []

    def score(iri: str) -> tuple[int, str]:
        c = code_object(kg, iri)
        title = set(tokens(c.title)) | {c.code.lower()}
        return (-sum(any(t.startswith(w) for t in title) for w in words), c.code)

    return [code_object(kg, i) for i in sorted(candidates or (), key=score)[:first]]
