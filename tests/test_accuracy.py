"""Accuracy of the shipped models on the full 10,000-image test set (golden model, seed 0).

The floors are the targets of the foundation issue (97.0, 97.9, 98.3 %); they
are accuracy floors, not tolerances on bit-exactness (tests/test_golden.py
checks that with equality). Seed 0 is deterministic, so a broken engine,
source or model file that loses accuracy fails here.
"""

import numpy as np
import pytest

from mtjsc.behavioral_models.golden import run_network
from mtjsc.behavioral_models.sources import make_source


def accuracy(model, test_set, source, L, seed=0, **opts):
    r = run_network(model, test_set.pixels(), source=make_source(source, seed=seed, **opts), L=L)
    return float(np.mean(r.classes == test_set.labels))


@pytest.mark.parametrize("name, L, floor", [
    ("L64", 64, 0.970),
    ("L256", 256, 0.979),
    ("L1024", 1024, 0.983),
])
def test_shipped_model_accuracy(shipped, test_set, name, L, floor):
    assert accuracy(shipped[name], test_set, "ideal", L) >= floor


@pytest.mark.parametrize("name, L, floor", [
    ("approx_L64", 64, 0.965),       # the exact-APC floors less the allowance (0.5 / 0.3 / 0.3)
    ("approx_L256", 256, 0.976),
    pytest.param("approx_L1024", 1024, 0.980, marks=pytest.mark.slow),   # 26 s; the CI budget keeps L64, L256
])
def test_shipped_approx_model_accuracy(shipped, test_set, name, L, floor):
    """Models trained for the approximate APC, run on it (golden model, full test set, seed 0)."""
    assert shipped[name].apc == "approx"
    r = run_network(shipped[name], test_set.pixels(), source=make_source("ideal", seed=0), L=L, apc="approx")
    assert float(np.mean(r.classes == test_set.labels)) >= floor


@pytest.mark.parametrize("name, L", [("L256", 256),
                                     # L = 1024 (80 s) runs with three seeds in tests/test_slow.py
                                     pytest.param("L1024", 1024, marks=pytest.mark.slow)])
def test_lfsr_is_close_to_ideal(shipped, test_set, name, L):
    ideal = np.mean([accuracy(shipped[name], test_set, "ideal", L, seed=s) for s in (0, 1)])
    lfsr = np.mean([accuracy(shipped[name], test_set, "lfsr", L, seed=s) for s in (0, 1)])
    assert lfsr >= ideal - 0.003


@pytest.mark.slow      # 43 s; tests/test_slow.py checks the collapse on every seed
def test_paper_model_collapses_at_short_streams(shipped, test_set):
    paper = shipped["paper"]
    a64 = accuracy(paper, test_set, "ideal", 64)
    a1024 = accuracy(paper, test_set, "ideal", 1024)
    assert a1024 >= 0.93
    assert a64 < 0.6 < a1024       # K = 2n cannot settle in 64 bits
