"""Queries on the full-size graph: the embedded graph plus a full generated CMS quarter.

Side by side, in one run: the same calls on the embedded graph alone (the peer here is the
small graph, showing what ~5 M PTP rows and ~100 k other edges cost each query). Medians over
``--runs`` calls after a warm-up.

    python benchmarks/generate_cms.py --scale 1 --out DATA
    codingkg import DATA/* ontology/cms/PPRRVU2025_Oct.csv --out RELEASE
    python benchmarks/full_scale_queries.py RELEASE [--runs 200]

The first run parses the release and writes the compiled snapshot (about a minute); later
runs start from the snapshot.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kg.claims import Claim, ClaimLine, check_claim
from kg.graph import KnowledgeGraph

DOS = date(2026, 8, 3)
CLAIM = Claim(
    "PROFESSIONAL",
    [ClaimLine("99214", 1, ("25",)), ClaimLine("96413"), ClaimLine("96415", 2), ClaimLine("96417"),
     ClaimLine("96367"), ClaimLine("96368"), ClaimLine("96375", 1, ("51",)), ClaimLine("96361", 3),
     ClaimLine("J9045", 10), ClaimLine("J2405", 8)],
    place_of_service="11", date_of_service=DOS,
)


def _median_ms(call: Callable[[], object], runs: int) -> float:
    for _ in range(min(runs, 20)):
        call()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("release", type=Path, help="a release directory written by codingkg import")
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    start = time.perf_counter()
    full = KnowledgeGraph.default([args.release], use_cache=True)
    load_s = time.perf_counter() - start
    small = KnowledgeGraph.default()
    bulk_rows = len(full.bulk) if full.bulk is not None else 0
    print(f"full graph: {bulk_rows:,} bulk PTP rows, {full.graph.number_of_edges():,} graph edges; "
          f"loaded in {load_s:.1f} s, peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB\n")
    calls: list[tuple[str, Callable[[KnowledgeGraph], object]]] = [
        ("check_claim, 10 lines", lambda kg: check_claim(kg, CLAIM)),
        ("valid_primaries(96368)", lambda kg: kg.valid_primaries("96368", DOS)),
        ("relationships(96413)", lambda kg: kg.relationships("96413", as_of=DOS)),
        ("related(96368, depth 2, limit 200)", lambda kg: kg.related("96368", depth=2, as_of=DOS, limit=200)),
        ("path(96411, 96415)", lambda kg: kg.path("96411", "96415", as_of=DOS)),
        ("search('infusion')", lambda kg: kg.search("infusion")),
    ]
    print(f"{'call':<38} {'full ms':>9} {'embedded ms':>12} {'ratio':>7}   results (full / embedded)")
    for label, call in calls:
        full_ms = _median_ms(lambda call=call: call(full), args.runs)
        small_ms = _median_ms(lambda call=call: call(small), args.runs)
        sizes = []
        for kg in (full, small):
            result = call(kg)
            sizes.append(len(result.findings) if hasattr(result, "findings") else len(result or []))  # type: ignore[arg-type]
        print(f"{label:<38} {full_ms:9.3f} {small_ms:12.3f} {full_ms / small_ms:7.1f}   {sizes[0]} / {sizes[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
