"""Claim rules read from RDF (``ck:ClaimRule`` nodes) and chosen for a claim.

A rule names a generic check kind and gives it everything that is knowledge: the rule id it
reports, its severity, the code sets it applies to, its scope (payers, claim types, places of
service, dates), its parameters, its message templates and its sources. This module compiles
the rule nodes once per graph and picks the rules that apply to a claim:

- payer scope: a rule scoped to payer P applies to P and to every payer built on P through
  ``ck:baseline``; a rule without a payer applies to every payer;
- overrides: when a rule that applies has ``ck:overrides`` R, R does not apply (``ck:disabled``
  rules only switch R off);
- dates: ``ck:effective`` / ``ck:end`` (exclusive) against the date of service;
- claim type and place of service: when a rule is limited to places of service and the claim
  gives none, the rule is *undecided* and the engine reports ``NO_DATA``.

>>> from kg.graph import KnowledgeGraph
>>> book = rule_book(KnowledgeGraph.default())
>>> sel = book.select("commercial", "PROFESSIONAL", "11", date(2026, 6, 1))
>>> any(r.iri.endswith("/cms-cr3631") for rules in sel.by_kind.values() for r in rules)
False
"""

from __future__ import annotations

import weakref
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kg.claims.index import AdjacencyIndex
from kg.claims.rule_index import PairIndex
from kg.drugs import clear_memo as clear_drug_memo
from kg.graph import KnowledgeGraph
from kg.model import Modifier, ModifierRule, Relationship, Severity, Source, is_active
from kg.vocab import CK

__all__ = ["ClaimRule", "ClaimRulesError", "RuleBook", "Selection", "StatusInfo", "rule_book"]


class ClaimRulesError(ValueError):
    """The declared claim rules are inconsistent (an unknown check kind, a missing parameter)."""


