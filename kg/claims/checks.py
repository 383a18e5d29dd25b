"""The generic check kinds. Each takes the claim context and the rules of its kind that apply to
the claim, and returns findings. No code, severity, limit or modifier is written here: every
such value comes from the rule (RDF) or from the graph's facts.

Register a kind in :data:`CHECKS` only: its function and the rule fields it needs, under its
``ck:CheckKind`` IRI (the ontology declares the kind; a test keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from kg.claims.context import ClaimContext, LineStatus, LineView, fill
from kg.claims.rules import ClaimRule
from kg.drugs import drug_category
from kg.model import Edge, Finding, RelationKind, Relationship, Source, is_active
from kg.vocab import CK

__all__ = ["CHECKS", "CheckFunction", "CheckKind"]

CheckFunction = Callable[[ClaimContext, Sequence[ClaimRule]], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class CheckKind:
    """How the engine runs one ``ck:CheckKind``: the one place a kind is registered.

    Attributes:
        run: the check; ``None`` for a kind whose rules other checks read (the no-data policy).
        requires: the :class:`~kg.claims.rules.ClaimRule` fields a rule of this kind cannot work
            without; a tuple among them means "at least one of these". Checked when the rules are
            compiled, so a payer file with a mistake fails at load time with the rule named.
    """

    run: CheckFunction | None
    requires: tuple[str | tuple[str, ...], ...] = ()

    def missing(self, rule: ClaimRule) -> list[str]:
        """The required fields ``rule`` leaves empty, named as in the message of a load error."""
        absent = []
        for need in self.requires:
            if isinstance(need, str):
                if getattr(rule, need) is None:
                    absent.append(need)
            elif not any(getattr(rule, name) for name in need):  # alternatives are sets: empty is absent
                absent.append(" or ".join(need))
        return absent


def _known_code(ctx: ClaimContext, rules: Sequence[ClaimRule]) -> Iterable[Finding]:
    for lv in ctx.lines:
        if lv.iri is not None:
            continue
        retired = ctx.kg.code_iri(lv.notation)
        ended = ctx.kg.node(retired).get("end") if retired else None
        for rule in rules:
            if ended is not None and ended <= ctx.as_of and rule.retired_message:
                # A code that existed and ended: say when, and what the graph says replaces it.
                assert retired is not None
                successors = [e for e in ctx.out_edges(retired, RelationKind.ALTERNATIVE_TO.value)]
                instead = ", ".join(sorted({ctx.kg.text(e.target, "notation", "") for e in successors}))
                values = ctx.values(lv, ended=ended.isoformat(), replacement=instead or "no code on file")
                template = replace(rule, message=rule.retired_message)
                yield ctx.finding(template, lv, (lv.notation,), values, path=ctx.relationships(successors))
            else:
                yield ctx.finding(rule, lv, (lv.notation,))


def _valid_units(ctx: ClaimContext, rules: Sequence[ClaimRule]) -> Iterable[Finding]:
    for rule in rules:
        for lv in ctx.lines:
            if lv.line.units < (rule.min_units or 0):
                yield ctx.finding(rule, lv, (lv.notation,), ctx.values(lv, min=rule.min_units))


def _known_payer(ctx: ClaimContext, rules: Sequence[ClaimRule]) -> Iterable[Finding]:
    if ctx.selection.payer_known:
        return
    payers = ", ".join(sorted(ctx.book.payer_iris))
    for rule in rules:
        yield ctx.finding(rule, None, (), ctx.values(None, payers=payers))


def _claim_notice(ctx: ClaimContext, rules: Sequence[ClaimRule]) -> Iterable[Finding]:
    for rule in rules:
        yield ctx.finding(rule, None)


def _requires_related_code(ctx: ClaimContext, rules: Sequence[ClaimRule]) -> Iterable[Finding]:
    """An add-on needs one of its primaries on the claim; edit types choose the rule (severity).

    An edge marked contested (a single secondary source) never satisfies an exclusive list and
    never fails one: with only a contested primary on the claim, the rules that judge contested
    edges say so.
    """
    regular = [r for r in rules if not r.contested_edges]
    judges = [r for r in rules if r.contested_edges]
    for lv in ctx.known:
        assert lv.iri is not None
        plan = ctx.compiled(rules, ("requires", lv.iri), lambda lv=lv: _requires_plan(ctx, rules, regular, lv))
        if plan is None:
            continue  # most codes: no add-on list and not an add-on
        firm, firm_targets, weak, verdicts, add_on_gap = plan
        if not firm_targets.isdisjoint(ctx.on_claim):
            continue  # a primary of any list is on the claim
        weak = [e for e in weak if e.target in ctx.on_claim]
        if weak:
            other = ctx.on_claim[weak[0].target][0]
            listed = sorted({ctx.kg.text(e.target, "notation", "") for e in firm})
            for rule in judges:
                yield ctx.finding(rule, lv, (lv.notation, other.notation),
                                  ctx.values(lv, other=other.notation, otherLine=other.number,
                                             primaries=", ".join(listed)),
                                  path=ctx.relationships([*weak, *firm]))
            continue
        for rule, primaries, path in verdicts:
            yield ctx.finding(rule, lv, (lv.notation,), ctx.values(lv, primaries=primaries), path=path)
        # No primary on the claim and no rule could judge it: an add-on without listed
        # primaries (contractor-defined, or not loaded) or edges of an edit type no rule covers.
        if add_on_gap:
            yield ctx.no_data(regular, lv)


_RequiresPlan = tuple[list[Edge], frozenset[str], list[Edge], list[tuple[ClaimRule, str, tuple[Relationship, ...]]], bool]


def _requires_plan(ctx: ClaimContext, rules: Sequence[ClaimRule], regular: Sequence[ClaimRule],
                   lv: LineView) -> _RequiresPlan | None:
    """What the add-on rules make of one code whatever else is on the claim: its firm edges
    (every list, in rule order) and their targets, its contested edges, the finding each regular
    rule reports when no primary is on the claim, and whether the gap is then ``NO_DATA``;
    ``None`` when the code gives them nothing to say (no edges, not an add-on)."""
    assert lv.iri is not None
    kinds = dict.fromkeys(r.relation_kind or "" for r in rules)
    edges_of = {k: ctx.out_edges(lv.iri, k) for k in kinds}
    firm = {k: [e for e in es if not _contested(ctx, e)] for k, es in edges_of.items()}
    weak = [e for es in edges_of.values() for e in es if _contested(ctx, e)]
    verdicts = []
    considered_any = edges_any = False
    for rule in regular:
        edges = firm.get(rule.relation_kind or "", [])
        if not edges:
            continue
        edges_any = True
        considered = [e for e in edges if not rule.edit_types or e.attrs.get("editType") in rule.edit_types]
        if not considered:
            continue
        considered_any = True
        primaries = sorted({ctx.kg.text(e.target, "notation", "") for e in considered})
        verdicts.append((rule, ", ".join(primaries), ctx.relationships(considered)))
    add_on_gap = bool(not considered_any and (edges_any or ctx.is_add_on(lv)) and regular)
    all_firm = [e for es in firm.values() for e in es]
    if not all_firm and not weak and not verdicts and not add_on_gap:
        return None
    return all_firm, frozenset(e.target for e in all_firm), weak, verdicts, add_on_gap


def _contested(ctx: ClaimContext, edge: Edge) -> bool:
    """An edge marked contested, or resting on a single source no stronger than secondary.

    The rank test depends only on the source, so it is kept per graph (by source IRI).
    """
    if edge.attrs.get("contested"):
        return True
    sources = _values_of(edge.attrs.get("sources"))
    if len(sources) != 1:
        return False
    memo = ctx.book.contested
    key = (sources[0],)
    found = memo.get(key)
    if found is None:
        weakest = ctx.kg.number(CK.Secondary, "rank")
        found = memo[key] = ctx.kg.source(sources[0]).confidence_rank <= weakest
    return found


def _values_of(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, tuple | list | set | frozenset) else (str(value),)


def _max_units(ctx: ClaimContext, rules: Sequence[ClaimRule]) -> Iterable[Finding]:
    for rule in rules:
        for lines in ctx.on_claim.values():
            mue = ctx.mue(lines[0])
            if mue is None:
                yield ctx.no_data([rule], lines[0])
                continue
            values = {"max": mue.max_units, "adjudication": mue.adjudication or ""}
            if mue.per_date_of_service:
                total = 0
                for lv in lines:
                    total += max(lv.line.units, 0)
                    if total > mue.max_units:
                        yield ctx.finding(rule, lv, (lv.notation,), ctx.values(lv, units=sum(
                            max(x.line.units, 0) for x in lines), **values), sources=mue.sources)
                        break
            else:
                for lv in lines:
                    if lv.line.units > mue.max_units:
                        yield ctx.finding(rule, lv, (lv.notation,), ctx.values(lv, **values), sources=mue.sources)


def _pair_conflict(ctx: ClaimContext, rules: Sequence[ClaimRule]) -> Iterable[Finding]:
    """Column-2 code (edge source) billed with its column-1 code (edge target)."""
    bypass_list = ctx.modifiers_with("bypasses_ptp")
    # Only pairs joined by an edge of a kind the rules read; of those, only pairs some rule reports.
    kinds = ctx.compiled(rules, ("conflict-kinds",), lambda: frozenset(r.relation_kind or "" for r in rules))
    pairs = []
    for lv, other, found in ctx.linked_pairs(kinds):
        by_rule = ctx.compiled(rules, ("conflicts", ctx.claim_type, lv.iri, other.iri),
                               lambda a=lv, b=other, f=found: [_conflicts(ctx, r, a, b, f) for r in rules])
        if any(by_rule):
            pairs.append((lv, other, by_rule))
    for index, rule in enumerate(rules):
        seen: set[tuple[int, str]] = set()
        for lv, other, by_rule in pairs:
            for edge_id, attrs, indicator, can_bypass, path in by_rule[index]:
                if (lv.number, edge_id) in seen:
                    continue
                seen.add((lv.number, edge_id))  # the column-1 code on several lines: report once
                if can_bypass and ctx.has_modifier(lv, "bypasses_ptp"):
                    continue
                values = ctx.values(lv, other=other.notation, otherLine=other.number,
                                    indicator="" if indicator is None else indicator,
                                    note=attrs.get("note") or "", modifiers=bypass_list)
                hint = rule.bypass_message if can_bypass else rule.no_bypass_message
                values["bypass"] = fill(hint, values) if hint else ""
                yield ctx.finding(rule, lv, (lv.notation, other.notation), values, path=path)


_Conflict = tuple[str, dict[str, Any], Any, bool, tuple[Relationship, ...]]


def _conflicts(ctx: ClaimContext, rule: ClaimRule, lv: LineView, other: LineView,
               found: Sequence[dict[str, Any]]) -> list[_Conflict]:
    """The edges between two codes a pair rule reports, whatever else is on the claim: each with
    its id, attributes, modifier indicator, whether a modifier may bypass it and its path."""
    assert other.iri is not None
    claim_type = ctx.book.claim_type_iri.get(ctx.claim.claim_type.value)
    kind = rule.relation_kind or ""
    conflicts = []
    for attrs in found:
        if attrs["kind"] != kind or not is_active(attrs, ctx.as_of):
            continue
        # PTP tables are per claim type (practitioner vs hospital outpatient); an edge
        # without a claim type (curated policy) applies to every claim type.
        if attrs.get("claimType") not in (None, claim_type):
            continue
        indicator = attrs.get("modifierIndicator")
        if not rule.uses_edge(attrs.get("sources", ())) or indicator in rule.inactive_indicators:
            continue
        path = ctx.relationships([Edge(lv.iri or "", other.iri, attrs)])
        conflicts.append((str(attrs.get("id")), attrs, indicator, indicator in rule.bypass_indicators, path))
    return conflicts


def _modifier_applicability(ctx: ClaimContext, rules: Sequence[ClaimRule]) -> Iterable[Finding]:
    for lv in ctx.known:
        if not lv.line.modifiers:
            continue
        unknown = [m for m in lv.line.modifiers if m not in ctx.book.modifiers]
        for modifier in unknown:
            yield ctx.no_data(rules, lv, ctx.values(lv, modifier=modifier))
        plan = ctx.compiled(rules, ("modifiers", lv.iri, lv.line.modifiers),
                            lambda lv=lv: _modifier_plan(ctx, rules, lv))
        for rule, modifier, reasons, sources in plan:
            yield ctx.finding(rule, lv, (lv.notation,), ctx.values(lv, modifier=modifier, reasons=reasons),
                              sources=sources)


def _modifier_plan(ctx: ClaimContext, rules: Sequence[ClaimRule],
                   lv: LineView) -> list[tuple[ClaimRule, str, str, list[Source]]]:
    """Per rule and modifier of the line (in that order): the modifier rules of the code that
    exclude the modifier as the rule's applicability, as the reasons and sources of a finding."""
    excluded = [r for r in ctx.modifier_rules(lv) if r.applicability == ctx.book.not_applicable]
    plan = []
    for rule in rules:
        for modifier in dict.fromkeys(lv.line.modifiers):
            matching = [r for r in excluded if r.modifier.upper() == modifier
                        and _declared_applicability(ctx, r.iri, r.applicability) == rule.applicability]
            if matching:
                reasons = " ".join(dict.fromkeys(r.reason for r in matching))
                plan.append((rule, modifier, reasons, [s for r in matching for s in r.sources]))
    return plan


