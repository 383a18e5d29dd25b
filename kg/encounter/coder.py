"""Infusion record -> drug-administration codes, each line explained.

The algorithm (the rules it applies are data, read through :class:`EncounterRules`):

1. Time every administration; a record-level problem (missing, unparseable or reversed
   time, clock times across midnight) becomes a finding and the administration is skipped.
2. Classify each one: its route and whole minutes give a delivery mode (push or infusion),
   its category and mode an administration kind with a rank in the hierarchy.
3. Build services, each on an access: its site and the line its delivery mode runs through
   (``ck:accessLine``: an intravenous line, a subcutaneous set; injections use none and form
   an access of their own per site). Infusions of one substance through one access are one
   service (their time is the union of their intervals); hydration through one access is one
   service whose time excludes every minute a drug infusion was running; pushes and
   injections stand alone. Hydration below its minimum is not reported (a finding says why).
4. Order the accesses: the encounter's initial access is a line access when there is one
   (an injection is a separate site beside it), the one holding the physician's flagged
   primary reason or else the highest-ranked service; every other access gets a second
   initial code with the separate-site modifier.
5. Per access pick the initial service: the highest rank (facility, and physician without
   a flag) or the administration flagged as the primary reason (physician), unless the
   flagged service's code is no valid primary for the add-on codes the other services on
   the access then take (the graph's add-on edges decide): then the hierarchy does.
6. Code the rest in clock order: an infusion overlapping another drug infusion is
   concurrent (once per encounter where the rule says so), otherwise sequential with its own
   additional hours; a push of a new substance is an additional push, of the same substance
   a repeat push once the gap is long enough; hydration is secondary hydration counted from
   its first hour. An add-on left without any valid primary on its access is not reported.
7. Report at most the MUE of the perspective's claim type, and attach the documentation the
   graph asks for.

>>> from kg.graph import KnowledgeGraph
>>> record = Encounter("FACILITY", None, [
...     Administration("a", "carboplatin", "CHEMOTHERAPY", "IV_INFUSION", "09:00", "09:45"),
...     Administration("b", "ondansetron", "THERAPEUTIC", "IV_INFUSION", "09:00", "09:30")])
>>> coding = code_encounter(KnowledgeGraph.default(), record)
>>> coding.codes()
[('96413', 1), ('96368', 1)]
>>> coding.lines[1].rationale
'ondansetron ran 09:00-09:30 while carboplatin was running: concurrent, reported once per encounter'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from kg.encounter.model import Administration, CodedLine, Encounter, EncounterCoding, Perspective
from kg.encounter.rules import AdministrationKind, CodeRule, EncounterRules
from kg.encounter.timing import (
    Interval,
    TimeFormatError,
    TimePoint,
    count_units,
    intervals_overlap,
    parse_time,
    subtract,
    total_minutes,
    union,
    whole_minutes,
)
from kg.graph import KnowledgeGraph
from kg.model import Finding, RelationKind, Relationship, Severity, Source

__all__ = ["code_encounter"]

# Names of coding roles and delivery modes: the vocabulary of the algorithm itself (what a
# step does), not knowledge; which code answers each role lives in the RDF rules.
_INITIAL = "INITIAL"
_ADDITIONAL_HOUR = "ADDITIONAL_HOUR"
_SEQUENTIAL = "SEQUENTIAL"
_CONCURRENT = "CONCURRENT"
_ADDITIONAL_PUSH = "ADDITIONAL_PUSH"
_REPEAT_PUSH = "REPEAT_PUSH"
_ADDITIONAL_INJECTION = "ADDITIONAL_INJECTION"
_SECONDARY_HYDRATION = "SECONDARY_HYDRATION"
_SEPARATE_SITE = "SEPARATE_SITE"
_DISCONTINUED = "DISCONTINUED"
_PUSH_MODE = "PUSH"


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _site_key(site: str | None) -> str:
    return (site or "").strip().casefold()


def _substance_key(substance: str) -> str:
    return " ".join(substance.casefold().split())


def _and(words: Sequence[str]) -> str:
    words = _unique(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@dataclass(slots=True)
class _Item:
    """One administration that was timed and classified."""

    adm: Administration
    index: int
    start: datetime
    stop: datetime
    clock_only: bool
    minutes: int
    mode: str
    kind: AdministrationKind

    @property
    def interval(self) -> Interval:
        return (self.start, self.stop)


@dataclass(slots=True)
class _Service:
    """What one code describes: a substance infused through one access, one push, or hydration."""

    kind: AdministrationKind
    access: tuple[str, str]
    items: list[_Item]
    intervals: list[Interval]
    minutes: int
    time_based: bool
    fluid: bool
    concurrent_minutes: int = 0

    @property
    def start(self) -> datetime:
        return min(i.start for i in self.items)

    @property
    def stop(self) -> datetime:
        return max(i.stop for i in self.items)

    @property
    def index(self) -> int:
        return min(i.index for i in self.items)

    @property
    def ids(self) -> list[str]:
        return [i.adm.id for i in self.items]

    @property
    def substance(self) -> str:
        return _and([i.adm.substance.strip() for i in self.items])

    @property
    def substance_key(self) -> str:
        return _substance_key(self.items[0].adm.substance)

    @property
    def flagged(self) -> bool:
        return any(i.adm.primary_reason for i in self.items)

    @property
    def discontinued(self) -> bool:
        return any(i.adm.discontinued for i in self.items)

    @property
    def on_line(self) -> bool:
        """Whether the service runs through an access line (not an injection)."""
        return bool(self.access[1])

    @property
    def site_label(self) -> str:
        named = self.items[0].adm.site
        return f"site {named.strip()!r}" if named and named.strip() else "no site named"

    def hierarchy_key(self) -> tuple[int, datetime, int]:
        """Sort key: highest rank first, then earliest start, then record order."""
        return (-self.kind.rank, self.start, self.index)


@dataclass(slots=True, eq=False)
class _Draft:
    rule: CodeRule
    units: int
    modifiers: list[str]
    ids: list[str]
    rationale: list[str]
    sources: tuple[Source, ...]

    @property
    def code(self) -> str:
        return self.rule.code or ""


@dataclass(slots=True)
class _Snapshot:
    """The coder's state before a trial coding of one access, to roll it back."""

    drafts: int
    findings: int
    once: dict[str, _Draft]
    held: list[tuple[_Draft, list[str], list[str]]]
    last_push: dict[str, datetime]


