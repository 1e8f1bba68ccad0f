"""`mtjsc baseline`: quantization-aware training of the fixed-point 784-H-10 network per width,
integer-model accuracy on the full test set, model files and a table."""

from __future__ import annotations

import sys

from mtjsc.cli.options import add_data_option, add_train_images_option, progress_bar
from mtjsc.cli.shared import write_and_print_report
from mtjsc.output import check_output_dir

HELP = "the binary (fixed-point) baseline: quantization-aware training per width, integer-model accuracy, model files"


def add_arguments(bl) -> None:
    add_data_option(bl)
    bl.add_argument("--widths", default="8/8,4/4,1/1", help="weight/activation bits, comma separated (1..8 each)")
    bl.add_argument("--hidden", type=int, default=128)
    bl.add_argument("--float-epochs", type=int, default=10)
    bl.add_argument("--qat-epochs", type=int, default=None,
                    help="QAT epochs of every width (default: 10, and 30 for widths with a 1-bit part)")
    bl.add_argument("--lr", type=float, default=3e-3)
    bl.add_argument("--seed", type=int, default=0)
    add_train_images_option(bl)
    bl.add_argument("--out", default="out/baseline")


def run(a) -> int:
    from mtjsc.studies import baseline
    from mtjsc.training.fixedpoint import parse_widths
    out = check_output_dir(a.out, "--out")
    widths = parse_widths(a.widths)
    qat = baseline.epochs_per_width(widths, a.qat_epochs)
    bar = progress_bar((a.float_epochs + sum(qat)) * (a.train_images or 60000), "training", unit="sample")
    try:
        res = baseline.study(widths, out=out, data=a.data, hidden=a.hidden, float_epochs=a.float_epochs,
                             qat_epochs=a.qat_epochs, lr=a.lr, seed=a.seed, train_images=a.train_images,
                             progress=bar.update, log=lambda s: bar.write(s, file=sys.stderr))
    finally:
        bar.close()
    text = baseline.markdown(res)
    write_and_print_report(out, "baseline", res, text, extra=", models fixed_WxA.npz")
    return 0
