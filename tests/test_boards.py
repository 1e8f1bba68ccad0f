"""Board designs: the UART transmitter against its reference, the p-bit board's reports over the UART
equal to the NumPy model on both simulators, and (slow) the iCEBreaker bitstream build."""

import contextlib
from pathlib import Path

import pytest
from amaranth.sim import Simulator

from mtjsc.behavioral_models import pbit
from mtjsc.boards.pbit_board import HEADER, PbitBoard, report_bytes
from mtjsc.cli import main
from mtjsc.errors import MtjscError
from mtjsc.hdl.uart import UartTx, frame_bits
from mtjsc.sim.network import pbit_board_cosim

BUILD = Path(__file__).resolve().parents[1] / "build" / "cosim"


def test_uart_frames_equal_the_reference():
    """Two bytes offered back to back: the line, clock by clock from the clock after the first
    transfer, is the reference's frames (start 0, LSB first, stop 1), then idle high."""
    dut = UartTx(divisor=3)
    data = [0xA5, 0x3C]
    line = []

    async def bench(ctx):
        for b in data:
            ctx.set(dut.data.payload, b)
            ctx.set(dut.data.valid, 1)
            while not ctx.get(dut.data.ready):
                await ctx.tick()
                line.append(ctx.get(dut.tx))
            await ctx.tick()
            line.append(ctx.get(dut.tx))
        ctx.set(dut.data.valid, 0)
        for _ in range(40):
            await ctx.tick()
            line.append(ctx.get(dut.tx))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    ref = dut.reference(data)
    assert line[:len(ref)] == ref and set(line[len(ref):]) == {1}
    assert frame_bits(0x01) == [0, 1, 0, 0, 0, 0, 0, 0, 0, 1]


def test_report_format():
    assert report_bytes([1, 0, 0, 0, 0, 0, 0, 0, 1, 1]) == [HEADER, 0x01, 0x03]


@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_pbit_board_reports_the_model_state_over_the_uart(sim):
    problem = pbit.maxcut_problem(pbit.random_graph(20, 3.0, seed=5))
    schedule = pbit.Schedule.linear(0.2, 2.0, 4, sweeps_per_stage=4)
    r = pbit_board_cosim(problem, schedule, seed=2, divisor=4, simulator=sim, build_root=BUILD)
    assert r["bit_exact"] and r["reports"] == [r["expected"], r["expected"]] and len(r["expected"]) == 1 + 3
    # the first report starts after the run: one clock per colour per sweep, and a clock or two of hand-over
    assert schedule.sweeps * len(problem.groups) <= r["clocks_to_report"][0] <= schedule.sweeps * len(problem.groups) + 4


def test_a_board_needs_lfsrs():
    problem = pbit.maxcut_problem(pbit.random_graph(8, 3.0, seed=1))
    with pytest.raises(MtjscError, match="rng='entropy': a board makes its random numbers with LFSRs"):
        PbitBoard(problem=problem, schedule=pbit.Schedule((0.5,)), rng="entropy", divisor=4)


@pytest.mark.slow
def test_icebreaker_bitstream_builds_and_meets_its_clock(tmp_path):
    """The whole flow (needs `pip install -e .[fpga]`): Yosys, nextpnr-ice40 and icepack through the
    amaranth-boards platform; the design fits the UP5K and closes timing at the board's 12 MHz."""
    from mtjsc.boards.build import build
    problem = pbit.maxcut_problem(pbit.random_graph(16, 3.0, seed=0))
    res = build("icebreaker", problem=problem, schedule=pbit.Schedule.linear(0.2, 2.0, 2, 2), out=tmp_path)
    assert res["meets_clock"] and Path(res["bitstream"]).stat().st_size > 10_000
    assert 0 < res["utilization"]["ICESTORM_LC"]["used"] <= res["utilization"]["ICESTORM_LC"]["available"]
    assert res["expected_report"].startswith("a5 ")


@pytest.mark.parametrize("board", ["icebreaker", "ulx3s-85f"])
def test_crystal_table_equals_the_platforms_clock(board):
    """The refusals before a build read the crystal from a table; it must be the platform's own."""
    from mtjsc.boards.build import CRYSTAL_HZ, platform_for
    assert CRYSTAL_HZ[board] == platform_for(board).default_clk_frequency


def test_unknown_board_is_named():
    from mtjsc.boards.build import platform_for
    with pytest.raises(MtjscError, match="board 'de10': choose one of icebreaker, ulx3s-85f"):
        platform_for("de10")


