"""Binary and ternary networks sampled from latent weights: the sampling bits, the equality of the binary
sign network with the SC golden model at L = k, its RTL on both simulators, training, and bad input."""

from __future__ import annotations

import json
import zlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mtjsc.training import binarynet as bn
from mtjsc.behavioral_models import golden
from mtjsc.behavioral_models.coding import bipolar_to_p, image_probabilities
from mtjsc.behavioral_models.sources import make_source
from mtjsc.config import ScConfig
from mtjsc.errors import MtjscError
from mtjsc.mnist import shipped_dir
from mtjsc.sim.network import core_cosim

BUILD = Path(__file__).resolve().parents[1] / "build" / "cosim"
SHIPPED = shipped_dir() / "binarynet_sign128.npz"


@pytest.fixture(scope="module")
def shipped_net():
    return bn.BinaryNet.load(SHIPPED)


def random_net(hidden=8, seed=1, **spec) -> bn.BinaryNet:
    rng = np.random.default_rng(seed)
    return bn.BinaryNet(w1=rng.uniform(-1, 1, (hidden, 785)).astype(np.float32),
                        w2=rng.uniform(-1, 1, (10, hidden + 1)).astype(np.float32), spec=bn.BinarySpec(**spec),
                        beta=0.1)


@pytest.mark.parametrize("kind", bn.BITS)
def test_sampling_bits_have_the_asked_probability(kind):
    """Mean of N draws per element within 4.5 binomial standard deviations of P (for ``mtj``: of the P its
    DAC level gives; its bits are a Markov chain, so the bound uses the chain's variance inflation)."""
    p = np.linspace(0.0, 1.0, 21)
    N = 4000
    sb = bn.sample_bits(kind, 3, period=5.0)
    mean = np.mean([sb.bernoulli("w", p, k=8) for _ in range(N)], axis=0)
    want, inflate = p, 1.0
    if kind == "mtj":
        src = sb.devices
        want, tau = src.stream_parameters(src.population(zlib.crc32(b"w") & 0x7FFFFFFF, 1, p.size),
                                          np.arange(p.size), p)
        rho = np.exp(-src.period / tau)
        inflate = (1 + rho) / (1 - rho)
    if kind == "lfsr":
        want = np.rint(p * 256) / 256
    sd = np.sqrt(want * (1 - want) * inflate / N)
    assert (np.abs(mean - want) <= 4.5 * sd + 1e-12).all(), (kind, mean - want)


def test_sampled_weights_are_unbiased_and_deterministic_ones_round():
    w = np.array([[-1.0, -0.6, -0.2, 0.0, 0.3, 0.7, 1.0]])
    for mode in bn.MODES:
        spec = bn.BinarySpec(mode=mode, bits="ideal")
        sb = bn.sample_bits("ideal", 0)
        m = np.mean([bn.sample_weights(w, spec, sb, "w") for _ in range(20000)], axis=0)
        assert np.abs(m - w).max() < 0.03, mode
    det = bn.sample_weights(w, bn.BinarySpec(sampling="deterministic"), None, "w")
    assert det.tolist() == [[-1, -1, -1, 1, 1, 1, 1]]
    det = bn.sample_weights(w, bn.BinarySpec(mode="ternary", sampling="deterministic"), None, "w")
    assert det.tolist() == [[-1, -1, 0, 0, 0, 1, 1]]


def test_mtj_sampling_bits_are_correlated_at_short_periods():
    """Consecutive samples of one weight's device: lag-1 correlation near exp(-T / tau_c) (P = 1/2)."""
    p = np.full(3000, 0.5)
    for period, lo, hi in ((0.3, 0.6, 0.85), (5.0, -0.05, 0.05)):
        sb = bn.sample_bits("mtj", 1, period=period)
        a = np.array([sb.bernoulli("w", p) for _ in range(40)], float)
        d = a - a.mean()
        r = (d[:-1] * d[1:]).mean() / (d * d).mean()          # pooled lag-1 autocorrelation
        assert lo < r < hi, (period, r)


