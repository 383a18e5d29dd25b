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

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, overload

import networkx as nx

from kg import facts, lookup, release_info, traversal
from kg import modifier_rules as modifier_rule_lookup
from kg.adjacency import predecessors, successors
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
from kg.search_index import CodeIndex
from kg.snapshot import cached_load

__all__ = ["KnowledgeGraph", "UnknownCodeError"]

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
        # Snapshots carry the code indexes; a graph parsed without one builds them here.
        index = getattr(result, "index", None)
        self._index: CodeIndex = index if isinstance(index, CodeIndex) else lookup.build_index(self.graph)
        self._codes: dict[str, str] = self._index.codes
        self._of_type: dict[str, list[str]] = self._index.of_type
        self._code_cache: dict[str, Code] = {}
        self._source_cache: dict[str, Source] = {}
        self._sources_memo: dict[tuple[str, ...], tuple[Source, ...]] = {}
        self._targets_memo: dict[tuple[str, str], tuple[str, ...]] = {}
        self._relationship_memo: dict[tuple[str, str, str], Relationship] = {}
        self._neighbour_memo: dict[tuple[str, frozenset[str], date], tuple[str, ...]] = {}
        self._hop_memo: dict[tuple[str, str, frozenset[str], date], Relationship] = {}
        #: The modifier rules and indicator meanings, read once (see kg.modifier_rules).
        self._modifier_plan: modifier_rule_lookup.ModifierRulePlan | None = None
        #: The payment-status kind and add-on indicator values, read once (see kg.lookup.is_add_on).
        self._add_on_markers: tuple[str, tuple[tuple[str, str], ...]] | None = None

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

    # ------------------------------------------------------------------ raw access
    def nodes_of_type(self, class_iri: str) -> list[str]:
        """IRIs of the nodes typed with ``class_iri``.

        >>> from kg.vocab import CK
        >>> len(KnowledgeGraph.default().nodes_of_type(CK.Payer))
        3
        """
        return list(self._of_type.get(class_iri, ()))

    def node(self, iri: str) -> dict[str, Any]:
        """The attribute dict of a node (empty when absent)."""
        return self.graph.nodes[iri] if iri in self.graph else {}

    @overload
    def text(self, iri: str, name: str) -> str | None: ...

    @overload
    def text(self, iri: str, name: str, default: str) -> str: ...

    def text(self, iri: str, name: str, default: str | None = None) -> str | None:
        """A node's literal attribute as text (``notation``, ``enumName``, ``note``), else ``default``.

        With :meth:`flag`, :meth:`source_iris` and :meth:`target`, the readers that turn RDF nodes
        into dataclasses; they replace reading the attribute dict by hand.

        >>> kg = KnowledgeGraph.default()
        >>> kg.text(kg.code_iri("96368"), "notation")
        '96368'
        >>> kg.text("https://example.org/absent", "notation", "none on file")
        'none on file'
        """
        value = self.node(iri).get(name)
        return default if value is None else str(value)

    def flag(self, iri: str, name: str) -> bool:
        """A node's boolean attribute (``ck:standalone``, ``ck:timeBased``); absent is false.

        Raises:
            TypeError: the attribute holds something other than a boolean (a typo in the data).

        >>> kg = KnowledgeGraph.default()
        >>> kg.flag(kg.code_iri("96368"), "noSuchFlag")
        False
        """
        value = self.node(iri).get(name, False)
        if not isinstance(value, bool):
            raise TypeError(f"{iri}: {name} is {value!r}, not a boolean")
        return value

    def number(self, iri: str, name: str, default: int = 0) -> int:
        """A node's integer attribute (``ck:rank``, ``ck:maxUnits``), else ``default``.

        Raises:
            TypeError: the attribute holds something other than an integer.

        >>> kg = KnowledgeGraph.default()
        >>> kg.number(kg.code_iri("96368"), "noSuchNumber", 7)
        7
        """
        value = self.node(iri).get(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{iri}: {name} is {value!r}, not an integer")
        return value

    def source_iris(self, iri: str) -> tuple[str, ...]:
        """The IRIs of the ``dcterms:source`` nodes of a node (see :meth:`sources_of` for the objects).

        >>> kg = KnowledgeGraph.default()
        >>> len(kg.source_iris(kg.code_iri("96368"))) > 0
        True
        """
        value = self.node(iri).get("sources", ())
        return tuple(value) if isinstance(value, (tuple, list, set, frozenset)) else (str(value),)

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
            for target, keyed in successors(self.graph, iri).items():
                for attrs in keyed.values():
                    if (kind is None or attrs["kind"] == kind) and is_active(attrs, day):
                        found.append(Edge(iri, target, attrs))
        if direction in ("in", "both"):
            for source, keyed in predecessors(self.graph, iri).items():
                for attrs in keyed.values():
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
        """Forget memoised lookups (targets, relationship objects, neighbours, source lists, the
        modifier rules and add-on markers read); benchmarks measure cold costs with it."""
        self._targets_memo.clear()
        self._relationship_memo.clear()
        self._neighbour_memo.clear()
        self._hop_memo.clear()
        self._sources_memo.clear()
        self._modifier_plan = None
        self._add_on_markers = None

    def targets(self, iri: str, kind: str) -> tuple[str, ...]:
        """Targets of the plain (undated) edges of one kind leaving a node, e.g. ``member``.

        Memoised: the graph never changes once loaded, and rule evaluation asks the same
        questions of the same rule nodes for every claim.
        """
        key = (iri, kind)
        found = self._targets_memo.get(key)
        if found is None:
            found = tuple(t for t, keyed in successors(self.graph, iri).items() if kind in keyed)
            self._targets_memo[key] = found
        return found

    def target(self, iri: str, kind: str) -> str | None:
        """The first target of the plain edges of one kind leaving a node, or ``None``.

        The one reader for a single-valued link (``ck:inScheme``, ``ck:modifier``, ...) when
        turning RDF nodes into dataclasses.

        >>> kg = KnowledgeGraph.default()
        >>> kg.target(kg.code_iri("96368"), "inScheme")
        'https://w3id.org/codingkg/scheme/cpt'
        >>> kg.target(kg.code_iri("96368"), "noSuchLink") is None
        True
        """
        found = self.targets(iri, kind)
        return found[0] if found else None

    # ------------------------------------------------------------------ objects
    def source(self, iri: str) -> Source:
        """The source node ``iri`` as a :class:`Source`."""
        return facts.source(self, iri)

    def sources_of(self, iris: Iterable[str]) -> tuple[Source, ...]:
        """Sources for a list of source IRIs, strongest confidence first."""
        return facts.sources_of(self, iris)

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
        obj = lookup.code_object(self, iri)
        if as_of is not None and not is_active({"effective": obj.effective, "end": obj.end}, as_of):
            return None
        return obj

    def codes(self) -> list[Code]:
        """Every code in the graph, sorted by notation."""
        return sorted((lookup.code_object(self, i) for i in self._codes.values()), key=lambda c: c.code)

    def relationship(self, edge: Edge) -> Relationship:
        """A raw code-to-code edge (from :meth:`edges`) as a :class:`Relationship` with its sources.

        Raises:
            ValueError: the edge is not one of the :class:`RelationKind` kinds.

        >>> kg = KnowledgeGraph.default()
        >>> edge = kg.edges(kg.code_iri("96368"), "ADD_ON_OF")[0]
        >>> kg.relationship(edge).kind.value
        'ADD_ON_OF'
        """
        return traversal.relationship(self, edge)

    # ------------------------------------------------------------------ relationships
    def valid_primaries(self, add_on: str, as_of: date | None = None) -> list[Code]:
        """Codes an add-on may be reported with, sorted by notation.

        Raises:
            UnknownCodeError: ``add_on`` is not in the graph.

        >>> kg = KnowledgeGraph.default()
        >>> {"96365", "96366", "96413", "96415", "96416"} <= {c.code for c in kg.valid_primaries("96368")}
        True
        """
        return traversal.valid_primaries(self, add_on, as_of)

    def add_on_edges(self, add_on: str, as_of: date | None = None) -> list[Relationship]:
        """The add-on-of relationships of an add-on, each with its sources and edit type."""
        return traversal.add_on_edges(self, add_on, as_of)

    def add_ons(self, primary: str, as_of: date | None = None) -> list[Code]:
        """Add-on codes that may be reported with a primary, sorted by notation.

        >>> [c.code for c in KnowledgeGraph.default().add_ons("96369")]
        ['96370', '96371']
        """
        return traversal.add_ons(self, primary, as_of)

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
        return traversal.relationships(self, code, kinds, as_of, first)

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
        return traversal.related(self, code, depth, kinds, as_of, limit)

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
        return traversal.path(self, from_code, to_code, as_of, max_depth)

    # ------------------------------------------------------------------ limits, rules, statuses
    def mue(self, code: str, claim_type: str = "PROFESSIONAL", as_of: date | None = None) -> Mue | None:
        """The MUE of a code for a claim type (``PROFESSIONAL``, ``FACILITY_OUTPATIENT``, ...).

        ``None`` means the graph holds no MUE for it: unknown, never "no limit".

        >>> KnowledgeGraph.default().mue("96368").max_units
        1
        """
        return facts.mue(self, code, claim_type, as_of)

    def payment_statuses(self, code: str, as_of: date | None = None) -> list[PaymentStatus]:
        """The current status of a code in each payment system (latest effective one wins).

        >>> [(p.payment_system, p.status) for p in KnowledgeGraph.default().payment_statuses("96368")]
        [('MPFS', 'A'), ('OPPS', 'N')]
        """
        return facts.payment_statuses(self, code, as_of)

    def modifier_rules(self, code: str, as_of: date | None = None) -> list[ModifierRule]:
        """Which modifiers may not (or may only) go on a code, with the reason and source.

        Combines rules declared for the code, rules for every add-on, rules limited to a code
        set, and what the code's fee-schedule indicators mean for modifiers 50 and 51.

        >>> sorted((r.modifier, r.applicability) for r in KnowledgeGraph.default().modifier_rules("96368"))
        [('25', 'NOT_APPLICABLE'), ('50', 'NOT_APPLICABLE'), ('51', 'NOT_APPLICABLE'), ('51', 'NOT_APPLICABLE')]
        """
        return modifier_rule_lookup.modifier_rules(self, code, as_of)

    # ------------------------------------------------------------------ guidance, search, registries
    def guidance(self, code: str, kind: str | None = None) -> list[Guidance]:
        """Documentation requirements, denial risks and audit red flags for a code.

        >>> KnowledgeGraph.default().guidance("96368", "documentation")[0].text
        'Name the drug or substance given in the concurrent bag.'
        """
        return facts.guidance(self, code, kind)

    def code_sources(self, code: str, as_of: date | None = None) -> tuple[Source, ...]:
        """Every source behind a code's facts: the code itself, its relationships and statuses."""
        return facts.code_sources(self, code, as_of)

    def search(self, text: str, first: int = 20) -> list[Code]:
        """Codes whose notation, title, description or synonyms match the words of ``text``.

        Every word must match the start of an indexed word; codes whose title matches rank first.

        >>> [c.code for c in KnowledgeGraph.default().search("concurrent infusion")]
        ['96368']
        """
        return lookup.search(self, text, first)

    def modifier(self, code: str) -> Modifier | None:
        """A modifier by its two-character code.

        >>> KnowledgeGraph.default().modifier("xu").bypasses_ptp
        True
        """
        return facts.modifier(self, code)

    def modifiers(self) -> list[Modifier]:
        """Every modifier, sorted by code."""
        return facts.modifiers(self)

    def payers(self) -> list[Payer]:
        """Every payer, sorted by id.

        >>> [(p.id, p.baseline) for p in KnowledgeGraph.default().payers()]
        [('commercial', 'medicare'), ('medicaid', 'medicare'), ('medicare', None)]
        """
        return facts.payers(self)

    def release(self) -> Release:
        """What the graph was built from: ``version`` is a digest of the input files' contents (equal
        data, equal version), ``built_at`` when that data was parsed."""
        return release_info.release(self)
