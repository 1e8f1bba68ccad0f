"""The OR-gate neuron network (Daniels et al., Phys. Rev. Applied 13, 034016, 2020), bit for bit.

Contract (README, "OR-gate neurons"), per stream index t:

* Coding is unipolar. Input i of the hidden layer is a stream with
  P(1) = pixel value x_i (the bias input, last, is constant 1). A weight w
  is a stream with P(1) = |w|; its sign is wiring, not data.
* Hidden neuron j ANDs every input bit with its weight bit and ORs the
  products in two groups, the inputs with positive weights (``a+``) and
  those with negative weights (``a-``); its output bit is ``a+ AND NOT a-``.
  For independent streams ``E[h] = (1 - P+) P-`` with
  ``P+- = prod over the group of (1 - |w_i| x_i)``: the OR does the sum
  and the saturating non-linearity at once, and the inhibitory group
  gates it. No counter, no state.
* Output neuron k counts, over the H hidden bits and the bias (constant 1,
  last), the AND products with positive weights minus those with negative
  weights: ``c_k(t) = sum_{w>0} h_i & b_ki - sum_{w<0} h_i & b_ki``. Its
  score is ``sum_t c_k(t)`` with mean ``L sum_i w_ki E[h_i]``; the class is
  the argmax, lowest index on ties.

:func:`or_neuron_bit` and :func:`or_output_count` are the pure-Python
references of one evaluation; :func:`or_network_on_bits` runs one image on
dense bits; :class:`OrWeights` and :func:`or_chunk` are the bit-packed
engine that :func:`mtjsc.behavioral_models.golden.run_network` uses for OR
models.
"""

from __future__ import annotations

import numpy as np

from mtjsc.behavioral_models.coding import pack_bits
from mtjsc.behavioral_models.sources import check_probabilities
from mtjsc.config import PIXELS
from mtjsc.errors import MtjscError


# ----------------------------------------------------------------------------
# Pure-Python references (one evaluation each)
# ----------------------------------------------------------------------------

def or_neuron_bit(x_bits, w_bits, negative) -> bool:
    """One hidden OR neuron at one stream index: ``OR+(x & b) AND NOT OR-(x & b)``.

    ``x_bits``, ``w_bits`` are the n input and weight-magnitude bits,
    ``negative`` the n weight signs (True: the input is inhibitory).
    """
    pos = neg = False
    for x, w, s in zip(x_bits, w_bits, negative):
        if x and w:
            if s:
                neg = True
            else:
                pos = True
    return pos and not neg


def or_output_count(h_bits, w_bits, negative) -> int:
    """One output neuron at one stream index: AND products of positive weights minus negative ones."""
    return sum((1 if not s else -1) for h, w, s in zip(h_bits, w_bits, negative) if h and w)


# ----------------------------------------------------------------------------
# Coding
# ----------------------------------------------------------------------------

def input_probabilities(pixels: np.ndarray) -> np.ndarray:
    """P(1) of each hidden-layer input stream of an OR network: the pixel, then the bias (1)."""
    x = np.asarray(pixels, np.float64)
    if x.ndim != 2 or x.shape[1] != PIXELS:
        raise MtjscError(f"pixels must be [N, {PIXELS}], got shape {x.shape}")
    x = check_probabilities(x, "pixel values (OR networks code them unipolar: P(1) = pixel)")
    return np.concatenate([x, np.ones((len(x), 1))], axis=1)


def weight_probabilities(w: np.ndarray) -> np.ndarray:
    """P(1) of the weight streams: |w| (the sign is wiring). Weights must lie in [-1, 1]."""
    w = np.asarray(w, np.float64)
    if w.size and (np.isnan(w).any() or np.abs(w).max() > 1.0):
        raise MtjscError("OR-network weights must lie in [-1, 1]: a weight is a stream with P(1) = |w|")
    return np.abs(w)


# ----------------------------------------------------------------------------
# Dense bits (one image; testbenches, per-image sources)
# ----------------------------------------------------------------------------

def _check_dense(x, w, negative, x_name: str, w_name: str) -> tuple:
    """Bool arrays x [L, N, n], w [L, m, n] and negative [m, n] of one layer, or an error naming the shapes."""
    x, w, negative = np.asarray(x, bool), np.asarray(w, bool), np.asarray(negative, bool)
    if x.ndim != 3 or w.ndim != 3 or x.shape[0] != w.shape[0] or x.shape[2] != w.shape[2] \
            or negative.shape != w.shape[1:]:
        raise MtjscError(f"{x_name} and {w_name} must share L and n, and negative must be [neurons, n]; got "
                         f"{x.shape}, {w.shape} and negative {negative.shape}")
    return x, w, negative


def hidden_bits(x_bits: np.ndarray, w_bits: np.ndarray, negative: np.ndarray) -> tuple:
    """Hidden OR layer on dense bits.

    Parameters
    ----------
    x_bits : bool [L, N, n]
    w_bits : bool [L, H, n]
    negative : bool [H, n]

    Returns
    -------
    (h bool [L, N, H], code int16 [L, N, H]) with code = 1 (positive OR fired) + 2 (negative OR fired).
    """
    x_bits, w_bits, negative = _check_dense(x_bits, w_bits, negative, "x_bits [L, N, n]", "w_bits [L, H, n]")
    x = x_bits[:, :, None, :]
    w = w_bits[:, None, :, :]
    prod = x & w
    pos = (prod & ~negative).any(axis=-1)
    neg = (prod & negative).any(axis=-1)
    return pos & ~neg, pos.astype(np.int16) + 2 * neg.astype(np.int16)