@pytest.mark.parametrize("source", ["lfsr", "mtj", "entropy"])
def test_the_binary_sign_network_is_the_sc_network_at_L_k(test_set, source):
    """The training/evaluation forward pass, fed the bits a stream source gives the SC golden model at
    L = 5, reproduces the golden scores (sum over t of the output APC counts) exactly."""
    net = random_net(hidden=12)
    model = bn.to_sc_model(net)
    cfg = ScConfig.from_model(model, L=5)
    src = make_source(source, seed=4, config=cfg)
    ids = np.arange(6)
    px = test_set.pixels()[ids]
    want = golden.run_network(model, px, source=src, config=cfg, image_ids=ids, workers=1)
    x_bits = src.input_bits(ids, image_probabilities(px, "sym"), 5)             # [N, L, 785]
    if getattr(src, "weights_per_image", False):
        w_bits = [tuple(src.image_weight_bits(int(i), k, bipolar_to_p(w), 5) for k, w in enumerate(model.weights))
                  for i in ids]
    else:
        w_bits = [tuple(src.weight_bits(k, bipolar_to_p(w), 5) for k, w in enumerate(model.weights))] * len(ids)
    scores = np.zeros((len(ids), 10), np.int64)
    for i in range(len(ids)):
        for t in range(5):
            B1, B2 = (np.where(wb[t], 1.0, -1.0).astype(np.float32) for wb in w_bits[i])
            z = net.forward(np.where(x_bits[i, t], 1.0, -1.0).astype(np.float32)[None], B1, B2)[2]
            scores[i] += ((z[0] + model.hidden + 1) / 2).astype(np.int64)       # popcount = (z + n) / 2
    assert scores.tolist() == want.scores.tolist()


@pytest.mark.parametrize("sim, P, W", [("icarus", 32, 160),
                                       # its own Verilator build of a K = 2 core (about 2 minutes of CPU);
                                       # ScMlpCore on Verilator stays in the default run in test_core.py
                                       pytest.param("verilator", 20, 97, marks=pytest.mark.slow)])
def test_sampled_binary_network_runs_on_the_sc_core(shipped_net, test_set, sim, P, W):
    """The shipped binary sign network on ScMlpCore (XNOR arrays, APCs, K = 2 Btanh = sign) with MTJ
    weight bits, 4 sampled networks averaged (L = 4): scores and classes equal the golden model."""
    model = bn.to_sc_model(shipped_net)
    cfg = ScConfig.from_model(model, L=4, parallel_neurons=P, input_lanes=W)
    ids = np.array([10, 11, 12])
    r = core_cosim(model, test_set.pixels()[ids], ids, source=make_source("mtj", seed=7), config=cfg,
                   simulator=sim, stall=0.1, seed=P, build_root=BUILD)
    assert r["bit_exact"] and r["rtl_scores"] == r["golden_scores"] and r["rtl_classes"] == r["golden_classes"]
    assert len(r["images"]) == 3


def test_shipped_network_accuracy_on_the_full_test_set(shipped_net, test_set):
    """On all 10,000 test images (ideal bits, one ensemble): averaging helps, one sampled network is above
    80 %, 16 of them above 90 %; sign(w) of this stochastically trained network is far worse than
    sampling it (the README's finding)."""
    r = bn.sample_averaging(shipped_net, test_set.pixels(), test_set.labels, bits="ideal", seed=0, k_max=16,
                            groups=1)
    one, k16 = r["accuracy"][0][0], r["accuracy"][0][15]
    assert 0.80 < one < k16 and k16 > 0.90, (one, k16)
    assert len(r["single"]) == 16 and bn.deterministic_accuracy(shipped_net, test_set.pixels(), test_set.labels) < one


def test_training_learns_on_a_subset(mnist_dir, test_set):
    """Stochastic BinaryConnect with MTJ bits on 6000 images for 2 epochs beats chance by far."""
    net = bn.train_binary(bn.BinarySpec(bits="mtj", act="relu", mode="ternary"), data=mnist_dir, hidden=64,
                          epochs=2, train_images=6000, seed=2)
    assert net.record["history"][-1] > 0.6 and net.record["train_images"] == 6000
    assert net.w1.min() >= -1 and net.w1.max() <= 1


