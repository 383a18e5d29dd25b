"""What the encounter coder reads and returns: the infusion record and the coded lines.

The field names mirror the GraphQL contract (``EncounterInput``, ``AdministrationInput``,
``EncounterCoding``, ``CodedLine``). Structurally bad input (an unknown category, route or
perspective, a blank id, a repeated id) cannot be built: it raises
:class:`EncounterInputError`. Problems inside a well-formed record (a stop time of
``"25:99"``, a stop before the start) are reported as findings by the coder instead.

>>> a = Administration("a", "ondansetron", "THERAPEUTIC", "IV_INFUSION", "09:00", "09:30")
>>> a.category, a.route
(<SubstanceCategory.THERAPEUTIC: 'THERAPEUTIC'>, <Route.IV_INFUSION: 'IV_INFUSION'>)
>>> Encounter("FACILITY", None, [a]).administrations[0].id
'a'
>>> Administration("b", "x", "CHEMO", "IV_PUSH", "09:00", "09:05")
Traceback (most recent call last):
...
kg.encounter.model.EncounterInputError: category: 'CHEMO' is not one of CHEMOTHERAPY, THERAPEUTIC, HYDRATION
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TypeVar

from kg.enums import Perspective, Pump, Route, SubstanceCategory
from kg.model import Finding, Source

__all__ = [
    "Administration",
    "CodedLine",
    "Encounter",
    "EncounterCoding",
    "EncounterInputError",
    "Perspective",
    "Pump",
    "Route",
    "SubstanceCategory",
]


class EncounterInputError(ValueError):
    """The encounter is structurally invalid (unknown enum value, blank or repeated id, bad date)."""


_E = TypeVar("_E", bound=StrEnum)


def _enum(kind: type[_E], value: object, name: str) -> _E:
    if isinstance(value, kind):
        return value
    try:
        return kind(str(value))
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        shown = repr(value) if not isinstance(value, str) or len(value) <= 40 else repr(value[:40] + "…")
        raise EncounterInputError(f"{name}: {shown} is not one of {allowed}") from None


@dataclass(frozen=True, slots=True)
class Administration:
    """One line of the infusion record.

    Args:
        id: the record's identifier for this administration (unique in the encounter).
        substance: what was given; several drugs mixed in one bag are one substance.
        category: ``CHEMOTHERAPY``, ``THERAPEUTIC`` or ``HYDRATION``; may be ``None`` when
            ``hcpcs`` is given.
        route: ``IV_INFUSION``, ``IV_PUSH``, ``SUBCUTANEOUS_INFUSION`` or ``INJECTION``.
        start: ``"HH:MM"`` (on the encounter date) or an ISO date-time.
        stop: as ``start``.
        site: the access site; ``None`` is the encounter's shared access.
        primary_reason: physician perspective: this is why the patient came.
        discontinued: stopped early: coded as intended, with the discontinued modifier.
        hcpcs: the drug's HCPCS code; its category then comes from the graph.
        pump: the pump a prolonged infusion was started on (``PORTABLE``, ``IMPLANTABLE``,
            ``PRACTICE_SUPPLIED``), or the pump refilled.
        refill: the visit refilled the pump rather than starting an infusion (needs ``pump``).

    Raises:
        EncounterInputError: blank id or substance, unknown category or route, neither a
            category nor a drug code, a drug code that is not a string.
    """

    id: str
    substance: str
    category: SubstanceCategory | None
    route: Route
    start: str | None
    stop: str | None
    site: str | None = None
    primary_reason: bool = False
    discontinued: bool = False
    hcpcs: str | None = None
    pump: Pump | None = None
    refill: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise EncounterInputError("id: must be a non-blank string")
        if not isinstance(self.substance, str) or not self.substance.strip():
            raise EncounterInputError(f"administration {self.id!r}: substance must be a non-blank string")
        if self.hcpcs is not None and (not isinstance(self.hcpcs, str) or not self.hcpcs.strip()):
            raise EncounterInputError(f"administration {self.id!r}: hcpcs must be a non-blank string or null")
        if self.category is None:
            if self.hcpcs is None:
                raise EncounterInputError(f"administration {self.id!r}: give a category or the drug's hcpcs code")
        else:
            object.__setattr__(self, "category", _enum(SubstanceCategory, self.category, "category"))
        object.__setattr__(self, "route", _enum(Route, self.route, "route"))
        if self.pump is not None:
            object.__setattr__(self, "pump", _enum(Pump, self.pump, "pump"))
        if self.refill and self.pump is None:
            raise EncounterInputError(f"administration {self.id!r}: a refill needs the pump refilled")
        for name in ("start", "stop", "site"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise EncounterInputError(f"administration {self.id!r}: {name} must be a string")


@dataclass(frozen=True, slots=True)
class Encounter:
    """An infusion record: who codes it, the date, and the administrations.

    Raises:
        EncounterInputError: unknown perspective, a date that is not a ``datetime.date``,
            or two administrations with the same id.
    """

    perspective: Perspective
    date: date | None = None
    administrations: tuple[Administration, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "perspective", _enum(Perspective, self.perspective, "perspective"))
        if self.date is not None and not isinstance(self.date, date):
            raise EncounterInputError("date: must be a date (yyyy-mm-dd)")
        administrations = tuple(self.administrations)
        seen: set[str] = set()
        for adm in administrations:
            if not isinstance(adm, Administration):
                raise EncounterInputError("administrations: every item must be an Administration")
            if adm.id in seen:
                raise EncounterInputError(f"administrations: id {adm.id!r} is used twice")
            seen.add(adm.id)
        object.__setattr__(self, "administrations", administrations)


@dataclass(frozen=True, slots=True)
class CodedLine:
    """One coded line: the code, its units and modifiers, what it covers and why.

    ``rule`` is the IRI of the encounter rule that produced the code and ``sources`` the
    sources behind it, strongest first.
    """

    code: str
    units: int
    modifiers: tuple[str, ...]
    administrations: tuple[str, ...]
    rationale: str
    rule: str | None = None
    sources: tuple[Source, ...] = ()


@dataclass(frozen=True, slots=True)
class EncounterCoding:
    """The coder's answer: the lines to report and the findings that explain the rest."""

    lines: list[CodedLine] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def codes(self) -> list[tuple[str, int]]:
        """``(code, units)`` per line, in order: a compact view for tests and logs."""
        return [(line.code, line.units) for line in self.lines]

    def rules(self) -> list[str]:
        """The rule ids of the findings, in order."""
        return [f.rule for f in self.findings]