@dataclass(slots=True)
class _Coder:
    kg: KnowledgeGraph
    rules: EncounterRules
    encounter: Encounter
    findings: list[Finding] = field(default_factory=list)
    drafts: list[_Draft] = field(default_factory=list)
    once: dict[str, _Draft] = field(default_factory=dict)
    last_push: dict[str, datetime] = field(default_factory=dict)
    first_day: date | None = None
    primaries: dict[str, frozenset[str]] = field(default_factory=dict)

    # ------------------------------------------------------------------ helpers
    @property
    def perspective(self) -> str:
        return self.encounter.perspective.value

    @property
    def as_of(self) -> date | None:
        return self.encounter.date

    def fmt(self, moment: datetime) -> str:
        # Clock time alone on the encounter's day (or the first day timed); the date otherwise.
        if moment.date() == (self.encounter.date or self.first_day):
            return moment.strftime("%H:%M")
        return moment.strftime("%Y-%m-%d %H:%M")

    def when(self, intervals: Iterable[Interval]) -> str:
        parts = [self.fmt(s) if s == e else f"{self.fmt(s)}-{self.fmt(e)}" for s, e in intervals]
        return _and(parts)

    def find(self, rule_id: str, detail: str, codes: Iterable[str] = (), line: int | None = None,
             path: Sequence[Relationship] = (), sources: Iterable[str] = (), extra: str = "") -> None:
        rule = self.rules.finding(rule_id)
        iris = [*rule.sources, *sources]
        merged = {s.iri: s for s in self.kg.sources_of(iris)}
        for rel in path:
            for src in rel.sources:
                merged.setdefault(src.iri, src)
        ordered = tuple(sorted(merged.values(), key=lambda s: (-s.confidence_rank, s.title)))
        message = f"{detail}: {rule.text}" if detail else rule.text
        self.findings.append(Finding(
            rule=rule.rule_id, severity=Severity(rule.severity), message=message + extra,
            codes=tuple(_unique(codes)), line=line, sources=ordered, path=tuple(path),
        ))

    def about(self, adm: Administration) -> str:
        return f"administration {adm.id!r} ({adm.substance.strip()})"

    def rule_for(self, service: _Service, role: str) -> CodeRule | None:
        """The rule answering ``role`` for the service in this perspective; a finding when none."""
        rule = self.rules.code_rule(service.kind, role, self.perspective)
        if rule is not None and rule.code is not None and self.kg.code(rule.code, self.as_of) is not None:
            return rule
        subject = f"{service.substance} ({_and(service.ids)})"
        role_label = self.rules.role_label(role)
        elsewhere = [r for r in self.rules.code_rules(service.kind, role) if not r.applies_to(self.perspective)]
        if rule is None and elsewhere:
            other = elsewhere[0]
            owners = _and(sorted(p.lower() for p in other.perspectives))
            self.find("NOT_REPORTED_FOR_PERSPECTIVE",
                      f"{subject}: {other.code} ({role_label}) is reported by the "
                      f"{owners} only, so nothing is reported from the {self.perspective.lower()} perspective",
                      codes=[other.code or ""], sources=other.sources)
        elif rule is None:
            self.find("NO_DATA", f"{subject}: no {role_label} code for a {service.kind.label}")
        else:
            self.find("NO_DATA", f"{subject}: the rule {rule.iri} names code {rule.code}, which the graph "
                                 "does not hold for this date", sources=rule.sources)
        return None

    def add(self, rule: CodeRule, units: int, service: _Service, rationale: str, modifiers: Sequence[str] = ()) -> _Draft:
        draft = _Draft(rule, units, list(modifiers), list(service.ids), [rationale], self.kg.sources_of(rule.sources))
        self.drafts.append(draft)
        return draft

    def modifier(self, role: str) -> str | None:
        rule = self.rules.modifier_rules.get(role)
        return None if rule is None else rule.modifier

    # ------------------------------------------------------------------ step 1-2: time and classify
    def time_and_classify(self) -> list[_Item]:
        items: list[_Item] = []
        for index, adm in enumerate(self.encounter.administrations):
            timed = self.time(adm)
            if timed is None:
                continue
            start, stop = timed
            minutes = whole_minutes(start.at, stop.at)
            category, route = adm.category.value, adm.route.value
            if category not in self.rules.categories or route not in self.rules.routes:
                self.find("NO_DATA", f"{self.about(adm)}: the graph does not describe category {category} "
                                     f"or route {route}")
                continue
            mode = self.rules.classify(route, minutes, adm.discontinued)
            kind = self.rules.kind_for(category, mode)
            if mode is None or kind is None:
                shown = self.rules.label(mode) if mode else route.lower().replace("_", " ")
                self.find("NO_DATA", f"{self.about(adm)}: no administration kind for {category.lower()} "
                                     f"given as {shown} ({minutes} min)")
                continue
            items.append(_Item(adm, index, start.at, stop.at, start.clock_only and stop.clock_only, minutes, mode, kind))
        self.first_day = min((i.start.date() for i in items), default=None)
        return items

    def time(self, adm: Administration) -> tuple[TimePoint, TimePoint] | None:
        missing = [name for name in ("start", "stop") if not (getattr(adm, name) or "").strip()]
        if missing:
            self.find("TIME_MISSING", f"{self.about(adm)}: no {' or '.join(missing)} time")
            return None
        day = self.encounter.date or date.today()
        parsed: dict[str, TimePoint] = {}
        bad: list[str] = []
        for name in ("start", "stop"):
            try:
                parsed[name] = parse_time(getattr(adm, name), day)
            except TimeFormatError as err:
                bad.append(f"{name} {err}")
        if bad:
            self.find("TIME_INVALID", f"{self.about(adm)}: {'; '.join(bad)}")
            return None
        start, stop = parsed["start"], parsed["stop"]
        # A clock time beside a full date-time belongs to that date-time's day.
        if start.clock_only and not stop.clock_only:
            start = parse_time(adm.start or "", stop.at.date())
        elif stop.clock_only and not start.clock_only:
            stop = parse_time(adm.stop or "", start.at.date())
        if stop.at < start.at:
            if start.clock_only and stop.clock_only:
                self.find("MIDNIGHT_WITHOUT_DATE", f"{self.about(adm)}: stop {adm.stop} is earlier than start {adm.start}")
            else:
                self.find("STOP_BEFORE_START", f"{self.about(adm)}: stop {adm.stop} is earlier than start {adm.start}")
            return None
        return start, stop

    def check_push_overlaps(self, items: Sequence[_Item]) -> None:
        pushes = sorted((i for i in items if self.rules.mode_names.get(i.mode) == _PUSH_MODE
                         and not self.rules.is_fluid(i.adm.category.value)), key=lambda i: (i.start, i.index))
        for n, first in enumerate(pushes):
            for second in pushes[n + 1:]:
                if second.start == first.start or second.start < first.stop:
                    self.find("PUSH_OVERLAP",
                              f"{first.adm.substance.strip()} ({first.adm.id}) {self.when([first.interval])} and "
                              f"{second.adm.substance.strip()} ({second.adm.id}) {self.when([second.interval])}")

    # ------------------------------------------------------------------ step 3: services
    def build_services(self, items: Sequence[_Item]) -> list[_Service]:
        fluid = [i for i in items if self.rules.is_fluid(i.adm.category.value)]
        drugs = [i for i in items if not self.rules.is_fluid(i.adm.category.value)]
        services: list[_Service] = []
        grouped: dict[tuple[str, str, str], list[_Item]] = {}
        for item in drugs:
            if self.rules.is_time_based(item.mode):
                key = (self.access(item), _substance_key(item.adm.substance), item.kind.iri)
                grouped.setdefault(key, []).append(item)
            else:
                services.append(_Service(item.kind, self.access(item), [item], [item.interval],
                                         item.minutes, time_based=False, fluid=False))
        for (access, _, _), group in grouped.items():
            spans = union(i.interval for i in group)
            services.append(_Service(group[0].kind, access, group, spans, total_minutes(spans), time_based=True,
                                     fluid=False))
        drug_infusions = [i for i in drugs if self.rules.is_time_based(i.mode)]
        by_access: dict[tuple[str, str], list[_Item]] = {}
        for item in fluid:
            by_access.setdefault(self.access(item), []).append(item)
        for access, group in by_access.items():
            service = self.hydration_service(access, group, drug_infusions)
            if service is not None:
                services.append(service)
        return sorted(services, key=lambda s: (s.start, s.index))

    def access(self, item: _Item) -> tuple[str, str]:
        """The access of an administration: its site and the line its delivery mode runs through."""
        return _site_key(item.adm.site), self.rules.access_line(item.mode) or ""

    def hydration_service(self, access: tuple[str, str], group: list[_Item],
                          drug_infusions: Sequence[_Item]) -> _Service | None:
        """One hydration service per access; its time excludes every minute a drug infusion ran."""
        spans = union(i.interval for i in group)
        alongside = [d for d in drug_infusions if intervals_overlap(spans, [d.interval])]
        own = subtract(spans, (d.interval for d in alongside))
        minutes, total = total_minutes(own), total_minutes(spans)
        service = _Service(group[0].kind, access, group, own, minutes, time_based=True, fluid=True,
                           concurrent_minutes=total - minutes)
        minimum = service.kind.minimum_minutes or 0
        reportable = minutes >= minimum
        subject = f"{service.substance} ({_and(service.ids)}) ran {self.when(spans)}"
        if alongside and service.concurrent_minutes > 0:
            if reportable:
                outcome = f"{minutes} min on its own are counted"
            elif minutes == 0:
                outcome = "none of it ran on its own, so it is not reported"
            else:
                outcome = f"the {minutes} min on its own are under the {minimum} min minimum, so it is not reported"
            detail = (f"{subject} while {_and([d.adm.substance.strip() for d in alongside])} "
                      f"{'was' if len(alongside) == 1 else 'were'} running: {service.concurrent_minutes} of its "
                      f"{total} min ran alongside; {outcome}")
            path, extra = self.concurrent_hydration_evidence(service.kind, [d.kind for d in alongside])
            hydration_rule = self.rules.code_rule(service.kind, _INITIAL, self.perspective)
            codes = [hydration_rule.code] if hydration_rule and hydration_rule.code else []
            codes += [r.to_code.code for r in path]
            self.find("HYDRATION_CONCURRENT", detail, codes=codes, path=path, extra=extra)
        elif not reportable:
            self.find("HYDRATION_TOO_SHORT", f"{subject}: {minutes} min, at least {minimum} needed")
        return service if reportable else None

    def concurrent_hydration_evidence(self, hydration: AdministrationKind,
                                      drug_kinds: Sequence[AdministrationKind]) -> tuple[list[Relationship], str]:
        """The graph edges behind "concurrent hydration is not reported", and any source that disagrees."""
        hydration_rule = self.rules.code_rule(hydration, _INITIAL, self.perspective)
        if hydration_rule is None or hydration_rule.code is None or self.kg.code_iri(hydration_rule.code) is None:
            return [], ""
        drug_codes = {r.code for k in drug_kinds for r in self.rules.code_rules(k, _INITIAL) if r.code}
        concurrent_codes = self.rules.codes_of_role(_CONCURRENT)
        packaged = [r for r in self.kg.relationships(hydration_rule.code, [RelationKind.PACKAGED_UNDER], self.as_of)
                    if r.from_code.code == hydration_rule.code and r.to_code.code in drug_codes]
        disagree = [r for r in self.kg.relationships(hydration_rule.code, [RelationKind.ALTERNATIVE_TO], self.as_of)
                    if r.from_code.code == hydration_rule.code and r.to_code.code in concurrent_codes]
        extra = ""
        for alt in disagree:
            extra += (f" Sources disagree: {_and([s.title for s in alt.sources])} would report it as "
                      f"{alt.to_code.code} ({alt.note or 'no note'}).")
            if packaged:
                extra += (f" Followed here: {_and([s.title for p in packaged for s in p.sources])}: "
                          f"{packaged[0].note or ''}")
        return [*packaged, *disagree], extra

    # ------------------------------------------------------------------ step 4-5: accesses and initial services
    @property
    def physician(self) -> bool:
        return self.encounter.perspective is Perspective.PHYSICIAN

    def code_accesses(self, services: Sequence[_Service]) -> None:
        """Code every access, the encounter's initial access first, each from its own initial service."""
        self.check_flags(services, [s for s in services if s.flagged] if self.physician else [])
        for number, access in enumerate(self.order_accesses(services)):
            here = [s for s in services if s.access == access]
            start = len(self.drafts)
            self.code_site(here, self.choose_initial(here), separate_site=number > 0)
            self.drop_orphans(start)

    def order_accesses(self, services: Sequence[_Service]) -> list[tuple[str, str]]:
        """The accesses in coding order: the encounter's initial access first, the rest in record order.

        The initial access runs through a line when any does (an injection beside it is the
        separate site), and holds the physician's flagged primary reason or else the
        highest-ranked service.
        """
        accesses = _unique(s.access for s in sorted(services, key=lambda s: s.index))

        def precedence(access: tuple[str, str]) -> tuple[bool, bool, tuple[int, datetime, int]]:
            here = [s for s in services if s.access == access]
            flagged = [s for s in here if self.physician and s.flagged]
            lead = min(flagged or here, key=_Service.hierarchy_key)
            return not lead.on_line, not flagged, lead.hierarchy_key()

        first = min(accesses, key=precedence)
        return [first, *(a for a in accesses if a != first)]

    def choose_initial(self, here: Sequence[_Service]) -> _Service:
        """The initial service of one access.

        The hierarchy decides, except that the physician's flagged primary reason takes the
        initial code when every add-on code the other services then take lists its code as a
        primary (tried on a copy of the coder's state).
        """
        ordered = sorted(here, key=_Service.hierarchy_key)
        top = ordered[0]
        flagged = [s for s in ordered if self.physician and s.flagged]
        if not flagged or flagged[0] is top:
            return top
        chosen = flagged[0]
        orphans = self.trial(here, chosen)
        if orphans:
            unanchored = _and([f"{d.code} ({_and(d.ids)})" for d in orphans])
            self.find("PRIMARY_REASON_NOT_INITIAL",
                      f"{chosen.substance} ({_and(chosen.ids)}) is flagged as the primary reason, but with its code "
                      f"as the initial service {unanchored} would have no valid primary; the {top.kind.label} of "
                      f"{top.substance} takes the initial code", codes=[d.code for d in orphans],
                      path=[r for d in orphans for r in self.kg.add_on_edges(d.code, self.as_of)])
            return top
        if chosen.kind.rank < top.kind.rank:
            self.find("PRIMARY_REASON_OVERRIDES_HIERARCHY",
                      f"{chosen.substance} ({_and(chosen.ids)}) is flagged as the primary reason; the facility "
                      f"hierarchy would start with the {top.kind.label} of {top.substance}")
        return chosen

    def trial(self, here: Sequence[_Service], initial: _Service) -> list[_Draft]:
        """The add-ons that would lack a valid primary if ``initial`` headed the access; nothing is kept."""
        snapshot = _Snapshot(len(self.drafts), len(self.findings), dict(self.once),
                             [(d, list(d.ids), list(d.rationale)) for d in self.once.values()], dict(self.last_push))
        self.code_site(here, initial, separate_site=False)
        orphans = self.orphans(self.drafts[snapshot.drafts:])
        del self.drafts[snapshot.drafts:]
        del self.findings[snapshot.findings:]
        self.once, self.last_push = snapshot.once, snapshot.last_push
        for draft, ids, rationale in snapshot.held:
            draft.ids[:], draft.rationale[:] = ids, rationale
        return orphans

    def valid_primaries(self, code: str) -> frozenset[str]:
        """The primaries an add-on code may follow (empty for a code that is no add-on)."""
        if code not in self.primaries:
            known = self.kg.code(code, self.as_of)
            self.primaries[code] = frozenset(
                p.code for p in self.kg.valid_primaries(code, self.as_of)) if known and known.is_add_on else frozenset()
        return self.primaries[code]

    def orphans(self, drafts: Sequence[_Draft]) -> list[_Draft]:
        """Add-on drafts with none of their valid primaries among ``drafts`` (once they are gone, too).

        An add-on for which the graph lists no primary at all is not judged here.
        """
        kept, gone = list(drafts), []
        while True:
            codes = {d.code for d in kept}
            lost = [d for d in kept if self.valid_primaries(d.code) and not self.valid_primaries(d.code) & codes]
            if not lost:
                return gone
            gone += lost
            kept = [d for d in kept if d not in lost]

    def drop_orphans(self, start: int = 0) -> None:
        """Remove the add-ons coded since ``start`` that have no valid primary beside them, each with a finding."""
        for draft in self.orphans(self.drafts[start:]):
            self.drafts.remove(draft)
            self.once = {code: held for code, held in self.once.items() if held is not draft}
            primaries = sorted(self.valid_primaries(draft.code))
            self.find("ADDON_WITHOUT_PRIMARY",
                      f"{draft.code} for administrations {_and(draft.ids)} needs one of {_and(primaries)} beside it",
                      codes=[draft.code], path=self.kg.add_on_edges(draft.code, self.as_of))

    def check_flags(self, services: Sequence[_Service], flagged: Sequence[_Service]) -> None:
        if self.encounter.perspective is not Perspective.PHYSICIAN:
            return
        flagged_ids = [a.id for a in self.encounter.administrations if a.primary_reason]
        if len(flagged_ids) > 1:
            self.find("MULTIPLE_PRIMARY_REASONS", f"administrations {_and(flagged_ids)} are all flagged")
        if flagged_ids and not flagged:
            self.find("PRIMARY_REASON_NOT_CODED", f"administration {_and(flagged_ids)} could not be coded")

    # ------------------------------------------------------------------ step 5: code each site
    def code_site(self, site_services: Sequence[_Service], initial: _Service, separate_site: bool) -> None:
        initial_code = self.code_initial(initial, separate_site, len(site_services))
        infusions: list[_Service] = [initial] if initial.time_based and not initial.fluid else []
        rest = sorted((s for s in site_services if s is not initial), key=lambda s: (s.start, s.index))
        for service in rest:
            if service.fluid:
                self.code_secondary_hydration(service, initial_code)
            elif service.time_based:
                running = [o for o in infusions if intervals_overlap(service.intervals, o.intervals)]
                infusions.append(service)
                if running:
                    self.code_concurrent(service, running)
                else:
                    self.code_sequential(service)
            elif self.rules.mode_names.get(service.items[0].mode) == _PUSH_MODE:
                self.code_push(service)
            else:
                self.code_injection(service)

    def discontinued_modifiers(self, service: _Service) -> list[str]:
        code = self.modifier(_DISCONTINUED) if service.discontinued else None
        return [code] if code else []

    def ran(self, service: _Service) -> str:
        if service.time_based:
            return f"{service.substance} ran {self.when(service.intervals)} ({service.minutes} min)"
        return f"{service.substance} given {self.when(service.intervals)}"

    def code_initial(self, service: _Service, separate_site: bool, services_on_site: int) -> str | None:
        rule = self.rule_for(service, _INITIAL)
        if self.rules.mode_names.get(service.items[0].mode) == _PUSH_MODE:
            self.last_push[service.substance_key] = service.stop
        if rule is None:
            return None
        if service.flagged and self.encounter.perspective is Perspective.PHYSICIAN:
            why = "flagged as the primary reason for the encounter"
        elif services_on_site > 1:
            why = "the highest in the hierarchy on this access"
        else:
            why = "the only service on this access"
        what = f"{service.minutes} min of hydration on its own, " if service.fluid else ""
        rationale = f"{self.ran(service)}: {what}{service.kind.label}, {why}: initial service"
        modifiers = self.discontinued_modifiers(service)
        if separate_site:
            site_modifier = self.modifier(_SEPARATE_SITE)
            if site_modifier:
                modifiers.append(site_modifier)
            where = (f"{self.rules.label(service.access[1])}, {service.site_label}" if service.on_line
                     else f"{service.kind.label} given outside any line, {service.site_label}")
            rationale += f"; through a separate access ({where}), so a second initial service"
            if site_modifier:
                rationale += f" marked {site_modifier}"
        self.add(rule, 1, service, rationale, modifiers)
        if service.time_based:
            self.code_additional_hours(service, rule.code or "")
        return rule.code

    def code_additional_hours(self, service: _Service, first_hour_code: str) -> None:
        candidates = self.rules.code_rules(service.kind, _ADDITIONAL_HOUR)
        # The time counting comes from the rule of this perspective, else from any rule, so that
        # extra hours another perspective would report still produce a finding here.
        timing = next((r for r in candidates if r.applies_to(self.perspective)), candidates[0] if candidates else None)
        if timing is None or timing.unit_minutes is None:
            return
        margin = timing.margin_minutes or 0
        units = count_units(service.minutes, timing.unit_minutes, margin, timing.count_from or 0)
        if units == 0:
            return
        rule = self.rule_for(service, _ADDITIONAL_HOUR)
        if rule is None:
            return
        rationale = (f"{service.substance} ran {service.minutes} min in all: the first hour is reported with "
                     f"{first_hour_code}; {_plural(units, 'additional hour')}, each counted once the time passes "
                     f"the hour by more than {margin} min")
        self.add(rule, units, service, rationale)

    def code_sequential(self, service: _Service) -> None:
        rule = self.rule_for(service, _SEQUENTIAL)
        if rule is None:
            return
        rationale = (f"{self.ran(service)} through the same access without overlapping another infusion: "
                     "sequential infusion of a new substance, reported once for it")
        self.add(rule, 1, service, rationale, self.discontinued_modifiers(service))
        self.code_additional_hours(service, rule.code or "")

    def code_concurrent(self, service: _Service, running: Sequence[_Service]) -> None:
        rule = self.rule_for(service, _CONCURRENT)
        if rule is None:
            return
        others = _and([o.substance for o in running])
        verb = "was" if len(running) == 1 else "were"
        clause = f"{service.substance} ran {self.when(service.intervals)} while {others} {verb} running"
        held = self.once.get(rule.code or "") if rule.once_per_encounter else None
        if held is not None:
            held.ids.extend(service.ids)
            held.rationale.append(f"{clause}: covered by the same line")
            return
        tail = "concurrent, reported once per encounter" if rule.once_per_encounter else "concurrent infusion"
        draft = self.add(rule, 1, service, f"{clause}: {tail}", self.discontinued_modifiers(service))
        if rule.once_per_encounter:
            self.once[rule.code or ""] = draft

    def code_push(self, service: _Service) -> None:
        key = service.substance_key
        earlier = self.last_push.get(key)
        self.last_push[key] = service.stop
        if earlier is None:
            rule = self.rule_for(service, _ADDITIONAL_PUSH)
            if rule is not None:
                self.add(rule, 1, service, f"{self.ran(service)}: a new substance pushed besides the initial service: "
                                           "additional push", self.discontinued_modifiers(service))
            return
        gap = whole_minutes(earlier, service.start)
        rule = self.rule_for(service, _REPEAT_PUSH)
        if rule is None:
            return
        if rule.minimum_gap is not None and gap < rule.minimum_gap:
            self.find("REPEAT_PUSH_TOO_SOON", f"{service.substance} ({_and(service.ids)}) pushed again {gap} min after "
                                              f"the earlier push ended; at least {rule.minimum_gap} needed",
                      codes=[rule.code or ""], sources=rule.sources)
            return
        owners = _and(sorted(p.lower() for p in rule.perspectives)) if rule.perspectives else ""
        limited = f", reported by the {owners} only" if owners else ""
        self.add(rule, 1, service, f"{self.ran(service)}, {gap} min after the earlier push of it ended: "
                                   f"the same substance pushed again{limited}", self.discontinued_modifiers(service))

    def code_injection(self, service: _Service) -> None:
        rule = self.rule_for(service, _ADDITIONAL_INJECTION)
        if rule is None:
            return
        modifiers = self.discontinued_modifiers(service)
        rationale = f"{self.ran(service)}: a further injection, reported on its own"
        site_modifier = self.modifier(_SEPARATE_SITE) if rule.appends_separate_site else None
        if site_modifier:
            modifiers.append(site_modifier)
            rationale += f"; not given through the infusion line, so marked {site_modifier}"
        self.add(rule, 1, service, rationale, modifiers)

    def code_secondary_hydration(self, service: _Service, initial_code: str | None) -> None:
        rule = self.rule_for(service, _SECONDARY_HYDRATION)
        if rule is None or rule.unit_minutes is None:
            return
        units = count_units(service.minutes, rule.unit_minutes, rule.margin_minutes or 0, rule.count_from or 0)
        if units == 0:
            return
        after = f" ({initial_code})" if initial_code else ""
        rationale = (f"{service.substance} ran {self.when(service.intervals)}: {service.minutes} min of hydration on its "
                     f"own after a different initial service{after} through the same access: counted from its first "
                     f"hour, {_plural(units, 'unit')}")
        self.add(rule, units, service, rationale)

    # ------------------------------------------------------------------ step 7: limits and checks on the result
    def finish(self) -> list[CodedLine]:
        mue_notes = self.cap_to_mue()
        self.drop_orphans()  # a line the MUE removed may have been an add-on's only primary
        lines = [CodedLine(code=d.code, units=d.units, modifiers=tuple(_unique(d.modifiers)),
                           administrations=tuple(_unique(d.ids)), rationale="; ".join(d.rationale),
                           rule=d.rule.iri, sources=d.sources) for d in self.drafts]
        for code, detail, kept, sources in mue_notes:
            line = next((n for n, d in enumerate(self.drafts, start=1) if d is kept), None)
            self.find("MUE_EXCEEDED", detail, codes=[code], line=line, sources=sources)
        for number, line in enumerate(lines, start=1):
            site_modifier = self.modifier(_SEPARATE_SITE)
            if site_modifier and site_modifier in line.modifiers:
                rule = self.rules.modifier_rules[_SEPARATE_SITE]
                self.find("SEPARATE_SITE", f"{line.code}-{site_modifier} for administrations {_and(line.administrations)}",
                          codes=[line.code], line=number, sources=rule.sources)
            stop_modifier = self.modifier(_DISCONTINUED)
            if stop_modifier and stop_modifier in line.modifiers:
                rule = self.rules.modifier_rules[_DISCONTINUED]
                self.find("DISCONTINUED", f"{line.code}-{stop_modifier} for administrations {_and(line.administrations)}",
                          codes=[line.code], line=number, sources=rule.sources)
        for code in _unique(line.code for line in lines):
            guidance = self.kg.guidance(code, "documentation")
            if guidance:
                self.find("DOCUMENTATION", f"{code}: {' '.join(g.text for g in guidance)}", codes=[code],
                          sources=[s.iri for g in guidance for s in g.sources])
        return lines

    def cap_to_mue(self) -> list[tuple[str, str, _Draft | None, list[str]]]:
        """Cut the units of each code to the MUE of the claim type this perspective files.

        Units above an MUE are denied, so they are not reported; the finding keeps what was cut
        for an appeal. Per-line MUEs cut each line; per-date MUEs keep the earliest lines (the
        encounter's initial access comes first).

        Returns:
            One (code, detail, line kept or ``None``, source IRIs) per limit exceeded, for the
            findings written once the lines are numbered.
        """
        claim_type = self.rules.claim_types.get(self.perspective)
        if claim_type is None:
            return []
        notes: list[tuple[str, str, _Draft | None, list[str]]] = []
        for code in _unique(d.code for d in self.drafts):
            mue = self.kg.mue(code, claim_type, self.as_of)
            if mue is None:
                continue
            drafts = [d for d in self.drafts if d.code == code]
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
                self.drafts = [d for d in self.drafts if d.units > 0]
                where = "per date of service" if mue.per_date_of_service else "per line"
                detail = (f"{code}: {coded} units against a limit of {mue.max_units} {where} "
                          f"({claim_type.lower().replace('_', ' ')} claim): {mue.max_units} reported")
                if dropped:
                    detail += f"; not reported for administrations {_and([i for d in dropped for i in d.ids])}"
                kept = next((d for d in group if d.units > 0), None) if len(group) == 1 else None
                notes.append((code, detail, kept, [s.iri for s in mue.sources]))
        return notes


