"""Behavioral model of a stochastic (superparamagnetic) MTJ: telegraph physics.

Physics first (Neel-Brown), then fitted. A two-state device (P = parallel,
low resistance, read as bit 1; AP = antiparallel, bit 0) switches with
bias-dependent mean dwell times

    tau_P(V)  = tau_0 exp(Delta (1 + (V - V_0) / V_c))
    tau_AP(V) = tau_0 exp(Delta (1 - (V - V_0) / V_c))

so positive bias stabilises P. The bias-to-probability curve is the
logistic ``P(V) = tau_P / (tau_P + tau_AP) = 1 / (1 + exp(-2 Delta (V - V_0) / V_c))``.
A trace is simulated exactly: alternating exponential dwell times, not
per-sample coin flips. Sampling every T gives bits whose autocorrelation is
``exp(-T (1 / tau_P + 1 / tau_AP))``.

Defaults follow Shao et al. (2020): a 50 nm pMTJ with retention ~5 ms at the
balance point (Delta = ln(5 ms / 1 ns) ~ 15.4 < 16 kT), RA = 440 Ohm um^2
(R_P ~ 224 kOhm), TMR 130 %, and a bias window well under 1 V that moves P
from < 5 % to > 95 %. tau_0, Delta, V_c and V_0 are fit parameters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mtjsc.behavioral_models.seeding import RngTag, generator
from mtjsc.errors import MtjscError
from mtjsc.validate import check_float, check_int

#: The default read period of an sMTJ bit, T / tau_c (the device's correlation time at its bias):
#: long enough that successive reads are nearly independent. Every model and command uses this one.
READ_PERIOD_RATIO = 5.0


def _geometric(rng: np.random.Generator, q: float, k: int) -> np.ndarray:
    """k Geometric(q) run lengths (>= 1) by inversion, 1 + floor(log U / log(1 - q))."""
    if q >= 1.0:
        return np.ones(k, np.int64)
    u = rng.random(k)
    np.subtract(1.0, u, out=u)                  # in (0, 1]; in place: this runs once per switch of a device
    np.log(u, out=u)
    np.divide(u, math.log1p(-q), out=u)
    np.floor(u, out=u)
    out = u.astype(np.int64)
    out += 1
    return out


def _check_count(count) -> int:
    return check_int(count, "number of samples", minimum=1)


def _positive(value, name: str) -> float:
    return check_float(value, name, positive=True)


def _one_bias(v, method: str) -> float:
    """The simulations follow one device at one bias: ``v`` must be a scalar (V)."""
    a = np.asarray(v, np.float64)
    if a.ndim != 0:
        raise MtjscError(f"TelegraphMTJ.{method} takes one bias v (a scalar in V), got shape {a.shape}; "
                         f"call it once per bias")
    return check_float(a, "bias v (V)")


@dataclass(frozen=True)
class TelegraphMTJ:
    """One stochastic MTJ.

    Parameters
    ----------
    tau0 : float
        Attempt time (s).
    delta : float
        Thermal stability factor at the balance point (kT units).
    v_c : float
        Critical voltage of the bias dependence (V).
    v_0 : float
        Offset: the bias where P = 1/2 (V); the offset field shifts it.
    diameter : float
        Device diameter (m), for R_P from RA.
    ra : float
        Resistance-area product (Ohm m^2).
    tmr : float
        Tunnel magnetoresistance ratio (R_AP / R_P - 1).
    temperature : float
        Device temperature (K); ``delta`` is given at 300 K and scales as 300 / T.
    """

    tau0: float = 1e-9
    delta: float = math.log(5e-3 / 1e-9)
    v_c: float = 4.0
    v_0: float = 0.45
    diameter: float = 50e-9
    ra: float = 440e-12
    tmr: float = 1.30
    temperature: float = 300.0

    def __post_init__(self):
        for name in ("tau0", "delta", "v_c", "diameter", "ra", "temperature"):
            _positive(getattr(self, name), name)
        if not (self.tmr >= 0 and math.isfinite(self.tmr)):
            raise MtjscError(f"tmr={self.tmr!r} must be a finite number >= 0")
        if not math.isfinite(self.v_0):
            raise MtjscError(f"v_0={self.v_0!r} must be finite")

    # ------------------------------------------------------------ physics

    @property
    def delta_t(self) -> float:
        """Thermal stability at the device temperature: Delta * 300 K / T."""
        return self.delta * 300.0 / self.temperature

    @property
    def r_p(self) -> float:
        """Parallel resistance (Ohm) = RA / area."""
        return self.ra / (math.pi * (self.diameter / 2) ** 2)

    @property
    def r_ap(self) -> float:
        return self.r_p * (1.0 + self.tmr)

    def dwell_means(self, v) -> tuple:
        """Mean dwell times (tau_P, tau_AP) in seconds at bias ``v`` (V)."""
        x = (np.asarray(v, np.float64) - self.v_0) / self.v_c
        return self.tau0 * np.exp(self.delta_t * (1 + x)), self.tau0 * np.exp(self.delta_t * (1 - x))

    def p_parallel(self, v) -> np.ndarray:
        """Bias-to-probability curve: P(state = P) at bias ``v``."""
        return 1.0 / (1.0 + np.exp(-2.0 * self.delta_t * (np.asarray(v, np.float64) - self.v_0) / self.v_c))

    def bias_for(self, p) -> np.ndarray:
        """Inverse of :meth:`p_parallel` for P in (0, 1)."""
        p = np.asarray(p, np.float64)
        if p.size and (np.isnan(p).any() or p.min() <= 0 or p.max() >= 1):
            raise MtjscError("probabilities must lie strictly inside (0, 1) to have a bias")
        return self.v_0 + self.v_c * np.log(p / (1 - p)) / (2 * self.delta_t)

    def correlation_time(self, v) -> np.ndarray:
        """tau_c = 1 / (1/tau_P + 1/tau_AP): sampled bits correlate as exp(-T / tau_c)."""
        tp, tap = self.dwell_means(v)
        return 1.0 / (1.0 / tp + 1.0 / tap)

    def autocorrelation(self, v, period) -> np.ndarray:
        """Lag-1 autocorrelation of bits sampled every ``period`` seconds."""
        return np.exp(-_positive(period, "sampling period T") / self.correlation_time(v))

    def energy_per_bit(self, v, period) -> float:
        """Read energy per sampled bit (J): V^2 times the mean conductance times T."""
        v = _one_bias(v, "energy_per_bit")
        p = self.p_parallel(v)
        g = p / self.r_p + (1 - p) / self.r_ap
        return float(np.asarray(v, np.float64) ** 2 * g * _positive(period, "sampling period T"))

    # ------------------------------------------------------------ simulation

    def dwell_times(self, v, count: int, rng: np.random.Generator, start_parallel: bool = True) -> np.ndarray:
        """``count`` alternating dwell times (s), starting in P if ``start_parallel``."""
        v = _one_bias(v, "dwell_times")
        count = check_int(count, "count (dwell times)", minimum=0)
        tp, tap = (float(x) for x in self.dwell_means(v))
        scale = np.empty(count)
        scale[0::2], scale[1::2] = (tp, tap) if start_parallel else (tap, tp)
        return rng.exponential(1.0, count) * scale

    def switch_times(self, v, duration, rng: np.random.Generator) -> tuple:
        """Exact continuous-time trace: ``(start_parallel, ends)``, the dwell end times in [0, duration].

        The process starts in its stationary state (P with probability P(V));
        dwell times are exponential with the means of :meth:`dwell_means`.
        """
        v = _one_bias(v, "switch_times")
        horizon = _positive(duration, "duration")
        start_p = bool(rng.random() < float(self.p_parallel(v)))
        mean_dwell = float(np.mean(self.dwell_means(v)))
        chunks, total = [], 0.0
        while total <= horizon:   # draw dwell times in blocks until they cover the window
            k = max(16, int(1.2 * (horizon - total) / mean_dwell) + 16)
            d = self.dwell_times(v, k + k % 2, rng, start_parallel=start_p)
            chunks.append(d)
            total += float(d.sum())
        ends = np.cumsum(np.concatenate(chunks))
        return start_p, ends[:np.searchsorted(ends, horizon, side="right") + 1]

    def sample_bits_from_dwells(self, v, period, count: int, rng: np.random.Generator) -> np.ndarray:
        """Bits sampled every ``period`` from an exact exponential-dwell trace (reference sampler)."""
        T = _positive(period, "sampling period T")
        count = _check_count(count)
        start_p, ends = self.switch_times(v, count * T, rng)
        # switches up to sample k = number of dwell ends <= k T: a histogram on the sample grid
        first_sample_after = np.minimum(np.ceil(ends / T), count).astype(np.int64)
        switches = np.cumsum(np.bincount(first_sample_after, minlength=count + 1)[:count])
        return ((switches & 1) == 0) == start_p

    def sample_bits(self, v, period, count: int, rng: np.random.Generator) -> np.ndarray:
        """Bits (1 = P) of the telegraph process sampled every ``period`` s, ``count`` samples.

        Exact and fast: a continuous-time two-state Markov process observed
        every T is a discrete two-state Markov chain, whose runs of equal
        samples are independent geometric dwell times (the sampled image of
        the exponential ones): a run in state s ends with probability
        ``(1 - pi_s)(1 - exp(-T / tau_c))``. Runs are drawn, not samples, so
        the work is one draw per switch. Statistically identical to
        :meth:`sample_bits_from_dwells` (tests compare them).
        """
        v = _one_bias(v, "sample_bits")
        T = _positive(period, "sampling period T")
        count = _check_count(count)
        p = float(self.p_parallel(v))
        decay = 1.0 - math.exp(-T / float(self.correlation_time(v)))
        leave = {True: (1.0 - p) * decay, False: p * decay}      # per-sample exit probability
        start_p = bool(rng.random() < p)
        if min(leave.values()) <= 0.0:                          # frozen device (T << tau_c or P in {0,1})
            return np.full(count, start_p)
        first, second = leave[start_p], leave[not start_p]
        mean_run = 0.5 / first + 0.5 / second
        out = np.empty(count, bool)
        pos = 0
        while pos < count:
            k = int(1.1 * (count - pos) / (2 * mean_run)) + 16   # k pairs of runs
            runs = np.empty(2 * k, np.int64)
            runs[0::2] = _geometric(rng, first, k)
            runs[1::2] = _geometric(rng, second, k)
            ends = np.cumsum(runs)
            ends += pos
            j = min(int(np.searchsorted(ends, count)), 2 * k - 1)     # the run that reaches the end, or the last
            runs = runs[:j + 1]
            runs[j] -= max(0, int(ends[j]) - count)                  # clip the last run at the end
            values = np.zeros(j + 1, bool)                           # runs alternate, each batch starts in start_p
            values[0::2] = True
            if not start_p:
                values ^= True
            end = min(int(ends[j]), count)
            out[pos:end] = np.repeat(values, runs)
            pos = end
        return out

    def trace(self, v, duration, dt, rng: np.random.Generator, noise: float = 0.0) -> tuple:
        """A resistance trace: times, states (1 = P) and resistance (Ohm) with optional read noise.

        ``noise`` is the relative standard deviation of Gaussian read noise.
        """
        v = _one_bias(v, "trace")
        n = int(round(_positive(duration, "duration") / _positive(dt, "dt")))
        bits = self.sample_bits(v, dt, n, rng)
        r = np.where(bits, self.r_p, self.r_ap).astype(np.float64)
        if noise:
            r = r * (1.0 + float(noise) * rng.standard_normal(n))
        return np.arange(n) * dt, bits, r


# ---------------------------------------------------------------- variation and calibration

@dataclass(frozen=True)
class Variation:
    """Device-to-device spread: relative sigma of Delta and V_c, absolute sigma of V_0 (V)."""

    sigma_delta: float = 0.05
    sigma_vc: float = 0.05
    sigma_v0: float = 0.02

    def __post_init__(self):
        for name in ("sigma_delta", "sigma_vc", "sigma_v0"):
            v = getattr(self, name)
            if not (v >= 0 and math.isfinite(v)):
                raise MtjscError(f"{name}={v!r} must be a finite number >= 0")


@dataclass(frozen=True)
class Population:
    """Parameters of ``count`` devices drawn around a nominal device (arrays, one entry per device)."""

    delta: np.ndarray
    v_c: np.ndarray
    v_0: np.ndarray
    tau0: float

    @classmethod
    def draw(cls, nominal: TelegraphMTJ, variation: Variation, count: int, rng: np.random.Generator):
        z = rng.standard_normal((3, count))
        delta = nominal.delta_t * np.maximum(1 + variation.sigma_delta * z[0], 0.2)
        v_c = nominal.v_c * np.maximum(1 + variation.sigma_vc * z[1], 0.2)
        return cls(delta=delta, v_c=v_c, v_0=nominal.v_0 + variation.sigma_v0 * z[2], tau0=nominal.tau0)

    def p_parallel(self, v) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-2.0 * self.delta * (np.asarray(v) - self.v_0) / self.v_c))

    def bias_for(self, p) -> np.ndarray:
        p = np.asarray(p, np.float64)
        return self.v_0 + self.v_c * np.log(p / (1 - p)) / (2 * self.delta)

    def correlation_time(self, v) -> np.ndarray:
        x = (np.asarray(v) - self.v_0) / self.v_c
        return self.tau0 / (np.exp(-self.delta * (1 + x)) + np.exp(-self.delta * (1 - x)))


class Calibration:
    """DAC calibration of a device's bias-to-probability curve.

    ``levels`` bias values evenly spaced between the biases where the device
    gives ``p_range`` (the paper: about 30 usable levels from < 5 % to
    > 95 %); a requested P maps to the level whose P is nearest.

    Parameters
    ----------
    device : TelegraphMTJ
    levels : int
    p_range : (float, float)
    """

    def __init__(self, device: TelegraphMTJ, *, levels: int = 30, p_range=(0.03, 0.97)):
        check_int(levels, "levels", minimum=2)
        lo, hi = (float(x) for x in p_range)
        if not 0 < lo < hi < 1:
            raise MtjscError(f"p_range={p_range!r} must satisfy 0 < low < high < 1")
        self.device = device
        self.levels = int(levels)
        self.biases = np.linspace(float(device.bias_for(lo)), float(device.bias_for(hi)), self.levels)
        self.probabilities = device.p_parallel(self.biases)

    def level_for(self, p) -> np.ndarray:
        """Index of the DAC level whose probability is nearest to ``p`` (in [0, 1])."""
        p = np.asarray(p, np.float64)
        if p.size and (np.isnan(p).any() or p.min() < 0 or p.max() > 1):
            raise MtjscError("probabilities must lie in [0, 1]")
        return np.abs(p[..., None] - self.probabilities).argmin(axis=-1)

    def bias_for(self, p) -> np.ndarray:
        return self.biases[self.level_for(p)]

    def level_of_bias(self, v) -> np.ndarray:
        """The DAC level of bias ``v``; a bias outside the calibrated range is an error."""
        v = np.asarray(v, np.float64)
        step = self.biases[1] - self.biases[0]
        if v.size and (v.min() < self.biases[0] - step / 2 or v.max() > self.biases[-1] + step / 2):
            raise MtjscError(f"bias {v.min() if v.min() < self.biases[0] else v.max():.4g} V is outside the "
                             f"calibrated range {self.biases[0]:.4g}..{self.biases[-1]:.4g} V; recalibrate "
                             f"with a wider p_range")
        return np.rint((v - self.biases[0]) / step).astype(np.int64)

    def xnor_probabilities(self) -> np.ndarray:
        """P of the XNOR of two devices at every pair of levels: finer resolution (sorted, unique)."""
        a = self.probabilities[:, None]
        b = self.probabilities[None, :]
        return np.unique(np.round(a * b + (1 - a) * (1 - b), 12))


def entropy_bits(count: int, *, seed: int = 0, period_ratio: float = READ_PERIOD_RATIO, device: TelegraphMTJ | None = None,
                 stream: int | None = None):
    """Unbiased random bits from one device biased at P = 1/2, read every ``period_ratio * tau_c``.

    The entropy port of the accelerator (an LFSR-free SNG compares these bits,
    taken B at a time, with its threshold); co-simulation drives it with them.
    ``stream`` picks an independent run of the device (the ``entropy`` source
    uses one per image, so any image's bits can be made on their own).
    """
    dev = device or TelegraphMTJ()
    T = _positive(period_ratio, "period_ratio (T / tau_c)") * float(dev.correlation_time(dev.v_0))
    rng = generator(seed, RngTag.ENTROPY) if stream is None else generator(seed, RngTag.ENTROPY, stream)
    return dev.sample_bits(dev.v_0, T, count, rng)