def _declared_applicability(ctx: ClaimContext, rule_iri: str | None, applicability: str) -> str | None:
    """The applicability a modifier rule was declared with (an ``ONLY_ON`` rule reports a code
    outside its set as not applicable; the declaration tells misplaced from not applicable)."""
    if rule_iri is not None:
        declared = ctx.kg.target(rule_iri, "applicability")
        if declared is not None:
            return declared
    return ctx.book.applicability_iri.get(applicability)


def _setting_restriction(ctx: ClaimContext, rules: Sequence[ClaimRule]) -> Iterable[Finding]:
    for rule in rules:
        for lv in ctx.known:
            if rule.applies_to and lv.iri in rule.applies_to:
                yield ctx.finding(rule, lv, (lv.notation,))


def _payment_status(ctx: ClaimContext, rules: Sequence[ClaimRule]) -> Iterable[Finding]:
    if ctx.payment_system is None:
        yield ctx.no_data(rules, None, ctx.values(None, system=""))
        return
    statuses = {lv.number: ctx.status(lv) for lv in ctx.known}
    for lv in ctx.known:
        status = statuses[lv.number]
        if status is None:
            yield ctx.no_data(rules, lv, ctx.values(lv, system=ctx.payment_system))
            continue
        for rule, conditional in ctx.compiled(rules, ("payment", ctx.claim_type, lv.iri),
                                                lambda lv=lv, status=status: _payment_plan(rules, lv, status)):
            values = ctx.values(lv, status=status.status, statusMeaning=status.meaning, system=status.system)
            if not conditional:
                yield ctx.finding(rule, lv, (lv.notation,), values, sources=status.sources)
                continue
            # Conditional packaging: only when a line of a packaged-with status is present.
            other = next((o for o in ctx.known if o.number != lv.number and statuses[o.number] is not None
                          and statuses[o.number].status in status.packaged_with), None)  # type: ignore[union-attr]
            if other is not None:
                other_status = statuses[other.number]
                assert other_status is not None
                values.update(other=other.notation, otherLine=other.number, otherStatus=other_status.status)
                yield ctx.finding(rule, lv, (lv.notation, other.notation), values,
                                  sources=(*status.sources, *other_status.sources))


