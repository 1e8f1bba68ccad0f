"""Fault injection (`mtjsc.studies.faults`): faults land in what the hardware stores, the accelerator's memories
hold them bit for bit, the study and its command, bad input."""

import json
from pathlib import Path

import numpy as np
import pytest

from mtjsc.studies import faults
from mtjsc.behavioral_models.sources import make_source
from mtjsc.cli import main
from mtjsc.config import ScConfig
from mtjsc.errors import MtjscError
from mtjsc.behavioral_models.fixed import shipped_fixed
from mtjsc.hdl.accelerator import ScMlpAccelerator

BUILD = Path(__file__).resolve().parents[1] / "build" / "cosim"
B = 8


def test_a_threshold_round_trips_through_its_weight():
    """Every B-bit threshold 0..2^B becomes a weight whose threshold is that value again."""
    from mtjsc.behavioral_models import lfsr
    from mtjsc.behavioral_models.coding import bipolar_to_p
    q = np.arange((1 << B) + 1)
    assert np.array_equal(lfsr.sng_threshold(bipolar_to_p(faults.weights_for_thresholds(q, B)), B), q)


def test_seu_flips_the_stored_threshold_bits(shipped):
    model = shipped["L64"]
    q0 = faults.thresholds(model, B)
    same, info = faults.inject_sc(model, "seu", 0.0, seed=1)
    assert info["faults"] == 0 and all(np.array_equal(a, b) for a, b in zip(faults.thresholds(same, B), q0))
    every, info = faults.inject_sc(model, "seu", 1.0, seed=1)           # all nine bits of every threshold
    assert info["faults"] == info["of"] == 9 * sum(q.size for q in q0)
    for a, b in zip(faults.thresholds(every, B), q0):
        assert np.array_equal(a, np.minimum(b ^ 0x1FF, 1 << B))
    some, info = faults.inject_sc(model, "seu", 0.01, seed=1)
    # below 2^B a threshold is its flipped word; a word of 2^B or more is stored as 2^B (always 1)
    changed = sum(int(np.bitwise_count(a ^ b)[a < 1 << B].sum()) for a, b in zip(faults.thresholds(some, B), q0))
    assert 0 < changed <= info["faults"]
    assert abs(info["faults"] / info["of"] - 0.01) < 0.001
    guarded, info = faults.inject_sc(model, "seu", 1.0, seed=1, protect=2)     # bits 7 and 8 kept
    assert info["faults"] == info["of"] == 7 * sum(q.size for q in q0)
    for a, b in zip(faults.thresholds(guarded, B), q0):
        assert np.array_equal(a, np.minimum(b ^ 0x7F, 1 << B))
    assert faults.inject_sc(model, "seu", 1.0, protect=9)[1]["faults"] == 0
    again, _ = faults.inject_sc(model, "seu", 0.01, seed=1)
    other, _ = faults.inject_sc(model, "seu", 0.01, seed=2)
    assert np.array_equal(again.w1, some.w1) and not np.array_equal(other.w1, some.w1)


def test_stuck_sngs_are_all_zero_or_all_one(shipped):
    model = shipped["L64"]
    stuck, info = faults.inject_sc(model, "stuck", 1.0, seed=0)
    q = np.concatenate([t.ravel() for t in faults.thresholds(stuck, B)])
    assert info["faults"] == info["of"] == q.size and set(np.unique(q)) == {0, 1 << B}
    assert 0.45 < (q == 0).mean() < 0.55


def test_the_accelerator_memories_hold_the_faulty_thresholds(shipped):
    model, _ = faults.inject_sc(shipped["L64"], "seu", 0.02, seed=3)
    cfg = ScConfig.from_model(model, L=64, parallel_neurons=8, input_lanes=32)
    acc = ScMlpAccelerator(model=model, config=cfg)
    s = acc.schedule
    for layer, q in enumerate(faults.thresholds(model, B)):
        P, W, G, C = (s.P, s.W, s.G1, s.C1) if layer == 0 else (s.P2, s.W2, s.G2, s.C2)
        words = acc.weight_words(layer)                 # per neuron slot p: one word per (group, chunk)
        for p in range(P):
            for g in range(G):
                for c in range(C):
                    j = g * P + p
                    if j >= q.shape[0]:
                        continue
                    word = words[p][g * C + c]
                    got = [(word >> (l * (B + 1))) & 0x1FF for l in range(min(W, q.shape[1] - c * W))]
                    assert got == q[j, c * W:c * W + len(got)].tolist()


