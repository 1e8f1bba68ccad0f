"""The pass-major accelerator (``ScConfig.stream_block`` Tb = L, :class:`BlockedScAccelerator`): each weight
threshold read once per image and held for a pass of L / T clocks. Co-simulated against the golden model
(which does not depend on the schedule) on Verilator and Icarus, the clock formula checked on every image,
a planted fault, the output layer's chunk counts against their reference, bad input."""

import json
from pathlib import Path

import numpy as np
import pytest

from mtjsc.behavioral_models import early_exit
from mtjsc.cli import main
from mtjsc.config import ScConfig
from mtjsc.errors import MtjscError
from mtjsc.designs import make_accelerator
from mtjsc.hdl.accelerator import ScMlpAccelerator
from mtjsc.hdl.blocked import NUMBER_FANOUT, BlockedScAccelerator, PassSchedule
from mtjsc.hdl.lane_apc import ChunkCount, LaneApc
from mtjsc.sim import runner
from mtjsc.sim.network import accelerator_cosim, accelerator_native

BUILD = Path(__file__).resolve().parents[1] / "build" / "cosim"


def _cfg(model, L, P, W, T, apc="exact"):
    return ScConfig.from_model(model, L=L, apc=apc, parallel_neurons=P, input_lanes=W, stream_lanes=T,
                               stream_block=L)


def test_clocks_and_threshold_reads(shipped):
    m = shipped["L256"]
    acc = make_accelerator(model=m, config=_cfg(m, 256, 16, 16, 8))
    assert isinstance(acc, BlockedScAccelerator)
    s = acc.schedule
    assert (s.G1, s.C1, s.C2, s.N) == (8, 50, 9, 32)
    # the passes, the last group's sweep over L indices, 15 clocks of pipeline and hand-over
    assert acc.cycles_per_image() == 784 + 2 + 8 * 50 * 32 + 256 + 15 == 13857
    d = acc.describe()
    assert d["lanes_per_clock"] == 16 * 16 * 8 and d["cycles_formula"].startswith("784 + 2 + G1*C1 * L/T + L + 15")
    # a threshold word per pass of 32 clocks, against one per clock in the index-major design
    one = ScMlpAccelerator(model=m, config=ScConfig.from_model(m, L=256, parallel_neurons=16, input_lanes=16))
    assert one.describe()["weight_bits_per_clock"] == 32 * d["weight_bits_per_clock"]
    assert acc.cycles_per_image() < one.cycles_per_image() / 7


def test_copies_of_the_numbers_follow_number_fanout(shipped):
    """ceil(P / number_fanout) copies of stage 1's number registers (the bit-exact runs below have 1 to 4)."""
    m = shipped["L64"]
    cfg = _cfg(m, 16, 16, 16, 2)
    assert BlockedScAccelerator(model=m, config=cfg).describe()["number_copies"] == 1 and NUMBER_FANOUT is None
    assert [BlockedScAccelerator(model=m, config=cfg, number_fanout=f).number_copies for f in (1, 5, 16, 40)] == \
        [16, 4, 1, 1]
    with pytest.raises(MtjscError, match="number_fanout.*hidden neurons per copy"):
        BlockedScAccelerator(model=m, config=cfg, number_fanout=0)


@pytest.mark.parametrize("P, W, T, apc, L, images, fanout", [
    (12, 30, 2, "approx", 16, 24, 4),    # P does not divide 128, W not a multiple of 4: the bias in group 10's chunk;
                                         # 3 copies of the numbers
    (7, 29, 4, "exact", 32, 20, 2),      # odd P and W; 4 copies, the last for one neuron
    (16, 32, 1, "exact", 16, 20, None),  # P divides H: the output layer's bias is a chunk of its own
])
def test_pass_major_is_bit_exact_natively(shipped, test_set, P, W, T, apc, L, images, fanout):
    m = shipped["L64"]
    cfg = _cfg(m, L, P, W, T, apc)
    r = accelerator_native(m, test_set.images[:images], config=cfg, build_root=BUILD, number_fanout=fanout)
    acc = BlockedScAccelerator(model=m, config=cfg, number_fanout=fanout)
    assert r["bit_exact"] and r["agree"] == images
    assert r["rtl_scores"] == r["golden_scores"] and r["rtl_classes"] == r["golden_classes"]
    assert r["cycles"] == [acc.cycles_per_image()] * images


def test_pass_major_with_stalls_on_verilator_and_on_icarus(shipped, test_set):
    m = shipped["L64"]
    # cocotb: idle clocks on the pixel stream, back-pressure on the result stream
    r = accelerator_cosim(m, test_set.images[:4], config=_cfg(m, 16, 10, 18, 2, "approx"), simulator="verilator",
                          idle=0.2, stall=0.3, seed=4, build_root=BUILD)
    assert r["bit_exact"] and r["rtl_scores"] == r["golden_scores"]
    # Icarus on a small one: passes of 2 clocks (T = 2 at L = 4)
    r = accelerator_cosim(m, test_set.images[:1], config=_cfg(m, 4, 8, 32, 2), simulator="icarus",
                          build_root=BUILD)
    assert r["bit_exact"] and r["config"]["stream_block"] == 4


