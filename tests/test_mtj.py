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
    (lambda: DEV.sample_bits(0.4, 1e-3, 0, np.random.default_rng()), "number of samples=0 must be an integer >= 1"),
    (lambda: DEV.trace(0.4, -1.0, 1e-3, np.random.default_rng()), "duration=-1.0"),
    (lambda: DEV.bias_for([0.5, 1.0]), r"strictly inside \(0, 1\)"),
    (lambda: DEV.bias_for([-0.1]), r"strictly inside \(0, 1\)"),
    (lambda: TelegraphMTJ(tau0=0), "tau0=0 must be a positive"),
    (lambda: TelegraphMTJ(delta=-3), "delta=-3"),
])
def test_bad_input(call, match):
    with pytest.raises(MtjscError, match=match):
        call()


# ---------------------------------------------------------------- calibration, variation, the mtj source

from mtjsc.behavioral_models.mtj import Calibration, Population, Variation   # noqa: E402
from mtjsc.behavioral_models.sources import MtjSource, make_source           # noqa: E402


def test_calibration_levels_and_range():
    cal = Calibration(DEV, levels=30)
    assert len(cal.biases) == 30 and cal.probabilities[0] == pytest.approx(0.03)
    assert cal.probabilities[-1] == pytest.approx(0.97) and np.all(np.diff(cal.probabilities) > 0)
    assert cal.level_of_bias(cal.biases[7]) == 7
    assert cal.probabilities[cal.level_for(0.5)] == pytest.approx(0.5, abs=0.04)
    with pytest.raises(MtjscError, match="outside the calibrated range"):
        cal.level_of_bias(cal.biases[-1] + 0.2)
    fine = cal.xnor_probabilities()
    assert len(fine) > 4 * cal.levels and fine.min() >= 0 and fine.max() <= 1   # XNOR of two devices


@pytest.mark.parametrize("kw, match", [
    ({"levels": 1}, "levels=1 must be an integer >= 2"),
    ({"p_range": (0.5, 0.2)}, "p_range"),
    ({"p_range": (0.0, 0.9)}, "p_range"),
])
def test_calibration_bad_input(kw, match):
    with pytest.raises(MtjscError, match=match):
        Calibration(DEV, **kw)


def test_population_is_seeded_and_spread():
    a = Population.draw(DEV, Variation(), 5000, np.random.default_rng(1))
    b = Population.draw(DEV, Variation(), 5000, np.random.default_rng(1))
    assert np.array_equal(a.delta, b.delta)
    assert a.delta.std() / DEV.delta == pytest.approx(0.05, rel=0.1)
    assert a.v_0.std() == pytest.approx(0.02, rel=0.1)
    with pytest.raises(MtjscError, match="sigma_v0=-1"):
        Variation(sigma_v0=-1)


@pytest.mark.parametrize("ratio", [0.5, 2.0])
def test_mtj_source_streams_have_device_statistics(ratio):
    """Without variation, mtj-source streams match TelegraphMTJ.sample_bits: mean and lag-1 correlation."""
    src = MtjSource(seed=0, period_ratio=ratio, variation=Variation(0, 0, 0), xnor=False)
    target = 0.3
    bits = src.weight_bits(0, np.full((40, 50), target), 2000).reshape(2000, -1).astype(float)
    p = src.dac.probabilities[src.dac.level_for(target)]
    v = DEV.bias_for(p)
    rho = float(DEV.autocorrelation(v, src.period))
    assert bits.mean() == pytest.approx(p, abs=0.01)
    r = np.mean([np.corrcoef(bits[1:, i], bits[:-1, i])[0, 1] for i in range(bits.shape[1])])
    assert r == pytest.approx(rho, abs=0.02)
    ref = DEV.sample_bits(v, src.period, 400000, np.random.default_rng(1)).astype(float)
    assert np.corrcoef(ref[1:], ref[:-1])[0, 1] == pytest.approx(rho, abs=0.01)


def test_mtj_source_ties_constant_streams_and_is_seeded():
    src = make_source("mtj", seed=4)
    p = np.array([[0.0, 1.0, 0.5, 0.7] + [0.5] * 781])
    a = src.input_bits([3], p, 128)
    assert not a[0, :, 0].any() and a[0, :, 1].all()
    assert np.array_equal(a, make_source("mtj", seed=4).input_bits([3], p, 128))
    assert not np.array_equal(a, make_source("mtj", seed=5).input_bits([3], p, 128))


def test_mtj_source_bad_options():
    with pytest.raises(MtjscError, match="period_ratio"):
        make_source("mtj", period_ratio=0)
    with pytest.raises(MtjscError, match="calibration='magic'"):
        make_source("mtj", calibration="magic")


def test_mtj_xnor_pairs_resolve_weights_finer():
    targets = np.linspace(0.05, 0.95, 400).reshape(20, 20)
    src = MtjSource(seed=1, period_ratio=5.0)
    single = src.dac.probabilities[src.dac.level_for(targets)]
    pair = src._pair_p[np.abs(targets.ravel()[:, None] - src._pair_p[None, :]).argmin(1)].reshape(targets.shape)
    assert np.abs(pair - targets).max() < 0.3 * np.abs(single - targets).max()
    bits = src.weight_bits(0, targets, 3000)
    assert np.abs(bits.mean(0) - pair).max() < 0.05     # 3000 nearly independent samples per stream


def test_mtj_pool_streams_are_rotated_pool_segments():
    from mtjsc.behavioral_models.sources import MtjPoolSource
    src = MtjPoolSource(seed=2, pool_bits=256, segments=8)
    p = np.full((3, 4), 0.62)
    bits = src.weight_bits(0, p, 64)                         # 8 segments of 8 bits
    pool = src.pools(1)[src.dac.level_for(0.62)]
    doubled = np.r_[pool, pool]
    for stream in bits.reshape(64, -1).T:
        for g in range(8):
            seg = stream[8 * g: 8 * g + 8]
            assert any(np.array_equal(seg, doubled[s:s + 8]) for s in range(256))
    assert src.pools(1).mean(axis=1) == pytest.approx(src.dac.probabilities, abs=0.08)
    same = MtjPoolSource(seed=2, pool_bits=256, segments=8).weight_bits(0, p, 64)
    assert np.array_equal(bits, same)
    with pytest.raises(MtjscError, match="segments=0 must be an integer >= 1"):
        MtjPoolSource(segments=0)


def test_temperature_scales_the_barrier_and_entropy_bits_are_unbiased():
    hot = TelegraphMTJ(temperature=330.0)
    assert hot.delta_t == pytest.approx(DEV.delta * 300 / 330)
    assert hot.dwell_means(hot.v_0)[0] < DEV.dwell_means(DEV.v_0)[0]       # hotter: faster switching
    from mtjsc.behavioral_models.mtj import entropy_bits
    b = entropy_bits(100000, seed=3)
    assert abs(b.mean() - 0.5) < 4 * math.sqrt(0.25 / 100000)
    assert np.array_equal(b, entropy_bits(100000, seed=3))
    with pytest.raises(MtjscError, match="temperature=0"):
        TelegraphMTJ(temperature=0)
