"""Step 5 of the encounter coder: code one access, its initial service and then the rest.

The rest are coded in clock order: an infusion overlapping another drug infusion is
concurrent (once per encounter where the rule says so), otherwise sequential with its own
additional hours; a push of a new substance is an additional push, of the same substance a
repeat push once the gap is long enough; hydration is secondary hydration counted from its
first hour. An add-on left without any valid primary on its access is not reported.

A subcutaneous infusion at a further site of a set whose sites share one access is an
additional pump set-up. Further pushes or injections answered by the same rule on one access
are one line with one unit each.

What is coded goes into a :class:`Ledger`; a trial coding (see :mod:`kg.encounter.initial`)
codes into a fork of the ledger and a scratch context, so nothing has to be rolled back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from kg.encounter.context import (
    ADDITIONAL_HOUR,
    ADDITIONAL_INJECTION,
    ADDITIONAL_PUMP,
    ADDITIONAL_PUSH,
    CONCURRENT,
    DISCONTINUED,
    INITIAL,
    PUSH_MODE,
    REPEAT_PUSH,
    SECONDARY_HYDRATION,
    SEPARATE_SITE,
    SEQUENTIAL,
    CodingContext,
    join_and,
    plural,
)
from kg.encounter.rules import CodeRule
from kg.encounter.services import Service
from kg.encounter.timing import Interval, count_units, intervals_overlap, subtract, total_minutes, whole_minutes
from kg.model import Source

__all__ = ["Draft", "Ledger", "code_site", "code_standalone", "drop_orphans", "orphans"]


@dataclass(slots=True, eq=False)
class Draft:
    """A line being built: the rule that produced it, its units, modifiers, administrations and reasons."""

    rule: CodeRule
    units: int
    modifiers: list[str]
    ids: list[str]
    rationale: list[str]
    sources: tuple[Source, ...]

    @property
    def code(self) -> str:
        """The code the rule produces."""
        return self.rule.code or ""

    def copy(self) -> Draft:
        """An independent copy (lists copied)."""
        return Draft(self.rule, self.units, list(self.modifiers), list(self.ids), list(self.rationale), self.sources)


@dataclass(slots=True)
class Ledger:
    """What has been coded so far: the drafts, the once-per-encounter lines, when each substance
    was given (pushes and infusions), and where the current access's drafts begin."""

    drafts: list[Draft] = field(default_factory=list)
    once: dict[str, Draft] = field(default_factory=dict)
    given: dict[str, list[Interval]] = field(default_factory=dict)
    site_start: int = 0

    def fork(self) -> Ledger:
        """A ledger for a trial: no drafts of its own yet, and copies of the shared state.

        >>> Ledger().fork().drafts
        []
        """
        return Ledger([], {code: draft.copy() for code, draft in self.once.items()},
                      {key: list(spans) for key, spans in self.given.items()})

    def add(self, ctx: CodingContext, rule: CodeRule, units: int, service: Service, rationale: str,
            modifiers: Sequence[str] = ()) -> Draft:
        """Append a draft line for ``service`` and return it."""
        draft = Draft(rule, units, list(modifiers), list(service.ids), [rationale], ctx.kg.sources_of(rule.sources))
        self.drafts.append(draft)
        return draft

    def add_unit(self, ctx: CodingContext, rule: CodeRule, service: Service, rationale: str,
                 modifiers: Sequence[str] = (), any_modifiers: bool = False) -> Draft:
        """One more unit on the current access's line of the same code (and the same modifiers,
        unless ``any_modifiers``), else a new line."""
        for draft in self.drafts[self.site_start:]:
            if draft.code == rule.code and (any_modifiers or draft.modifiers == list(modifiers)):
                draft.units += 1
                draft.ids.extend(service.ids)
                draft.rationale.append(rationale)
                return draft
        return self.add(ctx, rule, 1, service, rationale, modifiers)

    def merge_same_codes(self) -> None:
        """One line per code and modifiers: later lines of the same code add their units to the
        first (a claim reports a code once with its units, e.g. the extra hours of two infusions).

        >>> ledger = Ledger()
        >>> ledger.merge_same_codes(); ledger.drafts
        []
        """
        kept: list[Draft] = []
        for draft in self.drafts:
            same = next((k for k in kept if k.code == draft.code and sorted(k.modifiers) == sorted(draft.modifiers)),
                        None)
            if same is None:
                kept.append(draft)
                continue
            same.units += draft.units
            same.ids.extend(draft.ids)
            same.rationale.extend(draft.rationale)
            self.once = {code: (same if held is draft else held) for code, held in self.once.items()}
        self.drafts = kept

    def record(self, service: Service) -> None:
        """Note when the service's substance was given, for repeat pushes."""
        self.given.setdefault(service.substance_key, []).append((service.start, service.stop))

    def ended_before(self, service: Service) -> datetime | None:
        """When the same substance was last given, ending no later than ``service`` starts."""
        stops = [stop for _, stop in self.given.get(service.substance_key, ()) if stop <= service.start]
        return max(stops, default=None)


