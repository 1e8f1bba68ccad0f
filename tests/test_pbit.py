"""The p-bit Ising machine: NumPy model, PbitMachine RTL equal to it sample for sample on both
simulators (LFSR and entropy-port random numbers), problems solved, the report command, bad input."""

import json
from pathlib import Path

import numpy as np
import pytest

from mtjsc.behavioral_models import lfsr, mtj, pbit
from mtjsc.cli import main
from mtjsc.errors import MtjscError
from mtjsc.hdl.pbit import PbitMachine
from mtjsc.sim import runner
from mtjsc.sim.network import pbit_cosim

BUILD = Path(__file__).resolve().parents[1] / "build" / "cosim"


@pytest.fixture(scope="module")
def maxcut12():
    return pbit.maxcut_problem(pbit.random_graph(12, 3.0, seed=1))


def test_model_update_is_the_stated_rule(maxcut12):
    """One sweep by hand from the definition: colour by colour, I = J m + h, m = [R < q(I)]."""
    sch = pbit.Schedule((0.7,), 1, bits=8)
    r = pbit.run(maxcut12, sch, seed=4)
    m = pbit.initial_state(maxcut12, 4).copy()
    R = lfsr.generate(pbit.lfsr_seeds(maxcut12, sch, 4), 32, 8, 1)[0]
    for idx in maxcut12.groups:
        s = 2 * m.astype(int) - 1
        for i in idx:
            I = int(maxcut12.J[i] @ s + maxcut12.h[i])
            q = int(np.rint((1 + np.tanh(0.7 * I)) / 2 * 256))
            m[i] = R[i] < q
    assert np.array_equal(r["states"][0, 0], m)


def test_sampling_matches_boltzmann_at_fixed_beta():
    """At fixed beta the coloured Gibbs sampler's stationary law is exp(-beta E) up to the 2^-B table."""
    J = np.array([[0, 2, 0, -1], [2, 0, 1, 0], [0, 1, 0, 3], [-1, 0, 3, 0]])
    prob = pbit.PbitProblem(J=J, h=np.array([1, 0, -1, 0]))
    beta = 0.4
    r = pbit.run(prob, pbit.Schedule((beta,), 20000, bits=12), seed=1, replicas=4, rng="numpy")
    S = (r["states"][:, 100:].reshape(-1, 4) @ (1 << np.arange(4)))
    freq = np.bincount(S, minlength=16) / len(S)
    states = ((np.arange(16)[:, None] >> np.arange(4)) & 1).astype(bool)
    w = np.exp(-beta * prob.energy(states))
    assert np.abs(freq - w / w.sum()).max() < 0.01


def test_slot_lfsr_model_is_the_stated_rule(maxcut12):
    """rng="slot-lfsr" by hand: slot k's LFSR gives its u-th number to the k-th p-bit of the colour of update u."""
    sch = pbit.Schedule((0.7,), 2, bits=8)
    r = pbit.run(maxcut12, sch, seed=4, rng="slot-lfsr")
    groups = maxcut12.groups
    R = lfsr.generate(pbit.slot_seeds(maxcut12, sch, 4), 32, 8, 2 * len(groups))
    assert R.shape[1] == max(len(g) for g in groups)
    m = pbit.initial_state(maxcut12, 4).copy()
    for sweep in range(2):
        for c, idx in enumerate(groups):
            s = 2 * m.astype(int) - 1
            for k, i in enumerate(idx):
                I = int(maxcut12.J[i] @ s + maxcut12.h[i])
                m[i] = R[sweep * len(groups) + c, k] < int(np.rint((1 + np.tanh(0.7 * I)) / 2 * 256))
        assert np.array_equal(r["states"][0, sweep], m)
    assert not np.array_equal(r["states"], pbit.run(maxcut12, sch, seed=4, rng="lfsr")["states"])


@pytest.mark.parametrize("units, rng", [("slot", "lfsr"), ("pbit", "lfsr"), ("slot", "slot-lfsr")])
@pytest.mark.parametrize("sim", ["icarus"])       # Verilator runs the same machine with the entropy port below
def test_rtl_equals_model_every_sweep_lfsr(maxcut12, sim, units, rng):
    sch = pbit.Schedule.linear(0.2, 2.0, 4, sweeps_per_stage=3)
    r = pbit_cosim(maxcut12, sch, seed=3, simulator=sim, units=units, rng=rng, build_root=BUILD)
    assert r["bit_exact"] and r["rtl_states"].shape == (12, 12)
    assert r["clocks"] == sch.sweeps * len(maxcut12.groups)          # one clock per colour
    assert len({tuple(s) for s in r["rtl_states"]}) > 3               # the state moves


