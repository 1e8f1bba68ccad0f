"""Rounding of two's-complement fixed-point numbers: nearest and stochastic (the RTL's reference).

A value x (an integer: the fixed-point number times 2^f) loses its k low
bits. Nearest rounding adds half an LSB and truncates (ties round up,
toward +inf). Stochastic rounding rounds up with probability equal to
the dropped fraction: ``y = floor(x / 2^k) + [r < x mod 2^k]`` for a
uniform k-bit random number r, so E[y 2^k] = x exactly (unbiased).
``StochasticRounder`` in :mod:`mtjsc.hdl.rounding` computes the same
function; its random numbers are one LFSR's, leaping k steps
(:func:`mtjsc.behavioral_models.randomness.lfsr_numbers`), or k-bit numbers
read from raw bits such as an sMTJ's
(:func:`~mtjsc.behavioral_models.randomness.mtj_numbers`).
"""

from __future__ import annotations

import numpy as np

from mtjsc.errors import MtjscError
from mtjsc.validate import check_int


def check_drop(drop, width: int | None = None) -> int:
    """k, the number of fraction bits dropped: 1..62 (and below ``width``, so a bit remains)."""
    hi = 62 if width is None else width - 1
    return check_int(drop, "dropped bits k", minimum=1, maximum=hi,
                     fix=f"drop between 1 and {hi} bits" + ("" if width is None else f" of a {width}-bit value"))


def nearest(x, k: int) -> np.ndarray:
    """Round to nearest, ties up: ``floor((x + 2^(k-1)) / 2^k)``."""
    k = check_drop(k)
    return (np.asarray(x, np.int64) + (1 << (k - 1))) >> k


def stochastic(x, k: int, r) -> np.ndarray:
    """Stochastic rounding with random numbers ``r`` (ints in 0..2^k - 1, one per value)."""
    k = check_drop(k)
    x = np.asarray(x, np.int64)
    r = np.asarray(r, np.int64)
    if r.shape != x.shape:
        raise MtjscError(f"random numbers have shape {r.shape} but the values {x.shape}; give one per value")
    if r.size and (r.min() < 0 or r.max() >= 1 << k):
        raise MtjscError(f"random numbers must lie in 0..{(1 << k) - 1} for k={k} dropped bits; "
                         f"got {int(r.min())}..{int(r.max())}")
    return (x >> k) + ((r < (x & ((1 << k) - 1))).astype(np.int64))
