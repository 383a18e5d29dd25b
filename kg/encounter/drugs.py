"""Step 2 of the encounter coder, in part: which substance category an administration belongs to.

The record may give a category, the drug's HCPCS code, or both. A drug code's category comes
from the graph (:func:`kg.drugs.drug_category`); when the record's category disagrees with it
(and is not a broader category of it), the drug code's is used and a finding says so. A drug
code the graph cannot place leaves the record's category, or, without one, the administration
uncoded with a ``NO_DATA`` finding.

>>> from kg.graph import KnowledgeGraph
>>> from kg.encounter.context import CodingContext
>>> from kg.encounter.model import Administration, Encounter
>>> a = Administration("a", "leuprolide", "CHEMOTHERAPY", "INJECTION", "09:00", "09:01", hcpcs="J9217")
>>> ctx = CodingContext.of(KnowledgeGraph.default(), Encounter("PHYSICIAN", None, [a]))
>>> category_of(ctx, a), ctx.findings
(('HORMONAL_ANTINEOPLASTIC', ()), [])
"""

from __future__ import annotations

from collections.abc import Sequence

from kg.drugs import Dispute, drug_category
from kg.encounter.context import INITIAL, CodingContext, join_and
from kg.encounter.model import Administration
from kg.encounter.rules import AdministrationKind

__all__ = ["category_of", "contested_category"]


def category_of(ctx: CodingContext, adm: Administration) -> tuple[str | None, tuple[Dispute, ...]]:
    """The category name of an administration, or ``None`` (with a finding) when there is none.

    Args:
        ctx: the coding context; findings go into it.
        adm: the administration.

    Returns:
        A category enum name as the encounter rules know it, and the other categories sources
        give the drug (see :func:`contested_category`).
    """
    given = adm.category.value if adm.category is not None else None
    if adm.hcpcs is None:
        return given, ()
    about = f"administration {adm.id!r} ({adm.substance.strip()})"
    drug = drug_category(ctx.kg, adm.hcpcs, ctx.as_of)
    if drug is None or drug.substance_category is None:
        if given is None:
            ctx.find("NO_DATA", f"{about}: the graph does not know the category of drug code {adm.hcpcs.strip()} "
                                "and the record gives none")
            return None, ()
        ctx.find("NO_DATA", f"{about}: the graph does not know the category of drug code {adm.hcpcs.strip()}; "
                            f"the record's category {given} was used")
        return given, ()
    found = drug.substance_category
    if given is not None and not ctx.rules.within(found, given):
        where = "its own entry" if drug.flagged else "its HCPCS section"
        ctx.find("DRUG_CATEGORY_MISMATCH", f"{about}: the record says {given}, but drug code {adm.hcpcs.strip()} is a "
                                           f"{drug.label} ({where}), coded as {found}",
                 sources=[s.iri for s in drug.sources])
    return found, drug.disputes


def contested_category(ctx: CodingContext, adm: Administration, kind: AdministrationKind, mode: str,
                       disputes: Sequence[Dispute]) -> None:
    """A finding naming both codes where sources give the drug another category.

    Args:
        ctx: the coding context; the finding goes into it.
        adm: the administration (its drug code is disputed).
        kind: the administration kind it is coded as.
        mode: its delivery mode IRI.
        disputes: the other categories, with their sources.
    """
    own = ctx.rules.code_rule(kind, INITIAL, ctx.perspective)
    for dispute in disputes:
        other = dispute.category.substance_category
        other_kind = ctx.rules.kind_for(other, mode) if other else None
        other_rule = ctx.rules.code_rule(other_kind, INITIAL, ctx.perspective) if other_kind else None
        if own is None or other_rule is None or other_rule.code == own.code:
            continue
        ctx.find("DRUG_CATEGORY_CONTESTED",
                 f"administration {adm.id!r} ({adm.substance.strip()}), drug code {(adm.hcpcs or '').strip()}: "
                 f"coded as a {kind.label} ({own.code}); {join_and([s.title for s in dispute.sources])} "
                 f"would make it a {dispute.category.label} ({other_rule.code}): {dispute.note}",
                 codes=[own.code or "", other_rule.code or ""], sources=[s.iri for s in dispute.sources])
