"""`mtjsc binarynet`: binary/ternary networks sampled from latent weights; accuracy of one sampled
network and of k-sample averages per sampling source (JSON, markdown, plot)."""

from __future__ import annotations

import sys

from mtjsc.behavioral_models.mtj import READ_PERIOD_RATIO
from mtjsc.cli.options import (add_data_option, add_deprecated_alias, add_train_images_option, parse_list,
                               progress_bar, spelled)
from mtjsc.cli.shared import write_and_print_report
from mtjsc.output import check_output_dir
from mtjsc.validate import check_int

HELP = ("binary/ternary networks sampled from latent weights: accuracy of one sampled network and of k-sample "
        "averages (JSON, markdown, plot)")


def add_arguments(bn) -> None:
    add_data_option(bn)
    bn.add_argument("--act", default="sign", choices=["sign", "relu"],
                    help="sign: the SC hardware's network (XNOR/popcount); relu: BinaryConnect, software")
    bn.add_argument("--modes", default="binary,ternary", help="binary,ternary")
    bn.add_argument("--bits", default="mtj", help="sampling bits in training: ideal | lfsr | mtj")
    bn.add_argument("--period-ratio", dest="period", type=float, default=READ_PERIOD_RATIO,
                    help=f"mtj: read period T / tau_c (default {READ_PERIOD_RATIO:g})")
    add_deprecated_alias(bn, "--period", "--period-ratio", "period", type=float)
    bn.add_argument("--eval-bits", default="ideal,lfsr,mtj", help="sampling sources at test time")
    bn.add_argument("--hidden", type=int, default=128)
    bn.add_argument("--epochs", type=int, default=15)
    bn.add_argument("--lr", type=float, default=1e-2)
    bn.add_argument("--seed", type=int, default=0)
    bn.add_argument("--ensemble", dest="k", type=int, default=16, help="largest number of sampled networks averaged")
    add_deprecated_alias(bn, "--k", "--ensemble", "k", type=int)
    bn.add_argument("--groups", type=int, default=4, help="independent ensembles per source (the spread)")
    add_train_images_option(bn)
    bn.add_argument("--out", default="out/binarynet")


def run(a) -> int:
    from mtjsc.studies import binarynet as study, plots
    from mtjsc.training import binarynet
    out = check_output_dir(a.out, "--out")
    modes = parse_list(a.modes, "--modes")
    eval_bits = parse_list(a.eval_bits, "--eval-bits")
    specs = study.specs(modes, act=a.act, bits=a.bits, period=a.period)
    for b in eval_bits:                                # a bad name fails before hours of training
        binarynet.check_bits(b)
    binarynet.check_options(hidden=a.hidden, epochs=a.epochs, lr=a.lr, batch=100, seed=a.seed, shift=1,
                            train_images=a.train_images)
    check_int(a.k, spelled(a, "k", "--ensemble"), minimum=1, maximum=1024)
    check_int(a.groups, "--groups", minimum=1)
    bars = [progress_bar(len(specs) * a.epochs * (a.train_images or 60000), "training", unit="sample"),
            progress_bar(len(specs) * len(eval_bits) * a.k * a.groups, "sampled networks", unit="net")]
    try:
        res = study.study(specs, eval_bits=eval_bits, out=out, data=a.data, hidden=a.hidden, epochs=a.epochs,
                          lr=a.lr, seed=a.seed, k=a.k, groups=a.groups, train_images=a.train_images,
                          train_progress=bars[0].update, eval_progress=bars[1].update,
                          log=lambda s: bars[0].write(s, file=sys.stderr))
    finally:
        for bar in bars:
            bar.close()
    text = study.markdown(res)
    write_and_print_report(out, "binarynet", res, text, plots.binarynet, extra=", models *.npz")
    return 0
