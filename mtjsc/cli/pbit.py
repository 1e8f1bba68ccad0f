"""`mtjsc pbit`: the p-bit Ising machine on Max-Cut and factorisation (JSON, markdown, plot)."""

from __future__ import annotations

from mtjsc.cli.options import progress_bar
from mtjsc.cli.shared import write_and_print_report
from mtjsc.output import check_output_dir
from mtjsc.validate import check_int, check_seed

HELP = ("the p-bit Ising machine: Max-Cut success vs sweeps (brute-force optima), a large sparse graph vs local "
        "search, factorisation of 35, 161, 945")


def add_arguments(pb) -> None:
    pb.add_argument("--instances", type=int, default=100, help="random 20-node Max-Cut instances")
    pb.add_argument("--large-n", type=int, default=800, help="nodes of the large sparse Max-Cut graph")
    pb.add_argument("--replicas", type=int, default=200, help="replicas per semiprime")
    pb.add_argument("--seed", type=int, default=0)
    pb.add_argument("--rng", choices=("lfsr", "slot-lfsr"), default="lfsr",
                    help="random numbers of the small Max-Cut machines: an LFSR per p-bit or per slot of the colours")
    pb.add_argument("--out", default="out/pbit")


def run(a) -> int:
    from mtjsc.studies import pbit, plots
    out = check_output_dir(a.out, "--out")
    instances = check_int(a.instances, "--instances", minimum=1)
    large = check_int(a.large_n, "--large-n", minimum=30)
    replicas = check_int(a.replicas, "--replicas", minimum=1)
    bar = progress_bar(instances + 3, "p-bit runs", unit="run")
    try:
        res = pbit.report(instances=instances, large_n=large, replicas=replicas, seed=check_seed(a.seed, "--seed"),
                          rng=a.rng, progress=bar.update)
    finally:
        bar.close()
    text = pbit.markdown(res)
    write_and_print_report(out, "pbit", res, text, plots.pbit)
    return 0
