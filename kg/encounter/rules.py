"""The encounter rules, read from the graph (``ontology/data/encounter-rules.ttl``).

Nothing here knows a code number, a threshold or a severity: this module only turns the
RDF individuals into small typed objects the coder can use, filtered by the encounter date.

>>> from kg.graph import KnowledgeGraph
>>> rules = EncounterRules.of(KnowledgeGraph.default())
>>> kind = rules.kind_for("THERAPEUTIC", rules.classify("IV_INFUSION", 45, discontinued=False))
>>> kind.label, rules.code_rule(kind, "INITIAL", "FACILITY").code
('therapeutic infusion', '96365')
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from kg.graph import KnowledgeGraph
from kg.model import is_active
from kg.vocab import CK, local_name

__all__ = [
    "AdministrationKind",
    "CodeRule",
    "EncounterRules",
    "EncounterRulesError",
    "FindingRule",
    "ModifierRule",
]


class EncounterRulesError(LookupError):
    """The graph lacks an encounter rule the coder needs (a data error, not bad input)."""


@dataclass(frozen=True, slots=True)
class AdministrationKind:
    """A category in a delivery mode, with its rank in the initial-service hierarchy."""

    iri: str
    label: str
    category: str
    modes: frozenset[str]
    rank: int
    minimum_minutes: int | None
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CodeRule:
    """The code that answers a role for a kind, with its time counting and limits."""

    iri: str
    kind: str
    role: str
    code: str | None
    perspectives: frozenset[str]
    unit_minutes: int | None
    margin_minutes: int | None
    count_from: int | None
    minimum_gap: int | None
    once_per_encounter: bool
    appends_separate_site: bool
    sequential_when_alone: int | None
    plausible_units: int | None
    note: str | None
    sources: tuple[str, ...]

    def applies_to(self, perspective: str) -> bool:
        """Whether the rule holds for a perspective (no restriction means every one)."""
        return not self.perspectives or perspective in self.perspectives


@dataclass(frozen=True, slots=True)
class ModifierRule:
    """The modifier the coder appends for a role."""

    iri: str
    role: str
    modifier: str
    note: str | None
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FindingRule:
    """A finding the coder can raise: id, severity and meaning."""

    iri: str
    rule_id: str
    severity: str
    text: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _DeliveryRule:
    iri: str
    route: str | None
    mode: str
    minimum: int | None
    maximum: int | None
    pumps: frozenset[str]
    refill: bool


_CACHE: weakref.WeakKeyDictionary[KnowledgeGraph, dict[date, EncounterRules]] = weakref.WeakKeyDictionary()


class EncounterRules:
    """Every encounter rule of a graph that applies on one date.

    Build with :meth:`of`, which caches per graph and date.
    """

    def __init__(self, kg: KnowledgeGraph, as_of: date) -> None:
        self.kg = kg
        self.as_of = as_of
        self.categories: dict[str, str] = {}
        self.fluid_categories: set[str] = set()
        self.broader: dict[str, str] = {}
        self.routes: dict[str, str] = {}
        self.intended_mode: dict[str, str] = {}
        self.perspectives: dict[str, str] = {}
        self.claim_types: dict[str, str] = {}
        self.time_based_modes: set[str] = set()
        self.standalone_modes: set[str] = set()
        self.mode_names: dict[str, str] = {}
        self.access_lines: dict[str, str] = {}
        self.shared_site_lines: set[str] = set()
        self._delivery: list[_DeliveryRule] = []
        self.kinds: list[AdministrationKind] = []
        self._code_rules: dict[tuple[str, str], list[CodeRule]] = defaultdict(list)
        self.modifier_rules: dict[str, ModifierRule] = {}
        self.finding_rules: dict[str, FindingRule] = {}
        self._read()

    @classmethod
    def of(cls, kg: KnowledgeGraph, as_of: date | None = None) -> EncounterRules:
        """The rules of ``kg`` that apply on ``as_of`` (``None``: today), cached."""
        day = as_of or date.today()
        per_graph = _CACHE.setdefault(kg, {})
        rules = per_graph.get(day)
        if rules is None:
            rules = per_graph[day] = cls(kg, day)
        return rules

    # ------------------------------------------------------------------ reading
    def _active(self, class_iri: str) -> list[str]:
        return sorted(i for i in self.kg.nodes_of_type(class_iri) if is_active(self.kg.node(i), self.as_of))

    def _one(self, iri: str, key: str) -> str | None:
        return self.kg.target(iri, key)

    def _enum_name(self, iri: str | None) -> str | None:
        return None if iri is None else self.kg.text(iri, "enumName")

    def label(self, iri: str) -> str:
        """The human label of an individual (``skos:prefLabel`` or ``rdfs:label``)."""
        node = self.kg.node(iri)
        return str(node.get("prefLabel") or node.get("label") or local_name(iri))

    def _read(self) -> None:
        kg = self.kg
        for iri in self._active(CK.SubstanceCategory):
            name = kg.text(iri, "enumName", "")
            self.categories[name] = iri
            if kg.flag(iri, "fluidOnly"):
                self.fluid_categories.add(name)
            broader = self._enum_name(self._one(iri, "broaderCategory"))
            if broader is not None:
                self.broader[name] = str(broader)
        for iri in self._active(CK.AdministrationRoute):
            name = kg.text(iri, "enumName", "")
            self.routes[name] = iri
            mode = self._one(iri, "intendedMode")
            if mode is not None:
                self.intended_mode[name] = mode
        for iri in self._active(CK.Perspective):
            name = kg.text(iri, "enumName", "")
            self.perspectives[name] = iri
            claim_type = self._enum_name(self._one(iri, "claimType"))
            if claim_type is not None:
                self.claim_types[name] = str(claim_type)
        for iri in self._active(CK.DeliveryMode):
            self.mode_names[iri] = kg.text(iri, "enumName", local_name(iri))
            if kg.flag(iri, "standalone"):
                self.standalone_modes.add(iri)
            if kg.flag(iri, "timeBased"):
                self.time_based_modes.add(iri)
            line = self._one(iri, "accessLine")
            if line is not None:
                self.access_lines[iri] = line
                if kg.flag(line, "sitesShareAccess"):
                    self.shared_site_lines.add(line)
        for iri in self._active(CK.DeliveryRule):
            node, route, mode = kg.node(iri), self._enum_name(self._one(iri, "route")), self._one(iri, "deliveryMode")
            if mode is not None and (route is not None or node.get("refill")):
                pumps = frozenset(str(self._enum_name(p)) for p in kg.targets(iri, "pump"))
                self._delivery.append(_DeliveryRule(iri, None if route is None else str(route), mode,
                                                    node.get("minimumMinutes"), node.get("maximumMinutes"), pumps,
                                                    bool(node.get("refill", False))))
        # The most specific rules first: a rule naming pumps before one that takes any administration.
        self._delivery.sort(key=lambda r: (not r.pumps, r.iri))
        for iri in self._active(CK.AdministrationKind):
            node, category = kg.node(iri), self._enum_name(self._one(iri, "category"))
            if category is None:
                continue
            self.kinds.append(AdministrationKind(
                iri=iri, label=self.label(iri), category=str(category),
                modes=frozenset(kg.targets(iri, "deliveryMode")), rank=int(node.get("rank", 0)),
                minimum_minutes=node.get("minimumMinutes"), sources=tuple(node.get("sources", ())),
            ))
        for iri in self._active(CK.EncounterCodeRule):
            node = kg.node(iri)
            kind, role = self._one(iri, "administrationKind"), self._enum_name(self._one(iri, "codingRole"))
            if kind is None or role is None:
                continue
            produced = self._one(iri, "producesCode")
            notation = kg.text(produced, "notation") if produced else None
            self._code_rules[(kind, str(role))].append(CodeRule(
                iri=iri, kind=kind, role=str(role), code=None if notation is None else str(notation),
                perspectives=frozenset(str(self._enum_name(p)) for p in kg.targets(iri, "perspective")),
                unit_minutes=node.get("unitMinutes"), margin_minutes=node.get("boundaryMarginMinutes"),
                count_from=node.get("countFromUnit"), minimum_gap=node.get("minimumGapMinutes"),
                once_per_encounter=bool(node.get("oncePerEncounter", False)),
                appends_separate_site=bool(node.get("appendsSeparateSiteModifier", False)), note=node.get("note"),
                sequential_when_alone=node.get("sequentialWhenAloneMinutes"),
                plausible_units=node.get("plausibleUnits"),
                sources=tuple(node.get("sources", ())),
            ))
        for iri in self._active(CK.EncounterModifierRule):
            role, modifier = self._enum_name(self._one(iri, "codingRole")), self._one(iri, "producesModifier")
            notation = kg.text(modifier, "notation") if modifier else None
            if role is not None and notation is not None:
                node = kg.node(iri)
                self.modifier_rules[str(role)] = ModifierRule(iri, str(role), str(notation), node.get("note"),
                                                              tuple(node.get("sources", ())))
        for iri in self._active(CK.EncounterFindingRule):
            node = kg.node(iri)
            rule_id = str(node.get("ruleId"))
            self.finding_rules[rule_id] = FindingRule(iri, rule_id, str(self._enum_name(self._one(iri, "severity"))),
                                                      str(node.get("text", "")), tuple(node.get("sources", ())))

    # ------------------------------------------------------------------ queries
    def classify(self, route: str, minutes: int, discontinued: bool, pump: str | None = None,
                 refill: bool = False) -> str | None:
        """The delivery mode (IRI) of an administration of ``route`` lasting ``minutes``.

        An administration stopped early is classified as its route intended, whatever its
        duration. A rule naming pumps applies only to administrations on one of them; a refill
        rule only to pump refills (whatever the route). ``None`` when no rule covers it.

        >>> rules = EncounterRules.of(KnowledgeGraph.default())
        >>> [rules.label(rules.classify("IV_INFUSION", m, False, pump="PORTABLE")) for m in (120, 2880)]
        ['infusion', 'start of a prolonged infusion on a pump']
        """
        if refill:
            return next((r.mode for r in self._delivery if r.refill and (not r.pumps or pump in r.pumps)), None)
        if discontinued and route in self.intended_mode:
            return self.intended_mode[route]
        for rule in self._delivery:
            if rule.refill or rule.route != route or (rule.pumps and pump not in rule.pumps):
                continue
            if rule.minimum is not None and minutes < rule.minimum:
                continue
            if rule.maximum is not None and minutes > rule.maximum:
                continue
            return rule.mode
        return None

    def kind_for(self, category: str, mode: str | None) -> AdministrationKind | None:
        """The administration kind of a category delivered in a mode, or ``None``.

        A category without a kind of its own in that mode takes its broader category's
        (``ck:broaderCategory``): a hormonal antineoplastic pushed is a chemotherapy push.

        >>> rules = EncounterRules.of(KnowledgeGraph.default())
        >>> [rules.kind_for("HORMONAL_ANTINEOPLASTIC", rules.classify(r, 5, discontinued=False)).label
        ...  for r in ("INJECTION", "IV_PUSH")]
        ['hormonal antineoplastic injection', 'chemotherapy push']
        """
        if mode is None:
            return None
        seen: set[str] = set()
        current: str | None = category
        while current is not None and current not in seen:
            seen.add(current)
            kind = next((k for k in self.kinds if k.category == current and mode in k.modes), None)
            if kind is not None:
                return kind
            current = self.broader.get(current)
        return None

    def within(self, category: str, ancestor: str) -> bool:
        """Whether ``category`` is ``ancestor`` or narrower than it (through ``ck:broaderCategory``).

        >>> EncounterRules.of(KnowledgeGraph.default()).within("HORMONAL_ANTINEOPLASTIC", "CHEMOTHERAPY")
        True
        """
        seen: set[str] = set()
        current: str | None = category
        while current is not None and current not in seen:
            if current == ancestor:
                return True
            seen.add(current)
            current = self.broader.get(current)
        return False

    def is_standalone(self, mode: str | None) -> bool:
        """Whether services of a delivery mode are coded on their own (``ck:standalone``)."""
        return mode in self.standalone_modes

    def is_time_based(self, mode: str | None) -> bool:
        """Whether a delivery mode is reported by elapsed time."""
        return mode in self.time_based_modes

    def access_line(self, mode: str | None) -> str | None:
        """The access line (IRI) a delivery mode runs through; ``None`` for a mode given outside any line.

        >>> rules = EncounterRules.of(KnowledgeGraph.default())
        >>> [rules.access_line(rules.classify(route, 45, discontinued=False)) is not None
        ...  for route in ("IV_INFUSION", "IV_PUSH", "SUBCUTANEOUS_INFUSION", "INJECTION")]
        [True, True, True, False]
        """
        return None if mode is None else self.access_lines.get(mode)

    def is_fluid(self, category: str) -> bool:
        """Whether a category is hydration fluid (see ``ck:fluidOnly``)."""
        return category in self.fluid_categories

    def code_rules(self, kind: AdministrationKind, role: str) -> list[CodeRule]:
        """Every rule for a kind and role, whatever the perspective."""
        return list(self._code_rules.get((kind.iri, role), ()))

    def code_rule(self, kind: AdministrationKind, role: str, perspective: str) -> CodeRule | None:
        """The rule answering ``role`` for ``kind`` in ``perspective``, or ``None``."""
        return next((r for r in self._code_rules.get((kind.iri, role), ()) if r.applies_to(perspective)), None)

    def codes_of_role(self, role: str) -> set[str]:
        """Every code some rule produces for ``role``."""
        return {r.code for (_, rule_role), rs in self._code_rules.items() if rule_role == role for r in rs if r.code}

    def finding(self, rule_id: str) -> FindingRule:
        """The finding rule with a stable id.

        Raises:
            EncounterRulesError: the graph does not declare it.
        """
        try:
            return self.finding_rules[rule_id]
        except KeyError:
            raise EncounterRulesError(f"the graph declares no encounter finding {rule_id!r}") from None

    def role_label(self, role: str) -> str:
        """The label of a coding role, by its enum name."""
        for iri in self.kg.nodes_of_type(CK.CodingRole):
            if self.kg.text(iri, "enumName") == role:
                return self.label(iri)
        return role.lower().replace("_", " ")