def output_counts(h_in: np.ndarray, w_bits: np.ndarray, negative: np.ndarray) -> np.ndarray:
    """Signed output counts on dense bits: ``h_in`` bool [L, N, H + 1] (bias last), ``w_bits`` [L, 10, H + 1]."""
    h_in, w_bits, negative = _check_dense(h_in, w_bits, negative, "h_in [L, N, H + 1]", "w_bits [L, 10, H + 1]")
    prod = h_in[:, :, None, :] & w_bits[:, None, :, :]
    return ((prod & ~negative).sum(-1) - (prod & negative).sum(-1)).astype(np.int16)


def or_network_on_bits(x_bits: np.ndarray, w_bits: tuple, negative: tuple, config) -> tuple:
    """The OR network on explicit stream bits of one image.

    Parameters
    ----------
    x_bits : bool [L, 785]
    w_bits : (bool [L, H, 785], bool [L, 10, H + 1])
        Weight-magnitude bits.
    negative : (bool [H, 785], bool [10, H + 1])
        Weight signs.
    config : ScConfig

    Returns
    -------
    scores int64 [10], (hidden codes [L, H], hidden bits [L, H], output counts [L, 10])
    """
    h, code = hidden_bits(np.asarray(x_bits, bool)[:, None, :], w_bits[0], negative[0])
    h_in = np.concatenate([h, np.ones(h.shape[:2] + (1,), bool)], axis=2)
    c2 = output_counts(h_in, w_bits[1], negative[1])
    return c2[:, 0].sum(axis=0, dtype=np.int64), (code[:, 0], h[:, 0], c2[:, 0])


# ----------------------------------------------------------------------------
# Bit-packed engine
# ----------------------------------------------------------------------------

class OrWeights:
    """Packed weight streams of an OR network, split by sign (the engine's ``streams`` state).

    ``w_bits`` are the source's magnitude bits per layer, ``order`` the
    packing order of the first-layer inputs (any order: OR and sums do not
    depend on it, so the most active inputs go first and idle words are skipped).
    """

    def __init__(self, model, w_bits: list, order: np.ndarray):
        self.negative = [np.asarray(model.w1 < 0), np.asarray(model.w2 < 0)]
        self.packed = []
        for layer, (bits, neg) in enumerate(zip(w_bits, self.negative)):
            if layer == 0:
                bits, neg = np.take(bits, order, axis=2), neg[:, order]
            pos_w = pack_bits(bits & ~neg).transpose(0, 2, 1)      # [L, words, m]
            neg_w = pack_bits(bits & neg).transpose(0, 2, 1)
            self.packed.append((np.ascontiguousarray(pos_w), np.ascontiguousarray(neg_w)))


def _any_and(xw: np.ndarray, ww: np.ndarray, block: int = 4) -> np.ndarray:
    """bool [L, N, m]: does any word of ``xw`` [L, words, N] share a set bit with ``ww`` [L, words, m]."""
    L, words, N = xw.shape
    m = ww.shape[2]
    out = np.empty((L, N, m), bool)
    T = max(1, min(block, L))
    acc = np.empty((T, N, m), np.uint64)
    tmp = np.empty((T, N, m), np.uint64)
    for t0 in range(0, L, T):
        t1 = min(L, t0 + T)
        a, tm = acc[:t1 - t0], tmp[:t1 - t0]
        a[:] = 0
        for w in range(words):
            np.bitwise_and(xw[t0:t1, w, :, None], ww[t0:t1, w, None, :], out=tm)
            a |= tm
        np.not_equal(a, 0, out=out[t0:t1])
    return out


def _and_counts(xw: np.ndarray, ww: np.ndarray, block: int = 64) -> np.ndarray:
    """int16 [L, N, m]: popcount of ``xw & ww`` summed over words."""
    L, words, N = xw.shape
    m = ww.shape[2]
    out = np.zeros((L, N, m), np.int16)
    for t0 in range(0, L, block):
        t1 = min(L, t0 + block)
        for w in range(words):
            out[t0:t1] += np.bitwise_count(xw[t0:t1, w, :, None] & ww[t0:t1, w, None, :])
    return out


def or_chunk(weights: OrWeights, xw: np.ndarray, live: int, record: bool):
    """Scores (and per-t records) of a chunk of images from their packed inputs ``xw`` [L, words, N].

    Words from ``live`` on are 0 for every image of the chunk and are skipped.
    """
    (p1, n1), (p2, n2) = weights.packed
    pos = _any_and(xw[:, :live], p1[:, :live])
    neg = _any_and(xw[:, :live], n1[:, :live])
    h = pos & ~neg                                                       # [L, N, H]
    h_in = np.concatenate([h, np.ones(h.shape[:2] + (1,), bool)], axis=2)
    hw = np.ascontiguousarray(pack_bits(h_in).transpose(0, 2, 1))        # [L, words, N]
    c2 = _and_counts(hw, p2) - _and_counts(hw, n2)                       # [L, N, 10]
    scores = c2.sum(axis=0, dtype=np.int64)
    if not record:
        return scores, (None,) * 3
    code = pos.astype(np.int16) + 2 * neg.astype(np.int16)
    return scores, (code.transpose(1, 0, 2), h.transpose(1, 0, 2), c2.transpose(1, 0, 2))
