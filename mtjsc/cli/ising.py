"""`mtjsc ising`: coupled sMTJ chains against exact statistical mechanics (JSON, markdown, plot)."""

from __future__ import annotations

from mtjsc.cli.options import progress_bar
from mtjsc.cli.shared import write_and_print_report
from mtjsc.output import check_output_dir
from mtjsc.validate import check_int, check_seed

HELP = ("coupled sMTJ chains against exact statistical mechanics: couplings vs g/G, chain correlations, "
        "detailed balance, chi-square (JSON, markdown, plot)")


def add_arguments(isg) -> None:
    isg.add_argument("--events", type=int, default=200_000, help="events of each long-chain simulation")
    isg.add_argument("--seed", type=int, default=0)
    isg.add_argument("--out", default="out/ising")


def run(a) -> int:
    from mtjsc.studies import ising, plots
    out = check_output_dir(a.out, "--out")
    events = check_int(a.events, "--events", minimum=1000)
    bar = progress_bar(4, "ising checks", unit="check")
    try:
        res = ising.report(events=events, seed=check_seed(a.seed, "--seed"), progress=bar.update)
    finally:
        bar.close()
    text = ising.markdown(res)
    write_and_print_report(out, "ising", res, text, plots.ising)
    return 0
