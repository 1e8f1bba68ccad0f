"""The README's first command, run the way a user runs it: `mtjsc demo` as a process, from a
directory that is not the repository, with a relative --out."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mtjsc.cli import main

REPO = Path(__file__).resolve().parents[1]

# one worker for the module: the mismatch test reuses the demo's Verilator build in ``elsewhere``


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory):
    """A working directory outside the checkout, shared so the mismatch test reuses the demo's build."""
    return tmp_path_factory.mktemp("elsewhere")


def test_demo_end_to_end_from_another_directory_with_relative_out(elsewhere):
    cwd = elsewhere
    assert cwd.resolve() != REPO.resolve()
    env = {k: v for k, v in os.environ.items() if k not in ("MTJSC_BUILD", "PYTHONPATH")}
    env["MTJSC_AREA_CACHE"] = str(cwd / "area-cache")      # a cold cache: the demo really runs Yosys
    r = subprocess.run([sys.executable, "-m", "mtjsc", "demo", "--images", "60", "--seeds", "1",
                        "--out", "results/demo"], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "5/5 images: every score and class equal to the golden model, bit-exact: yes" in r.stdout, r.stdout
    out = cwd / "results" / "demo"
    for f in ("accuracy.json", "accuracy_vs_length.png", "confusion.png"):
        assert (out / f).stat().st_size > 0, f
    assert len(list((out / "verilog").glob("*.v"))) == 1
    assert "== 4/4 area of the same accelerator from Yosys" in r.stdout, r.stdout
    gen = json.loads((out / "area.json").read_text())["generic"]
    assert {"sng", "xnor", "apc", "btanh", "memories", "control"} == set(gen["blocks"])
    assert sum(b["cells"] for b in gen["blocks"].values()) == gen["total"]["cells"] > 0
    assert f"   {'total':<9}{gen['total']['cells']:>12,}" in r.stdout
    assert not list(REPO.glob("results"))        # nothing landed in the repository


def test_demo_checks_its_preconditions_before_working(tmp_path, monkeypatch, capsys):
    import mtjsc.evaluate as evaluate
    monkeypatch.setattr(evaluate, "run_network", lambda *a, **k: pytest.fail("demo ran before its checks"))
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["demo", "--images", "10", "--seeds", "1", "--out", str(blocker / "demo")]) == 2
    assert "is a file, not a directory" in capsys.readouterr().err
    monkeypatch.setenv("PATH", "/nonexistent")
    assert main(["demo", "--images", "10", "--seeds", "1", "--out", str(tmp_path / "d")]) == 2
    assert "Verilator needs 'make' to compile models" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()


def test_demo_reports_a_mismatch_with_its_cycle_and_fails(elsewhere, monkeypatch, capsys):
    """A real co-simulation against a deliberately wrong golden result: the demo says NO, names the
    first differing image and score and exits 1 (it does not crash, and it does not print yes)."""
    import mtjsc.sim.network as network
    real = network.golden.run_network

    def corrupted(*a, **k):
        res = real(*a, **k)
        res.scores[1, 3] += 1                     # image 1, score 3
        return res

    monkeypatch.setattr(network.golden, "run_network", corrupted)
    rc = main(["demo", "--images", "20", "--seeds", "1", "--out", str(elsewhere / "results" / "demo")])
    out = capsys.readouterr().out
    assert rc == 1, out
    assert "bit-exact: NO. First mismatch:" in out and "image 1: score 3" in out, out
    assert "bit-exact: yes" not in out
