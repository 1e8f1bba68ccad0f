"""Trace files and the maximum-likelihood fit of the sMTJ model."""

import json

import numpy as np
import pytest

from mtjsc.behavioral_models import mtj_fit
from mtjsc.behavioral_models.mtj import TelegraphMTJ
from mtjsc.cli import main
from mtjsc.errors import MtjscError
from mtjsc.mnist import shipped_dir

TRUE = TelegraphMTJ(delta=13.5, v_c=3.2, v_0=0.38)


@pytest.fixture(scope="module")
def synthetic():
    biases = TRUE.bias_for([0.2, 0.35, 0.5, 0.65, 0.8])
    return mtj_fit.trace_from_model(TRUE, biases, duration=3.0, dt=1e-5, seed=11)


def test_fit_recovers_known_parameters(synthetic):
    r = mtj_fit.fit(synthetic, tau0=TRUE.tau0)
    assert r.device.delta == pytest.approx(TRUE.delta, rel=0.01)      # stated tolerances: 1 %, 3 %, 5 mV
    assert r.device.v_c == pytest.approx(TRUE.v_c, rel=0.03)
    assert r.device.v_0 == pytest.approx(TRUE.v_0, abs=0.005)
    assert min(min(c) for c in r.dwell_counts.values()) > 500


@pytest.mark.parametrize("suffix", [".csv", ".npz"])
def test_trace_roundtrip(synthetic, tmp_path, suffix):
    small = mtj_fit.Trace(synthetic.bias[::50], synthetic.time[::50], synthetic.state[::50])
    p = mtj_fit.save_trace(small, tmp_path / f"t{suffix}")
    back = mtj_fit.load_trace(p)
    assert np.allclose(back.time, small.time) and np.array_equal(back.state, small.state)


def test_resistance_traces_are_thresholded(tmp_path):
    t, s, r = TRUE.trace(TRUE.v_0, 0.05, 1e-5, np.random.default_rng(1), noise=0.03)
    p = tmp_path / "r.csv"
    p.write_text("bias_V,time_s,resistance_ohm\n" + "\n".join(f"{TRUE.v_0},{a},{b}" for a, b in zip(t, r)))
    assert np.array_equal(mtj_fit.load_trace(p).state.astype(bool), s)


def test_shipped_example_trace_fits_the_default_device():
    r = mtj_fit.fit(mtj_fit.load_trace(shipped_dir() / "mtj_example_trace.npz"))
    d = TelegraphMTJ()
    assert r.device.delta == pytest.approx(d.delta, rel=0.02)
    assert r.device.v_c == pytest.approx(d.v_c, rel=0.05) and r.device.v_0 == pytest.approx(d.v_0, abs=0.01)


@pytest.mark.parametrize("content, match", [
    ("bias_V,time_s\n0.4,0\n", "needs bias_V, time_s and exactly one of state or resistance_ohm"),
    ("bias_V,time_s,state\n0.4,0,1\n0.4,x,0\n", "non-numeric value"),
    ("bias_V,time_s,state\n0.4,0,1\n0.4,1e-5\n", "every row needs 3 values"),
    ("bias_V,time_s,state\n0.4,0,1\n0.4,1e-5,2\n", "state must be 0 .AP. or 1 .P."),
    ("bias_V,time_s,state\n0.4,-1,1\n0.4,1e-5,0\n", "negative times"),
    ("bias_V,time_s,resistance_ohm\n0.4,0,100\n0.4,1e-5,100.1\n", "does not switch between two levels"),
    ("", "is empty"),
])
def test_malformed_trace_files(tmp_path, content, match):
    p = tmp_path / "bad.csv"
    p.write_text(content)
    with pytest.raises(MtjscError, match=match):
        mtj_fit.load_trace(p)


def test_too_few_dwells_and_other_fit_errors(synthetic, tmp_path):
    short = mtj_fit.trace_from_model(TRUE, TRUE.bias_for([0.3, 0.7]), duration=0.01, dt=1e-5, seed=1)
    with pytest.raises(MtjscError, match="too few dwell events at bias"):
        mtj_fit.fit(short)
    one = mtj_fit.Trace(synthetic.bias[synthetic.bias == synthetic.bias[0]],
                        synthetic.time[synthetic.bias == synthetic.bias[0]],
                        synthetic.state[synthetic.bias == synthetic.bias[0]])
    with pytest.raises(MtjscError, match="two or more biases"):
        mtj_fit.fit(one)
    uneven = mtj_fit.Trace(np.full(5, 0.4), np.array([0, 1, 2, 4, 5.0]), np.array([1, 0, 1, 0, 1]))
    with pytest.raises(MtjscError, match="evenly spaced"):
        mtj_fit.fit(uneven)
    with pytest.raises(MtjscError, match="use a .csv or .npz"):
        mtj_fit.save_trace(synthetic, tmp_path / "t.txt")
    with pytest.raises(MtjscError, match="does not exist"):
        mtj_fit.load_trace(tmp_path / "none.csv")


@pytest.mark.parametrize("what", ["curve", "dwell", "trace", "energy"])
def test_mtj_cli_writes_json_and_plot(what, tmp_path, capsys):
    assert main(["mtj", what, "--out", str(tmp_path), "--duration", "0.2"]) == 0
    assert json.loads((tmp_path / f"{what}.json").read_text())
    assert (tmp_path / f"{what}.png").read_bytes()[:4] == b"\x89PNG"


def test_mtj_cli_fit_roundtrip(tmp_path, capsys):
    f = tmp_path / "t.npz"
    assert main(["mtj", "trace", "--out", str(tmp_path), "--duration", "1.0", "--dt", "5e-5",
                 "--trace-file", str(f)]) == 0
    capsys.readouterr()
    assert main(["mtj", "fit", "--trace-file", str(f), "--out", str(tmp_path)]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["delta"] == pytest.approx(TelegraphMTJ().delta, rel=0.03)
    assert main(["mtj", "fit", "--out", str(tmp_path)]) == 2
