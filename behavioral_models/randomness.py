"""Random numbers and Bernoulli bits from the project's three generators, for every consumer.

Three kinds of randomness run through the project, and this module is where
each is defined for the consumers that need numbers or bits per tensor
element (stochastic rounding in low-precision training, sampled weights of
binary networks, the ``StochasticRounder`` block's reference):

``ideal``
    NumPy's generator (:func:`mtjsc.behavioral_models.seeding.generator`).
``lfsr``
    Galois LFSRs (:mod:`mtjsc.behavioral_models.lfsr`), leaping k steps per
    k-bit number; a Bernoulli bit is the comparator ``[r < round(p 2^k)]``.
``mtj``
    Simulated sMTJs (:mod:`mtjsc.behavioral_models.mtj`): numbers are k raw
    bits of devices held at P = 1/2; a Bernoulli bit is one read of a device
    biased to ``p``, whose state persists between reads (a telegraph chain
    with the read period T / tau_c), so consecutive draws are correlated as
    on hardware.

The network's bitstreams come from the stream sources of
:mod:`mtjsc.behavioral_models.sources` (``make_source``), which build on the
same three generators but fix, per SNG of the RTL, which LFSR seed or
device feeds which line: that layout is part of the bit-exact contract.
"""

from __future__ import annotations

import zlib

import numpy as np

from mtjsc.behavioral_models import lfsr as lfsr_def
from mtjsc.behavioral_models.mtj import READ_PERIOD_RATIO, entropy_bits
from mtjsc.behavioral_models.seeding import RngTag, generator
from mtjsc.behavioral_models.sources import MtjSource, numbers_from_bits
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


def lfsr_numbers(count: int, k: int, *, width: int = LFSR_WIDTH, seed_state: int = 1) -> np.ndarray:
    """R(t), t = 0..count-1, of one Galois LFSR leaping k steps per number (the RTL rounder's source)."""
    return lfsr_def.generate([seed_state], width, check_k(k), count)[:, 0]


def mtj_numbers(count: int, k: int, *, seed: int = 0, period_ratio: float = READ_PERIOD_RATIO,
                stream: int | None = None) -> np.ndarray:
    """``count`` k-bit numbers from one simulated sMTJ at P = 1/2 (its bits, k at a time, LSB first)."""
    k = check_k(k)
    return numbers_from_bits(entropy_bits(count * k, seed=seed, period_ratio=period_ratio, stream=stream), k)


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

    Each named tensor has generators of its own (``lfsr``: one LFSR per element, seeded from the
    name; ``mtj``: one device per element for :meth:`bernoulli`), so a tensor's draws do not
    depend on which other tensors are drawn; ``ideal`` draws from one generator in call order.
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
            st = self._lfsrs.get(key)
            if st is None or st.size != n:
                tag = zlib.crc32(key.encode())          # a fixed id per tensor (not hash(): salted)
                st = np.array([lfsr_def.seed_state(self.seed, 2, tag, i, LFSR_WIDTH) for i in range(n)], np.uint64)
            out = (st & np.uint64((1 << k) - 1)).astype(np.int64)
            self._lfsrs[key] = lfsr_def.leap_states(st, LFSR_WIDTH, k)
            return out.reshape(shape)
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
        if self._mtj is None:               # the devices (variation, DAC) depend on the seed only: the hardware
            self._mtj = MtjSource(seed=self.seed, period_ratio=self.period_ratio, xnor=False)
        tag = zlib.crc32(name.encode()) & 0x7FFFFFFF      # a fixed device population per tensor
        pop = self._mtj.population(tag, 1, p.size)
        p_eff, tau_c = self._mtj.stream_parameters(pop, np.arange(p.size), p.ravel())
        state = self._states.get(name)
        if state is None or state.size != p.size:          # first read: the stationary distribution
            state = self._rng.random(p.size) < p_eff
        else:                                              # one read period later: the telegraph chain
            leave_1, leave_0 = self._mtj.leave_probabilities(p_eff, tau_c)
            state = state ^ (self._rng.random(p.size) < np.where(state, leave_1, leave_0))
        self._states[name] = state
        return state.reshape(p.shape)

    @property
    def devices(self):
        """``mtj``: the :class:`~mtjsc.behavioral_models.sources.MtjSource` whose devices :meth:`bernoulli` reads."""
        return self._mtj
