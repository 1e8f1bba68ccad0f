"""RTL blocks on Icarus and Verilator, equal to their references and to the golden model."""

import re
from pathlib import Path

import numpy as np
import pytest

from mtjsc.behavioral_models import lfsr as lfsr_def
from mtjsc.behavioral_models.sources import make_source
from mtjsc.config import ScConfig
from mtjsc.errors import MtjscError
from mtjsc.hdl import ApproxParallelCounter, BtanhCounter, BtanhUpdate, ComparatorSng, LaneApc, Lfsr, ScNeuron, XnorArray
from mtjsc.hdl.export import to_verilog
from mtjsc.hdl.memory import MemoryBlock
from mtjsc.sim import runner, scoreboard
from mtjsc.sim.harness import ApcBank
from mtjsc.sim.network import hidden_neuron_cosim
from mtjsc import toolchain

SIMS = pytest.mark.parametrize("sim", runner.SIMULATORS)
BUILD = Path(__file__).resolve().parents[1] / "build" / "cosim"


def cosim(component, sim, testbench, data, name="dut"):
    out = runner.run(component, name=name, simulator=sim, testbench=testbench, data=data, build_root=BUILD)
    # the testbench already asserted equality; check again here, on the observed arrays
    for key in data:
        if key.startswith("expect_"):
            port = key[len("expect_"):]
            mask = data.get(f"mask_{port}", np.ones(len(data[key]), bool))
            got = scoreboard.as_ints(np.asarray(out[f"out_{port}"])[mask])
            assert got == scoreboard.as_ints(np.asarray(data[key])[mask]), port
    return out


# ---------------------------------------------------------------- parameters

@pytest.mark.parametrize("make, match", [
    (lambda: XnorArray(n=0), "fan-in n=0 must be an integer >= 1"),
    (lambda: ApproxParallelCounter(n=-3), "fan-in n=-3"),
    (lambda: ApproxParallelCounter(n=8, kind="fast"), "unknown APC kind 'fast'"),
    (lambda: ApproxParallelCounter(n=8, pipeline_stages=-1), "pipeline_stages=-1 must be an integer >= 0"),
    (lambda: BtanhCounter(n=8, K=7), "K=7 must be a positive even integer"),
    (lambda: BtanhCounter(n=8, K=0), "K=0 must be a positive even integer"),
    (lambda: BtanhCounter(n=8, K=-4), "K=-4 must be a positive even integer"),
    (lambda: ScNeuron(n=785, K=5), "K=5 must be a positive even integer"),
    (lambda: ComparatorSng(bits=0), "B=0 must be an integer in 1..32"),
    (lambda: ComparatorSng(bits=33), "B=33 must be an integer in 1..32"),
    (lambda: Lfsr(width=16, bits=8, seed=0), r"LFSR seed \(nonzero, 16 bits\)=0 must be an integer in 1..65535"),
    (lambda: Lfsr(width=8, bits=12, seed=1), "B=12 exceeds the LFSR width 8"),
    (lambda: Lfsr(width=40, bits=8, seed=1), "LFSR width=40 must be an integer in 4..32"),
    (lambda: LaneApc(n=9, lanes=3, control="both"), "LaneApc control must be 'own' or 'shared', got 'both'"),
    (lambda: MemoryBlock(width=8, depth=4, style="ebr"), "memory style 'ebr': use None, 'block' or 'logic'"),
])
def test_bad_parameters(make, match):
    with pytest.raises(MtjscError, match=match):
        make()


def test_memory_style_reaches_the_netlist():
    """A ROM asked for block RAM carries Yosys's ram_style; one left to Yosys carries none."""
    for style, want in (("block", True), (None, False)):
        v = to_verilog(MemoryBlock(width=64, depth=8, init=range(8), style=style), "rom")
        assert ('ram_style = "block"' in v) is want, style


def test_keyword_only_parameters():
    with pytest.raises(TypeError):
        ApproxParallelCounter(8)


