"""What every step of the encounter coder shares: the graph, its rules, the record and the findings.

The steps (:mod:`~kg.encounter.classify`, :mod:`~kg.encounter.services`,
:mod:`~kg.encounter.initial`, :mod:`~kg.encounter.addons`, :mod:`~kg.encounter.limits`,
:mod:`~kg.encounter.lines`) read the context and write findings into it; nothing else in it
changes while an encounter is coded.

>>> from kg.graph import KnowledgeGraph
>>> from kg.encounter.model import Encounter
>>> ctx = CodingContext.of(KnowledgeGraph.default(), Encounter("FACILITY", None, ()))
>>> ctx.find("EMPTY_RECORD", "")
>>> [f.rule for f in ctx.findings]
['EMPTY_RECORD']
>>> ctx.scratch().findings
[]
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TypeVar

from kg.encounter.model import Encounter, Perspective
from kg.encounter.rules import AdministrationKind, CodeRule, EncounterRules
from kg.encounter.timing import Interval
from kg.graph import KnowledgeGraph
from kg.model import Finding, Relationship, Severity

__all__ = [
    "ADDITIONAL_HOUR",
    "ADDITIONAL_INJECTION",
    "ADDITIONAL_PUMP",
    "ADDITIONAL_PUSH",
    "CONCURRENT",
    "DISCONTINUED",
    "INITIAL",
    "PUSH_MODE",
    "REPEAT_PUSH",
    "SECONDARY_HYDRATION",
    "SEPARATE_SITE",
    "SEQUENTIAL",
    "CodingContext",
    "join_and",
    "plural",
    "site_key",
    "substance_key",
    "unique",
]

# Names of coding roles and delivery modes: the vocabulary of the algorithm itself (what a
# step does), not knowledge; which code answers each role lives in the RDF rules.
INITIAL = "INITIAL"
ADDITIONAL_HOUR = "ADDITIONAL_HOUR"
SEQUENTIAL = "SEQUENTIAL"
CONCURRENT = "CONCURRENT"
ADDITIONAL_PUSH = "ADDITIONAL_PUSH"
REPEAT_PUSH = "REPEAT_PUSH"
ADDITIONAL_INJECTION = "ADDITIONAL_INJECTION"
ADDITIONAL_PUMP = "ADDITIONAL_PUMP"
SECONDARY_HYDRATION = "SECONDARY_HYDRATION"
SEPARATE_SITE = "SEPARATE_SITE"
DISCONTINUED = "DISCONTINUED"
PUSH_MODE = "PUSH"
_T = TypeVar("_T", bound=Hashable)


def unique(items: Iterable[_T]) -> list[_T]:
    """``items`` without repeats, in first-seen order."""
    return list(dict.fromkeys(items))


def site_key(site: str | None) -> str:
    """The comparable form of an access site name (``None`` and blank are the shared access)."""
    return (site or "").strip().casefold()


def substance_key(substance: str) -> str:
    """The comparable form of a substance name."""
    return " ".join(substance.casefold().split())


def join_and(words: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c`` (repeats dropped).

    >>> join_and(["x", "y", "x", "z"])
    'x, y and z'
    """
    words = unique(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def plural(n: int, word: str) -> str:
    """``1 unit``, ``2 units``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@dataclass(slots=True)
class CodingContext:
    """The graph, the rules of the encounter's date, the record, and the findings so far."""

    kg: KnowledgeGraph
    rules: EncounterRules
    encounter: Encounter
    findings: list[Finding] = field(default_factory=list)
    first_day: date | None = None
    primaries: dict[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, kg: KnowledgeGraph, encounter: Encounter) -> CodingContext:
        """A fresh context for coding ``encounter`` with the rules of its date."""
        return cls(kg, EncounterRules.of(kg, encounter.date), encounter)

    def scratch(self) -> CodingContext:
        """A copy whose findings go to a list of their own: for trial codings that are thrown away."""
        return replace(self, findings=[])

    @property
    def perspective(self) -> str:
        """The perspective's enum name."""
        return self.encounter.perspective.value

    @property
    def physician(self) -> bool:
        """Whether the physician codes the record."""
        return self.encounter.perspective is Perspective.PHYSICIAN

    @property
    def as_of(self) -> date | None:
        """The encounter date (``None``: today)."""
        return self.encounter.date

    def fmt(self, moment: datetime) -> str:
        """A time as shown in rationales and findings."""
        # Clock time alone on the encounter's day (or the first day timed); the date otherwise.
        if moment.date() == (self.encounter.date or self.first_day):
            return moment.strftime("%H:%M")
        return moment.strftime("%Y-%m-%d %H:%M")

    def when(self, intervals: Iterable[Interval]) -> str:
        """Intervals as shown in rationales and findings."""
        parts = [self.fmt(s) if s == e else f"{self.fmt(s)}-{self.fmt(e)}" for s, e in intervals]
        return join_and(parts)

    def find(self, rule_id: str, detail: str, codes: Iterable[str] = (), line: int | None = None,
             path: Sequence[Relationship] = (), sources: Iterable[str] = (), extra: str = "") -> None:
        """Record a finding of the encounter finding rule ``rule_id``, with the sources behind it.

        Raises:
            EncounterRulesError: the graph does not declare ``rule_id``.
        """
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
            codes=tuple(unique(codes)), line=line, sources=ordered, path=tuple(path),
        ))

    def modifier(self, role: str) -> str | None:
        """The modifier the rules append for ``role``, if any."""
        rule = self.rules.modifier_rules.get(role)
        return None if rule is None else rule.modifier

    def rule_for(self, kind: AdministrationKind, role: str, subject: str) -> CodeRule | None:
        """The rule answering ``role`` for ``kind`` in this perspective; a finding about ``subject`` when none."""
        rule = self.rules.code_rule(kind, role, self.perspective)
        if rule is not None and rule.code is not None and self.kg.code(rule.code, self.as_of) is not None:
            return rule
        role_label = self.rules.role_label(role)
        elsewhere = [r for r in self.rules.code_rules(kind, role) if not r.applies_to(self.perspective)]
        if rule is None and elsewhere:
            other = elsewhere[0]
            owners = join_and(sorted(p.lower() for p in other.perspectives))
            self.find("NOT_REPORTED_FOR_PERSPECTIVE",
                      f"{subject}: {other.code} ({role_label}) is reported by the "
                      f"{owners} only, so nothing is reported from the {self.perspective.lower()} perspective",
                      codes=[other.code or ""], sources=other.sources)
        elif rule is None:
            self.find("NO_DATA", f"{subject}: no {role_label} code for a {kind.label}")
        else:
            self.find("NO_DATA", f"{subject}: the rule {rule.iri} names code {rule.code}, which the graph "
                                 "does not hold for this date", sources=rule.sources)
        return None

    def valid_primaries(self, code: str) -> frozenset[str]:
        """The primaries an add-on code may follow (empty for a code that is no add-on)."""
        if code not in self.primaries:
            known = self.kg.code(code, self.as_of)
            self.primaries[code] = frozenset(
                p.code for p in self.kg.valid_primaries(code, self.as_of)) if known and known.is_add_on else frozenset()
        return self.primaries[code]
