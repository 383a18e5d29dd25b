"""The curated drug-administration graph against the domain brief and the real CMS files.

The curated layer is checked on its own (``curated``): the embedded CMS baseline below it in
the default graph is checked in ``test_baseline.py``.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from kg.graph import KnowledgeGraph

DOMAIN_CODES = [
    "96360", "96361", *(str(c) for c in range(96365, 96378)), "96379",
    "96401", "96402", "96409", "96411", "96413", "96415", "96416", "96417", "96422", "96423", "96523",
    *(str(c) for c in range(99202, 99206)), *(str(c) for c in range(99211, 99216)),
]
SCENARIO_DRUGS = ["J1100", "J2405", "J9045", "J9060", "J1439"]


def _pprrvu(cms: Path) -> dict[str, dict[str, str]]:
    with (cms / "PPRRVU2025_Oct.csv").open(newline="", encoding="latin-1") as handle:
        rows = list(csv.reader(handle))
    header = rows[9]
    return {r[0]: dict(zip(header, r, strict=False)) for r in rows[10:] if r and r[1] == ""}


def _addendum_b(cms: Path) -> dict[str, str]:
    path = cms / "opps-addendum-b-2026-04-reduced.csv"
    with path.open(newline="", encoding="latin-1") as handle:
        return {row["HCPCSCode"]: row["StatusIndicator"] for row in csv.DictReader(handle)}


@pytest.mark.parametrize("code", DOMAIN_CODES + SCENARIO_DRUGS)
def test_every_code_of_the_brief_is_in_the_graph(kg: KnowledgeGraph, code: str) -> None:
    found = kg.code(code)
    assert found is not None, code
    assert found.title and found.family
    assert kg.code_sources(code), f"{code} has no source"


def test_every_zzz_code_is_an_add_on_with_a_primary(curated: KnowledgeGraph, cms_reference: Path) -> None:
    pprrvu = _pprrvu(cms_reference)
    zzz = [c for c in curated.codes() if pprrvu.get(c.code, {}).get("DAYS") == "ZZZ"]
    assert len(zzz) == 12  # the brief's table: every ZZZ code is an add-on
    for code in zzz:
        assert code.is_add_on, code.code
        contractor = curated.node(code.iri).get("contractorDefinedPrimaries")
        assert curated.valid_primaries(code.code) or contractor, f"{code.code} has no primary"


def test_valid_primaries_of_96368_each_with_a_source(kg: KnowledgeGraph) -> None:
    edges = {r.to_code.code: r for r in kg.add_on_edges("96368")}
    assert {"96365", "96366", "96413", "96415", "96416"} <= set(edges)
    for primary in ("96365", "96366", "96413", "96415", "96416"):
        assert edges[primary].sources[0].confidence == "cpt-guideline"
    # The seed page's extra primaries are kept, marked as the weaker secondary source.
    assert edges["96360"].sources[0].confidence == "secondary"


def test_fee_schedule_indicators_match_the_real_pprrvu_file(curated: KnowledgeGraph, cms_reference: Path) -> None:
    pprrvu = _pprrvu(cms_reference)
    checked = 0
    for code in curated.codes():
        mpfs = [p for p in curated.payment_statuses(code.code) if p.payment_system == "MPFS"]
        if not mpfs:
            continue
        row = pprrvu[code.code]
        status = mpfs[0]
        assert status.status == row["CODE"], code.code
        assert status.indicators["globalDays"] == row["DAYS"], code.code
        assert status.indicators["multipleProcedure"] == row["PROC"], code.code
        assert status.indicators["bilateralSurgery"] == row["SURG"], code.code
        assert status.indicators["pctc"] == row["IND"], code.code
        assert status.sources[0].file_name == "PPRRVU2025_Oct.csv"
        checked += 1
    assert checked == sum(1 for c in curated.codes() if c.code in pprrvu)
    assert checked >= len(DOMAIN_CODES)


def test_opps_status_indicators_match_the_real_addendum_b(curated: KnowledgeGraph, cms_reference: Path) -> None:
    addendum = _addendum_b(cms_reference)
    checked = 0
    for code in curated.codes():
        for status in curated.payment_statuses(code.code):
            if status.payment_system == "OPPS":
                assert status.status == addendum[code.code], code.code
                checked += 1
    assert checked >= len(DOMAIN_CODES)
    opps_96368 = next(p for p in curated.payment_statuses("96368") if p.payment_system == "OPPS")
    assert (opps_96368.status, opps_96368.packaging, opps_96368.payable) == ("N", "always", "never")


def test_no_sentence_of_the_seed_page_is_copied(kg: KnowledgeGraph, test_data: Path) -> None:
    seed = re.sub(r"\s+", " ", (test_data / "seed-96368.txt").read_text(encoding="utf-8")).lower()
    texts = [t for c in kg.codes() for t in (c.title, c.description or "")]
    texts += [g.text for c in kg.codes() for g in kg.guidance(c.code)]
    texts += [r.note for c in kg.codes() for r in kg.relationships(c.code) if r.note]
    for text in texts:
        for sentence in re.split(r"(?<=[.;:])\s+", text):
            if len(sentence) >= 40:
                assert sentence.lower() not in seed, sentence


def test_mue_of_96368_is_one_per_date_of_service(kg: KnowledgeGraph) -> None:
    mue = kg.mue("96368", "PROFESSIONAL")
    assert mue is not None
    assert (mue.max_units, mue.per_date_of_service) == (1, True)
    assert kg.mue("96365", "FACILITY_OUTPATIENT") is None  # no data is not "no limit"


def test_modifier_rules_follow_the_fee_schedule_indicators(kg: KnowledgeGraph) -> None:
    rules = {(r.modifier, r.applicability) for r in kg.modifier_rules("96365")}
    assert ("51", "NOT_APPLICABLE") in rules  # MULT PROC 0
    assert ("50", "NOT_APPLICABLE") in rules  # BILAT SURG 0
    assert ("25", "NOT_APPLICABLE") in rules  # 25 belongs on the E/M line
    em_rules = {(r.modifier, r.applicability) for r in kg.modifier_rules("99214")}
    assert ("25", "NOT_APPLICABLE") not in em_rules


def test_conflicting_guidance_is_kept_with_both_sources(kg: KnowledgeGraph) -> None:
    rels = kg.relationships("96360")
    packaged = [r for r in rels if r.kind.value == "PACKAGED_UNDER" and r.from_code.code == "96360"]
    seed_position = [r for r in rels if r.kind.value == "ALTERNATIVE_TO" and r.to_code.code == "96368"]
    assert packaged and seed_position
    assert {s.confidence for r in packaged for s in r.sources} == {"cpt-guideline"}
    assert {s.confidence for r in seed_position for s in r.sources} == {"secondary"}
