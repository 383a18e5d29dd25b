"""``KnowledgeGraph``: the one query interface over the runtime graph.

Every method that reads facts which change over time takes ``as_of`` (a ``datetime.date``;
``None`` means today). Codes are looked up by their notation, case-insensitively.

>>> kg = KnowledgeGraph.default()
>>> kg.code("96368").title
'Concurrent IV infusion'
>>> [c.code for c in kg.valid_primaries("96375")]
['96365', '96374', '96409', '96413']
"""

from __future__ import annotations

import heapq
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import networkx as nx

from kg.bulk import BulkEdges
from kg.load import LoadResult
from kg.model import (
    Code,
    Edge,
    Guidance,
    Modifier,
    ModifierRule,
    Mue,
    Payer,
    PaymentStatus,
    RelatedCode,
    RelationKind,
    Relationship,
    Release,
    Source,
    is_active,
)
from kg.search_index import PrefixIndex
from kg.snapshot import cached_load
from kg.vocab import CK, local_name

__all__ = ["KnowledgeGraph", "UnknownCodeError"]

_RELATION_KINDS = frozenset(k.value for k in RelationKind)
_TOKEN = re.compile(r"[a-z0-9]+")
#: Relationship objects kept for reuse (they are immutable, like the graph they come from).
_RELATIONSHIP_MEMO_SIZE = 100_000


