"""What trust costs at start-up: release verification and the snapshot's HMAC, next to the loads they guard.

Imports a synthetic quarter (``--scale`` of the real size), then times, as medians of
``--repeat`` runs:

* ``verify_release`` (sha256 of every written file against the manifest);
* a snapshot start as it is now (HMAC-SHA256 over the file, then unpickling) beside the peer
  it replaced, a bare ``pickle.load`` of the same bytes;
* the whole ``KnowledgeGraph.default([release], use_cache=True)`` from a warm snapshot.

    python benchmarks/verify_cost.py [--scale 0.1] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kg import snapshot
from kg.graph import KnowledgeGraph
from kg.importers.cms_layouts import generate_set
from kg.importers.release import import_files
from kg.verify import verify_release
from ontology import default_files


def _median_s(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="codingkg-verify-") as tmp:
        root = Path(tmp)
        os.environ["CODINGKG_CACHE_DIR"] = str(root / "cache")
        os.environ["CODINGKG_SNAPSHOT_KEY"] = str(root / "key")
        cms = generate_set(root / "cms", scale=args.scale).ptp[0].parent
        release = root / "release"
        import_files(sorted(p for p in cms.iterdir() if p.is_file()), release)
        size_mb = sum(p.stat().st_size for p in release.iterdir()) / 1e6
        KnowledgeGraph.default([release], use_cache=True)  # writes the snapshot
        (snap,) = (root / "cache").glob("graph-*.snap")
        verified = verify_release(release)
        layers = [default_files(), verified.rdf_files()]
        key = snapshot.snapshot_key(layers, verified.digests())
        secret = (root / "key").read_bytes()
        payload = snap.read_bytes()[len(b"codingkg-snapshot-v2\n") + 32:]
        bare = root / "bare.pickle"
        bare.write_bytes(payload)

        def bare_load() -> None:
            with bare.open("rb") as handle:
                pickle.load(handle)

        result = {
            "scale": args.scale, "release_mb": round(size_mb, 1), "snapshot_mb": round(snap.stat().st_size / 1e6, 1),
            "median_s": {
                "verify_release": _median_s(lambda: verify_release(release), args.repeat),
                "snapshot_hmac_then_unpickle": _median_s(lambda: snapshot._read(snap, secret, key), args.repeat),
                "peer_bare_unpickle": _median_s(bare_load, args.repeat),
                "graph_default_from_snapshot": _median_s(
                    lambda: KnowledgeGraph.default([release], use_cache=True), args.repeat),
            },
        }
        print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
