"""An analytical gate-count model of the SC blocks, checked against Yosys.

Each block's generic cell count is a sum of structural terms, each term a
count that follows from the RTL (full and half adders of the APC's
balanced adder tree, OR/AND gates of the approximate APC's first layer,
bits of the Btanh adder and clamps, comparator bits, XOR taps of the LFSR
leap, flip-flops) times a cost in cells per term. XNOR arrays need no
coefficient (one gate per input). The costs are least-squares fits on a
few *calibration* points per block; the check then reports the model's
error on every point of a wider *validation* sweep that the fit never saw
(and on the calibration points). Yosys runs through :mod:`mtjsc.area.synth`
(cached), generic target.
"""

from __future__ import annotations

import numpy as np

from mtjsc.behavioral_models import lfsr as lfsr_def
from mtjsc.errors import MtjscError


def adder_tree(leaves: int) -> tuple:
    """Full and half adders of the APC's balanced tree over ``leaves`` one-bit terms
    (pairs added level by level; a wa-bit + wb-bit add, wa >= wb, is 1 HA + (wb - 1) FA + (wa - wb) HA)."""
    fa = ha = 0
    widths = [1] * leaves
    while len(widths) > 1:
        nxt = []
        for i in range(0, len(widths), 2):
            if i + 1 < len(widths):
                wa, wb = max(widths[i], widths[i + 1]), min(widths[i], widths[i + 1])
                fa += wb - 1
                ha += 1 + wa - wb
                nxt.append(wa + 1)
            else:
                nxt.append(widths[i])
        widths = nxt
    return fa, ha


def _trailing_zeros(x: int) -> int:
    return (x & -x).bit_length() - 1


