"""The OSU 0.18 um standard-cell library (Debian ``qflow-tech-osu018``), installed, never committed.

``./run setup-asic`` downloads the Debian package and unpacks its Liberty file
and cell models into ``.venv/share/mtjsc/osu018`` without installing qflow's
own tools, and installs OpenSTA (Debian ``opensta``).
"""

from __future__ import annotations

import functools
import os
import re
import sys
from pathlib import Path

from mtjsc.errors import MtjscError

LIBERTY = "osu018_stdcells.lib"
INSTALL = "run ./run setup-asic (it unpacks Debian's qflow-tech-osu018 into .venv/share/mtjsc/osu018 and installs opensta)"
#: Where the library is looked for, in order (after $MTJSC_OSU018).
SEARCH = (Path(sys.prefix) / "share" / "mtjsc" / "osu018", Path("/usr/share/qflow/tech/osu018"))


def library_dir() -> Path:
    """The directory that holds :data:`LIBERTY`: ``$MTJSC_OSU018``, else :data:`SEARCH`."""
    if os.environ.get("MTJSC_OSU018"):
        d = Path(os.environ["MTJSC_OSU018"]).expanduser()
        if not (d / LIBERTY).is_file():
            raise MtjscError(f"MTJSC_OSU018={d} holds no {LIBERTY}; point it at the directory of the OSU 0.18 um "
                             f"library or unset it and {INSTALL}")
        return d
    for d in SEARCH:
        if (d / LIBERTY).is_file():
            return d
    raise MtjscError(f"the OSU 0.18 um standard-cell library ({LIBERTY}) is not installed: {INSTALL}, "
                     f"or set MTJSC_OSU018=DIR")


def liberty_path() -> Path:
    return library_dir() / LIBERTY


@functools.lru_cache(maxsize=None)
def _parse(path: str) -> tuple:
    text = Path(path).read_text()
    areas = {m.group(1): float(m.group(2))
             for m in re.finditer(r"cell\s*\(\s*(\w+)\s*\)\s*\{[^{}]*?\barea\s*:\s*([0-9.]+)", text)}
    volt = re.search(r"nom_voltage\s*:\s*([0-9.]+)", text)
    return areas, float(volt.group(1)) if volt else float("nan")


def cell_areas() -> dict:
    """Area of every cell of the library (um^2)."""
    return dict(_parse(str(liberty_path()))[0])


def supply_voltage() -> float:
    """The library's nominal supply (V): 1.8 for OSU 0.18 um."""
    return _parse(str(liberty_path()))[1]