def _values(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    return value if isinstance(value, tuple) else (value,)


@dataclass(frozen=True, slots=True)
class ClaimRule:
    """One declared rule, compiled: scope and parameters as sets of IRIs, notations and values."""

    iri: str
    rule_id: str | None
    kind: str | None
    severity: Severity | None
    label: str
    message: str
    sources: tuple[Source, ...]
    no_data_severity: Severity | None = None
    no_data_message: str | None = None
    claim_message: str | None = None
    bypass_message: str | None = None
    no_bypass_message: str | None = None
    payers: frozenset[str] = frozenset()
    claim_types: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()
    overrides: frozenset[str] = frozenset()
    disabled: bool = False
    effective: date | None = None
    end: date | None = None
    relation_kind: str | None = None
    contrary_relation_kind: str | None = None
    edit_types: frozenset[int] = frozenset()
    bypass_indicators: frozenset[int] = frozenset()
    inactive_indicators: frozenset[int] = frozenset()
    edge_sources: frozenset[str] = frozenset()
    except_edge_sources: frozenset[str] = frozenset()
    applies_to: frozenset[str] | None = None
    with_set: frozenset[str] | None = None
    when_status: frozenset[tuple[str, str]] = frozenset()
    when_packaging: frozenset[str] = frozenset()
    min_units: int | None = None
    applicability: str | None = None
    alternative_on_claim: bool | None = None
    contested_edges: bool = False
    retired_message: str | None = None
    drug_categories: frozenset[str] = frozenset()

    def uses_edge(self, sources: Iterable[str]) -> bool:
        """Whether an edge citing ``sources`` is one this rule applies (``ck:edgeSource`` filters)."""
        cited = set(sources)
        if self.edge_sources and not cited & self.edge_sources:
            return False
        return not (self.except_edge_sources and cited & self.except_edge_sources)


@dataclass(frozen=True, slots=True)
class StatusInfo:
    """What a status value of a payment system means (read from its ``ck:StatusValue`` node)."""

    notation: str
    meaning: str
    packaging: str
    packaged_with: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Selection:
    """The rules that apply to one claim context, grouped by check kind."""

    by_kind: dict[str, tuple[ClaimRule, ...]]
    undecided: tuple[ClaimRule, ...]
    payer_known: bool
    no_data: ClaimRule


@dataclass(slots=True)
class RuleBook:
    """Every claim rule of a graph plus the small registries the checks read (payers, modifiers)."""

    kg: KnowledgeGraph
    rules: tuple[ClaimRule, ...] = ()
    payer_iris: dict[str, str] = field(default_factory=dict)
    payment_system: dict[str, str | None] = field(default_factory=dict)
    payment_system_iri: dict[str, str | None] = field(default_factory=dict)
    claim_type_iri: dict[str, str] = field(default_factory=dict)
    mue_kind: str = ""
    status_kind: str = ""
    index: AdjacencyIndex | None = None
    pairs: PairIndex | None = None
    contested: dict[tuple[str], bool] = field(default_factory=dict)
    _status_info: dict[str, StatusInfo] = field(default_factory=dict)
    _modifier_rules: dict[tuple[str, date], list[ModifierRule]] = field(default_factory=dict)
    modifiers: dict[str, Modifier] = field(default_factory=dict)
    places: dict[str, str] = field(default_factory=dict)
    not_applicable: str | None = None
    applicability_iri: dict[str, str] = field(default_factory=dict)
    severity_rank: dict[Severity, int] = field(default_factory=dict)
    initial_rank: dict[str, int] = field(default_factory=dict)
    _selections: dict[tuple[Any, ...], Selection] = field(default_factory=dict)
    _days: dict[int, dict[tuple[Any, ...], Any]] = field(default_factory=dict)
    _change_days: list[date] | None = None
    _rule_sets: dict[tuple[str, ...], tuple[ClaimRule, ...]] = field(default_factory=dict)
    #: A finding's sources (the rule's and the facts'), sorted once per combination of IRIs.
    finding_sources: dict[tuple[str, ...], tuple[Source, ...]] = field(default_factory=dict)
    #: A finding's path (relationship objects), by the keys of its edges, built once per graph.
    paths: dict[tuple[str, ...], tuple[Relationship, ...]] = field(default_factory=dict)

    @classmethod
    def compile(cls, kg: KnowledgeGraph) -> RuleBook:
        """Compile the ``ck:ClaimRule`` nodes of a graph.

        Raises:
            ClaimRulesError: a rule names an unknown check kind or lacks a parameter its kind needs,
                or the graph declares no no-data policy.
        """
        book = cls(kg)
        for iri in kg.nodes_of_type(CK.Payer):
            book.payer_iris[kg.text(iri, "notation", "").lower()] = iri
        for iri in kg.nodes_of_type(CK.ClaimType):
            system = kg.target(iri, "paymentSystem")
            name = kg.text(iri, "enumName", "")
            book.claim_type_iri[name] = iri
            book.payment_system_iri[name] = system
            book.payment_system[name] = kg.text(system, "notation", "") if system else None
        # Edge kind names come from the vocabulary's ck:edgeKind annotations.
        book.mue_kind = kg.text(CK.MueLimit, "edgeKind", "")
        book.status_kind = kg.text(CK.PaymentStatus, "edgeKind", "")
        book.index = AdjacencyIndex(kg.graph)
        book.pairs = PairIndex(kg.graph, kg.bulk)
        book.modifiers = {m.code.upper(): m for m in kg.modifiers()}
        for iri in kg.nodes_of_type(CK.PlaceOfService):
            attrs = kg.node(iri)
            book.places[str(attrs.get("notation", "")).upper()] = str(attrs.get("prefLabel", ""))
        book.not_applicable = kg.text(CK.NotApplicable, "enumName")
        book.applicability_iri = {kg.text(i, "enumName", ""): i for i in kg.nodes_of_type(CK.Applicability)}
        for iri in kg.nodes_of_type(CK.SeverityLevel):
            severity = book._severity(iri)
            if severity is not None:
                book.severity_rank[severity] = kg.number(iri, "rank")
        book.initial_rank = book._initial_ranks()
        book.rules = tuple(sorted((book._compile_rule(i) for i in kg.nodes_of_type(CK.ClaimRule)), key=lambda r: r.iri))
        if not any(r.kind == CK.NoDataPolicy and not r.disabled for r in book.rules):
            raise ClaimRulesError("no claim rule of check kind ck:NoDataPolicy: the graph cannot report NO_DATA findings")
        return book

    def _initial_ranks(self) -> dict[str, int]:
        """Code IRI -> its rank in the drug administration hierarchy, read from the encounter
        rules: the rank of the administration kinds whose initial service the code is."""
        kg = self.kg
        ranks: dict[str, int] = {}
        for rule in kg.nodes_of_type(CK.EncounterCodeRule):
            if CK.InitialRole not in kg.targets(rule, "codingRole"):
                continue
            for code in kg.targets(rule, "producesCode"):
                for kind in kg.targets(rule, "administrationKind"):
                    ranks[code] = max(ranks.get(code, 0), kg.number(kind, "rank"))
        return ranks

    def _severity(self, iri: str | None) -> Severity | None:
        if iri is None:
            return None
        name = self.kg.text(iri, "enumName")
        try:
            return Severity(str(name))
        except ValueError:
            raise ClaimRulesError(f"{iri}: not a severity level with an enumName of ERROR, WARNING or INFO") from None

    def _members(self, sets: Iterable[str]) -> frozenset[str] | None:
        if not sets:
            return None
        return frozenset(m for s in sets for m in self.kg.targets(s, "member"))

    def _compile_rule(self, iri: str) -> ClaimRule:
        kg = self.kg
        a = kg.node(iri)

        def one(key: str) -> str | None:
            return kg.target(iri, key)

        def status_key(status_iri: str) -> tuple[str, str]:
            system = kg.target(status_iri, "paymentSystem")
            return (kg.text(system, "notation", "") if system else "", kg.text(status_iri, "notation", ""))

        kind = one("checkKind")
        rule = ClaimRule(
            iri=iri,
            rule_id=a.get("ruleId"),
            kind=kind,
            severity=self._severity(one("severity")),
            label=str(a.get("prefLabel", iri)),
            message=str(a.get("message", "")),
            sources=kg.sources_of(a.get("sources", ())),
            no_data_severity=self._severity(one("noDataSeverity")),
            no_data_message=a.get("noDataMessage"),
            claim_message=a.get("claimMessage"),
            bypass_message=a.get("bypassMessage"),
            no_bypass_message=a.get("noBypassMessage"),
            payers=frozenset(kg.targets(iri, "payer")),
            claim_types=frozenset(kg.text(t, "enumName", "") for t in kg.targets(iri, "claimType")),
            places=frozenset(kg.text(p, "notation", "").upper() for p in kg.targets(iri, "placeOfService")),
            overrides=frozenset(kg.targets(iri, "overrides")),
            disabled=bool(a.get("disabled", False)),
            effective=a.get("effective"),
            end=a.get("end"),
            relation_kind=a.get("relationKind"),
            contrary_relation_kind=a.get("contraryRelationKind"),
            edit_types=frozenset(int(v) for v in _values(a.get("forEditType"))),
            bypass_indicators=frozenset(int(v) for v in _values(a.get("bypassIndicator"))),
            inactive_indicators=frozenset(int(v) for v in _values(a.get("inactiveIndicator"))),
            edge_sources=frozenset(kg.targets(iri, "edgeSource")),
            except_edge_sources=frozenset(kg.targets(iri, "exceptEdgeSource")),
            applies_to=self._members(kg.targets(iri, "appliesToSet")),
            with_set=self._members(kg.targets(iri, "withSet")),
            when_status=frozenset(status_key(s) for s in kg.targets(iri, "whenStatus")),
            when_packaging=frozenset(str(v) for v in _values(a.get("whenPackaging"))),
            min_units=a.get("minUnits"),
            applicability=one("applicability"),
            alternative_on_claim=a.get("alternativeOnClaim"),
            contested_edges=bool(a.get("contestedEdges", False)),
            retired_message=a.get("retiredMessage"),
            drug_categories=frozenset(kg.targets(iri, "forDrugCategory")),
        )
        if rule.disabled:
            return rule
        from kg.claims.checks import CHECKS  # the registry imports the rule types: resolved at compile time

        if kind not in CHECKS:
            raise ClaimRulesError(f"{iri}: check kind {kind!r} is not one the engine implements")
        missing = CHECKS[kind].missing(rule)
        if rule.rule_id is None or rule.severity is None:
            missing.append("rule_id and severity")
        if missing:
            raise ClaimRulesError(f"{iri}: rule of kind {kind} lacks {', '.join(missing)}")
        return rule

    def status_info(self, iri: str) -> StatusInfo:
        """The meaning of a ``ck:StatusValue`` node, read once per graph."""
        info = self._status_info.get(iri)
        if info is None:
            attrs = self.kg.node(iri)
            info = StatusInfo(
                notation=str(attrs.get("notation", "")),
                meaning=str(attrs.get("prefLabel", "")),
                packaging=str(attrs.get("packaging", "")),
                packaged_with=tuple(self.kg.text(t, "notation", "") for t in self.kg.targets(iri, "packagedWithStatus")),
            )
            self._status_info[iri] = info
        return info

    def modifier_rules(self, notation: str, as_of: date) -> list[ModifierRule]:
        """``KnowledgeGraph.modifier_rules`` memoised per graph: the graph does not change once
        loaded, and building the rules walks every modifier rule and indicator meaning."""
        key = (notation, as_of)
        rules = self._modifier_rules.get(key)
        if rules is None:
            if len(self._modifier_rules) > 65536:  # bounded: dates of service are unbounded input
                self._modifier_rules.clear()
            rules = self._modifier_rules[key] = self.kg.modifier_rules(notation, as_of)
        return rules

    def clear_caches(self) -> None:
        """Forget every memoised lookup (the adjacency index, modifier rules, rule selections),
        so the next claim pays the full lookup cost; benchmarks use it to measure a cold check."""
        self.index = AdjacencyIndex(self.kg.graph)
        self.pairs = PairIndex(self.kg.graph, self.kg.bulk)
        self.contested.clear()
        self.kg.clear_memos()
        clear_drug_memo(self.kg)
        self._modifier_rules.clear()
        self._selections.clear()
        self._status_info.clear()
        self._days.clear()
        self.finding_sources.clear()
        self.paths.clear()

    def day_facts(self, as_of: date) -> dict[tuple[Any, ...], Any]:
        """The per-code facts memoised for the span of dates ``as_of`` falls in, shared by every
        claim of a date in that span.

        A dated fact is in force from its ``effective`` date until its ``end``, so what a
        code's edges, MUE, payment status, pairs or compiled rule verdicts are can only change
        on a date some node or edge of the graph names: between two such dates every answer is
        the same, and the graph does not change once loaded. A claim therefore reuses what an
        earlier claim of any date in the same span looked up; the claim's own lines, units and
        modifiers are still judged afresh for every claim. Keys name the question
        (``("out", iri, kind)``, ...).

        >>> from kg.graph import KnowledgeGraph
        >>> book = rule_book(KnowledgeGraph.default())
        >>> book.day_facts(date(2026, 6, 1)) is book.day_facts(date(2026, 6, 2))
        True
        """
        days = self._change_days
        if days is None:
            days = self._change_days = self._dates_named()
        span = bisect_right(days, as_of)
        facts = self._days.get(span)
        if facts is None:
            if len(self._days) >= _MAX_SPANS:  # bounded: a graph may name many dates
                self._days.clear()
            facts = self._days[span] = {}
        elif len(facts) > _MAX_FACTS // len(self._days):
            # Bounded (about 200 bytes an entry): codes and pairs are unbounded input at full scale.
            facts.clear()
        return facts

    def _dates_named(self) -> list[date]:
        """Every ``effective`` and ``end`` date a node, an edge or a bulk row names, sorted."""
        graph = self.kg.graph
        found: set[date] = set()
        for _, attrs in graph.nodes(data=True):
            found.update(attrs[k] for k in ("effective", "end") if attrs.get(k) is not None)
        for _, _, attrs in graph.edges(data=True):
            found.update(attrs[k] for k in ("effective", "end") if attrs.get(k) is not None)
        bulk = self.kg.bulk
        if bulk is not None:
            # Ordinals; 0 means no date.
            found.update(date.fromordinal(d) for d in set(bulk.effective) | set(bulk.end) if d)
        return sorted(found)

    def payer_chain(self, payer: str) -> list[str] | None:
        """The payer's IRI followed by its baselines, or ``None`` for an unknown payer.

        >>> from kg.graph import KnowledgeGraph
        >>> [i.rsplit("/", 1)[1] for i in rule_book(KnowledgeGraph.default()).payer_chain("medicaid")]
        ['medicaid', 'medicare']
        """
        iri = self.payer_iris.get(payer.lower())
        if iri is None:
            return None
        chain: list[str] = []
        while iri is not None and iri not in chain:  # a cycle in ck:baseline stops here
            chain.append(iri)
            iri = self.kg.target(iri, "baseline")
        return chain

    def _interned(self, rules: list[ClaimRule]) -> tuple[ClaimRule, ...]:
        # One tuple per distinct set of rules, kept for the book's life: what a check compiles
        # for a code is keyed by its rules' tuple (ClaimContext.compiled), so claims of other
        # payers or places that select the same rules of a kind share it.
        key = tuple(rule.iri for rule in rules)
        found = self._rule_sets.get(key)
        if found is None:
            found = self._rule_sets[key] = tuple(rules)
        return found

    def select(self, payer: str, claim_type: str, place: str | None, as_of: date) -> Selection:
        """The rules that apply to a claim of this payer, claim type, place of service and date."""
        key = (payer, claim_type, place, as_of)
        cached = self._selections.get(key)
        if cached is not None:
            return cached
        chain = self.payer_chain(payer)
        in_scope = set(chain or ())
        dated: dict[str, Any] = {"effective": None, "end": None}
        candidates = []
        for rule in self.rules:
            if rule.payers and not rule.payers & in_scope:
                continue
            if rule.claim_types and claim_type not in rule.claim_types:
                continue
            if rule.places and place is not None and place not in rule.places:
                continue
            dated["effective"], dated["end"] = rule.effective, rule.end
            if is_active(dated, as_of):
                candidates.append(rule)
        # Only rules that apply to this claim override others, so a payer's professional-claim
        # replacement leaves the baseline in force on its facility claims.
        overridden = {target for rule in candidates for target in rule.overrides}
        by_kind: dict[str, list[ClaimRule]] = defaultdict(list)
        undecided: list[ClaimRule] = []
        policies = []
        for rule in candidates:
            if rule.disabled or rule.iri in overridden:
                continue
            if rule.kind == CK.NoDataPolicy:
                policies.append(rule)
            elif rule.places and place is None:
                undecided.append(rule)
            else:
                by_kind[rule.kind or ""].append(rule)
        # A payer may override the policy itself; with none left the graph's first policy speaks.
        policy = policies[0] if policies else next(r for r in self.rules if r.kind == CK.NoDataPolicy)
        selection = Selection({k: self._interned(v) for k, v in by_kind.items()}, tuple(undecided), chain is not None,
                              policy)
        if len(self._selections) > 4096:  # bounded: dates of service are unbounded input
            self._selections.clear()
        self._selections[key] = selection
        return selection


#: At most this many date spans keep per-code facts, sharing this many entries between them.
_MAX_SPANS = 16
_MAX_FACTS = 1_500_000

_BOOKS: weakref.WeakKeyDictionary[KnowledgeGraph, RuleBook] = weakref.WeakKeyDictionary()


def rule_book(kg: KnowledgeGraph) -> RuleBook:
    """The compiled rules of a graph, compiled once per graph.

    Raises:
        ClaimRulesError: see :meth:`RuleBook.compile`.
    """
    book = _BOOKS.get(kg)
    if book is None:
        book = RuleBook.compile(kg)
        _BOOKS[kg] = book
    return book
