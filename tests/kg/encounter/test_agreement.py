"""Each kind of disagreement once found between the coder and the claim checker, pinned.

Every record here was coded into lines the claim checker rejected. The expected codes are
what a drug-administration coder reports (CPT initial/add-on structure, one initial service
per access, add-on primaries, practitioner MUEs); each test also bills the lines and expects
no ERROR from the claim checker.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from kg.claims import Claim, ClaimLine, check_claim
from kg.encounter import Administration as adm
from kg.encounter import Encounter, EncounterCoding, code_encounter
from kg.graph import KnowledgeGraph
from kg.model import Severity
from ontology import DATA_DIR, default_files

DAY = date(2026, 6, 1)
CLAIM_OF = {"PHYSICIAN": ("PROFESSIONAL", "11"), "FACILITY": ("FACILITY_OUTPATIENT", "22")}


@pytest.fixture()
def coded(kg: KnowledgeGraph) -> Callable[..., EncounterCoding]:
    """Code a record dated ``DAY`` and assert its lines, billed, raise no ERROR."""

    def run(perspective: str, *administrations: adm, graph: KnowledgeGraph | None = None) -> EncounterCoding:
        coding = code_encounter(graph or kg, Encounter(perspective, DAY, administrations))
        claim_type, place = CLAIM_OF[perspective]
        claim = Claim(claim_type, [ClaimLine(x.code, x.units, x.modifiers) for x in coding.lines],
                      place_of_service=place, date_of_service=DAY)
        errors = [f.rule for f in check_claim(graph or kg, claim).findings if f.severity is Severity.ERROR]
        assert errors == [], coding.codes()
        return coding

    return run


def lines(coding: EncounterCoding) -> list[tuple[str, int, tuple[str, ...], tuple[str, ...]]]:
    return [(x.code, x.units, x.modifiers, x.administrations) for x in coding.lines]


# ---------------------------------------------------------------- an injection never heads the IV line
def test_flagged_chemo_injection_beside_a_one_minute_chemo_infusion(coded):
    # The first falsifying example: one minute of IV chemo is a push, and the flagged injection
    # was coded as the initial service, leaving the push as an add-on with no IV primary.
    coding = coded("PHYSICIAN",
                   adm("iv", "carboplatin", "CHEMOTHERAPY", "IV_INFUSION", "06:00", "06:01"),
                   adm("im", "cisplatin", "CHEMOTHERAPY", "INJECTION", "07:00", "07:01", primary_reason=True))
    assert lines(coding) == [("96409", 1, (), ("iv",)), ("96401", 1, ("XU",), ("im",))]
    assert "flagged as the primary reason" in coding.lines[1].rationale


@pytest.mark.parametrize("perspective", ["FACILITY", "PHYSICIAN"])
def test_chemo_injection_does_not_take_the_initial_code_of_a_therapeutic_infusion(coded, perspective):
    # The hierarchy ranks a chemotherapy injection above a therapeutic infusion, but the injection
    # is not given through the line: the infusion keeps its own initial code, not the sequential one.
    coding = coded(perspective,
                   adm("im", "methotrexate", "CHEMOTHERAPY", "INJECTION", "10:42", "10:43"),
                   adm("iv", "ceftriaxone", "THERAPEUTIC", "IV_INFUSION", "09:19", "10:50"))
    assert lines(coding) == [("96365", 1, (), ("iv",)), ("96366", 1, (), ("iv",)), ("96401", 1, ("XU",), ("im",))]


def test_flagged_injection_beside_an_iv_push(coded):
    coding = coded("PHYSICIAN",
                   adm("im", "ketorolac", "THERAPEUTIC", "INJECTION", "09:00", "09:01", primary_reason=True),
                   adm("iv", "ondansetron", "THERAPEUTIC", "IV_PUSH", "09:10", "09:12"))
    assert lines(coding) == [("96374", 1, (), ("iv",)), ("96372", 1, ("XU",), ("im",))]


def test_hydration_after_an_injection_is_initial_hydration(coded):
    coding = coded("PHYSICIAN",
                   adm("ns", "normal saline", "HYDRATION", "IV_INFUSION", "09:00", "10:00"),
                   adm("im", "ketorolac", "THERAPEUTIC", "INJECTION", "11:15", "11:16"))
    assert lines(coding) == [("96360", 1, (), ("ns",)), ("96372", 1, ("XU",), ("im",))]


def test_two_injections_are_one_line_of_two_units(coded):
    coding = coded("FACILITY",
                   adm("a", "ketorolac", "THERAPEUTIC", "INJECTION", "09:00", "09:01"),
                   adm("b", "vitamin B12", "THERAPEUTIC", "INJECTION", "09:05", "09:06"))
    # Published worked examples report further injections of the same code as units, not as
    # separate sites (see tests/published, injections).
    assert [(x.code, x.units, x.modifiers) for x in coding.lines] == [("96372", 2, ())]


# ---------------------------------------------------------------- a subcutaneous set is its own access
@pytest.mark.parametrize("perspective", ["FACILITY", "PHYSICIAN"])
def test_subcutaneous_infusion_and_iv_push_each_take_an_initial_code(coded, perspective):
    # Same (unnamed) site, different access: the IV push is no additional push after 96369.
    coding = coded(perspective,
                   adm("sc", "immune globulin", "THERAPEUTIC", "SUBCUTANEOUS_INFUSION", "06:18", "06:40"),
                   adm("iv", "ondansetron", "THERAPEUTIC", "IV_PUSH", "13:48", "13:49"))
    assert lines(coding) == [("96369", 1, (), ("sc",)), ("96374", 1, ("XU",), ("iv",))]
    assert "intravenous line" in coding.lines[1].rationale


def test_hydration_is_not_secondary_to_a_subcutaneous_infusion(coded):
    coding = coded("FACILITY",
                   adm("sc", "immune globulin", "THERAPEUTIC", "SUBCUTANEOUS_INFUSION", "10:00", "10:30", site="left arm"),
                   adm("ns", "normal saline", "HYDRATION", "IV_INFUSION", "10:10", "13:30", site="left arm"))
    assert lines(coding) == [("96369", 1, (), ("sc",)), ("96360", 1, ("XU",), ("ns",)), ("96361", 2, (), ("ns",))]


# ---------------------------------------------------------------- the flag yields when its code anchors nothing
def test_flagged_chemo_push_cannot_head_a_chemo_infusion(coded):
    # The sequential chemotherapy code follows only the chemotherapy infusion's first hour.
    coding = coded("PHYSICIAN",
                   adm("inf", "paclitaxel", "CHEMOTHERAPY", "IV_INFUSION", "07:36", "08:52"),
                   adm("push", "doxorubicin", "CHEMOTHERAPY", "IV_PUSH", "06:00", "06:01", primary_reason=True))
    assert lines(coding) == [("96413", 1, (), ("inf",)), ("96411", 1, (), ("push",))]
    [finding] = [f for f in coding.findings if f.rule == "PRIMARY_REASON_NOT_INITIAL"]
    assert finding.codes == ("96417",) and finding.severity is Severity.WARNING
    assert {r.to_code.code for r in finding.path} == {"96413"}


@pytest.mark.parametrize("route, initial, later", [("IV_INFUSION", "96413", "96367"), ("IV_PUSH", "96409", "96367")])
def test_flagged_therapeutic_drug_cannot_head_chemotherapy(coded, route, initial, later):
    # Chemotherapy add-ons never follow a therapeutic initial code (and the claim checker's
    # hierarchy rule rejects chemotherapy billed only as an add-on).
    coding = coded("PHYSICIAN",
                   adm("t", "ceftriaxone", "THERAPEUTIC", "IV_INFUSION", "09:00", "10:00", primary_reason=True),
                   adm("c", "carboplatin", "CHEMOTHERAPY", route, "10:05", "10:50" if route == "IV_INFUSION" else "10:07"))
    assert [x.code for x in coding.lines] == [initial, later]
    assert coding.lines[0].administrations == ("c",)
    assert "PRIMARY_REASON_OVERRIDES_HIERARCHY" not in coding.rules()
    assert "PRIMARY_REASON_NOT_INITIAL" in coding.rules()


def test_flag_that_anchors_its_access_still_wins(coded):
    coding = coded("PHYSICIAN",
                   adm("push", "ondansetron", "THERAPEUTIC", "IV_PUSH", "09:00", "09:02", primary_reason=True),
                   adm("drip", "ceftriaxone", "THERAPEUTIC", "IV_INFUSION", "10:00", "10:40"))
    assert [x.code for x in coding.lines] == ["96374", "96367"]
    assert "PRIMARY_REASON_NOT_INITIAL" not in coding.rules()


# ---------------------------------------------------------------- an add-on with no primary at all
def test_concurrent_infusion_after_a_chemo_push_and_a_sequential_one_is_not_reported(coded):
    # The concurrent code follows neither the chemotherapy push nor the sequential infusion.
    coding = coded("FACILITY",
                   adm("p", "doxorubicin", "CHEMOTHERAPY", "IV_PUSH", "08:00", "08:05"),
                   adm("s", "ceftriaxone", "THERAPEUTIC", "IV_INFUSION", "09:00", "10:00"),
                   adm("c", "ondansetron", "THERAPEUTIC", "IV_INFUSION", "09:30", "10:10"))
    assert lines(coding) == [("96409", 1, (), ("p",)), ("96367", 1, (), ("s",))]
    [finding] = [f for f in coding.findings if f.rule == "ADDON_WITHOUT_PRIMARY"]
    assert finding.codes == ("96368",) and "administrations c" in finding.message and finding.line is None
    assert {"96365", "96413"} <= {r.to_code.code for r in finding.path}


# ---------------------------------------------------------------- practitioner MUEs
def test_second_site_push_above_the_practitioner_mue_is_not_reported(coded, kg):
    records = (adm("a", "ondansetron", "THERAPEUTIC", "IV_PUSH", "10:45", "10:50", site="right hand"),
               adm("b", "morphine", "THERAPEUTIC", "IV_PUSH", "06:00", "06:07"))
    physician = coded("PHYSICIAN", *records)
    assert lines(physician) == [("96374", 1, (), ("b",))]
    [finding] = [f for f in physician.findings if f.rule == "MUE_EXCEEDED"]
    assert "not reported for administrations a" in finding.message
    # No facility MUE is curated: both sites keep their initial code.
    assert [(x.code, x.modifiers) for x in coded("FACILITY", *records).lines] == [("96374", ()), ("96374", ("XU",))]


def test_additional_hours_are_cut_to_the_practitioner_mue(coded):
    # Three five-hour infusions: 4 extra hours each, 12 in all against 8 per date of service.
    coding = coded("PHYSICIAN",
                   adm("a", "drug a", "THERAPEUTIC", "IV_INFUSION", "06:00", "11:00"),
                   adm("b", "drug b", "THERAPEUTIC", "IV_INFUSION", "11:00", "16:00"),
                   adm("c", "drug c", "THERAPEUTIC", "IV_INFUSION", "16:00", "21:00"))
    assert coding.codes() == [("96365", 1), ("96366", 8), ("96367", 2)]  # 12 extra hours cut to 8
    [finding] = [f for f in coding.findings if f.rule == "MUE_EXCEEDED"]
    assert "12 units against a limit of 8" in finding.message


# ---------------------------------------------------------------- the access line is data
def test_the_access_line_is_read_from_turtle(tmp_path: Path):
    # Put the subcutaneous infusion on the intravenous line and the IV push becomes its add-on,
    # exactly the disagreement the access lines remove (the claim checker then rejects it).
    rules = DATA_DIR / "encounter-rules.ttl"
    edited = tmp_path / rules.name
    text = rules.read_text(encoding="utf-8")
    assert "ck:accessLine enc:line-subcutaneous ;" in text
    edited.write_text(text.replace("ck:accessLine enc:line-subcutaneous ;", "ck:accessLine enc:line-intravenous ;"),
                      encoding="utf-8")
    graph = KnowledgeGraph.from_layers([[edited if p == rules else p for p in default_files()]])
    record = Encounter("FACILITY", DAY, [
        adm("sc", "immune globulin", "THERAPEUTIC", "SUBCUTANEOUS_INFUSION", "06:18", "06:40"),
        adm("iv", "ondansetron", "THERAPEUTIC", "IV_PUSH", "13:48", "13:49")])
    coding = code_encounter(graph, record)
    assert "ADDON_WITHOUT_PRIMARY" in coding.rules()
    assert [x.code for x in coding.lines] == ["96369"]
