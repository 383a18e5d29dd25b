"""GraphQL output types: thin wrappers over the engine's domain objects.

Each type holds the frozen dataclass from :mod:`kg.model` in a ``strawberry.Private`` field and
is built with a ``from_model`` classmethod. Fields only rename and convert; anything that needs
the graph calls one :class:`~kg.graph.KnowledgeGraph` method. Fields of a :class:`Code` that read
dated facts take ``asOf``; when it is omitted they use the date the code itself was asked for,
so ``code(code: "…", asOf: "2020-01-01") { validPrimaries { code } }`` is consistent throughout.

Other modules (claim checks, the encounter coder) import :class:`Code`, :class:`Relationship`,
:class:`Source` and the enums from here.

>>> from kg.graph import KnowledgeGraph
>>> Code.from_model(KnowledgeGraph.default().code("96368")).is_add_on()
True
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import Enum

import strawberry
from strawberry import UNSET, Info

from kg import model as domain
from kg.enums import ClaimType, RelationKind
from server.context import graph_of
from server.limits import DEFAULT_FIRST, MAX_FIRST, MAX_RELATED, MAX_RELATED_DEPTH, check_range, spend_traversal

__all__ = [
    "ClaimType",
    "Code",
    "Guidance",
    "Indicator",
    "Modifier",
    "ModifierRule",
    "Mue",
    "Payer",
    "PaymentStatus",
    "RelatedCode",
    "RelationKind",
    "Relationship",
    "Release",
    "Source",
    "TitleSource",
    "codes_of",
    "date_of",
    "first_of",
    "kinds_of",
    "relationships_of",
    "sources_of",
]

# The engine's enum (generated from the ontology) is the GraphQL enum.
strawberry.enum(
    RelationKind, description="Kinds of code-to-code relationship; `ADD_ON_OF` points from the add-on to its primary."
)


# The engine's enum, generated from the ontology (kg.enums), is the GraphQL enum: one list, not two.
strawberry.enum(ClaimType, name="ClaimType", description="The kind of claim a fact or check applies to.")


def date_of(value: date | None) -> date | None:
    """An ``asOf`` argument as the engine takes it: a date, or ``None`` (today) when omitted or null.

    Optional arguments default to ``strawberry.UNSET`` so that the SDL shows them without a
    default, exactly as the contract writes them.

    >>> date_of(UNSET) is None, date_of(date(2020, 1, 1))
    (True, datetime.date(2020, 1, 1))
    """
    return value or None


def kinds_of(kinds: list[domain.RelationKind] | None) -> list[domain.RelationKind] | None:
    """A ``kinds`` argument as the engine takes it: ``None`` (all kinds) when omitted or null.

    >>> kinds_of(UNSET) is None, kinds_of([])
    (True, [])
    """
    return None if kinds is None or kinds is UNSET else kinds


def first_of(first: int | None, default: int = DEFAULT_FIRST, most: int = MAX_FIRST) -> int:
    """A ``first`` argument checked against its maximum; ``default`` when null.

    Every nested list of codes takes ``first``, so that the cost of a query
    (:mod:`server.cost`) bounds what it returns.

    >>> first_of(None), first_of(5)
    (20, 5)
    """
    return check_range(default if first is None else first, "first", 0, most)


# The guidance kinds of ck:guidanceKind (see ontology/shapes.ttl), as the engine names them.
_DOCUMENTATION = "documentation"
_DENIAL_RISK = "denial-risk"
_AUDIT_RED_FLAG = "audit-red-flag"


@strawberry.enum(description="Where a code's title comes from.")
class TitleSource(Enum):
    """Where a code's title comes from."""

    CURATED = strawberry.enum_value("CURATED", description="Written by the project.")
    CMS_SHORT_DESCRIPTOR = strawberry.enum_value(
        "CMS_SHORT_DESCRIPTOR", description="A public HCPCS Level II short descriptor from a CMS file.")
    NOT_LICENSED = strawberry.enum_value(
        "NOT_LICENSED", description="A neutral placeholder: the descriptor is licensed text (CPT) the project does not ship.")
    NOT_PROVIDED = strawberry.enum_value("NOT_PROVIDED", description="A neutral placeholder: the source file gave no descriptor.")


