"""The binary (fixed-point) baseline: its integer arithmetic, QAT, and `FixedMlp` on both simulators equal
to the integer model on 20 test images per width."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mtjsc.behavioral_models import fixed as fxm
from mtjsc.training import fixedpoint as fp
from mtjsc.errors import MtjscError
from mtjsc.mnist import shipped_dir
from mtjsc.hdl.fixed import FixedMlp
from mtjsc.sim.network import fixed_cosim

BUILD = Path(__file__).resolve().parents[1] / "build" / "cosim"
DATA = shipped_dir()
WIDTHS = ("8x8", "4x4", "1x1")


@pytest.fixture(scope="module")
def shipped_fixed():
    return {w: fxm.FixedModel.load(DATA / f"fixed_{w}.npz") for w in WIDTHS}


def random_model(wbits, abits, hidden=6, seed=0):
    rng = np.random.default_rng(seed)
    Q = fxm.qmax(wbits)
    q = (lambda shape: rng.choice([-1, 1], shape)) if wbits == 1 else (lambda shape: rng.integers(-Q, Q + 1, shape))
    return fxm.FixedModel(q1=q((hidden, 784)), b1=rng.integers(-3000, 3000, hidden), q2=q((10, hidden)),
                         b2=rng.integers(-50, 50, 10), wbits=wbits, abits=abits, mult=40000, shift=22)


def test_integer_model_by_hand():
    """One image, every step written out: sums, requantisation (round half up, clamp), scores, argmax."""
    m = random_model(4, 3)
    x = np.random.default_rng(1).integers(0, 256, (1, 784)).astype(np.uint8)
    r = m.forward(x)
    acc = [int(m.b1[j]) + sum(int(x[0, i]) * int(m.q1[j, i]) for i in range(784)) for j in range(m.hidden)]
    h = [0 if a <= 0 else min((a * 40000 + (1 << 21)) >> 22, 7) for a in acc]
    s = [int(m.b2[k]) + sum(h[j] * int(m.q2[k, j]) for j in range(m.hidden)) for k in range(10)]
    assert r["acc1"][0].tolist() == acc and r["hidden"][0].tolist() == h and r["scores"][0].tolist() == s
    assert int(r["classes"][0]) == s.index(max(s))


def test_one_bit_output_layer_is_xnor_popcount():
    m = random_model(1, 1, hidden=32)
    x = np.random.default_rng(2).integers(0, 256, (50, 784)).astype(np.uint8)
    r = m.forward(x)
    hbit = r["hidden"] > 0
    wbit = m.q2 > 0
    pop = (hbit[:, None, :] == wbit[None, :, :]).sum(-1)
    assert (r["scores"] == m.b2 + 2 * pop - m.hidden).all()


def test_bounds_hold_on_extreme_images(shipped_fixed):
    """No sum exceeds the bound the RTL's registers are sized from, on all-0, all-255 and test images."""
    from mtjsc import mnist
    imgs = np.concatenate([np.zeros((1, 784), np.uint8), np.full((1, 784), 255, np.uint8),
                           mnist.load("test").images[:500].reshape(-1, 784)])
    for m in shipped_fixed.values():
        r, b = m.forward(imgs), m.bounds()
        assert np.abs(r["acc1"]).max() <= b["acc1"] and np.abs(r["scores"]).max() <= b["score"]
        assert FixedMlp(model=m, parallel=8).score_bits == b["score"].bit_length() + 1


def test_shipped_baselines_accuracy_on_the_full_test_set(shipped_fixed, test_set):
    """Integer models recomputed on all 10,000 test images equal the accuracy recorded in the files."""
    for w, m in shipped_fixed.items():
        acc = float(np.mean(m.forward(test_set.images)["classes"] == test_set.labels))
        assert acc == m.record["test_accuracy"], w
    assert shipped_fixed["8x8"].record["test_accuracy"] > shipped_fixed["8x8"].record["float_accuracy"] - 0.003


