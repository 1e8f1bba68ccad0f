#!/usr/bin/env python3
"""Images per second of the fast golden model and of the simple per-bit reference.

Both run in the same process on the same shipped model, source and stream
length (default L=1024): the fast engine on the full 10,000-image test set
(all cores), the reference on a few images (it is Python loops over every
bit). Prints one JSON object.

    python benchmarks/golden_speed.py [--length 1024] [--images 10000] [--ref-images 1] [--apc exact,approx]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from mtjsc import mnist                                           # noqa: E402
from mtjsc.behavioral_models.golden import run_network            # noqa: E402
from mtjsc.behavioral_models.sources import make_source           # noqa: E402
from mtjsc.model import shipped_for_length                        # noqa: E402
from reference_sc import ref_network                              # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--length", type=int, default=1024)
    ap.add_argument("--images", type=int, default=10000)
    ap.add_argument("--ref-images", type=int, default=1)
    ap.add_argument("--source", default="ideal")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--apc", default="exact,approx", help="APC kinds to time, in the same run")
    a = ap.parse_args()
    test = mnist.load("test")
    name, model = shipped_for_length(a.length)
    px = test.pixels()[:a.images]
    ids = np.arange(a.ref_images)
    result = {"L": a.length, "model": name, "source": a.source, "images": a.images, "kinds": {}}
    agree_all = True
    for kind in a.apc.split(","):
        src = make_source(a.source, seed=a.seed)
        t0 = time.perf_counter()
        fast = run_network(model, px, source=src, L=a.length, apc=kind)
        t_fast = time.perf_counter() - t0
        t0 = time.perf_counter()
        ref_scores, _, _ = ref_network(model, px[ids], ids, src, a.length, kind)
        t_ref = time.perf_counter() - t0
        agree = bool(np.array_equal(ref_scores, fast.scores[ids]))
        agree_all &= agree
        fast_ips, ref_ips = a.images / t_fast, a.ref_images / t_ref
        result["kinds"][kind] = {
            "fast": {"seconds": round(t_fast, 3), "images_per_s": round(fast_ips, 2),
                     "accuracy": float(np.mean(fast.classes == test.labels[:a.images]))},
            "reference": {"images": a.ref_images, "seconds": round(t_ref, 3), "images_per_s": round(ref_ips, 4)},
            "speedup": round(fast_ips / ref_ips, 1), "reference_agrees": agree}
    if {"exact", "approx"} <= set(result["kinds"]):
        k = result["kinds"]
        result["approx_over_exact_time"] = round(k["approx"]["fast"]["seconds"] / k["exact"]["fast"]["seconds"], 3)
    result.update({"cpus": os.cpu_count(), "machine": platform.machine(), "python": platform.python_version(),
                   "numpy": np.__version__})
    print(json.dumps(result, indent=1))
    return 0 if agree_all else 1


if __name__ == "__main__":
    sys.exit(main())
