"""The trainer's APC statistics equal the golden APC's: exact mean and variance by enumeration."""

import itertools

import numpy as np
import pytest

from mtjsc.behavioral_models.apc_moments import ApcMoments
from mtjsc.behavioral_models.golden import apc_count


def enumerate_moments(x, kind):
    """Mean and variance of 2c - n over every product pattern, weighted by its probability."""
    n = len(x)
    p = (1 + np.asarray(x)) / 2
    mean = sq = 0.0
    for bits in itertools.product((0, 1), repeat=n):
        b = np.array(bits)
        w = float(np.prod(np.where(b, p, 1 - p)))
        step = 2 * apc_count(bits, kind) - n
        mean += w * step
        sq += w * step * step
    return mean, sq - mean * mean


@pytest.mark.parametrize("kind", ["exact", "approx"])
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 8, 9])
def test_moments_equal_enumeration(kind, n):
    rng = np.random.default_rng(n)
    V = rng.uniform(-1, 1, (3, n))
    w = rng.uniform(-1, 1, (2, n))
    d, var, _ = ApcMoments(n, kind).forward(V, w)
    for b in range(3):
        for j in range(2):
            m, v = enumerate_moments(V[b] * w[j], kind)
            assert d[b, j] == pytest.approx(m, abs=1e-10)
            assert var[b, j] == pytest.approx(v, abs=1e-10)


@pytest.mark.parametrize("kind", ["exact", "approx"])
@pytest.mark.parametrize("n", [7, 10, 785])
def test_gradient_matches_finite_differences(kind, n):
    rng = np.random.default_rng(0)
    V = rng.uniform(-1, 1, (4, n))
    w = rng.uniform(-1, 1, (3, n))
    gd, gv = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    mom = ApcMoments(n, kind)

    def f(w_):
        d, var, _ = mom.forward(V, w_)
        return float((gd * d).sum() + (gv * var).sum())

    _, _, cache = mom.forward(V, w)
    grad = mom.backward(cache, gd, gv)
    for (r, c) in [(0, 0), (1, 1), (2, n - 1), (0, n // 2), (1, n - 2)]:
        e = np.zeros_like(w)
        e[r, c] = 1e-6
        num = (f(w + e) - f(w - e)) / 2e-6
        assert grad[r, c] == pytest.approx(num, rel=1e-5, abs=1e-6)


def test_approx_is_biased_unless_pairs_match():
    """An OR pair overcounts what the next AND pair undercounts only when all four probabilities
    are equal; otherwise the approximate count is biased."""
    mom = ApcMoments(4, "approx")
    same = np.array([[0.3, 0.3, 0.3, 0.3]])
    diff = np.array([[0.9, -0.6, 0.5, -0.7]])
    ones = np.ones((1, 4))
    d_same, _, _ = mom.forward(same, ones)
    d_diff, _, _ = mom.forward(diff, ones)
    assert d_same[0, 0] == pytest.approx(same.sum())      # 2(2p - p^2) + 2 p^2 = 4 p
    assert d_diff[0, 0] != pytest.approx(diff.sum())
