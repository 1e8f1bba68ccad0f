"""Early exit (`mtjsc.behavioral_models.early_exit`): the vectorised rule against its per-image reference,
the exact rule's guarantee, the golden run's per-t output record, the study and its command, bad input."""

import json
from pathlib import Path

import numpy as np
import pytest

from mtjsc.behavioral_models import early_exit, golden
from mtjsc.behavioral_models.sources import make_source
from mtjsc.cli import main
from mtjsc.config import ScConfig
from mtjsc.errors import MtjscError
from mtjsc.sim import runner
from mtjsc.studies import early_exit as study

N2 = 129
BUILD = Path(__file__).resolve().parents[1] / "build" / "cosim"


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


# ---------------------------------------------------------------- the RTL: ScMlpAccelerator(early_exit=...)

@pytest.mark.parametrize("margin", [None, 25])
def test_exit_decision_circuit_equals_the_reference(margin):
    """The registered check of the core on random settled scores, ties and leads at the bound: the
    decision EXIT_STAGES clocks later equals `early_exit.step` (Amaranth's simulator)."""
    from amaranth import Module, Signal
    from amaranth.sim import Simulator

    from mtjsc.hdl.core import ARGMAX_STAGES, EXIT_STAGES, argmax, exit_decision
    L, n2, t = 12, 5, 8
    R = (L - t) * n2
    regs = [Signal(8, name=f"s{k}") for k in range(10)]
    remaining = Signal(8)
    m = Module()
    cls = argmax(m, regs)
    decided = exit_decision(m, regs, cls, remaining, margin)
    rng = np.random.default_rng(4)
    cases = []
    for _ in range(120):
        s = rng.integers(0, 60, 10)
        b = rng.integers(0, 10)
        s[b] = min(255, s.max() + rng.choice([0, R - 1, R, R + 1, 30]))
        s[rng.integers(0, 10)] = s[b] - rng.choice([R, R + 1, margin or 3])   # a runner-up at the bound
        cases.append(np.clip(s, 0, 255).tolist())
    seen = []

    async def bench(ctx):
        ctx.set(remaining, R)
        for case in cases:
            for r, v in zip(regs, case):
                ctx.set(r, v)
            await ctx.tick().repeat(ARGMAX_STAGES + EXIT_STAGES)
            seen.append(bool(ctx.get(decided)))

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    want = [early_exit.step(c, t, L, n2, margin) for c in cases]
    assert seen == want and 10 < sum(want) < len(want) - 10


def _exit_cfg(shipped, L, P, W, apc="exact"):
    return ScConfig.from_model(shipped["L64"], L=L, apc=apc, parallel_neurons=P, input_lanes=W)


def test_cycles_at_exit_formula_and_bad_exit_indices(shipped):
    from mtjsc.hdl.accelerator import ScMlpAccelerator
    from mtjsc.hdl.core import BUBBLE, CHECK, DRAIN
    cfg = _exit_cfg(shipped, 32, 16, 16)
    acc = ScMlpAccelerator(model=shipped["L64"], config=cfg, early_exit=early_exit.ExitRule("margin", 8, 40))
    per_t = acc.schedule.transfers_per_t + BUBBLE
    assert acc.cycles_at_exit(8) == 786 + 1 + 8 * per_t + CHECK + 1
    assert acc.cycles_at_exit(24) == 786 + 1 + 24 * per_t + 2 * CHECK + CHECK + 1
    assert acc.cycles_per_image() == acc.cycles_at_exit(32) == 786 + 1 + 32 * per_t + 3 * CHECK + DRAIN
    plain = ScMlpAccelerator(model=shipped["L64"], config=cfg)
    assert plain.cycles_per_image() == 786 + 1 + 32 * per_t + DRAIN
    assert "ceil(t / Tb)" in acc.describe()["cycles_formula"] and acc.describe()["early_exit"]["margin"] == 40
    for t in (0, 5, 33):
        with pytest.raises(MtjscError, match="block boundary"):
            acc.cycles_at_exit(t)
    with pytest.raises(MtjscError, match="runs all L = 32"):
        plain.cycles_at_exit(16)


