"""Steps 1-2 of the encounter coder: time every administration and classify it.

A record-level problem (missing, unparseable or reversed time, clock times across midnight)
becomes a finding and the administration is skipped. Otherwise its route and whole minutes
give a delivery mode (push or infusion), and its category and mode an administration kind
with a rank in the hierarchy.

>>> from kg.graph import KnowledgeGraph
>>> from kg.encounter.context import CodingContext
>>> from kg.encounter.model import Administration, Encounter
>>> ctx = CodingContext.of(KnowledgeGraph.default(), Encounter("FACILITY", None, [
...     Administration("a", "ondansetron", "THERAPEUTIC", "IV_INFUSION", "09:00", "09:10"),
...     Administration("b", "saline", "HYDRATION", "IV_INFUSION", "09:00", None)]))
>>> [(i.adm.id, i.kind.label, i.minutes) for i in time_and_classify(ctx)]
[('a', 'therapeutic push', 10)]
>>> [f.rule for f in ctx.findings]
['TIME_MISSING']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from kg.encounter.context import INITIAL, PUSH_MODE, CodingContext
from kg.encounter.drugs import category_of, contested_category
from kg.encounter.model import Administration
from kg.encounter.rules import AdministrationKind
from kg.encounter.timing import Interval, TimeFormatError, TimePoint, parse_time, whole_minutes

__all__ = ["Item", "check_push_overlaps", "time_administration", "time_and_classify"]


@dataclass(slots=True)
class Item:
    """One administration that was timed and classified."""

    adm: Administration
    index: int
    start: datetime
    stop: datetime
    clock_only: bool
    minutes: int
    mode: str
    kind: AdministrationKind
    category: str

    @property
    def interval(self) -> Interval:
        """When it ran."""
        return (self.start, self.stop)


def _about(adm: Administration) -> str:
    return f"administration {adm.id!r} ({adm.substance.strip()})"


def time_and_classify(ctx: CodingContext) -> list[Item]:
    """Every administration of the record that could be timed and classified, in record order.

    Args:
        ctx: the coding context; findings go into it.

    Returns:
        The classified administrations; the first day timed is set on ``ctx``.
    """
    rules = ctx.rules
    items: list[Item] = []
    for index, adm in enumerate(ctx.encounter.administrations):
        timed = time_administration(ctx, adm)
        if timed is None:
            continue
        category, disputes = category_of(ctx, adm)
        if category is None:
            continue
        start, stop = timed
        minutes = whole_minutes(start.at, stop.at)
        route = adm.route.value
        if category not in rules.categories or route not in rules.routes:
            ctx.find("NO_DATA", f"{_about(adm)}: the graph does not describe category {category} or route {route}")
            continue
        mode = rules.classify(route, minutes, adm.discontinued, None if adm.pump is None else adm.pump.value,
                              adm.refill)
        kind = rules.kind_for(category, mode)
        if mode is None or kind is None:
            shown = rules.label(mode) if mode else route.lower().replace("_", " ")
            ctx.find("NO_DATA", f"{_about(adm)}: no administration kind for {category.lower()} "
                                f"given as {shown} ({minutes} min)")
            continue
        if disputes:
            contested_category(ctx, adm, kind, mode, disputes)
        if adm.discontinued:
            _stopped_early(ctx, adm, category, kind, minutes)
        items.append(Item(adm, index, start.at, stop.at, start.clock_only and stop.clock_only, minutes, mode, kind,
                          category))
    ctx.first_day = min((i.start.date() for i in items), default=None)
    return items


def _stopped_early(ctx: CodingContext, adm: Administration, category: str, kind: AdministrationKind,
                   minutes: int) -> None:
    """Where the clock would classify a stopped administration otherwise, say what each reading codes."""
    by_clock = ctx.rules.kind_for(category, ctx.rules.classify(adm.route.value, minutes, discontinued=False))
    if by_clock is None or by_clock.iri == kind.iri:
        return
    intended = ctx.rules.code_rule(kind, INITIAL, ctx.perspective)
    clock = ctx.rules.code_rule(by_clock, INITIAL, ctx.perspective)
    if intended is None or clock is None:
        return
    ctx.find("STOPPED_EARLY_READINGS",
             f"{_about(adm)} stopped after {minutes} min: coded as the intended {kind.label} ({intended.code}, "
             f"marked discontinued); by the clock it is a {by_clock.label} ({clock.code})",
             codes=[intended.code or "", clock.code or ""])


def time_administration(ctx: CodingContext, adm: Administration) -> tuple[TimePoint, TimePoint] | None:
    """The start and stop of one administration, or ``None`` with a finding saying why not."""
    missing = [name for name in ("start", "stop") if not (getattr(adm, name) or "").strip()]
    if missing:
        ctx.find("TIME_MISSING", f"{_about(adm)}: no {' or '.join(missing)} time")
        return None
    day = ctx.encounter.date or date.today()
    parsed: dict[str, TimePoint] = {}
    bad: list[str] = []
    for name in ("start", "stop"):
        try:
            parsed[name] = parse_time(getattr(adm, name), day)
        except TimeFormatError as err:
            bad.append(f"{name} {err}")
    if bad:
        ctx.find("TIME_INVALID", f"{_about(adm)}: {'; '.join(bad)}")
        return None
    start, stop = parsed["start"], parsed["stop"]
    # A clock time beside a full date-time belongs to that date-time's day.
    if start.clock_only and not stop.clock_only:
        start = parse_time(adm.start or "", stop.at.date())
    elif stop.clock_only and not start.clock_only:
        stop = parse_time(adm.stop or "", start.at.date())
    if stop.at < start.at:
        rule = "MIDNIGHT_WITHOUT_DATE" if start.clock_only and stop.clock_only else "STOP_BEFORE_START"
        ctx.find(rule, f"{_about(adm)}: stop {adm.stop} is earlier than start {adm.start}")
        return None
    return start, stop


def check_push_overlaps(ctx: CodingContext, items: Sequence[Item]) -> None:
    """A finding for every two drug pushes that overlap in time (a push needs the clinician throughout)."""
    pushes = sorted((i for i in items if ctx.rules.mode_names.get(i.mode) == PUSH_MODE
                     and not ctx.rules.is_fluid(i.category)), key=lambda i: (i.start, i.index))
    for n, first in enumerate(pushes):
        for second in pushes[n + 1:]:
            if second.start == first.start or second.start < first.stop:
                ctx.find("PUSH_OVERLAP",
                         f"{first.adm.substance.strip()} ({first.adm.id}) {ctx.when([first.interval])} and "
                         f"{second.adm.substance.strip()} ({second.adm.id}) {ctx.when([second.interval])}")
