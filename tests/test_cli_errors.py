"""Bad input on the command line: one `mtjsc: error:` line naming the value and the fix, exit 2,
no traceback, no output left behind, and no work done before the check."""

import subprocess
import sys

import numpy as np
import pytest

from mtjsc.cli import main


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if a command starts its real work (data loading, golden runs, Verilog, training)."""
    def forbidden(*a, **k):
        raise AssertionError("the command started working before rejecting its input")
    import mtjsc.behavioral_models.golden as golden
    import mtjsc.evaluate as evaluate
    import mtjsc.hdl.export as export
    import mtjsc.mnist as mnist
    import mtjsc.studies.mtj as mtj_report
    monkeypatch.setattr(mnist, "load", forbidden)
    monkeypatch.setattr(golden, "run_network", forbidden)
    monkeypatch.setattr(evaluate, "run_network", forbidden)
    monkeypatch.setattr(export, "to_verilog", forbidden)
    for name in ("curve", "dwell", "trace", "energy"):
        monkeypatch.setattr(mtj_report, name, forbidden)


@pytest.fixture
def a_file(tmp_path):
    f = tmp_path / "plain-file"
    f.write_text("not a directory")
    return f


def check_error(capsys, argv, message, tmp_path, before=None):
    before = set(tmp_path.rglob("*")) if before is None else before
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mtjsc: error: "), err
    assert message in lines[0], err
    assert "Traceback" not in err
    assert set(tmp_path.rglob("*")) == before       # nothing written


TRAIN = ["train", "--data", "/nonexistent-mnist", "--epochs", "1"]


@pytest.mark.parametrize("args, message", [
    (["--hidden", "-1"], "--hidden=-1 must be an integer >= 1"),
    (["--hidden", "0"], "--hidden=0 must be an integer >= 1"),
    (["--shift", "-1"], "--shift=-1 must be an integer >= 0"),
    (["--seed", "-1"], "--seed=-1 must be an integer >= 0"),
    (["--lr", "0"], "--lr=0.0 must be a positive finite number"),
    (["--lr", "-0.1"], "--lr=-0.1 must be a positive finite number"),
    (["--lr", "nan"], "--lr=nan must be a positive finite number"),
    (["--gain", "inf"], "--gain=inf must be a positive finite number"),
])
def test_train_rejects_bad_options(args, message, tmp_path, capsys, no_work):
    check_error(capsys, TRAIN + args + ["--out", str(tmp_path / "m.npz")], message, tmp_path)


def test_train_rejects_unwritable_out_before_training(tmp_path, a_file, capsys, no_work):
    check_error(capsys, TRAIN + ["--out", str(a_file / "m.npz")], "is a file, not a directory", tmp_path)
    check_error(capsys, TRAIN + ["--out", str(tmp_path)], "is a directory; give a file name", tmp_path)


@pytest.mark.parametrize("args, message", [
    (["--model", ","], "--model ',' names no model"),
    (["--model", ",", "--plots", "PLOTS"], "--model ',' names no model"),
    (["--model", "auto,nope"], "--model 'nope' is neither a file nor a shipped model"),
])
def test_eval_rejects_bad_models(args, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    import mtjsc.evaluate as evaluate
    monkeypatch.setattr(evaluate, "run_network", lambda *a, **k: pytest.fail("ran before checking"))
    check_error(capsys, ["eval", "--length", "8", "--images", "5", *args], message, tmp_path)


def test_eval_rejects_unwritable_outputs_before_running(tmp_path, a_file, capsys, no_work):
    base = ["eval", "--length", "8", "--images", "5", "--seeds", "1"]
    check_error(capsys, base + ["--json", str(a_file / "r.json")], "is a file, not a directory", tmp_path)
    check_error(capsys, base + ["--plots", str(a_file)], "--plots", tmp_path)


@pytest.mark.parametrize("args, message", [
    (["--block", "lfsr", "--seed", "-1"], "seed=-1 must be an integer >= 0"),
    (["--block", "xnor", "--name", "a/b"], "--name 'a/b' is not a Verilog identifier"),
    (["--block", "xnor", "--name", "1abc"], "--name '1abc' is not a Verilog identifier"),
    (["--block", "xnor", "--name", "my module"], "is not a Verilog identifier"),
    (["--block", "neuron", "--score-bits", "10"], "score_bits=10 is too narrow: a score reaches n*L = 785*256"),
    (["--block", "neuron", "--score-bits", "17", "--length", "256"], "needs 18 bits"),
    (["--block", "apc", "--layer", "2"], "--layer=2 must be an integer in 0..1"),
    (["--block", "apc", "--length", "0"], "L=0 must be an integer >= 1"),
])
def test_verilog_rejects_bad_options(args, message, tmp_path, capsys, no_work):
    check_error(capsys, ["verilog", *args, "--out", str(tmp_path / "v")], message, tmp_path)


def test_verilog_rejects_out_that_is_a_file(tmp_path, a_file, capsys, no_work):
    check_error(capsys, ["verilog", "--block", "xnor", "--out", str(a_file)], "is a file; give a directory",
                tmp_path)


@pytest.mark.parametrize("args, message", [
    (["--parallel", "129"], "parallel_neurons P=129 must be an integer in 0..128"),
    (["--lanes", "-1"], "input_lanes W=-1 must be an integer in 0..785"),
    (["--length", "0"], "L=0 must be an integer >= 1"),
    (["--images", "0"], "--images=0 must be an integer in 1..10000"),
    (["--design", "chip"], "--design 'chip': choose accelerator"),
    (["--harness", "fpga"], "--harness 'fpga': choose cocotb or native"),
    (["--source", "mtj"], "the accelerator makes its bits with lfsr SNGs or takes them from its entropy port"),
    (["--design", "core", "--source", "entropy"], "--source entropy drives the accelerator's entropy port"),
    (["--harness", "native", "--sim", "icarus"], "--harness native runs the accelerator with lfsr SNGs on Verilator"),
    (["--harness", "native", "--source", "entropy"], "--harness native runs the accelerator with lfsr SNGs"),
    (["--seed", "-2"], "--seed=-2 must be an integer >= 0"),
])
def test_cosim_rejects_bad_options(args, message, tmp_path, capsys, no_work):
    check_error(capsys, ["cosim", *args, "--json", str(tmp_path / "c.json")], message, tmp_path)


def test_verilog_rejects_an_unknown_sng(tmp_path, capsys, no_work):
    check_error(capsys, ["verilog", "--block", "accelerator", "--sng", "trng", "--out", str(tmp_path / "v")],
                "--sng 'trng': choose lfsr", tmp_path)


@pytest.mark.parametrize("args, message", [
    (["trace", "--biases", "0"], "--biases=0 must be an integer >= 1"),
    (["trace", "--biases", "-1"], "--biases=-1 must be an integer >= 1"),
    (["trace", "--seed", "-1"], "--seed=-1 must be an integer >= 0"),
    (["dwell", "--seed", "-1"], "--seed=-1 must be an integer >= 0"),
])
def test_mtj_rejects_bad_options(args, message, tmp_path, capsys, no_work):
    check_error(capsys, ["mtj", *args, "--out", str(tmp_path / "m")], message, tmp_path)


def test_mtj_fit_rejects_corrupt_trace_file(tmp_path, capsys):
    bad = tmp_path / "trace.npz"
    bad.write_bytes(b"PK\x03\x04 this is not a zip archive")
    check_error(capsys, ["mtj", "fit", "--trace-file", str(bad), "--out", str(tmp_path / "o")],
                "is not a readable .npz", tmp_path)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, bias_V=np.array([object()], dtype=object))
    check_error(capsys, ["mtj", "fit", "--trace-file", str(pickled), "--out", str(tmp_path / "o")],
                "is not a readable .npz", tmp_path)


@pytest.mark.parametrize("args, message", [
    (["--calibration", "bogus"], "calibration='bogus': use 'device' or 'nominal'"),
    (["--length", "0"], "L=0 must be an integer >= 1"),
    (["--seeds", "0"], "--seeds=0 must be an integer >= 1"),
])
def test_sweep_rejects_bad_options_before_the_baseline(args, message, tmp_path, capsys, no_work):
    check_error(capsys, ["sweep", "--param", "period_ratio", "--values", "1", *args, "--out", str(tmp_path / "s")],
                message, tmp_path)


def test_errors_from_a_real_process_have_no_traceback(tmp_path):
    """`python -m mtjsc` is the CLI; its errors are one line and exit 2 in a real process too."""
    r = subprocess.run([sys.executable, "-m", "mtjsc", "train", "--hidden", "-1", "--out", str(tmp_path / "m.npz")],
                       capture_output=True, text=True)
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip() == "mtjsc: error: --hidden=-1 must be an integer >= 1; the paper uses 128 hidden neurons"
    assert not list(tmp_path.iterdir())


def test_python_dash_m_mtjsc_runs_the_cli():
    r = subprocess.run([sys.executable, "-m", "mtjsc", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "verilog" in r.stdout and "demo" in r.stdout


@pytest.mark.parametrize("args, message", [
    (["--fracs", "64"], "--fracs 64: with --int-bits 7 a word holds 1 + 7 + 64 = 72 bits"),
    (["--fracs", "8,20", "--int-bits", "20"], "--fracs 20: with --int-bits 20 a word holds 1 + 20 + 20 = 41 bits"),
    (["--int-bits", "30"], "--int-bits=30 must be an integer in 0..24"),
    (["--bits", "ideal,qrng"], "--bits 'qrng': choose from ideal, lfsr, mtj"),
    (["--fracs", "8,x"], "--fracs '8,x': give comma-separated int values"),
])
def test_lowprec_names_the_users_flags(args, message, tmp_path, capsys, no_work):
    check_error(capsys, ["lowprec", *args, "--out", str(tmp_path / "lp")], message, tmp_path)


def test_old_option_spellings_still_work_with_a_warning(tmp_path, capsys, monkeypatch):
    """`--n` (now --fan-in) keeps working for a release; the warning names the new spelling."""
    import mtjsc.hdl.export as export
    seen = {}
    monkeypatch.setattr(export, "write", lambda comp, name, block, params, out: seen.update(n=comp.n) or
                        (tmp_path / "v.v", tmp_path / "v.json"))
    assert main(["verilog", "--block", "xnor", "--n", "12", "--out", str(tmp_path / "v")]) == 0
    assert seen["n"] == 12
    assert "--n is deprecated; use --fan-in" in capsys.readouterr().err
    assert main(["board", "--n", "1", "--out", str(tmp_path / "b")]) == 2
    assert "--n=1 must be an integer in 2..4096" in capsys.readouterr().err