def _payment_plan(rules: Sequence[ClaimRule], lv: LineView, status: LineStatus) -> list[tuple[ClaimRule, bool]]:
    """The status rules a code's payment status fires, each with whether it fires only with a
    packaged-with line on the claim (conditional packaging). A rule that names the code
    (``ck:appliesToSet``) and matches its status replaces the general ones."""
    key = (status.system, status.status)
    named = [r for r in rules if r.applies_to and lv.iri in r.applies_to and key in r.when_status]
    plan = []
    for rule in named or [r for r in rules if not r.applies_to]:
        if key in rule.when_status:
            plan.append((rule, False))
        elif status.packaging in rule.when_packaging:
            if status.packaged_with:
                plan.append((rule, True))
            elif status.packaging != "conditional":
                # Conditional packaging whose trigger statuses the data does not declare (OPPS Q4)
                # cannot be decided: say nothing rather than claim it is packaged.
                plan.append((rule, False))
    return plan


def _one_initial_service(ctx: ClaimContext, rules: Sequence[ClaimRule]) -> Iterable[Finding]:
    """A second initial service without a separate-site modifier: the lower-ranked one is flagged
    (ranks from the graph's hierarchy; equal ranks keep the claim's order)."""
    separate = ctx.modifiers_with("marks_separate_site")
    rank = ctx.book.initial_rank
    for rule in rules:
        members = [lv for lv in ctx.known if rule.applies_to and lv.iri in rule.applies_to]
        if len(members) < 2:
            continue
        plain = [lv for lv in members if not ctx.has_modifier(lv, "marks_separate_site")]
        plain.sort(key=lambda lv: (-rank.get(lv.iri or "", 0), lv.number))
        for lv in plain[1:]:
            first = plain[0]
            yield ctx.finding(rule, lv, (lv.notation, first.notation),
                              ctx.values(lv, other=first.notation, otherLine=first.number, modifiers=separate))


