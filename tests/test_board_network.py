"""The SC network on a board, in simulation: UART to UART through AcceleratorBoard, every reply against
the golden model, the error frames answered and the next image still right, the self-test's count."""

from __future__ import annotations

import numpy as np
import pytest

from mtjsc.boards import frames
from mtjsc.config import ScConfig
from mtjsc.errors import MtjscError
from mtjsc.sim.network import board_cosim

pytestmark = pytest.mark.xdist_group("board_network")


@pytest.fixture(scope="module")
def model(shipped):
    return shipped["L64"]


@pytest.mark.parametrize("simulator, L, selftest", [("verilator", 8, 2)])
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
