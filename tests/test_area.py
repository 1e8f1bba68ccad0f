"""`mtjsc area`: Yosys figures per block, their bookkeeping, and its errors."""

from __future__ import annotations

import json

import pytest

from mtjsc.area import synth as area
from mtjsc.cli import main
from mtjsc.config import ScConfig
from mtjsc.errors import MtjscError
from mtjsc.hdl import ApproxParallelCounter, Lfsr, ScNeuron, XnorArray
from mtjsc.hdl.accelerator import ScMlpAccelerator

#: one worker: the tests share the module's Yosys cache (the accelerator synthesis runs once)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("area-cache")


# ---------------------------------------------------------------- bookkeeping, no Yosys

class _Owner:
    """A stand-in component whose submodules were added with tags."""

    def __init__(self, **tags):
        self.area_blocks = tags


def test_block_of_reads_the_tags_given_where_submodules_are_created():
    core = _Owner(apc0_3=("apc", None), xnor1_0=("xnor", None), btanh_2=("btanh", None),
                  mem_states=("memories", None))
    acc = _Owner(core=(None, core), cmp_w0=("sng", None), sng_in0_leap=("sng", None),
                 mem_sng_in0_state=("memories", None))
    top = "acc"
    assert area.block_of("acc", top, component=acc) == "control"
    assert area.block_of("\\acc.core.apc0_3", top, component=acc) == "apc"
    assert area.block_of("acc.core.xnor1_0", top, component=acc) == "xnor"
    assert area.block_of("acc.core.btanh_2", top, component=acc) == "btanh"
    assert area.block_of("acc.cmp_w0", top, component=acc) == "sng"
    assert area.block_of("acc.sng_in0_leap", top, component=acc) == "sng"
    assert area.block_of("acc.mem_sng_in0_state", top, component=acc) == "memories"
    assert area.block_of("acc.core.mem_states", top, component=acc) == "memories"
    assert area.block_of("acc.core", top, component=acc) == "control"          # None: its parent's block
    assert area.block_of("acc.core.apc_renamed", top, component=acc) == "control"   # untagged: no name rule
    assert area.block_of("apc_top", "apc_top", "apc") == "apc"


def test_an_unknown_block_tag_is_an_error():
    from amaranth import Module

    from mtjsc.hdl import XnorArray
    from mtjsc.hdl.tags import add_submodule
    with pytest.raises(MtjscError, match="area block 'xor'"):
        add_submodule(_Owner(), Module(), "x", XnorArray(n=2), "xor")


def test_a_renamed_submodule_keeps_its_block(cache):
    """Cells count to the block their submodule was tagged with, whatever its name: an XNOR array
    named "foo" is xnor, an untagged one named "xnor_fake" is control."""
    from amaranth import Module
    from amaranth.lib import wiring
    from amaranth.lib.wiring import In, Out

    from mtjsc.hdl import XnorArray
    from mtjsc.hdl.tags import add_submodule

    class Two(wiring.Component):
        def __init__(self):
            super().__init__({"x": In(8), "w": In(8), "p": Out(16)})

        def elaborate(self, platform):
            m = Module()
            a = add_submodule(self, m, "foo", XnorArray(n=8), "xnor")
            m.submodules.xnor_fake = b = XnorArray(n=8)
            m.d.comb += [a.x.eq(self.x), a.w.eq(self.w), b.x.eq(self.w), b.w.eq(~self.x),
                         self.p.eq(a.p | (b.p << 8))]
            return m

    r = area.synthesize(Two(), "renamed_blocks", "generic", cache_root=cache)
    assert r["modules"]["renamed_blocks.foo"]["block"] == "xnor"
    assert r["modules"]["renamed_blocks.xnor_fake"]["block"] == "control"
    assert r["blocks"]["xnor"]["cells"] == r["modules"]["renamed_blocks.foo"]["cells"] > 0


def test_summarize_counts_instances_and_subtracts_submodule_transistors():
    """A module instantiated twice counts twice; Yosys's hierarchical transistor estimate of a parent
    includes its children's, which must not be counted again."""
    stat = {"modules": {
        "\\top": {"num_cells_by_type": {"$_DFF_P_": 1, "top.xnor": 2}, "estimated_num_transistors": "56"},
        "\\top.xnor": {"num_cells_by_type": {"$_NAND_": 5}, "estimated_num_transistors": "20"}}}
    r = area.summarize(stat, "top", "cmos", component=_Owner(xnor=("xnor", None)))
    assert r["blocks"]["xnor"]["transistors"] == 40 and r["blocks"]["xnor"]["logic"] == 10
    assert r["blocks"]["control"]["transistors"] == 16 and r["blocks"]["control"]["ff"] == 1
    assert r["total"]["transistors"] == 56
    assert r["cells_by_type"] == {"$_DFF_P_": 1, "$_NAND_": 10}


