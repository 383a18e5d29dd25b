"""The engine's own figures, in one run: claim checks, the batch path and full-scale traversals.

- in-process 10-line claim p50 (warm) beside the same lookups as batched SPARQL on pyoxigraph
  and rdflib (see ``claims_inprocess.py``), with the pair probes the claim makes;
- batch claims/s through ``codingkg check`` on JSON Lines (one process: one core), start-up
  excluded by timing a one-claim file too; the benchmark claim repeated and a mix of distinct
  random ten-line claims, each the median of three runs, by the wall clock and per CPU second;
- ``related`` and ``search`` (and the claim) on the embedded graph and on generated CMS quarters
  at several fractions of the full size: the cost growth at 10 %, 50 % and 100 % (quick mode:
  1 % and 5 % only, well under a minute).

Generated quarters and their releases are kept under ``--work`` (default
``benchmarks/out/engine``) so later runs start from the compiled snapshots.

    python benchmarks/engine_bench.py [--quick] [--work DIR]
    python benchmarks/engine_bench.py --batch-only [--quick] [--root OTHER_CHECKOUT]

Prints a table, then one JSON object on the last line. ``benchmarks/run.py`` calls
:func:`measure`.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from claims_inprocess import CLAIM, claim_queries  # noqa: E402

from kg.claims import check_claim, rule_book  # noqa: E402
from kg.claims.context import ClaimContext  # noqa: E402
from kg.graph import KnowledgeGraph  # noqa: E402

__all__ = ["measure"]

DEFAULT_WORK = ROOT / "benchmarks" / "out" / "engine"
FULL_SCALES = (0.1, 0.5, 1.0)
QUICK_SCALES = (0.01, 0.05)


def _p50_ms(call: Callable[[], object], runs: int, warmup: int = 10) -> float:
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _claim_dict() -> dict[str, Any]:
    assert CLAIM.date_of_service is not None
    return {"payer": CLAIM.payer, "claimType": CLAIM.claim_type.value, "placeOfService": CLAIM.place_of_service,
            "dateOfService": CLAIM.date_of_service.isoformat(),
            "lines": [{"code": ln.code, "units": ln.units, "modifiers": list(ln.modifiers)} for ln in CLAIM.lines]}


def _pair_probes(kg: KnowledgeGraph) -> dict[str, int]:
    """Pair probes for the benchmark claim now, and as probing every ordered pair of lines did."""
    assert CLAIM.date_of_service is not None
    ctx = ClaimContext(kg, rule_book(kg), CLAIM, CLAIM.date_of_service)
    ctx.linked_pairs()
    codes = len(ctx.on_claim)
    kinds = len(kg.bulk.kind_set) if kg.bulk is not None else 0
    every_pair = sum(1 for a in ctx.known for b in ctx.known if a.iri != b.iri) * (1 + kinds)
    return {"pair_lookups": ctx.pair_lookups, "pair_lookups_every_pair": every_pair, "codes": codes}


def claim_vs_sparql(quick: bool) -> dict[str, Any]:
    """In-process claim p50 and the same lookups as batched SPARQL on pyoxigraph and rdflib."""
    import pyoxigraph as ox
    import rdflib
    from rdflib.plugins.sparql import prepareQuery

    from ontology import default_files

    kg = KnowledgeGraph.default()
    store = ox.Store()
    graph = rdflib.Graph()
    for path in default_files():
        store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE)
        graph.parse(str(path), format="turtle")
    queries = claim_queries(CLAIM)
    prepared = [prepareQuery(q) for q in queries]
    engine = _p50_ms(lambda: check_claim(kg, CLAIM), 300 if quick else 3000, 100)
    oxigraph = _p50_ms(lambda: [list(store.query(q)) for q in queries], 20 if quick else 300, 3)
    rdf = _p50_ms(lambda: [list(graph.query(q)) for q in prepared], 1 if quick else 5, 1)
    return {"claim_p50_ms": engine, "pyoxigraph_p50_ms": oxigraph, "rdflib_p50_ms": rdf,
            "ratio_pyoxigraph": oxigraph / engine, "ratio_rdflib": rdf / engine, **_pair_probes(kg)}


def _check_run(path: Path, extra: list[str], root: Path) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one ``codingkg check --jsonl`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "codingkg", "check", str(path), "--jsonl", *extra],
                          cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"codingkg check failed: {done.stderr.strip()}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def mixed_claims(kg: KnowledgeGraph, count: int, seed: int = 15) -> list[dict[str, Any]]:
    """Ten-line claims drawn at random over the graph's codes, units, modifiers, claim types,
    places and dates: no two alike, so no whole answer could be reused between claims."""
    rng = random.Random(seed)
    codes = sorted(c.code for c in kg.codes())
    modifiers = sorted(kg_modifier.code for kg_modifier in kg.modifiers())
    claims = []
    for _ in range(count):
        lines = [{"code": rng.choice(codes), "units": rng.choice((1, 1, 1, 2, 3, 8)),
                  "modifiers": rng.sample(modifiers, rng.choice((0, 0, 0, 1, 2)))} for _ in range(10)]
        claims.append({"payer": rng.choice(("medicare", "medicare", "medicaid", "commercial")),
                       "claimType": rng.choice(("PROFESSIONAL", "PROFESSIONAL", "FACILITY_OUTPATIENT")),
                       "placeOfService": rng.choice(("11", "22", "19")),
                       "dateOfService": rng.choice(("2025-11-03", "2026-02-02", "2026-06-01")), "lines": lines})
    return claims


def _rates(lines: list[str], extra: list[str], root: Path, runs: int) -> dict[str, float]:
    """Claims/s of one process over ``lines`` (JSON Lines), start excluded: medians of ``runs``
    runs, by the wall clock and by the process's own CPU time (the per-core figure on a busy
    machine, where other processes take turns on the cores)."""
    count = len(lines)
    with tempfile.TemporaryDirectory() as tmp:
        one, many = Path(tmp) / "one.jsonl", Path(tmp) / "many.jsonl"
        one.write_text(lines[0] + "\n", encoding="utf-8")
        many.write_text("\n".join(lines) + "\n", encoding="utf-8")
        _check_run(one, extra, root)  # warms the snapshot cache
        starts = [_check_run(one, extra, root) for _ in range(runs)]
        totals = [_check_run(many, extra, root) for _ in range(runs)]
    wall = [t[0] - statistics.median(s[0] for s in starts) for t in totals]
    cpu = [t[1] - statistics.median(s[1] for s in starts) for t in totals]
    return {"claims_per_s": (count - 1) / max(statistics.median(wall), 1e-9),
            "claims_per_cpu_s": (count - 1) / max(statistics.median(cpu), 1e-9),
            "start_s": statistics.median(s[0] for s in starts), "runs": runs}


def batch(quick: bool, data: list[str] | None = None, root: Path = ROOT) -> dict[str, Any]:
    """Ten-line claims per second through ``codingkg check`` on JSON Lines (one process: one
    core): the benchmark claim repeated, and a mix of distinct random claims.

    Args:
        quick: fewer claims (the runs are still three, for a median).
        data: release directories to load beside the embedded graph.
        root: the source tree whose ``codingkg`` runs (another checkout, to compare versions).
    """
    # Quick runs still need enough claims that the start (~2 s, varying by a few hundred ms) is
    # not most of the measured time.
    count = 10000 if quick else 20000
    extra = [arg for d in data or () for arg in ("--data", d)]
    same = _rates([json.dumps(_claim_dict())] * count, extra, root, 3)
    mix = _rates([json.dumps(c) for c in mixed_claims(KnowledgeGraph.default(), count)], extra, root, 3)
    return {"batch_claims": count, "batch_claims_per_s": same["claims_per_s"],
            "batch_claims_per_cpu_s": same["claims_per_cpu_s"], "batch_start_s": same["start_s"],
            "batch_mix_claims_per_s": mix["claims_per_s"], "batch_mix_claims_per_cpu_s": mix["claims_per_cpu_s"],
            "batch_runs": same["runs"], "batch_load_avg": os.getloadavg()[0]}


def _release(scale: float, work: Path) -> Path:
    """A generated CMS quarter at ``scale``, imported once and kept under ``work``."""
    release = work / f"release-{scale:g}"
    if (release / "manifest.json").exists() or any(release.glob("*.ttl")):
        return release
    raw = work / f"cms-{scale:g}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate_cms.py"), "--scale", str(scale),
                    "--out", str(raw)], check=True, capture_output=True, env=env)
    files = [str(p) for p in sorted(raw.iterdir())] + [str(ROOT / "ontology" / "cms" / "PPRRVU2025_Oct.csv")]
    subprocess.run([sys.executable, "-m", "codingkg", "import", *files, "--out", str(release)], cwd=ROOT,
                   check=True, capture_output=True, env=env)
    return release


def _traversals(kg: KnowledgeGraph, runs: int) -> dict[str, float]:
    assert CLAIM.date_of_service is not None
    day = CLAIM.date_of_service

    def related() -> list[Any]:
        return kg.related("96368", depth=2, as_of=day, limit=200)

    def cold_related() -> object:
        kg.clear_memos()  # every memo (neighbours, hops, relationships) forgotten: a first query
        return related()

    return {
        "claim_ms": _p50_ms(lambda: check_claim(kg, CLAIM), runs * 5),
        # Codes returned: the limit (200) at full scale, a few dozen on the embedded graph, and
        # the time grows with them (each carries its path), so a time per code is shown too.
        "related_codes": len(related()),
        "related_ms": _p50_ms(related, runs),
        "related_cold_ms": _p50_ms(cold_related, runs),
        "search_ms": _p50_ms(lambda: kg.search("infusion"), runs),
    }


def scaled(quick: bool, work: Path) -> dict[str, Any]:
    """Claim, ``related`` and ``search`` on the embedded graph and at each data scale.

    ``load_s`` is the median start from the compiled snapshot in fresh processes. Loaded graphs
    are frozen out of the cyclic collector's reach while timed, as the server does.
    """
    from full_scale_queries import snapshot_start_s

    runs = 20 if quick else 100
    embedded = _traversals(KnowledgeGraph.default(), runs)
    rows: dict[str, Any] = {}
    for scale in QUICK_SCALES if quick else FULL_SCALES:
        release = _release(scale, work)
        load_s, starts = snapshot_start_s(release, 3 if quick else 5)  # the first process writes the snapshot
        kg = KnowledgeGraph.default([release], use_cache=True)
        gc.collect()
        gc.freeze()
        found: dict[str, Any] = dict(_traversals(kg, runs))
        gc.unfreeze()
        found["load_s"] = load_s
        found["start_samples_s"] = starts
        found["bulk_rows"] = len(kg.bulk) if kg.bulk is not None else 0
        found["related_x_embedded"] = found["related_ms"] / embedded["related_ms"]
        found["related_per_code_x_embedded"] = (found["related_ms"] / max(found["related_codes"], 1)) / (
            embedded["related_ms"] / max(embedded["related_codes"], 1))
        found["related_cold_x_embedded"] = found["related_cold_ms"] / embedded["related_cold_ms"]
        found["search_x_embedded"] = found["search_ms"] / embedded["search_ms"]
        rows[f"{scale:g}"] = found
        del kg
    return {"embedded": embedded, "scales": rows}


def measure(quick: bool, work: Path = DEFAULT_WORK) -> dict[str, Any]:
    """Every engine figure in one dict (see the module docstring).

    Args:
        quick: small scales and fewer runs (under a minute on an idle machine).
        work: where generated quarters and releases are kept between runs.

    Returns:
        ``claim`` (p50 and SPARQL ratios), ``batch`` (claims/s), ``scaled`` (embedded and per scale).
    """
    work.mkdir(parents=True, exist_ok=True)
    return {"quick": quick, "load_avg": os.getloadavg()[0], "claim": claim_vs_sparql(quick),
            "batch": batch(quick), "scaled": scaled(quick, work)}


def _table(result: dict[str, Any]) -> str:
    claim, batch_, scaled_ = result["claim"], result["batch"], result["scaled"]
    out = [f"load average (1 min) at start: {result['load_avg']:.2f}",
           f"claim p50 {claim['claim_p50_ms']:.3f} ms | pyoxigraph {claim['pyoxigraph_p50_ms']:.2f} ms "
           f"({claim['ratio_pyoxigraph']:.1f}x) | rdflib {claim['rdflib_p50_ms']:.1f} ms ({claim['ratio_rdflib']:.0f}x)",
           f"pair probes per claim: {claim['pair_lookups']} (every ordered pair: {claim['pair_lookups_every_pair']})",
           f"batch: {batch_['batch_claims_per_s']:.0f} ten-line claims/s through codingkg check --jsonl "
           f"({batch_['batch_claims_per_cpu_s']:.0f} per CPU second; {batch_['batch_claims']} claims, median of "
           f"{batch_['batch_runs']} runs, start {batch_['batch_start_s']:.2f} s excluded); a mix of distinct claims "
           f"{batch_['batch_mix_claims_per_s']:.0f}/s ({batch_['batch_mix_claims_per_cpu_s']:.0f} per CPU second)",
           "",
           f"{'graph':<10} {'bulk rows':>10} {'load s':>7} {'claim ms':>9} {'related ms':>11} {'x emb':>6} "
           f"{'codes':>6} {'x per code':>10} {'search ms':>10} {'x emb':>6}"]
    emb = scaled_["embedded"]
    out.append(f"{'embedded':<10} {0:>10} {'':>7} {emb['claim_ms']:9.3f} {emb['related_ms']:11.3f} {1:6.1f} "
               f"{emb['related_codes']:6d} {1:10.1f} {emb['search_ms']:10.3f} {1:6.1f}")
    for scale, row in scaled_["scales"].items():
        out.append(f"{'x' + scale:<10} {row['bulk_rows']:>10,} {row['load_s']:7.2f} {row['claim_ms']:9.3f} "
                   f"{row['related_ms']:11.3f} {row['related_x_embedded']:6.1f} {row['related_codes']:6d} "
                   f"{row['related_per_code_x_embedded']:10.1f} {row['search_ms']:10.3f} "
                   f"{row['search_x_embedded']:6.1f}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small scales only, fewer runs")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="where generated data is kept")
    parser.add_argument("--batch-only", action="store_true", help="only the batch figures")
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="the source tree whose codingkg the batch runs (another checkout, to compare)")
    args = parser.parse_args(argv)
    if args.batch_only:
        found = batch(args.quick, root=args.root)
        print(json.dumps(found))
        return 0
    result = measure(args.quick, args.work)
    print(_table(result))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
