"""Work that several commands print the same way (eval and demo; area and demo)."""

from __future__ import annotations

import json

from mtjsc.cli.options import LFSR_WIDTH, SNG_BITS, progress_bar
from mtjsc.output import write_text


def accuracy_report(*, models, lengths, source="ideal", seeds=5, images=None, apc="exact", sng_bits=SNG_BITS,
                    lfsr_width=LFSR_WIDTH, source_options=None, json_out=None, plots_out=None) -> dict:
    """:func:`mtjsc.evaluate.evaluate` with a progress bar; the JSON and plots written, the summary printed."""
    from mtjsc.evaluate import evaluate, summary_lines
    from mtjsc.studies import plots
    bar = progress_bar((images or 10000) * seeds * len(lengths) * len(models), "golden model")
    try:
        res = evaluate(models=models, source=source, lengths=lengths, seeds=seeds, images=images, apc=apc,
                       sng_bits=sng_bits, lfsr_width=lfsr_width, source_options=source_options or {},
                       progress=bar.update)
    finally:
        bar.close()
    if json_out:
        write_text(json_out, json.dumps(res, indent=1))
    if plots_out:
        plots.accuracy_vs_length(res, plots_out / "accuracy_vs_length.png")
        plots.confusion(res, plots_out / "confusion.png")
    print("\n".join(summary_lines(res)))
    return res


def synthesize_with_bar(d, targets, cache) -> dict:
    """:func:`mtjsc.area.synth.synthesize_design` per target, with a progress bar."""
    from mtjsc.area.synth import synthesize_design
    results = {}
    with progress_bar(len(targets), "yosys", unit="target") as bar:
        for t in targets:
            bar.set_postfix_str(f"{d.module} -> {t} (cached runs are instant)")
            results.update(synthesize_design(d, [t], cache_root=cache))
            bar.update()
    return results


def write_and_print_report(out, stem: str, res: dict, text: str, plot=None, extra: str = "") -> None:
    """:func:`mtjsc.studies.report.write_report`, then the markdown and the files written."""
    from mtjsc.studies.report import write_report
    paths = write_report(out, stem, res, text, plot)
    print(text)
    print("   " + ", ".join(map(str, paths)) + extra)
