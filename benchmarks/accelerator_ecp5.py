#!/usr/bin/env python3
"""The SC accelerator on an ECP5-85F: Amaranth -> Yosys synth_ecp5 -> nextpnr-ecp5. Prints JSON.

    python benchmarks/accelerator_ecp5.py [--length 256] [--parallel P] [--lanes W] [--apc exact]
                                          [--model auto] [--freq 100] [--seed 1] [--out build/ecp5]
                                          [--no-pnr | --no-route] [--router router2] [--reuse-synth]
                                          [--early-exit margin:16:155] [--stream-lanes T|auto]
                                          [--stream-block 1|L|auto] [--lfsr-width 32]
    python benchmarks/accelerator_ecp5.py --design fixed --widths 8/8 --parallel 64

The design is ``mtjsc verilog``'s default (the pass-major ``BlockedScAccelerator``,
``--stream-block auto``) or what the options name (``--stream-block 1``: the index-major
``ScMlpAccelerator``). Reports LUT4, CCU2C (carry), flip-flops, EBR (DP16KD) and distributed RAM
from Yosys, the achieved Fmax from nextpnr (``--report``), images/s at that
Fmax (``Fmax / cycles_per_image``; ``images_per_s_at_this_fmax`` gives the same knobs at
L = 64, 256, 1024) and the weight-memory bound: an index-major image
reads L x H x 785 weight thresholds of B + 1 bits (a pass-major one H x 785), and the 208 EBRs of the
85F give at most 208 x 36 bits per clock, so no schedule beats
``Fmax x 208 x 36 / (thresholds read per image x (B + 1))`` images/s with the thresholds in EBR.
With ``--early-exit`` the design stops images early; the golden model's exit
index of every test image gives the mean clocks per image on the test set
(``images_per_s_test_set``) beside the worst case (every image to L).
``--design fixed`` puts the binary baseline (``FixedMlp`` with P MACs, the
shipped ``--widths`` model) through the same harness and flow, for the
comparison at full chip: its images/s and images/s per LUT4.

The design sits in a harness that shifts the result payload out one bit per
clock (a parallel-load shift register), so every result bit stays observable
and the pin count fits the CABGA381 package. Needs ``pip install -e .[fpga]``.
yowasp tools see only the current directory tree: everything runs inside
the build directory with relative paths.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from amaranth import Module, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from mtjsc.config import FIRST_LAYER_FANIN, FPGA_LANES, FPGA_PARALLEL
from mtjsc.designs import make_accelerator, model_and_config
from mtjsc.hdl.export import to_verilog
from mtjsc.toolchain import ecp5
from mtjsc.errors import MtjscError


class PinHarness(wiring.Component):
    """The accelerator (or the binary baseline: the same ports) with its wide result payload shifted
    out serially."""

    def __init__(self, acc):
        self.acc = acc
        super().__init__({"pix_valid": In(1), "pix_ready": Out(1), "pix_data": In(8),
                          "res_valid": Out(1), "res_ready": In(1), "res_bit": Out(1), "busy": Out(1)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.acc = acc = self.acc
        sr = Signal(len(Value.cast(acc.result.payload)))
        m.d.comb += [acc.pixels.valid.eq(self.pix_valid), acc.pixels.payload.eq(self.pix_data),
                     self.pix_ready.eq(acc.pixels.ready), self.res_valid.eq(acc.result.valid),
                     acc.result.ready.eq(self.res_ready), self.res_bit.eq(sr[0]), self.busy.eq(acc.busy)]
        with m.If(acc.result.valid & self.res_ready):
            m.d.sync += sr.eq(acc.result.payload)
        with m.Else():
            m.d.sync += sr.eq(sr >> 1)
        return m


def test_set_clocks(acc, model, cfg, f_mhz) -> dict:
    """Mean clocks per image of an early-exit design over the 10,000 test images (their golden exit
    indices, the design's seed), the accuracy there and the images/s at ``f_mhz``."""
    import numpy as np

    from mtjsc import mnist
    from mtjsc.behavioral_models import early_exit
    from mtjsc.behavioral_models.sources import make_source
    test = mnist.load("test")
    res, ex = early_exit.golden_run(model, test.pixels(), acc.early_exit, config=cfg,
                                    source=make_source("lfsr", seed=acc.seed, config=cfg))
    mean = float(np.mean([acc.cycles_at_exit(int(t)) for t in ex.t]))
    return {"test_set_mean_t": ex.mean_length(), "test_set_accuracy": float(np.mean(ex.classes == test.labels)),
            "test_set_full_run_accuracy": float(np.mean(res.classes == test.labels)),
            "test_set_mean_cycles_per_image": round(mean, 1),
            "images_per_s_test_set": round(f_mhz * 1e6 / mean, 1) if f_mhz else None}


def other_lengths(model, cfg, f_mhz) -> dict:
    """Clocks per image and images/s of the same P, W, T and dataflow at L = 64, 256, 1024, at this
    design's Fmax (the logic is the same; the memories' depths follow L). ``None`` where the knobs do
    not fit that L."""
    out = {}
    for L in (64, 256, 1024):
        try:
            other = make_accelerator(model=model, config=cfg.with_(L=L, stream_block=L if cfg.pass_major else 1))
        except MtjscError:
            out[str(L)] = None
            continue
        cyc = other.cycles_per_image()
        other._MustUse__silence = True      # built for its clock count only: no "created but never used" warning
        out[str(L)] = {"cycles_per_image": cyc, "images_per_s": round(f_mhz * 1e6 / cyc, 1) if f_mhz else None}
    return out


def build_dir(a, top: str, verilog: str) -> tuple:
    """The build directory of ``top`` with its Verilog written, and whether its netlist is reused
    (``--reuse-synth`` and a netlist made from this very Verilog, Yosys finished: stat.json)."""
    d = Path(a.out).absolute() / top
    d.mkdir(parents=True, exist_ok=True)
    vfile = d / f"{top}.v"
    reuse = a.reuse_synth and vfile.exists() and vfile.read_text() == verilog and \
        (d / f"{top}.json").exists() and (d / "stat.json").exists()
    if a.reuse_synth and not reuse:
        print(f"--reuse-synth: no netlist from identical Verilog in {d}; synthesising", file=sys.stderr)
    if not reuse:
        (d / "stat.json").unlink(missing_ok=True)
        vfile.write_text(verilog)
    return d, reuse


def place(a, d: Path, top: str, out: dict) -> dict:
    """nextpnr's figures (Fmax, utilisation); a design that does not place or route is reported with
    nextpnr's message in ``out["error"]``."""
    pnr = {"fmax_mhz": None, "fmax_by_clock": {}, "fmax_kind": None, "utilization": {}}
    try:
        if not a.no_pnr:
            pnr = ecp5.place_and_route(d, top, seed=a.seed, router=a.router, freq=a.freq, route=not a.no_route,
                                       clock_pin=ecp5.CLOCK_PIN)
    except MtjscError as e:
        out["error"] = str(e)
    return pnr


def fixed_main(a) -> int:
    """The binary baseline through the same harness and flow."""
    from mtjsc.behavioral_models.fixed import shipped_fixed
    from mtjsc.hdl.fixed import FixedMlp
    wb, ab = (int(x) for x in a.widths.split("/"))
    model = shipped_fixed(wb, ab)
    mlp = FixedMlp(model=model, parallel=a.parallel)
    top = f"fixed_w{wb}a{ab}_P{a.parallel}"
    d, reuse = build_dir(a, top, to_verilog(PinHarness(mlp), top))
    t0 = time.time()
    c = ecp5.cells(d) if reuse else ecp5.synthesize(d, top)
    t1 = time.time()
    out = {"design": "FixedMlp", "model": model.label, "parallel": a.parallel, "device": ecp5.DEVICE,
           **ecp5.summary(c)}
    pnr = place(a, d, top, out)
    f_mhz, cyc = pnr["fmax_mhz"], mlp.cycles_per_image()
    ips = round(f_mhz * 1e6 / cyc, 1) if f_mhz else None
    lut = out.get("luts")
    out.update({**pnr, "cycles_per_image": cyc, "images_per_s": ips,
                "images_per_s_per_lut": round(ips / lut, 4) if ips and lut else None,
                "router": a.router, "synth_s": None if reuse else round(t1 - t0, 1),
                "pnr_s": None if a.no_pnr else round(time.time() - t1, 1)})
    print(json.dumps(out, indent=1))
    (d / "result.json").write_text(json.dumps(out, indent=1))
    return 1 if "error" in out else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="auto")
    ap.add_argument("--length", type=int, default=256)
    ap.add_argument("--parallel", type=int, default=FPGA_PARALLEL)
    ap.add_argument("--lanes", type=int, default=FPGA_LANES)
    ap.add_argument("--apc", default="exact")
    ap.add_argument("--stream-lanes", default="auto", help="T: stream indices per clock (default auto: mtjsc "
                                                            "verilog's default design)")
    ap.add_argument("--stream-block", default="auto",
                    help="Tb: stream indices per threshold read, 1 (ScMlpAccelerator) or L (BlockedScAccelerator); "
                         "default auto (mtjsc verilog's default design)")
    ap.add_argument("--lfsr-width", type=int, default=32, help="LFSR width behind each comparator SNG")
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
    ap.add_argument("--number-fanout", type=int, default=None,
                    help="pass-major: hidden neurons per copy of the random-number registers (default: the design's)")
    ap.add_argument("--early-exit", default=None, metavar="RULE", help="exact:Tb or margin:Tb:M (mtjsc cosim's)")
    ap.add_argument("--design", choices=("sc", "fixed"), default="sc",
                    help="sc: the SC accelerator; fixed: the binary baseline FixedMlp with --parallel MACs")
    ap.add_argument("--widths", default="8/8", help="--design fixed: the shipped baseline's weight/activation bits")
    a = ap.parse_args()
    if a.design == "fixed":
        return fixed_main(a)
    from mtjsc.cli.options import parse_early_exit
    rule = parse_early_exit(a.early_exit)
    try:
        name_m, model, cfg = model_and_config(a.model, a.length, apc=a.apc, parallel=a.parallel, lanes=a.lanes,
                                              stream_lanes=a.stream_lanes, stream_block=a.stream_block,
                                              lfsr_width=a.lfsr_width, early_exit=rule)
        acc = make_accelerator(model=model, config=cfg, early_exit=rule, number_fanout=a.number_fanout)
    except MtjscError as e:
        print(f"accelerator_ecp5: {e}", file=sys.stderr)
        return 2
    T = cfg.stream_lanes
    top = (f"acc_L{a.length}_P{a.parallel}_W{a.lanes}_{a.apc}" + ("" if T == 1 else f"_T{T}")
           + ("_pass" if cfg.pass_major else "") + ("" if a.lfsr_width == 32 else f"_R{a.lfsr_width}")
           + ("" if rule is None else "_exit")
           + ("" if getattr(acc, "number_copies", 1) == 1 else f"_F{acc.number_fanout}"))
    d, reuse = build_dir(a, top, to_verilog(PinHarness(acc), top))
    t0 = time.time()
    c = ecp5.cells(d) if reuse else ecp5.synthesize(d, top)
    t1 = time.time()
    desc = acc.describe()
    out = {"design": type(acc).__name__, "model": name_m, "config": cfg.as_dict(), "device": ecp5.DEVICE,
           **ecp5.summary(c), "memory_bits": desc["memory_bits"]}
    if "number_copies" in desc:
        out["number_copies"] = desc["number_copies"]
    if "ecp5_ebr_estimate" in desc:      # the manifest's estimate, beside Yosys's count
        out["ebr_manifest_estimate"] = desc["ecp5_ebr_estimate"]
    pnr = place(a, d, top, out)      # "does not place" is a result: reported with the synthesis figures
    t2 = time.time()
    f_mhz, cyc = pnr["fmax_mhz"], desc["cycles_per_image"]
    # the layer-0 thresholds an image reads: once per stream index (Tb = 1) or once (Tb = L)
    bits_per_image = cfg.L // cfg.stream_block * cfg.hidden * FIRST_LAYER_FANIN * (cfg.sng_bits + 1)
    ebr_bits = ecp5.EBR_COUNT * ecp5.EBR_PORT_BITS
    out.update({**pnr, "cycles_per_image": cyc, "images_per_s": round(f_mhz * 1e6 / cyc, 1) if f_mhz else None,
                "weight_bits_per_clock": desc["weight_bits_per_clock"], "ebr_bits_per_clock_max": ebr_bits,
                "weight_bits_per_image": bits_per_image,
                "ebr_bound_images_per_s": round(f_mhz * 1e6 * ebr_bits / bits_per_image, 1) if f_mhz else None,
                "router": a.router, "synth_s": None if reuse else round(t1 - t0, 1),
                "pnr_s": None if a.no_pnr else round(t2 - t1, 1)})
    if rule is None:
        out["images_per_s_at_this_fmax"] = other_lengths(model, cfg, f_mhz)
    else:
        out.update(early_exit=desc["early_exit"], **test_set_clocks(acc, model, cfg, f_mhz))
    print(json.dumps(out, indent=1))
    (d / "result.json").write_text(json.dumps(out, indent=1))
    return 1 if "error" in out else 0


if __name__ == "__main__":
    sys.exit(main())
