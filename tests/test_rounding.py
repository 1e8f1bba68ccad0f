"""Stochastic rounding: the NumPy definition, its unbiasedness with LFSR and sMTJ random numbers, and the
RTL unit on both simulators, equal to it value for value."""

from __future__ import annotations

import numpy as np
import pytest

from mtjsc.behavioral_models import randomness, rounding
from mtjsc.errors import MtjscError
from mtjsc.hdl.rounding import StochasticRounder
from mtjsc.sim import scoreboard

from test_hdl import SIMS, cosim


def test_definition_on_small_cases():
    # 5 / 4 = 1.25: rounds up (to 2) exactly when r < 1 (one of the four r values)
    assert rounding.stochastic([5] * 4, 2, [0, 1, 2, 3]).tolist() == [2, 1, 1, 1]
    # -3 / 4 = -0.75: floor -1, fraction 1/4 -> -1 + [r < 1]
    assert rounding.stochastic([-3] * 4, 2, [0, 1, 2, 3]).tolist() == [0, -1, -1, -1]
    assert rounding.nearest([5, 6, -6, -7], 2).tolist() == [1, 2, -1, -2]     # ties (6/4, -6/4) go up


def test_exact_mean_over_every_random_number():
    """Averaged over all 2^k random numbers, the rounded value times 2^k is x itself."""
    k = 5
    x = np.arange(-300, 300)
    r = np.arange(1 << k)
    y = rounding.stochastic(np.repeat(x, len(r)), k, np.tile(r, len(x))).reshape(len(x), -1)
    assert (y.sum(axis=1) == x).all()


@pytest.mark.parametrize("numbers", ["lfsr", "mtj"])
def test_unbiased_within_the_binomial_interval(numbers):
    """Mean rounding error of one value over N draws: each draw rounds up with probability f, so the
    number of ups is Binomial(N, f) and the mean error must sit within 4 standard deviations of 0."""
    k, N = 8, 20000
    r = randomness.lfsr_numbers(N, k, seed_state=12345) if numbers == "lfsr" else \
        randomness.mtj_numbers(N, k, seed=3, period_ratio=5.0)
    for x in (1, 77, 128, 200, -45):
        f = (x % (1 << k)) / (1 << k)
        err = rounding.stochastic(np.full(N, x), k, r) * (1 << k) - x       # in units of the input LSB
        sd = (1 << k) * np.sqrt(f * (1 - f) / N)
        assert abs(err.mean()) <= 4 * sd + 1e-12, (numbers, x, err.mean(), sd)
    assert rounding.nearest(np.full(4, 77), k).tolist() == [0] * 4       # nearest: always down (bias -77)


@pytest.mark.parametrize("make, match", [
    (lambda: StochasticRounder(width=8, drop=0), "dropped bits k=0 must be an integer in 1..7"),
    (lambda: StochasticRounder(width=8, drop=8), "dropped bits k=8 must be an integer in 1..7"),
    (lambda: StochasticRounder(width=1, drop=1), "rounder input width=1 must be an integer in 2..63"),
    (lambda: StochasticRounder(width=40, drop=20, lfsr_width=16), "B=20 exceeds the LFSR width 16"),
    (lambda: StochasticRounder(width=8, drop=2, source="trng"), "source='trng': choose lfsr"),
    (lambda: rounding.stochastic([1, 2], 2, [0, 4]), r"random numbers must lie in 0..3"),
    (lambda: rounding.stochastic([1, 2], 2, [0]), "give one per value"),
])
def test_bad_parameters(make, match):
    with pytest.raises(MtjscError, match=match):
        make()


@SIMS
def test_rounder_exhaustive_small_on_the_entropy_port(sim):
    """width 6, k = 3: every input value with every random number (512 clocks)."""
    c = StochasticRounder(width=6, drop=3, source="entropy")
    x, r = np.meshgrid(np.arange(-32, 32), np.arange(8))
    cosim(c, sim, "EntropyRounderTestbench", scoreboard.stochastic_rounder(c, x.ravel(), r=r.ravel()))


@SIMS
def test_rounder_with_its_lfsr_wide_random_inputs(sim):
    """width 32, k = 12, on-chip LFSR: random inputs (extremes included) with pauses of the enable."""
    c = StochasticRounder(width=32, drop=12, lfsr_width=32, seed=0xACE1)
    rng = np.random.default_rng(11)
    x = rng.integers(-(1 << 31), 1 << 31, 1500)
    x[:4] = [-(1 << 31), (1 << 31) - 1, 0, -1]
    en = (rng.random(1500) < 0.9).astype(np.int64)
    data = scoreboard.stochastic_rounder(c, x, en=en)
    assert len(set(data["expect_y"].tolist())) > 1000          # a stimulus that exercises the unit
    cosim(c, sim, "LfsrRounderTestbench", data)


@pytest.mark.parametrize("sim", ["icarus"])         # Verilator runs the same unit in the exhaustive test
def test_rounder_driven_with_mtj_bits_is_unbiased(sim):
    """The entropy port fed sMTJ-model numbers: RTL equals the reference, and its outputs' mean error
    for one value lies within the binomial interval."""
    k, N, x0 = 6, 3000, 21           # fraction 21/64
    c = StochasticRounder(width=12, drop=k, source="entropy")
    r = randomness.mtj_numbers(N, k, seed=8)
    out = cosim(c, sim, "EntropyRounderTestbench", scoreboard.stochastic_rounder(c, np.full(N, x0), r=r))
    y = np.array(scoreboard.as_ints(out["out_y"]), np.int64)
    y = np.where(y >= 1 << (12 - k), y - (1 << (12 - k + 1)), y)      # bit patterns back to signed
    f = x0 / (1 << k)
    err = y * (1 << k) - x0
    assert abs(err.mean()) <= 4 * (1 << k) * np.sqrt(f * (1 - f) / N)
