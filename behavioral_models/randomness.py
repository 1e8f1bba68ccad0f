"""The project's random numbers and bits: three generators, and their per-tensor layout.

Every random bit of the project comes from one of three generators, each
defined here once:

``ideal``
    NumPy's generator (:func:`mtjsc.behavioral_models.seeding.generator`);
    :func:`uniform32` gives its 32-bit uniform numbers.
``lfsr``
    :class:`LfsrBank`: Galois LFSRs (:mod:`mtjsc.behavioral_models.lfsr`),
    leaping k steps per k-bit number; a Bernoulli bit is the comparator
    ``[r < round(p 2^k)]``.
``mtj``
    :class:`SmtjArray`: simulated sMTJs (:mod:`mtjsc.behavioral_models.mtj`)
    behind a DAC, read every T = ``period_ratio`` tau_c. A device's state
    persists between reads (a telegraph chain), so consecutive bits are
    correlated as on hardware. :func:`mtj_numbers`: k raw bits of one device
    held at P = 1/2 per number.

Two layouts sit on these generators. :class:`RandomBits` (below) draws per
named tensor element, for stochastic rounding in low-precision training, the
sampled weights of binary networks and the ``StochasticRounder`` block's
reference. The stream sources of :mod:`mtjsc.behavioral_models.sources`
(``make_source``) draw per SNG of the RTL: which LFSR seed or device feeds
which line is part of the bit-exact contract, so that layout lives there and
only there, and the generators it uses are these.
"""

from __future__ import annotations

import zlib

import numpy as np

from mtjsc.behavioral_models import lfsr as lfsr_def
from mtjsc.behavioral_models import mtj as mtj_def
from mtjsc.behavioral_models.mtj import READ_PERIOD_RATIO, entropy_bits
from mtjsc.behavioral_models.seeding import RngTag, generator
from mtjsc.errors import MtjscError
from mtjsc.validate import check_float, check_int, check_seed

KINDS = ("ideal", "lfsr", "mtj")
#: LFSR width of the per-element generators.
LFSR_WIDTH = 32


def check_kind(kind: str, what: str = "random bits") -> str:
    """``kind`` if it is one of :data:`KINDS`; else an error that names ``what`` (the user's option)."""
    if kind not in KINDS:
        raise MtjscError(f"{what} {kind!r}: choose one of {', '.join(KINDS)}")
    return kind


def check_k(k) -> int:
    return check_int(k, "bits per random number k", minimum=1, maximum=62, fix="use 1 to 62 bits")


# --- ideal ---------------------------------------------------------------------------------------------