def test_save_load_round_trip(tmp_path):
    net = random_net(mode="ternary", act="sign", bits="lfsr")
    net.record = {"seed": 3}
    net.save(tmp_path / "n.npz")
    back = bn.BinaryNet.load(tmp_path / "n.npz")
    assert back.spec == net.spec and back.record == {"seed": 3} and (back.w1 == net.w1).all()


@pytest.mark.parametrize("make, match", [
    (lambda: bn.BinarySpec.parse("mode=quaternary"), "mode='quaternary': choose one of binary, ternary"),
    (lambda: bn.BinarySpec.parse("bits=trng"), "bits='trng': choose one of ideal, lfsr, mtj"),
    (lambda: bn.BinarySpec.parse("act"), "'act' is not key=value with a key of mode, act"),
    (lambda: bn.BinarySpec.parse("period=-1"), "period"),
    (lambda: bn.BinarySpec.parse("prob_bits=x"), "prob_bits='x' is not a number"),
    (lambda: bn.to_sc_model(random_net(mode="ternary")), "only binary sign networks are SC networks"),
    (lambda: bn.sample_bits("quantum", 0), "sampling bits 'quantum': choose one of ideal, lfsr, mtj"),
    (lambda: bn.check_options(hidden=128, epochs=1, lr=0.01, batch=100, seed=0, shift=1, train_images=50),
     "--train-images=50"),
    (lambda: bn.check_options(hidden=0, epochs=1, lr=0.01, batch=100, seed=0, shift=1, train_images=None),
     "--hidden=0"),
])
def test_bad_input(make, match):
    with pytest.raises(MtjscError, match=match):
        make()


def test_loading_another_kind_of_file_is_a_clear_error(tmp_path):
    np.savez(tmp_path / "other.npz", w1=np.zeros(3))
    with pytest.raises(MtjscError, match="is not a binary-network file"):
        bn.BinaryNet.load(tmp_path / "other.npz")


def test_binarynet_command_writes_table_plot_and_sc_model(mnist_dir, tmp_path):
    """The CLI end to end on a small run, then `mtjsc eval` on the SC model it exported."""
    out = tmp_path / "bn"
    env_cmd = [sys.executable, "-m", "mtjsc"]
    r = subprocess.run(env_cmd + ["binarynet", "--data", str(mnist_dir), "--modes", "binary", "--epochs", "1",
                                  "--train-images", "2000", "--k", "2", "--groups", "1", "--eval-bits", "ideal",
                                  "--hidden", "16", "--out", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    res = json.loads((out / "binarynet.json").read_text())
    assert [n["name"] for n in res["networks"]] == ["binary_sign_stochastic", "binary_sign_deterministic"]
    assert "| k=1 | k=2 |" in (out / "binarynet.md").read_text() and (out / "binarynet.png").stat().st_size > 0
    ev = subprocess.run(env_cmd + ["eval", "--model", str(out / "binary_sign_stochastic_sc.npz"), "--length", "2",
                                   "--images", "200", "--seeds", "1"], capture_output=True, text=True)
    assert ev.returncode == 0, ev.stderr
    bad = subprocess.run(env_cmd + ["binarynet", "--eval-bits", "ideal,qrng", "--out", str(tmp_path / "x")],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "sampling bits 'qrng'" in bad.stderr and "Traceback" not in bad.stderr


def test_train_binary_command(mnist_dir, tmp_path):
    out = tmp_path / "t.npz"
    cmd = [sys.executable, "-m", "mtjsc", "train", "--data", str(mnist_dir)]
    r = subprocess.run(cmd + ["--binary", "mode=ternary,act=relu,bits=lfsr", "--hidden", "16", "--epochs", "1",
                              "--train-images", "1000", "--out", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    net = bn.BinaryNet.load(out)
    assert net.spec.mode == "ternary" and net.record["train_images"] == 1000 and net.hidden == 16
    for extra, msg in ((["--binary", "mode=ternery"], "mode='ternery': choose one of binary, ternary"),
                       (["--binary", "", "--precision", "float"], "--precision and --binary train different")):
        bad = subprocess.run(cmd + extra + ["--out", str(tmp_path / "x.npz")], capture_output=True, text=True)
        assert bad.returncode != 0 and msg in bad.stderr and not (tmp_path / "x.npz").exists()