def _family_precedence(ctx: ClaimContext, rules: Sequence[ClaimRule]) -> Iterable[Finding]:
    for rule in rules:
        low = [lv for lv in ctx.known if rule.applies_to and lv.iri in rule.applies_to and not ctx.is_add_on(lv)]
        high = [lv for lv in ctx.known if rule.with_set and lv.iri in rule.with_set]
        high_add_ons = [lv for lv in high if ctx.is_add_on(lv)]
        if not low or not high_add_ons or len(high_add_ons) < len(high):
            continue
        other = high_add_ons[0]
        for lv in low:
            yield ctx.finding(rule, lv, (lv.notation, other.notation),
                              ctx.values(lv, other=other.notation, otherLine=other.number))


def _contested_alternative(ctx: ClaimContext, rules: Sequence[ClaimRule]) -> Iterable[Finding]:
    """A code named as the alternative for a set member, while other sources package that member.

    Both positions go into the finding's path: the alternative edges and the packaging edges.
    """
    # The codes any rule names as an alternative (compiled per date span): most claims have none.
    targets = ctx.compiled(rules, ("alternative-targets",), lambda: frozenset(
        e.target for r in rules for member in (r.applies_to or ()) for e in ctx.out_edges(member, r.relation_kind or "")))
    if targets.isdisjoint(ctx.on_claim):
        return
    # Per line, each rule's alternative edges (compiled per code).
    named = [(lv, by_rule) for lv in ctx.known if lv.iri in targets
             and any(by_rule := ctx.compiled(rules, ("alternatives", lv.iri), lambda iri=lv.iri: [
                 [e for e in ctx.in_edges(iri, r.relation_kind or "") if e.source in (r.applies_to or frozenset())]
                 for r in rules]))]
    for index, rule in enumerate(rules):
        members = rule.applies_to or frozenset()
        on_claim_members = [lv for lv in ctx.known if lv.iri in members]
        for lv, by_rule in named:
            alternatives = by_rule[index]
            if not alternatives:
                continue
            contrary_kind = rule.contrary_relation_kind or ""
            if rule.alternative_on_claim:
                if not on_claim_members:
                    continue
                origins = dict.fromkeys([*(e.source for e in alternatives), *(m.iri for m in on_claim_members)])
                contrary: list[Edge] = [e for o in origins if o for e in ctx.out_edges(o, contrary_kind)]
                other: LineView = on_claim_members[0]
            else:
                if on_claim_members:
                    continue
                contrary = [e for a in alternatives for e in ctx.out_edges(a.source, contrary_kind)
                            if e.target in ctx.on_claim and (rule.with_set is None or e.target in rule.with_set)]
                if not contrary:
                    continue
                other = ctx.on_claim[contrary[0].target][0]
            yield ctx.finding(rule, lv, (lv.notation, other.notation),
                              ctx.values(lv, other=other.notation, otherLine=other.number),
                              path=ctx.relationships([*alternatives, *contrary]))


