"""Writing results: checked before the work, written under a temporary name, renamed when complete.

An interrupted or failed run therefore never leaves a file that looks
complete, and an unwritable destination is reported before minutes of work
rather than after.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from mtjsc.errors import MtjscError


def _existing_ancestor(path: Path) -> Path:
    p = path
    while not p.exists():
        if p.parent == p:
            break
        p = p.parent
    return p


def _probe_writable(directory: Path, what: str, given) -> None:
    if not directory.is_dir():
        raise MtjscError(f"{what} {given}: {directory} is a file, not a directory; "
                         f"choose a path whose parent folders are directories")
    try:
        fd, probe = tempfile.mkstemp(prefix=".mtjsc-probe-", dir=directory)
    except OSError as e:
        raise MtjscError(f"{what} {given}: cannot write in {directory} ({e.strerror}); "
                         f"choose a writable location") from None
    os.close(fd)
    os.unlink(probe)


def check_output_dir(path, what: str = "--out") -> Path:
    """``path`` can be (or become) a writable directory. Nothing is created.

    Returns the absolute path.
    """
    p = Path(path).expanduser().absolute()
    if p.exists() and not p.is_dir():
        raise MtjscError(f"{what} {path} is a file; give a directory (it is created if missing)")
    _probe_writable(_existing_ancestor(p), what, path)
    return p


def check_output_file(path, what: str = "--out") -> Path:
    """``path`` can be written as a file: not a directory, its folder writable. Nothing is created."""
    p = Path(path).expanduser().absolute()
    if p.is_dir():
        raise MtjscError(f"{what} {path} is a directory; give a file name")
    _probe_writable(_existing_ancestor(p.parent), what, path)
    return p


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path`` (same suffix); rename it to ``path`` on success.

    On an exception the temporary file is removed and ``path`` is untouched.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.stem}.", suffix=f".partial{p.suffix}", dir=p.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.replace(tmp, p)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text(path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def save_record_npz(path, arrays: dict, key: str, record: dict) -> None:
    """Arrays and a JSON ``record`` under ``key`` in one compressed .npz, written atomically (the model
    files of :mod:`mtjsc.training.lowprec`, :mod:`mtjsc.training.binarynet`, :mod:`mtjsc.training.fixedpoint`)."""
    import json

    import numpy as np
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:   # a file object: savez adds no suffix
        np.savez_compressed(fh, **arrays, **{key: np.array(json.dumps(record))})


def load_record_npz(path, key: str, what: str, fix: str) -> tuple:
    """``(record, arrays)`` of a file written by :func:`save_record_npz`; a missing or unreadable file, or
    one without ``key``, is an error naming ``what`` it should be and the ``fix``."""
    import json

    import numpy as np
    try:
        z = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise MtjscError(f"cannot read {what} {path}: {e}") from None
    with z:
        if key not in z.files:
            raise MtjscError(f"{path} is not a {what} (no '{key}' record); {fix}")
        return json.loads(str(z[key])), {k: z[k] for k in z.files if k != key}
