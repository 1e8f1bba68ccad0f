"""The standard-cell flow (OSU 0.18 um, gate-level toggles, OpenSTA): exact toggles on blocks known by
hand, areas that sum, and a clear error for each bad input."""

import json
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
# one worker builds the module's netlists once (conftest.ONE_WORKER keeps the module on one worker)


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
    assert main(["asic", "--validate-only", "--cycles", "256", "--cache", str(cache), "--out", str(tmp_path)]) == 0
    text = (tmp_path / "asic-validation.md").read_text()
    assert "free_counter8" in text and "+0.00 %" in text and "free_sc_neuron32" in text
    res = json.loads((tmp_path / "asic-validation.json").read_text())
    # the table method against OpenSTA at the same global activity: within 25 % on every block, the
    # mid-size SC slice included (measured: -15 %, -11 %, -20 % at 4,096 clocks)
    assert [b["block"] for b in res["blocks"]] == ["free_counter8", "free_lfsr32", "free_sc_neuron32"]
    assert all(abs(b["cross_check"]["difference"]) < 0.25 for b in res["blocks"])
    assert res["blocks"][2]["register_toggles"]["reference"] is None and res["blocks"][2]["area"]["cell_count"] > 1000


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


@pytest.mark.parametrize("flag,value", [("--smtj-accuracy-images", "0"), ("--accuracy-images", "20000"),
                                        ("--images", "0")])
def test_cli_image_counts_are_checked_before_any_work(tmp_path, capsys, flag, value):
    assert main(["asic", flag, value, "--out", str(tmp_path)]) != 0
    assert f"{flag}={value}" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())        # refused before the validation blocks ran


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
def test_a_combinational_loop_is_refused_with_its_cells(cache):
    """Yosys keeps the loop of a cross-coupled NAND pair (as a NAND and an inverter); OpenSTA would time
    it without a word, so the flow names the loop's cells instead."""
    verilog = ("module t_loop(input clk, input a, output reg q);\n  wire x, y;\n  assign x = ~(y & a);\n"
               "  assign y = ~(x & a);\n  always @(posedge clk) q <= x;\nendmodule\n")
    net = flow.synthesize(verilog, "t_loop", cache_root=cache)
    loop = flow.combinational_loop(net)
    assert loop and loop[0] == loop[-1] and {net.instances[i] for i in loop} <= {"NAND2X1", "INVX1"}
    with pytest.raises(MtjscError, match=r"t_loop has a combinational loop: n\d \((NAND2X1|INVX1)\) -> .*register a net"):
        flow.sta(net, period_ns=10, default_activity=0.1)
    # a registered feedback is no loop
    clocked = flow.synthesize(to_verilog(_Clocked(), "t_clocked"), "t_clocked", cache_root=cache)
    assert flow.combinational_loop(clocked) is None


@needs_asic
def test_sta_needs_an_activity(cache):
    net = flow.synthesize(to_verilog(_Clocked(), "t_clocked"), "t_clocked", cache_root=cache)
    with pytest.raises(MtjscError, match="give the switching activity"):
        flow.sta(net, period_ns=10)


@pytest.fixture(scope="module")
def small_accelerators(cache, shipped, test_set):
    """The accelerator of the shipped L64 model at L = 8 and 16 (P = 4, W = 8) through the whole flow,
    two test images each at gate level."""
    from mtjsc.asic.accelerator import accelerator_energy
    from mtjsc.config import ScConfig
    m = shipped["L64"]
    imgs = test_set.images[:2]
    return {L: accelerator_energy(m, imgs, config=ScConfig.from_model(m, L=L, parallel_neurons=4, input_lanes=8),
                                  cache_root=cache) for L in (8, 16)}


