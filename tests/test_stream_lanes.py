"""T stream indices per clock (``ScConfig.stream_lanes``, bit-parallel SC): T copies of the datapath share each
weight-threshold read, the LFSR banks leap T times a clock, the Btanh updates chain through the T indices.
Co-simulated against the golden model (which does not depend on the schedule), the clock formula, a
planted fault, bad input."""

import json
from pathlib import Path

import numpy as np
import pytest

from mtjsc.behavioral_models import early_exit
from mtjsc.behavioral_models.sources import make_source
from mtjsc.cli import main
from mtjsc.config import ScConfig
from mtjsc.errors import MtjscError
from mtjsc.hdl.accelerator import ScMlpAccelerator
from mtjsc.sim import runner
from mtjsc.sim.network import accelerator_cosim, accelerator_native, core_cosim

BUILD = Path(__file__).resolve().parents[1] / "build" / "cosim"


def _cfg(shipped, L, P, W, T, apc="exact"):
    return ScConfig.from_model(shipped["L64"], L=L, apc=apc, parallel_neurons=P, input_lanes=W, stream_lanes=T)


def test_clocks_fall_by_t_and_the_threshold_reads_stay(shipped):
    one = ScMlpAccelerator(model=shipped["L64"], config=_cfg(shipped, 64, 16, 16, 1))
    four = ScMlpAccelerator(model=shipped["L64"], config=_cfg(shipped, 64, 16, 16, 4))
    s = four.schedule
    assert four.cycles_per_image() == 784 + 2 + 64 // 4 * (s.transfers_per_t + 2) + 9
    assert one.cycles_per_image() - 786 - 9 == 4 * (four.cycles_per_image() - 786 - 9)
    d1, d4 = one.describe(), four.describe()
    assert d4["memory_bits"] == d1["memory_bits"] and d4["weight_bits_per_clock"] == d1["weight_bits_per_clock"]
    assert d4["cycles_formula"].startswith("784 + 2 + L / 4 * (G1*C1") and d4["schedule"]["T"] == 4


@pytest.mark.parametrize("P, W, T, apc", [
    (12, 30, 4, "exact"),      # P does not divide 128, W not a multiple of 4
    pytest.param(5, 37, 2, "approx", marks=pytest.mark.slow),   # W odd: each copy keeps its own carry
    pytest.param(32, 64, 8, "exact", marks=pytest.mark.slow),   # eight indices a step: a large build
])
def test_t_parallel_accelerator_is_bit_exact_on_verilator(shipped, test_set, P, W, T, apc):
    cfg = _cfg(shipped, 16, P, W, T, apc)
    r = accelerator_cosim(shipped["L64"], test_set.images[:20], config=cfg, simulator="verilator", idle=0.1,
                          stall=0.2, build_root=BUILD)
    assert r["bit_exact"] and r["rtl_scores"] == r["golden_scores"] and r["rtl_classes"] == r["golden_classes"]


def test_t_parallel_on_icarus_natively_and_with_early_exit(shipped, test_set):
    # Icarus on a small design (its time grows with the lanes simulated), two steps of T = 2
    r = accelerator_cosim(shipped["L64"], test_set.images[:1], config=_cfg(shipped, 4, 8, 16, 2), simulator="icarus",
                          build_root=BUILD)
    assert r["bit_exact"] and r["config"]["stream_lanes"] == 2
    cfg = _cfg(shipped, 16, 32, 64, 2)
    rule = early_exit.ExitRule("margin", 4, 25)
    n = accelerator_native(shipped["L64"], test_set.images[:24], config=cfg, early_exit=rule, build_root=BUILD)
    acc = ScMlpAccelerator(model=shipped["L64"], config=cfg, early_exit=rule)
    assert n["bit_exact"] and n["cycles"] == [acc.cycles_at_exit(t) for t in n["golden_t"]]
    assert len(set(n["golden_t"])) > 1


