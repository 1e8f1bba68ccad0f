"""Fault injection: how the SC network and the binary baseline degrade when their stored weights or
their stochastic devices fail (`mtjsc faults`).

Faults are applied to what the hardware stores, so the faulty network is an ordinary model that
the golden model and the RTL both run:

``seu``
    Every stored weight bit flips with probability ``rate`` (single-event upsets in the weight
    memory). SC: the B + 1 bits of each weight's SNG threshold q = round(p 2^B) (the accelerator's
    ``w0_q``/``w1_q`` memories, both layers, biases included). A flipped q of 2^B or more makes
    the comparator output 1 on every clock (R < 2^B <= q), exactly as q = 2^B does, so it is
    stored as 2^B. Binary baseline: the two's-complement bits of each integer weight (both
    layers, biases kept: they sit in registers of their own).
``stuck``
    A fraction ``rate`` of the SC weight SNGs (sMTJs or comparators) is stuck: its stream is all 0
    or all 1, each with probability 1/2 (q = 0 or q = 2^B). The binary design has no
    counterpart.
``flip``
    Every weight-stream bit flips with probability ``rate`` (a transient upset after the SNG).
    The flips are drawn once per run and replayed for every image, as the weight streams
    themselves are (every LFSR restarts at each image). Golden model only: no memory content
    makes it, so the RTL is not run with it.

A faulty threshold q' becomes the weight w' = 2 q' / 2^B - 1, whose threshold is q' exactly
(:func:`mtjsc.behavioral_models.lfsr.sng_threshold` of (w' + 1) / 2 = q' / 2^B, a binary
fraction), so :class:`~mtjsc.hdl.accelerator.ScMlpAccelerator` built from the faulty model holds
the faulty memory contents bit for bit. Every fault draw takes a seed.
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np

from mtjsc.behavioral_models import lfsr as lfsr_def
from mtjsc.behavioral_models.coding import bipolar_to_p, twos_complement
from mtjsc.errors import MtjscError
from mtjsc.validate import check_float, check_int, check_seed

#: Fault kinds of the SC network (module docstring).
SC_KINDS = ("seu", "stuck", "flip")
#: The kinds that are memory contents (the RTL holds them).
STORED_KINDS = ("seu", "stuck")
#: Rates of the default study (per stored bit for ``seu``, per SNG for ``stuck``).
DEFAULT_RATES = (0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)


def check_rate(rate, name: str = "rate") -> float:
    """A probability: a finite number in [0, 1]."""
    r = check_float(rate, name, minimum=0.0)
    if r > 1:
        raise MtjscError(f"{name}={rate!r} is a probability per bit or per SNG: give a number in 0..1")
    return r


def thresholds(model, bits: int) -> list:
    """The SNG thresholds q = round(p 2^B) of both layers' weights (int64 arrays, the RTL's memories)."""
    return [lfsr_def.sng_threshold(bipolar_to_p(w), bits).astype(np.int64) for w in model.weights]


def weights_for_thresholds(q: np.ndarray, bits: int) -> np.ndarray:
    """The weights whose thresholds are exactly ``q`` (0 <= q <= 2^B): w = 2 q / 2^B - 1."""
    q = np.asarray(q, np.int64)
    if q.min() < 0 or q.max() > 1 << bits:
        raise MtjscError(f"thresholds must lie in 0..{1 << bits} for B = {bits}")
    return 2.0 * q / (1 << bits) - 1.0


def inject_sc(model, kind: str, rate: float, *, bits: int = 8, seed: int = 0, protect: int = 0) -> tuple:
    """The model with ``kind`` faults at ``rate`` (module docstring) and a count of what failed.

    ``protect`` (``seu`` only): the top ``protect`` bits of every threshold never flip, as if an
    error-correcting code guarded them. The same draw as without protection, minus those bits.

    Returns
    -------
    (ScModel, dict)
        The faulty model (same K, encoding, gains) and ``{"faults": n, "of": total}``: flipped bits
        (``seu``) or stuck SNGs (``stuck``) against the stored bits or SNGs.
    """
    if kind not in STORED_KINDS:
        raise MtjscError(f"fault kind {kind!r} is not stored in the weights: choose one of "
                         f"{', '.join(STORED_KINDS)} (stream flips: WeightBitFlips)")
    rate = check_rate(rate)
    bits = check_int(bits, "bits", minimum=1, maximum=16)
    protect = check_int(protect, "protect", minimum=0, maximum=bits + 1)
    if protect and kind != "seu":
        raise MtjscError(f"protect={protect}: protection guards stored threshold bits (kind seu), not {kind}")
    rng = np.random.default_rng([check_seed(seed), 0x5E0 if kind == "seu" else 0x57C])
    new, faults, total = [], 0, 0
    for q in thresholds(model, bits):
        if kind == "seu":
            flips = rng.random(q.shape + (bits + 1,)) < rate
            flips[..., bits + 1 - protect:] = False
            mask = (flips * (1 << np.arange(bits + 1))).sum(axis=-1)
            faults += int(flips.sum())
            total += q.size * (bits + 1 - protect)
            q = np.minimum(q ^ mask, 1 << bits)
        else:
            stuck = rng.random(q.shape) < rate
            ones = rng.random(q.shape) < 0.5
            faults += int(stuck.sum())
            total += q.size
            q = np.where(stuck, np.where(ones, 1 << bits, 0), q)
        new.append(weights_for_thresholds(q, bits))
    faulty = dataclasses.replace(model, w1=new[0], w2=new[1],
                                 provenance={**model.provenance, "faults": {"kind": kind, "rate": rate, "seed": seed,
                                                                            "bits": bits, "protect": protect}})
    return faulty, {"faults": faults, "of": total}


class WeightBitFlips:
    """A stream source whose weight-stream bits flip with probability ``rate`` (kind ``flip``); every
    other stream, and everything else, comes from ``base``."""

    def __init__(self, base, rate: float, *, seed: int = 0):
        self.base, self.rate, self.seed = base, check_rate(rate), check_seed(seed)
        self.flipped = 0

    def __getattr__(self, name):
        return getattr(self.base, name)

    def weight_bits(self, layer: int, p, L: int) -> np.ndarray:
        bits = self.base.weight_bits(layer, p, L)
        flips = np.random.default_rng([self.seed, 0xF11, layer]).random(bits.shape) < self.rate
        self.flipped += int(flips.sum())
        return bits ^ flips


def inject_fixed(fixed, rate: float, *, seed: int = 0) -> tuple:
    """A copy of a :class:`~mtjsc.behavioral_models.fixed.FixedModel` whose weight bits (two's complement, ``wbits``
    each; both layers) flipped with probability ``rate``. A flip can leave the symmetric range
    (-2^(b-1) appears); the copy is not re-validated, as the hardware would not be."""
    rate = check_rate(rate)
    rng = np.random.default_rng([check_seed(seed), 0xF1D])
    b = fixed.wbits
    out = copy.copy(fixed)
    faults = total = 0
    for name in ("q1", "q2"):
        q = getattr(fixed, name)
        if b == 1:          # +-1 stored as one bit: a flip negates
            flips = rng.random(q.shape) < rate
            setattr(out, name, np.where(flips, -q, q))
        else:
            flips = rng.random(q.shape + (b,)) < rate
            mask = (flips * (1 << np.arange(b))).sum(axis=-1)
            u = (q & ((1 << b) - 1)) ^ mask                         # the stored two's-complement word
            setattr(out, name, twos_complement(u, b))
        faults += int(flips.sum())
        total += flips.size
    return out, {"faults": faults, "of": total}


def study(*, L: int = 256, rates=DEFAULT_RATES, seeds: int = 3, images: int | None = None, model: str = "auto",
          baseline: str = "8/8", protect: int = 2, data=None, progress=None) -> dict:
    """Accuracy against fault rate: SC (``lfsr`` source; SEU, stuck SNGs, stream flips, and SEU with the top
    ``protect`` threshold bits guarded, if ``protect``) and the binary baseline (SEU).

    Each (kind, rate) is drawn ``seeds`` times (fault seed = stream seed = 0 .. seeds - 1); accuracy is
    on the first ``images`` MNIST test images (all 10,000 by default).
    """
    from mtjsc import mnist
    from mtjsc.behavioral_models.golden import run_network
    from mtjsc.behavioral_models.sources import make_source
    from mtjsc.config import ScConfig
    from mtjsc.evaluate import resolve_model
    from mtjsc.behavioral_models.fixed import shipped_fixed
    from mtjsc.training.fixedpoint import parse_widths

    L = check_int(L, "--length", minimum=1)
    seeds = check_int(seeds, "--seeds", minimum=1)
    rates = [check_rate(r, "--rates") for r in rates]
    ts = mnist.load("test", data)
    n = len(ts.labels) if images is None else check_int(images, "--images", minimum=1, maximum=len(ts.labels))
    pixels, labels = ts.images[:n], ts.labels[:n]
    name, sc_model = resolve_model(model, L)
    cfg = ScConfig.from_model(sc_model, L=L)
    rows, fault_free = [], {}
    protect = check_int(protect, "--protect", minimum=0, maximum=cfg.sng_bits + 1)
    variants = [(kind, 0) for kind in SC_KINDS] + ([("seu", protect)] if protect else [])
    for kind, guard in variants:
        for rate in rates:
            accs, counts = [], []
            for s in range(seeds):
                source = make_source("lfsr", seed=s, config=cfg)
                if kind == "flip":
                    faulty, source = sc_model, WeightBitFlips(source, rate, seed=s)
                    total = L * sum(w.size for w in sc_model.weights)
                else:
                    faulty, info = inject_sc(sc_model, kind, rate, bits=cfg.sng_bits, seed=s, protect=guard)
                    total = info["of"]
                if rate == 0 and s in fault_free:       # no fault of any kind: the same run
                    accs.append(fault_free[s])
                    if progress is not None:
                        progress(n)
                else:
                    res = run_network(faulty, pixels, source=source, config=cfg, progress=progress)
                    accs.append(float((res.classes == labels).mean()))
                    if rate == 0:
                        fault_free[s] = accs[-1]
                counts.append(source.flipped if kind == "flip" else info["faults"])
            design = f"SC L={L}" + (f", top {guard} bits protected" if guard else "")
            rows.append({"design": design, "kind": kind, "rate": rate, "accuracy": accs,
                         "faults": counts, "of": total})
    widths = parse_widths(baseline)
    if len(widths) != 1:
        raise MtjscError(f"--baseline {baseline!r}: give one W/A pair (e.g. 8/8)")
    (wb, ab), = widths
    fixed = shipped_fixed(wb, ab)
    for rate in rates:
        accs, counts = [], []
        for s in range(seeds):
            faulty, info = inject_fixed(fixed, rate, seed=s)
            accs.append(float((faulty.forward(pixels)["classes"] == labels).mean()))
            counts.append(info["faults"])
        if progress is not None:
            progress(seeds * n)
        rows.append({"design": f"binary {fixed.label}", "kind": "seu", "rate": rate, "accuracy": accs,
                     "faults": counts, "of": info["of"]})
    return {"model": name, "L": L, "sng_bits": cfg.sng_bits, "protect": protect, "baseline": fixed.label, "images": n, "seeds": seeds,
            "rates": rates, "rows": rows}


def markdown(res: dict) -> str:
    """The study as a table: mean accuracy (min..max over seeds) per design, kind and rate."""
    lines = [f"# Fault injection: SC network (model {res['model']}, L = {res['L']}, `lfsr` source) and binary "
             f"{res['baseline']}", "",
             f"{res['images']:,} MNIST test images, {res['seeds']} fault draws per point. `seu`: every stored "
             f"weight bit flips with the given probability (SC: the {res['sng_bits'] + 1}-bit SNG thresholds; "
             f"binary: the integer weights). `stuck`: that fraction of the SC weight SNGs is stuck at 0 or 1. `flip`: every SC weight-stream "
             f"bit flips with that probability (drawn once, replayed for every image)."
             + (f" 'top {res['protect']} bits protected': `seu` with the top {res['protect']} bits of each "
                f"threshold guarded (as by ECC)." if res.get("protect") else ""),
             "", "| design | fault | " + " | ".join(f"{r:g}" for r in res["rates"]) + " |",
             "|---|---|" + "---|" * len(res["rates"])]
    groups = {}
    for r in res["rows"]:
        groups.setdefault((r["design"], r["kind"]), []).append(r)
    for (design, kind), rows in groups.items():
        cells = [f"{100 * np.mean(r['accuracy']):.2f} %" for r in rows]
        lines.append(f"| {design} | {kind} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
