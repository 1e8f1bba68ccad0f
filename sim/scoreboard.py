"""Stimulus and expected observations for each block's testbench.

Each function takes the component (for its parameters and pure-Python
reference) and the stimulus, and returns the ``data`` dict that
:func:`mtjsc.sim.runner.run` sends to the testbench: ``in_<port>`` arrays,
``expect_<port>`` arrays aligned with the testbench's observation k
(combinational outputs of inputs k, registers holding inputs 0..k-1; a
d-clock pipeline shows f(inputs k-d)) and ``mask_<port>`` for the cycles
where the expectation is defined.
"""

from __future__ import annotations

import numpy as np


def row_to_int(row) -> int:
    """A bool row (bit i = element i) or an integer, as a Python int."""
    row = np.asarray(row)
    if row.ndim == 0:
        return int(row)
    return int.from_bytes(np.packbits(row.astype(bool), bitorder="little").tobytes(), "little")


def as_ints(values) -> list:
    """Per-cycle values (ints, or bool rows for wide ports) as Python ints."""
    return [row_to_int(v) for v in values]


def _delay(values, d: int, fill=0):
    values = np.asarray(values)
    out = np.full_like(values, fill)
    if d < len(values):
        out[d:] = values[:len(values) - d]
    mask = np.arange(len(values)) >= d
    return out, mask


def xnor(component, x, w) -> dict:
    x, w = np.asarray(x, bool), np.asarray(w, bool)
    p = np.array([component.reference(a, b) for a, b in zip(x, w)], bool)
    return {"in_x": x, "in_w": w, "expect_p": p}


def apc(component, bits, reference=None) -> dict:
    """``reference`` replaces the component's reference (mutation tests)."""
    bits = np.asarray(bits, bool)
    ref = reference or component.reference
    counts = np.array([ref(b) for b in bits], np.int64)
    exp, mask = _delay(counts, component.latency)
    return {"in_bits": bits, "expect_count": exp, "mask_count": mask}


