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


@pytest.mark.parametrize("simulator, L, selftest", [
    ("verilator", 8, 2),
    pytest.param("icarus", 2, 1, marks=pytest.mark.slow),
])
def test_board_replies_equal_the_golden_model(model, test_set, simulator, L, selftest, tmp_path_factory):
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
