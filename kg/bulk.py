"""Columnar storage for bulk relationships: millions of NCCI PTP edits in a few arrays.

Why not networkx: one ``MultiDiGraph`` edge with its attribute dict costs about a kilobyte, so
the ~5 M practitioner and hospital PTP rows of a quarter would need far more than the 3 GB the
engine may use. Bulk relationships are instead kept in parallel ``array`` columns (interned node
indices, dates as proleptic ordinals, small lookup tables for repeated strings), sorted by
``(from, to)`` so that the edges leaving a node are one contiguous slice and a pair lookup is a
binary search. :class:`kg.graph.KnowledgeGraph` consults the table from ``edges()`` and
``edges_between()``, so callers see ordinary :class:`kg.model.Edge` objects.

Bulk files are ordinary Turtle (any RDF tool reads them) written by ``codingkg import`` in a
canonical one-node-per-line layout announced by :data:`BULK_MARKER` on the first line. The
loader streams such files line by line with one regular expression per node instead of building
triples; a file whose lines do not all follow the layout is parsed by the generic loader instead.
"""

from __future__ import annotations

import logging
import re
from array import array
from bisect import bisect_left
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from kg.model import Edge
from kg.vocab import BASE, CK, DCTERMS, XSD

__all__ = ["BULK_MARKER", "BulkEdgeBuilder", "BulkEdges", "BulkRow", "bulk_line", "bulk_prefixes"]

log = logging.getLogger(__name__)

BULK_MARKER = "# codingkg bulk relationships v1"
CLAIM_TYPE_BASE = BASE + "claim-type/"

# The prefixes a bulk file must bind exactly so (the row and code prefixes are read from the file).
_FIXED_PREFIXES = {"ck": str(CK), "dcterms": str(DCTERMS), "xsd": str(XSD), "claim": CLAIM_TYPE_BASE}
_PREFIX = re.compile(r"@prefix ([A-Za-z][\w-]*): <([^>]*)> \.\s*$")
_LINE = re.compile(
    r"r:(\d+) a ck:(\w+) ; ck:fromCode (\w+):(\w+) ; ck:toCode (\w+):(\w+) ; ck:claimType claim:([\w-]+) ; "
    r'ck:modifierIndicator (\d) ; ck:rationale "([^"\\]*)" ; ck:effective "(\d{4}-\d\d-\d\d)"\^\^xsd:date ; '
    r'(?:ck:end "(\d{4}-\d\d-\d\d)"\^\^xsd:date ; )?dcterms:source src:([\w.-]+) \.\s*$'
)


@dataclass(frozen=True, slots=True)
class BulkRow:
    """One bulk relationship as the importer writes it (codes as ``prefix:notation`` names)."""

    line: int
    class_name: str
    from_code: str
    to_code: str
    claim_type: str
    modifier_indicator: int
    rationale: str
    effective: date
    end: date | None
    source: str


def bulk_prefixes(row_prefix: str, source_prefix: str, code_prefixes: Mapping[str, str]) -> str:
    """The header of a bulk file: the marker line and the prefix declarations.

    Args:
        row_prefix: IRI prefix of the relationship nodes (bound to ``r:``).
        source_prefix: IRI prefix of the source nodes (bound to ``src:``).
        code_prefixes: prefix name -> IRI for the code systems used.

    >>> bulk_prefixes("http://x/r/", "http://x/s/", {}).splitlines()[0] == BULK_MARKER
    True
    """
    bound = {**_FIXED_PREFIXES, "r": row_prefix, "src": source_prefix, **code_prefixes}
    return BULK_MARKER + "\n" + "".join(f"@prefix {k}: <{v}> .\n" for k, v in bound.items())


