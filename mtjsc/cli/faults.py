"""`mtjsc faults`: accuracy against fault rate, SC (weight-memory upsets, stuck SNGs, stream flips)
and the binary baseline (JSON, markdown, plot)."""

from __future__ import annotations

from mtjsc.cli.options import add_data_option, add_images_option, parse_list, progress_bar
from mtjsc.cli.shared import write_and_print_report
from mtjsc.errors import MtjscError
from mtjsc.output import check_output_dir
from mtjsc.validate import check_int


HELP = ("fault injection: accuracy against the rate of weight-memory upsets, stuck SNGs and stream bit flips "
        "(SC), and of weight upsets in the binary baseline")


def add_arguments(fl) -> None:
    from mtjsc.studies.faults import DEFAULT_RATES
    fl.add_argument("--length", type=int, default=256, help="stream length L")
    fl.add_argument("--rates", default=",".join(f"{r:g}" for r in DEFAULT_RATES),
                    help="fault probabilities (per stored bit, per SNG, per stream bit), comma separated")
    fl.add_argument("--seeds", type=int, default=3, help="fault draws per point (each with its own stream seed)")
    add_images_option(fl)
    fl.add_argument("--model", default="auto", help="SC model (default: the shipped one for L)")
    fl.add_argument("--baseline", default="8/8", help="binary baseline, weight/activation bits (shipped)")
    fl.add_argument("--protect", type=int, default=2,
                    help="also run SC upsets with the top N threshold bits guarded (as by ECC); 0: no such run")
    add_data_option(fl, "the shipped test set")
    fl.add_argument("--out", default="out/faults")


def parse_rates(text: str) -> list:
    """``"0,1e-3,1e-2"`` -> [0.0, 0.001, 0.01] (probabilities)."""
    from mtjsc.studies.faults import check_rate
    try:
        parts = parse_list(text, "--rates")
    except MtjscError:
        raise MtjscError(f"--rates {text!r} names no rate; give probabilities such as 0,1e-3,1e-2") from None
    return [check_rate(p, "--rates") for p in parts]


def run(a) -> int:
    from mtjsc.studies import faults, plots
    out = check_output_dir(a.out, "--out")
    rates = parse_rates(a.rates)
    seeds = check_int(a.seeds, "--seeds", minimum=1)
    n_img = check_int(a.images, "--images", minimum=1, maximum=10000) if a.images else 10000
    protect = check_int(a.protect, "--protect", minimum=0, maximum=9)
    # SC runs (every kind, the fault-free one once per seed) and the baseline's
    runs = ((len(faults.SC_KINDS) + (protect > 0)) * len(rates)) * seeds + len(rates) * seeds
    bar = progress_bar(runs * n_img, "fault injection")
    try:
        res = faults.study(L=a.length, rates=rates, seeds=seeds, images=a.images, model=a.model,
                           baseline=a.baseline, protect=protect, data=a.data, progress=bar.update)
    finally:
        bar.close()
    text = faults.markdown(res)
    write_and_print_report(out, "faults", res, text, plots.faults)
    return 0