@pytest.mark.parametrize("sim, control_fanout", [("icarus", 64), ("verilator", 64), ("verilator", 2)])
def test_rtl_equals_model_with_mtj_entropy_and_a_stalling_port(maxcut12, sim, control_fanout):
    sch = pbit.Schedule.linear(0.2, 2.0, 3, sweeps_per_stage=2)
    bits = mtj.entropy_bits(sch.sweeps * len(maxcut12.groups) * 8 * 8, seed=2)
    r = pbit_cosim(maxcut12, sch, seed=1, simulator=sim, rng="entropy", entropy=bits, idle=0.3,
                   control_fanout=control_fanout, build_root=BUILD)
    assert r["bit_exact"] and r["clocks"] > sch.sweeps * len(maxcut12.groups)   # it waited for entropy


@pytest.mark.parametrize("sim, units, rng", [("icarus", "slot", "lfsr"), ("verilator", "pbit", "slot-lfsr")])
def test_control_copies_keep_the_machine_sample_for_sample(maxcut12, sim, units, rng):
    """One copy of colour, stage and running per slot (the most copies there can be)."""
    sch = pbit.Schedule.linear(0.2, 2.0, 4, sweeps_per_stage=3)
    assert PbitMachine(problem=maxcut12, schedule=sch, control_fanout=1).control_copies > 3
    r = pbit_cosim(maxcut12, sch, seed=3, simulator=sim, units=units, rng=rng, control_fanout=1,
                   build_root=BUILD)
    assert r["bit_exact"] and r["clocks"] == sch.sweeps * len(maxcut12.groups)


def test_yosys_keeps_every_control_copy(maxcut12, tmp_path):
    """Each copy has its own feedback, so synthesis cannot merge it into the others: the ECP5
    flip-flops grow by (copies - 1) x (colour bits + stage bits + running): copy 0 is the machine's own."""
    from mtjsc.area import synth as area
    sch = pbit.Schedule.linear(0.2, 2.0, 4, sweeps_per_stage=3)
    one, many = (PbitMachine(problem=maxcut12, schedule=sch, rng="slot-lfsr", control_fanout=f) for f in (64, 1))
    assert (one.control_copies, many.control_copies) == (1, many.size)
    ff = [area.synthesize(mach, f"pbit_copies{mach.control_copies}", "ecp5", cache_root=tmp_path)["total"]["ff"]
          for mach in (one, many)]
    per_copy = (len(maxcut12.groups) - 1).bit_length() + (len(sch.betas) - 1).bit_length() + 1
    assert ff[1] - ff[0] == (many.control_copies - 1) * per_copy


@pytest.mark.parametrize("sim, rng", [("icarus", "lfsr"), ("verilator", "slot-lfsr")])
def test_rtl_runs_the_factoring_problem_of_35(sim, rng):
    f = pbit.Factoring(35, 3, 3)
    sch = pbit.Schedule.linear(0.02, 0.3, 4, sweeps_per_stage=5, bits=12)
    r = pbit_cosim(f.problem, sch, seed=0, simulator=sim, rng=rng, build_root=BUILD)
    assert r["bit_exact"]


def test_a_wrong_table_entry_is_caught(maxcut12, monkeypatch):
    """Mutation: the model's table gets one entry one step off; the RTL keeps the true table."""
    sch = pbit.Schedule.linear(0.2, 2.0, 4, sweeps_per_stage=3)
    real = pbit.Schedule.table

    def off_by_one(self, max_input):
        t = real(self, max_input).copy()
        t[:, max_input - 1:max_input + 2] += 40        # I in -1..1 (every node sees one of them)
        return np.minimum(t, 1 << self.bits)
    monkeypatch.setattr(pbit.Schedule, "table", off_by_one)
    data_ref = pbit.run(maxcut12, sch, seed=3)
    monkeypatch.undo()
    monkeypatch.setattr(PbitMachine, "reference", lambda self, entropy=None: data_ref)
    with pytest.raises(runner.CosimFailure, match="sweep .*: p-bit"):
        pbit_cosim(maxcut12, sch, seed=3, simulator="icarus", build_root=BUILD)


