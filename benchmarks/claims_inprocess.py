"""A 10-line claim checked in process, side by side with the same lookups as SPARQL.

Three ways, one run, same Turtle (the embedded default graph), same claim and date of service:

- ``engine``: :func:`kg.claims.check_claim` (networkx runtime graph). Measured warm (per-graph
  memo of modifier rules and the lazily built adjacency index kept between claims, as a server
  runs) and cold (every memo cleared before each check: the full lookup cost).
- ``pyoxigraph``: the lookups the engine makes for that claim (codes and their dates, add-on
  primaries, MUEs, payment statuses with their meanings, PTP and mutually-exclusive pairs,
  modifier rules and fee-schedule indicator meanings, code-set memberships, contested
  alternatives and packaging edges, the payer's rules), as SPARQL queries batched with VALUES
  over the claim's codes, on a ``pyoxigraph.Store`` loaded with the same Turtle.
  A second variant makes the same lookups per line, as the engine does (about 70 queries).
- ``rdflib``: the batched SPARQL on an ``rdflib.Graph``.

The SPARQL side only fetches the facts: it does not evaluate them. The ratios are therefore
conservative for the engine, which fetches *and* decides.

Run: ``python benchmarks/claims_inprocess.py [--runs N] [--rdflib-runs M]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyoxigraph as ox
import rdflib
from rdflib.plugins.sparql import prepareQuery

from kg.claims import Claim, ClaimLine, check_claim, rule_book
from kg.graph import KnowledgeGraph
from ontology import default_files

DOS = date(2026, 6, 1)
CLAIM = Claim(
    "PROFESSIONAL",
    [ClaimLine("99214", 1, ("25",)), ClaimLine("96413"), ClaimLine("96415", 2), ClaimLine("96417"),
     ClaimLine("96367"), ClaimLine("96368"), ClaimLine("96375", 1, ("51",)), ClaimLine("96361", 3),
     ClaimLine("J9045", 10), ClaimLine("J2405", 8)],
    payer="medicare", place_of_service="11", date_of_service=DOS,
)

PREFIXES = """PREFIX ck: <https://w3id.org/codingkg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


def _dated(var: str) -> str:
    day = f'"{DOS.isoformat()}"^^xsd:date'
    return (f"OPTIONAL {{ {var} ck:effective ?eff_{var[1:]} }} OPTIONAL {{ {var} ck:end ?end_{var[1:]} }} "
            f"FILTER((!BOUND(?eff_{var[1:]}) || ?eff_{var[1:]} <= {day}) && (!BOUND(?end_{var[1:]}) || ?end_{var[1:]} > {day}))")


def per_line_queries(claim: Claim) -> list[str]:
    """The same lookups made the way the engine makes them: per line (the pair lookup per line
    against every code of the claim), plus the payer's rules once."""
    queries: list[str] = []
    for line in claim.lines:
        one = Claim(claim.claim_type, [line], payer=claim.payer, place_of_service=claim.place_of_service,
                    date_of_service=claim.date_of_service)
        per_code = claim_queries(one, pair_with=claim)
        queries.extend(q for i, q in enumerate(per_code) if i != len(per_code) - 1 and not (i == 5 and not line.modifiers))
    return [*queries, claim_queries(claim)[-1]]