class UnknownCodeError(KeyError):
    """A code notation the graph does not hold."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        shown = self.code if len(self.code) <= 20 else self.code[:20] + "…"
        return f"unknown code {shown!r}"


_DEFAULT_MEMO_SIZE = 3
_DEFAULT_MEMO: dict[tuple[Any, ...], KnowledgeGraph] = {}


def _stat(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return str(path), stat.st_size, stat.st_mtime_ns


def _tuple(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    return value if isinstance(value, tuple) else (value,)


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


class KnowledgeGraph:
    """Lookups, traversal, as-of filtering and explained paths over a ``MultiDiGraph``.

    Build one with :meth:`default` (the embedded graph plus optional release directories),
    :meth:`from_layers` (explicit files) or :meth:`from_load_result`.
    """

    def __init__(self, result: LoadResult, layer_names: Sequence[str] = ("curated",)) -> None:
        self.graph: nx.MultiDiGraph = result.graph
        # Bulk PTP relationships live in a columnar table beside the graph (see kg.bulk);
        # edges() and edges_between() merge them in. Older snapshots have no such field.
        self.bulk: BulkEdges | None = getattr(result, "bulk", None)
        self.triples = result.triples
        self.layer_names = tuple(layer_names)
        #: Release directories layered over the curated data (set by :meth:`default`).
        self.data_dirs: tuple[Path, ...] = ()
        # When the data was built (kept in the snapshot), not when this process loaded it.
        self.built_at = getattr(result, "built_at", "") or datetime.now(UTC).isoformat(timespec="seconds")
        self.content_digest: str = getattr(result, "content_digest", "")
        self._codes: dict[str, str] = {}
        self._of_type: dict[str, list[str]] = defaultdict(list)
        self._search_index: dict[str, set[str]] = defaultdict(set)
        self._prefix_index: PrefixIndex | None = None  # sorted words, built on the first search
        self._code_cache: dict[str, Code] = {}
        self._source_cache: dict[str, Source] = {}
        self._targets_memo: dict[tuple[str, str], tuple[str, ...]] = {}
        self._relationship_memo: dict[tuple[str, str, str], Relationship] = {}
        self._index()

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_layers(
        cls, layers: Sequence[Sequence[Path]], layer_names: Sequence[str] | None = None, use_cache: bool = False,
        digests: Mapping[Path, str] | None = None,
    ) -> KnowledgeGraph:
        """Load layered RDF files (layer 0 curated, later layers override).

        Args:
            layers: lists of RDF files, curated first.
            layer_names: a name per layer, shown in :meth:`release`.
            use_cache: read and write a compiled snapshot (see :mod:`kg.snapshot`).
            digests: verified sha256 of input files, reused for the snapshot key.
        """
        names = layer_names or ["curated", *(f"layer-{i}" for i in range(1, len(layers)))]
        return cls(cached_load(layers, use_cache=use_cache, digests=digests), names)

    @classmethod
    def default(cls, data_dirs: Sequence[Path] = (), use_cache: bool = False, baseline: bool = True) -> KnowledgeGraph:
        """The embedded graph (CMS baseline and curated data), plus release directories in the order given.

        Graphs are kept per process and input files: asking again for unchanged inputs returns
        the same (read-only) graph instead of parsing it again.

        Each directory is checked against its manifest first (:func:`kg.verify.verify_release`),
        so a truncated, edited or unsealed release is refused rather than served smaller.

        Args:
            data_dirs: release directories (written by ``codingkg import``).
            use_cache: read and write a compiled snapshot (the server does).
            baseline: include the embedded CMS baseline (see :mod:`kg.baseline`).

        Raises:
            kg.load.GraphLoadError: a file cannot be parsed, or the embedded baseline is damaged.
            kg.verify.ReleaseError: a directory is missing, empty, or does not match its manifest.

        >>> KnowledgeGraph.default().release().layers
        ('cms-baseline', 'curated')
        >>> KnowledgeGraph.default([Path("/nonexistent")])
        Traceback (most recent call last):
        ...
        kg.verify.ReleaseError: /nonexistent: no such release directory
        """
        from kg.layers import default_layers

        layers = default_layers(data_dirs, baseline=baseline)
        # The same inputs give the same graph whether or not it went through a snapshot.
        key = (layers.names, tuple(_stat(p) for p in layers.flat()))
        kg = _DEFAULT_MEMO.pop(key, None)
        if kg is not None:
            _DEFAULT_MEMO[key] = kg  # most recently used last
        else:
            kg = cls.from_layers(layers.files, layers.names, use_cache=use_cache, digests=layers.digests())
            layers.check_unchanged()  # what was loaded is what was verified
            kg.data_dirs = tuple(Path(d) for d in data_dirs)
            while len(_DEFAULT_MEMO) >= _DEFAULT_MEMO_SIZE:  # a full graph is hundreds of MB: keep few
                del _DEFAULT_MEMO[next(iter(_DEFAULT_MEMO))]
            _DEFAULT_MEMO[key] = kg
        return kg

    def release_dir(self, name: str) -> Path | None:
        """The directory of a served release, by its name in :meth:`release` (``None`` if not served).

        >>> KnowledgeGraph.default().release_dir("curated") is None
        True
        """
        return next((d for d in self.data_dirs if d.name == name), None)

    def _index(self) -> None:
        g = self.graph
        for node, attrs in g.nodes(data=True):
            for t in attrs.get("types", ()):
                self._of_type[t].append(node)
        for node in self._of_type[CK.Code]:
            attrs = g.nodes[node]
            notation = attrs.get("notation")
            if notation is None:
                continue
            self._codes[str(notation).upper()] = node
            words = [str(notation).lower()]
            for field in ("prefLabel", "description", "altLabel"):
                for text in _tuple(attrs.get(field)):
                    words.extend(_tokens(str(text)))
            for word in words:
                self._search_index[word].add(node)

    # ------------------------------------------------------------------ raw access
    def nodes_of_type(self, class_iri: str) -> list[str]:
        """IRIs of the nodes typed with ``class_iri``.

        >>> len(KnowledgeGraph.default().nodes_of_type(CK.Payer))
        3
        """
        return list(self._of_type.get(class_iri, ()))

    def node(self, iri: str) -> dict[str, Any]:
        """The attribute dict of a node (empty when absent)."""
        return self.graph.nodes[iri] if iri in self.graph else {}

    def code_iri(self, code: str) -> str | None:
        """The IRI of a code notation, or ``None``.

        >>> KnowledgeGraph.default().code_iri("j1100")
        'https://w3id.org/codingkg/hcpcs/J1100'
        """
        return self._codes.get(code.strip().upper())

    def require_code_iri(self, code: str) -> str:
        """The IRI of a code notation.

        Raises:
            UnknownCodeError: the graph has no such code.
        """
        iri = self.code_iri(code)
        if iri is None:
            raise UnknownCodeError(code)
        return iri

    def edges(
        self, iri: str, kind: str | None = None, direction: str = "out", as_of: date | None = None
    ) -> list[Edge]:
        """Raw edges at a node, filtered by kind and (when dated) by ``as_of``.

        Args:
            iri: the node.
            kind: an edge kind (``ADD_ON_OF``, ``MUE``, ``member``, ...) or ``None`` for all.
            direction: ``out``, ``in`` or ``both``.
            as_of: keep only edges active on that date; ``None`` means today.
        """
        if iri not in self.graph:
            return []
        day = as_of or date.today()
        found: list[Edge] = []
        if self.bulk is not None:
            found.extend(self.bulk.edges(iri, kind, direction, day))
        if direction in ("out", "both"):
            for _, target, attrs in self.graph.out_edges(iri, data=True):
                if (kind is None or attrs["kind"] == kind) and is_active(attrs, day):
                    found.append(Edge(iri, target, attrs))
        if direction in ("in", "both"):
            for source, _, attrs in self.graph.in_edges(iri, data=True):
                if (kind is None or attrs["kind"] == kind) and is_active(attrs, day):
                    found.append(Edge(source, iri, attrs))
        return found

    def edges_between(self, source: str, target: str, kind: str, as_of: date | None = None) -> list[Edge]:
        """Active edges of one kind from ``source`` to ``target``."""
        day = as_of or date.today()
        found = self.bulk.edges_between(source, target, kind, day) if self.bulk is not None else []
        data = self.graph.get_edge_data(source, target)
        if data:
            found.extend(Edge(source, target, a) for a in data.values() if a["kind"] == kind and is_active(a, day))
        return found

    def clear_memos(self) -> None:
        """Forget memoised lookups (targets, relationship objects); benchmarks measure cold costs with it."""
        self._targets_memo.clear()
        self._relationship_memo.clear()

    def targets(self, iri: str, kind: str) -> tuple[str, ...]:
        """Targets of the plain (undated) edges of one kind leaving a node, e.g. ``member``.

        Memoised: the graph never changes once loaded, and rule evaluation asks the same
        questions of the same rule nodes for every claim.
        """
        key = (iri, kind)
        found = self._targets_memo.get(key)
        if found is None:
            found = tuple(t for _, t, k in self.graph.out_edges(iri, keys=True) if k == kind) if iri in self.graph else ()
            self._targets_memo[key] = found
        return found

    # ------------------------------------------------------------------ objects
    def source(self, iri: str) -> Source:
        """The source node ``iri`` as a :class:`Source`."""
        cached = self._source_cache.get(iri)
        if cached is not None:
            return cached
        attrs = self.node(iri)
        confidence = next(iter(self.targets(iri, "confidence")), None)
        conf_attrs = self.node(confidence) if confidence else {}
        src = Source(
            iri=iri,
            title=str(attrs.get("title", local_name(iri))),
            publisher=attrs.get("publisher"),
            version=None if attrs.get("version") is None else str(attrs.get("version")),
            quarter=attrs.get("quarter"),
            confidence=conf_attrs.get("label"),
            confidence_rank=int(conf_attrs.get("rank", 0)),
            file_name=attrs.get("fileName"),
            sha256=attrs.get("sha256"),
            rows=attrs.get("rows"),
        )
        self._source_cache[iri] = src
        return src

    def sources_of(self, iris: Iterable[str]) -> tuple[Source, ...]:
        """Sources for a list of source IRIs, strongest confidence first."""
        return tuple(sorted((self.source(i) for i in iris), key=lambda s: (-s.confidence_rank, s.title)))

    def _code_object(self, iri: str) -> Code:
        cached = self._code_cache.get(iri)
        if cached is not None:
            return cached
        attrs = self.node(iri)
        scheme = next(iter(self.targets(iri, "inScheme")), None)
        family = next(iter(self.targets(iri, "broader")), None)
        code = Code(
            iri=iri,
            code=str(attrs.get("notation", local_name(iri))),
            system=str(self.node(scheme).get("notation", "")) if scheme else "",
            title=str(attrs.get("prefLabel", attrs.get("notation", local_name(iri)))),
            title_source=str(attrs.get("titleSource", "CURATED")),
            description=attrs.get("description"),
            family=self.node(family).get("notation") if family else None,
            family_title=self.node(family).get("prefLabel") if family else None,
            is_add_on=self._is_add_on(iri),
            synonyms=tuple(str(s) for s in _tuple(attrs.get("altLabel"))),
            effective=attrs.get("effective"),
            end=attrs.get("end"),
        )
        self._code_cache[iri] = code
        return code

    def _is_add_on(self, iri: str) -> bool:
        if self.node(iri).get("contractorDefinedPrimaries"):
            return True
        for _, _, attrs in self.graph.out_edges(iri, data=True):
            if attrs["kind"] == RelationKind.ADD_ON_OF.value:
                return True
            if attrs["kind"] == "PAYMENT_STATUS" and attrs.get("globalDays") == "ZZZ":
                return True
        return False

    def code(self, code: str, as_of: date | None = None) -> Code | None:
        """A code by notation, or ``None`` when unknown or not valid on ``as_of``.

        >>> KnowledgeGraph.default().code("96368").is_add_on
        True
        >>> KnowledgeGraph.default().code("00000") is None
        True
        """
        iri = self.code_iri(code)
        if iri is None:
            return None
        obj = self._code_object(iri)
        if as_of is not None and not is_active({"effective": obj.effective, "end": obj.end}, as_of):
            return None
        return obj

    def codes(self) -> list[Code]:
        """Every code in the graph, sorted by notation."""
        return sorted((self._code_object(i) for i in self._codes.values()), key=lambda c: c.code)

    def relationship(self, edge: Edge) -> Relationship:
        """A raw code-to-code edge (from :meth:`edges`) as a :class:`Relationship` with its sources.

        Raises:
            ValueError: the edge is not one of the :class:`RelationKind` kinds.

        >>> kg = KnowledgeGraph.default()
        >>> edge = kg.edges(kg.code_iri("96368"), "ADD_ON_OF")[0]
        >>> kg.relationship(edge).kind.value
        'ADD_ON_OF'
        """
        return self._relationship(edge)

    def _relationship(self, edge: Edge) -> Relationship:
        a = edge.attrs
        key = (str(a.get("id")), edge.source, edge.target)
        found = self._relationship_memo.get(key)
        if found is not None:
            return found
        if len(self._relationship_memo) > _RELATIONSHIP_MEMO_SIZE:
            self._relationship_memo.clear()  # bounded: a walk over a full PTP table must not keep every edge
        found = self._relationship_memo[key] = Relationship(
            kind=RelationKind(a["kind"]),
            from_code=self._code_object(edge.source),
            to_code=self._code_object(edge.target),
            effective=a.get("effective"),
            end=a.get("end"),
            note=a.get("note"),
            sources=self.sources_of(a.get("sources", ())),
            iri=a.get("id"),
            modifier_indicator=a.get("modifierIndicator"),
            rationale=a.get("rationale"),
            edit_type=a.get("editType"),
        )
        return found

    # ------------------------------------------------------------------ relationships
    def valid_primaries(self, add_on: str, as_of: date | None = None) -> list[Code]:
        """Codes an add-on may be reported with, sorted by notation.

        Raises:
            UnknownCodeError: ``add_on`` is not in the graph.

        >>> kg = KnowledgeGraph.default()
        >>> {"96365", "96366", "96413", "96415", "96416"} <= {c.code for c in kg.valid_primaries("96368")}
        True
        """
        iri = self.require_code_iri(add_on)
        found = {e.target for e in self.edges(iri, RelationKind.ADD_ON_OF.value, "out", as_of)}
        return sorted((self._code_object(t) for t in found), key=lambda c: c.code)

    def add_on_edges(self, add_on: str, as_of: date | None = None) -> list[Relationship]:
        """The add-on-of relationships of an add-on, each with its sources and edit type."""
        iri = self.require_code_iri(add_on)
        return [self._relationship(e) for e in self.edges(iri, RelationKind.ADD_ON_OF.value, "out", as_of)]

    def add_ons(self, primary: str, as_of: date | None = None) -> list[Code]:
        """Add-on codes that may be reported with a primary, sorted by notation.

        >>> [c.code for c in KnowledgeGraph.default().add_ons("96369")]
        ['96370', '96371']
        """
        iri = self.require_code_iri(primary)
        found = {e.source for e in self.edges(iri, RelationKind.ADD_ON_OF.value, "in", as_of)}
        return sorted((self._code_object(s) for s in found), key=lambda c: c.code)

    def _relation_edges(self, iri: str, kinds: Iterable[str] | None, as_of: date | None) -> Iterator[Edge]:
        wanted = _RELATION_KINDS if kinds is None else frozenset(kinds) & _RELATION_KINDS
        for edge in self.edges(iri, None, "both", as_of):
            if edge.kind in wanted and self.graph.nodes[edge.source].get("notation") is not None \
                    and self.graph.nodes[edge.target].get("notation") is not None:
                yield edge

    def relationships(
        self,
        code: str,
        kinds: Iterable[RelationKind | str] | None = None,
        as_of: date | None = None,
        first: int | None = None,
    ) -> list[Relationship]:
        """Relationships touching a code, in either direction, optionally of some kinds.

        Sorted by kind, then the from and to codes. With ``first``, only the first ``first`` of
        that order are built: a code of an imported PTP table has thousands of edges, and
        building each one (its codes, its sources) costs far more than ranking it.

        >>> kg = KnowledgeGraph.default()
        >>> rels = kg.relationships("96367", [RelationKind.MUTUALLY_EXCLUSIVE_WITH])
        >>> [(r.from_code.code, r.to_code.code) for r in rels]
        [('96367', '96368')]
        >>> kg.relationships("96365", first=2) == kg.relationships("96365")[:2]
        True
        """
        iri = self.require_code_iri(code)
        names = None if kinds is None else [RelationKind(k).value for k in kinds]
        edges = self._relation_edges(iri, names, as_of)
        if first is not None:
            nodes = self.graph.nodes

            def rank(edge: Edge) -> tuple[str, str, str]:
                return edge.kind, str(nodes[edge.source]["notation"]), str(nodes[edge.target]["notation"])

            # nsmallest is stable, like sorted: the same first items as sorting everything.
            edges = iter(heapq.nsmallest(first, edges, key=rank))
        rels = [self._relationship(e) for e in edges]
        return sorted(rels, key=lambda r: (r.kind.value, r.from_code.code, r.to_code.code))

    def _neighbours(self, node: str, wanted: frozenset[str], day: date) -> list[str]:
        """Codes one active relationship of a wanted kind away, either direction, sorted."""
        found: set[str] = set()
        for _, other, attrs in self.graph.out_edges(node, data=True):
            if attrs["kind"] in wanted and is_active(attrs, day):
                found.add(other)
        for other, _, attrs in self.graph.in_edges(node, data=True):
            if attrs["kind"] in wanted and is_active(attrs, day):
                found.add(other)
        if self.bulk is not None:
            found |= self.bulk.neighbours(node, wanted, day)
        found.discard(node)
        return sorted(found)

    def _walk(
        self, source: str, kinds: Iterable[str] | None, as_of: date | None, depth: int, enough: int | None = None
    ) -> dict[str, list[str]]:
        """Shortest relationship paths from ``source``, breadth first, neighbours in IRI order.

        networkx's shortest-path functions return *a* shortest path, which one depending on
        insertion order, and they cannot see the bulk PTP table; an explanation must not change
        because a file was loaded in another order, so this walk takes neighbours in sorted
        order (for codes of one system, by notation). It stops after the first complete hop at
        which ``enough`` codes have been reached (farther hops could not rank before them).
        """
        wanted = _RELATION_KINDS if kinds is None else frozenset(kinds) & _RELATION_KINDS
        day = as_of or date.today()
        paths = {source: [source]}
        frontier = [source]
        for _ in range(depth):
            following: list[str] = []
            for node in frontier:
                for neighbour in self._neighbours(node, wanted, day):
                    if neighbour in paths:
                        continue
                    paths[neighbour] = [*paths[node], neighbour]
                    following.append(neighbour)
            if not following or (enough is not None and len(paths) > enough):
                break
            frontier = following
        return paths

    def _hop(self, a: str, b: str, kinds: Iterable[str] | None, as_of: date | None) -> Relationship:
        wanted = _RELATION_KINDS if kinds is None else frozenset(kinds)
        day = as_of or date.today()
        for source, target in ((a, b), (b, a)):
            if source not in self.graph:
                continue
            # The edges between the two codes only, in the order edges() lists them (bulk rows
            # first): scanning every edge at a hub costs thousands of rows per hop at full scale.
            between = self.bulk.edges_between(source, target, None, day) if self.bulk is not None else []
            between += [Edge(source, target, attrs) for attrs in self.graph.succ.get(source, {}).get(target, {}).values()
                        if is_active(attrs, day)]
            for edge in between:
                if edge.kind in wanted:
                    return self._relationship(edge)
        raise LookupError(f"no relationship between {a} and {b}")

    def related(
        self,
        code: str,
        depth: int = 1,
        kinds: Iterable[RelationKind | str] | None = None,
        as_of: date | None = None,
        limit: int | None = None,
    ) -> list[RelatedCode]:
        """Codes within ``depth`` relationship hops, each with the path that reaches it.

        Args:
            code: the starting code.
            depth: most hops walked.
            kinds: relationship kinds to walk (``None`` for all).
            as_of: walk only relationships active on that date; ``None`` means today.
            limit: keep only the first ``limit`` codes (nearest first, then by notation); the
                paths of the others are never built, which bounds the cost of a wide traversal.

        >>> related = KnowledgeGraph.default().related("96368", depth=1)
        >>> "96367" in {r.code.code for r in related}
        True
        >>> len(KnowledgeGraph.default().related("96368", depth=2, limit=3))
        3
        """
        iri = self.require_code_iri(code)
        names = None if kinds is None else [RelationKind(k).value for k in kinds]
        paths = self._walk(iri, names, as_of, max(depth, 0), enough=limit)
        reached = sorted(
            ((len(nodes) - 1, self._code_object(target), nodes) for target, nodes in paths.items()
             if target != iri and self.node(target).get("notation") is not None),
            key=lambda item: (item[0], item[1].code),
        )
        if limit is not None:
            reached = reached[: max(limit, 0)]
        return [RelatedCode(obj, hops, tuple(self._hop(a, b, names, as_of) for a, b in pairwise(nodes)))
                for hops, obj, nodes in reached]

    def path(
        self, from_code: str, to_code: str, as_of: date | None = None, max_depth: int = 6
    ) -> list[Relationship] | None:
        """The shortest chain of relationships linking two codes, or ``None`` when unlinked.

        Among paths of equal length the one through the lowest-sorting codes is returned, so
        the same data always gives the same explanation. Chains longer than ``max_depth`` hops
        are not searched (with full PTP tables nearly every code links to every other within
        a few hops, and a long chain explains nothing).

        >>> [(r.kind.value, r.from_code.code, r.to_code.code) for r in KnowledgeGraph.default().path("96411", "96415")]
        [('ADD_ON_OF', '96411', '96413'), ('ADD_ON_OF', '96415', '96413')]
        """
        a, b = self.require_code_iri(from_code), self.require_code_iri(to_code)
        if a == b:
            return []
        nodes = self._meet(a, b, _RELATION_KINDS, as_of or date.today(), max_depth)
        if nodes is None:
            return None
        return [self._hop(x, y, None, as_of) for x, y in pairwise(nodes)]

    def _meet(self, a: str, b: str, wanted: frozenset[str], day: date, max_depth: int) -> list[str] | None:
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
                for neighbour in self._neighbours(node, wanted, day):
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

    # ------------------------------------------------------------------ limits, rules, statuses
    def mue(self, code: str, claim_type: str = "PROFESSIONAL", as_of: date | None = None) -> Mue | None:
        """The MUE of a code for a claim type (``PROFESSIONAL``, ``FACILITY_OUTPATIENT``, ...).

        ``None`` means the graph holds no MUE for it: unknown, never "no limit".

        >>> KnowledgeGraph.default().mue("96368").max_units
        1
        """
        iri = self.require_code_iri(code)
        best: Edge | None = None
        for edge in self.edges(iri, "MUE", "out", as_of):
            if self.node(edge.target).get("enumName") != claim_type:
                continue
            if best is None or (edge.attrs.get("effective") or date.min) > (best.attrs.get("effective") or date.min):
                best = edge
        if best is None:
            return None
        a = best.attrs
        adjudication = self.node(a["adjudication"]) if a.get("adjudication") else {}
        return Mue(
            code=self._code_object(iri).code,
            claim_type=claim_type,
            max_units=int(a["maxUnits"]),
            adjudication=adjudication.get("enumName"),
            per_date_of_service=bool(adjudication.get("perDateOfService", True)),
            rationale=a.get("rationale"),
            note=a.get("note"),
            effective=a.get("effective"),
            end=a.get("end"),
            sources=self.sources_of(a.get("sources", ())),
            iri=a.get("id"),
        )

    def payment_statuses(self, code: str, as_of: date | None = None) -> list[PaymentStatus]:
        """The current status of a code in each payment system (latest effective one wins).

        >>> [(p.payment_system, p.status) for p in KnowledgeGraph.default().payment_statuses("96368")]
        [('MPFS', 'A'), ('OPPS', 'N')]
        """
        iri = self.require_code_iri(code)
        latest: dict[str, Edge] = {}
        for edge in self.edges(iri, "PAYMENT_STATUS", "out", as_of):
            held = latest.get(edge.target)
            if held is None or (edge.attrs.get("effective") or date.min) >= (held.attrs.get("effective") or date.min):
                latest[edge.target] = edge
        statuses = [self._payment_status(iri, e) for e in latest.values()]
        return sorted(statuses, key=lambda p: p.payment_system)

    def _payment_status(self, iri: str, edge: Edge) -> PaymentStatus:
        a = edge.attrs
        value = self.node(a.get("status", ""))
        packaged_with = tuple(str(self.node(t).get("notation")) for t in self.targets(a.get("status", ""), "packagedWithStatus"))
        indicators = {k: str(a[k]) for k in ("globalDays", "multipleProcedure", "bilateralSurgery", "pctc") if k in a}
        return PaymentStatus(
            code=self._code_object(iri).code,
            payment_system=str(self.node(edge.target).get("notation", local_name(edge.target))),
            status=str(value.get("notation", local_name(a.get("status", "")))),
            meaning=str(value.get("prefLabel", "")),
            payable=str(value.get("payable", "conditional")),
            packaging=str(value.get("packaging", "none")),
            packaged_with=packaged_with,
            indicators=indicators,
            payment_rate=a.get("paymentRate"),
            effective=a.get("effective"),
            end=a.get("end"),
            sources=self.sources_of(a.get("sources", ())),
            iri=a.get("id"),
        )

    def modifier_rules(self, code: str, as_of: date | None = None) -> list[ModifierRule]:
        """Which modifiers may not (or may only) go on a code, with the reason and source.

        Combines rules declared for the code, rules for every add-on, rules limited to a code
        set, and what the code's fee-schedule indicators mean for modifiers 50 and 51.

        >>> sorted((r.modifier, r.applicability) for r in KnowledgeGraph.default().modifier_rules("96368"))
        [('25', 'NOT_APPLICABLE'), ('50', 'NOT_APPLICABLE'), ('51', 'NOT_APPLICABLE'), ('51', 'NOT_APPLICABLE')]
        """
        iri = self.require_code_iri(code)
        notation = self._code_object(iri).code
        rules: list[ModifierRule] = []

        def add(modifier_iri: str, applicability_iri: str, reason: str, sources: Iterable[str], rule: str) -> None:
            rules.append(ModifierRule(
                modifier=str(self.node(modifier_iri).get("notation", local_name(modifier_iri))),
                code=notation,
                applicability=str(self.node(applicability_iri).get("enumName", local_name(applicability_iri))),
                reason=reason,
                sources=self.sources_of(sources),
                iri=rule,
            ))

        for edge in self.edges(iri, "MODIFIER_RULE", "in", as_of):
            add(edge.source, edge.attrs.get("applicability", CK.NotApplicable), edge.attrs.get("reason", ""),
                edge.attrs.get("sources", ()), edge.attrs.get("id"))
        is_add_on = self._is_add_on(iri)
        for rule in self._of_type.get(CK.ModifierRule, ()):
            attrs = self.node(rule)
            modifier = next(iter(self.targets(rule, "modifier")), None)
            applicability = next(iter(self.targets(rule, "applicability")), CK.NotApplicable)
            if modifier is None:
                continue
            if attrs.get("appliesToAddOns") and is_add_on:
                add(modifier, applicability, attrs.get("reason", ""), attrs.get("sources", ()), rule)
            for code_set in self.targets(rule, "appliesToSet"):
                if applicability == CK.OnlyOn and iri not in self.targets(code_set, "member"):
                    add(modifier, CK.NotApplicable, attrs.get("reason", ""), attrs.get("sources", ()), rule)
        mpfs = [e for e in self.edges(iri, "PAYMENT_STATUS", "out", as_of) if self.node(e.target).get("notation") == "MPFS"]
        if mpfs:
            status = max(mpfs, key=lambda e: e.attrs.get("effective") or date.min).attrs
            for meaning in self._of_type.get(CK.IndicatorMeaning, ()):
                m = self.node(meaning)
                if str(status.get(str(m.get("indicatorField")), "")) == str(m.get("indicatorValue")):
                    add(next(iter(self.targets(meaning, "modifier"))),
                        next(iter(self.targets(meaning, "applicability")), CK.NotApplicable),
                        m.get("reason", ""), (*m.get("sources", ()), *status.get("sources", ())), meaning)
        return rules

    # ------------------------------------------------------------------ guidance, search, registries
    def guidance(self, code: str, kind: str | None = None) -> list[Guidance]:
        """Documentation requirements, denial risks and audit red flags for a code.

        >>> KnowledgeGraph.default().guidance("96368", "documentation")[0].text
        'Name the drug or substance given in the concurrent bag.'
        """
        iri = self.require_code_iri(code)
        found = []
        for source, _, key in self.graph.in_edges(iri, keys=True):
            attrs = self.node(source)
            if key == "code" and CK.Guidance in attrs.get("types", ()) and kind in (None, attrs.get("guidanceKind")):
                found.append((-int(attrs.get("rank", 0)), Guidance(
                    kind=str(attrs.get("guidanceKind")), text=str(attrs.get("text", "")),
                    sources=self.sources_of(attrs.get("sources", ())))))
        return [g for _, g in sorted(found, key=lambda x: (x[0], x[1].text))]

    def code_sources(self, code: str, as_of: date | None = None) -> tuple[Source, ...]:
        """Every source behind a code's facts: the code itself, its relationships and statuses."""
        iri = self.require_code_iri(code)
        iris = set(self.node(iri).get("sources", ()))
        for edge in self.edges(iri, None, "both", as_of):
            iris.update(edge.attrs.get("sources", ()))
        return self.sources_of(iris)

    def search(self, text: str, first: int = 20) -> list[Code]:
        """Codes whose notation, title, description or synonyms match the words of ``text``.

        Every word must match the start of an indexed word; codes whose title matches rank first.

        >>> [c.code for c in KnowledgeGraph.default().search("concurrent infusion")]
        ['96368']
        """
        words = _tokens(text)
        if not words or first <= 0:
            return []
        candidates: set[str] | None = None
        for word in words:
            if self._prefix_index is None:
                self._prefix_index = PrefixIndex(self._search_index)
            hits = self._prefix_index.hits(word)
            candidates = hits if candidates is None else candidates & hits
            if not candidates:
                return []

        def score(iri: str) -> tuple[int, str]:
            c = self._code_object(iri)
            title = set(_tokens(c.title)) | {c.code.lower()}
            return (-sum(any(t.startswith(w) for t in title) for w in words), c.code)

        return [self._code_object(i) for i in sorted(candidates or (), key=score)[:first]]

    def modifier(self, code: str) -> Modifier | None:
        """A modifier by its two-character code.

        >>> KnowledgeGraph.default().modifier("xu").bypasses_ptp
        True
        """
        wanted = code.strip().upper()
        for iri in self._of_type.get(CK.Modifier, ()):
            if str(self.node(iri).get("notation")).upper() == wanted:
                return self._modifier(iri)
        return None

    def _modifier(self, iri: str) -> Modifier:
        a = self.node(iri)
        return Modifier(code=str(a.get("notation")), title=str(a.get("prefLabel", "")),
                        bypasses_ptp=bool(a.get("bypassesPtp", False)),
                        marks_separate_site=bool(a.get("marksSeparateSite", False)),
                        sources=self.sources_of(a.get("sources", ())), iri=iri)

    def modifiers(self) -> list[Modifier]:
        """Every modifier, sorted by code."""
        return sorted((self._modifier(i) for i in self._of_type.get(CK.Modifier, ())), key=lambda m: m.code)

    def payers(self) -> list[Payer]:
        """Every payer, sorted by id.

        >>> [(p.id, p.baseline) for p in KnowledgeGraph.default().payers()]
        [('commercial', 'medicare'), ('medicaid', 'medicare'), ('medicare', None)]
        """
        found = []
        for iri in self._of_type.get(CK.Payer, ()):
            a = self.node(iri)
            baseline = next(iter(self.targets(iri, "baseline")), None)
            found.append(Payer(id=str(a.get("notation")), name=str(a.get("prefLabel", "")),
                               description=a.get("description"),
                               baseline=str(self.node(baseline).get("notation")) if baseline else None,
                               sources=self.sources_of(a.get("sources", ())), iri=iri))
        return sorted(found, key=lambda p: p.id)

    def release(self) -> Release:
        """What the graph was built from: ``version`` is a digest of the input files' contents (equal
        data, equal version), ``built_at`` when that data was parsed."""
        from kg import __version__

        sources = self.sources_of(self._of_type.get(CK.Source, ()))
        version = self.content_digest[:16] or f"{__version__}+{'+'.join(self.layer_names)}"
        return Release(version=version, built_at=self.built_at,
                       layers=self.layer_names, sources=sources, triples=self.triples,
                       nodes=self.graph.number_of_nodes(),
                       edges=self.graph.number_of_edges() + (len(self.bulk) if self.bulk is not None else 0))
