"""Import and load a full-size CMS quarter: wall time and peak memory of each phase.

Phases, each in its own process so peak RSS (``resource.getrusage``) is that phase's alone:

- ``import-pprrvu``: the real PPRRVU2025_Oct.csv alone (``codingkg import``);
- ``import-full``: the generated quarter at real size (``generate_cms.py``: ~5 M PTP rows, three
  MUE tables, add-on edits) plus the real PPRRVU and Addendum B;
- ``first-load``: curated graph + that release parsed from RDF (writes the compiled snapshot);
- ``snapshot-start``: the same graph started from the snapshot;
- ``peer-parse``: the peer, pyoxigraph's Rust parser reading every release file without building
  anything (the floor for any RDF-based load of the same files).

Medians over ``--repeat`` runs (phases that take more than a minute run once unless asked).

    python benchmarks/generate_cms.py --scale 1
    python benchmarks/import_full.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _reference() -> Path:
    """The real CMS files: the copies the package ships."""
    from kg.baseline import BASELINE_DIR

    return BASELINE_DIR


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _phase(name: str, work: Path, data: Path) -> dict[str, float]:
    started = time.perf_counter()
    result: dict[str, float] = {}
    if name in ("import-pprrvu", "import-full"):
        from kg.importers.release import import_files

        files = [_reference() / "PPRRVU2025_Oct.csv"]
        if name == "import-full":
            files = [*sorted(data.iterdir()), *files, _reference() / "opps-addendum-b-2026-04-reduced.csv"]
        manifest = import_files(files, work / name)
        result["rows"] = sum(f.rows for f in manifest.files)
    elif name in ("first-load", "snapshot-start"):
        from kg.graph import KnowledgeGraph

        kg = KnowledgeGraph.default([work / "import-full"], use_cache=True)
        result["bulk_edges"] = len(kg.bulk) if kg.bulk is not None else 0
        result["graph_edges"] = kg.graph.number_of_edges()
    elif name == "peer-parse":
        import pyoxigraph as ox

        count = 0
        for path in sorted((work / "import-full").glob("*.ttl")):
            count += sum(1 for _ in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
        result["triples"] = count
    result["seconds"] = time.perf_counter() - started
    result["peak_rss_mb"] = _peak_mb()
    return result


def _run(name: str, work: Path, data: Path) -> dict[str, float]:
    env = {**os.environ, "CODINGKG_CACHE_DIR": str(work / "cache")}
    out = subprocess.run([sys.executable, __file__, "--phase", name, "--work", str(work), "--data", str(data)],
                         env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "benchmarks" / "data" / "cms")
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=1, help="runs of the slow phases (fast ones run 5 times)")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        print(json.dumps(_phase(args.phase, args.work, args.data)))
        return 0
    if not args.data.is_dir():
        raise SystemExit(f"{args.data}: generate it first (benchmarks/generate_cms.py)")
    work = args.work or Path(tempfile.mkdtemp(prefix="codingkg-bench-"))
    report: dict[str, dict[str, float]] = {}
    plan = [("import-pprrvu", 5), ("import-full", args.repeat), ("first-load", 1), ("snapshot-start", 5),
            ("peer-parse", args.repeat)]
    try:
        for name, runs in plan:
            results = []
            for _ in range(runs):
                if name == "first-load":
                    shutil.rmtree(work / "cache", ignore_errors=True)
                results.append(_run(name, work, args.data))
            report[name] = {k: round(statistics.median(r[k] for r in results), 2) for k in results[0]}
            report[name]["runs"] = runs
            print(name, report[name], file=sys.stderr)
        sizes = sum(p.stat().st_size for p in (work / "import-full").iterdir())
        report["release_bytes"] = {"bytes": sizes}
        print(json.dumps(report, indent=2))
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