def bulk_line(row: BulkRow) -> str:
    """One node of a bulk file, on one line (the layout the fast loader reads).

    >>> bulk_line(BulkRow(7, "BundledInto", "cpt:29877", "cpt:29881", "professional", 1, "Misuse",
    ...                   date(2006, 1, 1), None, "ptp"))[:47]
    'r:7 a ck:BundledInto ; ck:fromCode cpt:29877 ; '
    """
    end = f'ck:end "{row.end.isoformat()}"^^xsd:date ; ' if row.end else ""
    return (f"r:{row.line} a ck:{row.class_name} ; ck:fromCode {row.from_code} ; ck:toCode {row.to_code} ; "
            f"ck:claimType claim:{row.claim_type} ; ck:modifierIndicator {row.modifier_indicator} ; "
            f'ck:rationale "{row.rationale}" ; ck:effective "{row.effective.isoformat()}"^^xsd:date ; '
            f"{end}dcterms:source src:{row.source} .\n")


class _Interner:
    """Strings to small integers and back (one table per column of repeated values)."""

    __slots__ = ("index", "values")

    def __init__(self) -> None:
        self.values: list[str] = []
        self.index: dict[str, int] = {}

    def __call__(self, value: str) -> int:
        found = self.index.get(value)
        if found is None:
            found = self.index[value] = len(self.values)
            self.values.append(value)
        return found


