#!/usr/bin/env python3
"""Does the input-to-lane assignment matter for the approximate APC? Prints JSON.

The approximate APC pairs lanes (2k, 2k+1) (OR for even k, AND for odd k).
Which pixel sits on which lane is a free design choice: an assignment is a
permutation of the 784 pixel inputs (the bias stays last). The network is
the same function under any permutation when its weight columns move with
the pixels, but the pairs differ, and so does the approximate APC's bias.
This runs the golden model on the full test set for several assignments:

- ``natural``: lane i = pixel i, so pairs are horizontal neighbours (28 is even);
- ``vertical``: pairs are vertical neighbours (pixel (r, c) with (r+1, c));
- ``activity``: pixels sorted by how often they are non-zero in the training
  images, so paired inputs have similar statistics;
- ``random``: a seeded random permutation (pairs unrelated pixels).

    python benchmarks/apc_pairing.py [--model L256] [--length 256] [--seeds 1] [--data ../shared/data/mnist]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time

import numpy as np

from mtjsc import mnist
from mtjsc.behavioral_models.golden import run_network
from mtjsc.behavioral_models.sources import make_source
from mtjsc.model import load_named


def assignments(train_pixels: np.ndarray, seed: int = 0) -> dict:
    """Lane -> pixel permutations (length 784)."""
    r, c = np.divmod(np.arange(784), 28)
    vertical = np.lexsort((r % 2, c, r // 2))        # (r, c), (r+1, c) adjacent lanes
    activity = np.argsort(-(train_pixels > 0).mean(axis=0), kind="stable")
    return {"natural": np.arange(784), "vertical": vertical, "activity": activity,
            "random": np.random.default_rng(seed).permutation(784)}


def permuted(model, perm: np.ndarray):
    cols = np.r_[perm, 784]                          # the bias stays on the last lane
    return dataclasses.replace(model, w1=model.w1[:, cols])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="L256", help="shipped name or .npz file")
    ap.add_argument("--length", type=int, default=256)
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--data", default=None, help="MNIST directory with the training set (for `activity`)")
    a = ap.parse_args()
    name, model = load_named(a.model)
    test = mnist.load("test")
    try:
        train_px = mnist.load("train", a.data).pixels()
    except Exception:                                 # no training set: activity from the test set
        train_px = test.pixels()
    px, labels = test.pixels(), test.labels
    out = {"model": name, "model_apc": model.apc, "L": a.length, "seeds": a.seeds, "images": len(labels),
           "assignments": {}}
    for key, perm in assignments(train_px).items():
        m = permuted(model, perm)
        res = {}
        for apc in ("exact", "approx"):
            accs = []
            t0 = time.perf_counter()
            for s in range(a.seeds):
                r = run_network(m, px[:, perm], source=make_source("ideal", seed=s), L=a.length, apc=apc)
                accs.append(float(np.mean(r.classes == labels)))
            res[apc] = {"accuracies": accs, "mean": float(np.mean(accs)),
                        "seconds": round(time.perf_counter() - t0, 1)}
        res["loss_points"] = round(100 * (res["exact"]["mean"] - res["approx"]["mean"]), 2)
        out["assignments"][key] = res
        print(f"{key:>9}: exact {100 * res['exact']['mean']:.2f} %, approx {100 * res['approx']['mean']:.2f} %",
              file=sys.stderr)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