def btanh(component, counts, en, start, reference_step=None) -> dict:
    """Expected state and output of :class:`BtanhCounter` (registered: observation k shows inputs 0..k-1)."""
    from mtjsc.behavioral_models.golden import btanh_step
    step = reference_step or btanh_step
    K, n = component.K, component.n
    s = K // 2
    states = []
    for c, e, st in zip(counts, en, start):
        states.append(s)
        if e:
            s, _ = step(K // 2 if st else s, int(c), n, K)
    states = np.array(states, np.int64)
    return {"in_count": np.asarray(counts, np.int64), "in_en": np.asarray(en, np.int64),
            "in_start": np.asarray(start, np.int64), "expect_state": states,
            "expect_y": (states >= K // 2).astype(np.int64)}


def neuron_stream(component, x_bits, w_bits, expected_counts=None, expected_y=None, gap: int = 0) -> dict:
    """One stream of L bits into :class:`ScNeuron` (``start`` on the first), then drain.

    ``expected_counts`` / ``expected_y`` (per stream index) default to the
    component's reference; pass the golden network's records to check the
    neuron against the whole-network model. ``gap`` idle cycles (valid low)
    are inserted after every bit to show the schedule does not matter.
    """
    x_bits, w_bits = np.asarray(x_bits, bool), np.asarray(w_bits, bool)
    L, n = x_bits.shape
    ref = component.reference(x_bits, w_bits)
    c = ref["count"] if expected_counts is None else np.asarray(expected_counts, np.int64)
    y = ref["y"] if expected_y is None else np.asarray(expected_y, bool)
    d = component.latency
    T = L * (gap + 1) + d + 2
    xin = np.zeros((T, n), bool)
    win = np.zeros((T, n), bool)
    valid = np.zeros(T, np.int64)
    start = np.zeros(T, np.int64)
    slots = np.arange(L) * (gap + 1)
    xin[slots], win[slots], valid[slots] = x_bits, w_bits, 1
    start[0] = 1
    count_valid, m_cv = _delay(valid, d)
    exp_count = np.zeros(T, np.int64)
    exp_count[slots + d] = c
    y_valid, _ = _delay(valid, d + 1)
    exp_y = np.zeros(T, np.int64)
    exp_y[slots + d + 1] = y
    score = np.zeros(T, np.int64)
    score[slots + d + 1] = np.cumsum(c)
    data = {"in_x": xin, "in_w": win, "in_valid": valid, "in_start": start,
            "expect_count_valid": count_valid, "mask_count_valid": m_cv,
            "expect_count": exp_count, "mask_count": count_valid.astype(bool),
            "expect_y_valid": y_valid, "mask_y_valid": np.arange(T) >= d + 1,
            "expect_y": exp_y, "mask_y": y_valid.astype(bool)}
    if component.score_bits:
        data.update(expect_score=score, mask_score=y_valid.astype(bool))
    return data


def lfsr(component, en, load) -> dict:
    """Expected R(t) of :class:`Lfsr` under an enable/load pattern."""
    from mtjsc.behavioral_models import lfsr as lfsr_def
    s = component.seed
    states = []
    for e, ld in zip(en, load):
        states.append(s)
        if ld:
            s = component.seed
        elif e:
            s = lfsr_def.leap(s, component.width, component.bits)
    states = np.array(states, np.int64)
    return {"in_en": np.asarray(en, np.int64), "in_load": np.asarray(load, np.int64),
            "expect_state": states, "expect_value": states & ((1 << component.bits) - 1)}


def sng(component, r, q) -> dict:
    r, q = np.asarray(r, np.int64), np.asarray(q, np.int64)
    return {"in_r": r, "in_q": q, "expect_bit": np.array([component.reference(a, b) for a, b in zip(r, q)])}


def btanh_update(component, states, counts, starts) -> dict:
    """Expected next state and bit of the combinational :class:`BtanhUpdate`."""
    ref = [component.reference(s, c, st) for s, c, st in zip(states, counts, starts)]
    return {"in_state": np.asarray(states, np.int64), "in_count": np.asarray(counts, np.int64),
            "in_start": np.asarray(starts, np.int64),
            "expect_next_state": np.array([r[0] for r in ref], np.int64),
            "expect_y": np.array([r[1] for r in ref], np.int64)}


def lane_apc(component, products, gaps=None) -> dict:
    """Counts of :class:`LaneApc` for a sequence of n-bit product vectors, one chunk per enabled clock.

    ``products`` bool [k, n]; ``gaps[j]`` idle clocks before each chunk j (default none). The
    expected count of each vector is the golden APC count (the reference's partials sum to it),
    shown ``1 + component.stages`` clocks after its last chunk.
    """
    from mtjsc.behavioral_models.golden import apc_count
    products = np.asarray(products, bool)
    W, C, n = component.lanes, component.chunks, component.n
    pad = np.zeros((len(products), C * W), bool)
    pad[:, :n] = products
    rows, en, first = [], [], []
    done = []
    j = 0
    for v in range(len(products)):
        for c in range(C):
            for _ in range(0 if gaps is None else int(gaps[j % len(gaps)])):
                rows.append(np.zeros(W, bool))
                en.append(0)
                first.append(0)
            j += 1
            rows.append(pad[v, c * W:(c + 1) * W])
            en.append(1)
            first.append(int(c == 0))
        done.append(len(rows) + component.stages)    # count valid 1 + stages clocks after the last chunk
    for _ in range(1 + component.stages):
        rows.append(np.zeros(W, bool))
        en.append(0)
        first.append(0)
    T = len(rows)
    valid = np.zeros(T, np.int64)
    count = np.zeros(T, np.int64)
    for v, k in enumerate(done):
        valid[k] = 1
        count[k] = apc_count(products[v], component.kind)
    assert all(sum(component.reference(p)) == apc_count(p, component.kind) for p in products)
    return {"in_bits": np.array(rows, bool), "in_en": np.array(en, np.int64), "in_first": np.array(first, np.int64),
            "expect_count_valid": valid, "expect_count": count, "mask_count": valid.astype(bool)}


def stochastic_rounder(component, x, en=None, r=None) -> dict:
    """Stimulus and expected ``y`` of :class:`StochasticRounder` (values as two's-complement bit patterns).

    ``lfsr``: the rounder sees R(j) at a clock after j enabled clocks; ``entropy``: ``r`` per clock.
    """
    x = np.asarray(x, np.int64)
    if component.source == "lfsr":
        en = np.ones(len(x), np.int64) if en is None else np.asarray(en, np.int64)
        idx = np.concatenate([[0], np.cumsum(en)[:-1]])            # numbers consumed before each clock
        rs = np.asarray(component.random_numbers(int(idx[-1]) + 1), np.int64)[idx]
        data = {"in_x": x & ((1 << component.width) - 1), "in_en": en}
    else:
        rs = np.asarray(r, np.int64)
        data = {"in_x": x & ((1 << component.width) - 1), "in_r": rs}
    y = component.reference(x, rs)
    data["expect_y"] = y & ((1 << (component.width - component.drop + 1)) - 1)
    return data