@needs_asic
def test_accelerator_gate_level_is_bit_exact_and_its_blocks_sum(small_accelerators):
    """The mapped netlist computes the golden model's scores (accelerator_energy raises otherwise); the
    blocks' energies add up to the logic total and the blocks' areas to the logic area."""
    for L, r in small_accelerators.items():
        assert r["bit_exact"] and r["images"] == 2
        assert sum(r["logic_blocks_per_image_j"].values()) == pytest.approx(r["logic_energy_per_image_j"], rel=1e-9)
        assert sum(r["area"]["blocks_um2"].values()) == pytest.approx(r["area"]["logic_um2"], abs=1.0)
        assert {"sng", "xnor", "apc", "btanh", "control"} <= set(r["logic_blocks_per_image_j"])
        split = r["logic_leap_comparator_per_image_j"]
        assert split["leap"] > 0 and split["comparator"] > 0
        assert split["leap"] + split["comparator"] == pytest.approx(r["logic_blocks_per_image_j"]["sng"], rel=1e-9)
        m = r["memory_energy_per_image_j"]
        assert m["total_j"] == pytest.approx(m["read_j"] + m["write_j"]) and m["bits"] > 0
        # switching, internal and leakage add up to the logic total; the OpenSTA cross-check is there
        p = r["logic_split_per_image_j"]
        assert min(p.values()) > 0 and sum(p.values()) == pytest.approx(r["logic_energy_per_image_j"], rel=1e-9)
        c = r["cross_check"]
        assert c["opensta_j"] > 0 and c["difference"] == pytest.approx(c["library_tables_j"] / c["opensta_j"] - 1)


@needs_asic
def test_the_report_lists_each_netlist_s_power(small_accelerators):
    """designs_markdown's netlist table: one line per design, power in mW that adds up."""
    from mtjsc.studies import asic
    rows = []
    for L, r in small_accelerators.items():
        rows.append({"design": f"SC L={L} exact", "cycles_per_image": r["cycles_per_image"], "area": r["area"],
                     "netlist_logic_split_j": r["logic_split_per_image_j"], "cross_check": r["cross_check"]})
    lines = asic.netlist_table({"clock_mhz": 5.0, "rows": rows + rows[:1]})
    body = [x for x in lines if x.startswith("| SC L=")]
    assert [x.split(" | ")[0] for x in body] == ["| SC L=8 exact", "| SC L=16 exact"]
    cells = body[0].split(" | ")
    internal, switching, leakage, total = (float(cells[i].split()[0]) for i in (4, 5, 6, 7))
    r = small_accelerators[8]
    assert total == pytest.approx(1e3 * r["logic_energy_per_image_j"] / (r["cycles_per_image"] * 2e-7), abs=1e-3)
    assert internal + switching + leakage == pytest.approx(total, abs=2e-3)


@needs_asic
def test_the_or_network_goes_through_the_flow(cache, shipped, test_set):
    """The OR-neuron accelerator at gate level: bit-exact with the golden model (accelerator_energy raises
    otherwise), its OR datapath a block of its own, its sign memories costed, and smtj-biased dropping them."""
    from mtjsc.asic import sng
    from mtjsc.asic.accelerator import accelerator_energy
    from mtjsc.config import ScConfig
    m = shipped["or-L256"]
    r = accelerator_energy(m, test_set.images[:2], config=ScConfig.from_model(m, L=8, parallel_neurons=4,
                                                                              input_lanes=8), cache_root=cache)
    assert r["bit_exact"] and r["logic_blocks_per_image_j"]["or"] > 0 and "btanh" not in r["logic_blocks_per_image_j"]
    assert sum(r["logic_blocks_per_image_j"].values()) == pytest.approx(r["logic_energy_per_image_j"], rel=1e-9)
    names = {x["name"] for x in r["memory_rows"]}
    assert {"w0_neg<p>", "w1_neg<p>"} <= names and "btanh states" not in names
    b = sng.replace(r, "smtj-biased", clock_period_s=1e-7)
    assert b["removed_memory_j"] == pytest.approx(r["memory_energy_per_image_j"]["total_j"])   # every memory static


@needs_asic
def test_energy_per_image_grows_with_the_stream_length(small_accelerators):
    a, b = small_accelerators[8], small_accelerators[16]
    assert b["cycles_per_image"] > a["cycles_per_image"]
    assert b["logic_energy_per_image_j"] > a["logic_energy_per_image_j"]
    assert b["memory_energy_per_image_j"]["total_j"] > a["memory_energy_per_image_j"]["total_j"]


