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

from mtjsc.behavioral_models.coding import image_probabilities, bipolar_to_p
from mtjsc.behavioral_models.sources import StreamSource
from mtjsc.config import CLASSES, PIXELS, ScConfig, check_apc, check_K, check_length
from mtjsc.errors import MtjscError

_EVEN = np.uint64(0x5555555555555555)   # bit 2k of each pair
_OR_PAIRS = np.uint64(0x1111111111111111)   # pairs k even -> OR gate
_AND_PAIRS = np.uint64(0x4444444444444444)  # pairs k odd -> AND gate
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
# Bit packing
# ----------------------------------------------------------------------------

def n_words(n: int) -> int:
    return (n + 63) // 64


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """Pack bool [..., n] along the last axis into uint64 [..., ceil(n/64)], LSB first."""
    bits = np.asarray(bits, dtype=bool)
    n = bits.shape[-1]
    b = np.packbits(bits, axis=-1, bitorder="little")
    pad = n_words(n) * 8 - b.shape[-1]
    if pad:
        b = np.concatenate([b, np.zeros(b.shape[:-1] + (pad,), np.uint8)], axis=-1)
    return np.ascontiguousarray(b).view("<u8").astype(np.uint64, copy=False)


def _lane_masks(n: int):
    """Per-word masks: valid inputs, complete APC pairs, the odd last input."""
    w = n_words(n)
    valid = np.zeros(w, np.uint64)
    for i in range(w):
        k = min(64, n - 64 * i)
        valid[i] = np.uint64((1 << k) - 1)
    lone = np.zeros(w, np.uint64)
    paired = valid.copy()
    if n % 2:
        lone[(n - 1) // 64] = _ONE << np.uint64((n - 1) % 64)
        paired &= ~lone
    return valid, paired, lone


# ----------------------------------------------------------------------------
# Fast engine
# ----------------------------------------------------------------------------

def packed_counts(xw: np.ndarray, ww: np.ndarray, n: int, kind: str, block: int = 4,
                  w_sum: np.ndarray | None = None) -> np.ndarray:
    """APC counts of every (t, image, neuron).

    Parameters
    ----------
    xw : uint64 [L, words, N]
        Packed input bits (no bits set beyond n).
    ww : uint64 [L, words, m]
        Packed weight bits.
    n : int
        Fan-in.
    kind : {"exact", "approx"}
    block : int
        Stream indices per vector operation (speed only).
    w_sum : int [L, m], optional
        Ones per weight stream word set, when ``ww`` holds only the words
        where some input can be 1 (exact kind only).

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
    if kind == "exact":
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
    valid, paired, lone = _lane_masks(n)
    wn = ~ww & valid[None, :, None]   # XNOR = x ^ ~w on valid lanes
    e = np.empty((T, N, m), np.uint64)
    o = np.empty((T, N, m), np.uint64)
    lone_acc = np.empty((T, N, m), np.int16)
    for t0 in range(0, L, T):
        t1 = min(L, t0 + T)
        k = t1 - t0
        a, la, tm, p, ee, oo = acc[:k], lone_acc[:k], tmp[:k], pc[:k], e[:k], o[:k]
        a[:] = 0
        la[:] = 0
        for w in range(words):
            np.bitwise_xor(xw[t0:t1, w, :, None], wn[t0:t1, w, None, :], out=tm)   # product bits
            if lone[w]:
                la += (tm & lone[w]) != 0
                tm &= paired[w]
            np.bitwise_and(tm, _EVEN, out=ee)
            np.right_shift(tm, _ONE, out=oo)
            oo &= _EVEN
            np.bitwise_or(ee, oo, out=tm)
            tm &= _OR_PAIRS
            ee &= oo
            ee &= _AND_PAIRS
            tm |= ee
            np.bitwise_count(tm, out=p)
            a += p
        a *= 2
        a += la
        out[t0:t1] = a
    return out


def btanh_run(counts: np.ndarray, n: int, K: int) -> np.ndarray:
    """Btanh output bits for APC counts ``counts`` [L, ...]: bool [L, ...].

    State starts at K/2; ``S_{t+1} = clamp(S_t + 2 c_t - n, 0, K-1)``;
    ``y_t = [S_{t+1} >= K/2]``.
    """
    K = check_K(K)
    L = counts.shape[0]
    wide = np.int32 if n + K > 16000 else np.int16   # S + 2c - n must not overflow
    step = np.multiply(counts, 2, dtype=wide)          # 2 c_t - n, all t at once
    step -= wide(n)
    s = np.full(counts.shape[1:], K // 2, wide)
    y = np.empty(counts.shape, bool)
    lo, hi, half = wide(0), wide(K - 1), wide(K // 2)   # typed bounds keep np.clip on its fast path
    for t in range(L):
        s += step[t]
        np.clip(s, lo, hi, out=s)
        np.greater_equal(s, half, out=y[t])
    return y


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
    xw = pack_bits(x_bits)[:, :, None]
    ww = np.ascontiguousarray(pack_bits(w_bits).transpose(0, 2, 1))
    counts = packed_counts(xw, ww, n, apc)[:, 0, :]
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
        Per-t records ([N, L, H], [N, L, H], [N, L, 10]) when ``record=True``.
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
        if apc == "exact" and activity is not None:
            self.order = np.argsort(-np.asarray(activity, np.float64), kind="stable")
        else:
            self.order = np.arange(n1)
        self.rank = np.empty(n1, np.int64)
        self.rank[self.order] = np.arange(n1)
        self.w_bits = [source.weight_bits(l, bipolar_to_p(w), self.L) for l, w in enumerate(model.weights)]
        packed = [pack_bits(np.take(self.w_bits[0], self.order, axis=2)), pack_bits(self.w_bits[1])]
        self.w_sum = [np.bitwise_count(b).sum(axis=2, dtype=np.int16) for b in packed]     # [L, m]
        # [L, words, m] for the engine
        self.w_packed = [np.ascontiguousarray(b.transpose(0, 2, 1)) for b in packed]

    def input_words(self, image_ids: np.ndarray, p: np.ndarray) -> tuple:
        """Packed first-layer input bits of a chunk of images (in :attr:`order`).

        Returns ``(xw, words)``: uint64 [L, words_total, N] and the number of
        leading words that hold any 1 bit.
        """
        L = self.L
        N, n = p.shape
        nbytes = n_words(n) * 8
        const, val = self.source.constant(p)
        ones = (val & const)[:, self.order]
        # byte-major scratch [N * nbytes, L]: each (image, byte) row holds 8 streams
        xb = np.repeat(pack_bits(ones).view(np.uint8).reshape(-1, 1), L, axis=1)
        ii, jj = np.nonzero(~const)
        live = self.rank[jj].max(initial=-1)
        if ones.any():
            live = max(live, int(np.nonzero(ones.any(axis=0))[0].max()))
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
        return xw, (live + 64) // 64


def _run_chunk(streams: NetworkStreams, image_ids, p, record):
    m, cfg = streams.model, streams.config
    apc = cfg.apc
    n1, n2 = cfg.fan_in
    xw, live = streams.input_words(image_ids, p)
    if apc == "exact":   # words past `live` are 0 for every image of the chunk
        c1 = packed_counts(xw[:, :live], streams.w_packed[0][:, :live], n1, apc, w_sum=streams.w_sum[0])
    else:
        c1 = packed_counts(xw, streams.w_packed[0], n1, apc)
    y1 = btanh_run(c1, n1, cfg.K[0])                                  # [L, N, H]
    hidden_in = np.concatenate([y1, np.ones(y1.shape[:2] + (1,), bool)], axis=2)   # bias last
    hw = np.ascontiguousarray(pack_bits(hidden_in).transpose(0, 2, 1))   # [L, words, N]
    c2 = packed_counts(hw, streams.w_packed[1], n2, apc, block=64)      # [L, N, 10]
    scores = c2.sum(axis=0, dtype=np.int64)
    rec = (c1.transpose(1, 0, 2), y1.transpose(1, 0, 2), c2.transpose(1, 0, 2)) if record else (None,) * 3
    return scores, rec


def classify(scores: np.ndarray) -> np.ndarray:
    """argmax with the lowest index on ties (np.argmax already does this)."""
    return np.argmax(scores, axis=1)


def input_activity(model, pixels: np.ndarray, source: StreamSource) -> np.ndarray:
    """Fraction of images in which each first-layer input stream can be 1 (for packing order)."""
    p = image_probabilities(_as_pixels(pixels), model.encoding)
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


def run_network(model, pixels, *, source: StreamSource, L: int | None = None, apc: str | None = None,
                config: ScConfig | None = None, image_ids=None, record: bool = False, streams: NetworkStreams | None = None, chunk: int = 128,
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
    record : bool
        Also return per-t hidden counts, hidden bits and output counts.
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
    global _JOB
    cfg = network_config(model, config, L, apc) if streams is None else streams.config
    if streams is not None and ((L is not None and L != cfg.L) or (apc is not None and apc != cfg.apc)
                                or (config is not None and config != cfg)):
        raise MtjscError("streams were generated for another L, APC kind or config")
    L, apc = cfg.L, cfg.apc
    pixels = _as_pixels(pixels)
    N = len(pixels)
    image_ids = np.arange(N) if image_ids is None else np.asarray(image_ids, dtype=np.int64)
    if image_ids.shape != (N,):
        raise MtjscError(f"image_ids has shape {image_ids.shape}, expected ({N},)")
    if streams is None:
        streams = NetworkStreams(model, source, config=cfg, activity=input_activity(model, pixels, source))
    elif streams.source is not source or streams.model is not model:
        raise MtjscError("streams were generated for another model or source")
    p = image_probabilities(pixels, model.encoding)
    scores = np.empty((N, CLASSES), np.int64)
    H = model.hidden
    recs = [np.empty((N, L, H), np.int16), np.empty((N, L, H), bool), np.empty((N, L, CLASSES), np.int16)] \
        if record else None
    bounds = [(a, min(N, a + chunk)) for a in range(0, N, chunk)]
    workers = min(len(bounds), workers or os.cpu_count() or 1)
    # Chunks of images with similar footprints (last packed word that can hold a 1) skip more
    # words; every image's bits are fixed by its id, so the schedule cannot change results.
    const, val = source.constant(p)
    footprint = np.where(~const | val, streams.rank[None, :], -1).max(axis=1)
    sched = np.argsort(footprint, kind="stable")
    _JOB = (streams, image_ids, p, record, sched)
    try:
        if workers > 1 and not record and "fork" in mp.get_all_start_methods():
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork"))
            results = pool.map(_job_chunk, bounds)
        else:
            pool = None
            results = map(_job_chunk, bounds)
        for idx, (sc, rec) in results:
            scores[idx] = sc
            if record:
                for dst, src in zip(recs, rec):
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