class BulkEdges:
    """The finished, sorted table. Rows ``src_offsets[n]:src_offsets[n+1]`` leave node ``n``."""

    def __init__(self, builder: BulkEdgeBuilder, keep: Sequence[int], kinds: list[str], symmetric: list[bool]) -> None:
        self.nodes = builder.nodes.values
        self.node_index = builder.nodes.index
        self.kinds = kinds
        self.kind_set = frozenset(kinds)
        self.symmetric = symmetric
        self.claims = builder.claims.values
        self.rationales = builder.rationales.values
        self.sources = builder.sources.values
        self.id_prefixes = builder.id_prefixes.values
        width = max(len(self.nodes).bit_length(), 1)
        shift = max(len(builder.src).bit_length(), 1)
        mask = (1 << shift) - 1
        src, dst = builder.src, builder.dst
        # Sorting packed integers is several times faster than sorting with a key function.
        order = sorted(((src[i] << width | dst[i]) << shift) | i for i in keep)
        perm = [k & mask for k in order]
        del order

        def take(column: array, perm: list[int] = perm) -> array:
            return array(column.typecode, map(column.__getitem__, perm))

        self.src, self.dst = take(src), take(dst)
        self.kind, self.claim, self.indicator = take(builder.kind), take(builder.claim), take(builder.indicator)
        self.rationale, self.effective, self.end = take(builder.rationale), take(builder.effective), take(builder.end)
        self.source, self.layer = take(builder.source), take(builder.layer)
        self.id_prefix, self.id_line = take(builder.id_prefix), take(builder.id_line)
        del perm, take
        count = len(self.nodes)
        self.src_offsets = array("i", (bisect_left(self.src, n) for n in range(count + 1)))
        by_dst = sorted(((self.dst[r] << width | self.src[r]) << shift) | r for r in range(len(self.src)))
        top = width + shift
        self.dst_offsets = array("i", (bisect_left(by_dst, n << top) for n in range(count + 1)))
        self.dst_rows = array("i", (k & mask for k in by_dst))
        self._kind_memo: dict[frozenset[str], frozenset[int]] = {}

    def __len__(self) -> int:
        return len(self.src)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_kind_memo"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._kind_memo = {}

    # ------------------------------------------------------------------ rows
    def _active(self, row: int, day: int) -> bool:
        end = self.end[row]
        return self.effective[row] <= day and (end == 0 or day < end)

    def attrs(self, row: int) -> dict[str, Any]:
        """The attribute dict of a row, shaped like the generic loader's edge attributes."""
        kind = self.kind[row]
        attrs: dict[str, Any] = {
            "kind": self.kinds[kind],
            "id": self.id_prefixes[self.id_prefix[row]] + str(self.id_line[row]),
            "sources": (self.sources[self.source[row]],),
            "layer": self.layer[row],
            "claimType": self.claims[self.claim[row]],
            "modifierIndicator": self.indicator[row],
            "rationale": self.rationales[self.rationale[row]],
        }
        if self.effective[row]:
            attrs["effective"] = date.fromordinal(self.effective[row])
        if self.end[row]:
            attrs["end"] = date.fromordinal(self.end[row])
        if self.symmetric[kind]:
            attrs["symmetric"] = True
        return attrs

    def _edge(self, row: int) -> Edge:
        return Edge(self.nodes[self.src[row]], self.nodes[self.dst[row]], self.attrs(row))

    def _kind_indexes(self, kinds: frozenset[str]) -> frozenset[int]:
        """The kind column values of some edge kinds (memoised: traversals ask per hop)."""
        found = self._kind_memo.get(kinds)
        if found is None:
            found = self._kind_memo[kinds] = frozenset(self.kinds.index(k) for k in kinds if k in self.kind_set)
        return found

    def _wanted(self, kind: str | None) -> int | None:
        return None if kind is None else self.kinds.index(kind)

    def edges(self, iri: str, kind: str | None, direction: str, as_of: date) -> Iterator[Edge]:
        """Active rows at a node (``out``, ``in`` or ``both``), optionally of one kind."""
        node = self.node_index.get(iri)
        if node is None or (kind is not None and kind not in self.kind_set):
            return
        wanted, day = self._wanted(kind), as_of.toordinal()
        rows: list[Any] = []
        if direction in ("out", "both"):
            rows.append(range(self.src_offsets[node], self.src_offsets[node + 1]))
        if direction in ("in", "both"):
            rows.append(self.dst_rows[self.dst_offsets[node]:self.dst_offsets[node + 1]])
        for block in rows:
            for row in block:
                if (wanted is None or self.kind[row] == wanted) and self._active(row, day):
                    yield self._edge(row)

    def neighbours(self, iri: str, kinds: frozenset[str], as_of: date) -> set[str]:
        """Nodes joined to ``iri`` by an active row of one of ``kinds``, either direction.

        Traversals need only the other ends: reading them straight from the columns skips
        building an attribute dict per row, which matters at hubs with thousands of rows.
        """
        node = self.node_index.get(iri)
        if node is None:
            return set()
        wanted = self._kind_indexes(kinds)
        if not wanted:
            return set()
        day = as_of.toordinal()
        kind, effective, end = self.kind, self.effective, self.end
        every_kind = len(wanted) == len(self.kinds)
        lo, hi = self.src_offsets[node], self.src_offsets[node + 1]
        # One comprehension per direction (no method call per row): hubs have thousands of rows.
        found = {other for row, other in zip(range(lo, hi), self.dst[lo:hi], strict=True)
                 if effective[row] <= day and (not end[row] or day < end[row]) and (every_kind or kind[row] in wanted)}
        src = self.src
        found.update(src[row] for row in self.dst_rows[self.dst_offsets[node]:self.dst_offsets[node + 1]]
                     if effective[row] <= day and (not end[row] or day < end[row]) and (every_kind or kind[row] in wanted))
        nodes = self.nodes
        return {nodes[n] for n in found}

    def first_between(self, source: str, target: str, kinds: frozenset[str], as_of: date) -> Edge | None:
        """The first active row (in row order) of one of ``kinds`` from ``source`` to ``target``, or ``None``.

        A binary search; the attribute dict is built for the row returned only.
        """
        s, t = self.node_index.get(source), self.node_index.get(target)
        if s is None or t is None:
            return None
        wanted = self._kind_indexes(kinds)
        day = as_of.toordinal()
        hi = self.src_offsets[s + 1]
        row = bisect_left(self.dst, t, self.src_offsets[s], hi)
        while row < hi and self.dst[row] == t:
            if self.kind[row] in wanted and self._active(row, day):
                return self._edge(row)
            row += 1
        return None

    def edges_between(self, source: str, target: str, kind: str | None, as_of: date) -> list[Edge]:
        """Active rows of one kind (``None``: every kind) from ``source`` to ``target``, in row
        order (a binary search)."""
        s, t = self.node_index.get(source), self.node_index.get(target)
        if s is None or t is None or (kind is not None and kind not in self.kind_set):
            return []
        wanted, day = self._wanted(kind), as_of.toordinal()
        hi = self.src_offsets[s + 1]
        row = bisect_left(self.dst, t, self.src_offsets[s], hi)
        found = []
        while row < hi and self.dst[row] == t:
            if (wanted is None or self.kind[row] == wanted) and self._active(row, day):
                found.append(self._edge(row))
            row += 1
        return found

    def rows(self) -> Iterator[int]:
        """Every row index, in ``(from, to)`` order."""
        return iter(range(len(self.src)))

    def edge(self, row: int) -> Edge:
        """The row as an :class:`Edge` (whatever its dates)."""
        return self._edge(row)


