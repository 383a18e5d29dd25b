"""Which modifiers may not (or may only) go on a code: the graph's modifier rules applied to one code.

The rule nodes (``ck:ModifierRule``) and the fee-schedule indicator meanings
(``ck:IndicatorMeaning``) are the same for every code, and the graph does not change once
loaded; :func:`modifier_rule_plan` reads them once per graph, so a code's answer reads only
that code's own edges (its modifier-rule edges, add-on status and payment status). A batch of
distinct claims asks this of thousands of codes, and reading the rule nodes again for each one
was a fifth of its time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from kg.lookup import code_object
from kg.model import ModifierRule, Source
from kg.vocab import CK, local_name

if TYPE_CHECKING:
    from kg.graph import KnowledgeGraph

__all__ = ["ModifierRulePlan", "modifier_rule_plan", "modifier_rules"]


@dataclass(frozen=True, slots=True)
class _CodeRule:
    """A ``ck:ModifierRule`` node: for add-ons, or limiting a modifier to code sets."""

    modifier: str  # notation
    applicability: str  # enum name
    reason: str
    sources: tuple[Source, ...]
    iri: str
    on_add_ons: bool
    #: Members of each code set the modifier is limited to (``ck:OnlyOn``); one rule for each
    #: set a code is not in.
    only_on: tuple[frozenset[str], ...]


@dataclass(frozen=True, slots=True)
class _IndicatorRule:
    """A ``ck:IndicatorMeaning``: a fee-schedule indicator value that rules a modifier out (or in)."""

    field: str
    value: str
    modifier: str | None  # notation; None when the meaning names no modifier
    applicability: str
    reason: str
    source_iris: tuple[str, ...]
    iri: str


@dataclass(frozen=True, slots=True)
class ModifierRulePlan:
    """The graph's modifier rules, read once (see the module docstring)."""

    code_rules: tuple[_CodeRule, ...]
    indicator_rules: tuple[_IndicatorRule, ...]
    #: Payment-status fields some indicator meaning reads.
    indicator_fields: frozenset[str]
    status_kind: str
    not_applicable: str  # the enum name of ``ck:NotApplicable``


def _notation(kg: KnowledgeGraph, iri: str) -> str:
    return kg.text(iri, "notation", local_name(iri))


def _enum_name(kg: KnowledgeGraph, iri: str) -> str:
    return kg.text(iri, "enumName", local_name(iri))


def modifier_rule_plan(kg: KnowledgeGraph) -> ModifierRulePlan:
    """The graph's modifier rules and indicator meanings, read once per graph.

    >>> from kg.graph import KnowledgeGraph
    >>> plan = modifier_rule_plan(KnowledgeGraph.default())
    >>> sorted(rule.modifier for rule in plan.code_rules), plan.not_applicable
    (['25', '51'], 'NOT_APPLICABLE')
    """
    if kg._modifier_plan is not None:
        return kg._modifier_plan
    code_rules = []
    for rule in kg._of_type.get(CK.ModifierRule, ()):
        modifier = kg.target(rule, "modifier")
        if modifier is None:
            continue
        attrs = kg.node(rule)
        applicability = kg.target(rule, "applicability") or CK.NotApplicable
        only_on = tuple(frozenset(kg.targets(code_set, "member")) for code_set in kg.targets(rule, "appliesToSet"))
        code_rules.append(_CodeRule(
            modifier=_notation(kg, modifier), applicability=_enum_name(kg, applicability),
            reason=attrs.get("reason", ""), sources=kg.sources_of(attrs.get("sources", ())), iri=rule,
            on_add_ons=bool(attrs.get("appliesToAddOns")), only_on=only_on if applicability == CK.OnlyOn else ()))
    meanings = kg.nodes_of_type(CK.IndicatorMeaning)
    indicator_rules = []
    for meaning in meanings:
        m = kg.node(meaning)
        modifier = next(iter(kg.targets(meaning, "modifier")), None)
        indicator_rules.append(_IndicatorRule(
            field=str(m.get("indicatorField")), value=str(m.get("indicatorValue")),
            modifier=None if modifier is None else _notation(kg, modifier),
            applicability=_enum_name(kg, kg.target(meaning, "applicability") or CK.NotApplicable),
            reason=m.get("reason", ""), source_iris=tuple(m.get("sources", ())), iri=meaning))
    plan = kg._modifier_plan = ModifierRulePlan(
        code_rules=tuple(code_rules), indicator_rules=tuple(indicator_rules),
        indicator_fields=frozenset(meaning.field for meaning in indicator_rules),
        status_kind=kg.text(CK.PaymentStatus, "edgeKind", ""), not_applicable=_enum_name(kg, CK.NotApplicable))
    return plan


def modifier_rules(kg: KnowledgeGraph, code: str, as_of: date | None = None) -> list[ModifierRule]:
    """Which modifiers may not (or may only) go on a code, with the reason and source; see
    :meth:`KnowledgeGraph.modifier_rules`."""
    iri = kg.require_code_iri(code)
    found = code_object(kg, iri)  # memoised, with whether the code is an add-on
    notation = found.code
    plan = modifier_rule_plan(kg)
    rules = [ModifierRule(modifier=_notation(kg, edge.source), code=notation,
                          applicability=_enum_name(kg, edge.attrs.get("applicability", CK.NotApplicable)),
                          reason=edge.attrs.get("reason", ""), sources=kg.sources_of(edge.attrs.get("sources", ())),
                          iri=edge.attrs.get("id"))
             for edge in kg.edges(iri, "MODIFIER_RULE", "in", as_of)]
    for rule in plan.code_rules:
        if rule.on_add_ons and found.is_add_on:
            rules.append(ModifierRule(rule.modifier, notation, rule.applicability, rule.reason, rule.sources, rule.iri))
        for members in rule.only_on:
            if iri not in members:
                rules.append(ModifierRule(rule.modifier, notation, plan.not_applicable, rule.reason, rule.sources,
                                          rule.iri))
    # The statuses that carry fee-schedule indicators: those with a field some meaning reads.
    indicated = [e for e in kg.edges(iri, plan.status_kind, "out", as_of)
                 if not plan.indicator_fields.isdisjoint(e.attrs)]
    if indicated:
        status = max(indicated, key=lambda e: e.attrs.get("effective") or date.min).attrs
        for meaning in plan.indicator_rules:
            # A meaning that names no modifier has nothing to rule on (the shapes require one).
            if meaning.modifier is not None and str(status.get(meaning.field, "")) == meaning.value:
                rules.append(ModifierRule(
                    meaning.modifier, notation, meaning.applicability, meaning.reason,
                    kg.sources_of((*meaning.source_iris, *status.get("sources", ()))), meaning.iri))
    return rules
