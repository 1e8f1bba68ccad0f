"""Coupled sMTJs (behavioral_models.ising) against exact statistical mechanics, and bad input."""

import json

import numpy as np
import pytest

from mtjsc.behavioral_models import ising
from mtjsc.cli import main
from mtjsc.errors import MtjscError
from mtjsc.studies.ising import coupling_sweep, broken_sweep


def test_uncoupled_devices_are_independent_at_p_one_half():
    m = ising.CoupledMtjs(g=np.zeros((3, 3)), currents=np.full(3, 0.5))
    assert np.allclose(m.device_currents(ising.all_states(3)), 0.5)
    assert np.allclose(m.stationary(), 1 / 8)


def test_circuit_solve_obeys_current_conservation():
    rng = np.random.default_rng(0)
    g = rng.uniform(0, 0.2, (5, 5))
    g = np.triu(g, 1) + np.triu(g, 1).T
    m = ising.CoupledMtjs(g=g, currents=rng.uniform(0.3, 0.7, 5))
    s = ising.all_states(5)[13]
    I = m.device_currents(s)
    V = I * (1 + m.rho * s)
    # source current = device current + currents out through the coupling resistors
    assert np.allclose(m.currents, I + (g * (V[:, None] - V[None, :])).sum(axis=1))


def test_stationary_distribution_is_the_null_vector_of_the_generator():
    m = ising.CoupledMtjs(g=ising.chain(5, 0.05, ring=True), currents=[0.5, 0.52, 0.5, 0.47, 0.5])
    pi = m.stationary()
    assert pi.min() > 0 and abs(pi.sum() - 1) < 1e-12
    assert np.abs(pi @ m.generator()).max() < 1e-12


def test_hermitian_chain_is_boltzmann_to_first_order_with_second_order_deviation():
    res = coupling_sweep(xs=(0.005, 0.01, 0.02, 0.04))
    rows = res["rows"]
    # first order: the fitted coupling tends to K = delta i* rho g
    assert abs(rows[0]["K_fit_nn"] / rows[0]["K_first_order"] - 1) < 0.03
    # second order: error, distance and next-nearest couplings grow as (g/G)^2
    for key in ("slope_coupling_error", "slope_tv", "slope_next_neighbour"):
        assert 1.6 < res[key] < 2.2, (key, res[key])
    assert rows[-1]["K_fit_nnn"] > 0          # ferromagnetic next-nearest coupling appears


def test_antiferromagnetic_coupling_for_negative_i_star():
    m = ising.CoupledMtjs(g=ising.chain(4, 0.02), currents=np.full(4, -0.5), i_star=-0.5)
    fit = ising.fit_ising(m.stationary(), 4)
    assert fit["K"][1, 2] < 0 and abs(fit["K"][1, 2] / ising.first_order_couplings(m)[1, 2] - 1) < 0.1


def test_detailed_balance_breaks_at_first_order_only_with_unequal_currents():
    res = broken_sweep(xs=(0.005, 0.01, 0.02, 0.04))["cases"]
    assert 0.85 < res["unequal currents"]["slope_cycle_ratio"] < 1.15       # violation linear in g/G
    assert res["hermitian"]["slope_cycle_ratio"] > 1.6                       # only second order
    assert res["i0 != i*"]["slope_cycle_ratio"] > 1.6                        # i0 != i* is a field at first order
    assert res["unequal currents"]["rows"][0]["max_cycle_log_ratio"] > \
        10 * res["hermitian"]["rows"][0]["max_cycle_log_ratio"]


@pytest.mark.parametrize("currents", [[0.5] * 5, [0.5, 0.55, 0.5, 0.45, 0.5]])
def test_event_driven_samples_pass_chi_square_against_the_exact_distribution(currents):
    m = ising.CoupledMtjs(g=ising.chain(5, 0.1, ring=True), currents=currents)
    sim = m.simulate(60_000, seed=3, sample_dt=2.0, record_states=True)
    idx = (sim["samples"] > 0) @ (1 << np.arange(5))
    res = ising.chi_square(np.bincount(idx, minlength=32), m.stationary())
    assert res["samples"] > 2500 and res["statistic"] < res["critical_999"], res
    assert ising.total_variation(sim["occupancy"], m.stationary()) < 0.03


def test_simulated_bulk_correlation_equals_the_exact_chain():
    m = ising.CoupledMtjs(g=ising.chain(10, 0.08), currents=np.full(10, 0.5))
    sim = m.simulate(60_000, seed=1, correlation_range=3, margin=2)
    exact = ising.exact_correlation(m, 3, margin=2)
    assert np.allclose(sim["correlation"], exact, atol=0.03), (sim["correlation"], exact)
    assert exact[1] > 0.25


def test_simulation_is_seeded():
    m = ising.CoupledMtjs(g=ising.chain(4, 0.05), currents=np.full(4, 0.5))
    a, b = m.simulate(500, seed=9), m.simulate(500, seed=9)
    assert a["time"] == b["time"] and np.array_equal(a["final"], b["final"])


@pytest.mark.parametrize("kwargs, message", [
    ({"g": [[0, 0.1], [0.2, 0]], "currents": [0.5, 0.5]}, "g is not symmetric: g\\[0, 1\\] = 0.1"),
    ({"g": [[0, -0.1], [-0.1, 0]], "currents": [0.5, 0.5]}, "g\\[0, 1\\] = -0.1 is negative"),
    ({"g": [[0.1, 0], [0, 0]], "currents": [0.5, 0.5]}, "zero diagonal"),
    ({"g": [[0, 0.1], [0.1, 0]], "currents": [0.5]}, "currents must be 2 finite values"),
    ({"g": [[0, 0.1], [0.1, 0]], "currents": [0.5, 0.5], "rho": 1.0}, "rho = 1 must be < 1"),
    ({"g": [[0, np.inf], [np.inf, 0]], "currents": [0.5, 0.5]}, "non-finite"),
])
def test_bad_circuits_are_rejected(kwargs, message):
    with pytest.raises(MtjscError, match=message):
        ising.CoupledMtjs(**kwargs)


def test_exact_solution_size_limit():
    with pytest.raises(MtjscError, match="use n <= 12"):
        ising.CoupledMtjs(g=ising.chain(13, 0.1), currents=np.full(13, 0.5)).generator()


def test_ising_command_writes_report(tmp_path, capsys):
    assert main(["ising", "--events", "2000", "--out", str(tmp_path)]) == 0
    res = json.loads((tmp_path / "ising.json").read_text())
    assert set(res) == {"coupling", "chain", "broken", "chi_square"}
    assert "second order: 2" in (tmp_path / "ising.md").read_text()
    assert (tmp_path / "ising.png").stat().st_size > 10_000
    assert main(["ising", "--events", "10", "--out", str(tmp_path)]) == 2
    assert "--events" in capsys.readouterr().err
