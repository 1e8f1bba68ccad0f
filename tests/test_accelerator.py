"""`ScMlpAccelerator`: images in as pixel-stream transactions, class and scores out, weights and LFSR
SNGs on chip; every score and class equal to the golden model with the `lfsr` source (same seed,
B, LFSR width) at any P and W."""

from pathlib import Path

import numpy as np
import pytest

from mtjsc.config import ScConfig
from mtjsc.errors import MtjscError
from mtjsc.hdl.accelerator import ScMlpAccelerator, pixel_thresholds
from mtjsc.sim import runner
from mtjsc.sim.network import accelerator_cosim

BUILD = Path(__file__).resolve().parents[1] / "build" / "cosim"


@pytest.mark.parametrize("model_name, P, W, apc, images", [
    ("L64", 8, 32, "exact", range(0, 7)),              # W a multiple of 4, P divides 128
    ("L64", 6, 29, "exact", range(7, 14)),             # W odd, P does not divide 128
    ("approx_L64", 10, 30, "approx", range(14, 21)),   # W = 2 mod 4, P does not divide 128
])       # small P x W: Verilator's C++ build grows with P W (P=48, W=130 takes over 15 minutes)
def test_accelerator_equals_golden_on_verilator(shipped, test_set, model_name, P, W, apc, images):
    cfg = ScConfig.from_model(shipped[model_name], L=32, apc=apc, parallel_neurons=P, input_lanes=W)
    ids = list(images)
    r = accelerator_cosim(shipped[model_name], test_set.images[ids], config=cfg, seed=P, simulator="verilator",
                          idle=0.1, stall=0.3, build_root=BUILD)
    assert r["bit_exact"] and r["rtl_scores"] == r["golden_scores"] and r["rtl_classes"] == r["golden_classes"]
    assert len(r["rtl_classes"]) == 7


def test_accelerator_on_icarus(shipped, test_set):
    cfg = ScConfig.from_model(shipped["L64"], L=8, parallel_neurons=64, input_lanes=200)
    r = accelerator_cosim(shipped["L64"], test_set.images[:2], config=cfg, seed=0, simulator="icarus",
                          build_root=BUILD)
    assert r["bit_exact"]
    # no idle pixels, no back-pressure: the pixel load, the hand-over and the core's schedule
    expected = ScMlpAccelerator(model=shipped["L64"], config=cfg).cycles_per_image()
    assert r["cycles"] == [expected] * 2 == [784 + 3 + 8 * (2 * 4 + 1 + 1 * 1) + 3] * 2, r["cycles"]


def test_a_flipped_weight_threshold_bit_is_caught(shipped, test_set):
    """Mutation: the top bit of one output-layer weight threshold flipped in the memory image."""
    cfg = ScConfig.from_model(shipped["L64"], L=4, parallel_neurons=64, input_lanes=200)

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