def _drug_lines(ctx: ClaimContext) -> list[tuple[LineView, frozenset[str], str, tuple[str, ...]]]:
    """The claim's drug lines: line, the administration codes that suit its category, the
    category IRI and the category's sources."""
    def compute() -> list[tuple[LineView, frozenset[str], str, tuple[str, ...]]]:
        found = []
        for lv in ctx.known:
            facts = ctx.compiled(None, ("drug", lv.notation), lambda lv=lv: _drug_facts(ctx, lv))
            if facts is not None:
                found.append((lv, *facts))
        return found
    return ctx.cached(("drug-lines",), compute)


def _drug_facts(ctx: ClaimContext, lv: LineView) -> tuple[frozenset[str], str, tuple[str, ...]] | None:
    category = drug_category(ctx.kg, lv.notation, ctx.as_of)
    if category is None:
        return None
    return category.administered_with, category.iri, tuple(s.iri for s in category.sources)


def _drug_needs_administration(ctx: ClaimContext, rules: Sequence[ClaimRule]) -> Iterable[Finding]:
    """A drug of a listed category whose claim has administration codes, none of which suits it."""
    for rule in rules:
        admin = [lv for lv in ctx.known if rule.applies_to and lv.iri in rule.applies_to]
        if not admin:
            continue
        for lv, suits, category, sources in _drug_lines(ctx):
            if category not in rule.drug_categories or not suits or any(a.iri in suits for a in admin):
                continue
            yield ctx.finding(rule, lv, (lv.notation, *(a.notation for a in admin)),
                              ctx.values(lv, admin=", ".join(a.notation for a in admin),
                                         category=ctx.kg.text(category, "prefLabel", "")),
                              sources=sources)


