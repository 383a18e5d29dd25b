"""Domain objects the engine returns. Plain frozen dataclasses: no RDF, no GraphQL.

>>> Source(iri="x", title="t").confidence is None
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kg.enums import RelationKind, Severity

__all__ = [
    "Code",
    "Edge",
    "Finding",
    "Guidance",
    "Modifier",
    "ModifierRule",
    "Mue",
    "Payer",
    "PaymentStatus",
    "RelatedCode",
    "RelationKind",
    "Relationship",
    "Release",
    "Severity",
    "Source",
    "is_active",
]


def is_active(attrs: dict[str, Any], as_of: date) -> bool:
    """Whether a dated fact applies on ``as_of``: effective on or before it, ended after it.

    End dates are exclusive, as CMS publishes deletion dates: the fact no longer applies on
    the end date itself.

    >>> is_active({"effective": date(2020, 1, 1), "end": date(2021, 1, 1)}, date(2020, 6, 1))
    True
    >>> is_active({"effective": date(2020, 1, 1), "end": date(2021, 1, 1)}, date(2021, 1, 1))
    False
    >>> is_active({}, date(1999, 1, 1))
    True
    """
    effective = attrs.get("effective")
    if effective is not None and as_of < effective:
        return False
    end = attrs.get("end")
    return end is None or as_of < end


@dataclass(frozen=True, slots=True)
class Edge:
    """A raw edge of the runtime graph: source and target IRIs and the attribute dict."""

    source: str
    target: str
    attrs: dict[str, Any]

    @property
    def kind(self) -> str:
        return self.attrs["kind"]


@dataclass(frozen=True, slots=True)
class Source:
    """Where a fact comes from, and how far to trust it."""

    iri: str
    title: str
    publisher: str | None = None
    version: str | None = None
    quarter: str | None = None
    confidence: str | None = None
    confidence_rank: int = 0
    file_name: str | None = None
    sha256: str | None = None
    rows: int | None = None


@dataclass(frozen=True, slots=True)
class Code:
    """A billing code (CPT or HCPCS) with the project's own title.

    ``title_source`` says where the title comes from: ``CURATED`` (written by the project),
    ``CMS_SHORT_DESCRIPTOR`` (a public HCPCS Level II short descriptor from a CMS file),
    ``NOT_LICENSED`` (a neutral placeholder: the code's descriptor is licensed text the project
    does not ship) or ``NOT_PROVIDED`` (a neutral placeholder: the source file gave none).
    """

    iri: str
    code: str
    system: str
    title: str
    title_source: str = "CURATED"
    description: str | None = None
    family: str | None = None
    family_title: str | None = None
    is_add_on: bool = False
    synonyms: tuple[str, ...] = ()
    effective: date | None = None
    end: date | None = None


@dataclass(frozen=True, slots=True)
class Relationship:
    """A dated, sourced relationship between two codes."""

    kind: RelationKind
    from_code: Code
    to_code: Code
    effective: date | None = None
    end: date | None = None
    note: str | None = None
    sources: tuple[Source, ...] = ()
    iri: str | None = None
    modifier_indicator: int | None = None
    rationale: str | None = None
    edit_type: int | None = None


@dataclass(frozen=True, slots=True)
class RelatedCode:
    """A code reached from another, with its distance and the relationships walked."""

    code: Code
    depth: int
    path: tuple[Relationship, ...]


@dataclass(frozen=True, slots=True)
class Mue:
    """A medically unlikely edit: the most units of a code for a claim type."""

    code: str
    claim_type: str
    max_units: int
    adjudication: str | None
    per_date_of_service: bool
    rationale: str | None = None
    note: str | None = None
    effective: date | None = None
    end: date | None = None
    sources: tuple[Source, ...] = ()
    iri: str | None = None


@dataclass(frozen=True, slots=True)
class ModifierRule:
    """Whether a modifier may go on a code, and why."""

    modifier: str
    code: str
    applicability: str  # NOT_APPLICABLE, ALLOWED, ONLY_ON
    reason: str
    sources: tuple[Source, ...] = ()
    iri: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentStatus:
    """How one payment system treats a code (MPFS status and indicators, or OPPS status indicator)."""

    code: str
    payment_system: str
    status: str
    meaning: str
    payable: str  # always, never, conditional
    packaging: str  # none, always, conditional
    packaged_with: tuple[str, ...] = ()
    indicators: dict[str, str] = field(default_factory=dict)
    payment_rate: float | None = None
    effective: date | None = None
    end: date | None = None
    sources: tuple[Source, ...] = ()
    iri: str | None = None


@dataclass(frozen=True, slots=True)
class Modifier:
    """A claim-line modifier."""

    code: str
    title: str
    bypasses_ptp: bool = False
    marks_separate_site: bool = False
    sources: tuple[Source, ...] = ()
    iri: str | None = None


@dataclass(frozen=True, slots=True)
class Payer:
    """A payer, possibly built on a baseline payer whose rules it inherits."""

    id: str
    name: str
    description: str | None = None
    baseline: str | None = None
    sources: tuple[Source, ...] = ()
    iri: str | None = None


@dataclass(frozen=True, slots=True)
class Guidance:
    """A sourced statement about a code: documentation, denial risk or audit red flag."""

    kind: str
    text: str
    sources: tuple[Source, ...] = ()


@dataclass(frozen=True, slots=True)
class Release:
    """What data the graph serves: its version, when it was built, and from which sources."""

    version: str
    built_at: str
    layers: tuple[str, ...]
    sources: tuple[Source, ...]
    triples: int
    nodes: int
    edges: int


@dataclass(frozen=True, slots=True)
class Finding:
    """Something a check found, with the rule id, the sources and the edges that made it fire.

    ``line`` is the 1-based claim line (or ``None`` for the whole claim or encounter).
    """

    rule: str
    severity: Severity
    message: str
    codes: tuple[str, ...] = ()
    line: int | None = None
    sources: tuple[Source, ...] = ()
    path: tuple[Relationship, ...] = ()

    @classmethod
    def of(cls, rule: str, severity: Severity, message: str, codes: tuple[str, ...] = (), line: int | None = None,
           sources: tuple[Source, ...] = (), path: tuple[Relationship, ...] = ()) -> Finding:
        """The finding ``Finding(...)`` builds, without the frozen dataclass's ``__init__``.

        That ``__init__`` goes through ``object.__setattr__`` once per field (2.8 µs a finding);
        writing the slots directly takes a third of that, and a claim check builds a dozen
        findings or more. The arguments are taken as given, as ``__init__`` takes them.

        >>> Finding.of("NO_DATA", Severity.INFO, "m", ("96368",), 2) == Finding("NO_DATA", Severity.INFO, "m", ("96368",), 2)
        True
        """
        found = _new(cls)
        set_rule, set_severity, set_message, set_codes, set_line, set_sources, set_path = _FINDING_SLOTS
        set_rule(found, rule)
        set_severity(found, severity)
        set_message(found, message)
        set_codes(found, codes)
        set_line(found, line)
        set_sources(found, sources)
        set_path(found, path)
        return found


_new = object.__new__
#: The slot descriptors' setters of Finding's fields, in declaration order (see Finding.of).
_FINDING_SLOTS = tuple(vars(Finding)[name].__set__ for name in Finding.__dataclass_fields__)