def test_a_design_that_gives_copies_each_other_s_numbers_is_caught(shipped, test_set, monkeypatch):
    """Planted fault: the LFSR banks hand index t + k the numbers of index t + T - 1 - k."""
    real = BlockedScAccelerator._bank

    def swapped(self, *args, **kw):
        return real(self, *args, **kw)[::-1]

    monkeypatch.setattr(BlockedScAccelerator, "_bank", swapped)
    r = accelerator_native(shipped["L64"], test_set.images[:4], config=_cfg(shipped["L64"], 8, 8, 32, 2),
                           build_root=BUILD / "planted")
    assert not r["bit_exact"] and r["mismatched"]


@pytest.mark.parametrize("n, W, kind", [(785, 30, "approx"), (129, 12, "approx"), (129, 7, "exact")])
def test_chunk_counts_add_up_to_the_lane_apc_s(n, W, kind):
    """ChunkCount.reference per chunk sums to what LaneApc counts, which the golden APC is checked against."""
    rng = np.random.default_rng(n + W)
    cc, apc = ChunkCount(n=n, lanes=W, kind=kind), LaneApc(n=n, lanes=W, kind=kind)
    for _ in range(20):
        bits = rng.integers(0, 2, n)
        padded = np.concatenate([bits, np.zeros(cc.chunks * W - n, np.int64)])
        per_chunk = [cc.reference(padded[c * W:(c + 1) * W], c) for c in range(cc.chunks)]
        assert per_chunk == apc.reference(bits)


def test_bad_pass_major_designs(shipped, small_model, tmp_path, capsys):
    m = shipped["L64"]
    with pytest.raises(MtjscError, match="stream_block Tb=8: .*blocks in between are not built"):
        ScConfig.from_model(m, L=16, stream_block=8)
    with pytest.raises(MtjscError, match="needs even W, P and H"):
        make_accelerator(model=m, config=_cfg(m, 16, 7, 16, 1, "approx"))
    with pytest.raises(MtjscError, match="at least 2"):
        make_accelerator(model=m, config=_cfg(m, 16, 16, 16, 16))
    with pytest.raises(MtjscError, match="must fit in the next group's 1 passes"):
        make_accelerator(model=m, config=_cfg(m, 64, 16, 785, 2))
    with pytest.raises(MtjscError, match="has none"):
        make_accelerator(model=m, config=_cfg(m, 16, 16, 16, 1), early_exit=early_exit.ExitRule("exact", 4))
    with pytest.raises(MtjscError, match="entropy numbers would have to be kept"):
        make_accelerator(model=m, config=_cfg(m, 16, 16, 16, 1), sng="entropy")
    with pytest.raises(MtjscError, match="is the pass-major design"):
        ScMlpAccelerator(model=m, config=_cfg(m, 16, 16, 16, 1))
    from mtjsc.model import ScModel, shipped_models
    orm = ScModel.load(shipped_models()["or-L256"])
    with pytest.raises(MtjscError, match="built for Btanh networks"):
        make_accelerator(model=orm, config=ScConfig.from_model(orm, L=16, parallel_neurons=16, input_lanes=16,
                                                               stream_block=16))
    # the CLI names the flag and its value, and writes nothing
    for args, said in ((["--stream-block", "8"], "--stream-block 8: stream_block Tb=8"),
                       (["--stream-block", "half"], "--stream-block 'half' is not a block length"),
                       (["--stream-block", "L", "--apc", "approx", "--parallel", "7"],
                        "--stream-block L: the approximate APC"),
                       (["--stream-block", "L", "--sng", "entropy"], "--stream-block L: sng='entropy'")):
        assert main(["verilog", "--block", "accelerator", "--model", "L64", "--length", "16", *args,
                     "--out", str(tmp_path / "v")]) == 2
        assert said in capsys.readouterr().err and not (tmp_path / "v").exists()
    assert main(["verilog", "--block", "core", "--model", "L64", "--length", "16", "--stream-block", "L",
                 "--out", str(tmp_path / "v")]) == 2
    assert "is a property of the accelerator" in capsys.readouterr().err
    assert main(["cosim", "--model", "L64", "--length", "16", "--stream-block", "L", "--early-exit", "exact:4",
                 "--images", "1"]) == 2
    assert "--stream-block L: early exit" in capsys.readouterr().err
    assert PassSchedule(ScConfig.from_model(small_model, L=16, parallel_neurons=6, input_lanes=16)).C2 == 3


def test_mtjsc_verilog_writes_the_pass_major_manifest(tmp_path):
    assert main(["verilog", "--block", "accelerator", "--model", "L64", "--length", "64", "--parallel", "8",
                 "--lanes", "32", "--stream-lanes", "2", "--stream-block", "L", "--out", str(tmp_path)]) == 0
    man = json.loads(next(tmp_path.glob("*_T2_pass.json")).read_text())
    assert man["config"]["stream_block"] == 64 and man["cycles_per_image"] == 784 + 2 + 16 * 25 * 32 + 64 + 15
    assert man["schedule"]["dataflow"] == "pass-major" and man["lanes_per_clock"] == 8 * 32 * 2
    assert {mem["name"] for mem in man["memories"]} >= {"partial_sums", "totals", "w0_q<p>"}
    # the seed ROMs are asked for block RAM however shallow: 25 words of 32 x 32 bits, 29 DP16KD each
    ebr = {mem["name"]: mem["ecp5_ebr"] for mem in man["memories"]}
    assert ebr["sng_in0_seed"] == ebr["sng_w0_seed"] == 29 and ebr["w0_q<p>"] == man["ecp5_ebr_for_layer0_weights"]
    assert man["ecp5_ebr_estimate"] == sum(ebr.values())

