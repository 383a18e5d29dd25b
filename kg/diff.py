"""What changed between two imported releases: added, removed and changed facts.

A *fact* is a relationship or limit between two nodes (an n-ary edge: PTP edit, add-on edit,
MUE, payment status ...) or a code's own imported facts (title, contractor-defined primaries).
Its identity is its kind and ends, plus its effective date for kinds whose override scope is
``from`` (edit rows such as PTP and add-on edits can be retired and re-added with a new
effective date). Kinds with scope ``from-to`` (MUE, payment status) hold one value per pair and
are restated every quarter, so their effective date is not compared: a fact is *changed* when
any other attribute differs (an MUE value, a status, a deletion date).

Each release is read on its own over the vocabulary (no curated data), so a diff shows what
CMS's files say, not what the curated layer adds. Bulk PTP rows are compared as packed
integers so two full quarters (about 5 M rows each) fit in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from kg.bulk import BulkEdges
from kg.code_systems import scheme_of
from kg.load import LoadResult
from kg.snapshot import cached_load
from kg.vocab import CK, code_iri, local_name

__all__ = ["FactChange", "ReleaseDiff", "release_diff"]

_IGNORED = frozenset({"id", "sources", "layer", "kind", "symmetric"})
_DATE_BITS = 20  # proleptic ordinals of dates up to the year 2870 fit in 20 bits
_VALUE_BITS = 40


@dataclass(frozen=True, slots=True)
class FactChange:
    """One fact that differs: ``before`` is ``None`` when added, ``after`` when removed."""

    kind: str
    from_code: str
    to: str
    effective: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        """The change as JSON-ready data.

        >>> FactChange("MUE", "96368", "professional", None, {"maxUnits": 1}, {"maxUnits": 2}).to_json()["after"]
        {'maxUnits': 2}
        """
        return {"kind": self.kind, "from": self.from_code, "to": self.to, "effective": self.effective,
                "before": self.before, "after": self.after}


@dataclass(frozen=True, slots=True)
class ReleaseDiff:
    """The differences between two releases, optionally limited to facts touching one code."""

    from_release: str
    to_release: str
    code: str | None
    added: tuple[FactChange, ...] = field(default_factory=tuple)
    removed: tuple[FactChange, ...] = field(default_factory=tuple)
    changed: tuple[FactChange, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        """The diff as JSON-ready data (counts first)."""
        return {
            "from": self.from_release, "to": self.to_release, "code": self.code,
            "counts": {"added": len(self.added), "removed": len(self.removed), "changed": len(self.changed)},
            "added": [c.to_json() for c in self.added], "removed": [c.to_json() for c in self.removed],
            "changed": [c.to_json() for c in self.changed],
        }


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and "://" in value:
        return local_name(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _load(directory: Path) -> LoadResult:
    """A release over the vocabulary alone, through the snapshot cache (full quarters parse slowly)."""
    from kg.verify import verify_release
    from ontology import VOCABULARY_FILE

    release = verify_release(Path(directory))  # a damaged release is an error, not a smaller diff
    files = release.rdf_files()
    if not files:
        raise FileNotFoundError(f"{directory}: no RDF release files")
    result = cached_load([[VOCABULARY_FILE], files], digests=release.digests())
    release.check_unchanged()
    return result


Key = tuple[str, str, str, str | None]


def _generic_facts(result: LoadResult, code: str | None) -> dict[Key, dict[str, Any]]:
    """Facts held in the networkx graph (everything but bulk rows), keyed by identity."""
    scope = {c.kind: c.override_scope for c in result.edge_classes.values()}
    graph = result.graph
    facts: dict[Key, dict[str, Any]] = {}
    for source, target, attrs in graph.edges(data=True):
        if attrs.get("layer", 0) < 1 or "id" not in attrs:
            continue
        if code is not None and code not in (source, target):
            continue
        kind = attrs["kind"]
        dated = scope.get(kind, "from") != "from-to"
        effective = _plain(attrs.get("effective")) if dated else None
        values = {k: _plain(v) for k, v in attrs.items() if k not in _IGNORED and (dated or k != "effective")}
        facts[kind, local_name(source), local_name(target), effective] = values
    for node, attrs in graph.nodes(data=True):
        if attrs.get("layer", 0) < 1 or (CK.Code not in attrs.get("types", ()) and "contractorDefinedPrimaries" not in attrs):
            continue
        if code is not None and node != code:
            continue
        values = {k: _plain(attrs[k]) for k in ("prefLabel", "contractorDefinedPrimaries") if k in attrs}
        facts["CODE", local_name(node), "", None] = values
    return facts


class _Packer:
    """Packs bulk rows of two releases into sortable integers over shared string tables."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, int]] = {"node": {}, "kind": {}, "claim": {}, "rationale": {}}
        self.values: dict[str, list[str]] = {k: [] for k in self.tables}

    def index(self, table: str, value: str) -> int:
        found = self.tables[table].get(value)
        if found is None:
            found = self.tables[table][value] = len(self.values[table])
            self.values[table].append(value)
        return found

    def rows(self, bulk: BulkEdges, rows: Iterator[int]) -> list[int]:
        node = [self.index("node", n) for n in bulk.nodes]
        kind = [self.index("kind", k) for k in bulk.kinds]
        claim = [self.index("claim", c) for c in bulk.claims]
        rationale = [self.index("rationale", r) for r in bulk.rationales]
        packed = []
        for r in rows:
            key = (((kind[bulk.kind[r]] << 8 | claim[bulk.claim[r]]) << 24 | node[bulk.src[r]]) << 24
                   | node[bulk.dst[r]]) << _DATE_BITS | bulk.effective[r]
            value = (bulk.indicator[r] << 16 | rationale[bulk.rationale[r]]) << _DATE_BITS | bulk.end[r]
            packed.append(key << _VALUE_BITS | value)
        packed.sort()
        return packed

    def change(self, key: int, before: int | None, after: int | None) -> FactChange:
        effective = key & ((1 << _DATE_BITS) - 1)
        key >>= _DATE_BITS
        target, key = key & 0xFFFFFF, key >> 24
        source, key = key & 0xFFFFFF, key >> 24
        claim, kind = key & 0xFF, key >> 8

        def values(packed: int | None) -> dict[str, Any] | None:
            if packed is None:
                return None
            end = packed & ((1 << _DATE_BITS) - 1)
            rationale = (packed >> _DATE_BITS) & 0xFFFF
            return {"claimType": local_name(self.values["claim"][claim]), "modifierIndicator": packed >> (_DATE_BITS + 16),
                    "rationale": self.values["rationale"][rationale], "effective": date.fromordinal(effective).isoformat(),
                    "end": date.fromordinal(end).isoformat() if end else None}

        return FactChange(self.values["kind"][kind], local_name(self.values["node"][source]),
                          local_name(self.values["node"][target]), date.fromordinal(effective).isoformat(),
                          values(before), values(after))


