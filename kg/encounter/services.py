"""Step 3 of the encounter coder: group the classified administrations into services.

A service is what one code describes, on one access: its site and the line its delivery mode
runs through (``ck:accessLine``: an intravenous line, a subcutaneous set; injections use none
and form an access of their own per site). Infusions of one substance through one access are
one service (their time is the union of their intervals); hydration through one access is one
service whose time excludes every minute a drug infusion was running; pushes and injections
stand alone. Hydration below its minimum is not reported (a finding says why).

>>> from kg.graph import KnowledgeGraph
>>> from kg.encounter.classify import time_and_classify
>>> from kg.encounter.context import CodingContext
>>> from kg.encounter.model import Administration, Encounter
>>> ctx = CodingContext.of(KnowledgeGraph.default(), Encounter("FACILITY", None, [
...     Administration("a", "iron", "THERAPEUTIC", "IV_INFUSION", "09:00", "09:40"),
...     Administration("b", "iron", "THERAPEUTIC", "IV_INFUSION", "10:00", "10:30"),
...     Administration("c", "saline", "HYDRATION", "IV_INFUSION", "09:00", "09:50")]))
>>> [(s.substance, s.minutes) for s in build_services(ctx, time_and_classify(ctx))]
[('iron', 70)]
>>> [f.rule for f in ctx.findings]
['HYDRATION_CONCURRENT']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from kg.encounter.classify import Item
from kg.encounter.context import CONCURRENT, INITIAL, CodingContext, join_and, site_key, substance_key
from kg.encounter.rules import AdministrationKind
from kg.encounter.timing import Interval, intervals_overlap, subtract, total_minutes, union
from kg.model import RelationKind, Relationship

__all__ = ["Access", "Service", "access_of", "build_services", "concurrent_hydration_evidence"]

Access = tuple[str, str]
"""An access: the site key and the access line IRI ("" for none)."""


@dataclass(slots=True)
class Service:
    """What one code describes: a substance infused through one access, one push, or hydration."""

    kind: AdministrationKind
    access: Access
    items: list[Item]
    intervals: list[Interval]
    minutes: int
    time_based: bool
    fluid: bool
    concurrent_minutes: int = 0

    @property
    def start(self) -> datetime:
        """When the service began."""
        return min(i.start for i in self.items)

    @property
    def stop(self) -> datetime:
        """When the service ended."""
        return max(i.stop for i in self.items)

    @property
    def index(self) -> int:
        """The record position of its first administration."""
        return min(i.index for i in self.items)

    @property
    def ids(self) -> list[str]:
        """The administration ids it covers."""
        return [i.adm.id for i in self.items]

    @property
    def substance(self) -> str:
        """The substances, as the record names them."""
        return join_and([i.adm.substance.strip() for i in self.items])

    @property
    def substance_key(self) -> str:
        """The comparable substance name."""
        return substance_key(self.items[0].adm.substance)

    @property
    def subject(self) -> str:
        """The service as named in findings: substance and administration ids."""
        return f"{self.substance} ({join_and(self.ids)})"

    @property
    def flagged(self) -> bool:
        """Whether the physician flagged it as the primary reason."""
        return any(i.adm.primary_reason for i in self.items)

    @property
    def discontinued(self) -> bool:
        """Whether it was stopped early."""
        return any(i.adm.discontinued for i in self.items)

    @property
    def mode(self) -> str:
        """The delivery mode IRI."""
        return self.items[0].mode

    @property
    def on_line(self) -> bool:
        """Whether the service runs through an access line (not an injection)."""
        return bool(self.access[1])

    @property
    def site(self) -> str:
        """The comparable site name of the service."""
        return site_key(self.items[0].adm.site)

    @property
    def site_label(self) -> str:
        """The access site as named in rationales."""
        named = self.items[0].adm.site
        return f"site {named.strip()!r}" if named and named.strip() else "no site named"

    def hierarchy_key(self) -> tuple[int, datetime, int]:
        """Sort key: highest rank first, then earliest start, then record order."""
        return (-self.kind.rank, self.start, self.index)


def access_of(ctx: CodingContext, item: Item) -> Access:
    """The access of an administration: its site and the line its delivery mode runs through.

    Every site of a line whose sites share one access (``ck:sitesShareAccess``) is the same access.
    """
    line = ctx.rules.access_line(item.mode) or ""
    return ("" if line in ctx.rules.shared_site_lines else site_key(item.adm.site)), line


def _split_dose(service: Service, item: Item) -> bool:
    """Whether ``item`` is more of the same injection: one substance given at the same time
    outside any line (a dose split over syringes or sites is one injection service)."""
    first = service.items[0]
    return (not service.on_line and not service.time_based and service.kind.iri == item.kind.iri
            and service.substance_key == substance_key(item.adm.substance)
            and first.start <= item.start <= max(first.stop, first.start))


def build_services(ctx: CodingContext, items: Sequence[Item]) -> list[Service]:
    """The services of the classified administrations, in clock order."""
    rules = ctx.rules
    fluid = [i for i in items if rules.is_fluid(i.category)]
    drugs = [i for i in items if not rules.is_fluid(i.category)]
    services: list[Service] = []
    grouped: dict[tuple[Access, str, str, str], list[Item]] = {}
    for item in drugs:
        if rules.is_time_based(item.mode):
            key = (access_of(ctx, item), site_key(item.adm.site), substance_key(item.adm.substance), item.kind.iri)
            grouped.setdefault(key, []).append(item)
            continue
        access = access_of(ctx, item)
        same = next((s for s in services if not access[1] and _split_dose(s, item)), None)
        if same is not None:
            same.items.append(item)
            continue
        services.append(Service(item.kind, access, [item], [item.interval], item.minutes, time_based=False,
                                fluid=False))
    for (access, _, _, _), group in grouped.items():
        spans = union(i.interval for i in group)
        services.append(Service(group[0].kind, access, group, spans, total_minutes(spans), time_based=True,
                                fluid=False))
    drug_infusions = [i for i in drugs if rules.is_time_based(i.mode)]
    by_access: dict[Access, list[Item]] = {}
    for item in fluid:
        by_access.setdefault(access_of(ctx, item), []).append(item)
    for access, group in by_access.items():
        service = _hydration_service(ctx, access, group, drug_infusions)
        if service is not None:
            services.append(service)
    return sorted(services, key=lambda s: (s.start, s.index))


def _hydration_service(ctx: CodingContext, access: Access, group: list[Item],
                       drug_infusions: Sequence[Item]) -> Service | None:
    """One hydration service per access; its time excludes every minute a drug infusion ran."""
    spans = union(i.interval for i in group)
    alongside = [d for d in drug_infusions if intervals_overlap(spans, [d.interval])]
    own = subtract(spans, (d.interval for d in alongside))
    minutes, total = total_minutes(own), total_minutes(spans)
    service = Service(group[0].kind, access, group, own, minutes, time_based=True, fluid=True,
                      concurrent_minutes=total - minutes)
    minimum = service.kind.minimum_minutes or 0
    reportable = minutes >= minimum
    subject = f"{service.subject} ran {ctx.when(spans)}"
    if alongside and service.concurrent_minutes > 0:
        if reportable:
            outcome = f"{minutes} min on its own are counted"
        elif minutes == 0:
            outcome = "none of it ran on its own, so it is not reported"
        else:
            outcome = f"the {minutes} min on its own are under the {minimum} min minimum, so it is not reported"
        detail = (f"{subject} while {join_and([d.adm.substance.strip() for d in alongside])} "
                  f"{'was' if len(alongside) == 1 else 'were'} running: {service.concurrent_minutes} of its "
                  f"{total} min ran alongside; {outcome}")
        path, extra = concurrent_hydration_evidence(ctx, service.kind, [d.kind for d in alongside])
        hydration_rule = ctx.rules.code_rule(service.kind, INITIAL, ctx.perspective)
        codes = [hydration_rule.code] if hydration_rule and hydration_rule.code else []
        codes += [r.to_code.code for r in path]
        ctx.find("HYDRATION_CONCURRENT", detail, codes=codes, path=path, extra=extra)
    elif not reportable:
        ctx.find("HYDRATION_TOO_SHORT", f"{subject}: {minutes} min, at least {minimum} needed")
    return service if reportable else None


def concurrent_hydration_evidence(ctx: CodingContext, hydration: AdministrationKind,
                                  drug_kinds: Sequence[AdministrationKind]) -> tuple[list[Relationship], str]:
    """The graph edges behind "concurrent hydration is not reported", and any source that disagrees."""
    kg, rules = ctx.kg, ctx.rules
    hydration_rule = rules.code_rule(hydration, INITIAL, ctx.perspective)
    if hydration_rule is None or hydration_rule.code is None or kg.code_iri(hydration_rule.code) is None:
        return [], ""
    drug_codes = {r.code for k in drug_kinds for r in rules.code_rules(k, INITIAL) if r.code}
    concurrent_codes = rules.codes_of_role(CONCURRENT)
    packaged = [r for r in kg.relationships(hydration_rule.code, [RelationKind.PACKAGED_UNDER], ctx.as_of)
                if r.from_code.code == hydration_rule.code and r.to_code.code in drug_codes]
    disagree = [r for r in kg.relationships(hydration_rule.code, [RelationKind.ALTERNATIVE_TO], ctx.as_of)
                if r.from_code.code == hydration_rule.code and r.to_code.code in concurrent_codes]
    extra = ""
    for alt in disagree:
        extra += (f" Sources disagree: {join_and([s.title for s in alt.sources])} would report it as "
                  f"{alt.to_code.code} ({alt.note or 'no note'}).")
        if packaged:
            extra += (f" Followed here: {join_and([s.title for p in packaged for s in p.sources])}: "
                      f"{packaged[0].note or ''}")
    return [*packaged, *disagree], extra
