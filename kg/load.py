"""RDF -> networkx: parse Turtle/N-Triples and build the runtime ``MultiDiGraph``.

Conventions (after kgx): every IRI subject becomes a node keyed by its IRI string; literals
become node attributes, never nodes; ``rdf:type`` becomes the ``types`` attribute and
``dcterms:source`` the ``sources`` attribute. Instances of an n-ary class that the vocabulary
annotates with ``ck:edgeKind``/``ck:edgeFrom``/``ck:edgeTo`` become one attributed edge
from the ``edgeFrom`` value to the ``edgeTo`` value; every other IRI-valued triple becomes an
edge keyed by the predicate's local name.

Files are loaded in *layers* (the curated data first, then each imported release): for each
n-ary class, ``ck:overrideScope`` says which facts a later layer replaces ("from": all edges
of that kind leaving the node; "from-to": only those to the same target). For plain nodes, a
literal property stated in a later layer replaces the earlier layers' values of that property
(types and sources accumulate); a triple stated twice counts once (RDF graphs are sets).

Bulk relationship files (millions of NCCI PTP rows, announced by :data:`kg.bulk.BULK_MARKER`)
bypass the triple-by-triple path and go to a columnar table, :class:`kg.bulk.BulkEdges`,
returned as ``LoadResult.bulk``; overrides apply across both stores.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import networkx as nx
import pyoxigraph as ox

from kg.bulk import BulkEdgeBuilder, BulkEdges
from kg.search_index import CodeIndex
from kg.vocab import CK, DCTERMS, RDF, XSD, local_name

__all__ = ["EdgeClass", "GraphLoadError", "LoadResult", "load_graph", "parse_triples", "rdf_files"]

log = logging.getLogger(__name__)

_RDF_SUFFIXES = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES}
_MULTI_VALUED = {"altLabel"}


class GraphLoadError(ValueError):
    """An RDF file could not be read; the message names the file and the parser's reason."""


@dataclass(frozen=True, slots=True)
class EdgeClass:
    """How instances of one n-ary class become edges (read from the vocabulary)."""

    kind: str
    from_property: str
    to_property: str
    symmetric: bool = False
    override_scope: str = "from"


@dataclass(slots=True)
class LoadResult:
    """The runtime graph plus what was counted while building it."""

    graph: nx.MultiDiGraph
    triples: int
    edge_classes: dict[str, EdgeClass]
    files: tuple[str, ...]
    bulk: BulkEdges | None = None
    #: When the data was built (ISO 8601, UTC): the parse, not a later load of its snapshot.
    built_at: str = ""
    #: A digest of the input files' contents per layer (not their paths): equal data, equal digest.
    content_digest: str = ""
    #: The code indexes, built before a snapshot is written so a start from it skips rebuilding them.
    index: CodeIndex | None = None


def rdf_files(directory: Path) -> list[Path]:
    """The RDF files of a data directory, recursively, in a stable order.

    >>> rdf_files(Path("/nonexistent"))
    []
    """
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.rglob("*") if p.suffix in _RDF_SUFFIXES and p.is_file())


# Datatype IRIs resolved once: the namespace attribute lookup is too slow for a per-literal test.
_XSD_STRING, _XSD_DATE, _XSD_BOOLEAN, _XSD_DECIMAL, _XSD_DOUBLE = XSD.string, XSD.date, XSD.boolean, XSD.decimal, XSD.double
_XSD_INTEGERS = frozenset((XSD.integer, XSD.int, XSD.long, XSD.nonNegativeInteger, XSD.positiveInteger))


def _python_value(literal: ox.Literal) -> Any:
    datatype = literal.datatype.value
    text = literal.value
    if datatype == _XSD_STRING:
        return text
    try:
        if datatype == _XSD_DATE:
            return date.fromisoformat(text)
        if datatype in _XSD_INTEGERS:
            return int(text)
        if datatype == _XSD_BOOLEAN:
            return text in ("true", "1")
        if datatype == _XSD_DECIMAL:
            return float(Decimal(text))
        if datatype == _XSD_DOUBLE:
            return float(text)
    except ValueError:
        # Malformed typed literals are reported by SHACL validation; keep the text here.
        return text
    return text


def _term_key(term: ox.NamedNode | ox.BlankNode) -> str:
    return term.value if isinstance(term, ox.NamedNode) else "_:" + term.value


