"""The one LFSR definition shared by the golden model and the RTL.

Family
------
A right-shifting Galois LFSR of width W (4 <= W <= 32) with the maximal-length
polynomial of :data:`TAPS` (Xilinx XAPP052 tap sets). One *step*::

    out = state & 1
    state >>= 1
    if out: state ^= toggle_mask(W)

A comparator SNG of resolution B reads ``R(t) = state_t & (2**B - 1)`` at
stream index t and then *leaps* B steps (``state_{t+1} = step^B(state_t)``),
so consecutive R values are made of disjoint, fresh sequence bits. The stream
bit is ``[R(t) < q]`` with ``q = round(P * 2**B)`` in 0..2**B (q = 2**B gives a
constant 1). In hardware the leap is B copies of the step's XOR network.

Seed schedule
-------------
Every SNG is identified by ``(layer, role, index)`` with role 0 for the
input streams of a layer and role 1 for its weight streams (the weight SNG
of input ``i`` is shared by all neurons of the layer, the usual hardware
saving). Its initial state is :func:`seed_state` of the run seed and that
identity: a SplitMix64 hash reduced to W bits, never 0. All LFSRs restart
from their seeds at every image, so the streams of an image depend only on
its pixels.
"""

from __future__ import annotations

import numpy as np

from mtjsc.config import check_sng_bits
from mtjsc.validate import check_int, check_sng_fits_lfsr
from mtjsc.errors import MtjscError

#: Maximal-length tap sets (1-indexed bit positions, XAPP052).
TAPS = {
    4: (4, 3), 5: (5, 3), 6: (6, 5), 7: (7, 6), 8: (8, 6, 5, 4), 9: (9, 5), 10: (10, 7), 11: (11, 9),
    12: (12, 6, 4, 1), 13: (13, 4, 3, 1), 14: (14, 5, 3, 1), 15: (15, 14), 16: (16, 15, 13, 4),
    17: (17, 14), 18: (18, 11), 19: (19, 6, 2, 1), 20: (20, 17), 21: (21, 19), 22: (22, 21),
    23: (23, 18), 24: (24, 23, 22, 17), 25: (25, 22), 26: (26, 6, 2, 1), 27: (27, 5, 2, 1),
    28: (28, 25), 29: (29, 27), 30: (30, 6, 4, 1), 31: (31, 28), 32: (32, 22, 2, 1),
}
ROLE_INPUT = 0
ROLE_WEIGHT = 1
_MASK64 = (1 << 64) - 1


def check_width(width) -> int:
    return check_int(width, "LFSR width", minimum=min(TAPS), maximum=max(TAPS),
                     fix="widths with a maximal-length tap set (XAPP052)")


def toggle_mask(width: int) -> int:
    """Galois toggle mask of the width-``width`` polynomial."""
    width = check_width(width)
    return sum(1 << (t - 1) for t in TAPS[width])


def step(state: int, width: int) -> int:
    """One Galois step (the pure-Python reference the RTL is checked against)."""
    out = state & 1
    state >>= 1
    if out:
        state ^= toggle_mask(width)
    return state


def leap(state: int, width: int, bits: int) -> int:
    """``bits`` steps: the per-stream-index advance of a B-bit comparator SNG."""
    for _ in range(bits):
        state = step(state, width)
    return state


def splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def seed_state(seed: int, layer: int, role: int, index: int, width: int) -> int:
    """Initial LFSR state of SNG ``(layer, role, index)`` for run ``seed``: W bits, never 0."""
    width = check_width(width)
    h = splitmix64(splitmix64(splitmix64(splitmix64(int(seed) & _MASK64) ^ layer) ^ role) ^ index)
    s = h & ((1 << width) - 1)
    return s if s else 1


def generate(seeds, width: int, bits: int, L: int) -> np.ndarray:
    """Comparator values R(t) of many SNGs, vectorised.

    Parameters
    ----------
    seeds : array of int
        Initial states, one per SNG.
    width, bits : int
        LFSR width W and SNG resolution B.
    L : int
        Stream length.

    Returns
    -------
    ndarray of int64, shape (L, len(seeds))
    """
    width = check_width(width)
    bits = check_sng_bits(bits)
    check_sng_fits_lfsr(bits, width)
    s = np.asarray(seeds, dtype=np.uint64).copy()
    if (s == 0).any() or (s >> np.uint64(width)).any():
        raise MtjscError(f"LFSR seeds must be nonzero {width}-bit values")
    low = np.uint64((1 << bits) - 1)
    out = np.empty((L, len(s)), dtype=np.int64)
    for t in range(L):
        out[t] = s & low
        s = leap_states(s, width, bits)
    return out


def leap_states(states: np.ndarray, width: int, bits: int) -> np.ndarray:
    """:func:`leap` of every state of a uint64 array (vectorised; returns a new array)."""
    mask = np.uint64(toggle_mask(width))
    one = np.uint64(1)
    s = np.asarray(states, dtype=np.uint64).copy()
    for _ in range(bits):
        lsb = s & one
        s >>= one
        s ^= mask * lsb
    return s


def sng_threshold(p: np.ndarray, bits: int) -> np.ndarray:
    """Comparator threshold q = round(P * 2**B), in 0..2**B (int64)."""
    p = np.asarray(p, dtype=np.float64)
    if p.size and (np.isnan(p).any() or p.min() < 0 or p.max() > 1):
        raise MtjscError("SNG probabilities must lie in [0, 1]")
    return np.rint(p * (1 << bits)).astype(np.int64)