def test_binary_weight_upsets():
    fixed = shipped_fixed(8, 8)
    same, info = faults.inject_fixed(fixed, 0.0)
    assert info["faults"] == 0 and np.array_equal(same.q1, fixed.q1)
    every, info = faults.inject_fixed(fixed, 1.0)
    assert np.array_equal(every.q1, -fixed.q1 - 1) and np.array_equal(every.q2, -fixed.q2 - 1)   # ~q
    assert info["faults"] == info["of"] == 8 * (fixed.q1.size + fixed.q2.size)
    assert np.array_equal(fixed.q1, shipped_fixed(8, 8).q1)           # the original is untouched


def test_stream_flips_invert_weight_bits_and_nothing_else(shipped):
    cfg = ScConfig.from_model(shipped["L64"], L=16)
    base = make_source("lfsr", seed=0, config=cfg)
    p = np.full((3, 5), 0.3)
    bits = base.weight_bits(0, p, 16)
    assert np.array_equal(faults.WeightBitFlips(base, 1.0).weight_bits(0, p, 16), ~bits)
    assert np.array_equal(faults.WeightBitFlips(base, 0.0).weight_bits(0, p, 16), bits)
    assert faults.WeightBitFlips(base, 0.5).name == base.name            # the rest is the base source's


def test_faults_command_writes_a_report_in_which_faults_cost_accuracy(tmp_path):
    assert main(["faults", "--length", "64", "--rates", "0,0.1", "--seeds", "1", "--images", "200",
                 "--protect", "2", "--out", str(tmp_path)]) == 0
    res = json.loads((tmp_path / "faults.json").read_text())
    acc = {(r["design"], r["kind"], r["rate"]): r["accuracy"][0] for r in res["rows"]}
    clean = acc[("SC L=64", "seu", 0.0)]
    assert clean == acc[("SC L=64", "stuck", 0.0)] == acc[("SC L=64", "flip", 0.0)] > 0.9
    assert acc[("SC L=64", "seu", 0.1)] < clean - 0.3 and acc[("SC L=64", "stuck", 0.1)] < clean
    assert acc[("binary 8/8", "seu", 0.1)] < acc[("binary 8/8", "seu", 0.0)] - 0.3
    assert acc[("SC L=64, top 2 bits protected", "seu", 0.0)] == clean
    assert "| SC L=64 | flip |" in (tmp_path / "faults.md").read_text()
    assert (tmp_path / "faults.png").stat().st_size > 10_000


@pytest.mark.parametrize("args, message", [
    (["--rates", "0,1.5"], "--rates='1.5' is a probability"),
    (["--rates", ","], "names no rate"),
    (["--baseline", "8/8,4/4"], "give one W/A pair"),
    (["--seeds", "0"], "--seeds"),
    (["--protect", "10"], "--protect"),
])
def test_bad_fault_arguments_are_named(tmp_path, capsys, args, message):
    assert main(["faults", "--images", "10", "--out", str(tmp_path)] + args) != 0
    assert message in capsys.readouterr().err


def test_bad_fault_kind_is_rejected(shipped):
    with pytest.raises(MtjscError, match="fault kind 'flip' is not stored"):
        faults.inject_sc(shipped["L64"], "flip", 0.1)
    with pytest.raises(MtjscError, match="protect=1: protection guards stored threshold bits"):
        faults.inject_sc(shipped["L64"], "stuck", 0.1, protect=1)


@pytest.mark.slow
def test_accelerator_with_faulty_memories_equals_the_golden_model(shipped, test_set):
    """End to end: the accelerator built from a faulty model equals the golden model on it."""
    from mtjsc.sim.network import accelerator_cosim
    model, info = faults.inject_sc(shipped["L64"], "seu", 0.01, seed=0)
    assert info["faults"] > 0
    cfg = ScConfig.from_model(model, L=4, parallel_neurons=8, input_lanes=32)
    r = accelerator_cosim(model, test_set.images[:1], config=cfg, seed=0, simulator="icarus", build_root=BUILD)
    assert r["bit_exact"] and r["rtl_scores"] == r["golden_scores"]
