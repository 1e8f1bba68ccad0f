#!/usr/bin/env python3
"""Seconds to simulate 10^7 sampled sMTJ bits (TelegraphMTJ defaults). Prints JSON.

    python benchmarks/mtj_speed.py [--bits 10000000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from mtjsc.behavioral_models.mtj import TelegraphMTJ


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bits", type=int, default=10 ** 7)
    a = ap.parse_args()
    dev = TelegraphMTJ()
    rows = []
    for p in (0.5, 0.1):
        v = float(dev.bias_for(p))
        for ratio in (5.0, 1.0, 0.2):
            T = ratio * float(dev.correlation_time(v))
            for name in ("sample_bits", "sample_bits_from_dwells"):
                rng = np.random.default_rng(0)
                t0 = time.perf_counter()
                bits = getattr(dev, name)(v, T, a.bits, rng)
                rows.append({"sampler": name, "p": p, "T_over_tau_c": ratio,
                             "seconds": round(time.perf_counter() - t0, 3), "mean": float(bits.mean())})
    print(json.dumps({"bits": a.bits, "runs": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