@strawberry.type(description="Where a fact comes from, and how far to trust it.")
class Source:
    """A :class:`kg.model.Source`."""

    model: strawberry.Private[domain.Source]

    @classmethod
    def from_model(cls, source: domain.Source) -> Source:
        """Wrap a domain source."""
        return cls(model=source)

    @strawberry.field(description="The source node's IRI.")
    def iri(self) -> str:
        return self.model.iri

    @strawberry.field(description="Title of the publication or file.")
    def title(self) -> str:
        return self.model.title

    @strawberry.field(description="Who publishes it (e.g. CMS, AMA).")
    def publisher(self) -> str | None:
        return self.model.publisher

    @strawberry.field(description="Version or edition.")
    def version(self) -> str | None:
        return self.model.version

    @strawberry.field(description="Calendar quarter the data is for, e.g. 2026Q2.")
    def quarter(self) -> str | None:
        return self.model.quarter

    @strawberry.field(description="Confidence label: cms-file, cpt-guideline, secondary, ...")
    def confidence(self) -> str | None:
        return self.model.confidence

    @strawberry.field(description="Confidence rank: higher is more authoritative.")
    def confidence_rank(self) -> int:
        return self.model.confidence_rank

    @strawberry.field(description="For an imported file: its file name.")
    def file_name(self) -> str | None:
        return self.model.file_name

    @strawberry.field(description="For an imported file: its SHA-256 digest.")
    def sha256(self) -> str | None:
        return self.model.sha256

    @strawberry.field(description="For an imported file: how many rows were read.")
    def rows(self) -> int | None:
        return self.model.rows


def sources_of(sources: Iterable[domain.Source]) -> list[Source]:
    """Wrap domain sources.

    >>> sources_of([domain.Source(iri="x", title="t")])[0].title()
    't'
    """
    return [Source.from_model(s) for s in sources]