@pytest.mark.parametrize("P, W, apc, block, margin", [
    (12, 30, "exact", 8, 40),       # P does not divide 128, W not a multiple of 4
    pytest.param(16, 16, "approx", 4, 60, marks=pytest.mark.slow),      # the approximate APC, more boundaries
    pytest.param(5, 37, "exact", 6, 30, marks=pytest.mark.slow),   # W odd, a block that does not divide L
])
def test_early_exit_accelerator_is_bit_exact_on_verilator(shipped, test_set, P, W, apc, block, margin):
    """20 test images through the early-exit accelerator with an idle pixel stream and back-pressure:
    scores, class and the stream indices used (result field t) equal the golden early-exit run, and
    some images stop early while others run to the end."""
    from mtjsc.sim.network import accelerator_cosim
    cfg = _exit_cfg(shipped, 32, P, W, apc)
    rule = early_exit.ExitRule("margin", block, margin)
    r = accelerator_cosim(shipped["L64"], test_set.images[:20], config=cfg, simulator="verilator", idle=0.1,
                          stall=0.2, early_exit=rule, build_root=BUILD)
    assert r["bit_exact"] and r["rtl_scores"] == r["golden_scores"] and r["rtl_t"] == r["golden_t"]
    assert min(r["rtl_t"]) < 32 and set(r["rtl_t"]) <= set(rule.boundaries(32).tolist())


def test_early_exit_accelerator_on_icarus_and_natively(shipped, test_set):
    from mtjsc.hdl.accelerator import ScMlpAccelerator
    from mtjsc.sim.network import accelerator_cosim, accelerator_native
    # Icarus on a small design (its time grows with the lanes simulated)
    r = accelerator_cosim(shipped["L64"], test_set.images[:2], config=_exit_cfg(shipped, 8, 8, 16), simulator="icarus",
                          early_exit=early_exit.ExitRule("margin", 2, 25), build_root=BUILD)
    assert r["bit_exact"] and r["rtl_t"] == r["golden_t"]
    cfg = _exit_cfg(shipped, 16, 32, 64)
    rule = early_exit.ExitRule("margin", 4, 25)
    n = accelerator_native(shipped["L64"], test_set.images[:24], config=cfg, early_exit=rule, build_root=BUILD)
    acc = ScMlpAccelerator(model=shipped["L64"], config=cfg, early_exit=rule)
    assert n["bit_exact"] and n["cycles"] == [acc.cycles_at_exit(t) for t in n["golden_t"]]
    assert len(set(n["golden_t"])) > 1


def test_a_wrong_exit_bound_is_caught(shipped, test_set, monkeypatch):
    """Planted fault: the RTL's margin one lower than the golden rule's (the check built with margin - 10)."""
    from mtjsc.hdl import core
    from mtjsc.sim.network import accelerator_cosim
    real = core.exit_decision
    monkeypatch.setattr(core, "exit_decision", lambda m, regs, cls, rem, margin: real(m, regs, cls, rem, margin - 10))
    cfg = _exit_cfg(shipped, 16, 8, 16)
    with pytest.raises(runner.CosimFailure, match="stopped after|score|class"):
        accelerator_cosim(shipped["L64"], test_set.images[:20], config=cfg, simulator="verilator",
                          early_exit=early_exit.ExitRule("margin", 2, 30), build_root=BUILD / "planted")


def test_early_exit_needs_btanh_and_lfsr(shipped):
    from mtjsc.hdl.accelerator import ScMlpAccelerator
    cfg = _exit_cfg(shipped, 32, 16, 16)
    with pytest.raises(MtjscError, match="sng='entropy'"):
        ScMlpAccelerator(model=shipped["L64"], config=cfg, sng="entropy",
                         early_exit=early_exit.ExitRule("exact", 8))
    with pytest.raises(MtjscError, match="longer than the stream"):
        ScMlpAccelerator(model=shipped["L64"], config=cfg, early_exit=early_exit.ExitRule("exact", 64))
    with pytest.raises(MtjscError, match="must be an ExitRule"):
        ScMlpAccelerator(model=shipped["L64"], config=cfg, early_exit=8)