@pytest.mark.parametrize("width, sim, P", [
    ("8x8", "icarus", 16), ("1x1", "icarus", 32), ("8x8", "verilator", 7),
    pytest.param("4x4", "icarus", 12, marks=pytest.mark.slow),          # 8x8 and 1x1 bracket it (CI budget)
    pytest.param("4x4", "verilator", 16, marks=pytest.mark.slow),
    pytest.param("1x1", "verilator", 12, marks=pytest.mark.slow),
])
def test_fixed_mlp_equals_the_integer_model(shipped_fixed, test_set, width, sim, P):
    """20 test images through FixedMlp (random idle pixels and result back-pressure): every score and
    class equal to the integer model; clocks per image as the schedule says when nothing stalls."""
    m = shipped_fixed[width]
    r = fixed_cosim(m, test_set.images[20:40], parallel=P, simulator=sim, idle=0.05, stall=0.2, seed=P,
                    build_root=BUILD)
    assert r["bit_exact"] and r["rtl_scores"] == r["integer_scores"] and r["rtl_classes"] == r["integer_classes"]
    assert len(r["rtl_classes"]) == 20 and min(r["cycles"]) >= r["cycles_per_image"]


def test_fixed_mlp_cycles_without_stalls(shipped_fixed, test_set):
    r = fixed_cosim(shipped_fixed["4x4"], test_set.images[:2], parallel=16, simulator="icarus", build_root=BUILD)
    assert r["bit_exact"] and r["cycles"] == [r["cycles_per_image"]] * 2 == [784 + 8 * 786 + 130 + 1] * 2


def test_a_wrong_weight_is_caught(shipped_fixed, test_set, monkeypatch):
    """Mutation: the RTL built from a model with class 3's weights negated, checked against the integer
    outputs of the true model, fails."""
    from mtjsc.sim import runner
    m = shipped_fixed["4x4"]
    bad = fxm.FixedModel(q1=m.q1, b1=m.b1, q2=m.q2.copy(), b2=m.b2, wbits=4, abits=4, mult=m.mult, shift=m.shift)
    bad.q2[3, :] = -bad.q2[3, :]
    real = fxm.FixedModel.forward
    monkeypatch.setattr(fxm.FixedModel, "forward", lambda self, px: real(m, px))
    with pytest.raises(runner.CosimFailure, match="AcceleratorTestbench"):
        fixed_cosim(bad, test_set.images[:3], parallel=16, simulator="icarus", build_root=BUILD)


@pytest.mark.parametrize("make, match", [
    (lambda: fp.parse_widths("8x8"), "width '8x8' is not W/A"),
    (lambda: fp.parse_widths("9/8"), "must be 1..8"),
    (lambda: fp.parse_widths(","), "name nothing"),
    (lambda: random_model(4, 4).__class__(q1=np.full((2, 784), 9), b1=np.zeros(2), q2=np.zeros((10, 2)),
                                          b2=np.zeros(10), wbits=4, abits=4, mult=1, shift=1), "q1 holds 9"),
    (lambda: fxm.FixedModel(q1=np.zeros((2, 784)), b1=np.zeros(2), q2=np.ones((10, 2)), b2=np.zeros(10),
                           wbits=1, abits=1), "q1 holds 0, outside the 1-bit weights"),
    (lambda: FixedMlp(model=random_model(8, 8), parallel=0), "parallel MACs P=0"),
    (lambda: FixedMlp(model="model.npz"), "model must be a FixedModel"),
    (lambda: random_model(8, 8).forward(np.zeros((1, 784))), "takes uint8 pixel bytes"),
])
def test_bad_input(make, match):
    with pytest.raises(MtjscError, match=match):
        make()


def test_baseline_command(mnist_dir, tmp_path):
    out = tmp_path / "b"
    r = subprocess.run([sys.executable, "-m", "mtjsc", "baseline", "--data", str(mnist_dir), "--widths", "8/8,1/1",
                        "--float-epochs", "1", "--qat-epochs", "1", "--train-images", "2000", "--out", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    res = json.loads((out / "baseline.json").read_text())
    assert [x["width"] for x in res["rows"]] == ["8/8", "1/1"] and (out / "fixed_1x1.npz").is_file()
    m = fxm.FixedModel.load(out / "fixed_8x8.npz")
    assert m.record["test_accuracy"] == res["rows"][0]["test_accuracy"] > 0.5
    bad = subprocess.run([sys.executable, "-m", "mtjsc", "baseline", "--widths", "8/16", "--out", str(tmp_path / "x")],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "width '8/16'" in bad.stderr and "Traceback" not in bad.stderr
