"""Step 8 of the encounter coder: number the lines and write the findings that belong to them.

Findings here: the MUE cuts, implausible units without an MUE, the separate-site and discontinued modifiers the record must
justify, and the documentation the graph asks for per code.
"""

from __future__ import annotations

from collections.abc import Sequence

from kg.encounter.addons import Ledger
from kg.encounter.context import DISCONTINUED, SEPARATE_SITE, CodingContext, join_and, unique
from kg.encounter.limits import MueCut
from kg.encounter.model import CodedLine

__all__ = ["finish_lines"]


def finish_lines(ctx: CodingContext, ledger: Ledger, cuts: Sequence[MueCut],
                 implausible: Sequence[MueCut] = ()) -> list[CodedLine]:
    """The coded lines of ``ledger``, in order, with the findings about them added to ``ctx``."""
    lines = [CodedLine(code=d.code, units=d.units, modifiers=tuple(unique(d.modifiers)),
                       administrations=tuple(unique(d.ids)), rationale="; ".join(d.rationale),
                       rule=d.rule.iri, sources=d.sources) for d in ledger.drafts]
    for cut in cuts:
        at = next((n for n, d in enumerate(ledger.drafts, start=1) if d is cut.kept), None)
        ctx.find("MUE_EXCEEDED", cut.detail, codes=[cut.code], line=at, sources=cut.sources)
    for note in implausible:
        at = next((n for n, d in enumerate(ledger.drafts, start=1) if d is note.kept), None)
        ctx.find("UNITS_IMPLAUSIBLE", note.detail, codes=[note.code], line=at)
    for number, line in enumerate(lines, start=1):
        for role, rule_id in ((SEPARATE_SITE, "SEPARATE_SITE"), (DISCONTINUED, "DISCONTINUED")):
            modifier = ctx.modifier(role)
            if modifier and modifier in line.modifiers:
                ctx.find(rule_id, f"{line.code}-{modifier} for administrations {join_and(line.administrations)}",
                         codes=[line.code], line=number, sources=ctx.rules.modifier_rules[role].sources)
    for code in unique(line.code for line in lines):
        guidance = ctx.kg.guidance(code, "documentation")
        if guidance:
            ctx.find("DOCUMENTATION", f"{code}: {' '.join(g.text for g in guidance)}", codes=[code],
                     sources=[s.iri for g in guidance for s in g.sources])
    return lines
