"""`ScMlpCore`, the whole 784-128-10 network in RTL, against the golden model on MNIST images.

Every score and every class must equal `golden.run_network` with the same stream source and
ScConfig, for any P (neurons in parallel) and W (input lanes), on Icarus and Verilator; the
testbench answers the core's requests transaction by transaction with random stalls.
"""

from pathlib import Path

import numpy as np
import pytest

from mtjsc.behavioral_models.sources import make_source
from mtjsc.config import ScConfig
from mtjsc.errors import MtjscError
from mtjsc.hdl.core import CoreSchedule, ScMlpCore
from mtjsc.sim import runner
from mtjsc.sim.network import core_cosim

BUILD = Path(__file__).resolve().parents[1] / "build" / "cosim"


# The accelerator tests run ScMlpCore on Verilator in three more geometries; here one Verilator build
# (a fresh build costs about a minute of the CI budget) and two short Icarus runs (L = 8: Icarus's time
# is proportional to L, and eight stream indices exercise the schedule as sixteen do).
@pytest.mark.parametrize("sim, model_name, P, W, apc, L, images", [
    ("icarus", "L64", 16, 64, "exact", 8, range(0, 3)),           # P divides 128, W a multiple of 4
    ("verilator", "L64", 12, 61, "exact", 32, range(7, 14)),      # P does not divide 128, W odd
    ("icarus", "approx_L64", 24, 30, "approx", 8, range(14, 17)),   # W = 2 mod 4: the gate order flips every chunk
])
def test_core_equals_golden(shipped, test_set, sim, model_name, P, W, apc, L, images):
    cfg = ScConfig.from_model(shipped[model_name], L=L, apc=apc, parallel_neurons=P, input_lanes=W)
    ids = np.array(list(images))
    r = core_cosim(shipped[model_name], test_set.pixels()[ids], ids, source=make_source("lfsr", seed=3, config=cfg),
                   config=cfg, simulator=sim, stall=0.2, seed=P, build_root=BUILD)
    assert r["bit_exact"] and r["rtl_scores"] == r["golden_scores"] and r["rtl_classes"] == r["golden_classes"]
    assert len(r["images"]) == len(ids)


def test_core_equals_golden_on_icarus_and_cycles_match_the_schedule(shipped, test_set):
    cfg = ScConfig.from_model(shipped["L64"], L=8, parallel_neurons=64, input_lanes=200)
    r = core_cosim(shipped["L64"], test_set.pixels()[:2], [0, 1], source=make_source("ideal", seed=5),
                   config=cfg, simulator="icarus", stall=0.0, build_root=BUILD)
    assert r["bit_exact"]
    assert r["cycles"] == [CoreSchedule(cfg).cycles_per_image()] * 2 == [8 * (2 * 4 + 2 + 1 * 1) + 9] * 2


def test_core_driven_by_mtj_streams(shipped, test_set):
    """sMTJ model bits (own device per stream, variation, telegraph correlation) through the core
    (the geometry of the Verilator case above: one build serves both)."""
    cfg = ScConfig.from_model(shipped["L64"], L=32, parallel_neurons=12, input_lanes=61)
    r = core_cosim(shipped["L64"], test_set.pixels()[[3, 4]], [3, 4], source=make_source("mtj", seed=2),
                   config=cfg, simulator="verilator", stall=0.1, build_root=BUILD)
    assert r["source"] == "mtj" and r["bit_exact"]


def test_a_flipped_weight_bit_is_caught(shipped, test_set, monkeypatch):
    """Mutation: one weight stream bit differs between what the RTL gets and what the golden used."""
    import mtjsc.sim.network as network
    cfg = ScConfig.from_model(shipped["L64"], L=8, parallel_neurons=64, input_lanes=200)
    src = make_source("ideal", seed=5)
    real = src.weight_bits

    def flipped(layer, p, L):
        bits = real(layer, p, L)
        if layer == 1:
            bits = bits.copy()
            bits[3, 2, 7] ^= True          # t = 3, output neuron 2, hidden input 7
        return bits

    golden_result = network.golden.run_network(shipped["L64"], test_set.pixels()[:1], source=src, config=cfg,
                                               image_ids=[0], workers=1)
    monkeypatch.setattr(src, "weight_bits", flipped)
    monkeypatch.setattr(network.golden, "run_network", lambda *a, **k: golden_result)
    with pytest.raises(runner.CosimFailure, match="image 0: score 2"):
        core_cosim(shipped["L64"], test_set.pixels()[:1], [0], source=src, config=cfg, simulator="icarus",
                   build_root=BUILD)


def test_core_parameters_are_validated(shipped):
    with pytest.raises(MtjscError, match="config must be an ScConfig"):
        ScMlpCore(config={"L": 8})
    with pytest.raises(MtjscError, match="parallel_neurons P=200 must be an integer in 0..128"):
        ScConfig.from_model(shipped["L64"], L=8, parallel_neurons=200)
    with pytest.raises(TypeError):
        ScMlpCore(ScConfig.from_model(shipped["L64"], L=8))


def test_core_reference_is_the_golden_network(shipped, test_set):
    """`ScMlpCore.reference` (dense bits of one image) equals the packed golden engine."""
    from mtjsc.behavioral_models import golden
    from mtjsc.behavioral_models.coding import bipolar_to_p, image_probabilities
    m = shipped["approx_L64"]
    cfg = ScConfig.from_model(m, L=16, apc="approx", parallel_neurons=8, input_lanes=32)
    src = make_source("lfsr", seed=4, config=cfg)
    px = test_set.pixels()[[5]]
    want = golden.run_network(m, px, source=src, config=cfg, image_ids=[5], workers=1)
    x = src.input_bits([5], image_probabilities(px, m.encoding), 16)[0]
    w = tuple(src.weight_bits(k, bipolar_to_p(wk), 16) for k, wk in enumerate(m.weights))
    got = ScMlpCore(config=cfg).reference(x, w)
    assert got["scores"].tolist() == want.scores[0].tolist() and got["cls"] == int(want.classes[0])


@pytest.mark.parametrize("signed_values", [False, True])
def test_pipelined_argmax_keeps_the_lowest_index_on_ties(signed_values):
    """The registered argmax tree equals `argmax_reference` ARGMAX_STAGES clocks after its inputs
    settle, on random scores with many ties (Amaranth's simulator; both cores use this tree)."""
    from amaranth import Module, Signal, signed
    from amaranth.sim import Simulator

    from mtjsc.hdl.core import ARGMAX_STAGES, argmax, argmax_reference

    shape = signed(6) if signed_values else 6
    regs = [Signal(shape, name=f"r{k}") for k in range(10)]
    m = Module()
    cls = argmax(m, regs)
    rng = np.random.default_rng(1)
    lo, hi = (-4, 4) if signed_values else (0, 6)
    cases = [rng.integers(lo, hi, 10).tolist() for _ in range(40)] + [[3] * 10, list(range(10)), list(range(9, -1, -1))]
    seen = []

    async def bench(ctx):
        for case in cases:
            for r, v in zip(regs, case):
                ctx.set(r, v)
            await ctx.tick().repeat(ARGMAX_STAGES)
            seen.append(ctx.get(cls))

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert seen == [argmax_reference(c) for c in cases]
    assert len(set(seen)) > 3


def test_argmax_rejects_a_wrong_stage_count():
    from amaranth import Module, Signal

    from mtjsc.hdl.core import argmax
    with pytest.raises(MtjscError, match="has 4 levels, not 2"):
        argmax(Module(), [Signal(4) for _ in range(10)], stages=2)