def code_site(ctx: CodingContext, ledger: Ledger, site_services: Sequence[Service], initial: Service,
              separate_site: bool) -> None:
    """Code every service of one access into ``ledger``: ``initial`` first, the rest in clock order."""
    ledger.site_start = len(ledger.drafts)
    initial_code = _code_initial(ctx, ledger, initial, separate_site, len(site_services))
    infusions: list[Service] = [initial] if initial.time_based and not initial.fluid else []
    sites = {initial.site}
    rest = sorted((s for s in site_services if s is not initial), key=lambda s: (s.start, s.index))
    for service in rest:
        if service.fluid:
            _code_secondary_hydration(ctx, ledger, service, initial_code)
        elif service.time_based:
            running = [o for o in infusions if intervals_overlap(service.intervals, o.intervals)]
            infusions.append(service)
            ledger.record(service)
            if service.access[1] in ctx.rules.shared_site_lines and service.site not in sites:
                sites.add(service.site)
                _code_additional_pump(ctx, ledger, service)
            elif running:
                alone = _alone(ctx, service, running)
                if alone is not None:
                    _code_sequential(ctx, ledger, alone, running)
                else:
                    _code_concurrent(ctx, ledger, service, running)
            else:
                _code_sequential(ctx, ledger, service)
        elif ctx.rules.mode_names.get(service.mode) == PUSH_MODE:
            _code_push(ctx, ledger, service)
        else:
            _code_injection(ctx, ledger, service)


def code_standalone(ctx: CodingContext, ledger: Ledger, service: Service) -> None:
    """Code a service that stands alone (a pump start or refill): its own code, one unit, no site modifier."""
    rule = _rule(ctx, service, INITIAL)
    if rule is None:
        return
    owners = join_and(sorted(p.lower() for p in rule.perspectives)) if rule.perspectives else ""
    limited = f"; the {owners} code" if owners else ""
    ledger.site_start = len(ledger.drafts)
    ledger.add_unit(ctx, rule, service, f"{service.substance} {ctx.when(service.intervals)}: "
                                        f"{service.kind.label}, coded on its own{limited}", _discontinued(ctx, service))


def _rule(ctx: CodingContext, service: Service, role: str) -> CodeRule | None:
    return ctx.rule_for(service.kind, role, service.subject)


def _discontinued(ctx: CodingContext, service: Service) -> list[str]:
    code = ctx.modifier(DISCONTINUED) if service.discontinued else None
    return [code] if code else []


def _ran(ctx: CodingContext, service: Service) -> str:
    if service.time_based:
        return f"{service.substance} ran {ctx.when(service.intervals)} ({service.minutes} min)"
    return f"{service.substance} given {ctx.when(service.intervals)}"


def _code_initial(ctx: CodingContext, ledger: Ledger, service: Service, separate_site: bool,
                  services_on_site: int) -> str | None:
    rule = _rule(ctx, service, INITIAL)
    if not service.fluid:
        ledger.record(service)
    if rule is None:
        return None
    if service.flagged and ctx.physician:
        why = "flagged as the primary reason for the encounter"
    elif services_on_site > 1:
        why = "the highest in the hierarchy on this access"
    else:
        why = "the only service on this access"
    what = f"{service.minutes} min of hydration on its own, " if service.fluid else ""
    minimum = service.kind.minimum_minutes
    if service.fluid and minimum and all(total_minutes([p]) < minimum for p in service.intervals) \
            and len(service.intervals) > 1:
        _pieces_combined(ctx, service, rule.code or "", 1, 0)
    rationale = f"{_ran(ctx, service)}: {what}{service.kind.label}, {why}: initial service"
    modifiers = _discontinued(ctx, service)
    if separate_site:
        site_modifier = ctx.modifier(SEPARATE_SITE)
        if site_modifier:
            modifiers.append(site_modifier)
        where = (f"{ctx.rules.label(service.access[1])}, {service.site_label}" if service.on_line
                 else f"{service.kind.label} given outside any line, {service.site_label}")
        rationale += f"; through a separate access ({where}), so a second initial service"
        if site_modifier:
            rationale += f" marked {site_modifier}"
    ledger.add(ctx, rule, 1, service, rationale, modifiers)
    if service.time_based:
        _code_additional_hours(ctx, ledger, service, rule.code or "")
    return rule.code


