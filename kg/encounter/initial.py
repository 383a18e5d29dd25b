"""Step 4 of the encounter coder: order the accesses and pick each one's initial service.

The encounter's initial access is a line access when there is one (an injection is a separate
site beside it), the one holding the physician's flagged primary reason or else the
highest-ranked service; every other access gets a second initial code with the separate-site
modifier. Per access the initial service is the highest rank (facility, and physician without
a flag) or the administration flagged as the primary reason (physician), unless the flagged
service's code is no valid primary for the add-on codes the other services on the access then
take (the graph's add-on edges decide): then the hierarchy does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from kg.encounter.addons import Ledger, code_site, code_standalone, drop_orphans, orphans
from kg.encounter.context import CodingContext, join_and, unique
from kg.encounter.services import Access, Service
from kg.encounter.timing import intervals_overlap

__all__ = ["check_flags", "choose_initial", "code_accesses", "order_accesses"]


def code_accesses(ctx: CodingContext, ledger: Ledger, services: Sequence[Service]) -> None:
    """Code every access, the encounter's initial access first, each from its own initial service;
    then the services that stand alone (``ck:standalone``: pump starts and refills)."""
    check_flags(ctx, [s for s in services if s.flagged] if ctx.physician else [])
    alone = [s for s in services if ctx.rules.is_standalone(s.mode)]
    services = [s for s in services if not ctx.rules.is_standalone(s.mode)]
    if services:
        for number, access in enumerate(order_accesses(ctx, services)):
            here = [s for s in services if s.access == access]
            start = len(ledger.drafts)
            code_site(ctx, ledger, here, choose_initial(ctx, ledger, here), separate_site=number > 0)
            drop_orphans(ctx, ledger, start)
    for service in alone:
        code_standalone(ctx, ledger, service)


def order_accesses(ctx: CodingContext, services: Sequence[Service]) -> list[Access]:
    """The accesses in coding order: the encounter's initial access first, the rest in record order."""
    accesses = unique(s.access for s in sorted(services, key=lambda s: s.index))

    def precedence(access: Access) -> tuple[bool, bool, tuple[int, datetime, int]]:
        here = [s for s in services if s.access == access]
        flagged = [s for s in here if ctx.physician and s.flagged]
        lead = min(flagged or here, key=Service.hierarchy_key)
        return not lead.on_line, not flagged, lead.hierarchy_key()

    first = min(accesses, key=precedence)
    return [first, *(a for a in accesses if a != first)]


def choose_initial(ctx: CodingContext, ledger: Ledger, here: Sequence[Service]) -> Service:
    """The initial service of one access.

    The hierarchy decides, except that the physician's flagged primary reason takes the
    initial code when every add-on code the other services then take lists its code as a
    primary (tried on a fork of the ledger and a scratch context, then thrown away).
    """
    ordered = sorted(here, key=Service.hierarchy_key)
    top = _longest_overlapping(ordered)
    flagged = [s for s in ordered if ctx.physician and s.flagged]
    if not flagged or flagged[0] is top:
        return top
    chosen = flagged[0]
    trial = ledger.fork()
    code_site(ctx.scratch(), trial, here, chosen, separate_site=False)
    lost = orphans(ctx, trial.drafts)
    if lost:
        unanchored = join_and([f"{d.code} ({join_and(d.ids)})" for d in lost])
        ctx.find("PRIMARY_REASON_NOT_INITIAL",
                 f"{chosen.subject} is flagged as the primary reason, but with its code "
                 f"as the initial service {unanchored} would have no valid primary; the {top.kind.label} of "
                 f"{top.substance} takes the initial code", codes=[d.code for d in lost],
                 path=[r for d in lost for r in ctx.kg.add_on_edges(d.code, ctx.as_of)])
        return top
    if chosen.kind.rank < top.kind.rank:
        ctx.find("PRIMARY_REASON_OVERRIDES_HIERARCHY",
                 f"{chosen.subject} is flagged as the primary reason; the facility "
                 f"hierarchy would start with the {top.kind.label} of {top.substance}")
    return chosen


def _longest_overlapping(ordered: Sequence[Service]) -> Service:
    """The top of the hierarchy, except that of infusions of the same rank that overlap it the
    longest is the initial service (the other runs beside it, or after it on its own)."""
    top = ordered[0]
    if not top.time_based or top.fluid:
        return top
    rivals = [s for s in ordered if s.time_based and not s.fluid and s.kind.rank == top.kind.rank
              and (s is top or intervals_overlap(s.intervals, top.intervals))]
    return max(rivals, key=lambda s: s.minutes) if max(s.minutes for s in rivals) > top.minutes else top


def check_flags(ctx: CodingContext, flagged: Sequence[Service]) -> None:
    """Physician perspective: findings for several flagged primary reasons, or one that was not coded."""
    if not ctx.physician:
        return
    flagged_ids = [a.id for a in ctx.encounter.administrations if a.primary_reason]
    if len(flagged_ids) > 1:
        ctx.find("MULTIPLE_PRIMARY_REASONS", f"administrations {join_and(flagged_ids)} are all flagged")
    if flagged_ids and not flagged:
        ctx.find("PRIMARY_REASON_NOT_CODED", f"administration {join_and(flagged_ids)} could not be coded")