def parse_triples(path: Path) -> Iterable[tuple[str, str, Any, bool]]:
    """Yield ``(subject, predicate, object, object_is_node)`` for every triple of an RDF file.

    Raises:
        GraphLoadError: the file cannot be parsed (the message names file and reason).
    """
    fmt = _RDF_SUFFIXES.get(path.suffix)
    if fmt is None:
        raise GraphLoadError(f"{path}: not an RDF file this loader reads (.ttl or .nt)")
    try:
        for quad in ox.parse(path=str(path), format=fmt, rename_blank_nodes=True):
            obj = quad.object
            if isinstance(obj, ox.Literal):
                yield _term_key(quad.subject), quad.predicate.value, _python_value(obj), False
            else:
                yield _term_key(quad.subject), quad.predicate.value, _term_key(obj), True
    except SyntaxError as err:
        raise GraphLoadError(f"{path}: {err}") from err
    except OSError as err:
        raise GraphLoadError(f"{path}: cannot read ({err.strerror or err})") from err


def _edge_classes(subjects: dict[str, dict[str, list[tuple[Any, bool]]]]) -> dict[str, EdgeClass]:
    classes: dict[str, EdgeClass] = {}
    for iri, props in subjects.items():
        kind = props.get(CK.edgeKind)
        if not kind:
            continue
        first = {p: v[0][0] for p, v in props.items()}
        classes[iri] = EdgeClass(
            kind=str(kind[0][0]),
            from_property=first[CK.edgeFrom],
            to_property=first[CK.edgeTo],
            symmetric=bool(first.get(CK.symmetric, False)),
            override_scope=str(first.get(CK.overrideScope, "from")),
        )
    return classes


def _literal_attrs(props: dict[str, list[tuple[Any, bool]]], skip: set[str]) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    for predicate, values in props.items():
        if predicate in skip:
            continue
        literals = [v for v, is_node in values if not is_node]
        if not literals:
            continue
        name = local_name(predicate)
        attrs[name] = tuple(literals) if (len(literals) > 1 or name in _MULTI_VALUED) else literals[0]
    return attrs


