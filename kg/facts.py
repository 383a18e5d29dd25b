"""Facts about codes: sources, MUEs, payment statuses, guidance, modifiers and payers.

Modifier rules live in :mod:`kg.modifier_rules`.

Functions here take the :class:`kg.graph.KnowledgeGraph` they read; the facade's methods call them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from kg.adjacency import predecessors
from kg.lookup import code_object
from kg.model import Edge, Guidance, Modifier, Mue, Payer, PaymentStatus, Source
from kg.vocab import CK, local_name

if TYPE_CHECKING:
    from kg.graph import KnowledgeGraph

__all__ = ["code_sources", "guidance", "modifier", "modifier_object", "modifiers", "mue", "payers",
           "payment_status", "payment_statuses", "source", "sources_of"]

#: Distinct lists of source IRIs kept by :func:`sources_of` before it starts again.
_SOURCES_MEMO_SIZE = 4096


def source(kg: KnowledgeGraph, iri: str) -> Source:
    """The source node ``iri`` as a :class:`Source`; see :meth:`KnowledgeGraph.source`."""
    cached = kg._source_cache.get(iri)
    if cached is not None:
        return cached
    attrs = kg.node(iri)
    confidence = kg.target(iri, "confidence")
    conf_attrs = kg.node(confidence) if confidence else {}
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
    kg._source_cache[iri] = src
    return src


def sources_of(kg: KnowledgeGraph, iris: Iterable[str]) -> tuple[Source, ...]:
    """Sources for a list of source IRIs, strongest confidence first; see :meth:`KnowledgeGraph.sources_of`.

    Kept per list of IRIs (bounded): thousands of imported facts cite the same one or two files.
    """
    key = iris if type(iris) is tuple else tuple(iris)
    memo = kg._sources_memo
    found = memo.get(key)
    if found is None:
        if len(memo) >= _SOURCES_MEMO_SIZE:
            memo.clear()
        found = memo[key] = tuple(sorted((kg.source(i) for i in key), key=lambda s: (-s.confidence_rank, s.title)))
    return found


def mue(kg: KnowledgeGraph, code: str, claim_type: str = "PROFESSIONAL", as_of: date | None = None) -> Mue | None:
    """The MUE of a code for a claim type (``PROFESSIONAL``, ``FACILITY_OUTPATIENT``, ...); see :meth:`KnowledgeGraph.mue`."""
    iri = kg.require_code_iri(code)
    best: Edge | None = None
    for edge in kg.edges(iri, "MUE", "out", as_of):
        if kg.text(edge.target, "enumName") != claim_type:
            continue
        if best is None or (edge.attrs.get("effective") or date.min) > (best.attrs.get("effective") or date.min):
            best = edge
    if best is None:
        return None
    a = best.attrs
    adjudication = kg.node(a["adjudication"]) if a.get("adjudication") else {}
    return Mue(
        code=code_object(kg, iri).code,
        claim_type=claim_type,
        max_units=int(a["maxUnits"]),
        adjudication=adjudication.get("enumName"),
        per_date_of_service=bool(adjudication.get("perDateOfService", True)),
        rationale=a.get("rationale"),
        note=a.get("note"),
        effective=a.get("effective"),
        end=a.get("end"),
        sources=kg.sources_of(a.get("sources", ())),
        iri=a.get("id"),
    )


def payment_statuses(kg: KnowledgeGraph, code: str, as_of: date | None = None) -> list[PaymentStatus]:
    """The current status of a code in each payment system (latest effective one wins)."""
    iri = kg.require_code_iri(code)
    latest: dict[str, Edge] = {}
    for edge in kg.edges(iri, kg.text(CK.PaymentStatus, "edgeKind", ""), "out", as_of):
        held = latest.get(edge.target)
        if held is None or (edge.attrs.get("effective") or date.min) >= (held.attrs.get("effective") or date.min):
            latest[edge.target] = edge
    statuses = [payment_status(kg, iri, e) for e in latest.values()]
    return sorted(statuses, key=lambda p: p.payment_system)


def payment_status(kg: KnowledgeGraph, iri: str, edge: Edge) -> PaymentStatus:
    a = edge.attrs
    value = kg.node(a.get("status", ""))
    packaged_with = tuple(kg.text(t, "notation", "") for t in kg.targets(a.get("status", ""), "packagedWithStatus"))
    indicators: dict[str, str] = {k: str(a[k]) for k in ("globalDays", "multipleProcedure", "bilateralSurgery", "pctc") if k in a}
    return PaymentStatus(
        code=code_object(kg, iri).code,
        payment_system=kg.text(edge.target, "notation", local_name(edge.target)),
        status=str(value.get("notation", local_name(a.get("status", "")))),
        meaning=str(value.get("prefLabel", "")),
        payable=str(value.get("payable", "conditional")),
        packaging=str(value.get("packaging", "none")),
        packaged_with=packaged_with,
        indicators=indicators,
        payment_rate=a.get("paymentRate"),
        effective=a.get("effective"),
        end=a.get("end"),
        sources=kg.sources_of(a.get("sources", ())),
        iri=a.get("id"),
    )


def guidance(kg: KnowledgeGraph, code: str, kind: str | None = None) -> list[Guidance]:
    """Documentation requirements, denial risks and audit red flags for a code; see :meth:`KnowledgeGraph.guidance`."""
    iri = kg.require_code_iri(code)
    found = []
    for source, keyed in predecessors(kg.graph, iri).items():
        attrs = kg.node(source)
        if "code" in keyed and CK.Guidance in attrs.get("types", ()) and kind in (None, attrs.get("guidanceKind")):
            found.append((-int(attrs.get("rank", 0)), Guidance(
                kind=str(attrs.get("guidanceKind")), text=str(attrs.get("text", "")),
                sources=kg.sources_of(attrs.get("sources", ())))))
    return [g for _, g in sorted(found, key=lambda x: (x[0], x[1].text))]


def code_sources(kg: KnowledgeGraph, code: str, as_of: date | None = None) -> tuple[Source, ...]:
    """Every source behind a code's facts: the code itself, its relationships and statuses."""
    iri = kg.require_code_iri(code)
    iris = set(kg.source_iris(iri))
    for edge in kg.edges(iri, None, "both", as_of):
        iris.update(edge.attrs.get("sources", ()))
    return kg.sources_of(iris)


