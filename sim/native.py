"""Native Verilator runs of :class:`ScMlpAccelerator`: many images, no cocotb in the loop.

cocotb's per-clock callbacks cost more than the design itself on long
images (L = 256 is 106,011 clocks per image at the FPGA default P = 16, W = 16), so
bulk runs (``benchmarks/rtl_speed.py``, ``mtjsc cosim --harness native``) drive
the Verilated model from a small C++ main (``accelerator_main.cpp``):
pixels every clock, result taken at once. The checks are the same as the
cocotb testbench's: every score and class against the golden model. Images
are split into contiguous parts run by parallel simulator processes.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from amaranth.hdl import Shape

from mtjsc.behavioral_models.coding import twos_complement
from mtjsc.config import CLASSES, PIXELS
from mtjsc.errors import MtjscError
from mtjsc.hdl.core import result_layout
from mtjsc.hdl.export import to_verilog
from mtjsc.sim.runner import build_dir, prepare_simulator, verilator_bin_dir
from mtjsc import toolchain
from mtjsc.toolchain import build_once

HARNESS = Path(__file__).with_name("accelerator_main.cpp")

# Verilator's own optimisation at its highest; g++ for this machine's instruction set
# (-march=native measured 4-10 % faster, within this VM's noise; the build key names the CPU, see
# _host); -O2 on the per-clock code only (OPT_FAST) and -O0 on the constructors that hold the weight
# memories' initial values (OPT_SLOW), which -O2 spent most of the build on; functions split at
# 2,000 statements, since g++ is superlinear in function size. No DFG peephole rewrites: with
# them Verilator turns each bit + bit of the lane APCs' adder trees into a call of Verilator's non-inlined
# VL_COUNTONES_I (about 15 operations for 2 bits); without them P = 128, W = 8 measured 3.7-3.9
# ns per synapse operation against 4.7-5.6 in alternating runs.
VERILATOR_FLAGS = ("-O3", "-fno-dfg-peephole", "--x-assign", "fast", "--x-initial", "fast",
                   "--output-split-cfuncs", "2000",
                   "-Wno-fatal", "-Wno-WIDTH", "-Wno-UNOPTFLAT", "-Wno-CASEINCOMPLETE",
                   "-CFLAGS", "-march=native", "-MAKEFLAGS", "OPT_FAST=-O2", "-MAKEFLAGS", "OPT_SLOW=-O0")


def _host() -> str:
    """The CPU the executable is built for (``-march=native``): a cached build is reused only on a
    machine with the same model and instruction-set flags, never run where it could fault."""
    try:
        info = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        info = []
    keep = [ln.split(":", 1)[1].strip() for ln in info if ln.split(":")[0].strip() in ("model name", "flags", "Features")]
    return platform.machine() + " " + " ".join(dict.fromkeys(keep))


def build(acc, *, name: str, build_root=None, jobs: int = 2, netlist: str | None = None,
          extra_flags: tuple = ()) -> Path:
    """Verilate ``acc`` with the C++ main into an executable (cached by Verilog text, harness and
    :data:`VERILATOR_FLAGS`). Returns its path.

    ``netlist`` replaces the RTL with other Verilog of module ``name`` and the same ports (a mapped
    gate-level netlist with its cell models, :mod:`mtjsc.asic`); ``extra_flags`` go to Verilator
    (``--coverage-toggle`` makes each run write its nets' toggles to ``OUT.txt.cov``)."""
    if getattr(acc, "sng", "lfsr") != "lfsr":
        raise MtjscError("the native harness drives the lfsr design only; co-simulate entropy designs "
                         "with the cocotb testbench (--harness cocotb)")
    prepare_simulator("verilator")
    if netlist is not None:      # the design runs as the netlist: its Amaranth objects are not elaborated here
        for obj in (acc, getattr(acc, "core", None)):
            if obj is not None:
                obj._MustUse__used = True
    verilog = (netlist if netlist is not None else to_verilog(acc, name)) + "\n" + wrapper(acc, name)
    flags = (*VERILATOR_FLAGS, *extra_flags)
    bdir = build_dir(build_root, name, "native" if netlist is None else "gates",
                     verilog + HARNESS.read_text() + " ".join(flags) + _host())
    exe = bdir / "vaccel"
    build_once(bdir, exe, lambda: _verilate(bdir, verilog, name=name, jobs=jobs, flags=flags))
    return exe


#: Top module of the native build: :func:`wrapper`.
TOP = "mtjsc_native_top"


def wrapper(acc, name: str) -> str:
    """A Verilog top around the accelerator ``name`` whose only change is a register on ``rst``.

    Verilator re-evaluates all logic fed by a top-level input at every ``eval()`` (its input
    combinational phase), and the harness calls ``eval()`` twice per clock. Every synchronous
    reset is logic fed by ``rst``, so with ``rst`` a direct input the per-clock update of every
    register ran twice per clock (a fifth of the simulation time at P = 128, W = 8). Registered,
    ``rst`` is state like any other; the accelerator sees it one clock later, which the harness
    allows for with an extra clock after reset.
    """
    # the harness reads class and scores (an early-exit design's t follows them; FixedMlp's payload is flat)
    pw = Shape.cast(acc.result.signature.members["payload"].shape).width
    return f"""// The native harness's top (mtjsc.sim.native.wrapper): {name} with its reset registered.
module {TOP}(input clk, input rst, input pixels__valid, input [7:0] pixels__payload, output pixels__ready,
             input result__ready, output result__valid, output [{pw - 1}:0] result__payload, output busy);
  reg rst_q = 1'b1;
  always @(posedge clk) rst_q <= rst;
  {name} dut(.clk(clk), .rst(rst_q), .pixels__valid(pixels__valid), .pixels__payload(pixels__payload),
             .pixels__ready(pixels__ready), .result__ready(result__ready), .result__valid(result__valid),
             .result__payload(result__payload), .busy(busy));
endmodule
"""


def _verilate(bdir: Path, verilog: str, *, name: str, jobs: int, flags: tuple = VERILATOR_FLAGS) -> None:
    exe = bdir / "vaccel"
    bdir.mkdir(parents=True, exist_ok=True)
    (bdir / f"{name}.v").write_text(verilog)
    shutil.copy(HARNESS, bdir / HARNESS.name)
    toolchain.run(str(verilator_bin_dir() / "verilator"), ["--cc", "--exe", "--build", "-j", str(jobs),
           *flags, "--prefix", "Vtop", "--top-module", TOP,
           "-MAKEFLAGS", "CFG_CXXFLAGS_PCH_I=-include", f"{name}.v", HARNESS.name, "-o", "vaccel_tmp"],
        cwd=bdir, what=f"the native build of {name}", console="build.log")
    (bdir / "obj_dir" / "vaccel_tmp").rename(exe)


def run(exe: Path, images_u8, *, score_bits: int, signed_scores: bool = False, processes: int = 2, progress=None,
        keep=None) -> dict:
    """Run images through the executable on ``processes`` parallel simulators (contiguous parts).

    Returns ``scores`` int64 [N, 10] (two's complement fields decoded with ``signed_scores``),
    ``classes`` [N], ``cycles`` [N], ``wall_s``. ``keep``: a
    directory that gets what each process wrote beside its output (a gate-level build's
    ``out<k>.txt.cov``), listed in ``files``.
    ``progress`` is called with the number of images finished as they come in.
    """
    imgs = np.ascontiguousarray(np.asarray(images_u8, np.uint8).reshape(-1, PIXELS))
    N = len(imgs)
    processes = max(1, min(int(processes), N))
    bounds = np.linspace(0, N, processes + 1).astype(int)
    with tempfile.TemporaryDirectory(prefix="mtjsc-native-") as tmp:
        tmp = Path(tmp)
        imgs.tofile(tmp / "images.bin")
        t0 = time.time()
        procs = []
        for k in range(processes):
            a, b = int(bounds[k]), int(bounds[k + 1])
            out = tmp / f"out{k}.txt"
            procs.append((subprocess.Popen([str(exe), str(tmp / "images.bin"), str(a), str(b - a),
                                            str(score_bits), str(out)], stderr=subprocess.PIPE, text=True),
                          out, b - a))
        seen = [0] * processes
        while any(p.poll() is None for p, _, _ in procs):
            time.sleep(0.1)
            if progress is not None:
                for k, (_, out, _) in enumerate(procs):
                    done = _lines(out)
                    if done > seen[k]:
                        progress(done - seen[k])
                        seen[k] = done
        rows = []
        for k, (p, out, n) in enumerate(procs):
            if p.returncode != 0:
                raise MtjscError(f"native simulator process {k} failed (exit {p.returncode}): "
                                 f"{p.stderr.read().strip()}")
            part = np.loadtxt(out, dtype=np.int64, ndmin=2)
            if part.shape != (n, CLASSES + 2):
                raise MtjscError(f"native simulator process {k} returned {part.shape[0]} of {n} images")
            rows.append(part)
            if progress is not None and n > seen[k]:
                progress(n - seen[k])
        wall = time.time() - t0
        files = []
        if keep is not None:
            Path(keep).mkdir(parents=True, exist_ok=True)
            for f in sorted(tmp.glob("out*.txt.*")):
                files.append(Path(keep) / f.name)
                shutil.move(str(f), files[-1])
    res = np.concatenate(rows)
    scores = twos_complement(res[:, 1:1 + CLASSES], score_bits) if signed_scores else res[:, 1:1 + CLASSES]
    return {"classes": res[:, 0], "scores": scores, "cycles": res[:, -1], "wall_s": wall,
            "files": files}


def _lines(path: Path) -> int:
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


def default_processes() -> int:
    return os.cpu_count() or 1