@strawberry.type(description="A billing code (CPT or HCPCS) with the project's own plain-language title.")
class Code:
    """A :class:`kg.model.Code`, plus the date it was asked for."""

    model: strawberry.Private[domain.Code]
    as_of: strawberry.Private[date | None] = None

    @classmethod
    def from_model(cls, code: domain.Code, as_of: date | None = None) -> Code:
        """Wrap a domain code.

        Args:
            code: the domain object.
            as_of: the date it was asked for; nested fields default to it.
        """
        return cls(model=code, as_of=as_of)

    def _day(self, as_of: date | None) -> date | None:
        # UNSET (omitted) and None are both falsy; a date never is.
        return as_of or self.as_of

    @strawberry.field(description="The code's notation as billed: five letters or digits (CPT or HCPCS Level II).")
    def code(self) -> str:
        return self.model.code

    @strawberry.field(description="The code's IRI in the graph.")
    def iri(self) -> str:
        return self.model.iri

    @strawberry.field(description="Code system: CPT or HCPCS.")
    def system(self) -> str:
        return self.model.system

    @strawberry.field(description="Short title: the project's own words, a public HCPCS short descriptor, or a neutral "
                      "placeholder when the descriptor is licensed or missing (see titleSource). Never a CPT descriptor.")
    def title(self) -> str:
        return self.model.title

    @strawberry.field(description="Where the title comes from.")
    def title_source(self) -> TitleSource:
        return TitleSource(self.model.title_source)

    @strawberry.field(description="Longer plain-language description.")
    def description(self) -> str | None:
        return self.model.description

    @strawberry.field(description="True when the code is only reported with a primary service.")
    def is_add_on(self) -> bool:
        return self.model.is_add_on

    @strawberry.field(description="Notation of the code family (the broader concept).")
    def family(self) -> str | None:
        return self.model.family

    @strawberry.field(description="Title of the code family.")
    def family_title(self) -> str | None:
        return self.model.family_title

    @strawberry.field(description="Other words the code is known by (searchable).")
    def synonyms(self) -> list[str]:
        return list(self.model.synonyms)

    @strawberry.field(description="First date the code is valid.")
    def effective(self) -> date | None:
        return self.model.effective

    @strawberry.field(description="Date the code was deleted (exclusive).")
    def end(self) -> date | None:
        return self.model.end

    @strawberry.field(description=f"For an add-on: the primary codes it may be reported with (the first `first`, ≤ {MAX_FIRST}).")
    def valid_primaries(self, info: Info, as_of: date | None = UNSET, first: int | None = DEFAULT_FIRST) -> list[Code]:
        count = first_of(first)
        day = self._day(as_of)
        return codes_of(graph_of(info).valid_primaries(self.model.code, day)[:count], day)

    @strawberry.field(
        description=f"For a primary: the add-on codes that may be reported with it (the first `first`, ≤ {MAX_FIRST})."
    )
    def add_ons(self, info: Info, as_of: date | None = UNSET, first: int | None = DEFAULT_FIRST) -> list[Code]:
        count = first_of(first)
        day = self._day(as_of)
        return codes_of(graph_of(info).add_ons(self.model.code, day)[:count], day)

    @strawberry.field(description="Medically unlikely edit for a claim type; null means the graph holds none (not 'no limit').")
    def mue(self, info: Info, claim_type: ClaimType | None = ClaimType.PROFESSIONAL, as_of: date | None = UNSET) -> Mue | None:
        kind = claim_type or ClaimType.PROFESSIONAL
        found = graph_of(info).mue(self.model.code, kind.value, self._day(as_of))
        return None if found is None else Mue.from_model(found)

    @strawberry.field(description=f"Relationships touching this code in either direction (the first `first`, ≤ {MAX_FIRST}).")
    def relationships(
        self, info: Info, kinds: list[RelationKind] | None = UNSET, as_of: date | None = UNSET, first: int | None = DEFAULT_FIRST
    ) -> list[Relationship]:
        count = first_of(first)
        day = self._day(as_of)
        return relationships_of(graph_of(info).relationships(self.model.code, kinds_of(kinds), day, first=count), day)

    @strawberry.field(
        description=f"Codes within `depth` relationship hops (0 to {MAX_RELATED_DEPTH}), nearest first, "
        f"each with the path that reaches it; the first `first` (≤ {MAX_RELATED})."
    )
    def related(
        self,
        info: Info,
        depth: int | None = 1,
        kinds: list[RelationKind] | None = UNSET,
        as_of: date | None = UNSET,
        first: int | None = DEFAULT_FIRST,
    ) -> list[RelatedCode]:
        # Queries run on execution threads (server.endpoint), so this walk does not hold up the event loop.
        hops = check_range(1 if depth is None else depth, "depth", 0, MAX_RELATED_DEPTH)
        count = first_of(first, most=MAX_RELATED)
        spend_traversal(info.context)
        day = self._day(as_of)
        found = graph_of(info).related(self.model.code, hops, kinds_of(kinds), day, count)
        return [RelatedCode.from_model(r, day) for r in found]

    @strawberry.field(description="Modifiers that may not (or may only) be appended to this code, with reasons.")
    def modifier_rules(self, info: Info, as_of: date | None = UNSET) -> list[ModifierRule]:
        return [ModifierRule.from_model(r) for r in graph_of(info).modifier_rules(self.model.code, self._day(as_of))]

    @strawberry.field(description="Status in each payment system (MPFS, OPPS), latest effective first per system.")
    def payment_statuses(self, info: Info, as_of: date | None = UNSET) -> list[PaymentStatus]:
        return [PaymentStatus.from_model(p) for p in graph_of(info).payment_statuses(self.model.code, self._day(as_of))]

    @strawberry.field(description="What the record must show to support this code.")
    def documentation(self, info: Info) -> list[str]:
        return [g.text for g in graph_of(info).guidance(self.model.code, _DOCUMENTATION)]

    @strawberry.field(description="Common reasons claims with this code are denied.")
    def denial_risks(self, info: Info) -> list[str]:
        return [g.text for g in graph_of(info).guidance(self.model.code, _DENIAL_RISK)]

    @strawberry.field(description="Patterns auditors look for with this code.")
    def audit_red_flags(self, info: Info) -> list[str]:
        return [g.text for g in graph_of(info).guidance(self.model.code, _AUDIT_RED_FLAG)]

    @strawberry.field(description="Every guidance statement about this code, each with its kind and sources.")
    def guidance(self, info: Info) -> list[Guidance]:
        return [Guidance.from_model(g) for g in graph_of(info).guidance(self.model.code)]

    @strawberry.field(description="Every source behind this code's facts and relationships.")
    def sources(self, info: Info, as_of: date | None = UNSET) -> list[Source]:
        return sources_of(graph_of(info).code_sources(self.model.code, self._day(as_of)))


