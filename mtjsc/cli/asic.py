"""`mtjsc asic`: area, timing and energy per image in a standard-cell flow (OSU 0.18 um, gate-level toggles)."""

from __future__ import annotations

from mtjsc.cli.options import add_cache_option, parse_list, progress_bar
from mtjsc.cli.shared import write_and_print_report
from mtjsc.errors import MtjscError
from mtjsc.output import check_output_dir
from mtjsc.validate import check_float, check_int

HELP = ("standard-cell area, timing and energy per image of the SC accelerator (lfsr, smtj-comparator, "
        "smtj-biased) and the binary baselines (OSU 0.18 um, gate-level toggles, OpenSTA); needs ./run setup-asic")


def add_arguments(on) -> None:
    on.add_argument("--length", default="64,256,1024", help="SC stream lengths, comma separated")
    on.add_argument("--apc", default="exact,approx", help="SC APC kinds, comma separated")
    on.add_argument("--widths", default="8/8,4/4,1/1", help="binary baselines w/a, comma separated ('' for none)")
    on.add_argument("--or-length", default="256", help="stream lengths of the OR-neuron network, comma separated "
                                                       "('' for none)")
    on.add_argument("--or-model", default="or-L256", help="the OR-neuron model (a shipped name or a .npz file)")
    on.add_argument("--parallel", type=int, default=16, help="P: neurons (MACs) per clock of every design")
    on.add_argument("--lanes", type=int, default=16, help="W: input lanes per clock of the SC accelerator")
    on.add_argument("--images", type=int, default=2, help="test images simulated at gate level per design")
    on.add_argument("--accuracy-images", type=int, default=None,
                    help="test images for the lfsr and binary accuracies (default all 10,000)")
    on.add_argument("--smtj-accuracy-images", type=int, default=None,
                    help="test images for the sMTJ sources' accuracies (default all 10,000; the smtj-comparator "
                         "bits are simulated per image, the slowest part of the run at L = 1024)")
    on.add_argument("--clock-mhz", type=float, default=5.0, help="common clock of every design for the energy (leakage) and the check against Fmax (MHz); the default is below every SC and binary design's Fmax in OSU 0.18 um")
    on.add_argument("--validate-only", action="store_true", help="only the flow's validation blocks")
    on.add_argument("--cycles", type=int, default=4096, help="validation: clocks simulated per block")
    add_cache_option(on)
    on.add_argument("--out", default="out/asic")


def _images(n, flag: str):
    """A test-image count from ``flag``: None (the whole test set) or 1..10,000."""
    return None if n is None else check_int(n, flag, minimum=1, maximum=10000)


def run(a) -> int:
    from mtjsc.asic import library
    from mtjsc.config import check_length
    from mtjsc.studies import asic
    from mtjsc.toolchain import tool_executable
    mhz = check_float(a.clock_mhz, "--clock-mhz", positive=True, fix="give the clock in MHz, for example 100")
    cycles = check_int(a.cycles, "--cycles", minimum=16, maximum=10 ** 8)
    out = check_output_dir(a.out, "--out")
    lengths = [check_length(L) for L in parse_list(a.length, "--length", int)] if not a.validate_only else []
    apcs = parse_list(a.apc, "--apc")
    for apc in apcs:
        if apc not in ("exact", "approx"):
            raise MtjscError(f"--apc {apc!r}: choose exact, approx or both (exact,approx)")
    widths = []
    for w in (parse_list(a.widths, "--widths") if a.widths.strip() else []):
        try:
            wb, ab = (int(x) for x in w.split("/"))
        except ValueError:
            raise MtjscError(f"--widths {w!r} is not w/a (for example 8/8)") from None
        widths.append((wb, ab))
    or_lengths = ([check_length(L) for L in parse_list(a.or_length, "--or-length", int)]
                  if a.or_length.strip() and not a.validate_only else [])
    if or_lengths:
        from mtjsc.evaluate import resolve_model
        name, m = resolve_model(a.or_model, or_lengths[0], "exact")
        if m.neuron != "or":
            raise MtjscError(f"--or-model {a.or_model!r} is a {m.neuron!r}-neuron network; give an OR model "
                             f"(for example or-L256) or --or-length '' for none")
    P = check_int(a.parallel, "--parallel", minimum=1, maximum=128)
    W = check_int(a.lanes, "--lanes", minimum=1, maximum=785)
    images = check_int(a.images, "--images", minimum=1, maximum=10000)
    acc_images = _images(a.accuracy_images, "--accuracy-images")
    smtj_images = _images(a.smtj_accuracy_images, "--smtj-accuracy-images")
    library.library_dir()
    tool_executable("sta")
    checked = asic.validation(cycles=cycles, clock_mhz=mhz, cache_root=a.cache)
    write_and_print_report(out, "asic-validation", checked, asic.markdown(checked))
    if a.validate_only:
        return 0
    with progress_bar(len(lengths) * len(apcs) + len(or_lengths) + len(widths), "designs", unit="design") as bar:
        res = asic.designs(lengths=lengths, apcs=apcs, widths=widths, or_lengths=or_lengths, or_model=a.or_model,
                           parallel=P, lanes=W, images_sim=images,
                           clock_mhz=mhz, accuracy_images=acc_images, smtj_accuracy_images=smtj_images,
                           cache_root=a.cache, progress=bar.update)
    write_and_print_report(out, "asic", res, asic.designs_markdown(res, checked), asic.plot_designs)
    return 0
