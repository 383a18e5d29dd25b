"""The batch serializer answers exactly what the API answers for ``checkClaims`` (many claims)."""

from __future__ import annotations

import random
from datetime import date

from kg.claims import check_claim
from kg.claims.serialize import check_to_dict
from kg.graph import KnowledgeGraph
from server.offline import CHECK_DOCUMENT, execute

MODIFIERS = ["25", "59", "XU", "51", "76", "LT", "ZZ"]


def _claims(kg: KnowledgeGraph, count: int, seed: int) -> list[dict]:
    """Random claims over the graph's codes (plus an unknown one), modifiers, claim types and dates."""
    rng = random.Random(seed)
    codes = [*sorted(str(c.code) for c in kg.codes())[:400], "00000"]
    claims = []
    for _ in range(count):
        lines = [{"code": rng.choice(codes), "units": rng.choice([0, 1, 1, 2, 5]),
                  "modifiers": rng.sample(MODIFIERS, rng.choice([0, 0, 1, 2]))} for _ in range(rng.randint(1, 10))]
        claim = {"claimType": rng.choice(["PROFESSIONAL", "FACILITY_OUTPATIENT", "FACILITY_INPATIENT"]),
                 "payer": rng.choice(["medicare", "medicare", "unknown-payer"]),
                 "dateOfService": date(rng.choice([2019, 2025, 2026]), rng.randint(1, 12), 1).isoformat(),
                 "lines": lines}
        if rng.random() < 0.8:
            claim["placeOfService"] = rng.choice(["11", "22", "21"])
        claims.append(claim)
    return claims


def _compare(kg: KnowledgeGraph, claims: list[dict]) -> int:
    api = execute(kg, CHECK_DOCUMENT, {"claims": claims})["checkClaims"]
    ours = [check_to_dict(check_claim(kg, claim)) for claim in claims]
    for claim, expected, got in zip(claims, api, ours, strict=True):
        assert got == expected, claim
    return sum(len(c["findings"]) for c in api)


def test_matches_the_api_on_random_claims_of_the_curated_graph() -> None:
    kg = KnowledgeGraph.default()
    findings = _compare(kg, _claims(kg, 200, seed=15))
    assert findings > 200  # the claims exercise many findings, not just empty results


def test_matches_the_api_with_imported_edges_and_file_sources(small_graph: KnowledgeGraph) -> None:
    claims = [{"claimType": t, "placeOfService": "11", "dateOfService": day, "lines": lines}
              for t in ("PROFESSIONAL", "FACILITY_OUTPATIENT")
              for day in ("2019-12-31", "2026-08-03")
              for lines in ([{"code": "96413"}, {"code": "96360", "modifiers": ["59"]}],
                            [{"code": "96374"}, {"code": "96372"}], [{"code": "96368", "units": 3}])]
    _compare(small_graph, claims)
    out = check_to_dict(check_claim(small_graph, claims[-3]))
    assert any(s["fileName"] for f in out["findings"] for r in f["path"] for s in r["sources"])


def test_json_bytes_are_the_dicts_encoded() -> None:
    """check_to_json (shared, pre-encoded source and path lists) writes exactly what encoding
    check_to_dict's answer writes, as the standard library would print it."""
    import json

    import orjson

    from kg.claims.serialize import check_to_json

    kg = KnowledgeGraph.default()
    claims = _claims(kg, 150, seed=16)
    for claim in [*claims, *claims[:20]]:  # the second pass reads the encoded lists back
        check = check_claim(kg, claim)
        data = check_to_dict(check)
        written = check_to_json(check)
        assert written == orjson.dumps(data), claim
        assert written.decode() == json.dumps(data, ensure_ascii=False, separators=(",", ":"))