def _code_additional_hours(ctx: CodingContext, ledger: Ledger, service: Service, first_hour_code: str) -> None:
    candidates = ctx.rules.code_rules(service.kind, ADDITIONAL_HOUR)
    # The time counting comes from the rule of this perspective, else from any rule, so that
    # extra hours another perspective would report still produce a finding here.
    timing = next((r for r in candidates if r.applies_to(ctx.perspective)), candidates[0] if candidates else None)
    if timing is None or timing.unit_minutes is None:
        return
    margin = timing.margin_minutes or 0
    units = count_units(service.minutes, timing.unit_minutes, margin, timing.count_from or 0)
    if units == 0:
        return
    rule = _rule(ctx, service, ADDITIONAL_HOUR)
    if rule is None:
        return
    rationale = (f"{service.substance} ran {service.minutes} min in all: the first hour is reported with "
                 f"{first_hour_code}; {plural(units, 'additional hour')}, each counted once the time passes "
                 f"the hour by more than {margin} min")
    ledger.add(ctx, rule, units, service, rationale)


def _alone(ctx: CodingContext, service: Service, running: Sequence[Service]) -> Service | None:
    """The service cut to the time it ran alone, when the concurrent rule says that time makes
    it a sequential infusion instead; ``None`` when it stays concurrent."""
    rule = ctx.rules.code_rule(service.kind, CONCURRENT, ctx.perspective)
    if rule is None or rule.sequential_when_alone is None:
        return None
    own = subtract(service.intervals, (span for o in running for span in o.intervals))
    minutes = total_minutes(own)
    if minutes < rule.sequential_when_alone:
        return None
    return replace(service, intervals=own, minutes=minutes, concurrent_minutes=service.minutes - minutes)


def _code_sequential(ctx: CodingContext, ledger: Ledger, service: Service, running: Sequence[Service] = ()) -> None:
    rule = _rule(ctx, service, SEQUENTIAL)
    if rule is None:
        return
    if running:
        others = join_and([o.substance for o in running])
        rationale = (f"{service.substance} ran {service.minutes} min on its own ({ctx.when(service.intervals)}) "
                     f"besides {service.concurrent_minutes} min alongside {others}: long enough to be an infusion, "
                     "so the sequential infusion of its time alone, not a concurrent one")
    else:
        rationale = (f"{_ran(ctx, service)} through the same access without overlapping another infusion: "
                     "sequential infusion of a new substance, reported once for it")
    ledger.add(ctx, rule, 1, service, rationale, _discontinued(ctx, service))
    _code_additional_hours(ctx, ledger, service, rule.code or "")


def _code_concurrent(ctx: CodingContext, ledger: Ledger, service: Service, running: Sequence[Service]) -> None:
    rule = _rule(ctx, service, CONCURRENT)
    if rule is None:
        return
    others = join_and([o.substance for o in running])
    verb = "was" if len(running) == 1 else "were"
    clause = f"{service.substance} ran {ctx.when(service.intervals)} while {others} {verb} running"
    held = ledger.once.get(rule.code or "") if rule.once_per_encounter else None
    if held is not None:
        held.ids.extend(service.ids)
        held.rationale.append(f"{clause}: covered by the same line")
        return
    tail = "concurrent, reported once per encounter" if rule.once_per_encounter else "concurrent infusion"
    draft = ledger.add(ctx, rule, 1, service, f"{clause}: {tail}", _discontinued(ctx, service))
    if rule.once_per_encounter:
        ledger.once[rule.code or ""] = draft


def _code_push(ctx: CodingContext, ledger: Ledger, service: Service) -> None:
    earlier = ledger.ended_before(service)
    ledger.record(service)
    if earlier is None:
        rule = _rule(ctx, service, ADDITIONAL_PUSH)
        if rule is not None:
            ledger.add_unit(ctx, rule, service, f"{_ran(ctx, service)}: a new substance pushed besides the initial "
                                                "service: additional push", _discontinued(ctx, service))
        return
    gap = whole_minutes(earlier, service.start)
    rule = _rule(ctx, service, REPEAT_PUSH)
    if rule is None:
        return
    if rule.minimum_gap is not None and gap < rule.minimum_gap:
        ctx.find("REPEAT_PUSH_TOO_SOON", f"{service.subject} pushed again {gap} min after "
                                         f"it was last given; at least {rule.minimum_gap} needed",
                 codes=[rule.code or ""], sources=rule.sources)
        return
    owners = join_and(sorted(p.lower() for p in rule.perspectives)) if rule.perspectives else ""
    limited = f", reported by the {owners} only" if owners else ""
    ledger.add_unit(ctx, rule, service, f"{_ran(ctx, service)}, {gap} min after it was last given: "
                                        f"the same substance pushed again{limited}", _discontinued(ctx, service))


