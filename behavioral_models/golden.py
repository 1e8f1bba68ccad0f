"""The NumPy golden model of the SC network, bit for bit as DESIGN.md's contract says.

Pure-Python references of each block sit beside the fast engine:
:func:`apc_count` (one APC evaluation) and :func:`btanh_step` (one counter
update). The fast engine works on streams bit-packed along the input axis
(uint64 words, input i at bit i % 64 of word i // 64) and counts with
``np.bitwise_count``; :func:`btanh_layer` and :func:`run_network` are built on
it, so every RTL test compares against this one definition.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from mtjsc.behavioral_models import or_network
from mtjsc.behavioral_models.coding import bipolar_to_p, image_probabilities, n_words, pack_bits
from mtjsc.behavioral_models.sources import StreamSource
from mtjsc.config import CLASSES, PIXELS, ScConfig, check_apc, check_K, check_length
from mtjsc.errors import MtjscError

_ONE = np.uint64(1)


# ----------------------------------------------------------------------------
# Pure-Python references (one evaluation each)
# ----------------------------------------------------------------------------

def apc_count(products, kind: str = "exact") -> int:
    """APC output for one stream index: ``products`` are the n XNOR product bits.

    ``exact`` counts the ones. ``approx`` (Kim et al., ISOCC 2015) ORs pair
    (2k, 2k+1) for even k and ANDs it for odd k, counts the gate outputs and
    doubles the count; an odd last input is counted directly.
    """
    check_apc(kind)
    bits = [int(bool(b)) for b in products]
    if kind == "exact":
        return sum(bits)
    n = len(bits)
    total = 0
    for k in range(n // 2):
        a, b = bits[2 * k], bits[2 * k + 1]
        total += (a | b) if k % 2 == 0 else (a & b)
    return 2 * total + (bits[-1] if n % 2 else 0)


def btanh_step(state: int, count: int, n: int, K: int) -> tuple:
    """One Btanh update: ``S' = clamp(S + 2c - n, 0, K-1)``, output ``[S' >= K/2]``."""
    s = min(max(state + 2 * count - n, 0), K - 1)
    return s, s >= K // 2


# ----------------------------------------------------------------------------
# Fast engine
# ----------------------------------------------------------------------------

def packed_counts(xw: np.ndarray, ww: np.ndarray, n: int, block: int = 4,
                  w_sum: np.ndarray | None = None) -> np.ndarray:
    """Exact APC counts of every (t, image, neuron).

    Parameters
    ----------
    xw : uint64 [L, words, N]
        Packed input bits (no bits set beyond n).
    ww : uint64 [L, words, m]
        Packed weight bits.
    n : int
        Fan-in.
    block : int
        Stream indices per vector operation (speed only).
    w_sum : int [L, m], optional
        Ones per weight stream word set, when ``ww`` holds only the words
        where some input can be 1.

    Returns
    -------
    int16 [L, N, m]
    """
    L, words, N = xw.shape
    m = ww.shape[2]
    out = np.empty((L, N, m), np.int16)
    T = max(1, min(block, L))
    tmp = np.empty((T, N, m), np.uint64)
    pc = np.empty((T, N, m), np.uint8)
    acc = np.empty((T, N, m), np.int16)
    # XNOR count = n - sum(x) - sum(w) + 2 popcount(x & w): one AND per word.
    sx = np.bitwise_count(xw).sum(axis=1, dtype=np.int16)       # [L, N]
    sw = np.bitwise_count(ww).sum(axis=1, dtype=np.int16) if w_sum is None else w_sum   # [L, m]
    for t0 in range(0, L, T):
        t1 = min(L, t0 + T)
        k = t1 - t0
        a, tm, p = acc[:k], tmp[:k], pc[:k]
        a[:] = 0
        for w in range(words):
            np.bitwise_and(xw[t0:t1, w, :, None], ww[t0:t1, w, None, :], out=tm)
            np.bitwise_count(tm, out=p)
            a += p
        a *= 2
        a += n
        a -= sx[t0:t1, :, None]
        a -= sw[t0:t1, None, :]
        out[t0:t1] = a
    return out


class PairLayout:
    """Pair-major packing of an approximate APC's inputs (speed only; the pairing is fixed).

    Inputs (2k, 2k+1) form pair k; its gate is OR for even k and AND for odd
    k (the contract's global pairing); an odd last input is the lone input.
    Pairs are free to move as units, so the layout packs the first input of
    every pair into region A and the second into region B at the same bit,
    OR pairs in the first words of each region and AND pairs after them,
    each group ordered by ``priority`` (most active first) when given. A
    gate output is then one AND of two words: with ``p' = x ^ w'``, where
    ``w' = w`` for OR pairs and ``~w`` for AND pairs, the AND gate is
    ``p'_a & p'_b`` and the OR gate its complement ``~(p'_a & p'_b)``
    (De Morgan on the complemented products). The lone input sits alone in
    a last word.

    Parameters
    ----------
    n : int
        Fan-in.
    priority : float [n], optional
        Pairs whose inputs are more often able to be 1 go first, so a
        chunk of images touches only the leading words of each group.
    """

    def __init__(self, n: int, priority=None):
        self.n = n
        self.natural = priority is None
        k = np.arange(n // 2)
        key = np.zeros(n // 2) if priority is None else \
            -np.maximum(np.asarray(priority, np.float64)[2 * k], np.asarray(priority, np.float64)[2 * k + 1])
        groups = [k[k % 2 == 0], k[k % 2 == 1]]                    # OR pairs, AND pairs
        groups = [g[np.argsort(key[g], kind="stable")] for g in groups]
        self.n_or = len(groups[0])
        self.w_or, self.w_and = n_words(len(groups[0])), n_words(len(groups[1]))
        self.wp = self.w_or + self.w_and                            # words per region
        self.lone = bool(n % 2)
        self.n_pos = (2 * self.wp + (1 if self.lone else 0)) * 64
        self.pos = np.empty(n, np.int64)
        self.flip = np.zeros(n, bool)                               # AND-pair inputs store ~w
        self.group_slot = np.empty(n, np.int64)                     # slot within its group (scheduling)
        for gi, g in enumerate(groups):
            slot = np.arange(len(g)) + (self.w_or * 64 if gi else 0)
            self.pos[2 * g] = slot
            self.pos[2 * g + 1] = self.wp * 64 + slot
            self.flip[2 * g] = self.flip[2 * g + 1] = bool(gi)
            self.group_slot[2 * g] = self.group_slot[2 * g + 1] = np.arange(len(g))
        if self.lone:
            self.pos[n - 1] = 2 * self.wp * 64
            self.group_slot[n - 1] = 0

    def place(self, bits: np.ndarray) -> np.ndarray:
        """Pack bool [..., n] into the layout: uint64 [..., n_pos / 64]."""
        bits = np.asarray(bits, bool)
        if self.natural:   # groups are strided slices: a of OR pairs 0, 4, 8..., of AND pairs 2, 6, ...
            e = 2 * (self.n // 2)
            if e % 4 == 0:   # one contiguous [..., 4, e / 4] copy packs much faster than four strided slices
                q = bits[..., :e].reshape(bits.shape[:-1] + (e // 4, 4))[..., [0, 2, 1, 3]]
                packed = pack_bits(np.ascontiguousarray(np.swapaxes(q, -1, -2)))
                parts = [packed.reshape(packed.shape[:-2] + (-1,))]
            else:
                parts = [pack_bits(q) for q in (bits[..., 0:e:4], bits[..., 2:e:4], bits[..., 1:e:4],
                                                bits[..., 3:e:4])]
            if self.lone:
                parts.append(pack_bits(bits[..., self.n - 1:]))
            return np.concatenate(parts, axis=-1)
        out = np.zeros(bits.shape[:-1] + (self.n_pos,), bool)
        out[..., self.pos] = bits
        return pack_bits(out)

    def weights(self, w_bits: np.ndarray) -> dict:
        """Packed weights and their zero-input gate sums for :meth:`counts`.

        ``w_bits`` bool [L, m, n]. Padded slots hold w' = 0 on both sides,
        so their gate term p'_a & p'_b is 0 for any x that is 0 there.
        """
        wq = np.asarray(w_bits, bool) ^ self.flip
        if self.lone:
            wq[..., self.n - 1] = w_bits[..., self.n - 1]
        ww = np.ascontiguousarray(self.place(wq).transpose(0, 2, 1))          # [L, words, m]
        wp = self.wp
        g0 = np.bitwise_count(ww[:, :wp] & ww[:, wp:2 * wp]).astype(np.int16)  # gate terms at x = 0
        # suffix sums per group: what the words from j on contribute when every x there is 0
        suf = []
        for lo, hi in ((0, self.w_or), (self.w_or, wp)):
            part = g0[:, lo:hi]
            s = np.zeros((part.shape[0], hi - lo + 1, part.shape[2]), np.int16)
            s[:, :-1] = np.cumsum(part[:, ::-1], axis=1)[:, ::-1]
            suf.append(s)
        return {"ww": ww, "suf_or": suf[0], "suf_and": suf[1]}

    def live_words(self, active: np.ndarray) -> tuple:
        """(OR, AND) group words that hold any possible 1, as leading counts, from per-word activity."""
        wp = self.wp
        a = active[:wp] | active[wp:2 * wp]
        lives = []
        for lo, hi in ((0, self.w_or), (self.w_or, wp)):
            idx = np.flatnonzero(a[lo:hi])
            lives.append(int(idx[-1]) + 1 if len(idx) else 0)
        return tuple(lives)

    def counts(self, xw: np.ndarray, w: dict, live=None, block: int = 4) -> np.ndarray:
        """Approximate-APC counts of every (t, image, neuron): int16 [L, N, m].

        ``xw`` uint64 [L, words, N] in this layout; ``live`` = (OR, AND)
        leading words that can hold a 1 (default: all); words past them are
        taken from the zero-input sums.
        """
        ww = w["ww"]
        L, _, N = xw.shape
        m = ww.shape[2]
        wp, w_or = self.wp, self.w_or
        live_or, live_and = (w_or, self.w_and) if live is None else live
        T = max(1, min(block, L))
        ta = np.empty((T, N, m), np.uint64)
        tb = np.empty((T, N, m), np.uint64)
        pc = np.empty((T, N, m), np.uint8)
        acc = np.empty((T, N, m), np.int16)
        out = np.empty((L, N, m), np.int16)
        words = [(j, False) for j in range(live_or)] + [(w_or + j, True) for j in range(live_and)]
        for t0 in range(0, L, T):
            t1 = min(L, t0 + T)
            k = t1 - t0
            a, xa, xb, p = acc[:k], ta[:k], tb[:k], pc[:k]
            a[:] = 0
            for j, is_and in words:
                np.bitwise_xor(xw[t0:t1, j, :, None], ww[t0:t1, j, None, :], out=xa)
                np.bitwise_xor(xw[t0:t1, wp + j, :, None], ww[t0:t1, wp + j, None, :], out=xb)
                np.bitwise_and(xa, xb, out=xa)
                np.bitwise_count(xa, out=p)
                if is_and:
                    a += p
                else:
                    a -= p
            # gates = n_or - sum(OR terms) + sum(AND terms); the words past `live` from the tables
            a += (self.n_or - w["suf_or"][t0:t1, live_or] + w["suf_and"][t0:t1, live_and])[:, None, :]
            a *= 2
            if self.lone:
                lone = ~(xw[t0:t1, 2 * wp, :, None] ^ ww[t0:t1, 2 * wp, None, :]) & _ONE
                a += lone.astype(np.int16)
            out[t0:t1] = a
        return out


def layer_counts(x_bits: np.ndarray, w_bits: np.ndarray, kind: str) -> np.ndarray:
    """APC counts of one layer from dense bits: x bool [L, N, n], w bool [L, m, n] -> int16 [L, N, m]."""
    check_apc(kind)
    x_bits, w_bits = np.asarray(x_bits), np.asarray(w_bits)
    if x_bits.ndim != 3 or w_bits.ndim != 3 or w_bits.shape[0] != x_bits.shape[0] or w_bits.shape[2] != x_bits.shape[2]:
        raise MtjscError(f"layer_counts takes x bool [L, N, n] and w bool [L, m, n] with the same L and n; got x "
                         f"{x_bits.shape} and w {w_bits.shape}")
    n = x_bits.shape[-1]
    if kind == "exact":
        xw = np.ascontiguousarray(pack_bits(x_bits).transpose(0, 2, 1))
        ww = np.ascontiguousarray(pack_bits(w_bits).transpose(0, 2, 1))
        return packed_counts(xw, ww, n, block=64)
    layout = PairLayout(n)
    xw = np.ascontiguousarray(layout.place(x_bits).transpose(0, 2, 1))
    return layout.counts(xw, layout.weights(w_bits), block=64)


def btanh_run(counts: np.ndarray, n: int, K: int) -> np.ndarray:
    """Btanh output bits for APC counts ``counts`` [L, ...]: bool [L, ...].

    State starts at K/2; ``S_{t+1} = clamp(S_t + 2 c_t - n, 0, K-1)``;
    ``y_t = [S_{t+1} >= K/2]``.
    """
    K = check_K(K)
    counts = np.asarray(counts)
    if counts.ndim == 0:
        raise MtjscError(f"btanh_run: counts must be shaped [L, ...] (stream index first), got a scalar {counts!r}")
    shape = counts.shape
    counts = counts.reshape(shape[0], -1)               # [L, ...] as [L, m]: the out= views below stay arrays
    wide = np.int32 if n + K > 16000 else np.int16   # S + 2c - n must not overflow
    step = np.multiply(counts, 2, dtype=wide)          # 2 c_t - n, all t at once
    step -= wide(n)
    s = np.full(counts.shape[1:], K // 2, wide)
    y = np.empty(counts.shape, bool)
    lo, hi, half = wide(0), wide(K - 1), wide(K // 2)   # typed bounds keep np.clip on its fast path
    for t in range(shape[0]):
        s += step[t]
        np.clip(s, lo, hi, out=s)
        np.greater_equal(s, half, out=y[t])
    return y.reshape(shape)


def btanh_layer(x_bits, w_bits, K, apc: str = "exact") -> tuple:
    """One SC layer on one set of streams: XNOR, APC, Btanh.

    Parameters
    ----------
    x_bits : bool [L, n]
        Input stream bits (bias included, if any).
    w_bits : bool [L, m, n]
        Weight stream bits.
    K : int
        Btanh size (even).
    apc : {"exact", "approx"}

    Returns
    -------
    counts : int32 [L, m]
        APC output per stream index.
    y : bool [L, m]
        Btanh output bits.
    """
    check_apc(apc)
    K = check_K(K)
    x_bits = np.asarray(x_bits)
    w_bits = np.asarray(w_bits)
    if x_bits.ndim != 2:
        raise MtjscError(f"x_bits must be bool [L, n], got shape {x_bits.shape}")
    L, n = x_bits.shape
    check_length(L)
    if w_bits.ndim != 3 or w_bits.shape[0] != L or w_bits.shape[2] != n:
        raise MtjscError(f"w_bits must be bool [L={L}, m, n={n}] to match x_bits, got shape {w_bits.shape}")
    counts = layer_counts(x_bits[:, None, :], w_bits, apc)[:, 0, :]
    return counts, btanh_run(counts, n, K)


@dataclass
class NetworkResult:
    """Output of :func:`run_network`.

    Attributes
    ----------
    scores : int64 [N, 10]
        Sum over t of the output-layer APC counts.
    classes : int64 [N]
        argmax of scores, lowest index on ties.
    hidden_counts, hidden_bits, output_counts : arrays or None
        Per-t records ([N, L, H], [N, L, H], [N, L, 10]) when ``record=True``;
        ``record="output"`` fills only ``output_counts``.
        For OR networks ``hidden_counts`` holds which OR fired (1 positive,
        2 negative, 3 both) and ``output_counts`` the signed counts.
    """

    scores: np.ndarray
    classes: np.ndarray
    hidden_counts: np.ndarray | None = None
    hidden_bits: np.ndarray | None = None
    output_counts: np.ndarray | None = None


def network_config(model, config: ScConfig | None = None, L=None, apc=None) -> ScConfig:
    """The :class:`ScConfig` a golden run reads: ``config``, or the model's own at ``L`` and ``apc``.

    ``L`` and ``apc`` given beside ``config`` must agree with it.
    """
    if config is None:
        if L is None:
            raise MtjscError("give the stream length L or an ScConfig (ScConfig.from_model(model, L=...))")
        return ScConfig.from_model(model, L=L, apc="exact" if apc is None else apc)
    if not isinstance(config, ScConfig):
        raise MtjscError(f"config must be an ScConfig, got {type(config).__name__}")
    if L is not None and check_length(L) != config.L:
        raise MtjscError(f"L={L} disagrees with config.L={config.L}; pass one of them")
    if apc is not None and apc != config.apc:
        raise MtjscError(f"apc={apc!r} disagrees with config.apc={config.apc!r}; pass one of them")
    if config.neuron != model.neuron:
        raise MtjscError(f"config is for {config.neuron!r} neurons but the model is an {model.neuron!r}-neuron "
                         f"network; use ScConfig.from_model(model, ...)")
    if config.hidden != model.hidden or config.encoding != model.encoding:
        raise MtjscError(f"config (hidden={config.hidden}, encoding={config.encoding!r}) does not describe the "
                         f"model (hidden={model.hidden}, encoding={model.encoding!r}); use ScConfig.from_model")
    return config


class NetworkStreams:
    """Weight streams of a (model, source, config), generated once and reused for all images.

    Parameters
    ----------
    model : ScModel
    source : StreamSource
    L : int, optional
    apc : {"exact", "approx"}, optional
        Shorthands for ``config=ScConfig.from_model(model, L=L, apc=apc)``.
    config : ScConfig, optional
        Stream length, APC kind and K per layer of the run.
    activity : float [785], optional
        How often each first-layer input can be 1 over the images to come.
        With the exact APC the count does not depend on input order, so the
        inputs are packed most-active first and a chunk of images only
        touches the words that hold its active inputs (speed only).
    """

    def __init__(self, model, source: StreamSource, L: int | None = None, apc: str | None = None, activity=None,
                 *, config: ScConfig | None = None):
        self.config = network_config(model, config, L, apc)
        self.L = self.config.L
        self.apc = apc = self.config.apc
        self.model = model
        self.source = source
        n1 = model.w1.shape[1]
        self.w_bits = [source.weight_bits(l, weight_probabilities(model, w), self.L)
                       for l, w in enumerate(model.weights)]
        if self.config.neuron == "or" or apc == "exact":
            # OR networks and the exact count do not depend on input order: most active inputs first
            order = np.arange(n1) if activity is None else \
                np.argsort(-np.asarray(activity, np.float64), kind="stable")
            self.rank = np.empty(n1, np.int64)
            self.rank[order] = np.arange(n1)
            self.sort_key = self.rank
            self.n_pos = n1
        if self.config.neuron == "or":
            self.or_weights = or_network.OrWeights(model, self.w_bits, order)
        elif apc == "exact":
            packed = [pack_bits(np.take(self.w_bits[0], order, axis=2)), pack_bits(self.w_bits[1])]
            self.w_sum = [np.bitwise_count(b).sum(axis=2, dtype=np.int16) for b in packed]     # [L, m]
            # [L, words, m] for the engine
            self.w_packed = [np.ascontiguousarray(b.transpose(0, 2, 1)) for b in packed]
        else:
            # pairs move as units (the gate of pair k is fixed by k): most active pairs first
            self.layouts = [PairLayout(n1, activity), PairLayout(model.w2.shape[1])]
            self.rank = self.layouts[0].pos
            self.sort_key = self.layouts[0].group_slot
            self.n_pos = self.layouts[0].n_pos
            self.w_layout = [lay.weights(b) for lay, b in zip(self.layouts, self.w_bits)]

    def input_words(self, image_ids: np.ndarray, p: np.ndarray) -> tuple:
        """Packed first-layer input bits of a chunk of images (input i at bit position ``rank[i]``).

        Returns ``(xw, active)``: uint64 [L, words, N] and, per word, whether
        any image of the chunk can have a 1 there.
        """
        L = self.L
        N, n = p.shape
        nbytes = n_words(self.n_pos) * 8
        const, val = self.source.constant(p)
        ones = np.zeros((N, n_words(self.n_pos) * 64), bool)
        ones[:, self.rank] = val & const
        # byte-major scratch [N * nbytes, L]: each (image, byte) row holds 8 streams
        xb = np.repeat(pack_bits(ones).view(np.uint8).reshape(-1, 1), L, axis=1)
        ii, jj = np.nonzero(~const)
        can_be_one = ones.any(axis=0)
        can_be_one[self.rank[jj]] = True
        if len(ii):
            bits = self.source.pair_bits(image_ids[ii], jj, p[ii, jj], L).view(np.uint8)   # [k, L]
            pos = self.rank[jj]
            row = ii * nbytes + pos // 8
            for b in range(8):   # rows are unique among the streams of one bit position
                sel = np.flatnonzero(pos % 8 == b)
                xb[row[sel]] |= bits[sel] << np.uint8(b)
        # one transposing copy to [L, words, N, 8 bytes], then the bytes of each word read as uint64
        xb = np.ascontiguousarray(xb.reshape(N, nbytes // 8, 8, L).transpose(3, 1, 0, 2))
        xw = xb.view("<u8").reshape(L, nbytes // 8, N).astype(np.uint64, copy=False)
        return xw, can_be_one.reshape(-1, 64).any(axis=1)


def _only(rec: tuple, record) -> tuple:
    """The per-t records a run asked for: all three, the output counts only (``"output"``), or none."""
    return rec if record is True else (None, None, rec[2]) if record == "output" else (None,) * 3


def _run_chunk(streams: NetworkStreams, image_ids, p, record):
    cfg = streams.config
    n1, n2 = cfg.fan_in
    xw, active = streams.input_words(image_ids, p)
    # words past the last active one are 0 for every image of the chunk
    live = int(np.flatnonzero(active)[-1]) + 1 if active.any() else 0
    if cfg.neuron == "or":
        scores, rec = or_network.or_chunk(streams.or_weights, xw, live, bool(record))
        return scores, _only(rec, record)
    if cfg.apc == "exact":
        c1 = packed_counts(xw[:, :live], streams.w_packed[0][:, :live], n1, w_sum=streams.w_sum[0])
    else:
        lay = streams.layouts[0]
        c1 = lay.counts(xw, streams.w_layout[0], live=lay.live_words(active))
    y1 = btanh_run(c1, n1, cfg.K[0])                                  # [L, N, H]
    hidden_in = np.concatenate([y1, np.ones(y1.shape[:2] + (1,), bool)], axis=2)   # bias last
    if cfg.apc == "exact":
        hw = np.ascontiguousarray(pack_bits(hidden_in).transpose(0, 2, 1))   # [L, words, N]
        c2 = packed_counts(hw, streams.w_packed[1], n2, block=64)      # [L, N, 10]
    else:
        lay = streams.layouts[1]
        hw = np.ascontiguousarray(lay.place(hidden_in).transpose(0, 2, 1))
        c2 = lay.counts(hw, streams.w_layout[1], block=64)
    scores = c2.sum(axis=0, dtype=np.int64)
    rec = _only((c1.transpose(1, 0, 2), y1.transpose(1, 0, 2), c2.transpose(1, 0, 2)), record)
    return scores, rec


def network_on_bits(x_bits: np.ndarray, w_bits: tuple, config: ScConfig, *, block: int = 64) -> tuple:
    """The network on explicit stream bits of one image (sources whose weight bits change per image).

    Parameters
    ----------
    x_bits : bool [L, 785]
        First-layer input bits (bias last).
    w_bits : (bool [L, H, 785], bool [L, 10, H + 1])
        Weight bits, or per layer a callable ``(t0, t1)`` giving rows ``t0:t1``
        of them: at L = 1024 one image's first-layer weight bits are 100 MB,
        so the per-image path makes them ``block`` stream indices at a time.
    config : ScConfig
    block : int
        Stream indices per step (speed and memory only).

    Returns
    -------
    scores int64 [10], (hidden counts [L, H], hidden bits [L, H], output counts [L, 10])
    """
    L = config.L
    rows = [w if callable(w) else (lambda t0, t1, w=w: w[t0:t1]) for w in w_bits]

    def counts(x, layer):
        return np.concatenate([layer_counts(x[t0:t0 + block, None, :], rows[layer](t0, min(L, t0 + block)),
                                            config.apc)[:, 0, :] for t0 in range(0, L, block)])

    c1 = counts(np.asarray(x_bits, bool), 0)                                     # [L, H]
    y1 = btanh_run(c1, config.fan_in[0], config.K[0])
    c2 = counts(np.concatenate([y1, np.ones((L, 1), bool)], axis=1), 1)          # [L, 10]
    return c2.sum(axis=0, dtype=np.int64), (c1, y1, c2)


def _per_image_chunk(model, p, image_ids, source, cfg, record) -> tuple:
    """Scores (and records) of images one by one on dense bits, for sources with ``weights_per_image``."""
    N, L = len(p), cfg.L
    scores = np.empty((N, CLASSES), np.int64)
    recs = _records(N, L, model.hidden, record)
    pw = [weight_probabilities(model, w) for w in model.weights]
    negative = (model.w1 < 0, model.w2 < 0)
    for k, u in enumerate(image_ids):
        x = source.input_bits([u], p[k:k + 1], L)[0]
        if cfg.neuron == "or":
            w = tuple(source.image_weight_bits(int(u), layer, pw[layer], L) for layer in (0, 1))
            scores[k], rec = or_network.or_network_on_bits(x, w, negative, cfg)
        else:
            w = tuple(lambda t0, t1, layer=layer, u=int(u): source.image_weight_bits(u, layer, pw[layer], L, t0, t1)
                      for layer in (0, 1))
            scores[k], rec = network_on_bits(x, w, cfg)
        for dst, src in zip(recs, _only(rec, record)):
            if dst is not None:
                dst[k] = src
    return scores, recs


def classify(scores: np.ndarray) -> np.ndarray:
    """Class of each row of ``scores`` [N, 10]: argmax with the lowest index on ties (np.argmax's rule)."""
    scores = np.asarray(scores)
    if scores.ndim != 2 or scores.shape[1] != CLASSES:
        raise MtjscError(f"classify takes scores [N, {CLASSES}], got shape {scores.shape}")
    return np.argmax(scores, axis=1)


def input_probabilities(model, pixels) -> np.ndarray:
    """P(1) of the first-layer input streams of ``model`` (bias last): bipolar coding of the
    model's encoding for Btanh networks, unipolar (P = pixel) for OR networks."""
    pixels = _as_pixels(pixels)
    if model.neuron == "or":
        return or_network.input_probabilities(pixels)
    return image_probabilities(pixels, model.encoding)


def weight_probabilities(model, w) -> np.ndarray:
    """P(1) of weight streams of ``model``: (w + 1) / 2 (bipolar) or |w| (OR networks, sign is wiring)."""
    return or_network.weight_probabilities(w) if model.neuron == "or" else bipolar_to_p(w)


def input_activity(model, pixels: np.ndarray, source: StreamSource) -> np.ndarray:
    """Fraction of images in which each first-layer input stream can be 1 (for packing order)."""
    p = input_probabilities(model, pixels)
    const, val = source.constant(p)
    return (~const | val).mean(axis=0)


def _as_pixels(pixels) -> np.ndarray:
    pixels = np.asarray(pixels)
    if pixels.dtype == np.uint8:
        pixels = pixels.reshape(len(pixels), -1) / 255.0
    if pixels.ndim != 2 or pixels.shape[1] != PIXELS:
        raise MtjscError(f"pixels must be [N, {PIXELS}] floats in [0, 1] (or uint8 [N, 28, 28]), "
                         f"got shape {pixels.shape}")
    return pixels


# Work shared with forked workers: set before the pool forks, read-only after.
_JOB = None


def _job_chunk(ab):
    streams, image_ids, p, record, sched = _JOB
    idx = sched[ab[0]:ab[1]]
    return idx, _run_chunk(streams, image_ids[idx], p[idx], record)


def _job_per_image(ab):
    model, p, image_ids, source, cfg, record = _JOB
    idx = np.arange(ab[0], ab[1])
    return idx, _per_image_chunk(model, p[idx], image_ids[idx], source, cfg, record)


def _records(N: int, L: int, H: int, record) -> list:
    """Empty per-t records for :func:`_only`'s choice (None where not asked for)."""
    return [np.empty((N, L, H), np.int16) if record is True else None,
            np.empty((N, L, H), bool) if record is True else None,
            np.empty((N, L, CLASSES), np.int16) if record else None]


def _pooled(job, fn, bounds, N: int, H: int, L: int, record, workers, progress) -> NetworkResult:
    """Run ``fn`` over the image ranges ``bounds`` (forked workers share ``job``) and gather the results."""
    global _JOB
    scores = np.empty((N, CLASSES), np.int64)
    recs = _records(N, L, H, record)
    workers = min(len(bounds), workers or os.cpu_count() or 1)
    _JOB = job
    try:
        if workers > 1 and record is not True and "fork" in mp.get_all_start_methods():
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork"))
            results = pool.map(fn, bounds)
        else:
            pool = None
            results = map(fn, bounds)
        for idx, (sc, rec) in results:
            scores[idx] = sc
            for dst, src in zip(recs, rec):
                if dst is not None:
                    dst[idx] = src
            if progress is not None:
                progress(len(idx))
        if pool is not None:
            pool.shutdown()
    finally:
        _JOB = None
    res = NetworkResult(scores=scores, classes=classify(scores))
    if record:
        res.hidden_counts, res.hidden_bits, res.output_counts = recs
    return res


def run_network(model, pixels, *, source: StreamSource, L: int | None = None, apc: str | None = None,
                config: ScConfig | None = None, image_ids=None, record: bool | str = False, streams: NetworkStreams | None = None, chunk: int = 128,
                workers: int | None = None, progress=None) -> NetworkResult:
    """Run the SC network on images.

    Parameters
    ----------
    model : ScModel
    pixels : float [N, 784] in [0, 1] (or uint8 images [N, 28, 28])
    source : StreamSource
        Bit source (carries the seed).
    L : int, optional
        Stream length.
    apc : {"exact", "approx"}, optional
        APC kind (default ``exact``).
    config : ScConfig, optional
        The run's parameters (L, APC kind, K per layer); ``L`` and ``apc``
        are shorthands for ``ScConfig.from_model(model, L=L, apc=apc)``.
    image_ids : int [N], optional
        Identity of each image for per-image seeding (default 0..N-1; pass
        test-set indices so a subset sees the same bits as the full run).
    record : bool or "output"
        Also return per-t hidden counts, hidden bits and output counts
        (``"output"``: only the output counts, [N, L, 10], which stay small
        and run on the workers: what early exit reads).
    streams : NetworkStreams, optional
        Pre-generated weight streams (reuse across calls with the same model,
        source, L and APC kind).
    chunk : int
        Images per work item.
    workers : int, optional
        Worker processes (default: CPU count; 1 runs in this process).
        Results do not depend on ``chunk`` or ``workers``.
    progress : callable, optional
        Called with the number of images finished after each chunk.
    """
    cfg = network_config(model, config, L, apc) if streams is None else streams.config
    if streams is not None and ((L is not None and L != cfg.L) or (apc is not None and apc != cfg.apc)
                                or (config is not None and config != cfg)):
        raise MtjscError("streams were generated for another L, APC kind or config")
    L, apc = cfg.L, cfg.apc
    if not (isinstance(record, (bool, np.bool_)) or record == "output"):
        raise MtjscError(f"record={record!r}: give True, False or 'output'")
    record = record if record == "output" else bool(record)
    pixels = _as_pixels(pixels)
    N = len(pixels)
    image_ids = np.arange(N) if image_ids is None else np.asarray(image_ids, dtype=np.int64)
    if image_ids.shape != (N,):
        raise MtjscError(f"image_ids has shape {image_ids.shape}, expected ({N},)")
    if getattr(source, "weights_per_image", False):
        if streams is not None:
            raise MtjscError(f"the {source.name!r} source has no shared weight streams; do not pass streams")
        # Every image's bits are fixed by its id: chunks run in any order on any worker.
        job = (model, input_probabilities(model, pixels), image_ids, source, cfg, record)
        return _pooled(job, _job_per_image, [(a, min(N, a + 8)) for a in range(0, N, 8)], N, model.hidden, L,
                       record, workers, progress)
    if streams is None:
        streams = NetworkStreams(model, source, config=cfg, activity=input_activity(model, pixels, source))
    elif streams.source is not source or streams.model is not model:
        raise MtjscError("streams were generated for another model or source")
    p = input_probabilities(model, pixels)
    bounds = [(a, min(N, a + chunk)) for a in range(0, N, chunk)]
    # Chunks of images with similar footprints (last packed word that can hold a 1) skip more
    # words; every image's bits are fixed by its id, so the schedule cannot change results.
    const, val = source.constant(p)
    footprint = np.where(~const | val, streams.sort_key[None, :], -1).max(axis=1)
    sched = np.argsort(footprint, kind="stable")
    return _pooled((streams, image_ids, p, record, sched), _job_chunk, bounds, N, model.hidden, L, record, workers,
                   progress)