@pytest.mark.parametrize("best, expect", [(0, 8), pytest.param(3, 10, marks=pytest.mark.slow)])
def test_the_exact_rule_stops_in_rtl_where_the_bound_allows(shipped, test_set, best, expect):
    """A model built so that the exact rule fires: every hidden bit 1 (first-layer weights -1 against
    the mostly-0 pixel streams) and class ``best`` the only one with weights +1, so its lead grows by
    n2 = 129 per index. At t = 8 of L = 16 the lead equals the bound (8 x 129): class 0 stops there on
    the tie rule, class 3 at the next boundary. The RTL's bound register steps down at every
    continued check; scores, class and t equal the golden run."""
    import dataclasses

    from mtjsc.sim.network import accelerator_cosim
    base = shipped["L64"]
    w2 = -np.ones_like(base.w2)
    w2[best] = 1.0
    model = dataclasses.replace(base, w1=-np.ones_like(base.w1), w2=w2)
    cfg = _exit_cfg({"L64": model}, 16, 8, 16)
    r = accelerator_cosim(model, test_set.images[:2], config=cfg, simulator="verilator",
                          early_exit=early_exit.ExitRule("exact", 2), build_root=BUILD)
    assert r["bit_exact"] and r["rtl_t"] == r["golden_t"] == [expect, expect]
    assert r["rtl_classes"] == [best, best]


def test_mtjsc_cosim_and_verilog_take_an_early_exit_rule(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MTJSC_BUILD", str(BUILD))
    out = tmp_path / "c.json"
    assert main(["cosim", "--model", "L64", "--length", "16", "--parallel", "32", "--lanes", "64", "--images", "6",
                 "--harness", "native", "--early-exit", "margin:4:25", "--json", str(out)]) == 0
    r = json.loads(out.read_text())
    assert r["agreement"] == 6 and all(p["bit_exact"] for p in r["per_image"]) and r["mean_t"] < 16
    text = capsys.readouterr().out
    assert "6/6 images bit-exact with the golden model (scores, class and stream indices used)" in text
    assert main(["verilog", "--block", "accelerator", "--model", "L64", "--length", "32", "--early-exit",
                 "exact:8", "--out", str(tmp_path / "v")]) == 0
    man = json.loads(next((tmp_path / "v").glob("*_exit.json")).read_text())
    assert man["early_exit"] == {"rule": "exact", "block": 8, "margin": None}


@pytest.mark.parametrize("argv,match", [
    (["cosim", "--early-exit", "margin:8"], "--early-exit 'margin:8' is not an early-exit rule; give exact:Tb"),
    (["cosim", "--early-exit", "soon:8"], "is not an early-exit rule"),
    (["cosim", "--early-exit", "margin:80:40"], "--early-exit margin:80:40: early-exit block 80 is longer"),
    (["cosim", "--early-exit", "margin:8:0"], "early-exit margin=0 must be an integer >= 1"),
    (["cosim", "--early-exit", "exact:8", "--design", "core"], "stops the accelerator with lfsr SNGs"),
    (["cosim", "--early-exit", "exact:8", "--source", "entropy"], "stops the accelerator with lfsr SNGs"),
    (["verilog", "--block", "core", "--early-exit", "exact:8"], "a property of the accelerator"),
    (["verilog", "--block", "accelerator", "--sng", "entropy", "--early-exit", "exact:8"], "sng='entropy'"),
])
def test_early_exit_flag_errors(tmp_path, capsys, argv, match):
    assert main([*argv, "--out" if argv[0] == "verilog" else "--json",
                 str(tmp_path / ("v" if argv[0] == "verilog" else "c.json"))]) == 2
    assert match in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
