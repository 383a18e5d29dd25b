"""Step 6 of the encounter coder: no line leaves with more units than the claim's MUE allows.

Units above an MUE are denied, so they are not reported; the finding keeps what was cut for
an appeal. Per-line MUEs cut each line; per-date MUEs keep the earliest lines (the
encounter's initial access comes first). Where no MUE is on file, a line with more units than
its rule's plausible bound (``ck:plausibleUnits``) is reported as a finding, not cut.
"""

from __future__ import annotations

from dataclasses import dataclass

from kg.encounter.addons import Draft, Ledger
from kg.encounter.context import CodingContext, join_and, unique

__all__ = ["MueCut", "cap_to_mue", "implausible_units"]


@dataclass(frozen=True, slots=True)
class MueCut:
    """One limit exceeded: the code, what was cut, the line kept (when a single one) and the MUE's sources."""

    code: str
    detail: str
    kept: Draft | None
    sources: tuple[str, ...]


def cap_to_mue(ctx: CodingContext, ledger: Ledger) -> list[MueCut]:
    """Cut the units of each code in ``ledger`` to the MUE of the claim type this perspective files.

    Args:
        ctx: the coding context.
        ledger: the coded drafts; cut in place, lines cut to zero removed.

    Returns:
        One :class:`MueCut` per limit exceeded, for the findings written once the lines are numbered.
    """
    claim_type = ctx.rules.claim_types.get(ctx.perspective)
    if claim_type is None:
        return []
    cuts: list[MueCut] = []
    for code in unique(d.code for d in ledger.drafts):
        mue = ctx.kg.mue(code, claim_type, ctx.as_of)
        if mue is None:
            continue
        drafts = [d for d in ledger.drafts if d.code == code]
        for group in [drafts] if mue.per_date_of_service else [[d] for d in drafts]:
            coded = sum(d.units for d in group)
            if coded <= mue.max_units:
                continue
            room, cut = mue.max_units, []
            for draft in group:
                keep = min(draft.units, room)
                room -= keep
                if keep < draft.units:
                    cut.append(draft)
                    draft.rationale.append(f"{draft.units - keep} units above the MUE of {mue.max_units} not reported")
                draft.units = keep
            dropped = [d for d in cut if d.units == 0]
            ledger.drafts = [d for d in ledger.drafts if d.units > 0]
            where = "per date of service" if mue.per_date_of_service else "per line"
            detail = (f"{code}: {coded} units against a limit of {mue.max_units} {where} "
                      f"({claim_type.lower().replace('_', ' ')} claim): {mue.max_units} reported")
            if dropped:
                detail += f"; not reported for administrations {join_and([i for d in dropped for i in d.ids])}"
            kept = next((d for d in group if d.units > 0), None) if len(group) == 1 else None
            cuts.append(MueCut(code, detail, kept, tuple(s.iri for s in mue.sources)))
    return cuts


def implausible_units(ctx: CodingContext, ledger: Ledger) -> list[MueCut]:
    """Lines without an MUE on file whose units pass their rule's plausible bound.

    Returns:
        One :class:`MueCut` (nothing cut) per such line, for the findings.
    """
    claim_type = ctx.rules.claim_types.get(ctx.perspective)
    found: list[MueCut] = []
    for draft in ledger.drafts:
        bound = draft.rule.plausible_units
        if bound is None or draft.units <= bound:
            continue
        if claim_type is not None and ctx.kg.mue(draft.code, claim_type, ctx.as_of) is not None:
            continue
        where = claim_type.lower().replace("_", " ") if claim_type else "this"
        found.append(MueCut(draft.code, f"{draft.code}: {draft.units} units for administrations "
                                        f"{join_and(draft.ids)}, more than {bound}, with no MUE on file for a "
                                        f"{where} claim", draft, ()))
    return found
