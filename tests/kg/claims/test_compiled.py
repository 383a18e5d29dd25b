"""What the engine keeps between claims (per-code facts per date span, per-rule-set verdicts,
shared source and path tuples) never changes an answer: a claim checked after many others gives
the findings it gives when every memo is cleared first."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from kg.claims import Claim, ClaimCheck, ClaimLine, check_claim, rule_book
from kg.graph import KnowledgeGraph

from .conftest import layered

# The benchmark's drug administration claim codes and their neighbours: add-ons, PTP and
# mutually exclusive pairs, concurrent and hydration rules, drugs and their administrations.
FOCUS = ["99214", "96413", "96415", "96417", "96367", "96368", "96375", "96361", "96360", "96372",
         "96365", "96366", "96374", "J9045", "J2405", "J1100", "J7030", "00000"]
MODIFIERS = ["25", "59", "XU", "51", "76", "LT", "GY"]


def _dates(kg: KnowledgeGraph) -> list[date]:
    """Dates on both sides of every date the graph names (where per-span facts change), and today."""
    named = rule_book(kg)._dates_named()
    return [date.today(), *(d + timedelta(days=k) for d in named[-6:] for k in (-1, 0, 1))]


def _claims(kg: KnowledgeGraph, count: int, seed: int, pool: list[str] | None = None) -> list[Claim]:
    rng = random.Random(seed)
    pool = pool or [*FOCUS, *rng.sample(sorted(c.code for c in kg.codes()), 40)]
    days = _dates(kg)
    claims = []
    for _ in range(count):
        lines = [ClaimLine(rng.choice(pool), rng.choice([0, 1, 1, 2, 9]),
                           tuple(rng.sample(MODIFIERS, rng.choice([0, 0, 1, 2]))))
                 for _ in range(rng.randint(1, 10))]
        claims.append(Claim(rng.choice(["PROFESSIONAL", "FACILITY_OUTPATIENT", "FACILITY_INPATIENT"]), lines,
                            payer=rng.choice(["medicare", "medicaid", "commercial", "unknown-plan"]),
                            place_of_service=rng.choice([None, "11", "19", "22"]), date_of_service=rng.choice(days)))
    return claims


def _cold(kg: KnowledgeGraph, claim: Claim) -> ClaimCheck:
    rule_book(kg).clear_caches()
    return check_claim(kg, claim)


def _same_answers(kg: KnowledgeGraph, claims: list[Claim]) -> int:
    cold = [_cold(kg, claim) for claim in claims]
    rule_book(kg).clear_caches()
    warm = [check_claim(kg, claim) for claim in claims]
    again = [check_claim(kg, claim) for claim in reversed(claims)][::-1]  # every memo filled, other order
    for claim, expected, first, second in zip(claims, cold, warm, again, strict=True):
        assert first == expected, claim
        assert second == expected, claim
    return sum(len(c.findings) for c in cold)


def test_warm_checks_answer_as_cold_ones_on_the_curated_graph() -> None:
    kg = KnowledgeGraph.default()
    findings = _same_answers(kg, _claims(kg, 120, seed=3))
    assert findings > 400  # the claims reach many rules, not just empty answers


def test_warm_checks_answer_as_cold_ones_with_a_bulk_table(small_graph: KnowledgeGraph) -> None:
    bulk = small_graph.bulk
    assert bulk is not None
    # Codes with imported PTP rows (per claim type), so most claims hold an imported pair.
    imported = sorted({bulk.nodes[n] for n in (*bulk.src, *bulk.dst)})
    pool = [str(small_graph.node(iri).get("notation")) for iri in imported[:12] if small_graph.node(iri).get("notation")]
    assert len(pool) >= 4
    _same_answers(small_graph, _claims(small_graph, 80, seed=4, pool=pool))


def test_dates_share_facts_only_within_a_span_the_graph_names() -> None:
    kg = KnowledgeGraph.default()
    book = rule_book(kg)
    named = book._dates_named()
    assert named == sorted(set(named)) and len(named) >= 2
    change = named[-1]
    assert book.day_facts(change) is book.day_facts(change + timedelta(days=400))
    assert book.day_facts(change - timedelta(days=1)) is not book.day_facts(change)
    assert book.day_facts(named[0] - timedelta(days=1)) is not book.day_facts(named[0])


def test_a_fact_that_ends_stops_applying_on_its_end_date(tmp_path: Path) -> None:
    """A code whose MUE ends mid-year: checked before and on the end date (in that order, so
    a memo from the first would show in the second)."""
    kg = layered(tmp_path, """
mue:limit-test a ck:MueLimit ; ck:code cpt:96372 ; ck:claimType claim:professional ; ck:maxUnits 1 ;
    ck:effective "2026-01-01"^^xsd:date ; ck:end "2026-07-01"^^xsd:date ; dcterms:source src:seed-96368 .
""")
    claim = [ClaimLine("96372", 2)]

    def rules(day: date) -> list[str]:
        return [f.rule for f in check_claim(kg, Claim("PROFESSIONAL", claim, place_of_service="11",
                                                       date_of_service=day)).findings]

    before, on_end = rules(date(2026, 6, 30)), rules(date(2026, 7, 1))
    rule_book(kg).clear_caches()
    assert rules(date(2026, 7, 1)) == on_end
    assert before != on_end
