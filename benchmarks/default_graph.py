"""Default graph: start time from a warm snapshot, cold build time, and memory of the process.

Each run is a fresh interpreter (so imports, unpickling and indexing are all counted) that
builds ``KnowledgeGraph.default(use_cache=True)`` and reports the wall time of that call,
its resident memory (``VmRSS``) and peak (``VmHWM``) from ``/proc/self/status``, and the
number of codes the graph knows. The first run in an empty cache directory is the cold
build (import of the embedded CMS files where the engine has them, parse, snapshot write);
the following runs read the snapshot. The curated data alone (``baseline=False``, the default
graph before the embedded CMS baseline) is measured the same way in the same run, side by side.

    python benchmarks/default_graph.py [--runs 5] [--label after]

Linux only (``/proc``). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]

PROBE = r"""
import json, os, re, time
t0 = time.perf_counter()
from kg.graph import KnowledgeGraph
kg = KnowledgeGraph.default(use_cache=True, baseline=os.environ["BENCH_BASELINE"] == "1")
seconds = time.perf_counter() - t0
status = open("/proc/self/status").read()
kb = lambda name: int(re.search(rf"^{name}:\s+(\d+)", status, re.M).group(1))
print(json.dumps({"seconds": seconds, "rss_mb": kb("VmRSS") / 1024, "peak_mb": kb("VmHWM") / 1024,
                  "codes": len(kg.codes()), "nodes": kg.graph.number_of_nodes(), "edges": kg.graph.number_of_edges()}))
"""


def _probe(cache: Path, baseline: bool) -> dict[str, float]:
    env = {**os.environ, "CODINGKG_CACHE_DIR": str(cache), "BENCH_BASELINE": "1" if baseline else "0"}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=REPOSITORY, env=env, capture_output=True, text=True,
                          check=True, timeout=600)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Run the probes and print medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="warm runs (default 5)")
    parser.add_argument("--label", default="", help="a name for this measurement (e.g. before/after)")
    args = parser.parse_args()
    report: dict[str, object] = {"label": args.label, "runs": args.runs}
    for name, baseline in (("curated_only", False), ("default_with_cms_baseline", True)):
        with tempfile.TemporaryDirectory(prefix="codingkg-bench-") as tmp:
            cold = _probe(Path(tmp), baseline)
            warm = []
            for _ in range(args.runs):
                warm.append(_probe(Path(tmp), baseline))
        report[name] = {
            "codes": cold["codes"], "nodes": cold["nodes"], "edges": cold["edges"],
            "cold_build_s": round(cold["seconds"], 3), "cold_peak_mb": round(cold["peak_mb"], 1),
            "warm_start_s_median": round(statistics.median(r["seconds"] for r in warm), 3),
            "warm_rss_mb_median": round(statistics.median(r["rss_mb"] for r in warm), 1),
            "warm_peak_mb_median": round(statistics.median(r["peak_mb"] for r in warm), 1),
        }
    print(json.dumps(report, indent=2))

if __name__ == "__main__":
    main()
