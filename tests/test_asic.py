"""The standard-cell flow (OSU 0.18 um, gate-level toggles, OpenSTA): exact toggles on blocks known by
hand, areas that sum, and a clear error for each bad input."""

import shutil

import pytest
from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from mtjsc.asic import activity, flow, library, validation
from mtjsc.cli import main
from mtjsc.errors import MtjscError
from mtjsc.hdl.export import to_verilog

needs_asic = pytest.mark.skipif(shutil.which("sta") is None, reason="OpenSTA not installed (./run setup-asic)")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    library.library_dir()          # an uninstalled library fails here with the install step, not later
    return tmp_path_factory.mktemp("asic")


@pytest.mark.parametrize("make", [lambda: validation.FreeCounter(width=8),
                                  lambda: validation.FreeLfsr(width=32, seed=12345),
                                  lambda: validation.FreeLfsr(width=16, seed=77)])
def test_gate_level_toggles_equal_the_reference_count(make, cache):
    """Every flip-flop of the mapped netlist toggles exactly as the register bit it implements
    (the counter's bit k every 2^k clocks, the LFSR as the golden LFSR sequence)."""
    from mtjsc.studies.asic import _register_toggles
    comp = make()
    name = f"t_{type(comp).__name__.lower()}{comp.width}"
    net = flow.synthesize(to_verilog(comp, name), name, cache_root=cache)
    cycles = 777
    rates = activity.freerun_rates(net, cycles)
    assert _register_toggles(net, rates, cycles) == sorted(comp.reference_toggles(cycles), reverse=True)


@needs_asic
def test_area_blocks_sum_and_lfsr_cells_are_the_sng_block(cache):
    comp = validation.FreeLfsr(width=32, seed=5)
    net = flow.synthesize(to_verilog(comp, "t_lfsr_area"), "t_lfsr_area", cache_root=cache)
    a = flow.area(net, comp)
    areas = library.cell_areas()
    assert a["logic_um2"] == pytest.approx(sum(areas[c] * n for c, n in a["cells"].items()))
    assert a["logic_um2"] == pytest.approx(sum(a["blocks_um2"].values()))
    assert set(a["blocks_um2"]) == {"sng"} and a["flip_flops"] == 32
    timing = flow.sta(net, period_ns=10, default_activity=0.5, component=comp)
    assert 0 < timing["critical_ns"] < 10 and timing["fmax_mhz"] == pytest.approx(1000 / timing["critical_ns"], rel=1e-3)
    p = timing["power_w"]
    assert p["total"] == pytest.approx(p["internal"] + p["switching"] + p["leakage"], rel=1e-4)
    assert sum(timing["blocks_w"].values()) == pytest.approx(p["total"], rel=1e-3)


@needs_asic
def test_the_command_writes_its_report(tmp_path, cache):
    assert main(["asic", "--cycles", "256", "--cache", str(cache), "--out", str(tmp_path)]) == 0
    text = (tmp_path / "asic-validation.md").read_text()
    assert "free_counter8" in text and "+0.00 %" in text and (tmp_path / "asic-validation.json").exists()


def test_missing_library_names_the_install_step(monkeypatch, tmp_path):
    monkeypatch.setenv("MTJSC_OSU018", str(tmp_path))
    with pytest.raises(MtjscError, match=r"MTJSC_OSU018=.* holds no osu018_stdcells.lib.*\./run setup-asic"):
        library.library_dir()


@pytest.mark.parametrize("value", [0, -5, "nan", "x"])
def test_a_non_positive_clock_is_refused(value):
    with pytest.raises(MtjscError, match="must be a positive number; give --clock-mhz above 0"):
        flow.check_period(value)


def test_cli_clock_error_names_the_flag(tmp_path, capsys):
    assert main(["asic", "--clock-mhz", "0", "--out", str(tmp_path)]) != 0
    assert "--clock-mhz=0" in capsys.readouterr().err


def test_no_activity_is_an_error(tmp_path):
    (tmp_path / "coverage.dat").write_text("# SystemC::Coverage-3\n")
    with pytest.raises(MtjscError, match="produced no activity"):
        activity.read_coverage(tmp_path / "coverage.dat", "dut")


class _Comb(wiring.Component):
    a: In(4)
    y: Out(4)

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.y.eq(~self.a)
        return m


class _Clocked(wiring.Component):
    y: Out(4)

    def elaborate(self, platform):
        m = Module()
        r = Signal(4)
        m.d.sync += r.eq(r + 3)
        m.d.comb += self.y.eq(r)
        return m


@needs_asic
def test_a_design_without_a_clock_cannot_be_timed(cache):
    net = flow.synthesize(to_verilog(_Comb(), "t_comb"), "t_comb", cache_root=cache)
    with pytest.raises(MtjscError, match="has no clk port: OpenSTA cannot time a design without a clock"):
        flow.sta(net, period_ns=10, default_activity=0.1)


@needs_asic
def test_sta_needs_an_activity(cache):
    net = flow.synthesize(to_verilog(_Clocked(), "t_clocked"), "t_clocked", cache_root=cache)
    with pytest.raises(MtjscError, match="give the switching activity"):
        flow.sta(net, period_ns=10)