def codes_of(codes: Iterable[domain.Code], as_of: date | None = None) -> list[Code]:
    """Wrap domain codes, all asked for on ``as_of``."""
    return [Code.from_model(c, as_of) for c in codes]


@strawberry.type(description="A dated, sourced relationship between two codes.")
class Relationship:
    """A :class:`kg.model.Relationship`."""

    model: strawberry.Private[domain.Relationship]
    as_of: strawberry.Private[date | None] = None

    @classmethod
    def from_model(cls, relationship: domain.Relationship, as_of: date | None = None) -> Relationship:
        """Wrap a domain relationship (``as_of`` is passed on to its codes)."""
        return cls(model=relationship, as_of=as_of)

    @strawberry.field(description="The kind of relationship.")
    def kind(self) -> RelationKind:
        return self.model.kind

    @strawberry.field(name="from", description="The code the relationship starts at (the add-on, the column-2 code, ...).")
    def from_(self) -> Code:
        return Code.from_model(self.model.from_code, self.as_of)

    @strawberry.field(description="The code the relationship points to (the primary, the column-1 code, ...).")
    def to(self) -> Code:
        return Code.from_model(self.model.to_code, self.as_of)

    @strawberry.field(description="First date the relationship applies.")
    def effective(self) -> date | None:
        return self.model.effective

    @strawberry.field(description="Date the relationship stops applying (exclusive, as CMS deletion dates).")
    def end(self) -> date | None:
        return self.model.end

    @strawberry.field(description="A note in the project's own words.")
    def note(self) -> str | None:
        return self.model.note

    @strawberry.field(description="The sources that state it.")
    def sources(self) -> list[Source]:
        return sources_of(self.model.sources)

    @strawberry.field(description="The relationship node's IRI, when it has one.")
    def iri(self) -> str | None:
        return self.model.iri

    @strawberry.field(description="NCCI PTP modifier indicator (0 never bypassed, 1 bypass allowed, 9 not applicable).")
    def modifier_indicator(self) -> int | None:
        return self.model.modifier_indicator

    @strawberry.field(description="Why the edit exists (e.g. the PTP edit rationale).")
    def rationale(self) -> str | None:
        return self.model.rationale

    @strawberry.field(description="CMS add-on edit type (1, 2 or 3).")
    def edit_type(self) -> int | None:
        return self.model.edit_type


def relationships_of(relationships: Iterable[domain.Relationship], as_of: date | None = None) -> list[Relationship]:
    """Wrap domain relationships."""
    return [Relationship.from_model(r, as_of) for r in relationships]


@strawberry.type(description="A code reached from another, with its distance and the relationships walked.")
class RelatedCode:
    """A :class:`kg.model.RelatedCode`."""

    model: strawberry.Private[domain.RelatedCode]
    as_of: strawberry.Private[date | None] = None

    @classmethod
    def from_model(cls, related: domain.RelatedCode, as_of: date | None = None) -> RelatedCode:
        """Wrap a domain related code."""
        return cls(model=related, as_of=as_of)

    @strawberry.field(description="The code reached.")
    def code(self) -> Code:
        return Code.from_model(self.model.code, self.as_of)

    @strawberry.field(description="How many relationships away it is.")
    def depth(self) -> int:
        return self.model.depth

    @strawberry.field(description="The relationships walked to reach it, in order.")
    def path(self) -> list[Relationship]:
        return relationships_of(self.model.path, self.as_of)


