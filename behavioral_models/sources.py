"""Stream sources: where the bits of the SC network come from.

A source fixes the bit of every (layer, neuron, input, t): first-layer
input streams per image, weight streams per layer. The golden model asks in
bulk; a testbench asks for the same arrays and drives them bit by bit, so
both see the same bits whatever the RTL schedule. A source is a layout: it
fixes which generator of :mod:`mtjsc.behavioral_models.randomness` (NumPy's,
an LFSR bank, an sMTJ array) feeds which line; the generators themselves are
defined there once. New sources plug in by subclassing :class:`StreamSource`
and registering in :data:`SOURCES`.

Layers are numbered 0 (hidden) and 1 (output). Hidden-layer outputs feed the
output layer directly (Btanh bits); every layer's bias input is constant 1.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from mtjsc.behavioral_models import lfsr
from mtjsc.behavioral_models.randomness import (LfsrBank, SmtjArray, ideal_threshold, mtj_numbers, numbers_from_bits,
                                                uniform32)
from mtjsc.behavioral_models.seeding import RngTag, generator
from mtjsc.config import FIRST_LAYER_FANIN, check_length, check_sng_bits
from mtjsc.errors import MtjscError
from mtjsc.validate import check_float, check_int, check_seed, check_sng_fits_lfsr
from mtjsc.behavioral_models.mtj import READ_PERIOD_RATIO


def check_probabilities(p, name="probabilities", *, matrix: str = "") -> np.ndarray:
    """``p`` as float64 if every entry is a probability (and, given ``matrix`` such as ``"[m, n]"``,
    if it is 2-D); else an error naming ``name``."""
    p = np.asarray(p, dtype=np.float64)
    if matrix and p.ndim != 2:
        raise MtjscError(f"{name} must be a matrix {matrix}, got shape {p.shape}")
    if p.size and (np.isnan(p).any() or p.min() < 0.0 or p.max() > 1.0):
        bad = p[np.isnan(p) | (p < 0) | (p > 1)].ravel()[0]
        raise MtjscError(f"{name}: P(1) = {bad} outside [0, 1]; bipolar values must lie in [-1, 1]")
    return p


class StreamSource(ABC):
    """Base class of bit sources.

    Parameters
    ----------
    seed : int
        Run seed; same seed, same bits.
    """

    name = "abstract"
    #: True when weight bits depend on the image (``image_weight_bits``); the golden model then runs
    #: image by image
    weights_per_image = False

    def __init__(self, *, seed: int = 0):
        self.seed = check_seed(seed)

    def constant(self, p: np.ndarray) -> tuple:
        """Which input streams are constant (no randomness needed) and their value.

        Returns ``(is_constant, value)``, both bool arrays shaped like ``p``.
        """
        p = np.asarray(p)
        return (p == 0.0) | (p == 1.0), p == 1.0

    @abstractmethod
    def pair_bits(self, image_ids: np.ndarray, inputs: np.ndarray, p: np.ndarray, L: int) -> np.ndarray:
        """Bits of the non-constant first-layer input streams.

        Parameters
        ----------
        image_ids, inputs : int arrays, shape (k,)
            (image, input index) of each stream, sorted by image then input.
        p : float array, shape (k,)
            P(1) of each stream.
        L : int

        Returns
        -------
        bool ndarray, shape (k, L)
        """

    @abstractmethod
    def weight_bits(self, layer: int, p: np.ndarray, L: int) -> np.ndarray:
        """Weight stream bits of one layer: bool [L, m, n] for P(1) ``p`` [m, n]."""

    def per_image(self, image_ids: np.ndarray, tag: RngTag):
        """Yield ``(a, b, rng)`` for each run of one image in ``image_ids`` (sorted by image):
        the streams a..b-1 of that image draw from ``default_rng([seed, tag, image])``, so an
        image sees the same bits whichever other images are in the call."""
        if not len(image_ids):
            return
        starts = np.flatnonzero(np.r_[True, image_ids[1:] != image_ids[:-1]])
        ends = np.r_[starts[1:], len(image_ids)]
        for a, b in zip(starts, ends):
            yield a, b, generator(self.seed, tag, image_ids[a])

    def input_bits(self, image_ids, p: np.ndarray, L: int) -> np.ndarray:
        """Dense first-layer input bits: bool [N, L, n] (testbenches, references)."""
        L = check_length(L)
        p = check_probabilities(p, "input probabilities", matrix="[N, n] (one row per image)")
        image_ids = np.asarray(image_ids, dtype=np.int64)
        if image_ids.shape != (p.shape[0],):
            raise MtjscError(f"image_ids {image_ids.shape} must name one image per row of the input "
                             f"probabilities {p.shape}")
        const, val = self.constant(p)
        out = np.broadcast_to(val[:, None, :], (p.shape[0], L, p.shape[1])).copy()
        ii, jj = np.nonzero(~const)
        if len(ii):
            out[ii, :, jj] = self.pair_bits(image_ids[ii], jj, p[ii, jj], L)
        return out

    def describe(self) -> dict:
        return {"source": self.name, "seed": self.seed}


class IdealSource(StreamSource):
    """Independent Bernoulli bits: ``bit = [U < round(P * 2**32)]``, U uniform 32-bit.

    U comes from :func:`~mtjsc.behavioral_models.randomness.uniform32` (PCG64's
    raw words split in two 32-bit halves), so P is resolved to 2**-32.
    Weight streams of layer l use ``default_rng([seed, 0, l])``, drawn in C
    order over (t, neuron, input). Input streams of image u use
    ``default_rng([seed, 1, u])``, L draws per non-constant input in
    increasing input order (inputs with P in {0, 1} are constant and draw
    nothing). Software only; in co-simulation the testbench drives these bits.
    """

    name = "ideal"

    def pair_bits(self, image_ids, inputs, p, L):
        L = check_length(L)
        k = len(image_ids)
        out = np.empty((k, L), dtype=bool)
        if not k:
            return out
        q = ideal_threshold(p)
        for a, b, rng in self.per_image(image_ids, RngTag.IDEAL_INPUT):
            u = uniform32(rng, (b - a) * L).reshape(b - a, L)
            np.less(u, q[a:b, None], out=out[a:b])
        return out

    def weight_bits(self, layer, p, L):
        L = check_length(L)
        p = check_probabilities(p, f"layer {layer} weight probabilities", matrix="[m, n]")
        q = ideal_threshold(p)
        rng = generator(self.seed, RngTag.IDEAL_WEIGHT, layer)
        out = np.empty((L,) + p.shape, dtype=bool)
        # bound the scratch to ~64 MB; an even block keeps 32-bit halves aligned across blocks
        step = max(2, ((1 << 24) // max(1, p.size)) & ~1)
        for t0 in range(0, L, step):
            t1 = min(L, t0 + step)
            u = uniform32(rng, (t1 - t0) * p.size).reshape((t1 - t0,) + p.shape)
            np.less(u, q, out=out[t0:t1])
        return out


class ComparatorSngs:
    """Comparator SNGs ``bit = [r < q]``, ``q = round(P 2**B)`` with B = ``self.sng_bits``: streams
    with q = 0 or q = 2**B are constant (shared by the ``lfsr`` and ``entropy`` sources)."""

    sng_bits: int

    def threshold(self, p):
        return lfsr.sng_threshold(p, self.sng_bits)

    def constant(self, p):
        q = self.threshold(p)
        return (q == 0) | (q == (1 << self.sng_bits)), q == (1 << self.sng_bits)


class LfsrSource(ComparatorSngs, StreamSource):
    """Comparator SNGs on Galois LFSRs (see :mod:`mtjsc.behavioral_models.lfsr`).

    Parameters
    ----------
    seed : int
    sng_bits : int
        B: threshold q = round(P * 2**B).
    width : int
        LFSR width W.
    """

    name = "lfsr"

    def __init__(self, *, seed: int = 0, sng_bits: int = 8, width: int = 32):
        super().__init__(seed=seed)
        self.sng_bits = check_sng_bits(sng_bits)
        self.width = lfsr.check_width(width)
        check_sng_fits_lfsr(self.sng_bits, self.width)
        self._cache = {}

    def bank(self, layer: int, role: int, count: int) -> LfsrBank:
        """The ``count`` LFSRs of (layer, role) at t = 0, seeded from (run seed, layer, role, i)."""
        return LfsrBank.seeded(self.seed, layer, role, count, self.width)

    def comparators(self, layer: int, role: int, count: int, L: int) -> np.ndarray:
        """R(t) of the ``count`` SNGs of (layer, role): int64 [L, count] (cached)."""
        key = (layer, role, count, L)
        if key not in self._cache:
            self._cache[key] = self.bank(layer, role, count).numbers(self.sng_bits, L)
        return self._cache[key]

    def pair_bits(self, image_ids, inputs, p, L):
        L = check_length(L)
        R = self.comparators(0, lfsr.ROLE_INPUT, FIRST_LAYER_FANIN, L)
        return R.T[inputs] < self.threshold(p)[:, None]

    def weight_bits(self, layer, p, L):
        L = check_length(L)
        p = check_probabilities(p, f"layer {layer} weight probabilities", matrix="[m, n]")
        R = self.comparators(layer, lfsr.ROLE_WEIGHT, p.shape[1], L)
        return R[:, None, :] < self.threshold(p)[None, :, :]

    def describe(self):
        return {**super().describe(), "sng_bits": self.sng_bits, "lfsr_width": self.width}


#: Two-device weight streams of the ``mtj`` source: gate -> (P of the pair, bits of the pair).
PAIR_GATES = {"xnor": (lambda pa, pb: pa * pb + (1 - pa) * (1 - pb), lambda a, b: a == b),
              "and": (lambda pa, pb: pa * pb, lambda a, b: a & b)}


class MtjSource(StreamSource):
    """Every stream from its own simulated sMTJ of a :class:`~mtjsc.behavioral_models.randomness.SmtjArray`.

    Each weight stream (layer, neuron, input) and each first-layer input
    line has its own device, drawn once per run seed with ``variation``,
    set through the array's DAC (``levels``, ``calibration``) and read every
    ``T = period_ratio * tau_c``, so consecutive bits carry the telegraph
    correlation ``exp(-T / tau_c(device, bias))``. Inputs with P in {0, 1}
    (black and white pixels, the bias input) are tied to 0/1 rather than
    biased into a device, as hardware would.

    Parameters
    ----------
    seed, period_ratio, levels, variation, device, calibration
        The devices: see :class:`~mtjsc.behavioral_models.randomness.SmtjArray`.
    xnor : bool
        Make each weight stream a gate of two devices whose level pair
        comes closest to the target (the paper's trick for finer resolution:
        30 levels give ~240 XNOR probabilities).
    gate : {"xnor", "and"}
        That gate. XNOR pairs (P = pa pb + (1 - pa)(1 - pb), 0.058..0.94)
        suit bipolar weights; AND pairs (P = pa pb, 0.0009..0.94) reach the
        small magnitudes of unipolar OR-network weights.
    """

    name = "mtj"

    def __init__(self, *, seed: int = 0, period_ratio: float = READ_PERIOD_RATIO, levels: int = 30, variation=None,
                 device=None, calibration: str = "device", xnor: bool = True, gate: str = "xnor"):
        super().__init__(seed=seed)
        #: the devices (populations per (layer, role): role 0 = input lines, 1 and 2 = the weight devices)
        self.devices = SmtjArray(seed=self.seed, period_ratio=period_ratio, levels=levels, variation=variation,
                                 device=device, calibration=calibration)
        self.dac, self.period = self.devices.dac, self.devices.period
        self.xnor = bool(xnor)
        if gate not in PAIR_GATES:
            raise MtjscError(f"gate={gate!r}: use one of {sorted(PAIR_GATES)}")
        self.gate = gate
        pa, pb = np.meshgrid(self.dac.probabilities, self.dac.probabilities, indexing="ij")
        self._pair_p = PAIR_GATES[gate][0](pa, pb).ravel()             # P of the gate of level pairs

    def _streams(self, layer: int, role: int, count: int, p, L: int, rng) -> np.ndarray:
        """bool [L, count]: devices 0..count-1 of (layer, role) set to targets ``p``, L reads each."""
        d = self.devices
        return d.chains(*d.stream_parameters(d.population(layer, role, count), np.arange(count), p), L, rng)

    def pair_bits(self, image_ids, inputs, p, L):
        L = check_length(L)
        k = len(image_ids)
        if not k:
            return np.empty((0, L), bool)
        d = self.devices
        p_eff, tau_c = d.stream_parameters(d.population(0, 0, FIRST_LAYER_FANIN), inputs, p)
        out = np.empty((k, L), bool)
        for a, b, rng in self.per_image(image_ids, RngTag.MTJ_INPUT):
            out[a:b] = d.chains(p_eff[a:b], tau_c[a:b], L, rng).T
        return out

    def weight_bits(self, layer, p, L):
        L = check_length(L)
        p = check_probabilities(p, f"layer {layer} weight probabilities", matrix="[m, n]")
        const, val = self.constant(p.ravel())
        target = np.where(const, 0.5, p.ravel())
        rng = generator(self.seed, RngTag.MTJ_WEIGHT, layer)
        if self.xnor:
            pair = np.abs(target[:, None] - self._pair_p[None, :]).argmin(axis=1)
            levels = self.dac.probabilities
            a = self._streams(layer, 1, p.size, levels[pair // self.dac.levels], L, rng)
            b = self._streams(layer, 2, p.size, levels[pair % self.dac.levels], L, rng)
            bits = PAIR_GATES[self.gate][1](a, b)
        else:
            bits = self._streams(layer, 1, p.size, target, L, rng)
        bits[:, const] = val[const]
        return bits.reshape((L,) + p.shape)

    def describe(self):
        d = self.devices
        return {**super().describe(), "period_ratio": d.period_ratio, "levels": self.dac.levels,
                "calibration": d.calibration, "xnor": self.xnor, "gate": self.gate, "variation": vars(d.variation)}


class MtjPoolSource(StreamSource):
    """The paper's method (Shao et al. 2020): recorded pools, cut and rotated.

    Three stream sets (first-layer inputs, hidden weights, output weights)
    use two devices each (six in all): a *pool* device recorded once at
    every DAC level, giving a ``pool_bits``-bit pool per level, and an
    *index* device biased at P = 1/2 whose bits, read as integers, give
    start indices. A stream of length L with target P takes the pool of the
    nearest level, cut into ``segments`` pieces of L/segments bits, each a
    circular slice of the pool from its own start index. Streams of the
    same level are therefore rotations of one recording: the correlation
    this method brings is part of what it shows.

    Parameters
    ----------
    seed : int
    levels, pool_bits, segments : int
        DAC levels (30), pool length (1024) and segments per stream (8).
    period_ratio : float
        T / tau_c of the recordings.
    device : mtj.TelegraphMTJ
    """

    name = "mtj-pool"

    def __init__(self, *, seed: int = 0, levels: int = 30, pool_bits: int = 1024, segments: int = 8,
                 period_ratio: float = READ_PERIOD_RATIO, device=None):
        super().__init__(seed=seed)
        #: the nominal device behind its DAC (the method records one device per pool, no variation)
        self.devices = SmtjArray(seed=self.seed, period_ratio=period_ratio, levels=levels, device=device)
        self.device, self.dac, self.period = self.devices.device, self.devices.dac, self.devices.period
        self.pool_bits = check_int(pool_bits, "pool_bits", minimum=1)
        self.segments = check_int(segments, "segments", minimum=1)
        self.index_bits = max(1, (self.pool_bits - 1).bit_length())
        self._pools = {}

    def pools(self, stream_set: int) -> np.ndarray:
        """bool [levels, pool_bits]: the recordings of the pool device of ``stream_set`` (0, 1, 2)."""
        if stream_set not in self._pools:
            rng = generator(self.seed, RngTag.POOL_RECORDING, stream_set)
            self._pools[stream_set] = np.stack([self.devices.record(v, self.pool_bits, rng)
                                                for v in self.dac.biases])
        return self._pools[stream_set]

    def _starts(self, rng, count: int) -> np.ndarray:
        """``count`` start indices from the 50 % index device (index_bits bits each, mod pool_bits)."""
        bits = self.devices.record(self.device.v_0, count * self.index_bits, rng)
        words = bits.reshape(count, self.index_bits).astype(np.int64) @ (1 << np.arange(self.index_bits))
        return words % self.pool_bits

    def _streams(self, stream_set: int, p: np.ndarray, L: int, rng) -> np.ndarray:
        """bool [k, L] for targets ``p`` (1-D)."""
        seg = -(-L // self.segments)
        level = self.dac.level_for(p)
        starts = self._starts(rng, len(p) * self.segments).reshape(len(p), self.segments)
        pool = self.pools(stream_set)
        reps = -(-(self.pool_bits + seg) // self.pool_bits)
        windows = np.lib.stride_tricks.sliding_window_view(np.tile(pool, (1, reps)), seg, axis=1)
        # each segment is a circular slice of its level's pool: gather whole windows, not bits
        return windows[level[:, None], starts].reshape(len(p), -1)[:, :L]

    def pair_bits(self, image_ids, inputs, p, L):
        L = check_length(L)
        out = np.empty((len(image_ids), L), bool)
        for a, b, rng in self.per_image(image_ids, RngTag.POOL_INPUT):
            out[a:b] = self._streams(0, p[a:b], L, rng)
        return out

    def weight_bits(self, layer, p, L):
        L = check_length(L)
        p = check_probabilities(p, f"layer {layer} weight probabilities", matrix="[m, n]")
        const, val = self.constant(p.ravel())
        rng = generator(self.seed, RngTag.POOL_WEIGHT, layer)
        bits = self._streams(1 + int(layer), np.where(const, 0.5, p.ravel()), L, rng).T.copy()
        bits[:, const] = val[const]
        return bits.reshape((L,) + p.shape)

    def describe(self):
        return {**super().describe(), "levels": self.dac.levels, "pool_bits": self.pool_bits,
                "segments": self.segments, "period": self.period}


class EntropySource(ComparatorSngs, StreamSource):
    """Comparator SNGs on one raw random bit sequence (the accelerator's ``entropy`` port).

    The sequence is read as B-bit numbers, least significant bit first:
    number k is ``sum_b bits[k B + b] 2**b``. Image u consumes the numbers
    ``[u N, (u + 1) N)``, ``N = L (2 n1 + n2)`` with n1 = 785 and
    n2 = H + 1, in this order, which does not depend on P or W::

        for t in 0..L-1:
            for i in 0..n1-1:  r_x(t, i), r_w0(t, i)     # layer 0: input i's SNG, then its weight SNG
            for j in 0..n2-1:  r_w1(t, j)                # layer 1: weight SNG of hidden input j

    The bits are ``x(t, i) = [r_x(t, i) < q(p_i)]`` and, for every neuron m
    of the layer, ``w(t, m, i) = [r_w(t, i) < q(w_mi)]`` with
    ``q(p) = round(p 2**B)`` (:func:`mtjsc.behavioral_models.lfsr.sng_threshold`):
    like the ``lfsr`` source, one weight SNG per input is shared by all
    neurons of a layer, so hardware keeps the numbers of one t in a buffer
    while its neuron groups go by. Every input takes its numbers, the bias
    input (always 1) and constant streams included, so the position of a
    number never depends on the data. Unlike ``lfsr``, weight bits differ
    from image to image.

    Parameters
    ----------
    seed : int
        Without ``bits``: block u is ``entropy_bits(N B, seed=seed, stream=u)``,
        one simulated sMTJ at P = 1/2 (:func:`mtjsc.behavioral_models.mtj.entropy_bits`).
    sng_bits : int
        B.
    hidden : int
        H (fixes n2 and so the block size).
    bits : bool array or bytes, optional
        The raw sequence (bytes are read least significant bit first); image u
        must find its whole block in it.
    period_ratio : float
        Sampling period of the simulated device over its correlation time.
    """

    name = "entropy"
    weights_per_image = True

    def __init__(self, *, seed: int = 0, sng_bits: int = 8, hidden: int = 128, bits=None,
                 period_ratio: float = READ_PERIOD_RATIO):
        super().__init__(seed=seed)
        self.sng_bits = check_sng_bits(sng_bits)
        self.hidden = check_int(hidden, "hidden", minimum=1)
        self.period_ratio = check_float(period_ratio, "period_ratio", positive=True)
        if bits is None:
            self.bits = None
        else:
            if isinstance(bits, (bytes, bytearray)):
                bits = np.unpackbits(np.frombuffer(bytes(bits), np.uint8), bitorder="little")
            self.bits = np.asarray(bits).astype(bool).ravel()
        self._cache = (None, None)

    @property
    def fan_in(self) -> tuple:
        return FIRST_LAYER_FANIN, self.hidden + 1

    def numbers_per_t(self) -> int:
        n1, n2 = self.fan_in
        return 2 * n1 + n2

    def bits_per_image(self, L: int) -> int:
        return check_length(L) * self.numbers_per_t() * self.sng_bits

    def image_numbers(self, image: int, L: int) -> np.ndarray:
        """The numbers image ``image`` consumes: int64 [L, 2 n1 + n2] in the documented order."""
        L = check_length(L)
        image = check_int(image, "image id", minimum=0)
        key = (image, L)
        if self._cache[0] == key:
            return self._cache[1]
        nb = self.bits_per_image(L)
        if self.bits is None:
            out = mtj_numbers(L * self.numbers_per_t(), self.sng_bits, seed=self.seed, period_ratio=self.period_ratio,
                              stream=image)
        else:
            if len(self.bits) < (image + 1) * nb:
                raise MtjscError(f"entropy source too short: image {image} at L={L} needs bits "
                                 f"[{image * nb}, {(image + 1) * nb}) but the sequence has {len(self.bits)}; "
                                 f"give at least {(image + 1) * nb} bits ({nb} per image)")
            out = numbers_from_bits(self.bits[image * nb:(image + 1) * nb], self.sng_bits)
        out = out.reshape(L, self.numbers_per_t())
        self._cache = (key, out)
        return out

    def pair_bits(self, image_ids, inputs, p, L):
        L = check_length(L)
        n1 = FIRST_LAYER_FANIN
        out = np.empty((len(image_ids), L), dtype=bool)
        q = self.threshold(p)
        for a, b, _ in self.per_image(image_ids, RngTag.ENTROPY):
            r = self.image_numbers(int(image_ids[a]), L)[:, 0:2 * n1:2]       # [L, n1]
            out[a:b] = r.T[inputs[a:b]] < q[a:b, None]
        return out

    def weight_bits(self, layer, p, L):
        raise MtjscError("the entropy source's weight bits change from image to image; ask for "
                         "image_weight_bits(image, layer, p, L) (golden.run_network does)")

    def image_weight_bits(self, image: int, layer: int, p: np.ndarray, L: int, t0: int = 0, t1=None) -> np.ndarray:
        """Weight stream bits of one layer for one image: bool [L, m, n], or its rows ``t0:t1``."""
        p = check_probabilities(p, f"layer {layer} weight probabilities", matrix="[m, n]")
        n1, n2 = self.fan_in
        if p.shape[1] != (n1, n2)[layer]:
            raise MtjscError(f"layer {layer} has fan-in {p.shape[1]} but this entropy source was built for "
                             f"hidden={self.hidden} (fan-in {(n1, n2)[layer]}); build it with config=")
        r = self.image_numbers(image, L)[t0:t1]
        r = r[:, 1:2 * n1:2] if layer == 0 else r[:, 2 * n1:]
        return r[:, None, :] < self.threshold(p)[None, :, :]

    def describe(self):
        return {**super().describe(), "sng_bits": self.sng_bits, "hidden": self.hidden,
                "bits": "mtj" if self.bits is None else f"given ({len(self.bits)} bits)",
                "period_ratio": self.period_ratio}


SOURCES = {"ideal": IdealSource, "lfsr": LfsrSource, "mtj": MtjSource, "mtj-pool": MtjPoolSource,
           "entropy": EntropySource}


#: Constructor options a source takes from the :class:`~mtjsc.config.ScConfig` (option -> field).
CONFIG_OPTIONS = {"lfsr": {"sng_bits": "sng_bits", "width": "lfsr_width"},
                  "entropy": {"sng_bits": "sng_bits", "hidden": "hidden"}}


def make_source(name: str, *, seed: int = 0, config=None, **options) -> StreamSource:
    """Build a registered source by name; options go to its constructor.

    With ``config`` (an :class:`~mtjsc.config.ScConfig`) the options that the
    configuration fixes (the ``lfsr`` source's B and LFSR width) come from it;
    giving them again with another value is an error.
    """
    if name not in SOURCES:
        raise MtjscError(f"unknown stream source {name!r}; choose one of {sorted(SOURCES)}")
    if config is not None:
        for option, field in CONFIG_OPTIONS.get(name, {}).items():
            value = getattr(config, field)
            if options.get(option, value) != value:
                raise MtjscError(f"source option {option}={options[option]!r} disagrees with the "
                                 f"configuration ({field}={value}); set it in the ScConfig only")
            options[option] = value
    try:
        return SOURCES[name](seed=seed, **options)
    except TypeError as e:
        raise MtjscError(f"source {name!r} does not take options {sorted(options)} ({e})") from None
