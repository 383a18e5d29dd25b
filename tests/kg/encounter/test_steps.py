"""Each step of the encounter coder on its own: timing, services, initial selection, add-ons, MUE."""

from __future__ import annotations

from kg.encounter import Administration as adm
from kg.encounter import Encounter
from kg.encounter.addons import Ledger, code_site, orphans
from kg.encounter.classify import time_and_classify
from kg.encounter.context import CodingContext
from kg.encounter.initial import choose_initial, order_accesses
from kg.encounter.limits import cap_to_mue
from kg.encounter.services import build_services


def _ctx(kg, perspective, *administrations):
    return CodingContext.of(kg, Encounter(perspective, None, administrations))


def test_timing_skips_a_reversed_administration_and_classifies_the_rest(kg):
    ctx = _ctx(kg, "FACILITY",
               adm("a", "iron", "THERAPEUTIC", "IV_INFUSION", "10:00", "09:00"),
               adm("b", "iron", "THERAPEUTIC", "IV_INFUSION", "10:00", "10:15"),
               adm("c", "iron", "THERAPEUTIC", "IV_INFUSION", "11:00", "11:16"))
    items = time_and_classify(ctx)
    assert [(i.adm.id, i.kind.label) for i in items] == [("b", "therapeutic push"), ("c", "therapeutic infusion")]
    assert [f.rule for f in ctx.findings] == ["MIDNIGHT_WITHOUT_DATE"]


def test_services_merge_one_substance_per_access_but_not_across_sites(kg):
    ctx = _ctx(kg, "FACILITY",
               adm("a", "iron", "THERAPEUTIC", "IV_INFUSION", "09:00", "09:40"),
               adm("b", "Iron ", "THERAPEUTIC", "IV_INFUSION", "09:30", "10:10"),
               adm("c", "iron", "THERAPEUTIC", "IV_INFUSION", "09:00", "09:40", site="left arm"))
    services = build_services(ctx, time_and_classify(ctx))
    assert sorted((s.ids, s.minutes) for s in services) == [(["a", "b"], 70), (["c"], 40)]


def test_initial_selection_follows_rank_then_the_physician_flag(kg):
    record = (adm("t", "ondansetron", "THERAPEUTIC", "IV_INFUSION", "08:00", "08:30", primary_reason=True),
              adm("c", "cisplatin", "CHEMOTHERAPY", "IV_INFUSION", "08:40", "09:40"))
    for perspective, expected in (("FACILITY", ["c"]), ("PHYSICIAN", ["c"])):
        ctx = _ctx(kg, perspective, *record)
        services = build_services(ctx, time_and_classify(ctx))
        assert choose_initial(ctx, Ledger(), services).ids == expected
    # The flag loses here: ondansetron's code is no valid primary of the chemo sequential code.
    assert "PRIMARY_REASON_NOT_INITIAL" in [f.rule for f in ctx.findings]


def test_the_trial_coding_leaves_the_ledger_and_findings_alone(kg):
    ctx = _ctx(kg, "PHYSICIAN",
               adm("p", "morphine", "THERAPEUTIC", "IV_PUSH", "08:00", "08:02", primary_reason=True),
               adm("i", "iron", "THERAPEUTIC", "IV_INFUSION", "08:10", "09:00"),
               adm("x", "morphine", "THERAPEUTIC", "IV_PUSH", "09:30", "09:32"))
    services = build_services(ctx, time_and_classify(ctx))
    ledger = Ledger()
    chosen = choose_initial(ctx, ledger, services)
    assert ledger.drafts == [] and ledger.given == {}
    assert chosen.ids == ["p"]
    assert "NOT_REPORTED_FOR_PERSPECTIVE" not in [f.rule for f in ctx.findings]


def test_an_injection_is_never_the_first_access_beside_a_line(kg):
    ctx = _ctx(kg, "FACILITY",
               adm("inj", "goserelin", "CHEMOTHERAPY", "INJECTION", "08:00", "08:01"),
               adm("iv", "normal saline", "HYDRATION", "IV_INFUSION", "08:00", "09:00"))
    services = build_services(ctx, time_and_classify(ctx))
    first, second = order_accesses(ctx, services)
    assert first[1] and not second[1]


def test_add_ons_without_a_primary_are_orphans(kg):
    ctx = _ctx(kg, "FACILITY",
               adm("a", "iron", "THERAPEUTIC", "IV_INFUSION", "09:00", "09:40"),
               adm("b", "ondansetron", "THERAPEUTIC", "IV_PUSH", "09:50", "09:52"))
    services = build_services(ctx, time_and_classify(ctx))
    ledger = Ledger()
    code_site(ctx, ledger, services, services[0], separate_site=False)
    assert [(d.code, d.units) for d in ledger.drafts] == [("96365", 1), ("96375", 1)]
    assert orphans(ctx, ledger.drafts) == []
    assert [d.code for d in orphans(ctx, ledger.drafts[1:])] == ["96375"]


def test_mue_cut_keeps_the_limit_and_reports_what_was_cut(kg):
    ctx = _ctx(kg, "PHYSICIAN", adm("a", "iron", "THERAPEUTIC", "IV_INFUSION", "00:00", "23:00"))
    services = build_services(ctx, time_and_classify(ctx))
    ledger = Ledger()
    code_site(ctx, ledger, services, services[0], separate_site=False)
    hours = next(d for d in ledger.drafts if d.code == "96366")
    assert hours.units == 22
    [cut] = cap_to_mue(ctx, ledger)
    assert hours.units == 8 and cut.code == "96366" and "22 units against a limit of 8" in cut.detail