def _administration_needs_drug(ctx: ClaimContext, rules: Sequence[ClaimRule]) -> Iterable[Finding]:
    """An administration code of the rule's set with drug lines on the claim, none of whose
    categories it suits; with no drug line at all, the rule's no-data message says so."""
    drugs = _drug_lines(ctx)
    for rule in rules:
        for lv in ctx.known:
            if not rule.applies_to or lv.iri not in rule.applies_to:
                continue
            if not drugs:
                yield ctx.no_data([rule], lv)
                continue
            if any(lv.iri in suits for _, suits, _, _ in drugs):
                continue
            named = ", ".join(d.notation for d, _, _, _ in drugs)
            yield ctx.finding(rule, lv, (lv.notation, *(d.notation for d, _, _, _ in drugs)),
                              ctx.values(lv, drugs=named), sources=[s for *_, src in drugs for s in src])


CHECKS: dict[str, CheckKind] = {
    CK.KnownCode: CheckKind(_known_code),
    CK.ValidUnits: CheckKind(_valid_units, ("min_units",)),
    CK.KnownPayer: CheckKind(_known_payer),
    CK.ClaimNotice: CheckKind(_claim_notice),
    CK.RequiresRelatedCode: CheckKind(_requires_related_code, ("relation_kind",)),
    CK.MaxUnits: CheckKind(_max_units),
    CK.PairConflict: CheckKind(_pair_conflict, ("relation_kind",)),
    CK.ModifierApplicability: CheckKind(_modifier_applicability, ("applicability",)),
    CK.SettingRestriction: CheckKind(_setting_restriction, ("applies_to",)),
    CK.PaymentStatusCheck: CheckKind(_payment_status, (("when_status", "when_packaging"),)),
    CK.OneInitialService: CheckKind(_one_initial_service, ("applies_to",)),
    CK.FamilyPrecedence: CheckKind(_family_precedence, ("applies_to", "with_set")),
    CK.ContestedAlternative: CheckKind(_contested_alternative, ("relation_kind", "contrary_relation_kind", "applies_to",
                                                                "alternative_on_claim")),
    CK.DrugNeedsAdministration: CheckKind(_drug_needs_administration, ("applies_to",)),
    CK.AdministrationNeedsDrug: CheckKind(_administration_needs_drug, ("applies_to",)),
    # NO_DATA findings are written by ClaimContext.no_data for every check kind; its rule is never run.
    CK.NoDataPolicy: CheckKind(None, ("claim_message",)),
}