@pytest.mark.parametrize("target, cell, kind", [
    ("generic", "$_SDFFE_PP0P_", "ff"), ("generic", "$_XOR_", "logic"), ("generic", "$mem_v2", "memory"),
    ("ice40", "SB_LUT4", "lut"), ("ice40", "SB_DFFE", "ff"), ("ice40", "SB_RAM40_4K", "bram"),
    ("ecp5", "CCU2C", "carry"), ("ecp5", "DP16KD", "bram"), ("ecp5", "TRELLIS_DPR16X4", "lutram"),
    ("xilinx", "LUT6", "lut"), ("xilinx", "CARRY4", "carry"), ("xilinx", "FDRE", "ff"), ("xilinx", "RAMB36E1", "bram"),
    ("xilinx", "RAM32M", "lutram"), ("ecp5", "SOMETHING_NEW", "other")])
def test_cell_kinds(target, cell, kind):
    assert area._kind_of_cell(target, cell) == kind


def test_unknown_target_is_an_error():
    with pytest.raises(MtjscError, match="unknown target 'asic'; choose one of generic, cmos, ice40, ecp5, xilinx"):
        area.check_target("asic")


# ---------------------------------------------------------------- Yosys

def test_neuron_blocks_sum_to_the_total_and_the_xnor_array_is_n_gates(cache):
    r = area.synthesize(ScNeuron(n=16, K=8, kind="exact"), "nrn16", "generic", cache_root=cache)
    assert set(r["blocks"]) == {"xnor", "apc", "btanh", "control"}
    for k in r["total"]:
        assert sum(b[k] for b in r["blocks"].values()) == r["total"][k]
    assert r["blocks"]["xnor"]["cells"] == 16          # one XNOR gate per input
    assert r["blocks"]["btanh"]["ff"] == 3             # K = 8 states in 3 bits
    assert not r["cached"]
    again = area.synthesize(ScNeuron(n=16, K=8, kind="exact"), "nrn16", "generic", cache_root=cache)
    assert again["cached"] and again["total"] == r["total"]


def test_cmos_transistors_match_the_cost_of_the_cells(cache):
    """Yosys's cmos cost per cell (NOT 2, NAND/NOR 4, DFF 16) reproduces the reported total, so no
    cell type is silently left out of the transistor count."""
    r = area.synthesize(Lfsr(width=32, bits=1, seed=1), "lfsr32", "cmos", top_block="sng", cache_root=cache)
    cost = {"$_NOT_": 2, "$_NAND_": 4, "$_NOR_": 4, "$_DFF_P_": 16}
    assert set(r["cells_by_type"]) <= set(cost)
    assert r["total"]["transistors"] == sum(cost[c] * n for c, n in r["cells_by_type"].items())
    assert r["total"]["ff"] == 32


def test_approx_apc_is_smaller_than_exact(cache):
    exact = area.synthesize(ApproxParallelCounter(n=64, kind="exact"), "apc64e", "generic", cache_root=cache)
    approx = area.synthesize(ApproxParallelCounter(n=64, kind="approx"), "apc64a", "generic", cache_root=cache)
    assert approx["total"]["cells"] < exact["total"]["cells"]


def test_yosys_failure_carries_its_own_message(cache):
    with pytest.raises(MtjscError, match=r"Yosys failed on the generic synthesis of broken .*ERROR.*full log: "):
        area.run_yosys("module broken(input a, output b); assign b = a +; endmodule\n", "broken", "generic",
                       cache_root=cache)


def test_missing_yosys_is_named(monkeypatch, cache):
    monkeypatch.setenv("YOSYS", "/nonexistent/yosys")
    area.yosys_version.cache_clear()
    try:
        with pytest.raises(MtjscError, match="Yosys at /nonexistent/yosys"):
            area.synthesize(XnorArray(n=4), "x4", "generic", cache_root=cache)
    finally:
        area.yosys_version.cache_clear()


@pytest.fixture(scope="module")
def accel_ecp5(small_model, cache):
    """The accelerator of a 784-16-10 model on ECP5 at P = 2 and 4 (about 30 s each; iCE40 takes 100 s)."""
    out = {}
    for P in (2, 4):
        cfg = ScConfig.from_model(small_model, L=16, parallel_neurons=P, input_lanes=8)
        acc = ScMlpAccelerator(model=small_model, config=cfg)
        out[P] = area.synthesize(acc, f"acc_P{P}", "ecp5", cache_root=cache)
    return out


