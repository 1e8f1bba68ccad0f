"""`mtjsc eval`: accuracy of SC models on the MNIST test set with the golden model."""

from __future__ import annotations

from mtjsc.cli.options import LFSR_WIDTH, SNG_BITS, add_apc_option, add_images_option, add_source_options, source_kwargs
from mtjsc.cli.shared import accuracy_report
from mtjsc.output import check_output_dir, check_output_file

HELP = "accuracy of the SC network on the MNIST test set"


def add_arguments(e) -> None:
    e.add_argument("--model", default="auto",
                   help="comma list: auto (shipped model per L), a shipped name (e.g. paper) or a .npz file")
    add_source_options(e)
    e.add_argument("--length", default="64,128,256,512,1024", help="stream lengths, comma separated")
    e.add_argument("--seeds", type=int, default=5)
    add_images_option(e)
    add_apc_option(e)
    e.add_argument("--sng-bits", type=int, default=SNG_BITS, help="lfsr source: comparator resolution B")
    e.add_argument("--lfsr-width", type=int, default=LFSR_WIDTH, help="lfsr source: LFSR width in bits")
    e.add_argument("--json", help="write results here")
    e.add_argument("--plots", help="write accuracy_vs_length.png and confusion.png into this directory")


def run(a) -> int:
    from mtjsc.evaluate import parse_lengths, parse_models
    lengths = parse_lengths(a.length)
    models = parse_models(a.model)
    json_out = check_output_file(a.json, "--json") if a.json else None
    plots_out = check_output_dir(a.plots, "--plots") if a.plots else None
    accuracy_report(models=models, lengths=lengths, source=a.source, seeds=a.seeds, images=a.images, apc=a.apc,
                    sng_bits=a.sng_bits, lfsr_width=a.lfsr_width, source_options=source_kwargs(a),
                    json_out=json_out, plots_out=plots_out)
    return 0