def claim_queries(claim: Claim, pair_with: Claim | None = None) -> list[str]:
    """The engine's lookups for one claim, as SPARQL (batched over the claim's codes)."""
    codes = " ".join(f'"{line.code}"' for line in claim.lines)
    others = codes if pair_with is None else " ".join(f'"{line.code}"' for line in pair_with.lines)
    with_modifiers = " ".join(f'"{line.code}"' for line in claim.lines if line.modifiers)
    values = f"VALUES ?n {{ {codes} }} ?c skos:notation ?n ; a ck:Code ."
    return [
        # codes and their validity dates
        PREFIXES + f"SELECT ?n ?c ?eff ?end WHERE {{ {values} "
        "OPTIONAL { ?c ck:effective ?eff } OPTIONAL { ?c ck:end ?end } }",
        # add-on primaries with edit types and sources
        PREFIXES + f"""SELECT ?n ?p ?type ?src WHERE {{ {values}
            ?r a ck:AddOnOf ; ck:fromCode ?c ; ck:toCode ?pc . ?pc skos:notation ?p .
            OPTIONAL {{ ?r ck:editType ?type }} OPTIONAL {{ ?r dcterms:source ?src }} {_dated('?r')} }}""",
        # MUE for the claim type, with adjudication
        PREFIXES + f"""SELECT ?n ?max ?adj ?perDate ?src WHERE {{ {values}
            ?m a ck:MueLimit ; ck:code ?c ; ck:claimType ?ct ; ck:maxUnits ?max . ?ct ck:enumName "{claim.claim_type.value}" .
            OPTIONAL {{ ?m ck:adjudication ?a . ?a ck:enumName ?adj ; ck:perDateOfService ?perDate }}
            OPTIONAL {{ ?m dcterms:source ?src }} {_dated('?m')} }}""",
        # payment status in the claim type's payment system, with the status meaning
        PREFIXES + f"""SELECT ?n ?status ?packaging ?with ?mult ?bilat WHERE {{ {values}
            ?ctn ck:enumName "{claim.claim_type.value}" ; ck:paymentSystem ?sys .
            ?ps a ck:PaymentStatus ; ck:code ?c ; ck:paymentSystem ?sys ; ck:status ?sv .
            ?sv skos:notation ?status ; ck:packaging ?packaging .
            OPTIONAL {{ ?sv ck:packagedWithStatus/skos:notation ?with }}
            OPTIONAL {{ ?ps ck:multipleProcedure ?mult }} OPTIONAL {{ ?ps ck:bilateralSurgery ?bilat }} {_dated('?ps')} }}""",
        # PTP and mutually exclusive pairs among the claim's codes
        PREFIXES + f"""SELECT ?a ?b ?cls ?mi ?src WHERE {{ VALUES ?na {{ {codes} }} VALUES ?nb {{ {others} }}
            ?ca skos:notation ?na . ?cb skos:notation ?nb .
            ?r ck:fromCode ?ca ; ck:toCode ?cb ; a ?cls . FILTER(?cls IN (ck:BundledInto, ck:MutuallyExclusiveWith))
            OPTIONAL {{ ?r ck:modifierIndicator ?mi }} OPTIONAL {{ ?r dcterms:source ?src }} {_dated('?r')} }}""",
        # modifier rules and fee-schedule indicator meanings for the lines that carry modifiers
        PREFIXES + f"""SELECT ?n ?mod ?app ?reason WHERE {{ VALUES ?n {{ {with_modifiers} }} ?c skos:notation ?n .
            {{ ?rule a ck:ModifierRule ; ck:modifier/skos:notation ?mod ; ck:applicability ?app ; ck:reason ?reason .
               OPTIONAL {{ ?rule ck:appliesToSet ?set }} OPTIONAL {{ ?rule ck:appliesToAddOns ?addons }} }}
            UNION
            {{ ?im a ck:IndicatorMeaning ; ck:indicatorField ?field ; ck:indicatorValue ?value ;
                   ck:modifier/skos:notation ?mod ; ck:applicability ?app ; ck:reason ?reason .
               ?ps a ck:PaymentStatus ; ck:code ?c ; ?p ?value . FILTER(STRENDS(STR(?p), ?field)) }} }}""",
        # code-set memberships of the claim's codes
        PREFIXES + f"SELECT ?set ?n WHERE {{ {values} ?set a ck:CodeSet ; ck:member ?c }}",
        # contested alternatives: alternative-to edges into the claim's codes and packaging edges out of their sources
        PREFIXES + f"""SELECT ?n ?x ?pkgTo ?src WHERE {{ {values}
            ?alt a ck:AlternativeTo ; ck:fromCode ?xc ; ck:toCode ?c . ?xc skos:notation ?x .
            OPTIONAL {{ ?pkg a ck:PackagedUnder ; ck:fromCode ?xc ; ck:toCode/skos:notation ?pkgTo ; dcterms:source ?src }}
            {_dated('?alt')} }}""",
        # the payer's rules along its baseline chain, with their scope
        PREFIXES + f"""SELECT ?rule ?id ?kind ?sev ?ct ?pos WHERE {{
            ?payer skos:notation "{claim.payer}" .
            ?rule a ck:ClaimRule .
            OPTIONAL {{ ?rule ck:ruleId ?id ; ck:checkKind ?kind ; ck:severity ?sev }}
            OPTIONAL {{ ?rule ck:claimType/ck:enumName ?ct }} OPTIONAL {{ ?rule ck:placeOfService/skos:notation ?pos }}
            FILTER(NOT EXISTS {{ ?rule ck:payer ?any }} || EXISTS {{ ?rule ck:payer ?scope . ?payer ck:baseline* ?scope }}) }}""",
    ]


def measure(run: Callable[[], object], runs: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        run()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return times


def summary(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--rdflib-runs", type=int, default=30)
    args = parser.parse_args()

    files = default_files()
    kg = KnowledgeGraph.default()
    store = ox.Store()
    for path in files:
        store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE)
    graph = rdflib.Graph()
    for path in files:
        graph.parse(str(path), format="turtle")
    queries = claim_queries(CLAIM)
    prepared = [prepareQuery(q) for q in queries]
    line_queries = per_line_queries(CLAIM)

    def oxigraph() -> int:
        return sum(len(list(store.query(q))) for q in queries)

    def oxigraph_per_line() -> int:
        return sum(len(list(store.query(q))) for q in line_queries)

    def rdflib_sparql() -> int:
        return sum(len(list(graph.query(q))) for q in prepared)

    book = rule_book(kg)

    def cold() -> object:
        book.clear_caches()
        return check_claim(kg, CLAIM)

    result = check_claim(kg, CLAIM)
    print(f"claim: {len(CLAIM.lines)} lines, {len(result.findings)} findings "
          f"({', '.join(sorted({f.rule for f in result.findings}))}); valid={result.valid}")
    print(f"SPARQL: {len(queries)} batched queries, rows pyoxigraph={oxigraph()} rdflib={rdflib_sparql()}; "
          f"per line: {len(line_queries)} queries, rows={oxigraph_per_line()}")

    rows = [
        ("engine warm (check_claim)", summary(measure(lambda: check_claim(kg, CLAIM), args.runs, 200))),
        ("engine cold (caches cleared)", summary(measure(cold, max(args.runs // 3, 50), 20))),
        ("pyoxigraph SPARQL, batched", summary(measure(oxigraph, max(args.runs // 10, 50), 10))),
        ("pyoxigraph SPARQL, per line", summary(measure(oxigraph_per_line, max(args.runs // 20, 30), 5))),
        ("rdflib SPARQL, batched", summary(measure(rdflib_sparql, args.rdflib_runs, 3))),
    ]
    print(f"\n{'':34} {'median ms':>10} {'p90 ms':>10}")
    for name, (median, p90) in rows:
        print(f"{name:34} {median * 1e3:10.3f} {p90 * 1e3:10.3f}")
    warm, cold_m = rows[0][1][0], rows[1][1][0]
    print()
    for name, (median, _) in rows[2:]:
        print(f"{name + ' / engine:':42} {median / warm:8.1f}x warm {median / cold_m:8.1f}x cold")


if __name__ == "__main__":
    main()
