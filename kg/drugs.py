"""What a drug code is, for coding its administration: its category, from the graph.

A drug code's category is its own curated flag (a ``ck:DrugCategoryFlag`` naming the code,
with its source) when it has one, else the category of the narrowest HCPCS Level II section (``ck:HcpcsRange``) holding
its notation. Sections are compared as text within one letter, as HCPCS numbers them.

>>> from kg.graph import KnowledgeGraph
>>> kg = KnowledgeGraph.default()
>>> drug_category(kg, "J9045").label, drug_category(kg, "J9217").label
('antineoplastic drug', 'hormonal antineoplastic drug')
>>> drug_category(kg, "J1100").substance_category
'THERAPEUTIC'
>>> drug_category(kg, "96365") is None
True
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, replace
from datetime import date

from kg.graph import KnowledgeGraph
from kg.model import Source, is_active
from kg.vocab import CK

__all__ = ["Dispute", "DrugCategory", "clear_memo", "drug_category"]


@dataclass(frozen=True, slots=True)
class DrugCategory:
    """A drug category: its IRI and label, the encounter category it maps to, and the
    administration codes that suit it on a claim (IRIs), with the sources behind the link.

    ``disputes`` holds the categories other sources give the same drug code
    (``ck:DrugCategoryDispute``), each with its note and sources.
    """

    iri: str
    label: str
    substance_category: str | None
    administered_with: frozenset[str]
    sources: tuple[Source, ...]
    flagged: bool
    disputes: tuple[Dispute, ...] = ()


@dataclass(frozen=True, slots=True)
class Dispute:
    """Another source's category for a drug code."""

    category: DrugCategory
    note: str
    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class _Range:
    start: str
    end: str
    category: str
    sources: tuple[str, ...]
    attrs: dict[str, object]


_RANGES: weakref.WeakKeyDictionary[KnowledgeGraph, list[_Range]] = weakref.WeakKeyDictionary()
_FLAGS: weakref.WeakKeyDictionary[KnowledgeGraph, dict[str, tuple[str, tuple[str, ...], list[str]]]] = (
    weakref.WeakKeyDictionary())
_MEMO: weakref.WeakKeyDictionary[KnowledgeGraph, dict[tuple[str, date], DrugCategory | None]] = (
    weakref.WeakKeyDictionary())


def _ranges(kg: KnowledgeGraph) -> list[_Range]:
    ranges = _RANGES.get(kg)
    if ranges is None:
        ranges = []
        for iri in kg.nodes_of_type(CK.HcpcsRange):
            attrs = kg.node(iri)
            category = kg.target(iri, "drugCategory")
            start, end = attrs.get("rangeStart"), attrs.get("rangeEnd")
            if category and start and end:
                ranges.append(_Range(str(start).upper(), str(end).upper(), category,
                                     tuple(attrs.get("sources", ())), attrs))
        _RANGES[kg] = ranges
    return ranges


def _in_range(notation: str, r: _Range) -> bool:
    return len(notation) == len(r.start) and notation[0] == r.start[0] and r.start <= notation <= r.end


def _width(r: _Range) -> int:
    try:
        return int(r.end[1:]) - int(r.start[1:])
    except ValueError:
        return 0


def drug_category(kg: KnowledgeGraph, code: str, as_of: date | None = None) -> DrugCategory | None:
    """The category of a drug code, or ``None`` when neither a flag nor a section gives one.

    Args:
        kg: the knowledge graph.
        code: a HCPCS notation (case-insensitive).
        as_of: the date the code must be valid on (``None``: today).

    Returns:
        The category, with ``flagged`` telling a curated per-code flag from a section's.
    """
    notation = code.strip().upper()
    day = as_of or date.today()
    memo = _MEMO.setdefault(kg, {})
    key = (notation, day)
    if key not in memo:
        if len(memo) > 65536:  # bounded: codes and dates are unbounded input
            memo.clear()
        memo[key] = _lookup(kg, notation, day)
    return memo[key]


def clear_memo(kg: KnowledgeGraph) -> None:
    """Forget the memoised categories of a graph (benchmarks measure cold lookups with it); the
    section table, read once per graph like the compiled rules, stays."""
    _MEMO.pop(kg, None)


def _flags(kg: KnowledgeGraph) -> dict[str, tuple[str, tuple[str, ...], list[str]]]:
    """Code IRI -> (flagged category, the flag's sources, disputing nodes), read once per graph."""
    flags = _FLAGS.get(kg)
    if flags is None:
        flags = {}
        for flag in kg.nodes_of_type(CK.DrugCategoryFlag):
            code, category = kg.target(flag, "code"), kg.target(flag, "drugCategory")
            if code and category:
                flags[code] = (category, kg.source_iris(flag), [])
        for dispute in kg.nodes_of_type(CK.DrugCategoryDispute):
            code = kg.target(dispute, "code")
            if code in flags:
                flags[code][2].append(dispute)
        _FLAGS[kg] = flags
    return flags


def _lookup(kg: KnowledgeGraph, notation: str, as_of: date) -> DrugCategory | None:
    iri = kg.code_iri(notation)
    if iri is not None and kg.code(notation, as_of) is None:
        return None  # a known code that is not valid on the date has no category then
    flag = _flags(kg).get(iri) if iri else None
    if flag is not None:
        category, sources, disputes = flag
        return replace(_category(kg, category, True, sources), disputes=tuple(
            Dispute(_category(kg, other, False), kg.text(d, "note", ""),
                    kg.sources_of(kg.source_iris(d)))
            for d in disputes for other in kg.targets(d, "drugCategory")))
    matching = [r for r in _ranges(kg) if _in_range(notation, r) and is_active(r.attrs, as_of)]
    if not matching:
        return None
    narrowest = min(matching, key=_width)
    return _category(kg, narrowest.category, False, narrowest.sources)


def _category(kg: KnowledgeGraph, iri: str, flagged: bool, placed_by: tuple[str, ...] = ()) -> DrugCategory:
    """The category node as a :class:`DrugCategory`; its sources are the flag's or section's
    that placed the code in it, then the category's own."""
    attrs = kg.node(iri)
    substance = kg.target(iri, "substanceCategory")
    return DrugCategory(
        iri=iri, label=str(attrs.get("prefLabel", "")),
        substance_category=None if substance is None else kg.text(substance, "enumName"),
        administered_with=frozenset(m for s in kg.targets(iri, "administeredWith") for m in kg.targets(s, "member")),
        sources=kg.sources_of(dict.fromkeys([*placed_by, *attrs.get("sources", ())])), flagged=flagged,
    )