def _bulk_rows(bulk: BulkEdges, code: str | None) -> Iterator[int]:
    if code is None:
        return bulk.rows()
    node = bulk.node_index.get(code)
    if node is None:
        return iter(())
    out = range(bulk.src_offsets[node], bulk.src_offsets[node + 1])
    into = (r for r in bulk.dst_rows[bulk.dst_offsets[node]:bulk.dst_offsets[node + 1]] if bulk.src[r] != node)
    return iter([*out, *into])


def _merge(old: list[int], new: list[int], packer: _Packer, out: dict[str, list[FactChange]]) -> None:
    """Walk two sorted packed lists together (a merge join on the key bits)."""
    i = j = 0
    while i < len(old) or j < len(new):
        a = old[i] >> _VALUE_BITS if i < len(old) else None
        b = new[j] >> _VALUE_BITS if j < len(new) else None
        if b is None or (a is not None and a < b):
            assert a is not None  # the loop runs while either side has entries left
            out["removed"].append(packer.change(a, old[i] & ((1 << _VALUE_BITS) - 1), None))
            i += 1
        elif a is None or b < a:
            out["added"].append(packer.change(b, None, new[j] & ((1 << _VALUE_BITS) - 1)))
            j += 1
        else:
            va, vb = old[i] & ((1 << _VALUE_BITS) - 1), new[j] & ((1 << _VALUE_BITS) - 1)
            if va != vb:
                out["changed"].append(packer.change(a, va, vb))
            i += 1
            j += 1


def _code_iri(code: str) -> str | None:
    notation = code.strip().upper()
    scheme = scheme_of(notation)
    return code_iri(scheme, notation) if scheme else None


def release_diff(from_dir: Path, to_dir: Path, code: str | None = None) -> ReleaseDiff:
    """Compare two release directories written by ``codingkg import``.

    Args:
        from_dir: the older release.
        to_dir: the newer release.
        code: limit the diff to facts touching this code (a notation such as ``96368``).

    Returns:
        Added, removed and changed facts, each sorted by kind and codes.

    Raises:
        FileNotFoundError: a directory holds no RDF files.
        kg.load.GraphLoadError: a release file does not parse.
    """
    old, new = _load(from_dir), _load(to_dir)
    iri = _code_iri(code) if code else None
    out: dict[str, list[FactChange]] = {"added": [], "removed": [], "changed": []}
    if code is None or iri:
        a, b = _generic_facts(old, iri), _generic_facts(new, iri)
        for key in a.keys() - b.keys():
            out["removed"].append(FactChange(*key, before=a[key], after=None))
        for key in b.keys() - a.keys():
            out["added"].append(FactChange(*key, before=None, after=b[key]))
        for key in a.keys() & b.keys():
            if a[key] != b[key]:
                out["changed"].append(FactChange(*key, before=a[key], after=b[key]))
        packer = _Packer()
        old_rows = packer.rows(old.bulk, _bulk_rows(old.bulk, iri)) if old.bulk is not None else []
        new_rows = packer.rows(new.bulk, _bulk_rows(new.bulk, iri)) if new.bulk is not None else []
        _merge(old_rows, new_rows, packer, out)

    def order(c: FactChange) -> tuple[str, str, str, str]:
        return (c.kind, c.from_code, c.to, c.effective or "")

    return ReleaseDiff(
        from_release=Path(from_dir).name, to_release=Path(to_dir).name, code=code,
        added=tuple(sorted(out["added"], key=order)), removed=tuple(sorted(out["removed"], key=order)),
        changed=tuple(sorted(out["changed"], key=order)),
    )
