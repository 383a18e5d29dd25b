"""Step 7 of the encounter coder: distinct services that a PTP edit pairs are marked as distinct.

When two lines the coder produced from different administrations are a PTP pair (the first
code bundled into the second) whose modifier indicator allows a bypass, the services were
distinct by construction (different drugs, different administrations), so the column-2 line
carries the distinct-service modifier and a finding asks the record to show it. A pair whose
indicator allows no bypass is left alone: the claim checker reports it.

>>> from kg.graph import KnowledgeGraph
>>> from kg.encounter.model import Administration, Encounter
>>> from kg.encounter.coder import code_encounter
>>> coding = code_encounter(KnowledgeGraph.default(), Encounter("PHYSICIAN", None, [
...     Administration("ox", "oxaliplatin", "CHEMOTHERAPY", "IV_INFUSION", "09:00", "10:00"),
...     Administration("p", "fluorouracil", "CHEMOTHERAPY", "IV_INFUSION", "2026-01-05T10:05",
...                    "2026-01-07T08:05", pump="PRACTICE_SUPPLIED")]))
>>> [(line.code, line.modifiers) for line in coding.lines]
[('96413', ('XU',)), ('G0498', ())]
"""

from __future__ import annotations

from kg.encounter.addons import Ledger
from kg.encounter.context import SEPARATE_SITE, CodingContext, join_and
from kg.model import RelationKind

__all__ = ["mark_distinct_services"]


def mark_distinct_services(ctx: CodingContext, ledger: Ledger) -> list[tuple[int, str, str, tuple[str, ...]]]:
    """Append the distinct-service modifier where a bypassable PTP edit pairs two coded lines.

    Args:
        ctx: the coding context.
        ledger: the coded drafts, changed in place.

    Returns:
        Per marked line: its index in the drafts, the detail for the finding and the edge's sources.
    """
    modifier = ctx.modifier(SEPARATE_SITE)
    if modifier is None:
        return []
    marked: list[tuple[int, str, str, tuple[str, ...]]] = []
    for n, column2 in enumerate(ledger.drafts):
        if modifier in column2.modifiers or ctx.kg.code_iri(column2.code) is None:
            continue
        for column1 in ledger.drafts:
            if column1 is column2 or set(column1.ids) & set(column2.ids):
                continue
            edges = [r for r in ctx.kg.relationships(column2.code, [RelationKind.BUNDLED_INTO], ctx.as_of)
                     if r.from_code.code == column2.code and r.to_code.code == column1.code
                     and r.modifier_indicator == 1]
            if not edges:
                continue
            column2.modifiers.append(modifier)
            column2.rationale.append(f"a different administration from {column1.code} "
                                     f"({join_and(column1.ids)}), which a PTP edit pairs it with: marked {modifier}")
            detail = (f"{column2.code}-{modifier} beside {column1.code}: administrations {join_and(column2.ids)} "
                      f"and {join_and(column1.ids)}")
            marked.append((n, detail, column2.code, tuple(s.iri for r in edges for s in r.sources)))
            break
    return marked
