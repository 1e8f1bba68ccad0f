"""`mtjsc lowprec`: low-precision training, accuracy against fraction bits, nearest against
stochastic rounding (JSON, markdown table, plot)."""

from __future__ import annotations

import sys

from mtjsc.cli.options import add_data_option, add_train_images_option, parse_list, progress_bar
from mtjsc.cli.shared import write_and_print_report
from mtjsc.output import check_output_dir
from mtjsc.validate import check_int

HELP = ("low-precision training: accuracy vs fraction bits, nearest vs stochastic rounding "
        "(JSON, markdown table, plot)")


def add_arguments(lp) -> None:
    add_data_option(lp)
    lp.add_argument("--fracs", default="16,12,8,6,4", help="fraction bits to sweep, comma separated")
    lp.add_argument("--int-bits", type=int, default=7, help="integer bits (besides the sign) of every word")
    lp.add_argument("--bits", default="ideal,mtj", help="random sources of stochastic rounding: ideal,lfsr,mtj")
    lp.add_argument("--seeds", default="0,1,2", help="training seeds, comma separated")
    lp.add_argument("--epochs", type=int, default=5)
    lp.add_argument("--lr", type=float, default=0.1)
    lp.add_argument("--hidden", type=int, default=128)
    add_train_images_option(lp)
    lp.add_argument("--out", default="out/lowprec")


def run(a) -> int:
    from mtjsc.studies import lowprec, plots
    out = check_output_dir(a.out, "--out")
    fracs = parse_list(a.fracs, "--fracs", int, example="16,12,8")
    seeds = parse_list(a.seeds, "--seeds", int, example="0,1,2")
    randoms = parse_list(a.bits, "--bits", example="ideal,mtj")
    int_bits = check_int(a.int_bits, "--int-bits", minimum=0, maximum=24)
    epochs = check_int(a.epochs, "--epochs", minimum=1)
    lowprec.check(fracs, int_bits, randoms, flag="--fracs")
    bar = progress_bar(lowprec.runs(fracs, int_bits, randoms) * len(seeds) * epochs * (a.train_images or 60000),
                       "training runs", unit="sample")
    try:
        res = lowprec.study(fracs=fracs, int_bits=int_bits, randoms=randoms, seeds=seeds, epochs=epochs, lr=a.lr,
                            hidden=a.hidden, train_images=a.train_images, data=a.data, progress=bar.update,
                            log=lambda s: bar.write(s, file=sys.stderr))
    finally:
        bar.close()
    text = lowprec.markdown(res)
    write_and_print_report(out, "lowprec", res, text, plots.lowprec)
    return 0
