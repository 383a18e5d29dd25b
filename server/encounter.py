"""``codeEncounter``: an infusion record in, explained drug-administration codes out.

The input types mirror the contract; they are converted to :mod:`kg.encounter` dataclasses
and coded by :func:`kg.encounter.code_encounter`. Structurally bad input (a blank id, a
repeated id) is a client error; problems inside the record (``"25:99"``, a stop before the
start) come back as findings.

>>> [f.python_name for f in EncounterQuery.__strawberry_definition__.fields]
['code_encounter']
"""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry import UNSET, Info

from kg import encounter as engine
from server.context import count_findings, graph_of
from server.findings import Finding, findings_of
from server.limits import MAX_ADMINISTRATIONS, ClientError, check_range, check_text
from server.types import Source, sources_of

__all__ = ["AdministrationInput", "CodedLine", "EncounterCoding", "EncounterInput", "EncounterQuery"]

Perspective = strawberry.enum(engine.Perspective, name="Perspective", description="Whose claim is coded.")
SubstanceCategory = strawberry.enum(engine.SubstanceCategory, name="SubstanceCategory", description="What was given.")
Route = strawberry.enum(engine.Route, name="Route", description="How it was given.")
Pump = strawberry.enum(engine.Pump, name="Pump", description="The pump a prolonged infusion runs on.")


@strawberry.input(description="One line of the infusion record.")
class AdministrationInput:
    id: str
    substance: str
    category: SubstanceCategory | None = strawberry.field(  # type: ignore[valid-type]
        default=UNSET, description="What was given; may be omitted when hcpcs is given.")
    route: Route  # type: ignore[valid-type]
    start: str = strawberry.field(description='"HH:MM" on the encounter date, or an ISO date-time.')
    stop: str = strawberry.field(description='"HH:MM" on the encounter date, or an ISO date-time.')
    site: str | None = strawberry.field(default=UNSET, description="Access site; omitted = the shared access.")
    primary_reason: bool | None = strawberry.field(
        default=False, description="Physician perspective: the reason for the encounter (its initial code).")
    discontinued: bool | None = strawberry.field(
        default=False, description="Stopped early: coded as intended, with the discontinued modifier.")
    hcpcs: str | None = strawberry.field(
        default=UNSET, description="The drug's HCPCS code: its category then comes from the graph.")
    pump: Pump | None = strawberry.field(  # type: ignore[valid-type]
        default=UNSET, description="The pump a prolonged infusion was started on, or the pump refilled.")
    refill: bool | None = strawberry.field(default=False, description="The visit refilled the pump (needs pump).")

    def to_model(self) -> engine.Administration:
        """The engine's administration (raises ``EncounterInputError`` on blank fields)."""
        site = self.site or None  # UNSET (omitted) and null both mean the shared access
        for name in ("id", "substance", "start", "stop"):
            check_text(getattr(self, name), name)
        if site is not None:
            check_text(site, "site")
        hcpcs = self.hcpcs or None
        if hcpcs is not None:
            check_text(hcpcs, "hcpcs")
        return engine.Administration(
            id=self.id, substance=self.substance, category=self.category or None, route=self.route,
            start=self.start, stop=self.stop, site=site,
            primary_reason=bool(self.primary_reason), discontinued=bool(self.discontinued),
            hcpcs=hcpcs, pump=self.pump or None, refill=bool(self.refill))


@strawberry.input(description="An infusion record to code.")
class EncounterInput:
    perspective: Perspective  # type: ignore[valid-type]
    date: date | None = UNSET
    administrations: list[AdministrationInput]

    def to_model(self) -> engine.Encounter:
        """The engine's encounter; a structural problem becomes a :class:`ClientError`."""
        check_range(len(self.administrations), "administrations (count)", 0, MAX_ADMINISTRATIONS)
        try:
            return engine.Encounter(perspective=self.perspective, date=self.date or None,
                                    administrations=tuple(a.to_model() for a in self.administrations))
        except engine.EncounterInputError as err:
            raise ClientError(f"invalid encounter: {err}") from None


@strawberry.type(description="One coded line: code, units, modifiers, the administrations it covers and why.")
class CodedLine:
    model: strawberry.Private[engine.CodedLine]

    @strawberry.field(description="The code to report.")
    def code(self) -> str:
        return self.model.code

    @strawberry.field(description="Units.")
    def units(self) -> int:
        return self.model.units

    @strawberry.field(description="Modifiers to append (e.g. the separate-site modifier).")
    def modifiers(self) -> list[str]:
        return list(self.model.modifiers)

    @strawberry.field(description="Ids of the administrations this line covers.")
    def administrations(self) -> list[str]:
        return list(self.model.administrations)

    @strawberry.field(description="Why this code, in words a coder can check against the record.")
    def rationale(self) -> str:
        return self.model.rationale

    @strawberry.field(description="IRI of the encounter rule that produced the code.")
    def rule(self) -> str | None:
        return self.model.rule

    @strawberry.field(description="Sources behind the rule, strongest first.")
    def sources(self) -> list[Source]:
        return sources_of(self.model.sources)


@strawberry.type(description="The codes an infusion record supports, and findings for what could not be coded.")
class EncounterCoding:
    model: strawberry.Private[engine.EncounterCoding]

    @strawberry.field(description="Lines to report, in order.")
    def lines(self) -> list[CodedLine]:
        return [CodedLine(model=line) for line in self.model.lines]

    @strawberry.field(description="What needs attention: uncodable administrations, documentation, disagreeing sources.")
    def findings(self) -> list[Finding]:
        return findings_of(self.model.findings)


@strawberry.type
class EncounterQuery:
    """The encounter coder's root field; merged into ``Query`` by :func:`server.schema.build_schema`."""

    @strawberry.field(description="Code an infusion record: initial, sequential, concurrent, push and additional-hour codes.")
    def code_encounter(self, info: Info, encounter: EncounterInput) -> EncounterCoding:
        coding = engine.code_encounter(graph_of(info), encounter.to_model())
        count_findings(info, (f.rule for f in coding.findings))
        return EncounterCoding(model=coding)