class BulkEdgeBuilder:
    """Collects bulk rows from files, then :meth:`finish` sorts them into :class:`BulkEdges`."""

    def __init__(self) -> None:
        self.nodes, self.classes, self.claims = _Interner(), _Interner(), _Interner()
        self.rationales, self.sources, self.id_prefixes = _Interner(), _Interner(), _Interner()
        self.src, self.dst = array("i"), array("i")
        self.kind, self.claim, self.indicator = array("B"), array("H"), array("B")
        self.rationale, self.effective, self.end = array("H"), array("i"), array("i")
        self.source, self.layer = array("H"), array("B")
        self.id_prefix, self.id_line = array("H"), array("i")
        self.triples = 0
        self._ordinals: dict[str, int] = {}
        self._columns = (self.src, self.dst, self.kind, self.claim, self.indicator, self.rationale,
                         self.effective, self.end, self.source, self.layer, self.id_prefix, self.id_line)

    def __len__(self) -> int:
        return len(self.src)

    def _ordinal(self, text: str | None) -> int:
        if not text:
            return 0
        found = self._ordinals.get(text)
        if found is None:
            found = self._ordinals[text] = date.fromisoformat(text).toordinal()
        return found

    @staticmethod
    def is_bulk_file(path: Path) -> bool:
        """Whether a file starts with :data:`BULK_MARKER`."""
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.readline().rstrip("\r\n") == BULK_MARKER
        except (OSError, UnicodeDecodeError):
            return False

    def read(self, path: Path, layer: int) -> bool:
        """Stream a bulk file into the columns.

        Returns:
            ``True`` when every line followed the canonical layout; ``False`` (with nothing
            added) when the caller must parse the file with the generic loader instead.
        """
        start, triples = len(self.src), 0
        prefixes: dict[str, str] = {}
        try:
            with open(path, encoding="utf-8") as handle:
                ok = self._read_lines(handle, prefixes, layer)
                triples = ok if ok is not False else 0
        except (OSError, UnicodeDecodeError, ValueError, KeyError) as err:
            log.warning("%s: bulk fast path not usable (%s); parsing it as ordinary RDF", path, err)
            ok = False
        if ok is False:
            for column in self._columns:
                del column[start:]
            log.warning("%s: not in the canonical bulk layout; parsing it as ordinary RDF", path)
            return False
        self.triples += triples
        return True

    def _read_lines(self, handle: Any, prefixes: dict[str, str], layer: int) -> int | bool:
        match_line, intern_node, intern_class = _LINE.match, self.nodes, self.classes
        claims, rationales, sources = self.claims, self.rationales, self.sources
        ordinal = self._ordinal
        src_a, dst_a, kind_a, claim_a = self.src.append, self.dst.append, self.kind.append, self.claim.append
        ind_a, rat_a, eff_a, end_a = self.indicator.append, self.rationale.append, self.effective.append, self.end.append
        source_a, layer_a, idp_a, line_a = self.source.append, self.layer.append, self.id_prefix.append, self.id_line.append
        id_prefix = -1
        triples = 0
        for text in handle:
            if text.startswith("#") or not text.strip():
                continue
            if text.startswith("@prefix"):
                declared = _PREFIX.match(text)
                if declared is None:
                    return False
                prefixes[declared.group(1)] = declared.group(2)
                continue
            if id_prefix < 0:
                if any(prefixes.get(k) != v for k, v in _FIXED_PREFIXES.items()) or "r" not in prefixes \
                        or "src" not in prefixes:
                    return False
                id_prefix = self.id_prefixes(prefixes["r"])
            m = match_line(text)
            if m is None:
                return False
            line, cls, fp, fcode, tp, tcode, claim, mi, rat, eff, end, src = m.groups()
            src_a(intern_node(prefixes[fp] + fcode))
            dst_a(intern_node(prefixes[tp] + tcode))
            kind_a(intern_class(str(CK) + cls))
            claim_a(claims(CLAIM_TYPE_BASE + claim))
            ind_a(int(mi))
            rat_a(rationales(rat))
            eff_a(ordinal(eff))
            end_a(ordinal(end))
            source_a(sources(prefixes["src"] + src))
            layer_a(layer)
            idp_a(id_prefix)
            line_a(int(line))
            triples += 9 if end else 8
        return triples

    def top_layers(self, scope_of: Mapping[str, str], kind_of: Mapping[str, str]) -> dict[tuple[str, ...], int]:
        """The highest layer per override key, keyed like the generic loader's keys."""
        tops: dict[tuple[int, ...], int] = {}
        kinds = [kind_of.get(c, "") for c in self.classes.values]
        from_to = [scope_of.get(k) == "from-to" for k in kinds]
        for s, d, k, layer in zip(self.src, self.dst, self.kind, self.layer, strict=True):
            key = (s, k, d) if from_to[k] else (s, k)
            if tops.get(key, -1) < layer:
                tops[key] = layer
        nodes = self.nodes.values
        return {((nodes[k[0]], kinds[k[1]], nodes[k[2]]) if len(k) == 3 else (nodes[k[0]], kinds[k[1]])): v
                for k, v in tops.items()}

    def finish(self, scope_of: Mapping[str, str], kind_of: Mapping[str, str], symmetric_of: Mapping[str, bool],
               tops: Mapping[tuple[str, ...], int]) -> BulkEdges:
        """Drop rows a later layer overrides and sort the rest into a :class:`BulkEdges`.

        Args:
            scope_of: edge kind -> override scope (``from`` or ``from-to``).
            kind_of: class IRI -> edge kind.
            symmetric_of: edge kind -> whether it is symmetric.
            tops: the highest layer per override key over generic and bulk edges together.

        Raises:
            ValueError: a bulk row's class is not an n-ary relationship class of the vocabulary.
        """
        unknown = [c for c in self.classes.values if c not in kind_of]
        if unknown:
            raise ValueError(f"bulk rows of classes the vocabulary does not declare as relationships: {unknown}")
        kinds = sorted({kind_of[c] for c in self.classes.values})
        class_kind = [kinds.index(kind_of[c]) for c in self.classes.values]
        from_to = [scope_of.get(k) == "from-to" for k in kinds]
        nodes = self.nodes.values
        keep: Sequence[int]
        if max(tops.values(), default=0) <= min(self.layer, default=0):
            keep = range(len(self.src))  # no layer above the bulk rows: nothing to drop (the usual case)
        else:
            keep = []
            for row, (s, d, c, layer) in enumerate(zip(self.src, self.dst, self.kind, self.layer, strict=True)):
                k = class_kind[c]
                key = (nodes[s], kinds[k], nodes[d]) if from_to[k] else (nodes[s], kinds[k])
                if layer >= tops.get(key, 0):
                    keep.append(row)
        # Store the kind index (not the class index) in the kind column from here on.
        remap = array("B", (class_kind[c] for c in self.kind))
        self.kind[:] = remap
        return BulkEdges(self, keep, kinds, [bool(symmetric_of.get(k)) for k in kinds])
