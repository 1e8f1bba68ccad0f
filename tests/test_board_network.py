"""The SC network on a board, in simulation: UART to UART through AcceleratorBoard, every reply against
the golden model, the error frames answered and the next image still right, the self-test's count."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from mtjsc.boards import frames
from mtjsc.config import ScConfig
from mtjsc.errors import MtjscError
from mtjsc.sim.network import board_cosim



@pytest.fixture(scope="module")
def model(shipped):
    return shipped["L64"]


@pytest.mark.parametrize("simulator, L, selftest", [("verilator", 8, 2), ("icarus", 8, 2)])
def test_board_replies_equal_the_golden_model(model, test_set, simulator, L, selftest):
    cfg = ScConfig.from_model(model, L=L, parallel_neurons=16, input_lanes=16)
    r = board_cosim(model, test_set.images[:5], test_set.labels[:5], config=cfg, simulator=simulator,
                    selftest=selftest, build_root=None)
    assert r["bit_exact"]
    statuses = [x["status"] for x in r["replies"]]
    assert statuses == [frames.OK, frames.BAD_CHECKSUM, frames.OK, frames.GARBAGE, frames.OK, frames.TIMEOUT,
                        frames.OK] + [frames.OK] * (selftest > 0)
    good = [r["replies"][k] for k in (0, 2, 4, 6)]
    assert [x["cls"] for x in good] == [r["golden_classes"][u] for u in (0, 2, 3, 4)]
    # an image's clocks: its 785 further bytes over the link (10 bits of 4 clocks each), then the compute
    for x in good:
        assert r["accelerator_cycles_per_image"] < x["clocks"] < 785 * 40 + r["accelerator_cycles_per_image"] + 100
    if selftest:
        ran, correct = r["replies"][-1]["cls"], r["replies"][-1]["scores"][0]
        assert ran == selftest and correct == sum(np.array(r["golden_classes"][:selftest]) ==
                                                  test_set.labels[:selftest])


def test_board_design_refuses_what_it_cannot_hold(model, test_set):
    from mtjsc.boards.accelerator_board import AcceleratorBoard
    cfg = ScConfig.from_model(model, L=8, parallel_neurons=16, input_lanes=16)
    with pytest.raises(MtjscError, match="divisor"):
        AcceleratorBoard(model=model, config=cfg, divisor=2)
    with pytest.raises(MtjscError, match="timeout .* at least 12 bit times"):
        AcceleratorBoard(model=model, config=cfg, divisor=10, timeout=50)
    with pytest.raises(MtjscError, match="self-test: 2 images and 1 labels"):
        AcceleratorBoard(model=model, config=cfg, divisor=4, selftest_pixels=test_set.images[:2],
                         selftest_labels=test_set.labels[:1])
    with pytest.raises(MtjscError, match="board_cosim sends 5 images"):
        board_cosim(model, test_set.images[:3], test_set.labels[:3], config=cfg, simulator="verilator")


# --- the host command against a simulated board on a pseudo-terminal -----------------------------------

class FakeBoard:
    """Plays the board on the master side of a pty: answers each image frame with ``replies[k]`` (or stops
    after ``answer`` frames), and a self-test request with ``selftest``."""

    def __init__(self, replies, *, answer=None, selftest=None):
        import os
        import pty
        import threading
        self.master, self.slave = pty.openpty()
        self.port = os.ttyname(self.slave)
        self.replies, self.answer, self.selftest = replies, answer, selftest
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _read(self, n):
        import os
        buf = b""
        while len(buf) < n:
            buf += os.read(self.master, n - len(buf))
        return buf

    def _serve(self):
        import os
        k = 0
        try:
            while True:
                start = self._read(1)[0]
                if start == frames.SELFTEST_START and self.selftest is not None:
                    os.write(self.master, self.selftest.to_bytes())
                    continue
                if start != frames.IMAGE_START:
                    continue
                self._read(frames.IMAGE_BYTES - 1)
                if self.answer is not None and k >= self.answer:
                    continue
                os.write(self.master, b"\x00\x13" + self.replies[k].to_bytes())   # line noise before a reply
                k += 1
        except OSError:                       # the test closed the pty
            pass

    def close(self):
        import os
        os.close(self.master)
        os.close(self.slave)


def _golden_replies(model, test_set, n, L=8):
    from mtjsc.behavioral_models import golden
    from mtjsc.behavioral_models.sources import make_source
    cfg = ScConfig.from_model(model, L=L, parallel_neurons=16, input_lanes=16)
    res = golden.run_network(model, test_set.images[:n], source=make_source("lfsr", seed=0, config=cfg), config=cfg,
                             image_ids=list(range(n)), workers=1)
    return [frames.reply_for(frames.OK, int(c), s) for c, s in zip(res.classes, res.scores)], res


def test_board_run_checks_every_reply_and_reports_the_self_test(model, test_set, capsys, tmp_path):
    from mtjsc.cli import main
    replies, res = _golden_replies(model, test_set, 6)
    args = ["board", "run", "--model", "L64", "--length", "8", "--images", "6", "--timeout", "5"]
    board = FakeBoard(replies, selftest=frames.reply_for(frames.OK, 3, [2] + [0] * 9, clocks=12345))
    try:
        assert main(args + ["--port", board.port, "--selftest", "--out", str(tmp_path)]) == 0
    finally:
        board.close()
    out = capsys.readouterr().out
    acc = 100 * float((res.classes == test_set.labels[:6]).mean())
    assert f"6 images over {board.port} at 115200 baud: accuracy {acc:.2f} % (golden {acc:.2f} %)" in out
    assert "0 replies differ from the golden model" in out and "self-test: 2 of 3 correct in 12345 clocks" in out
    assert (tmp_path / "board_run.json").exists()

    wrong = list(replies)
    wrong[1] = frames.reply_for(frames.OK, (replies[1].cls + 1) % 10, replies[1].scores)
    board = FakeBoard(wrong)
    try:
        assert main(args + ["--port", board.port]) == 1
    finally:
        board.close()
    assert "1 replies differ from the golden model" in capsys.readouterr().out


def test_board_run_says_when_the_board_is_silent_or_absent(model, test_set, capsys, tmp_path):
    from mtjsc.cli import main
    replies, _ = _golden_replies(model, test_set, 3)
    board = FakeBoard(replies, answer=1)                 # answers the first image only
    try:
        assert main(["board", "run", "--model", "L64", "--length", "8", "--images", "3", "--timeout", "0.5",
                     "--port", board.port]) == 2
    finally:
        board.close()
    assert "the board did not answer within 0.5 s (0 of 38 reply bytes)" in capsys.readouterr().err
    assert main(["board", "run", "--images", "1", "--port", str(tmp_path / "ttyNONE")]) == 2
    assert f"--port {tmp_path / 'ttyNONE'}: cannot open it at 115200 baud" in capsys.readouterr().err
    assert main(["board", "run", "--images", "0", "--port", "x"]) == 2
    assert "--images" in capsys.readouterr().err


# --- the bitstream: what the build refuses before any tool runs, and (slow) the whole flow ------------

@pytest.mark.parametrize("clock, baud, divisor", [(25e6, 115_200, 217), (25e6, 1_000_000, 25), (30e6, 3_000_000, 10)])
def test_uart_divisor_is_the_nearest_whole_bit_time(clock, baud, divisor):
    from mtjsc.boards.accelerator_board import uart_divisor
    assert uart_divisor(clock, baud) == divisor


def test_uart_divisor_names_the_flag_and_the_rates_that_work():
    from mtjsc.boards.accelerator_board import uart_divisor
    with pytest.raises(MtjscError, match=r"--baud 3000000: at the 25 MHz clock a bit is 8.33 clocks, so the UART "
                                         r"runs 4.2 % off .*: 115200, 230400, 460800, 500000, 921600, 1000000, 1500000$"):
        uart_divisor(25e6, 3_000_000)


@pytest.mark.parametrize("args, message", [
    (["--board", "icebreaker"], r"the network needs \d+ kbit of memory .* the icebreaker has 120 kbit of block RAM "
                                r"it can use: \d+ kbit short .* no P or W helps"),
    (["--board", "ulx3s-85f", "--baud", "3000000"], "--baud 3000000: at the 25 MHz clock"),
    (["--board", "ulx3s-85f", "--selftest-images", "256"], "--selftest-images=256 must be an integer in 0..255"),
    (["--board", "icebreaker", "--parallel", "1", "--lanes", "1", "--clock-mhz", "30"], "no P or W helps"),
    (["--board", "ulx3s-85f", "--clock-mhz", "30", "--baud", "2400000"], r"--baud 2400000: at the 30 MHz clock a bit is 12.50 clocks"),
])
def test_network_build_refuses_what_cannot_work_before_building(tmp_path, capsys, args, message):
    from mtjsc.cli import main
    assert main(["board", "build", "--design", "accelerator", "--selftest-images", "2", "--out", str(tmp_path)]
                + args) == 2
    assert re.search(message, capsys.readouterr().err)
    assert not any(tmp_path.iterdir())                       # nothing built


@pytest.mark.slow
def test_ulx3s_network_bitstream_builds_and_meets_its_clock(model, tmp_path):
    """The whole flow (needs `pip install -e .[fpga]`, about 15 minutes): the L = 64, P = W = 16 network with
    8 self-test images through Yosys, nextpnr-ecp5 and ecppack; it fits the 85F and meets 25 MHz."""
    from mtjsc import mnist
    from mtjsc.boards.build import build_network
    cfg = ScConfig.from_model(model, L=64, parallel_neurons=16, input_lanes=16)
    res = build_network("ulx3s-85f", model=model, config=cfg, selftest=8, selftest_set=mnist.load("test"),
                        out=tmp_path)
    assert res["meets_clock"] and Path(res["bitstream"]).stat().st_size > 100_000
    assert 0 < res["utilization"]["DP16KD"]["used"] <= res["utilization"]["DP16KD"]["available"]
    assert res["images_per_s_compute"] == round(25e6 / res["cycles_per_image"], 1)
    assert 0 <= res["selftest_expected"]["correct"] <= res["selftest_expected"]["images"] == 8


@pytest.mark.parametrize("fin, fout", [(25, 30), (25, 40), (25, 50), (12, 48), (25, 25)])
def test_pll_dividers_make_the_frequency_within_the_ecp5_limits(fin, fout):
    from mtjsc.boards.clocks import PFD_MIN, VCO_MAX, VCO_MIN, pll_dividers
    d = pll_dividers(fin, fout)
    assert abs(d.output_mhz(fin) - fout) < 1e-3
    assert VCO_MIN <= d.vco_mhz(fin) <= VCO_MAX and fin / d.clki_div >= PFD_MIN
    assert d.clkop_cphase == (d.clkop_div - 1) // 2


def test_pll_dividers_say_what_the_pll_can_make_instead():
    from mtjsc.boards.clocks import pll_dividers
    with pytest.raises(MtjscError, match=r"--clock-mhz 500: the ECP5 PLL makes 3.125 to 400 MHz"):
        pll_dividers(25, 500)
    with pytest.raises(MtjscError, match=r"--clock-mhz 30.01: the ECP5 PLL cannot make it from 25 MHz; the nearest is 30 MHz"):
        pll_dividers(25, 30.01)