@needs_asic
def test_smtj_sources_replace_what_they_say(small_accelerators):
    """smtj-comparator drops the LFSR leaps and their memories and adds L (2 n1 + n2) B device reads;
    smtj-biased (the golden mtj source's devices: one per input line, two per weight) also drops the
    comparators and the threshold memories' reads, and adds L (n1 + 2 (H n1 + 10 n2)) reads and the DAC."""
    from mtjsc.asic import library, sng
    r = small_accelerators[16]
    c = sng.replace(r, "smtj-comparator", clock_period_s=1e-7)
    b = sng.replace(r, "smtj-biased", clock_period_s=1e-7)
    split = r["logic_leap_comparator_per_image_j"]
    assert c["removed_logic_j"] == pytest.approx(split["leap"]) and split["leap"] > 0
    assert b["removed_logic_j"] == pytest.approx(split["leap"] + split["comparator"])
    rows = {m["name"]: m["energy_j"] for m in r["memory_rows"]}
    lfsr_mem = sum(v for k, v in rows.items() if k.endswith(("_state", "_seed")))
    thresholds = sum(v for k, v in rows.items() if k.startswith(("w0_q", "w1_q", "pixel_q")))
    assert c["removed_memory_j"] == pytest.approx(lfsr_mem) and lfsr_mem > 0 and thresholds > 0
    assert b["removed_memory_j"] == pytest.approx(lfsr_mem + thresholds)
    assert c["bits_per_image"] == 16 * (2 * 785 + 129) * 8
    assert b["bits_per_image"] == 16 * (785 + 2 * (128 * 785 + 10 * 129))
    dac = library.supply_voltage() ** 2 / (30 * sng.DAC_UNIT_OHM) * r["cycles_per_image"] * 1e-7
    assert c["dac_j"] == 0 and dac > 0 and b["dac_j"] == pytest.approx(dac)
    per_bit = sng.device_energy_j(sng.READ_PERIOD_S) + sng.read_circuit_energy_j()
    assert c["added_j"] == pytest.approx(c["bits_per_image"] * per_bit)
    assert b["added_j"] == pytest.approx(b["bits_per_image"] * per_bit + dac)
    # the DAC is on for the whole image: a slower clock costs it more
    assert sng.replace(r, "smtj-biased", clock_period_s=2e-7)["dac_j"] == pytest.approx(2 * dac)
    with pytest.raises(MtjscError, match="--sng 'trng' is not an SNG kind of the cost model"):
        sng.check_kind("trng")


@needs_asic
def test_the_whole_report_on_a_small_design(tmp_path, cache):
    """`mtjsc asic` end to end on the small accelerator (L = 8, P = 4, W = 8) and the 1/1 baseline: every
    row has its accuracy, energies that add up and its netlist's power; the report has both tables."""
    out = tmp_path / "r"
    assert main(["asic", "--length", "8", "--apc", "exact", "--parallel", "4", "--lanes", "8", "--widths", "1/1",
                 "--or-length", "", "--images", "1", "--accuracy-images", "50", "--smtj-accuracy-images", "50",
                 "--cycles", "64", "--cache", str(cache), "--out", str(out)]) == 0
    res = json.loads((out / "asic.json").read_text())
    assert [(r["design"], r["sng"]) for r in res["rows"]] == [
        ("SC L=8 exact", "lfsr"), ("SC L=8 exact", "smtj-comparator"), ("SC L=8 exact", "smtj-biased"),
        ("binary 1/1", "-")]
    for r in res["rows"]:
        e = r["energy"]
        assert e["total_j"] == pytest.approx(e["logic_j"] + e["memory_j"] + e["random_source_j"], rel=1e-12)
        assert 0 < r["accuracy"] <= 1 and r["accuracy_images"] == 50 or r["sng"] == "-"
        assert sum(r["netlist_logic_split_j"].values()) > 0 and r["cross_check"]["opensta_j"] > 0
    lfsr, comparator, biased = res["rows"][:3]
    assert biased["energy"]["total_j"] < comparator["energy"]["total_j"] < lfsr["energy"]["total_j"]
    text = (out / "asic.md").read_text()
    assert "Power of each simulated netlist" in text and "| binary 1/1 | " in text and (out / "asic.png").exists()
