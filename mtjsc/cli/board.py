"""`mtjsc board`: the p-bit board design's bitstream for an iCEBreaker or a ULX3S-85F, or (--read)
its report read from the serial port and compared with the model's."""

from __future__ import annotations

import json
import sys

from mtjsc.cli.options import add_deprecated_alias, spelled
from mtjsc.output import check_output_dir, write_text
from mtjsc.validate import check_float, check_int, check_seed

HELP = ("bitstream of the p-bit board design (anneal a random Max-Cut graph, report the final state over the "
        "UART) for an iCEBreaker or a ULX3S-85F")


def add_arguments(bd) -> None:
    bd.add_argument("--board", choices=("icebreaker", "ulx3s-85f"), default="icebreaker")
    bd.add_argument("--pbits", dest="n", type=int, default=64, help="p-bits (nodes of the random graph; default 64)")
    add_deprecated_alias(bd, "--n", "--pbits", "n", type=int)
    bd.add_argument("--degree", type=float, default=3.0, help="mean degree of the random graph")
    bd.add_argument("--graph-seed", type=int, default=0)
    bd.add_argument("--stages", type=int, default=8, help="annealing stages (beta 0.2 to 2.0)")
    bd.add_argument("--sweeps-per-stage", type=int, default=16)
    bd.add_argument("--seed", type=int, default=0, help="the machine's seed (LFSRs and start state)")
    bd.add_argument("--out", help="build directory (default out/board/<board>)")
    bd.add_argument("--read", metavar="PORT", help="do not build: read a report from the board's serial port "
                                                    "(e.g. /dev/ttyUSB1) and compare it with the model's")
    bd.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for a report (--read)")


def run(a) -> int:
    from mtjsc.behavioral_models import pbit
    from mtjsc.boards.build import build
    out = check_output_dir(a.out or f"out/board/{a.board}", "--out")
    n = check_int(a.n, spelled(a, "n", "--pbits"), minimum=2, maximum=4096)
    problem = pbit.maxcut_problem(pbit.random_graph(n, check_float(a.degree, "--degree", positive=True),
                                                    seed=check_seed(a.graph_seed, "--graph-seed")))
    schedule = pbit.Schedule.linear(0.2, 2.0, check_int(a.stages, "--stages", minimum=1),
                                    check_int(a.sweeps_per_stage, "--sweeps-per-stage", minimum=1))
    if a.read:
        from mtjsc.boards.pbit_board import expected_report, read_report
        want = expected_report(problem, schedule, seed=check_seed(a.seed, "--seed"))
        print(f"reading {a.read} (press button 0 on the board)", file=sys.stderr)
        got = read_report(a.read, len(want) - 1, timeout=check_float(a.timeout, "--timeout", positive=True))
        same = got == want
        print(f"board: {bytes(got).hex(' ')}\nmodel: {bytes(want).hex(' ')}\n"
              f"equal to the model: {'yes' if same else 'NO'}")
        return 0 if same else 1
    print(f"building {a.board}: {n} p-bits, {len(problem.groups)} colours, {schedule.sweeps} sweeps "
          f"(Yosys, nextpnr, packer; a few minutes)", file=sys.stderr)
    res = build(a.board, problem=problem, schedule=schedule, seed=check_seed(a.seed, "--seed"), out=out)
    write_text(out / "board.json", json.dumps(res, indent=1))
    util = ", ".join(f"{k} {v['used']}/{v['available']}" for k, v in res["utilization"].items())
    fmax = ", ".join(f"{v} MHz" for v in res["fmax_mhz"].values())
    print(f"{res['board']} ({res['device']}): {util}; Fmax {fmax} (board clock {res['clock_mhz']:g} MHz"
          f"{'' if res['meets_clock'] else ': NOT MET'})")
    print(f"bitstream {res['bitstream']}; after reset and at each press of button 0 the board anneals "
          f"({res['run_clocks']} clocks) and sends at 115200 baud: {res['expected_report']}")
    print(f"   {out / 'board.json'}")
    return 0 if res["meets_clock"] else 1
