"""Switching activity of every net from simulating the mapped gate-level netlist.

The simulation netlist (:attr:`mtjsc.asic.flow.Netlist.sim_verilog`, the
library's cells plus behavioural memories) runs under Verilator with
``--coverage-toggle``; Verilator counts the 0->1 and 1->0 transitions of every
bit of every net, and :func:`read_coverage` turns ``coverage.dat`` into
transitions per clock for each net of the flat top module, named as in the
timing netlist (``bus[3]`` for bit 3). The cell models come from the Liberty
file itself (Yosys ``read_liberty``), so simulation and timing read the same
cell functions.
"""

from __future__ import annotations

import re
from pathlib import Path

from mtjsc import toolchain
from mtjsc.asic import flow
from mtjsc.errors import MtjscError
from mtjsc.sim.runner import prepare_simulator, verilator_bin_dir

FREERUN = Path(__file__).with_name("freerun_main.cpp")
#: Toggle coverage of every bit of every net (names starting with _ included: Yosys's nets), the
#: flags every gate-level build for energy takes.
COVERAGE_FLAGS = ("--coverage-toggle", "--coverage-underscore", "--coverage-max-width", "4096", "-Wno-lint",
                  "-Wno-style")
VERILATOR_FLAGS = (*COVERAGE_FLAGS, "-O3", "--x-assign", "fast", "--x-initial", "fast", "-Wno-fatal", "-Wno-UNOPTFLAT", "-MAKEFLAGS", "OPT_FAST=-O1", "-MAKEFLAGS", "OPT_SLOW=-O0")


def cell_models(d: Path) -> Path:
    """Verilog models of the library's cells, made by Yosys from the Liberty functions, in ``d``."""
    out = Path(d) / "cells_sim.v"
    if not out.exists():
        toolchain.yosys(f"read_liberty -ignore_miss_func {flow.LIB}; proc; opt_clean; write_verilog -noattr cells_sim.v",
                        cwd=d, what="the cell models of the OSU 0.18 um library", log="cells.log")
    return out


def wrapper(top: str) -> str:
    """A ``top`` module named for the harness: clk, rst and the design's other inputs at 0."""
    return f"module top(input clk, input rst);\n  {top} dut(.clk(clk), .rst(rst));\nendmodule\n"


def build_freerun(net: flow.Netlist) -> Path:
    """Verilate the simulation netlist of a design with only clk and rst inputs (cached beside it)."""
    prepare_simulator("verilator")
    d = net.directory
    exe = d / "vfree"

    def make():
        cell_models(d)
        (d / "freerun_top.v").write_text(wrapper(net.top))
        toolchain.run(str(verilator_bin_dir() / "verilator"),
                      ["--cc", "--exe", "--build", "-j", "2", *VERILATOR_FLAGS, "--prefix", "Vtop", "--top-module", "top",
                       "freerun_top.v", "sim.v", "cells_sim.v", str(FREERUN), "-o", "vfree_tmp"],
                      cwd=d, what=f"the gate-level build of {net.top}", console="verilator.log")
        (d / "obj_dir" / "vfree_tmp").rename(exe)

    toolchain.build_once(d / "freerun", exe, make)
    return exe


def freerun_rates(net: flow.Netlist, cycles: int) -> dict:
    """Transitions per clock of every net of a free-running design over ``cycles`` clocks after reset."""
    if cycles < 1:
        raise MtjscError(f"simulate at least one clock (got {cycles})")
    exe = build_freerun(net)
    cov = net.directory / f"freerun-{cycles}.dat"
    toolchain.run(str(exe), [cycles, cov.name], cwd=net.directory, what=f"the gate-level simulation of {net.top}")
    return rates(read_coverage(cov, "dut"), cycles)


_KEY = re.compile("\x01([^\x02]+)\x02([^\x01]*)")
_MANGLED = re.compile(r"__0([0-9a-fA-F]{2})")


def demangle(name: str) -> str:
    """A Verilator coverage name as written in the netlist (Verilator spells ``.`` as ``__02e``)."""
    return _MANGLED.sub(lambda m: chr(int(m.group(1), 16)), name)


def read_coverage(path: Path, instance: str) -> dict:
    """Toggles (both directions) of every net bit of the design instance ``instance`` of the harness top
    in a Verilator ``coverage.dat``: ``{net name: count}``, bit i of a bus named ``bus[i]``."""
    text = Path(path).read_text(errors="replace")
    counts = {}
    for line in text.splitlines():
        if not line.startswith("C '"):
            continue
        body, _, n = line[3:].rpartition("' ")
        keys = dict(_KEY.findall("\x01" + body.lstrip("\x01")))
        if keys.get("t") != "toggle" or not keys.get("h", "").endswith(f".{instance}"):
            continue
        sig = demangle(keys.get("o", "").rsplit(":", 1)[0])
        counts[sig] = counts.get(sig, 0) + int(n)
    if not counts:
        raise MtjscError(f"{path} has no toggle counts for {instance}: the simulation produced no activity "
                         f"(was it built with --coverage-toggle, and did it run any clocks?)")
    return counts


def rates(counts: dict, cycles: int) -> dict:
    """Toggle counts over ``cycles`` clocks as transitions per clock."""
    return {k: v / cycles for k, v in counts.items()}
