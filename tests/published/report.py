"""Print the agreement of the engine with the published cases: ``python -m tests.published.report``.

Per family and overall, uncontested and contested separately, then every disagreement with what
differed.
"""

from __future__ import annotations

from collections import defaultdict

from kg.graph import KnowledgeGraph
from tests.published.cases import evaluate, load_cases, load_known_misses

__all__ = ["main"]


def main() -> None:
    """Evaluate every case and print the agreement table."""
    kg = KnowledgeGraph.default()
    misses = load_known_misses()
    table: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    disagreements = []
    for case in load_cases():
        verdict = evaluate(kg, case)
        row = table[case.family]
        offset = 2 if case.contested else 0
        row[offset] += 1
        row[offset + 1] += verdict.agrees
        if not verdict.agrees:
            disagreements.append((case, verdict))
    print(f"{'family':20} {'uncontested':>14} {'contested':>12}")
    totals = [0, 0, 0, 0]
    for family, row in sorted(table.items()):
        totals = [a + b for a, b in zip(totals, row, strict=True)]
        print(f"{family:20} {row[1]:>6}/{row[0]:<7} {row[3]:>5}/{row[2]:<6}")
    share = totals[1] / totals[0] if totals[0] else 1.0
    print(f"{'all':20} {totals[1]:>6}/{totals[0]:<7} {totals[3]:>5}/{totals[2]:<6}"
          f"  agreement on uncontested cases: {share:.1%}")
    for case, verdict in disagreements:
        listed = "listed" if case.id in misses else "NOT LISTED"
        print(f"- {case.id} [{case.family}{', contested' if case.contested else ''}; {listed}]: "
              + "; ".join(verdict.problems))


if __name__ == "__main__":
    main()
