"""Early exit (`mtjsc.behavioral_models.early_exit`): the vectorised rule against its per-image reference,
the exact rule's guarantee, the golden run's per-t output record, the study and its command, bad input."""

import json

import numpy as np
import pytest

from mtjsc.behavioral_models import early_exit, golden
from mtjsc.behavioral_models.sources import make_source
from mtjsc.cli import main
from mtjsc.config import ScConfig
from mtjsc.errors import MtjscError
from mtjsc.studies import early_exit as study

N2 = 129


def _counts(rng, N, L, n2=N2, bias=None):
    """Per-t output counts in [0, n2]; class ``bias[i]`` of image i drifts ahead when given."""
    c = rng.integers(0, n2 + 1, size=(N, L, 10))
    if bias is not None:
        c[np.arange(N), :, bias] = np.minimum(n2, c[np.arange(N), :, bias] + rng.integers(0, 40, size=(N, L)))
    return c


@pytest.mark.parametrize("margin", [None, 1, 30, 400])
def test_decided_matches_the_per_image_reference(margin):
    rng = np.random.default_rng(3)
    L = 40
    for t in (1, 8, 20, 39, 40):
        s = rng.integers(0, 3000, size=(300, 10))
        s[:50] = s[:50, :1] + rng.integers(-2, 3, size=(50, 10)) * (L - t) * N2 // 2   # ties and leads near R
        s[50:60] = 0
        got = early_exit.decided(s, L - t, N2, margin)
        want = [early_exit.step(row, t, L, N2, margin) for row in s]
        assert got.tolist() == want


def test_the_exact_rule_never_changes_a_class_even_on_adversarial_counts():
    """Counts that push the runner-up as hard as the rule allows: the class at exit is the full run's."""
    rng = np.random.default_rng(7)
    L, N = 24, 2000
    c = _counts(rng, N, L, bias=rng.integers(0, 10, N))
    # a third of the images have a runaway leader for the first 2/3 of the stream: they may stop early
    k = rng.integers(0, 10, N // 3)
    c[:N // 3, :2 * L // 3] = rng.integers(0, 4, size=(N // 3, 2 * L // 3, 10))
    c[np.arange(N // 3), :2 * L // 3, k] = N2
    # after t0 the leader gets 0 and one other class n2 on every index: the worst case the bound covers
    t0 = rng.integers(1, L, N)
    lead, chase = c[:, :, :].sum(axis=1).argmax(axis=1), rng.integers(0, 10, N)
    for i in range(N):
        if chase[i] != lead[i]:
            c[i, t0[i]:, lead[i]] = 0
            c[i, t0[i]:, chase[i]] = N2
    full = golden.classify(c.sum(axis=1))
    for block in (1, 5, 24):
        ex = early_exit.run(c, early_exit.ExitRule("exact", block), N2)
        assert np.array_equal(ex.classes, full)
        assert np.array_equal(ex.scores, np.take_along_axis(np.cumsum(c, axis=1), ex.t[:, None, None] - 1,
                                                            axis=1)[:, 0])
        assert (ex.t <= L).all() and ((ex.t < L).any() or block == L)     # some images do stop early


def test_margins_order_the_exit_points_and_a_block_that_does_not_divide_l_ends_at_l():
    rng = np.random.default_rng(1)
    c = _counts(rng, 500, 50, bias=rng.integers(0, 10, 500))
    rule = early_exit.ExitRule("margin", 16, 100)
    assert early_exit.ExitRule("exact", 16).boundaries(50).tolist() == [16, 32, 48, 50]
    ts = [early_exit.run(c, early_exit.ExitRule("margin", 16, m), N2).t for m in (1, 100, 1000, 50 * N2)]
    assert all((a <= b).all() for a, b in zip(ts, ts[1:]))
    assert set(np.unique(ts[0])) <= {16, 32, 48, 50} and (ts[0] == 16).mean() > 0.9
    assert (ts[-1] == early_exit.run(c, early_exit.ExitRule("exact", 16), N2).t).all()
    assert early_exit.run(c, rule, N2).mean_length() == pytest.approx(ts[1].mean())


def test_record_output_is_the_full_record_s_output_counts(shipped, test_set):
    net = shipped["L64"]
    cfg = ScConfig.from_model(net, L=32)
    px = test_set.pixels()[:12]
    for src in ("lfsr", "entropy"):
        a = golden.run_network(net, px, source=make_source(src, config=cfg), config=cfg, record=True)
        b = golden.run_network(net, px, source=make_source(src, config=cfg), config=cfg, record="output", workers=2)
        assert np.array_equal(a.output_counts, b.output_counts) and b.hidden_counts is None
        assert np.array_equal(b.output_counts.sum(axis=1), b.scores)


def test_the_study_keeps_the_exact_rule_s_classes_and_writes_its_report(tmp_path):
    assert main(["early-exit", "--length", "64", "--images", "200", "--margins", "16,64,8256",
                 "--out", str(tmp_path)]) == 0
    res = json.loads((tmp_path / "early-exit.json").read_text())
    rows = {(r["rule"], r["margin"]): r for r in res["rows"]}
    assert rows[("exact", None)]["same_class"] == 1.0
    assert rows[("exact", None)]["accuracy"] == res["full_accuracy"]
    assert rows[("margin", 8256)]["mean_length"] == 64.0      # above any lead: the full run
    assert rows[("margin", 16)]["mean_length"] < 64
    assert res["images"] == 200 and (tmp_path / "early-exit.png").stat().st_size > 0


@pytest.mark.parametrize("make,match", [
    (lambda: early_exit.ExitRule("soon", 4), "rule 'soon': choose one of exact, margin"),
    (lambda: early_exit.ExitRule("margin", 4), "needs a margin"),
    (lambda: early_exit.ExitRule("exact", 4, 10), "takes no margin"),
    (lambda: early_exit.ExitRule("exact", 0), "block"),
    (lambda: early_exit.ExitRule("exact", 65).check(64, N2), "longer than the stream"),
    (lambda: early_exit.ExitRule("margin", 8, 64 * N2 + 1).check(64, N2), "exceeds the largest score lead"),
    (lambda: early_exit.run(np.zeros((2, 8, 9)), early_exit.ExitRule("exact", 4), N2), r"\[N, L, 10\]"),
    (lambda: early_exit.run(np.full((2, 8, 10), -1), early_exit.ExitRule("exact", 4), N2), "OR network"),
    (lambda: study.study(L=256, model="or-L256", images=5), "'or'-neuron network"),
])
def test_bad_rules_are_refused(make, match):
    with pytest.raises(MtjscError, match=match):
        make()


@pytest.mark.parametrize("argv,flag", [(["--block", "0"], "--block=0"), (["--block", "300"], "--block=300"),
                                       (["--margins", "5,0"], "--margins=0"), (["--images", "0"], "--images=0"),
                                       (["--length", "0"], "")])
def test_cli_errors_name_the_flag(tmp_path, capsys, argv, flag):
    assert main(["early-exit", *argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mtjsc: error:") and flag in err
    assert not (tmp_path / "early-exit.json").exists()
