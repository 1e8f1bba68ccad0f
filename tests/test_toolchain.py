"""The one toolchain module: failures name the job, the tool's own error lines and the log."""

import re

import pytest

from mtjsc import toolchain
from mtjsc.errors import MtjscError


def test_yosys_failure_names_the_job_error_and_log(tmp_path):
    (tmp_path / "bad.v").write_text("module bad(input a, output b); assign b = a +; endmodule\n")
    with pytest.raises(MtjscError) as e:
        toolchain.yosys("read_verilog bad.v; synth -top bad", cwd=tmp_path, what="the test synthesis")
    msg = str(e.value)
    assert msg.startswith("Yosys failed on the test synthesis (exit 1): ")
    assert "ERROR" in msg and "syntax error" in msg
    assert msg.endswith(f"full log: {tmp_path / 'yosys.log'}")


def test_a_second_run_logs_only_itself(tmp_path):
    (tmp_path / "ok.v").write_text("module ok(input a, output b); assign b = ~a; endmodule\n")
    for _ in range(2):
        toolchain.yosys("read_verilog ok.v; synth -top ok", cwd=tmp_path, what="ok")
    assert len(re.findall(r"Executing SYNTH pass", (tmp_path / "yosys.log").read_text())) == 1


def test_error_lines_falls_back_to_the_last_lines():
    assert toolchain.error_lines("a\nb\nc\nd\n") == ["b", "c", "d"]
    assert toolchain.error_lines("x\n%Error: foo.v:3: bad\ny\nERROR: two\n") == ["%Error: foo.v:3: bad", "ERROR: two"]


def test_a_missing_tool_says_how_to_install_it(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("MTJSC_STA", raising=False)
    with pytest.raises(MtjscError, match=r"sta not found: \./run setup-asic installs OpenSTA.*MTJSC_STA="):
        toolchain.run("sta", ["-version"], cwd=".", what="nothing")


def test_cache_dir_depends_on_every_input(tmp_path):
    a = toolchain.cache_dir(tmp_path, "top", "generic", "v1")
    assert a.parent == tmp_path.absolute() and a.name.startswith("top-generic-")
    assert toolchain.cache_dir(tmp_path, "top", "generic", "v2") != a
    assert toolchain.cache_dir(tmp_path, "top", "cmos", "v1") != a
