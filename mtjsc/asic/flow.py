"""Map a design to OSU 0.18 um cells with Yosys, then time it and estimate its power with OpenSTA.

Synthesis keeps the hierarchy while ABC maps each module to the library (as
:mod:`mtjsc.area.synth` does), then flattens: every cell's instance name keeps
the path of the Amaranth submodule it came from (``sng_in0.leap._12_``), so its
area and power go to the block that path was tagged with
(:mod:`mtjsc.hdl.tags`). Flip-flops are legalised to the library's plain
``DFFPOSX1`` (Amaranth's synchronous resets become gates). The library has no
memories: memories stay behavioural in the simulation netlist and are black
boxes (``MTJSC_MEM``) in the timing netlist; their cost is modelled apart.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

from mtjsc import toolchain
from mtjsc.area.synth import default_cache_root, yosys_version
from mtjsc.asic import library
from mtjsc.errors import MtjscError
from mtjsc.hdl import tags

LIB = "osu018.lib"              # the Liberty file's name inside a build directory (yowasp sees only that tree)
SCRIPT = """read_verilog design.v
synth -top {top} -run begin:fine
opt -fast -full
opt -full
techmap
opt -fast
dfflegalize -cell $_DFF_P_ 01
dfflibmap -liberty {lib}
abc -liberty {lib}
opt_clean -purge
rename -enumerate -pattern n%
flatten
splitnets
opt_clean -purge
write_verilog -noattr sim.v
chtype -map $mem_v2 MTJSC_MEM
splitnets -ports
opt_clean -purge
write_verilog -noattr -noexpr sta.v
"""
#: Output pins of the library's cells (the pin that drives a net).
OUTPUT_PINS = ("Y", "Q", "YC", "YS")


@dataclasses.dataclass
class Netlist:
    """A mapped design: its build directory, top module, and the cells of its timing netlist."""

    directory: Path
    top: str
    instances: dict                 #: instance name -> cell type
    drivers: dict                   #: net name -> "instance/pin" that drives it
    loads: dict = dataclasses.field(default_factory=dict)   #: net name -> ["instance/pin", ...] it drives

    @property
    def sim_verilog(self) -> Path:
        return self.directory / "sim.v"

    @property
    def sta_verilog(self) -> Path:
        return self.directory / "sta.v"


def synthesize(verilog: str, top: str, *, cache_root=None) -> Netlist:
    """Map Verilog text to the library (cached by text, script, library and Yosys version)."""
    lib = library.liberty_path()
    script = SCRIPT.format(top=top, lib=LIB)
    root = Path(cache_root) if cache_root is not None else default_cache_root().parent / "asic"
    d = toolchain.cache_dir(root, top, "osu018", f"{yosys_version()}\n{script}\n{lib.read_text()}\n{verilog}")

    def make():
        d.mkdir(parents=True, exist_ok=True)
        (d / "design.v").write_text(verilog)
        shutil.copy(lib, d / LIB)
        toolchain.yosys(script.replace("\n", "; "), cwd=d, what=f"the OSU 0.18 um synthesis of {top}")
        # OpenSTA's reader takes no parameters on a black box: drop the memories' (their INIT is the ROM)
        sta = (d / "sta.v").read_text()
        (d / "sta.v").write_text(re.sub(r"MTJSC_MEM #\(.*?\n  \) ", "MTJSC_MEM ", sta, flags=re.S))
        (d / ".done").touch()

    toolchain.build_once(d, d / ".done", make)
    return read_netlist(d, top)


_INSTANCE = re.compile(r"^  (\w+) (\\\S+ |[\w$]+) \((.*?)\);", re.M | re.S)
_CONN = re.compile(r"\.(\w+)\(([^()]*)\)")


def read_netlist(d: Path, top: str) -> Netlist:
    """The instances and net drivers of ``d/sta.v``."""
    text = (Path(d) / "sta.v").read_text()
    instances, drivers, loads = {}, {}, {}
    for cell, name, conns in _INSTANCE.findall(text):
        name = name.strip().lstrip("\\")
        instances[name] = cell
        for pin, net in _CONN.findall(conns):
            net = net.strip().lstrip("\\").strip()
            if cell == "MTJSC_MEM":
                continue
            if pin in OUTPUT_PINS:
                drivers[net] = f"{name}/{pin}"
            else:
                loads.setdefault(net, []).append(f"{name}/{pin}")
    if not instances:
        raise MtjscError(f"the mapped netlist {Path(d) / 'sta.v'} has no cells: is {top} empty?")
    return Netlist(Path(d), top, instances, drivers, loads)


#: Cells whose outputs do not follow their inputs combinationally (a path through one is not a loop).
SEQUENTIAL_CELLS = ("DFFPOSX1", "DFFNEGX1", "DFFSR", "LATCH", "MTJSC_MEM")


def combinational_loop(net: Netlist) -> list | None:
    """A cycle of combinational cells in ``net`` (their instance names, in order), or None.

    OpenSTA breaks such a loop without a word and times a different circuit, and a simulation of
    it may oscillate, so :func:`sta` refuses a netlist that has one."""
    succ = {}
    for n, drv in net.drivers.items():
        src = drv.split("/")[0]
        if net.instances.get(src) in SEQUENTIAL_CELLS:
            continue
        for load in net.loads.get(n, ()):
            dst = load.split("/")[0]
            if net.instances.get(dst) not in SEQUENTIAL_CELLS:
                succ.setdefault(src, []).append(dst)
    colour = {}                                  # absent: not seen; 1: on the current path; 2: done
    for root in succ:
        if root in colour:
            continue
        path, stack = [root], [iter(succ.get(root, ()))]
        colour[root] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                colour[path.pop()] = 2
                stack.pop()
            elif colour.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif nxt not in colour:
                colour[nxt] = 1
                path.append(nxt)
                stack.append(iter(succ.get(nxt, ())))
    return None


def block_of(instance: str, component=None, top_block: str = "control") -> str:
    """The block of a flattened instance name: the tag of its submodule path (:mod:`mtjsc.hdl.tags`)."""
    parts = instance.split(".")[:-1]
    return tags.block_at(component, parts, top_block) if component is not None else top_block


def area(net: Netlist, component=None, top_block: str = "control") -> dict:
    """Cell area (um^2) in total and per block, and the memories (black boxes) apart."""
    areas = library.cell_areas()
    blocks, cells, memories = {}, {}, 0
    for inst, cell in net.instances.items():
        if cell == "MTJSC_MEM":
            memories += 1
            continue
        if cell not in areas:
            raise MtjscError(f"cell {cell} of instance {inst} is not in {library.LIBERTY}")
        b = block_of(inst, component, top_block)
        blocks[b] = blocks.get(b, 0.0) + areas[cell]
        cells[cell] = cells.get(cell, 0) + 1
    return {"logic_um2": round(sum(blocks.values()), 1), "blocks_um2": {k: round(v, 1) for k, v in blocks.items()},
            "cells": dict(sorted(cells.items())), "cell_count": sum(cells.values()), "memories": memories,
            "flip_flops": cells.get("DFFPOSX1", 0)}


def check_period(period_ns) -> float:
    try:
        p = float(period_ns)
    except (TypeError, ValueError):
        p = float("nan")
    if not p > 0 or p != p or p == float("inf"):
        raise MtjscError(f"clock period {period_ns!r} ns must be a positive number; give --clock-mhz above 0")
    return p


def _sta_script(net: Netlist, period_ns: float, activity_tcl: str) -> str:
    return f"""read_liberty {library.liberty_path()}