def test_maxcut_brute_force_and_local_search_agree_on_small_graphs():
    A = pbit.random_graph(12, 4.0, seed=3)
    assert pbit.local_search_maxcut(A, restarts=50) <= pbit.brute_force_maxcut(A)
    # all 2^12 states' cuts, directly
    m = ((np.arange(4096)[:, None] >> np.arange(12)) & 1).astype(bool)
    assert pbit.brute_force_maxcut(A) == int(pbit.cut_value(A, m).max())


def test_factoring_encoding_ground_states_are_the_factor_pairs():
    f = pbit.Factoring(35, 3, 3)
    n = f.problem.n
    states = ((np.arange(1 << n)[:, None] >> np.arange(n)) & 1).astype(bool)
    E = f.qubo.value(states)
    assert E.min() == 0
    p, q = f.factors(states[E == 0])
    assert sorted(zip(p.tolist(), q.tolist())) == [(5, 7), (7, 5)]
    # the Ising form is 4 x the QUBO up to a constant
    e_ising = f.problem.energy(states)
    assert np.allclose(e_ising - 4 * E, (e_ising - 4 * E)[0])


def test_annealing_solves_small_maxcut_instances():
    ok = 0
    for k in range(10):
        A = pbit.random_graph(16, 4.0, seed=100 + k)
        r = pbit.run(pbit.maxcut_problem(A), pbit.Schedule.linear(0.1, 3.0, 50, 4), seed=k)
        ok += int(pbit.cut_value(A, r["states"][0]).max() == pbit.brute_force_maxcut(A))
    assert ok >= 9


def test_pbit_command_writes_report(tmp_path):
    assert main(["pbit", "--instances", "3", "--large-n", "60", "--replicas", "20", "--rng", "slot-lfsr",
                 "--out", str(tmp_path)]) == 0
    res = json.loads((tmp_path / "pbit.json").read_text())
    assert res["maxcut_small"]["instances"] == 3 and len(res["factoring"]["cases"]) == 3
    assert res["maxcut_small"]["rng"] == "slot-lfsr" and "(`slot-lfsr` random numbers)" in (tmp_path / "pbit.md").read_text()
    assert res["factoring"]["cases"][0]["success"][-1] == 1.0          # 35 is always factored
    assert "invertible multiplier" in (tmp_path / "pbit.md").read_text()
    assert (tmp_path / "pbit.png").stat().st_size > 10_000


@pytest.mark.parametrize("kwargs, message", [
    ({"J": [[0, 1], [2, 0]]}, "J is not symmetric: J\\[0, 1\\] = 1 but J\\[1, 0\\] = 2"),
    ({"J": [[0, 300], [300, 0]]}, "outside the 8-bit fixed point"),
    ({"J": [[0, 1, 1], [1, 0, 1], [1, 1, 0]], "colours": [0, 0, 1]}, "the colouring is not proper: p-bits 0 and 1"),
    ({"J": [[0, 0.5], [0.5, 0]]}, "J must hold integers"),
    ({"J": [[1, 0], [0, 0]]}, "zero diagonal"),
    ({"J": np.full((40, 40), 120) - np.diag(np.full(40, 120)), "weight_bits": 8}, "beyond the lookup table"),
])
def test_bad_problems_are_rejected(kwargs, message):
    with pytest.raises(MtjscError, match=message):
        pbit.PbitProblem(**kwargs)


def test_bad_schedules_and_inputs_are_rejected(maxcut12):
    with pytest.raises(MtjscError, match="must be finite and >= 0"):
        pbit.Schedule((0.1, float("inf")))
    with pytest.raises(MtjscError, match="do not fit a 8-bit LFSR"):
        pbit.Schedule((0.1,), bits=12, lfsr_width=8)
    with pytest.raises(MtjscError, match="entropy bits given, the run needs"):
        pbit.run(maxcut12, pbit.Schedule((0.1,), 2), rng="entropy", entropy=np.zeros(10, bool))
    with pytest.raises(MtjscError, match="rng='mtj'"):
        PbitMachine(problem=maxcut12, schedule=pbit.Schedule((0.1,)), rng="mtj")
    with pytest.raises(MtjscError, match="units='lut'.*slot, pbit"):
        PbitMachine(problem=maxcut12, schedule=pbit.Schedule((0.1,)), units="lut")
    with pytest.raises(MtjscError, match="control_fanout"):
        PbitMachine(problem=maxcut12, schedule=pbit.Schedule((0.1,)), control_fanout=0)
    with pytest.raises(MtjscError, match="N = 36 is even"):
        pbit.Factoring(36, 3, 3)