def terms(block: str, p: dict) -> dict:
    """The structural terms of ``block`` with parameters ``p`` (names -> counts)."""
    if block == "xnor":
        return {"gates": p["n"]}
    if block == "apc_exact":
        fa, ha = adder_tree(p["n"])
        return {"full_adders": fa, "half_adders": ha}
    if block == "apc_approx":
        fa, ha = adder_tree(p["n"] // 2)
        return {"or_and_gates": p["n"] // 2, "full_adders": fa, "half_adders": ha}
    if block == "btanh":
        # up = S + 2c, the compares up < n, up > n + K - 1 and the subtract up - n: the low bits of up
        # below n's lowest set bit pass through all three, so their cost runs over the bits above it;
        # the start and clamp muxes over the state bits; y = [S' >= K/2] shrinks as K/2 has more
        # trailing zeros (a power of two is one bit test)
        n, K = p["n"], p["K"]
        return {"adder_bits_above_n_zeros": (K + 2 * n).bit_length() - _trailing_zeros(n),
                "state_bits": (K - 1).bit_length(), "half_K_trailing_zeros": _trailing_zeros(K // 2)}
    if block == "sng":       # r < q: a B-bit magnitude comparator (abc's grows slightly faster than linear)
        return {"comparator_bits": p["B"], "comparator_bits_squared": p["B"] ** 2, "one": 1}
    if block == "lfsr":      # each Galois step XORs the feedback bit into the taps below the top one
        taps = bin(lfsr_def.toggle_mask(p["width"])).count("1")
        return {"leap_xors": p["B"] * (taps - 1), "flip_flops": p["width"]}
    raise MtjscError(f"no area model for block {block!r}; choose one of {', '.join(SWEEP)}")


#: Terms whose cost is fixed by the structure (one cell per gate or flip-flop), not fitted.
FIXED = {"xnor": {"gates": 1.0}, "apc_approx": {"or_and_gates": 1.0},
         "lfsr": {"leap_xors": 1.0, "flip_flops": 1.0}}

#: The LFSR point with the widest, longest leap: a leap written in another form once synthesised 40 %
#: larger than the model there while the first three validation points still passed.
LFSR_WIDEST = {"width": 32, "B": 16}

#: Per block: calibration points (the fit) and validation points (the check).
SWEEP = {
    "xnor": {"calibrate": [], "validate": [{"n": n} for n in (8, 64, 129, 785)]},
    "apc_exact": {"calibrate": [{"n": n} for n in (16, 129, 785)],
                  "validate": [{"n": n} for n in (24, 64, 200, 400, 512)]},
    "apc_approx": {"calibrate": [{"n": n} for n in (16, 129, 785)],
                   "validate": [{"n": n} for n in (24, 64, 200, 400, 512)]},
    "btanh": {"calibrate": [{"n": 16, "K": 8}, {"n": 129, "K": 26}, {"n": 785, "K": 236}, {"n": 785, "K": 1570},
                            {"n": 64, "K": 32}, {"n": 32, "K": 4}],
              "validate": [{"n": 257, "K": 64}, {"n": 785, "K": 64}, {"n": 400, "K": 600}, {"n": 200, "K": 100},
                           {"n": 600, "K": 1000}, {"n": 129, "K": 6}, {"n": 50, "K": 20}]},
    "sng": {"calibrate": [{"B": 2}, {"B": 8}, {"B": 16}], "validate": [{"B": b} for b in (4, 6, 10, 12)]},
    "lfsr": {"calibrate": [],
             "validate": [{"width": 16, "B": 4}, {"width": 32, "B": 8}, {"width": 24, "B": 12}, {"width": 8, "B": 1},
                          {"width": 16, "B": 8}, {"width": 32, "B": 1}, LFSR_WIDEST,
                          {"width": 20, "B": 6}]},
}

#: A smaller sweep for the default test suite (a few seconds of Yosys): three validation points per
#: block, and for the LFSR also :data:`LFSR_WIDEST`.
SMALL_SWEEP = {b: {"calibrate": s["calibrate"],
                   "validate": s["validate"][:3] + ([LFSR_WIDEST] if b == "lfsr" else [])}
               for b, s in SWEEP.items()}


def component(block: str, p: dict):
    """The Amaranth component a sweep point synthesises."""
    from mtjsc.hdl import ApproxParallelCounter, BtanhCounter, ComparatorSng, Lfsr, XnorArray
    if block == "xnor":
        return XnorArray(n=p["n"])
    if block.startswith("apc_"):
        return ApproxParallelCounter(n=p["n"], kind=block[4:])
    if block == "btanh":
        return BtanhCounter(n=p["n"], K=p["K"])
    if block == "sng":
        return ComparatorSng(bits=p["B"])
    if block == "lfsr":
        return Lfsr(width=p["width"], bits=p["B"], seed=1)
    raise MtjscError(f"no area model for block {block!r}; choose one of {', '.join(SWEEP)}")


def fit(block: str, points: list, cells: list) -> dict:
    """Cost per term: :data:`FIXED` ones as given, the others least-squares from the calibration points."""
    fixed = FIXED.get(block, {})
    names = [k for k in terms(block, points[0] if points else SWEEP[block]["validate"][0]) if k not in fixed]
    coef = dict(fixed)
    if names:
        A = np.array([[terms(block, p)[k] for k in names] for p in points], float)
        rest = np.asarray(cells, float) - np.array([sum(c * terms(block, p)[k] for k, c in fixed.items())
                                                     for p in points])
        sol, *_ = np.linalg.lstsq(A, rest, rcond=None)
        coef.update({k: round(float(c), 4) for k, c in zip(names, sol)})
    return coef


def predict(block: str, p: dict, coef: dict) -> float:
    return float(sum(coef[k] * v for k, v in terms(block, p).items()))


def check(sweep: dict | None = None, *, cache_root=None, progress=None) -> dict:
    """Synthesise every point of ``sweep`` (default :data:`SWEEP`), fit, and report errors per block."""
    from mtjsc.area.synth import synthesize
    sweep = SWEEP if sweep is None else sweep
    out = {}
    for block, s in sweep.items():
        rows = {}
        for role in ("calibrate", "validate"):
            rows[role] = []
            for p in s[role]:
                name = f"am_{block}_" + "_".join(f"{k}{v}" for k, v in p.items())
                r = synthesize(component(block, p), name, "generic", cache_root=cache_root)
                rows[role].append({"params": p, "yosys_cells": r["total"]["cells"]})
                if progress:
                    progress(1)
        coef = fit(block, [r["params"] for r in rows["calibrate"]], [r["yosys_cells"] for r in rows["calibrate"]])
        for role in rows:
            for r in rows[role]:
                r["model_cells"] = round(predict(block, r["params"], coef), 1)
                r["error"] = round((r["model_cells"] - r["yosys_cells"]) / r["yosys_cells"], 4)
        val = [abs(r["error"]) for r in rows["validate"]]
        out[block] = {"formula": " + ".join(f"{c:g} x {k}" for k, c in coef.items()), "coefficients": coef,
                      **rows, "max_abs_error_validation": max(val) if val else None,
                      "max_abs_error_all": max(abs(r["error"]) for role in rows for r in rows[role])}
    return out


def points_in(sweep: dict) -> int:
    return sum(len(s["calibrate"]) + len(s["validate"]) for s in sweep.values())
