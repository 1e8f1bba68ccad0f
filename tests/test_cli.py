import json
import subprocess
import sys

import pytest

from mtjsc.cli import main


def test_eval_writes_json_and_plots(tmp_path, capsys):
    rc = main(["eval", "--images", "300", "--length", "16,32", "--seeds", "2", "--model", "auto,paper",
               "--json", str(tmp_path / "r.json"), "--plots", str(tmp_path / "plots")])
    assert rc == 0
    res = json.loads((tmp_path / "r.json").read_text())
    assert [s["name"] for s in res["series"]] == ["auto", "paper"]
    pts = res["series"][0]["points"]
    assert [p["L"] for p in pts] == [16, 32] and pts[0]["model"] == "L64"
    for p in pts:
        assert len(p["accuracies"]) == 2 and p["ci95"][0] <= p["mean"] <= p["ci95"][1]
        assert sum(map(sum, p["confusion"])) == 2 * 300
    for f in ("accuracy_vs_length.png", "confusion.png"):
        assert (tmp_path / "plots" / f).read_bytes()[:4] == b"\x89PNG"
    out = capsys.readouterr().out
    assert "L=   16" in out and "paper" in out


def test_eval_is_reproducible(tmp_path):
    args = ["eval", "--images", "200", "--length", "8", "--seeds", "1", "--source", "lfsr"]
    main(args + ["--json", str(tmp_path / "a.json")])
    main(args + ["--json", str(tmp_path / "b.json")])
    a, b = (json.loads((tmp_path / f).read_text()) for f in ("a.json", "b.json"))
    assert a["series"][0]["points"][0]["accuracies"] == b["series"][0]["points"][0]["accuracies"]


@pytest.mark.parametrize("args, message", [
    (["eval", "--source", "quantum", "--images", "10", "--length", "8", "--seeds", "1"],
     "unknown stream source 'quantum'"),
    (["eval", "--length", "0", "--images", "10"], "L=0 must be an integer >= 1"),
    (["eval", "--length", "64,x"], "--length '64,x'"),
    (["eval", "--images", "0", "--length", "8"], "--images=0 must be an integer in 1..10000"),
    (["eval", "--seeds", "0", "--length", "8"], "--seeds=0 must be an integer >= 1"),
    (["eval", "--model", "missing.npz", "--length", "8", "--images", "5"], "does not exist"),
    (["eval", "--source", "lfsr", "--sng-bits", "0", "--length", "8", "--images", "5"], "B=0 must be"),
    (["eval", "--source", "mtj", "--period-ratio", "-1", "--length", "8", "--images", "5"], "period_ratio"),
    (["eval", "--source", "mtj", "--levels", "1", "--length", "8", "--images", "5"], "levels=1"),
])
def test_bad_input_is_a_clear_error(args, message, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "mtjsc: error:" in err and message in err


def test_console_script_help():
    out = subprocess.run([sys.executable, "-m", "mtjsc.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "train" in out.stdout and "eval" in out.stdout


def test_eval_with_mtj_source(tmp_path):
    assert main(["eval", "--source", "mtj", "--period-ratio", "0.5", "--images", "100", "--length", "32",
                 "--seeds", "1", "--json", str(tmp_path / "m.json")]) == 0
    res = json.loads((tmp_path / "m.json").read_text())
    assert res["source_options"]["period_ratio"] == 0.5 and res["series"][0]["points"][0]["mean"] > 0.5


def test_sweep_writes_json_and_plot(tmp_path, capsys):
    assert main(["sweep", "--param", "period_ratio", "--values", "0.2,5", "--length", "16", "--images", "60",
                 "--seeds", "1", "--out", str(tmp_path)]) == 0
    res = json.loads((tmp_path / "sweep_period_ratio.json").read_text())
    assert [p["value"] for p in res["points"]] == [0.2, 5.0] and 0 <= res["ideal"]["mean"] <= 1
    assert (tmp_path / "sweep_period_ratio.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["sweep", "--param", "colour", "--values", "1", "--images", "10"]) == 2
    assert main(["sweep", "--param", "period_ratio", "--values", "0", "--images", "10"]) == 2
    assert "must be finite and >= 0" in capsys.readouterr().err


def test_eval_with_mtj_pool_source(tmp_path):
    assert main(["eval", "--source", "mtj-pool", "--images", "100", "--length", "64", "--seeds", "1",
                 "--json", str(tmp_path / "p.json")]) == 0
    assert json.loads((tmp_path / "p.json").read_text())["series"][0]["points"][0]["mean"] > 0.8


def test_auto_picks_the_models_trained_for_the_apc(tmp_path):
    assert main(["eval", "--apc", "approx", "--length", "16,256,1024", "--images", "50", "--seeds", "1",
                 "--json", str(tmp_path / "a.json")]) == 0
    res = json.loads((tmp_path / "a.json").read_text())
    pts = res["series"][0]["points"]
    assert [p["model"] for p in pts] == ["approx_L64", "approx_L256", "approx_L1024"]
    assert all(p["model_apc"] == "approx" and p["config"]["apc"] == "approx" for p in pts)
    assert res["warnings"] == []


def test_a_model_run_on_the_other_apc_is_warned_about(tmp_path, capsys):
    assert main(["eval", "--model", "L256", "--apc", "approx", "--length", "16", "--images", "30", "--seeds", "1",
                 "--json", str(tmp_path / "w.json")]) == 0
    err = capsys.readouterr().err
    assert "mtjsc: warning: model L256 was trained for the exact APC but runs with the approx APC" in err
    assert json.loads((tmp_path / "w.json").read_text())["warnings"][0].startswith("model L256 was trained")
    assert main(["eval", "--model", "approx_L256", "--apc", "exact", "--length", "16", "--images", "30",
                 "--seeds", "1"]) == 0
    assert "model approx_L256 was trained for the approx APC but runs with the exact APC" in capsys.readouterr().err
    assert main(["verilog", "--block", "apc", "--model", "L256", "--apc", "approx", "--out", str(tmp_path)]) == 0
    assert "was trained for the exact APC but runs with the approx APC" in capsys.readouterr().err


def test_accuracy_plot_at_100_percent(tmp_path):
    """A 100 % point whose interval's upper bound is an ulp below 1 (50 images, one seed) once crashed
    the demo's plot with "'yerr' must not contain negative values"."""
    from mtjsc.studies import plots
    res = {"source": "ideal", "apc": "exact", "images": 50, "seeds": [0],
           "series": [{"name": "auto", "points": [
               {"L": 64, "mean": 0.98, "ci95": [0.895, 0.996], "float_accuracy": 0.98},
               {"L": 1024, "mean": 1.0, "ci95": [0.9286523998213857, 0.9999999999999999], "float_accuracy": 1.0}]}]}
    assert plots.accuracy_vs_length(res, tmp_path / "a.png").stat().st_size > 0