def code_encounter(kg: KnowledgeGraph, encounter: Encounter) -> EncounterCoding:
    """Code an infusion record: the lines to report and findings for everything else.

    Never raises on record-level problems (bad or missing times, combinations the graph
    has no rule for): those are findings. The encounter itself is validated when built
    (see :class:`~kg.encounter.model.Encounter`).

    Args:
        kg: the knowledge graph whose encounter rules and codes apply.
        encounter: the infusion record.

    Returns:
        The coded lines, in reporting order (the initial service first), and the findings.

    Raises:
        EncounterRulesError: the graph lacks a finding rule the coder needs (a data error).

    >>> from kg.graph import KnowledgeGraph
    >>> short = Encounter("FACILITY", None, [
    ...     Administration("s", "normal saline", "HYDRATION", "IV_INFUSION", "07:00", "07:20"),
    ...     Administration("m", "morphine", "THERAPEUTIC", "IV_PUSH", "07:15", "07:15")])
    >>> result = code_encounter(KnowledgeGraph.default(), short)
    >>> result.codes(), result.rules()
    ([('96374', 1)], ['HYDRATION_TOO_SHORT'])
    """
    rules = EncounterRules.of(kg, encounter.date)
    coder = _Coder(kg, rules, encounter)
    if not encounter.administrations:
        coder.find("EMPTY_RECORD", "")
        return EncounterCoding([], coder.findings)
    items = coder.time_and_classify()
    coder.check_push_overlaps(items)
    services = coder.build_services(items)
    if services:
        coder.code_accesses(services)
    else:
        coder.check_flags(services, [])
    lines = coder.finish()
    return EncounterCoding(lines, coder.findings)