@strawberry.type(description="A medically unlikely edit: the most units of a code on one claim type.")
class Mue:
    """A :class:`kg.model.Mue`."""

    model: strawberry.Private[domain.Mue]

    @classmethod
    def from_model(cls, mue: domain.Mue) -> Mue:
        """Wrap a domain MUE."""
        return cls(model=mue)

    @strawberry.field(description="The code.")
    def code(self) -> str:
        return self.model.code

    @strawberry.field(description="The claim type the edit applies to.")
    def claim_type(self) -> ClaimType:
        return ClaimType(self.model.claim_type)

    @strawberry.field(description="Most units per line or date of service.")
    def max_units(self) -> int:
        return self.model.max_units

    @strawberry.field(description="MUE adjudication indicator: LINE, DATE_OF_SERVICE_POLICY, DATE_OF_SERVICE_CLINICAL.")
    def adjudication(self) -> str | None:
        return self.model.adjudication

    @strawberry.field(description="True when the limit counts every line of the date of service together.")
    def per_date_of_service(self) -> bool:
        return self.model.per_date_of_service

    @strawberry.field(description="CMS MUE rationale.")
    def rationale(self) -> str | None:
        return self.model.rationale

    @strawberry.field(description="A note in the project's own words.")
    def note(self) -> str | None:
        return self.model.note

    @strawberry.field(description="First date the edit applies.")
    def effective(self) -> date | None:
        return self.model.effective

    @strawberry.field(description="Date the edit stops applying (exclusive).")
    def end(self) -> date | None:
        return self.model.end

    @strawberry.field(description="The sources that state it.")
    def sources(self) -> list[Source]:
        return sources_of(self.model.sources)


@strawberry.type(description="Whether a modifier may be appended to a code, and why.")
class ModifierRule:
    """A :class:`kg.model.ModifierRule`."""

    model: strawberry.Private[domain.ModifierRule]

    @classmethod
    def from_model(cls, rule: domain.ModifierRule) -> ModifierRule:
        """Wrap a domain modifier rule."""
        return cls(model=rule)

    @strawberry.field(description="The modifier, e.g. 51.")
    def modifier(self) -> str:
        return self.model.modifier

    @strawberry.field(description="The code.")
    def code(self) -> str:
        return self.model.code

    @strawberry.field(description="NOT_APPLICABLE, ALLOWED or ONLY_ON.")
    def applicability(self) -> str:
        return self.model.applicability

    @strawberry.field(description="Why, in the project's own words.")
    def reason(self) -> str:
        return self.model.reason

    @strawberry.field(description="The sources that state it.")
    def sources(self) -> list[Source]:
        return sources_of(self.model.sources)


@strawberry.type(description="A named payment indicator and its value (e.g. globalDays = ZZZ).")
class Indicator:
    """One entry of :attr:`kg.model.PaymentStatus.indicators`."""

    name: str
    value: str


@strawberry.type(description="How one payment system treats a code.")
class PaymentStatus:
    """A :class:`kg.model.PaymentStatus`."""

    model: strawberry.Private[domain.PaymentStatus]

    @classmethod
    def from_model(cls, status: domain.PaymentStatus) -> PaymentStatus:
        """Wrap a domain payment status."""
        return cls(model=status)

    @strawberry.field(description="The code.")
    def code(self) -> str:
        return self.model.code

    @strawberry.field(description="Payment system: MPFS or OPPS.")
    def payment_system(self) -> str:
        return self.model.payment_system

    @strawberry.field(description="MPFS status code or OPPS status indicator, e.g. A or N.")
    def status(self) -> str:
        return self.model.status

    @strawberry.field(description="What the status means, in the project's own words.")
    def meaning(self) -> str:
        return self.model.meaning

    @strawberry.field(description="always, never or conditional.")
    def payable(self) -> str:
        return self.model.payable

    @strawberry.field(description="none, always or conditional.")
    def packaging(self) -> str:
        return self.model.packaging

    @strawberry.field(description="Statuses whose payment this one is packaged into.")
    def packaged_with(self) -> list[str]:
        return list(self.model.packaged_with)

    @strawberry.field(description="Fee-schedule indicators (global days, multiple procedure, bilateral, PC/TC).")
    def indicators(self) -> list[Indicator]:
        return [Indicator(name=k, value=v) for k, v in sorted(self.model.indicators.items())]

    @strawberry.field(description="Payment rate, when the source gives one.")
    def payment_rate(self) -> float | None:
        return self.model.payment_rate

    @strawberry.field(description="First date the status applies.")
    def effective(self) -> date | None:
        return self.model.effective

    @strawberry.field(description="Date the status stops applying (exclusive).")
    def end(self) -> date | None:
        return self.model.end

    @strawberry.field(description="The sources that state it.")
    def sources(self) -> list[Source]:
        return sources_of(self.model.sources)


