"""Behavioral sMTJ model: telegraph statistics with fixed seeds (issue 4, first part)."""

import math

import numpy as np
import pytest

from mtjsc.behavioral_models.mtj import TelegraphMTJ
from mtjsc.errors import MtjscError

DEV = TelegraphMTJ()
TC = float(DEV.correlation_time(DEV.v_0))


def ks_exponential(x, mean) -> float:
    """Kolmogorov-Smirnov distance of sample ``x`` from Exp(mean)."""
    x = np.sort(np.asarray(x))
    n = len(x)
    cdf = 1.0 - np.exp(-x / mean)
    return float(max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n)))


def test_defaults_match_the_paper():
    assert DEV.delta < 16                                   # energy barrier < 16 kT
    assert DEV.dwell_means(DEV.v_0)[0] == pytest.approx(5e-3)   # ~5 ms retention at balance
    assert 200e3 < DEV.r_p < 250e3 and DEV.r_ap / DEV.r_p == pytest.approx(2.3)
    lo, hi = DEV.bias_for([0.05, 0.95])
    assert 0 <= lo < hi < 1.0                               # < 1 V sweeps 5 % -> 95 %
    assert DEV.p_parallel(hi) == pytest.approx(0.95)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dwell_times_are_exponential(p):
    rng = np.random.default_rng(1)
    v = DEV.bias_for(p)
    d = DEV.dwell_times(v, 20000, rng)
    tp, tap = DEV.dwell_means(v)
    for sample, mean in ((d[0::2], tp), (d[1::2], tap)):
        assert ks_exponential(sample, float(mean)) < 1.36 / math.sqrt(len(sample))   # 5 % KS level


@pytest.mark.parametrize("p", [0.05, 0.3, 0.5, 0.9])
def test_sampled_probability_in_binomial_interval(p):
    rng = np.random.default_rng(2)
    v = DEV.bias_for(p)
    n = 200000
    bits = DEV.sample_bits(v, 20 * TC, n, rng)        # T >> tau_c: nearly independent samples
    assert abs(bits.mean() - p) < 4 * math.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("ratio", [0.2, 1.0, 3.0])
@pytest.mark.parametrize("p", [0.5, 0.2])
def test_autocorrelation_matches_theory(ratio, p):
    rng = np.random.default_rng(3)
    v = DEV.bias_for(p)
    T = ratio * float(DEV.correlation_time(v))
    x = DEV.sample_bits(v, T, 400000, rng).astype(float)
    for lag in (1, 2):
        r = np.corrcoef(x[lag:], x[:-lag])[0, 1]
        assert r == pytest.approx(float(DEV.autocorrelation(v, T)) ** lag, abs=0.01)


def test_run_sampler_equals_dwell_time_sampler():
    """The fast geometric-run sampler and the exponential-dwell trace give the same statistics."""
    v = DEV.bias_for(0.3)
    T = 0.7 * float(DEV.correlation_time(v))
    a = DEV.sample_bits(v, T, 300000, np.random.default_rng(4))
    b = DEV.sample_bits_from_dwells(v, T, 300000, np.random.default_rng(5))

    def run_means(bits):
        edges = np.flatnonzero(np.diff(bits.astype(np.int8))) + 1
        runs = np.diff(np.r_[0, edges, len(bits)])
        vals = bits[np.r_[0, edges]]
        return runs[vals].mean(), runs[~vals].mean()

    for ra, rb in zip(run_means(a), run_means(b)):
        assert ra == pytest.approx(rb, rel=0.03)
    assert a.mean() == pytest.approx(b.mean(), abs=0.01)


def test_seeded_and_deterministic():
    v = DEV.bias_for(0.4)
    a = DEV.sample_bits(v, TC, 1000, np.random.default_rng(9))
    b = DEV.sample_bits(v, TC, 1000, np.random.default_rng(9))
    assert np.array_equal(a, b)


def test_trace_and_energy():
    rng = np.random.default_rng(6)
    t, states, r = DEV.trace(DEV.v_0, 1.0, 1e-3, rng, noise=0.02)
    assert len(t) == len(states) == len(r) == 1000
    assert np.allclose(r[states].mean(), DEV.r_p, rtol=0.01) and np.allclose(r[~states].mean(), DEV.r_ap, rtol=0.01)
    p = float(DEV.p_parallel(1.0))
    assert DEV.energy_per_bit(1.0, 10e-9) == pytest.approx((p / DEV.r_p + (1 - p) / DEV.r_ap) * 10e-9)


@pytest.mark.parametrize("call, match", [
    (lambda: DEV.sample_bits(0.4, 0.0, 10, np.random.default_rng()), "sampling period T=0.0 must be a positive"),
    (lambda: DEV.sample_bits(0.4, -1e-3, 10, np.random.default_rng()), "sampling period T=-0.001"),
    (lambda: DEV.sample_bits(0.4, 1e-3, 0, np.random.default_rng()), "number of samples 0"),
    (lambda: DEV.trace(0.4, -1.0, 1e-3, np.random.default_rng()), "duration=-1.0"),
    (lambda: DEV.bias_for([0.5, 1.0]), r"strictly inside \(0, 1\)"),
    (lambda: DEV.bias_for([-0.1]), r"strictly inside \(0, 1\)"),
    (lambda: TelegraphMTJ(tau0=0), "tau0=0 must be a positive"),
    (lambda: TelegraphMTJ(delta=-3), "delta=-3"),
])
def test_bad_input(call, match):
    with pytest.raises(MtjscError, match=match):
        call()