@pytest.mark.parametrize("args, message", [
    (["--n", "1"], "--n=1"),
    (["--degree", "0"], "--degree=0.0"),
    (["--board", "de10"], "invalid choice: 'de10'"),
])
def test_board_command_names_bad_arguments_before_building(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) if "--board" in args else contextlib.nullcontext():    # argparse exits
        assert main(["board", "--out", str(tmp_path)] + args) != 0
    assert message in capsys.readouterr().err
    assert not any(tmp_path.iterdir())                       # nothing built


def test_board_read_compares_a_report_from_a_serial_port(tmp_path, capsys):
    """`mtjsc board --read PORT` against a pseudo-terminal that plays the board: noise, then the report."""
    import os
    import pty
    from mtjsc.boards.pbit_board import expected_report
    problem = pbit.maxcut_problem(pbit.random_graph(16, 3.0, seed=0))
    want = expected_report(problem, pbit.Schedule.linear(0.2, 2.0, 2, 2), seed=0)
    args = ["board", "--n", "16", "--stages", "2", "--sweeps-per-stage", "2", "--timeout", "5"]
    for report, code, verdict in ((want, 0, "equal to the model: yes"),
                                  (want[:-1] + [want[-1] ^ 1], 1, "equal to the model: NO")):
        master, slave = pty.openpty()
        try:
            os.write(master, bytes([0x00, 0x13] + report))
            assert main(args + ["--read", os.ttyname(slave)]) == code
        finally:
            os.close(master)
            os.close(slave)
        assert verdict in capsys.readouterr().out
    assert main(args + ["--read", str(tmp_path / "ttyNONE")]) != 0
    assert "cannot open" in capsys.readouterr().err
    master, slave = pty.openpty()                      # a board that sends nothing
    try:
        assert main(args[:-1] + ["0.2", "--read", os.ttyname(slave)]) != 0
    finally:
        os.close(master)
        os.close(slave)
    assert "0 of 3 report bytes in 0.2 s; press the board's button 0" in capsys.readouterr().err


# --- flashing: openFPGALoader's arguments and what its failures say ------------------------------------

def _fake_loader(tmp_path, monkeypatch, *, out: str, code: int):
    """A stand-in for openfpgaloader-cli that records its arguments and prints ``out``."""
    script = tmp_path / "loader"
    script.write_text(f"#!/bin/sh\necho \"$@\" > {tmp_path / 'argv'}\nprintf '%s\\n' '{out}'\nexit {code}\n")
    script.chmod(0o755)
    monkeypatch.setenv("OPENFPGALOADER", str(script))
    return tmp_path / "argv"


@pytest.mark.parametrize("board, name, persist, flags", [("ulx3s-85f", "x.bit", False, "-b ulx3s"),
                                                          ("ulx3s-85f", "x.bit", True, "-b ulx3s -f"),
                                                          ("icebreaker", "x.bin", True, "-b ice40_generic")])
def test_flash_gives_the_loader_the_board_and_the_file(tmp_path, monkeypatch, board, name, persist, flags):
    from mtjsc.boards.flash import flash
    bit = tmp_path / name
    bit.write_bytes(b"\0" * 16)
    argv = _fake_loader(tmp_path, monkeypatch, out="Done", code=0)
    assert "Done" in flash(board, bit, persist=persist)
    assert argv.read_text().split() == flags.split() + [str(bit)]


@pytest.mark.parametrize("out, code, message", [
    ("JTAG init failed with: unable to open ftdi device", 1, r"no ulx3s-85f answered on USB: connect it .*unable to open ftdi"),
    ("openFPGALoader: error while loading shared libraries: libftdi1.so.2: cannot open shared object file", 127,
     r"needs the shared library libftdi1.so.2: apt-get install libusb-1.0-0 libftdi1-2"),
    ("Error: bitstream is for another device", 1, r"openFPGALoader failed programming the ulx3s-85f \(exit 1\): .*another device"),
])
def test_flash_failures_say_what_to_do(tmp_path, monkeypatch, out, code, message):
    from mtjsc.boards.flash import flash
    bit = tmp_path / "x.bit"
    bit.write_bytes(b"\0")
    _fake_loader(tmp_path, monkeypatch, out=out, code=code)
    with pytest.raises(MtjscError, match=message):
        flash("ulx3s-85f", bit)


def test_flash_command_names_a_missing_or_wrong_bitstream(tmp_path, capsys):
    assert main(["board", "flash", "--board", "ulx3s-85f", "--bitstream", str(tmp_path / "none.bit")]) == 2
    err = capsys.readouterr().err
    assert f"--bitstream {tmp_path / 'none.bit'}: no such file; build it first (mtjsc board build" in err
    wrong = tmp_path / "x.bin"
    wrong.write_bytes(b"\0")
    assert main(["board", "flash", "--board", "ulx3s-85f", "--bitstream", str(wrong)]) == 2
    assert "the ulx3s-85f takes a .bit file" in capsys.readouterr().err