def modifier(kg: KnowledgeGraph, code: str) -> Modifier | None:
    """A modifier by its two-character code; see :meth:`KnowledgeGraph.modifier`."""
    wanted = code.strip().upper()
    for iri in kg._of_type.get(CK.Modifier, ()):
        if kg.text(iri, "notation", "").upper() == wanted:
            return modifier_object(kg, iri)
    return None


def modifier_object(kg: KnowledgeGraph, iri: str) -> Modifier:
    a = kg.node(iri)
    return Modifier(code=str(a.get("notation")), title=str(a.get("prefLabel", "")),
                    bypasses_ptp=bool(a.get("bypassesPtp", False)),
                    marks_separate_site=bool(a.get("marksSeparateSite", False)),
                    sources=kg.sources_of(a.get("sources", ())), iri=iri)


def modifiers(kg: KnowledgeGraph) -> list[Modifier]:
    """Every modifier, sorted by code; see :meth:`KnowledgeGraph.modifiers`."""
    return sorted((modifier_object(kg, i) for i in kg._of_type.get(CK.Modifier, ())), key=lambda m: m.code)


def payers(kg: KnowledgeGraph) -> list[Payer]:
    """Every payer, sorted by id; see :meth:`KnowledgeGraph.payers`."""
    found = []
    for iri in kg._of_type.get(CK.Payer, ()):
        a = kg.node(iri)
        baseline = kg.target(iri, "baseline")
        found.append(Payer(id=str(a.get("notation")), name=str(a.get("prefLabel", "")),
                           description=a.get("description"),
                           baseline=kg.text(baseline, "notation", "") if baseline else None,
                           sources=kg.sources_of(a.get("sources", ())), iri=iri))
    return sorted(found, key=lambda p: p.id)
