"""The one report writer of the studies: ``<stem>.json``, ``<stem>.md`` and ``<stem>.png``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mtjsc.output import write_text


def jsonable(v):
    """numpy scalars and arrays in results, as JSON numbers and lists (``json.dumps(default=...)``)."""
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, (np.floating, np.integer, np.bool_)):
        return v.item()
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")


def write_report(out, stem: str, res: dict, text: str, plot=None) -> list:
    """Write the result as JSON, the markdown ``text`` and, when ``plot(res, path)`` is given, a PNG,
    into directory ``out`` (each file written whole or not at all); return the paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{stem}.json", out / f"{stem}.md"]
    write_text(paths[0], json.dumps(res, indent=1, default=jsonable))
    write_text(paths[1], text)
    if plot is not None:
        paths.append(out / f"{stem}.png")
        plot(res, paths[-1])
    return paths