read_verilog {net.sta_verilog}
link_design {net.top}
if {{[llength [get_ports -quiet clk]] == 0}} {{ puts "MTJSC-ERROR no clk port"; exit 3 }}
create_clock -name clk -period {period_ns} [get_ports clk]
set ins [delete_from_list [all_inputs] [get_ports clk]]
if {{[llength $ins]}} {{ set_input_delay 0 -clock clk $ins }}
if {{[llength [all_outputs]]}} {{ set_output_delay 0 -clock clk [all_outputs] }}
{activity_tcl}
puts "MTJSC-BEGIN-CHECKS"
report_checks -path_delay max -digits 4 -format full
puts "MTJSC-BEGIN-POWER"
report_power -digits 6
puts "MTJSC-BEGIN-INSTANCES"
report_power -instances [get_cells *] -digits 6
puts "MTJSC-END"
"""


def activity_tcl(net: Netlist, rates: dict) -> str:
    """``sta::set_power_pin_activity`` on the driver pin of every net in ``rates`` (net -> transitions
    per clock, duty 0.5); nets OpenSTA cannot see (no driver cell) are skipped."""
    lines = []
    for n, rate in rates.items():
        pin = net.drivers.get(n)
        if pin is not None:
            lines.append(f"sta::set_power_pin_activity [get_pins {{{pin}}}] {rate:.6g} 0.5")
    return "\n".join(lines)


def sta(net: Netlist, *, period_ns: float, rates: dict | None = None, default_activity: float | None = None,
        component=None, top_block: str = "control") -> dict:
    """OpenSTA on the timing netlist: the critical path, Fmax, and power at ``period_ns``.

    ``rates`` (net -> transitions per clock) annotates every net's driver; ``default_activity`` sets
    OpenSTA's global activity instead (its own propagation from the inputs), for comparison.
    Returns ``critical_ns``, ``fmax_mhz``, ``power_w`` (internal, switching, leakage, total) and
    ``blocks_w`` (total power per block).
    """
    period_ns = check_period(period_ns)
    loop = combinational_loop(net)
    if loop:
        cells = " -> ".join(f"{i} ({net.instances[i]})" for i in loop[:8]) + (" -> ..." if len(loop) > 8 else "")
        raise MtjscError(f"{net.top} has a combinational loop: {cells}. OpenSTA would break it silently and "
                         "time another circuit; register a net of the loop (a latch or feedback without a clock)")
    if rates is not None:
        act = activity_tcl(net, rates)
    elif default_activity is not None:
        act = f"set_power_activity -global -activity {default_activity}"
    else:
        raise MtjscError("give the switching activity: rates from a simulation, or a default activity")
    (net.directory / "sta.tcl").write_text(_sta_script(net, period_ns, act))
    toolchain.run("sta", ["-no_splash", "-exit", "sta.tcl"], cwd=net.directory, what=f"timing {net.top}",
                  console="sta.log")
    out = (net.directory / "sta.log").read_text()
    if "MTJSC-ERROR no clk port" in out:
        raise MtjscError(f"{net.top} has no clk port: OpenSTA cannot time a design without a clock")
    if "MTJSC-END" not in out:
        raise MtjscError(f"OpenSTA stopped before its reports on {net.top}: "
                         + " | ".join(toolchain.error_lines(out)) + f"; full log: {net.directory / 'sta.log'}")
    return parse_report(out, period_ns, component, top_block)


def parse_report(out: str, period_ns: float, component=None, top_block: str = "control") -> dict:
    checks = out.split("MTJSC-BEGIN-CHECKS")[1].split("MTJSC-BEGIN-POWER")[0]
    power = out.split("MTJSC-BEGIN-POWER")[1].split("MTJSC-BEGIN-INSTANCES")[0]
    insts = out.split("MTJSC-BEGIN-INSTANCES")[1].split("MTJSC-END")[0]
    arrival = re.search(r"([-0-9.]+)\s+data arrival time", checks)
    required = re.search(r"([-0-9.]+)\s+data required time", checks)
    slack = re.search(r"([-0-9.]+)\s+slack", checks)
    if not (arrival and slack):
        raise MtjscError("OpenSTA found no timed path: the design has no register-to-register or I/O path "
                         "on its clock (a purely combinational loop or an unconstrained design)")
    # the critical path: the clock period minus the slack
    critical = period_ns - float(slack.group(1))
    total = re.search(r"^Total\s+([-0-9.e+]+)\s+([-0-9.e+]+)\s+([-0-9.e+]+)\s+([-0-9.e+]+)", power, re.M)
    if not total:
        raise MtjscError("OpenSTA printed no power total")
    internal, switching, leakage, tot = (float(x) for x in total.groups())
    blocks = {}
    for m in re.finditer(r"^\s*([-0-9.e+]+)\s+([-0-9.e+]+)\s+([-0-9.e+]+)\s+([-0-9.e+]+)\s+(\S+)\s*$", insts, re.M):
        b = block_of(m.group(5), component, top_block)
        blocks[b] = blocks.get(b, 0.0) + float(m.group(4))
    return {"period_ns": period_ns, "critical_ns": round(critical, 4), "fmax_mhz": round(1000.0 / critical, 2),
            "required_ns": float(required.group(1)) if required else None,
            "power_w": {"internal": internal, "switching": switching, "leakage": leakage, "total": tot},
            "blocks_w": blocks}
