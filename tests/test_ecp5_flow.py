"""`mtjsc.toolchain.ecp5`, the flow behind the ECP5 benchmarks: what it reads from nextpnr, and a placer that gives
up is reported with nextpnr's own words. nextpnr is not installed for the default suite (it is the
``fpga`` extra), so stand-in scripts play it through ``$NEXTPNR_ECP5``."""

import json
import stat

import pytest

from mtjsc.toolchain import ecp5
from mtjsc.errors import MtjscError


def _tool(tmp_path, body: str):
    script = tmp_path / "fake-nextpnr"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_a_placement_failure_names_the_error_and_the_log(tmp_path, monkeypatch):
    monkeypatch.setenv("NEXTPNR_ECP5", _tool(tmp_path, (
        "echo 'Info: TRELLIS_COMB: 78876/ 83640 94%' > nextpnr.log\n"
        "echo 'ERROR: Unable to find legal placement for all cells, design is probably at utilisation limit.'"
        " >> nextpnr.log\nexit 125\n")))
    with pytest.raises(MtjscError, match=r"nextpnr-ecp5 failed on placing and routing top .*Unable to find legal placement.*"
                                         r"utilisation limit.*nextpnr\.log"):
        ecp5.place_and_route(tmp_path, "top")


def test_routed_and_placed_fmax_are_read_from_report_and_log(tmp_path, monkeypatch):
    report = {"fmax": {"clk": {"achieved": 47.41, "constraint": 100.0}, "clk2": {"achieved": 80.0}},
              "utilization": {"TRELLIS_COMB": {"used": 16795, "available": 83640}, "MULT18X18D": {"used": 0}}}
    monkeypatch.setenv("NEXTPNR_ECP5", _tool(tmp_path, f"echo '{json.dumps(report)}' > report.json\n"))
    r = ecp5.place_and_route(tmp_path, "top")
    assert r["fmax_mhz"] == 47.41 and r["fmax_kind"] == "routed"
    assert r["utilization"] == {"TRELLIS_COMB": {"used": 16795, "available": 83640}}
    # --no-route: no fmax in the report; the post-placement estimate comes from the log
    monkeypatch.setenv("NEXTPNR_ECP5", _tool(tmp_path, (
        "echo '{\"utilization\": {}}' > report.json\n"
        "echo \"Info: Max frequency for clock 'clk': 36.41 MHz (FAIL at 100.00 MHz)\" > nextpnr.log\n")))
    r = ecp5.place_and_route(tmp_path, "top", route=False)
    assert r["fmax_mhz"] == 36.41 and r["fmax_kind"] == "post-placement estimate"


def test_a_run_without_fmax_is_an_error_not_a_none(tmp_path, monkeypatch):
    monkeypatch.setenv("NEXTPNR_ECP5", _tool(tmp_path, (
        "echo '{\"utilization\": {}}' > report.json\necho 'Info: no clocks' > nextpnr.log\n")))
    with pytest.raises(MtjscError, match=r"gave no Fmax in .*report\.json or .*nextpnr\.log"):
        ecp5.place_and_route(tmp_path, "top")


def test_summary_counts_every_flip_flop_kind():
    s = ecp5.summary({"LUT4": 5, "CCU2C": 2, "TRELLIS_FF": 7, "TRELLIS_FF_X": 1, "DP16KD": 3})
    assert s == {"luts": 5, "ccu2c": 2, "dsp": 0, "flip_flops": 8, "ebr": 3, "distributed_ram": 0}


def test_the_clock_pin_reaches_nextpnr_as_a_constraint(tmp_path, monkeypatch):
    """With ``clock_pin`` nextpnr gets ``--lpf`` with the clk port's site; without it, no constraint."""
    monkeypatch.setenv("NEXTPNR_ECP5", _tool(tmp_path, (
        "echo \"$@\" > args.txt\n"
        "echo '{\"fmax\": {\"clk\": {\"achieved\": 50.0}}}' > report.json\n")))
    ecp5.place_and_route(tmp_path, "top", clock_pin=ecp5.CLOCK_PIN)
    assert "--lpf clock.lpf" in (tmp_path / "args.txt").read_text()
    assert (tmp_path / "clock.lpf").read_text() == f'LOCATE COMP "clk" SITE "{ecp5.CLOCK_PIN}";\n'
    ecp5.place_and_route(tmp_path, "top")
    assert "--lpf" not in (tmp_path / "args.txt").read_text()


def test_copies_marked_keep_survive_the_ecp5_synthesis(tmp_path):
    """Two copies of one register, marked ``keep`` as BlockedScAccelerator's number copies are: Yosys alone merges
    them into one set of flip-flops; the flow's synthesis (toolchain.KEEP_FLOPS) keeps both."""
    from amaranth import Module, Signal
    from amaranth.lib import wiring
    from amaranth.lib.wiring import In, Out

    from mtjsc.hdl.export import to_verilog
    from mtjsc.toolchain import yosys

    class Copies(wiring.Component):
        d: In(8)
        e: In(8)
        y: Out(8)

        def elaborate(self, platform):
            m = Module()
            a, b = (Signal(8, name=n, reset_less=True, attrs={"keep": 1}) for n in ("copy_a", "copy_b"))
            m.d.sync += [a.eq(self.d), b.eq(self.d)]
            m.d.comb += self.y.eq((a & self.e) ^ b.rotate_left(1))
            return m

    (tmp_path / "top.v").write_text(to_verilog(Copies(), "top"))
    assert ecp5.summary(ecp5.synthesize(tmp_path, "top"))["flip_flops"] == 16
    yosys("read_verilog top.v; synth_ecp5 -top top; tee -q -o stat.json stat -json", cwd=tmp_path, what="plain")
    assert ecp5.summary(ecp5.cells(tmp_path))["flip_flops"] == 8
