"""`ScMlpAccelerator`: images in as pixel-stream transactions, class and scores out, weights and LFSR
SNGs on chip; every score and class equal to the golden model with the `lfsr` source (same seed,
B, LFSR width) at any P and W."""

from pathlib import Path

import numpy as np
import pytest

from mtjsc.behavioral_models.sources import make_source
from mtjsc.config import ScConfig
from mtjsc.errors import MtjscError
from mtjsc.hdl.accelerator import ScMlpAccelerator, pixel_thresholds
from mtjsc.sim import runner
from mtjsc.sim.network import accelerator_cosim

BUILD = Path(__file__).resolve().parents[1] / "build" / "cosim"


@pytest.mark.parametrize("model_name, P, W, apc, images", [
    ("L64", 8, 32, "exact", range(0, 7)),              # W a multiple of 4, P divides 128
    ("L64", 6, 29, "exact", range(7, 14)),             # W odd, P does not divide 128; pixels back to back
    ("approx_L64", 10, 30, "approx", range(14, 21)),   # W = 2 mod 4, P does not divide 128
])       # small P x W: Verilator's C++ build grows with P W (P=48, W=130 takes over 15 minutes)
def test_accelerator_equals_golden_on_verilator(shipped, test_set, model_name, P, W, apc, images):
    cfg = ScConfig.from_model(shipped[model_name], L=32, apc=apc, parallel_neurons=P, input_lanes=W)
    ids = list(images)
    r = accelerator_cosim(shipped[model_name], test_set.images[ids], config=cfg, seed=P, simulator="verilator",
                          idle=0.1, stall=0.3, back_to_back=(P == 6), build_root=BUILD)
    assert r["bit_exact"] and r["rtl_scores"] == r["golden_scores"] and r["rtl_classes"] == r["golden_classes"]
    assert len(r["rtl_classes"]) == 7


def test_accelerator_on_icarus(shipped, test_set):
    # small P and W: Icarus's time grows with the lanes evaluated per clock more than with the clocks
    cfg = ScConfig.from_model(shipped["L64"], L=4, parallel_neurons=8, input_lanes=32)
    r = accelerator_cosim(shipped["L64"], test_set.images[:1], config=cfg, seed=0, simulator="icarus",
                          build_root=BUILD)
    assert r["bit_exact"] and len(r["rtl_classes"]) == 1
    # no idle pixels, no back-pressure: the pixel load, the hand-over and the core's schedule
    # (G1 = 16 groups x C1 = 25 chunks, one bubble, G2 = 2 x C2 = 5)
    expected = ScMlpAccelerator(model=shipped["L64"], config=cfg).cycles_per_image()
    assert r["cycles"] == [expected] == [784 + 2 + 4 * (16 * 25 + 2 + 2 * 5) + 9], r["cycles"]


def test_one_lane_restarts_every_lfsr_for_the_next_image(shipped, test_set):
    """W = 1, P = 128: C1 = 785 chunks of one lane, one neuron group. Two images back to back equal the
    golden model (so the second started from the seeds again) and take the formula's clocks."""
    cfg = ScConfig.from_model(shipped["L64"], L=2, parallel_neurons=128, input_lanes=1)
    r = accelerator_cosim(shipped["L64"], test_set.images[:2], config=cfg, seed=1, simulator="icarus",
                          back_to_back=True, build_root=BUILD)
    assert r["bit_exact"] and r["rtl_scores"] == r["golden_scores"] and len(r["rtl_classes"]) == 2
    expected = ScMlpAccelerator(model=shipped["L64"], config=cfg).cycles_per_image()
    assert r["cycles"] == [expected, expected], (r["cycles"], expected)


def test_a_flipped_weight_threshold_bit_is_caught(shipped, test_set):
    """Mutation: the top bit of one output-layer weight threshold flipped in the memory image."""
    cfg = ScConfig.from_model(shipped["L64"], L=4, parallel_neurons=8, input_lanes=32)

    class Flipped(ScMlpAccelerator):
        def weight_words(self, layer):
            words = super().weight_words(layer)
            if layer == 1:
                words[0][0] ^= 1 << (cfg.sng_bits - 1)     # neuron 0, input 0, bit B-1
            return words

    import mtjsc.hdl.accelerator as acc_mod
    real = acc_mod.ScMlpAccelerator
    try:
        acc_mod.ScMlpAccelerator = Flipped
        with pytest.raises(runner.CosimFailure, match="image 0: score 0"):
            accelerator_cosim(shipped["L64"], test_set.images[:1], config=cfg, seed=0, simulator="icarus",
                              build_root=BUILD)
    finally:
        acc_mod.ScMlpAccelerator = real


def test_pixel_thresholds_are_the_golden_sources():
    from mtjsc.behavioral_models import lfsr
    from mtjsc.behavioral_models.coding import image_probabilities
    for enc in ("sym", "unit"):
        q = pixel_thresholds(enc, 8)
        p = image_probabilities(np.arange(256)[:, None].repeat(784, 1) / 255.0, enc)[:, 0]
        assert q == lfsr.sng_threshold(p, 8).tolist()
    assert pixel_thresholds("sym", 8)[0] == 0 and pixel_thresholds("sym", 8)[255] == 256


