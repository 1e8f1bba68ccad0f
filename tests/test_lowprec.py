"""Low-precision training (mtjsc.training.lowprec): precision specs, rounding, reproducibility, the record in the
model file, and nearest rounding stalling where stochastic rounding trains."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mtjsc.training import lowprec
from mtjsc.cli import main
from mtjsc.errors import MtjscError
from mtjsc.behavioral_models.randomness import RandomBits
from mtjsc.behavioral_models.seeding import RngTag
from mtjsc.training.lowprec import Precision, quantize

#: one worker: the tests share the module's training runs


def test_parse():
    p = Precision.parse("word=12, frac=6, round=stochastic, bits=mtj, period=0.5")
    assert (p.word, p.frac, p.round, p.bits, p.period) == (12, 6, "stochastic", "mtj", 0.5)
    assert Precision.parse("float") is None
    assert p.label == "Q5.6 stochastic/mtj(T=0.5tau)"


@pytest.mark.parametrize("spec, message", [
    ("frac8", "'frac8' is not key=value with a key of word, frac, round"),
    ("word=16,depth=3", "'depth=3' is not key=value"),
    ("word=sixteen", "word='sixteen' is not a number"),
    ("word=8,frac=8", "precision frac=8 must be an integer in 0..7"),
    ("round=up", "precision round='up': choose nearest or stochastic"),
    ("bits=trng", "precision bits='trng': choose ideal, lfsr or mtj"),
    ("period=0", "precision period (T / tau_c)=0.0 must be a positive finite number"),
])
def test_parse_errors(spec, message):
    with pytest.raises(MtjscError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Precision.parse(spec)


def test_nearest_loses_a_small_update_and_stochastic_keeps_it_in_expectation():
    """Gupta et al.'s mechanism: an update of a quarter LSB vanishes under nearest rounding; under
    stochastic rounding its mean survives (within the binomial interval)."""
    f = 8
    w = np.full(40000, 0.5)
    step = 0.25 / (1 << f)
    near = quantize(w - step, Precision(word=16, frac=f, round="nearest"), None, "w")
    assert (near == w).all()
    for bits in ("ideal", "lfsr", "mtj"):
        prec = Precision(word=16, frac=f, round="stochastic", bits=bits)
        got = quantize(w - step, prec, RandomBits(bits, seed=1, tag=RngTag.LOWPREC_ROUND), "w")
        assert set(np.unique(got * (1 << f))) <= {127.0, 128.0}
        down = float(np.mean(got < 0.5))                       # rounded down with probability 1/4
        assert abs(down - 0.25) <= 4 * np.sqrt(0.25 * 0.75 / len(w)), (bits, down)


def test_saturation_at_the_word_range():
    prec = Precision(word=8, frac=4, round="nearest")          # range [-8, 8 - 1/16]
    assert quantize(np.array([100.0, -100.0]), prec, None, "x").tolist() == [7.9375, -8.0]


@pytest.mark.parametrize("bits", ["ideal", "lfsr", "mtj"])
def test_random_numbers_are_reproducible_and_in_range(bits):
    a = RandomBits(bits, seed=4, tag=RngTag.LOWPREC_ROUND).numbers("W1", (50, 3), 8)
    b = RandomBits(bits, seed=4, tag=RngTag.LOWPREC_ROUND).numbers("W1", (50, 3), 8)
    assert (a == b).all() and a.min() >= 0 and a.max() < 256 and len(np.unique(a)) > 50


@pytest.fixture(scope="module")
def short_runs(mnist_dir):
    """Q7.8 on 5,000 training images for one epoch, nearest and stochastic (lfsr)."""
    out = {}
    for rnd in ("nearest", "stochastic"):
        prec = Precision(word=16, frac=8, round=rnd, bits="lfsr")
        out[rnd] = lowprec.train_lowprec(prec, data=mnist_dir, epochs=1, train_images=5000, seed=0)
    return out


def test_nearest_stalls_where_stochastic_trains(short_runs):
    """At 8 fraction bits the updates are mostly below half an LSB: nearest rounding stays far below
    stochastic rounding (full test set)."""
    assert short_runs["stochastic"]["test_accuracy"] >= 0.75
    assert short_runs["nearest"]["test_accuracy"] <= short_runs["stochastic"]["test_accuracy"] - 0.3


def test_training_is_reproducible_and_recorded(short_runs, mnist_dir, tmp_path):
    again = lowprec.train_lowprec(Precision(word=16, frac=8, round="stochastic", bits="lfsr"), data=mnist_dir,
                                  epochs=1, train_images=5000, seed=0)
    for k, v in short_runs["stochastic"]["weights"].items():
        assert (again["weights"][k] == v).all(), k
    lowprec.save(again, tmp_path / "m.npz")
    back = lowprec.load(tmp_path / "m.npz")
    assert back["precision"] == {"word": 16, "frac": 8, "round": "stochastic", "bits": "lfsr", "period": 5.0,
                                 "prob_bits": 8}
    assert back["test_accuracy"] == again["test_accuracy"] and back["seed"] == 0
    w = back["weights"]["W1"] * (1 << 8)
    assert (w == np.round(w)).all()                         # fixed-point weights: multiples of 2^-8


def test_train_cli_with_precision(mnist_dir, tmp_path, capsys):
    out = tmp_path / "q.npz"
    rc = main(["train", "--precision", "word=12,frac=6,round=stochastic,bits=mtj,period=2", "--epochs", "1",
               "--train-images", "1000", "--data", str(mnist_dir), "--out", str(out)])
    assert rc == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed["label"] == "Q5.6 stochastic/mtj(T=2tau)"
    rec = lowprec.load(out)
    assert rec["precision"]["bits"] == "mtj" and rec["train_images"] == 1000 and len(rec["history"]) == 1


def test_train_cli_bad_precision_loses_nothing(tmp_path, capsys):
    out = tmp_path / "q.npz"
    assert main(["train", "--precision", "word=16,frac=20", "--out", str(out)]) == 2
    assert "precision frac=20 must be an integer in 0..15" in capsys.readouterr().err
    assert not out.exists()


def test_load_rejects_other_files(tmp_path):
    np.savez(tmp_path / "x.npz", a=np.zeros(2))
    with pytest.raises(MtjscError, match="not a low-precision model file"):
        lowprec.load(tmp_path / "x.npz")


def test_lowprec_sweep_cli_writes_table_and_plot(mnist_dir, tmp_path, capsys):
    rc = main(["lowprec", "--fracs", "8", "--seeds", "0", "--epochs", "1", "--bits", "lfsr", "--train-images",
               "2000", "--data", str(mnist_dir), "--out", str(tmp_path)])
    assert rc == 0
    res = json.loads((tmp_path / "lowprec.json").read_text())
    assert [r["label"] for r in res["rows"]] == ["float", "Q7.8 nearest", "Q7.8 stochastic/lfsr"]
    assert (tmp_path / "lowprec.png").stat().st_size > 0
    assert "| 8 | " in (tmp_path / "lowprec.md").read_text()