@pytest.mark.slow     # the accelerator co-simulations above guard T in the default run
def test_t_parallel_core_with_any_source(shipped, test_set):
    """The core alone, its T index words answered from the ``mtj`` source's bits, with stalls."""
    cfg = _cfg(shipped, 12, 16, 40, 3)
    src = make_source("mtj", seed=1, config=cfg)
    r = core_cosim(shipped["L64"], test_set.pixels()[:3], [0, 1, 2], source=src, config=cfg, simulator="verilator",
                   stall=0.2, build_root=BUILD)
    assert r["bit_exact"]


def test_copies_that_take_each_other_s_numbers_are_caught(shipped, test_set, monkeypatch):
    """Planted fault: the LFSR banks hand copy k the numbers of copy T - 1 - k."""
    real = ScMlpAccelerator._sng_bank

    def swapped(self, *args, **kw):
        return real(self, *args, **kw)[::-1]

    monkeypatch.setattr(ScMlpAccelerator, "_sng_bank", swapped)
    with pytest.raises(runner.CosimFailure, match="score|class"):
        accelerator_cosim(shipped["L64"], test_set.images[:4], config=_cfg(shipped, 8, 8, 16, 2),
                          simulator="verilator", build_root=BUILD / "planted")


def test_bad_stream_lanes(shipped, tmp_path, capsys):
    with pytest.raises(MtjscError, match="stream_lanes T=3 does not divide L=16.*choose one of 1, 2, 4, 8, 16"):
        _cfg(shipped, 16, 16, 16, 3)
    with pytest.raises(MtjscError, match="stream_lanes T=32 must be an integer in 1..16"):
        _cfg(shipped, 16, 16, 16, 32)
    with pytest.raises(MtjscError, match="needs lfsr SNGs"):
        ScMlpAccelerator(model=shipped["L64"], config=_cfg(shipped, 16, 16, 16, 2), sng="entropy")
    with pytest.raises(MtjscError, match="not a multiple of T = 4"):
        ScMlpAccelerator(model=shipped["L64"], config=_cfg(shipped, 16, 16, 16, 4),
                         early_exit=early_exit.ExitRule("exact", 6))
    from mtjsc.hdl.or_core import OrMlpCore
    from mtjsc.model import ScModel, shipped_models
    orm = ScModel.load(shipped_models()["or-L256"])
    with pytest.raises(MtjscError, match="OrMlpCore takes one stream index per clock"):
        OrMlpCore(config=ScConfig.from_model(orm, L=16, stream_lanes=2))
    assert main(["verilog", "--block", "accelerator", "--length", "100", "--stream-lanes", "8",
                 "--out", str(tmp_path / "v")]) == 2
    err = capsys.readouterr().err
    assert "--stream-lanes 8: stream_lanes T=8 does not divide L=100" in err and not (tmp_path / "v").exists()


def test_mtjsc_verilog_and_cosim_take_stream_lanes(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MTJSC_BUILD", str(BUILD))
    assert main(["verilog", "--block", "accelerator", "--model", "L64", "--length", "64", "--stream-lanes", "4",
                 "--stream-block", "1", "--out", str(tmp_path / "v")]) == 0
    man = json.loads(next((tmp_path / "v").glob("*_T4.json")).read_text())
    assert man["config"]["stream_lanes"] == 4 and man["cycles_per_image"] == 7371
    out = tmp_path / "c.json"
    # the design of the native test above (its build is reused)
    assert main(["cosim", "--model", "L64", "--length", "16", "--parallel", "32", "--lanes", "64",
                 "--stream-lanes", "2", "--stream-block", "1", "--early-exit", "margin:4:25", "--images", "6", "--harness", "native",
                 "--json", str(out)]) == 0
    r = json.loads(out.read_text())
    assert r["agreement"] == 6 and np.all([p["bit_exact"] for p in r["per_image"]])
    assert r["config"]["stream_lanes"] == 2 and r["mean_t"] < 16