def load_graph(layers: Sequence[Sequence[Path]]) -> LoadResult:
    """Parse layered RDF files into the runtime graph.

    Args:
        layers: lists of RDF files; layer 0 is the curated data (with the vocabulary), each
            later layer an imported release that overrides earlier layers' facts.

    Returns:
        The graph and its counts.

    Raises:
        GraphLoadError: a file cannot be parsed.

    >>> from ontology import default_files
    >>> result = load_graph([default_files()])
    >>> g = result.graph
    >>> "https://w3id.org/codingkg/cpt/96368" in g
    True
    >>> sorted({d["kind"] for _, _, d in g.edges("https://w3id.org/codingkg/cpt/96368", data=True)})[:3]
    ['ADD_ON_OF', 'ALTERNATIVE_TO', 'MUE']
    """
    subjects: dict[str, dict[str, list[tuple[Any, bool]]]] = defaultdict(lambda: defaultdict(list))
    subject_layer: dict[str, int] = {}
    value_layer: dict[tuple[str, str], int] = {}
    rdf_type, dcterms_source = RDF.type, DCTERMS.source
    accumulating = {rdf_type, dcterms_source}
    triples = 0
    files: list[str] = []
    bulk = BulkEdgeBuilder()
    content = hashlib.sha256()
    for layer, paths in enumerate(layers):
        content.update(f"layer {layer}\n".encode())
        for path in paths:
            files.append(str(path))
            content.update(f"{Path(path).name}\n".encode() + _file_digest(Path(path)) + b"\n")
            if BulkEdgeBuilder.is_bulk_file(Path(path)) and bulk.read(Path(path), layer):
                continue
            for s, p, o, is_node in parse_triples(Path(path)):
                values = subjects[s][p]
                if layer and p not in accumulating and value_layer.get((s, p), layer) < layer:
                    values.clear()  # a later layer restates this property: its values replace the old ones
                if layer:
                    value_layer[s, p] = layer
                if (o, is_node) not in values:
                    values.append((o, is_node))
                if subject_layer.get(s, 0) < layer:
                    subject_layer[s] = layer
                triples += 1
    triples += bulk.triples
    edge_classes = _edge_classes(subjects)
    graph = nx.MultiDiGraph()
    pending: list[tuple[str, str, str, dict[str, Any]]] = []
    for subject, props in subjects.items():
        types = frozenset(v for v, _ in props.get(rdf_type, ()))
        sources = tuple(v for v, _ in props.get(dcterms_source, ()))
        edge_class = next((edge_classes[t] for t in types if t in edge_classes), None)
        if edge_class is not None:
            froms = [v for v, is_node in props.get(edge_class.from_property, ()) if is_node]
            tos = [v for v, is_node in props.get(edge_class.to_property, ()) if is_node]
            if froms and tos:
                skip = {rdf_type, dcterms_source, edge_class.from_property, edge_class.to_property}
                attrs = _literal_attrs(props, skip)
                for predicate, values in props.items():
                    if predicate not in skip:
                        nodes = [v for v, is_node in values if is_node]
                        if nodes:
                            attrs[local_name(predicate)] = nodes[0] if len(nodes) == 1 else tuple(nodes)
                attrs.update(kind=edge_class.kind, id=subject, sources=sources, layer=subject_layer.get(subject, 0))
                if edge_class.symmetric:
                    attrs["symmetric"] = True
                pending.extend((f, t, edge_class.kind, attrs) for f in froms for t in tos)
                continue
        attrs = _literal_attrs(props, accumulating)
        graph.add_node(subject, **attrs, types=types, sources=sources, layer=subject_layer.get(subject, 0))
        for predicate, values in props.items():
            if predicate in accumulating:
                continue
            name = local_name(predicate)
            for value, is_node in values:
                if is_node:
                    graph.add_edge(subject, value, key=name, kind=name)
    scope_of = {c.kind: c.override_scope for c in edge_classes.values()}
    kind_of = {iri: c.kind for iri, c in edge_classes.items()}
    tops = _top_layers(pending, scope_of)
    table = None
    if len(bulk):
        for key, layer in bulk.top_layers(scope_of, kind_of).items():
            tops[key] = max(tops.get(key, 0), layer)
        try:
            table = bulk.finish(scope_of, kind_of, {c.kind: c.symmetric for c in edge_classes.values()}, tops)
        except ValueError as err:
            raise GraphLoadError(str(err)) from err
    _add_edges_with_overrides(graph, pending, edge_classes, tops)
    log.info("loaded %d triples from %d files: %d nodes, %d edges, %d bulk edges", triples, len(files),
             graph.number_of_nodes(), graph.number_of_edges(), len(table) if table else 0)
    return LoadResult(graph=graph, triples=triples, edge_classes=edge_classes, files=tuple(files), bulk=table,
                      built_at=datetime.now(UTC).isoformat(timespec="seconds"), content_digest=content.hexdigest())


def _file_digest(path: Path) -> bytes:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    except OSError as err:
        raise GraphLoadError(f"{path}: cannot read ({err.strerror or err})") from err
    return digest.digest()


def _scope_key(source: str, target: str, kind: str, scope_of: dict[str, str]) -> tuple[str, ...]:
    return (source, kind, target) if scope_of.get(kind) == "from-to" else (source, kind)


def _top_layers(pending: list[tuple[str, str, str, dict[str, Any]]], scope_of: dict[str, str]) -> dict[tuple[str, ...], int]:
    """The highest layer that states facts for each override key (see the module docstring)."""
    top: dict[tuple[str, ...], int] = {}
    for source, target, kind, attrs in pending:
        key = _scope_key(source, target, kind, scope_of)
        top[key] = max(top.get(key, 0), attrs["layer"])
    return top


def _add_edges_with_overrides(
    graph: nx.MultiDiGraph,
    pending: list[tuple[str, str, str, dict[str, Any]]],
    edge_classes: dict[str, EdgeClass],
    top_layer: dict[tuple[str, ...], int],
) -> None:
    """Add n-ary edges, dropping those a later layer overrides (see the module docstring)."""
    scope_of = {c.kind: c.override_scope for c in edge_classes.values()}
    for source, target, kind, attrs in pending:
        if attrs["layer"] < top_layer.get(_scope_key(source, target, kind, scope_of), 0):
            continue
        graph.add_edge(source, target, key=attrs["id"], **attrs)