def _code_injection(ctx: CodingContext, ledger: Ledger, service: Service) -> None:
    rule = _rule(ctx, service, ADDITIONAL_INJECTION)
    if rule is None:
        return
    modifiers = _discontinued(ctx, service)
    rationale = f"{_ran(ctx, service)}: a further injection, reported on its own"
    same_code = any(d.code == rule.code for d in ledger.drafts[ledger.site_start:])
    site_modifier = ctx.modifier(SEPARATE_SITE) if rule.appends_separate_site and not same_code else None
    if site_modifier:
        modifiers.append(site_modifier)
        rationale += f"; not given through the infusion line, so marked {site_modifier}"
    else:
        rationale += ": one more unit of the same code"
    ledger.add_unit(ctx, rule, service, rationale, modifiers, any_modifiers=same_code)


def _code_additional_pump(ctx: CodingContext, ledger: Ledger, service: Service) -> None:
    rule = _rule(ctx, service, ADDITIONAL_PUMP)
    if rule is None:
        return
    rationale = (f"{_ran(ctx, service)} at {service.site_label}, a further site with its own pump set-up: "
                 "additional pump set-up, once per site")
    ledger.add_unit(ctx, rule, service, rationale, _discontinued(ctx, service))


def _code_secondary_hydration(ctx: CodingContext, ledger: Ledger, service: Service, initial_code: str | None) -> None:
    rule = _rule(ctx, service, SECONDARY_HYDRATION)
    if rule is None or rule.unit_minutes is None:
        return
    units = count_units(service.minutes, rule.unit_minutes, rule.margin_minutes or 0, rule.count_from or 0)
    if units == 0:
        return
    apart = sum(count_units(total_minutes([piece]), rule.unit_minutes, rule.margin_minutes or 0, rule.count_from or 0)
                for piece in service.intervals)
    if apart < units:
        _pieces_combined(ctx, service, rule.code or "", units, apart)
    after = f" ({initial_code})" if initial_code else ""
    rationale = (f"{service.substance} ran {ctx.when(service.intervals)}: {service.minutes} min of hydration on its "
                 f"own after a different initial service{after} through the same access: counted from its first "
                 f"hour, {plural(units, 'unit')}")
    ledger.add(ctx, rule, units, service, rationale)


def _pieces_combined(ctx: CodingContext, service: Service, code: str, units: int, apart: int) -> None:
    """A finding where hydration reaches its units only by adding up pieces split by a drug infusion."""
    pieces = join_and([f"{total_minutes([p])} min" for p in service.intervals])
    ctx.find("HYDRATION_PIECES_COMBINED",
             f"{service.subject}: its time on its own came in pieces ({pieces}, {ctx.when(service.intervals)}); "
             f"added up they give {code} x {units}, counted apart {apart}",
             codes=[code])


def orphans(ctx: CodingContext, drafts: Sequence[Draft]) -> list[Draft]:
    """Add-on drafts with none of their valid primaries among ``drafts`` (once they are gone, too).

    An add-on for which the graph lists no primary at all is not judged here.
    """
    kept, gone = list(drafts), list[Any]()
    while True:
        codes = {d.code for d in kept}
        lost = [d for d in kept if ctx.valid_primaries(d.code) and not ctx.valid_primaries(d.code) & codes]
        if not lost:
            return gone
        gone += lost
        kept = [d for d in kept if d not in lost]


def drop_orphans(ctx: CodingContext, ledger: Ledger, start: int = 0) -> None:
    """Remove the add-ons coded since ``start`` that have no valid primary beside them, each with a finding."""
    for draft in orphans(ctx, ledger.drafts[start:]):
        ledger.drafts.remove(draft)
        ledger.once = {code: held for code, held in ledger.once.items() if held is not draft}
        primaries = sorted(ctx.valid_primaries(draft.code))
        ctx.find("ADDON_WITHOUT_PRIMARY",
                 f"{draft.code} for administrations {join_and(draft.ids)} needs one of {join_and(primaries)} beside it",
                 codes=[draft.code], path=ctx.kg.add_on_edges(draft.code, ctx.as_of))
