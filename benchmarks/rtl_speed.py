#!/usr/bin/env python3
"""The MNIST test set through the Verilated ScMlpAccelerator, checked image by image. Prints JSON.

    python benchmarks/rtl_speed.py [--length 256] [--images 10000] [--processes 2]
                                   [--parallel 128] [--lanes 8] [--apc exact] [--model auto]

Native Verilator harness (``mtjsc.sim.native``: a C++ main drives images,
not bits), one simulator process per part of the set, every score and class
compared with the golden model's ``lfsr`` source. Reports wall time (the
build, cached after the first run, is timed apart), images/s, simulated
clocks per second over all processes, agreement and accuracy, and the
simulator's cost per synapse operation: core-nanoseconds per (stream index,
neuron, input) triple, L x (128 x 785 + 10 x 129) of them per image. That
figure does not depend on P and W, so it says what any configuration can
reach: 10,000 images at L = 256 in 10 minutes on 2 cores need at most
about 4.6 ns per operation.

The default configuration, P = 128 neurons x W = 8 lanes, is the one that
simulates fastest of those measured (README, Benchmarks): every clock's
code is dominated by per-neuron work (lane APCs, comparators), and the
per-lane SNG leaps are shared by all P neurons. Any P and W give the same
scores (the stream index fixes every bit), and every run here checks that
against the golden model. The FPGA default (``config.FPGA_PARALLEL`` /
``FPGA_LANES``, P = 16, W = 16) is ``--parallel 16 --lanes 16``.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from mtjsc.config import CLASSES, ScConfig
from mtjsc.evaluate import resolve_model
from mtjsc.mnist import load
from mtjsc.sim.network import accelerator_native


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="auto")
    ap.add_argument("--length", type=int, default=256)
    ap.add_argument("--images", type=int, default=10000)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--parallel", type=int, default=128)
    ap.add_argument("--lanes", type=int, default=8)
    ap.add_argument("--apc", default="exact")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    name, model = resolve_model(a.model, a.length, a.apc)
    cfg = ScConfig.from_model(model, L=a.length, apc=a.apc, parallel_neurons=a.parallel, input_lanes=a.lanes)
    test = load("test")
    n = min(a.images, len(test.labels))
    r = accelerator_native(model, test.images[:n], config=cfg, seed=a.seed, processes=a.processes)
    labels = test.labels[:n]
    out = {k: r[k] for k in ("harness", "config", "schedule", "images", "agree", "mismatched", "bit_exact",
                             "processes", "build_s", "sim_wall_s", "golden_s", "images_per_s", "sim_cycles_per_s")}
    out.update(model=name, rtl_accuracy=float(np.mean(np.array(r["rtl_classes"]) == labels)),
               golden_accuracy=float(np.mean(np.array(r["golden_classes"]) == labels)),
               cycles_per_image=sorted(set(r["cycles"])))
    n1, n2 = cfg.fan_in
    per_image = cfg.L * (cfg.hidden * n1 + CLASSES * n2)
    out.update(synapse_ops_per_image=per_image,
               core_ns_per_synapse_op=round(r["sim_wall_s"] * r["processes"] * 1e9 / (n * per_image), 3))
    print(json.dumps(out, indent=1))
    return 0 if r["bit_exact"] else 1


if __name__ == "__main__":
    sys.exit(main())