def test_accelerator_blocks_sum_to_the_total_and_luts_grow_with_p(accel_ecp5):
    for r in accel_ecp5.values():
        assert set(r["blocks"]) == {"sng", "xnor", "apc", "btanh", "memories", "control"}
        for k in r["total"]:
            assert sum(b[k] for b in r["blocks"].values()) == r["total"][k]
        assert r["total"]["bram"] > 0                   # weight thresholds in block RAM
    small, big = accel_ecp5[2], accel_ecp5[4]
    assert big["total"]["lut"] > small["total"]["lut"]
    for block in ("xnor", "apc", "btanh"):              # P copies of each neuron datapath
        assert big["blocks"][block]["lut"] > small["blocks"][block]["lut"]


# ---------------------------------------------------------------- command line

def test_area_cli_writes_json_and_prints_a_table(tmp_path, capsys, cache):
    out = tmp_path / "a.json"
    rc = main(["area", "--block", "apc", "--n", "32", "--apc", "approx", "--target", "generic,cmos",
               "--cache", str(cache), "--json", str(out)])
    text = capsys.readouterr().out
    assert rc == 0
    assert "on generic: Yosys generic gates" in text and "transistors" in text
    rep = json.loads(out.read_text())
    assert rep["block"] == "apc" and rep["parameters"]["kind"] == "approx"
    assert set(rep["targets"]) == {"generic", "cmos"}
    assert rep["targets"]["cmos"]["blocks"]["apc"]["transistors"] == rep["targets"]["cmos"]["total"]["transistors"] > 0


@pytest.mark.parametrize("args, message", [
    (["--target", "asic"], "unknown target 'asic'"),
    (["--target", ","], "--target ',' names no target"),
    (["--block", "multiplier"], "unknown block 'multiplier'"),
    (["--block", "apc", "--n", "0"], "fan-in n=0 must be an integer >= 1"),
    (["--block", "accelerator", "--parallel", "-1"], "parallel_neurons P=-1 must be an integer in 0..128"),
])
def test_area_cli_bad_input(args, message, capsys, cache):
    assert main(["area", *args, "--cache", str(cache)]) == 2
    assert message in capsys.readouterr().err


# ---------------------------------------------------------------- analytical model

def test_adder_tree_counts():
    from mtjsc.area.model import adder_tree
    assert adder_tree(1) == (0, 0)
    assert adder_tree(2) == (0, 1)                 # one half adder
    assert adder_tree(4) == (1, 3)                 # two 1-bit adds (HA each), one 2-bit add (HA + FA)
    assert adder_tree(3) == (0, 3)                 # 1+1 -> 2 bits; 2-bit + 1-bit: HA + HA


def test_area_model_against_yosys(tmp_path, cache):
    """A reduced sweep (every calibration point, three validation points per block, four for the LFSR; the full sweep is
    `mtjsc area --check-model`): every block's formula within 10 % of Yosys on points the fit never saw."""
    from mtjsc.area import model as area_model
    from mtjsc.studies import plots
    res = area_model.check(area_model.SMALL_SWEEP, cache_root=cache)
    assert plots.area_model_check(res, tmp_path / "m.png").stat().st_size > 0
    assert set(res) == {"xnor", "apc_exact", "apc_approx", "btanh", "sng", "lfsr"}
    for block, r in res.items():
        assert r["max_abs_error_validation"] < 0.10, (block, r)
        assert len(r["validate"]) == (4 if block == "lfsr" else 3)
    assert res["xnor"]["max_abs_error_all"] == 0.0           # one gate per input, exactly


def test_area_check_model_cli_errors(tmp_path, capsys):
    blocker = tmp_path / "f"
    blocker.write_text("x")
    assert main(["area", "--check-model", "--out", str(blocker / "o")]) == 2
    assert "is a file, not a directory" in capsys.readouterr().err


# ---------------------------------------------------------------- sweeps on Dask

def test_small_sweep_on_a_local_dask_cluster(tmp_path, cache):
    """Four APC points on a two-worker local cluster: results come back in order, equal to a direct
    run, and the approximate APC saves area at every n."""
    from mtjsc.area import sweep as area_sweep
    points = [("apc", {"n": n, "kind": k}, "generic") for n in (16, 64) for k in ("exact", "approx")]
    res = area_sweep.run(points, workers=2, cache_root=cache)
    assert [(r["params"]["n"], r["params"]["kind"]) for r in res] == [(16, "exact"), (16, "approx"),
                                                                      (64, "exact"), (64, "approx")]
    direct = area.synthesize(ApproxParallelCounter(n=64, kind="approx"), "direct64", "generic", cache_root=cache)
    assert res[3]["total"] == direct["total"]
    sav = area_sweep.savings(res)
    assert [s["n"] for s in sav] == [16, 64] and all(0 < s["saving"] < 1 for s in sav)
    area_sweep.plot("apc", res, tmp_path / "apc.png")
    assert (tmp_path / "apc.png").stat().st_size > 0


