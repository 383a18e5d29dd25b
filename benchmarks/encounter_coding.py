"""Encounter coder timings: medians of ``code_encounter`` on the scenario records, in process.

Run: ``python -m benchmarks.encounter_coding [--repeat N]``. Prints one line per record
(median and p95 in microseconds) plus the one-off cost of reading the rules from the graph.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

from kg.encounter import Administration, Encounter, EncounterRules, code_encounter
from kg.graph import KnowledgeGraph

__all__ = ["RECORDS", "main"]

RECORDS: dict[str, Encounter] = {
    "scenario 1 (2 lines)": Encounter("FACILITY", None, [
        Administration("a", "carboplatin", "CHEMOTHERAPY", "IV_INFUSION", "09:00", "09:45"),
        Administration("b", "ondansetron", "THERAPEUTIC", "IV_INFUSION", "09:00", "09:30")]),
    "scenario 8 (4 lines)": Encounter("FACILITY", None, [
        Administration("a", "chemo A", "CHEMOTHERAPY", "IV_INFUSION", "09:00", "11:00"),
        Administration("b", "chemo B", "CHEMOTHERAPY", "IV_INFUSION", "11:00", "13:00")]),
    "busy day (10 administrations, 2 sites)": Encounter("FACILITY", None, [
        Administration("ns", "normal saline", "HYDRATION", "IV_INFUSION", "07:30", "12:00"),
        Administration("c1", "paclitaxel", "CHEMOTHERAPY", "IV_INFUSION", "08:00", "11:10"),
        Administration("c2", "carboplatin", "CHEMOTHERAPY", "IV_INFUSION", "11:10", "11:55"),
        Administration("d", "dexamethasone", "THERAPEUTIC", "IV_INFUSION", "08:00", "08:20"),
        Administration("o", "ondansetron", "THERAPEUTIC", "IV_PUSH", "07:45", "07:47"),
        Administration("o2", "ondansetron", "THERAPEUTIC", "IV_PUSH", "10:00", "10:02"),
        Administration("f", "famotidine", "THERAPEUTIC", "IV_PUSH", "07:50", "07:52"),
        Administration("k", "ketorolac", "THERAPEUTIC", "INJECTION", "12:10", "12:11"),
        Administration("v", "vancomycin", "THERAPEUTIC", "IV_INFUSION", "09:00", "10:40", site="right arm"),
        Administration("bad", "magnesium", "THERAPEUTIC", "IV_INFUSION", "25:99", "10:00")]),
}


def _measure(kg: KnowledgeGraph, record: Encounter, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        code_encounter(kg, record)
        samples.append((time.perf_counter() - start) * 1e6)
    return samples


def main(argv: list[str] | None = None) -> None:
    """Print the medians."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args(argv)
    kg = KnowledgeGraph.default()
    start = time.perf_counter()
    EncounterRules(kg, date.today())
    print(f"reading the encounter rules from the graph (once per graph and date): "
          f"{(time.perf_counter() - start) * 1e3:.2f} ms")
    for name, record in RECORDS.items():
        _measure(kg, record, 50)  # warm the rules cache and the code objects
        samples = sorted(_measure(kg, record, args.repeat))
        p95 = samples[int(len(samples) * 0.95) - 1]
        print(f"{name}: median {statistics.median(samples):.0f} us, p95 {p95:.0f} us ({args.repeat} runs)")


if __name__ == "__main__":
    main()