@strawberry.type(description="A sourced statement about a code.")
class Guidance:
    """A :class:`kg.model.Guidance`."""

    model: strawberry.Private[domain.Guidance]

    @classmethod
    def from_model(cls, guidance: domain.Guidance) -> Guidance:
        """Wrap a domain guidance statement."""
        return cls(model=guidance)

    @strawberry.field(description="documentation, denial-risk or audit-red-flag.")
    def kind(self) -> str:
        return self.model.kind

    @strawberry.field(description="The statement, in the project's own words.")
    def text(self) -> str:
        return self.model.text

    @strawberry.field(description="The sources behind it.")
    def sources(self) -> list[Source]:
        return sources_of(self.model.sources)


@strawberry.type(description="A claim-line modifier.")
class Modifier:
    """A :class:`kg.model.Modifier`."""

    model: strawberry.Private[domain.Modifier]

    @classmethod
    def from_model(cls, modifier: domain.Modifier) -> Modifier:
        """Wrap a domain modifier."""
        return cls(model=modifier)

    @strawberry.field(description="The two-character modifier.")
    def code(self) -> str:
        return self.model.code

    @strawberry.field(description="Title in the project's own words.")
    def title(self) -> str:
        return self.model.title

    @strawberry.field(description="True when it may bypass an NCCI PTP edit whose modifier indicator allows it.")
    def bypasses_ptp(self) -> bool:
        return self.model.bypasses_ptp

    @strawberry.field(description="True when it marks a separate site or session.")
    def marks_separate_site(self) -> bool:
        return self.model.marks_separate_site

    @strawberry.field(description="The node's IRI.")
    def iri(self) -> str | None:
        return self.model.iri

    @strawberry.field(description="The sources that define it.")
    def sources(self) -> list[Source]:
        return sources_of(self.model.sources)


@strawberry.type(description="A payer; an overlay payer inherits its baseline payer's rules.")
class Payer:
    """A :class:`kg.model.Payer`."""

    model: strawberry.Private[domain.Payer]

    @classmethod
    def from_model(cls, payer: domain.Payer) -> Payer:
        """Wrap a domain payer."""
        return cls(model=payer)

    @strawberry.field(description="Identifier used in claims, e.g. medicare.")
    def id(self) -> str:
        return self.model.id

    @strawberry.field(description="Display name.")
    def name(self) -> str:
        return self.model.name

    @strawberry.field(description="What the payer is.")
    def description(self) -> str | None:
        return self.model.description

    @strawberry.field(description="Id of the payer whose rules this one builds on.")
    def baseline(self) -> str | None:
        return self.model.baseline

    @strawberry.field(description="The node's IRI.")
    def iri(self) -> str | None:
        return self.model.iri

    @strawberry.field(description="The sources behind it.")
    def sources(self) -> list[Source]:
        return sources_of(self.model.sources)


@strawberry.type(description="What data this server serves: version, build time, layers and sources with their quarters.")
class Release:
    """A :class:`kg.model.Release`."""

    model: strawberry.Private[domain.Release]

    @classmethod
    def from_model(cls, release: domain.Release) -> Release:
        """Wrap a domain release."""
        return cls(model=release)

    @strawberry.field(description="Data version: engine version, layer names and a digest of the release manifests.")
    def version(self) -> str:
        return self.model.version

    @strawberry.field(description="When the served graph was built (ISO 8601, UTC).")
    def built_at(self) -> str:
        return self.model.built_at

    @strawberry.field(description="Layers, curated first, then each imported release in override order.")
    def layers(self) -> list[str]:
        return list(self.model.layers)

    @strawberry.field(description="Every source in the graph, each with its quarter.")
    def sources(self) -> list[Source]:
        return sources_of(self.model.sources)

    @strawberry.field(description="RDF triples read.")
    def triples(self) -> int:
        return self.model.triples

    @strawberry.field(description="Nodes of the runtime graph.")
    def nodes(self) -> int:
        return self.model.nodes

    @strawberry.field(description="Edges of the runtime graph.")
    def edges(self) -> int:
        return self.model.edges