def test_missing_simulator_is_reported(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(MtjscError, match="Icarus Verilog .* is not on PATH"):
        runner.prepare_simulator("icarus")
    with pytest.raises(MtjscError, match="unknown simulator 'modelsim'"):
        runner.prepare_simulator("modelsim")


def test_icarus_builds_run_every_always_block_at_time_zero():
    """Yosys's time-zero trigger registers each get an ``initial #0`` write for Icarus (without it the
    board's self-test read an Array of constant labels as X: its always @* block never ran)."""
    from amaranth.lib import wiring
    from amaranth.lib.wiring import Out
    from amaranth import Array, Const, Module, Signal

    class ConstantIndex(wiring.Component):
        out: Out(4)

        def elaborate(self, platform):
            m = Module()
            idx = Signal(2)
            m.d.sync += idx.eq(idx)
            m.d.comb += self.out.eq(Array(Const(v, 4) for v in (7, 2, 1))[idx])
            return m

    verilog = to_verilog(ConstantIndex(), "constant_index")
    triggers = re.findall(r"reg (\\\S*dump_module\S*) += 0;", verilog)
    patched = runner.icarus_time_zero(verilog)
    assert triggers and all(f"initial #0 {t} = 1'b1;" in patched for t in triggers)
    assert patched.count("initial #0") == len(triggers)
    assert patched.replace("\n", "").count("always") == verilog.replace("\n", "").count("always")


def test_apc_latency_attribute():
    assert ApproxParallelCounter(n=785, pipeline_stages=3).latency == 3
    assert ScNeuron(n=129, K=26, pipeline_stages=2).latency == 2


# ---------------------------------------------------------------- blocks

@SIMS
def test_xnor_exhaustive(sim):
    c = XnorArray(n=8)
    v = np.arange(1 << 16)
    x = ((v[:, None] >> np.arange(8)) & 1).astype(bool)
    w = ((v[:, None] >> np.arange(8, 16)) & 1).astype(bool)
    cosim(c, sim, "XnorTestbench", scoreboard.xnor(c, x, w))


@SIMS
@pytest.mark.parametrize("kind", ["exact", "approx"])
@pytest.mark.parametrize("stages", [0, 2])
def test_apc_exhaustive_small(sim, kind, stages):
    bank = ApcBank(ns=range(1, 9), kind=kind, pipeline_stages=stages)
    cosim(bank, sim, "ApcBankTestbench", bank.exhaustive_data())


@SIMS
@pytest.mark.parametrize("n, stages", [(129, 0), (785, 3)])
@pytest.mark.parametrize("kind", ["exact", "approx"])
def test_apc_random_wide(sim, n, stages, kind):
    rng = np.random.default_rng(n)
    c = ApproxParallelCounter(n=n, kind=kind, pipeline_stages=stages)
    density = rng.random((300, 1))
    bits = rng.random((300, n)) < density          # sweeps the whole count range
    bits[:3] = [np.zeros(n, bool), np.ones(n, bool), np.arange(n) % 2 == 0]
    cosim(c, sim, "ApcTestbench", scoreboard.apc(c, bits))


@SIMS
@pytest.mark.parametrize("n, K", [(5, 2), (5, 6), (129, 26), (785, 236), (785, 1570)])
def test_btanh_against_reference(sim, n, K):
    rng = np.random.default_rng(K)
    c = BtanhCounter(n=n, K=K)
    T = 1200
    # drifts up, down and around zero so both clamps are hit
    p = np.repeat(rng.choice([0.05, 0.3, 0.5, 0.7, 0.95], size=T // 25), 25)
    counts = rng.binomial(n, p)
    en = (rng.random(T) < 0.9).astype(int)
    start = np.zeros(T, int)
    start[[0, 200, 201, 450]] = 1
    data = scoreboard.btanh(c, counts, en, start)
    assert {0, K - 1} <= set(data["expect_state"].tolist())      # the stimulus reaches both clamps
    if n <= 8:   # small counters: every (state, count) pair is exercised
        seen = {(s, cnt) for s, cnt, e, st in zip(data["expect_state"], counts, en, start) if e and not st}
        assert len(seen) == K * (n + 1)
    cosim(c, sim, "BtanhTestbench", data)


@SIMS
@pytest.mark.parametrize("width, bits", [(16, 8), (32, 8), (8, 8)])
def test_lfsr_matches_golden_definition(sim, width, bits):
    seed = lfsr_def.seed_state(7, 0, lfsr_def.ROLE_WEIGHT, 3, width)
    c = Lfsr(width=width, bits=bits, seed=seed)
    T = 400
    en = np.ones(T, int)
    en[50:60] = 0
    load = np.zeros(T, int)
    load[300] = 1
    data = scoreboard.lfsr(c, en, load)
    # the first 50 values are exactly the golden source's R(t)
    assert data["expect_value"][:50].tolist() == lfsr_def.generate([seed], width, bits, 50)[:, 0].tolist()
    cosim(c, sim, "LfsrTestbench", data)


@SIMS
def test_comparator_sng_exhaustive(sim):
    c = ComparatorSng(bits=4)
    r, q = np.meshgrid(np.arange(16), np.arange(17))
    cosim(c, sim, "SngTestbench", scoreboard.sng(c, r.ravel(), q.ravel()))


@SIMS
@pytest.mark.parametrize("kind", ["exact", "approx"])
def test_output_neuron_scores(sim, kind):
    """n = 129 output-layer neuron with the count accumulator, idle cycles between bits."""
    rng = np.random.default_rng(3)
    c = ScNeuron(n=129, K=26, kind=kind, pipeline_stages=1, score_bits=17)
    x = rng.random((200, 129)) < 0.5
    w = rng.random((200, 129)) < rng.random(129)
    cosim(c, sim, "ScoringNeuronTestbench", scoreboard.neuron_stream(c, x, w, gap=1))


# ---------------------------------------------------------------- MTJ-driven neuron



@SIMS
@pytest.mark.parametrize("kind", ["exact", "approx"])
def test_hidden_neuron_on_real_image_equals_golden_network(sim, kind, shipped, test_set):
    model = shipped["L256"]
    image = 7
    src = make_source("mtj", seed=1)      # MTJ streams: own device per stream, variation, telegraph correlation
    cfg = ScConfig.from_model(model, L=256, apc=kind)
    summary = hidden_neuron_cosim(model, test_set.pixels()[image], image, 5, source=src, config=cfg, simulator=sim,
                                  build_root=BUILD)
    assert summary["source"] == "mtj"
    assert summary["bit_exact"] and summary["counts_equal"] == summary["bits_equal"] == 256


# ---------------------------------------------------------------- the regression can fail

class _OneGateFlipped(ApproxParallelCounter):
    """approx APC with the first pair's OR gate replaced by AND."""

    def _leaves(self):
        gates, lone = super()._leaves()
        b = self.bits
        return [b[0] & b[1]] + gates[1:], lone


def test_flipped_apc_gate_is_caught():
    bank_ok = ApcBank(ns=[4], kind="approx")
    mutant = _OneGateFlipped(n=4, kind="approx")
    data = scoreboard.apc(mutant, bank_ok.exhaustive_data()["in_bits"])   # expectation from the true reference
    with pytest.raises(runner.CosimFailure, match="port 'count' at cycle 1"):
        runner.run(mutant, name="mutant_apc", simulator="icarus", testbench="ApcTestbench", data=data,
                   build_root=BUILD)


def test_btanh_clamp_off_by_one_is_caught():
    c = BtanhCounter(n=5, K=6)
    T = 40
    counts = np.full(T, 5)          # drives the state into the upper clamp

    def off_by_one(state, count, n, K):      # clamps at K instead of K - 1
        s = min(max(state + 2 * count - n, 0), K)
        return s, s >= K // 2

    data = scoreboard.btanh(c, counts, np.ones(T, int), np.zeros(T, int), reference_step=off_by_one)
    with pytest.raises(runner.CosimFailure, match="port 'state'"):
        runner.run(c, name="btanh_k6", simulator="icarus", testbench="BtanhTestbench", data=data,
                   build_root=BUILD)


# ---------------------------------------------------------------- the testbench cannot pass vacuously

def _xnor_data():
    c = XnorArray(n=2)
    v = np.arange(16)
    return c, scoreboard.xnor(c, (v[:, None] >> np.arange(2)) & 1, (v[:, None] >> np.arange(2, 4)) & 1)


def test_an_output_without_expectation_is_an_error():
    c, data = _xnor_data()
    del data["expect_p"]
    with pytest.raises(runner.CosimFailure, match="output port 'p' has no expect_p"):
        runner.run(c, name="xnor2", simulator="icarus", testbench="XnorTestbench", data=data, build_root=BUILD)


def test_a_mask_with_no_cycle_is_an_error():
    c, data = _xnor_data()
    data["mask_p"] = np.zeros(len(data["expect_p"]), bool)
    with pytest.raises(runner.CosimFailure, match="mask_p selects no cycle"):
        runner.run(c, name="xnor2", simulator="icarus", testbench="XnorTestbench", data=data, build_root=BUILD)


@SIMS
def test_runner_with_relative_build_root_from_another_directory(sim, tmp_path, monkeypatch):
    """The demo's bug: a relative path handed to a simulator that runs elsewhere."""
    c, data = _xnor_data()
    monkeypatch.chdir(tmp_path)
    out = runner.run(c, name="xnor2", simulator=sim, testbench="XnorTestbench", data=data, build_root="rel/cosim")
    assert scoreboard.as_ints(out["out_p"]) == scoreboard.as_ints(data["expect_p"])
    assert list((tmp_path / "rel" / "cosim").glob("xnor2-*/run-*/observed.npz"))


def test_build_lock_makes_a_second_builder_wait(tmp_path):
    """Two pytest-xdist workers (or CLI runs) that need one build: the second waits for the first
    instead of building into the same directory at the same time."""
    import threading
    import time
    bdir, order, inside = tmp_path / "dut-verilator-0123", [], threading.Event()

    def first():
        with toolchain.build_lock(bdir):
            order.append("first in")
            inside.set()
            time.sleep(0.3)
            order.append("first out")

    th = threading.Thread(target=first)
    th.start()
    inside.wait(5)
    with toolchain.build_lock(bdir):
        order.append("second in")
    th.join()
    assert order == ["first in", "first out", "second in"]


def test_build_once_builds_once_for_two_callers(tmp_path):
    """The caller that waited for the lock finds the other's marker and does not build again."""
    import threading
    import time
    bdir = tmp_path / "dut-verilator-4567"
    marker, made, results = bdir / ".built", [], []

    def make():
        made.append(1)
        time.sleep(0.3)
        bdir.mkdir(parents=True, exist_ok=True)
        marker.touch()

    threads = [threading.Thread(target=lambda: results.append(toolchain.build_once(bdir, marker, make)))
               for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(made) == 1 and sorted(results) == [False, True]
    assert toolchain.build_once(bdir, marker, make) is False and len(made) == 1


# ---------------------------------------------------------------- blocks of the network datapath

@SIMS
@pytest.mark.parametrize("n, K", [(5, 6), (9, 2), (7, 14)])
def test_btanh_update_exhaustive(sim, n, K):
    """Every (state, count, start) of the state-in/state-out unit."""
    c = BtanhUpdate(n=n, K=K)
    s, cnt, st = np.meshgrid(np.arange(K), np.arange(n + 1), [0, 1], indexing="ij")
    cosim(c, sim, "BtanhUpdateTestbench", scoreboard.btanh_update(c, s.ravel(), cnt.ravel(), st.ravel()),
          name=f"btanh_update_n{n}_K{K}")


LANE_CASES = [(9, 1), (9, 2), (9, 3), (13, 5), (785, 61), (785, 64), (129, 7), (129, 129)]


@pytest.mark.parametrize("kind", ["exact", "approx"])
@pytest.mark.parametrize("sim, n, lanes, stages", [("icarus", n, w, 0) for n, w in LANE_CASES] +
                         [("icarus", 13, 5, 1), ("icarus", 785, 61, 1), ("icarus", 129, 129, 1)] +
                         [("verilator", 785, 61, 1), ("verilator", 129, 7, 0)])   # Verilator builds cost ~20 s each
def test_lane_apc_equals_the_apc_at_any_width(sim, kind, n, lanes, stages):
    """W lanes over ceil(n/W) clocks give the contract's APC count, global pairing included
    (odd W straddles pairs across chunks, W = 2 mod 4 flips the gate order every chunk), with the
    partial counts registered or not (stages = 1 shows the count a clock later)."""
    rng = np.random.default_rng(n * 1000 + lanes)
    c = LaneApc(n=n, lanes=lanes, kind=kind, stages=stages)
    k = 40 if n > 100 else 120
    products = rng.random((k, n)) < rng.random((k, 1))
    products[:2] = [np.zeros(n, bool), np.ones(n, bool)]
    data = scoreboard.lane_apc(c, products, gaps=[0, 0, 1, 0, 2])
    cosim(c, sim, "LaneApcTestbench", data, name=f"lane_apc_{kind}_n{n}_w{lanes}_s{stages}")


def test_lane_apc_with_a_wrong_pairing_is_caught():
    """Mutation: pairs taken locally in each chunk (the old, W-dependent pairing) must fail."""
    import mtjsc.hdl.lane_apc as lane_mod

    class LocalPairing(LaneApc):
        def elaborate(self, platform):
            saved = lane_mod.chunk_plan
            lane_mod.chunk_plan = lambda n, W, c, kind: saved(min(n - c * W, W), W, 0, kind)
            try:
                return super().elaborate(platform)
            finally:
                lane_mod.chunk_plan = saved

    rng = np.random.default_rng(2)
    c = LocalPairing(n=13, lanes=5, kind="approx")
    data = scoreboard.lane_apc(LaneApc(n=13, lanes=5, kind="approx"), rng.random((60, 13)) < 0.5)
    with pytest.raises(runner.CosimFailure, match="port 'count'"):
        runner.run(c, name="lane_apc_local_pairs", simulator="icarus", testbench="LaneApcTestbench", data=data,
                   build_root=BUILD)


def test_typed_core_and_result_interfaces():
    """The core's transfer is a stream of x then w, its requests a signature; the accelerator's result a
    StructLayout whose raw bits decode to class and scores (the testbench decodes them this way)."""
    from amaranth.lib import data, wiring

    from mtjsc.hdl.core import RequestSignature, ScMlpCore, result_layout, transfer_layout
    cfg = ScConfig(L=8, K=(8, 8), hidden=16, parallel_neurons=4, input_lanes=8)
    core = ScMlpCore(config=cfg)
    members = core.signature.members
    assert isinstance(members["req"].signature, RequestSignature) and members["nxt"].flow == wiring.Out
    assert members["transfer"].flow == wiring.In
    assert members["transfer"].signature.members["payload"].shape == transfer_layout(core.schedule)
    assert [(n, f.offset, f.width) for n, f in transfer_layout(core.schedule)] == [("x", 0, 8), ("w", 8, 32)]
    lay = result_layout(6)
    assert isinstance(lay, data.StructLayout) and lay.size == 4 + 10 * 6
    raw = 7 | sum(k << (4 + 6 * k) for k in range(10))
    r = lay.from_bits(raw)
    assert r.cls == 7 and list(r.scores) == list(range(10))
