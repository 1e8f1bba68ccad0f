"""`mtjsc early-exit`: progressive precision on the golden model: accuracy and mean stream length against
the early-exit rule (JSON, markdown, plot)."""

from __future__ import annotations

from mtjsc.cli.options import add_data_option, add_images_option, parse_list, progress_bar
from mtjsc.cli.shared import write_and_print_report
from mtjsc.output import check_output_dir
from mtjsc.validate import check_int

HELP = ("early exit (progressive precision): accuracy and mean stream length of the exact rule and of lead "
        "margins, checked every --block stream indices (golden model, full test set)")


def add_arguments(on) -> None:
    on.add_argument("--length", type=int, default=256, help="stream length L")
    on.add_argument("--apc", default="exact", choices=("exact", "approx"), help="APC kind")
    on.add_argument("--block", type=int, default=16, help="stream indices between exit checks (Tb)")
    on.add_argument("--margins", default="auto",
                    help="leads over the runner-up in score units, comma separated ('auto': 16 log-spaced)")
    on.add_argument("--source", default="lfsr", choices=("lfsr", "mtj", "entropy", "ideal"),
                    help="the golden model's bit source")
    on.add_argument("--seed", type=int, default=0, help="run seed of the source")
    on.add_argument("--model", default="auto", help="SC model (default: the shipped one for L and the APC)")
    add_images_option(on)
    add_data_option(on, "the shipped test set")
    on.add_argument("--out", default="out/early-exit")


def run(a) -> int:
    from mtjsc.config import check_length
    from mtjsc.studies import early_exit
    out = check_output_dir(a.out, "--out")
    L = check_length(a.length)
    block = check_int(a.block, "--block", minimum=1, maximum=L, fix=f"give 1..{L} (at most L = {L})")
    margins = None if a.margins.strip() == "auto" else [check_int(m, "--margins", minimum=1)
                                                         for m in parse_list(a.margins, "--margins", int)]
    images = None if a.images is None else check_int(a.images, "--images", minimum=1, maximum=10000)
    with progress_bar(images or 10000, "golden run") as bar:
        res = early_exit.study(L=L, apc=a.apc, block=block, margins=margins, source=a.source,
                               seed=check_int(a.seed, "--seed", minimum=0), images=images, model=a.model,
                               data=a.data, progress=bar.update)
    write_and_print_report(out, "early-exit", res, early_exit.markdown(res), early_exit.plot)
    return 0