def uniform32(rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` uniform 32-bit numbers: PCG64's raw 64-bit words, each split in two (low half first)."""
    return rng.bit_generator.random_raw((count + 1) // 2).view("<u4")[:count]


def ideal_threshold(p) -> np.ndarray:
    """The threshold of ``bit = [U < q]`` for a 32-bit uniform U: q = round(P 2^32) (uint64)."""
    return np.rint(np.asarray(p, np.float64) * 2.0 ** 32).astype(np.uint64)


# --- lfsr ----------------------------------------------------------------------------------------------

class LfsrBank:
    """Galois LFSRs of one width, one per element, each giving a k-bit number per leap of k steps.

    Parameters
    ----------
    states : array of int
        Nonzero ``width``-bit states, one per LFSR.
    width : int
        LFSR width W.
    """

    def __init__(self, states, width: int):
        self.width = lfsr_def.check_width(width)
        self.states = np.asarray(states, dtype=np.uint64).copy()

    @classmethod
    def seeded(cls, seed: int, layer: int, role: int, count: int, width: int) -> LfsrBank:
        """``count`` LFSRs seeded by :func:`mtjsc.behavioral_models.lfsr.seed_state` (seed, layer, role, i)."""
        width = lfsr_def.check_width(width)
        return cls([lfsr_def.seed_state(seed, layer, role, i, width) for i in range(count)], width)

    def __len__(self) -> int:
        return len(self.states)

    def numbers(self, k: int, count: int) -> np.ndarray:
        """R(t), t = 0..count-1, of every LFSR from its current state: int64 [count, len]; the bank does
        not advance (:func:`mtjsc.behavioral_models.lfsr.generate`)."""
        return lfsr_def.generate(self.states, self.width, k, count)

    def draw(self, k: int) -> np.ndarray:
        """The current k-bit number of every LFSR (int64), then leap k steps."""
        out = (self.states & np.uint64((1 << check_k(k)) - 1)).astype(np.int64)
        self.states = lfsr_def.leap_states(self.states, self.width, k)
        return out


def lfsr_numbers(count: int, k: int, *, width: int = LFSR_WIDTH, seed_state: int = 1) -> np.ndarray:
    """R(t), t = 0..count-1, of one Galois LFSR leaping k steps per number (the RTL rounder's source)."""
    return LfsrBank([seed_state], width).numbers(check_k(k), count)[:, 0]


# --- mtj -----------------------------------------------------------------------------------------------

def numbers_from_bits(raw, bits: int) -> np.ndarray:
    """A raw bit sequence (bool array, or bytes read least significant bit first) as ``bits``-bit
    numbers, least significant bit first: number k is bits [k B, (k + 1) B) (a tail shorter than B is
    dropped). The ``entropy`` source and the stochastic rounder read MTJ bits this way."""
    if isinstance(raw, (bytes, bytearray)):
        raw = np.unpackbits(np.frombuffer(bytes(raw), np.uint8), bitorder="little")
    raw = np.asarray(raw).astype(bool).ravel()
    n = len(raw) // bits
    return raw[:n * bits].reshape(n, bits).astype(np.int64) @ (1 << np.arange(bits)).astype(np.int64)


def mtj_numbers(count: int, k: int, *, seed: int = 0, period_ratio: float = READ_PERIOD_RATIO,
                stream: int | None = None) -> np.ndarray:
    """``count`` k-bit numbers from one simulated sMTJ at P = 1/2 (its bits, k at a time, LSB first)."""
    k = check_k(k)
    return numbers_from_bits(entropy_bits(count * k, seed=seed, period_ratio=period_ratio, stream=stream), k)


class SmtjArray:
    """Simulated sMTJ devices behind one DAC, read every T = ``period_ratio`` tau_c.

    tau_c is the nominal device's correlation time at P = 1/2. Devices come in
    populations drawn once per (run seed, layer, role) with ``variation``. A
    device's target P is set through a DAC of ``levels`` levels: with
    ``calibration="device"`` every device is calibrated on its own curve (its
    levels then give the same P on every device; variation only changes the
    correlation time), with ``"nominal"`` all devices use the nominal device's
    DAC biases (variation then moves P too). Sampled at T the telegraph process
    is exactly a two-state Markov chain; :meth:`first_read` and :meth:`next_read`
    are that chain, vectorised over devices (the law of
    :meth:`mtjsc.behavioral_models.mtj.TelegraphMTJ.sample_bits`, which the tests check).

    Parameters
    ----------
    seed : int
    period_ratio : float
        T / tau_c (5 = nearly independent reads; < 1 = correlated).
    levels : int
        DAC levels per device (Shao et al.: about 30).
    variation : mtj.Variation
    device : mtj.TelegraphMTJ
        Nominal device.
    calibration : {"device", "nominal"}
    """

    def __init__(self, *, seed: int = 0, period_ratio: float = READ_PERIOD_RATIO, levels: int = 30,
                 variation=None, device=None, calibration: str = "device"):
        self.seed = check_seed(seed)
        self.device = device or mtj_def.TelegraphMTJ()
        self.variation = variation or mtj_def.Variation()
        self.period_ratio = check_float(period_ratio, "period_ratio (T / tau_c)", positive=True)
        if calibration not in ("device", "nominal"):
            raise MtjscError(f"calibration={calibration!r}: use 'device' or 'nominal'")
        self.calibration = calibration
        self.dac = mtj_def.Calibration(self.device, levels=levels)
        #: the read period T in seconds
        self.period = self.period_ratio * float(self.device.correlation_time(self.device.v_0))
        self._populations = {}

    def population(self, layer: int, role: int, count: int):
        """The ``count`` devices of (layer, role), drawn once from ``generator(seed, MTJ_POPULATION, layer, role)``."""
        key = (layer, role, count)
        if key not in self._populations:
            rng = generator(self.seed, RngTag.MTJ_POPULATION, layer, role)
            self._populations[key] = mtj_def.Population.draw(self.device, self.variation, count, rng)
        return self._populations[key]

    def stream_parameters(self, pop, index, p):
        """Achieved P and correlation time of devices ``index`` of ``pop`` set to targets ``p``."""
        level = self.dac.level_for(p)
        if self.calibration == "device":   # each device's own DAC biases: same P, device-specific bias
            p_eff = self.dac.probabilities[level]
            bias = pop.v_0[index] + pop.v_c[index] * np.log(p_eff / (1 - p_eff)) / (2 * pop.delta[index])
        else:
            bias = self.dac.biases[level]
            x = 2.0 * pop.delta[index] * (bias - pop.v_0[index]) / pop.v_c[index]
            p_eff = 1.0 / (1.0 + np.exp(-x))
        xs = (bias - pop.v_0[index]) / pop.v_c[index]
        tau_c = pop.tau0 / (np.exp(-pop.delta[index] * (1 + xs)) + np.exp(-pop.delta[index] * (1 - xs)))
        return np.broadcast_to(p_eff, np.shape(index)).astype(np.float64), tau_c

    def leave_probabilities(self, p, tau_c) -> tuple:
        """Per read period T: P(leave the 1 state) and P(leave the 0 state) of a device with stationary
        P(1) = ``p`` and correlation time ``tau_c``."""
        decay = -np.expm1(-self.period / tau_c)
        return (1.0 - p) * decay, p * decay

    @staticmethod
    def first_read(p, u) -> np.ndarray:
        """The first read of devices with stationary P(1) = ``p``, from uniform numbers ``u``."""
        return u < p

    @staticmethod
    def next_read(state, leave, u) -> np.ndarray:
        """One read period later: each device leaves its state with P ``leave`` = ``(leave_1, leave_0)``."""
        return state ^ (u < np.where(state, *leave))

    def chains(self, p, tau_c, L: int, rng) -> np.ndarray:
        """L consecutive reads of devices with P(1) ``p`` and correlation times ``tau_c``: bool [L, k]."""
        leave = self.leave_probabilities(p, tau_c)
        state = self.first_read(p, rng.random(len(p)))
        out = np.empty((L, len(p)), bool)
        for t0 in range(0, L, 64):   # bound the uniform scratch
            u = rng.random((min(64, L - t0), len(p)))
            for i in range(len(u)):
                out[t0 + i] = state
                state = self.next_read(state, leave, u[i])
        return out

    def record(self, bias: float, count: int, rng) -> np.ndarray:
        """``count`` reads of the nominal device held at ``bias`` (the telegraph simulation itself)."""
        return self.device.sample_bits(bias, self.period, count, rng)


# --- per-tensor layout ---------------------------------------------------------------------------------

class RandomBits:
    """Random numbers and Bernoulli bits per named tensor, reproducible from ``(seed, tag, ids)``.

    Parameters
    ----------
    kind : {"ideal", "lfsr", "mtj"}
        The generator (see the module docstring).
    seed : int
        Run seed.
    tag : RngTag
        What the draws are for: keeps the uses independent.
    ids : tuple of int
        Independent streams within one use (for example training phase and ensemble).
    period_ratio : float
        ``mtj``: read period T / tau_c.

    Each named tensor has generators of its own (``lfsr``: an :class:`LfsrBank` of one LFSR per
    element, seeded from the name; ``mtj``: one device per element for :meth:`bernoulli`), so a
    tensor's draws do not depend on which other tensors are drawn; ``ideal`` draws from one
    generator in call order.
    """

    def __init__(self, kind: str, *, seed: int, tag: RngTag, ids: tuple = (), period_ratio: float = READ_PERIOD_RATIO):
        self.kind, self.seed, self.tag, self.ids = check_kind(kind), check_seed(seed), RngTag(tag), tuple(map(int, ids))
        self.period_ratio = check_float(period_ratio, "read period T/tau_c", positive=True)
        self._rng = generator(seed, tag, *self.ids)
        self._lfsrs, self._draws, self._states, self._mtj = {}, 0, {}, None

    def _key(self, name: str) -> str:
        return name + "".join(f"/{i}" for i in self.ids)

    def numbers(self, name: str, shape, k: int) -> np.ndarray:
        """Uniform k-bit integers (0..2^k - 1), shaped ``shape``, for tensor ``name``."""
        k = check_k(k)
        n = int(np.prod(shape))
        if self.kind == "ideal":
            return self._rng.integers(0, 1 << k, shape)
        if self.kind == "lfsr":            # one LFSR per element of the tensor, leaping k steps
            key = self._key(name)
            bank = self._lfsrs.get(key)
            if bank is None or len(bank) != n:
                tag = zlib.crc32(key.encode())          # a fixed id per tensor (not hash(): salted)
                bank = self._lfsrs[key] = LfsrBank.seeded(self.seed, 2, tag, n, LFSR_WIDTH)
            return bank.draw(k).reshape(shape)
        self._draws += 1
        return mtj_numbers(n, k, seed=self.seed, period_ratio=self.period_ratio,
                           stream=1_000_000 + self._draws).reshape(shape)

    def bernoulli(self, name: str, p, *, k: int = 8) -> np.ndarray:
        """Bool array shaped like ``p``: element i is 1 with probability p[i] (``lfsr``: p resolved to 2^-k)."""
        p = np.asarray(p, np.float64)
        if self.kind == "ideal":
            return self._rng.random(p.shape) < p
        if self.kind == "lfsr":
            return self.numbers(name, p.shape, k) < np.rint(p * (1 << k))
        devices = self.devices
        tag = zlib.crc32(name.encode()) & 0x7FFFFFFF      # a fixed device population per tensor
        p_eff, tau_c = devices.stream_parameters(devices.population(tag, 1, p.size), np.arange(p.size), p.ravel())
        state = self._states.get(name)
        u = self._rng.random(p.size)
        if state is None or state.size != p.size:          # first read: the stationary distribution
            state = devices.first_read(p_eff, u)
        else:                                              # one read period later: the telegraph chain
            state = devices.next_read(state, devices.leave_probabilities(p_eff, tau_c), u)
        self._states[name] = state
        return state.reshape(p.shape)

    @property
    def devices(self) -> SmtjArray:
        """``mtj``: the :class:`SmtjArray` whose devices :meth:`bernoulli` reads (variation and DAC depend on
        the seed only, as the hardware's would)."""
        if self._mtj is None:
            self._mtj = SmtjArray(seed=self.seed, period_ratio=self.period_ratio)
        return self._mtj
