"""Scalar validation shared by every layer (errors name the value and the fix).

One definition of each check: the CLI, the configuration, the stream
sources, the MTJ model and the Amaranth components all call these, so the
same bad value gets the same message wherever it enters.
"""

from __future__ import annotations

import math

from mtjsc.errors import MtjscError


def check_int(value, name: str, *, minimum: int | None = None, maximum: int | None = None,
              fix: str = "") -> int:
    """``value`` as an int in ``[minimum, maximum]``; bools and non-integers are errors.

    Parameters
    ----------
    value : object
        Anything with ``__index__`` (Python or NumPy integers).
    name : str
        How the user knows the value (a parameter or CLI option name).
    minimum, maximum : int, optional
        Inclusive bounds.
    fix : str
        Appended to the message: what to do instead.
    """
    ok = not isinstance(value, bool) and hasattr(value, "__index__")
    v = int(value) if ok else None
    if ok and (minimum is None or v >= minimum) and (maximum is None or v <= maximum):
        return v
    if minimum is not None and maximum is not None:
        want = f"an integer in {minimum}..{maximum}"
    elif minimum is not None:
        want = f"an integer >= {minimum}"
    elif maximum is not None:
        want = f"an integer <= {maximum}"
    else:
        want = "an integer"
    raise MtjscError(f"{name}={value!r} must be {want}" + (f"; {fix}" if fix else ""))


def check_float(value, name: str, *, positive: bool = False, minimum: float | None = None,
                fix: str = "") -> float:
    """``value`` as a finite float (``positive``: > 0; ``minimum``: >= minimum); NaN is an error."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    ok = math.isfinite(v) and (not positive or v > 0) and (minimum is None or v >= minimum)
    if ok:
        return v
    want = "a positive finite number" if positive else (
        f"a finite number >= {minimum:g}" if minimum is not None else "a finite number")
    raise MtjscError(f"{name}={value!r} must be {want}" + (f"; {fix}" if fix else ""))


def check_seed(seed, name: str = "seed") -> int:
    """Run seeds are non-negative integers (NumPy's SeedSequence rejects negatives)."""
    return check_int(seed, name, minimum=0)


def check_sng_fits_lfsr(bits: int, width: int) -> None:
    """A comparator SNG reads B bits of one LFSR state, so B <= W."""
    if bits > width:
        raise MtjscError(f"SNG resolution B={bits} exceeds the LFSR width {width}; "
                         f"use --sng-bits <= --lfsr-width")


def check_square(a, name: str):
    """``a`` as an array if it is a square matrix [n, n]; else an error naming ``name`` and the shape."""
    import numpy as np
    a = np.asarray(a)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise MtjscError(f"{name} must be a square matrix [n, n], got shape {a.shape}")
    return a


def check_same_shape(a, b, names: str):
    """``a`` and ``b`` as arrays if their shapes agree; else an error naming both (``names``: "p and q")."""
    import numpy as np
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise MtjscError(f"{names} must have the same shape, got {a.shape} and {b.shape}")
    return a, b


def check_last_axis(a, n: int, name: str, shape: str = "[..., n]"):
    """``a`` as a float array whose last axis has length ``n``; else an error naming ``name``, the
    expected ``shape`` and the shape given."""
    import numpy as np
    a = np.asarray(a, np.float64)
    if a.ndim < 1 or a.shape[-1] != n:
        raise MtjscError(f"{name} must be {shape} with n = {n}, got shape {a.shape}")
    return a