def test_accelerator_rejects_a_model_that_does_not_match(shipped):
    cfg = ScConfig.from_model(shipped["L64"], L=8)
    with pytest.raises(MtjscError, match="does not match the configuration"):
        ScMlpAccelerator(model=shipped["L256"], config=cfg)
    with pytest.raises(MtjscError, match="seed=-1 must be an integer >= 0"):
        ScMlpAccelerator(model=shipped["L64"], config=cfg, seed=-1)


def test_entropy_port_fed_mtj_bits_equals_golden_entropy_source_on_verilator(shipped, test_set):
    """The entropy design driven with one simulated sMTJ's bits (P = 1/2) in the port's beat order,
    the port starved half of the clocks: the same scores as the golden ``entropy`` source, only later.
    P = 6 and W = 29 make both layers revisit t with later neuron groups (the per-t buffers)."""
    cfg = ScConfig.from_model(shipped["L64"], L=16, parallel_neurons=6, input_lanes=29)
    src = make_source("entropy", seed=5, config=cfg)
    r = accelerator_cosim(shipped["L64"], test_set.images[[21, 22]], config=cfg, simulator="verilator",
                          source=src, entropy_idle=0.5, stall=0.2, build_root=BUILD)
    assert r["bit_exact"] and r["rtl_scores"] == r["golden_scores"] and r["sng"] == "entropy"
    acc = ScMlpAccelerator(model=shipped["L64"], config=cfg, sng="entropy")
    assert min(r["cycles"]) > acc.cycles_per_image()        # the starved port stalled the design


@pytest.mark.slow     # the Verilator entropy test above guards the port in the default suite
def test_entropy_port_on_icarus(shipped, test_set):
    cfg = ScConfig.from_model(shipped["L64"], L=4, parallel_neurons=64, input_lanes=200)
    src = make_source("entropy", seed=1, config=cfg)
    r = accelerator_cosim(shipped["L64"], test_set.images[:2], config=cfg, simulator="icarus", source=src,
                          entropy_idle=0.2, idle=0.1, build_root=BUILD)
    assert r["bit_exact"] and r["rtl_classes"] == r["golden_classes"]


def test_entropy_beats_follow_the_source_order(shipped):
    """Beat k of t carries the (r_x, r_w) pairs of chunk k in the source's order; layer 1 after."""
    cfg = ScConfig.from_model(shipped["L64"], L=2, parallel_neurons=16, input_lanes=100)
    acc = ScMlpAccelerator(model=shipped["L64"], config=cfg, sng="entropy")
    s, B = acc.schedule, cfg.sng_bits
    nums = np.arange(2 * (2 * 785 + 129)).reshape(2, -1) % 256
    beats = acc.entropy_beats(nums)
    assert len(beats) == 2 * (s.C1 + s.C2) == acc.describe()["entropy"]["beats_per_image"]
    field = lambda beat, j: (beat >> (j * B)) & 0xFF      # noqa: E731
    assert [field(beats[0], j) for j in range(4)] == nums[0, :4].tolist()          # r_x0, r_w0, r_x1, r_w1
    last = beats[s.C1 - 1]                                   # inputs 700..784: 85 pairs, rest zero
    assert [field(last, j) for j in range(170)] == nums[0, 1400:1570].tolist() and last >> (170 * B) == 0
    assert [field(beats[s.C1], j) for j in range(s.W2)] == nums[0, 1570:1570 + s.W2].tolist()
    assert [field(beats[s.C1 + s.C2], j) for j in range(2)] == nums[1, :2].tolist()   # t = 1 starts over
    with pytest.raises(MtjscError, match="expected \\(2, 1699\\)"):
        acc.entropy_beats(nums[:, :-1])
    with pytest.raises(MtjscError, match="sng='trng' is not an SNG kind"):
        ScMlpAccelerator(model=shipped["L64"], config=cfg, sng="trng")


@pytest.mark.parametrize("harness, extra", [
    ("cocotb", ["--length", "32", "--seed", "8"]),        # the Verilator build of the (8, 32) case above
    ("native", ["--length", "8"]),     # C++ harness (rtl_speed.py's path): its own build, about 40 s
])
def test_mtjsc_cosim_on_the_accelerator(harness, extra, tmp_path, monkeypatch, capsys):
    import json

    from mtjsc.cli import main
    monkeypatch.setenv("MTJSC_BUILD", str(BUILD))
    out = tmp_path / "c.json"
    assert main(["cosim", "--model", "L64", "--parallel", "8", "--lanes", "32", "--stream-block", "1", "--images", "3",
                 "--harness", harness, *extra, "--json", str(out)]) == 0
    r = json.loads(out.read_text())
    assert r["agreement"] == 3 and len(r["per_image"]) == 3 and r["design"] == "accelerator"
    assert all(p["scores_equal"] and p["rtl_class"] == p["golden_class"] for p in r["per_image"])
    assert r["cycles_per_image"] == r["schedule"]["accelerator_cycles_per_image"]
    assert "3/3 images bit-exact" in capsys.readouterr().out
