"""`mtjsc asic`: the standard-cell flow (OSU 0.18 um, Verilator toggles, OpenSTA) on its validation blocks."""

from __future__ import annotations

from mtjsc.cli.options import add_cache_option
from mtjsc.cli.shared import write_and_print_report
from mtjsc.output import check_output_dir
from mtjsc.validate import check_float, check_int

HELP = ("standard-cell area, timing, power and energy (OSU 0.18 um, gate-level toggles, OpenSTA); "
        "needs ./run setup-asic")


def add_arguments(on) -> None:
    on.add_argument("--cycles", type=int, default=4096, help="clocks of gate-level simulation per block")
    on.add_argument("--clock-mhz", type=float, default=100.0, help="clock of the timing and power analysis")
    on.add_argument("--lfsr-width", type=int, default=32, help="width of the validated LFSR")
    add_cache_option(on)
    on.add_argument("--out", default="out/asic")


def run(a) -> int:
    from mtjsc.asic import library
    from mtjsc.studies import asic
    from mtjsc.toolchain import tool_executable
    cycles = check_int(a.cycles, "--cycles", minimum=16, maximum=10 ** 8)
    mhz = check_float(a.clock_mhz, "--clock-mhz", positive=True, fix="give the clock in MHz, for example 100")
    width = check_int(a.lfsr_width, "--lfsr-width", minimum=2, maximum=64)
    out = check_output_dir(a.out, "--out")
    library.library_dir()
    tool_executable("sta")
    res = asic.validation(cycles=cycles, clock_mhz=mhz, lfsr_width=width, cache_root=a.cache)
    write_and_print_report(out, "asic-validation", res, asic.markdown(res))
    return 0