def test_unreachable_scheduler_is_named(cache):
    with pytest.raises(MtjscError, match=r"cannot reach the Dask scheduler 'tcp://127.0.0.1:9'.*dask scheduler"):
        area_sweep_run = __import__("mtjsc.area.sweep", fromlist=["run"]).run
        area_sweep_run([("apc", {"n": 8, "kind": "exact"}, "generic")], scheduler="tcp://127.0.0.1:9",
                       cache_root=cache)


def test_unknown_sweep_is_an_error(capsys):
    assert main(["area", "--sweep", "apc,multiplier"]) == 2
    assert "unknown sweep 'multiplier'; choose from apc, btanh, sng, design" in capsys.readouterr().err


# ---------------------------------------------------------------- SC versus binary

def test_fixed_baseline_area_grows_with_P_and_blocks_sum(cache):
    """The fixed-point baseline through Yosys (generic): blocks sum to the total, more MACs cost more."""
    from mtjsc.behavioral_models.fixed import shipped_fixed
    from mtjsc.hdl.fixed import FixedMlp
    m = shipped_fixed(1, 1)
    r = {P: area.synthesize(FixedMlp(model=m, parallel=P), f"t_fixed11_P{P}", "generic", cache_root=cache)
         for P in (4, 16)}
    for res in r.values():
        assert sum(b["cells"] for b in res["blocks"].values()) == res["total"]["cells"]
    assert r[16]["total"]["cells"] > r[4]["total"]["cells"]
    for P in (4, 16):
        assert r[P]["memory_bits"] == FixedMlp(model=m, parallel=P).describe()["memory_bits"]


def test_compare_report_from_its_inputs():
    """`compare.assemble` and `compare.report` on given totals: products, ratios and the claims' lines."""
    from mtjsc.studies import compare
    rows = [{"design": d, "kind": k, "cycles_per_image": c, "memory_bits": 1000, "accuracy": acc}
            for d, k, c, acc in [("SC L=64 exact", "sc", 1000, 0.95), ("SC L=64 approx", "sc", 1000, 0.94),
                                 ("binary 8/8", "binary", 100, 0.98), ("binary 4/4", "binary", 100, 0.98),
                                 ("binary 1/1", "binary", 100, 0.95)]]
    synth = []
    for d, lut, tr in [("SC L=64 exact", 500, 5000), ("SC L=64 approx", 400, 4000), ("binary 8/8", 2000, 20000),
                       ("binary 4/4", 1000, 10000), ("binary 1/1", 300, 3000)]:
        kind, rest = d.split(" ", 1)
        p = {"L": 64, "apc": rest.split()[1]} if kind == "SC" else \
            dict(zip(("wbits", "abits"), map(int, rest.split("/"))))
        block = "accelerator" if kind == "SC" else "fixed"
        synth += [{"block": block, "params": p, "target": "ecp5", "total": {"lut": lut, "bram": 1}},
                  {"block": block, "params": p, "target": "cmos", "total": {"transistors": tr}}]
        if kind == "binary":
            synth.append({"block": block, "params": p, "target": "ice40", "total": {"lut": lut, "bram": 1}})
    synth.append({"block": "lfsr", "params": {}, "target": "cmos", "total": {"transistors": 1142}})
    res = compare.assemble(rows, synth)
    res.update({"P": 16, "W": 48, "yosys": "Yosys 0.70"})
    sc = res["designs"][1]
    assert sc["ecp5_lut_cycles"] == 400 * 1000 and sc["transistor_cycles"] == 4000 * 1000
    text = compare.report(res)
    assert "| SC L=64 approx | 94.00 % | 1,000 | n/s | 400 | 4,000 | 1,000 | 4e+05 | 2.00x | 4e+06 | 2.00x |" in text
    assert "smallest SC design (SC L=64 approx) has 400 ECP5 LUTs" in text
    assert "1,142 transistors" in text and "FINN TFC" in text and "Kim et al." in text


def test_compare_bad_parallel(capsys):
    from mtjsc.cli import main
    assert main(["area", "--compare", "--parallel", "0", "--out", "/tmp/mtjsc-unused-compare"]) != 0
    assert "--parallel=0" in capsys.readouterr().err
