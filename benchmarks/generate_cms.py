"""Write a synthetic CMS quarter (PTP practitioner and hospital f1-f4, three MUE tables, add-on edits).

The files are in CMS's exact published layouts (preamble, multi-row headers, CRLF, latin-1 for
PTP); ``--scale 1`` writes the real sizes (about 5 M PTP rows including retired ones). The
writers live in :mod:`kg.importers.cms_layouts`, which the tests use at small scale.

    python benchmarks/generate_cms.py --out benchmarks/data/cms --scale 1
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kg.importers.cms_layouts import generate_set


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data" / "cms")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the real sizes (default 1)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    generated = generate_set(args.out, scale=args.scale, seed=args.seed)
    print(json.dumps({"out": str(args.out), "scale": args.scale, "ptp_rows": generated.ptp_rows,
                      "mue_rows": generated.mue_rows, "aoc_rows": generated.aoc_rows,
                      "bytes": sum(p.stat().st_size for p in generated.files),
                      "seconds": round(time.perf_counter() - started, 1)}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
