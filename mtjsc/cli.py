"""The `mtjsc` command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from mtjsc.errors import MtjscError


def _progress_bar(total: int, desc: str):
    from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit="img", unit_scale=True, dynamic_ncols=True,
                disable=None, file=sys.stderr)


def cmd_train(a) -> int:
    from mtjsc.train import train
    model = train(data=a.data, encoding=a.encoding, gain=a.gain, epochs=a.epochs, seed=a.seed,
                  target_L=a.target_L, hidden=a.hidden, lr=a.lr, sigma=a.sigma, noise=not a.no_noise,
                  hidden_noise=a.hidden_noise, noise_power=a.noise_power, act_scale=a.act_scale,
                  shift=a.shift, train_images=a.train_images, log=lambda s: print(s, file=sys.stderr))
    model.save(a.out)
    print(json.dumps({"out": str(a.out), "float_accuracy": model.float_accuracy, "K": list(model.K),
                      "target_L": model.target_L}))
    return 0


def source_options(a) -> dict:
    if a.source == "lfsr":
        return {"sng_bits": a.sng_bits, "width": a.lfsr_width}
    if a.source == "mtj":
        return {"period_ratio": a.period_ratio, "levels": a.levels, "calibration": a.calibration,
                "xnor": not a.no_xnor}
    if a.source == "mtj-pool":
        return {"period_ratio": a.period_ratio, "levels": a.levels}
    return {}


def cmd_eval(a) -> int:
    from mtjsc import plots
    from mtjsc.evaluate import evaluate, parse_lengths
    lengths = parse_lengths(a.length)
    models = [m for m in a.model.split(",") if m]
    n_img = a.images or 10000
    bar = _progress_bar(n_img * a.seeds * len(lengths) * len(models), "golden model")
    try:
        res = evaluate(models=models, source=a.source, lengths=lengths, seeds=a.seeds, images=a.images,
                       apc=a.apc, source_options=source_options(a), progress=bar.update)
    finally:
        bar.close()
    if a.json:
        Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        Path(a.json).write_text(json.dumps(res, indent=1))
    if a.plots:
        d = Path(a.plots)
        d.mkdir(parents=True, exist_ok=True)
        plots.accuracy_vs_length(res, d / "accuracy_vs_length.png")
        plots.confusion(res, d / "confusion.png")
    for s in res["series"]:
        for p in s["points"]:
            print(f"{s['name']:>8} L={p['L']:5d} model={p['model']:<8} K={p['K'][0]:4d}  SC "
                  f"{100 * p['mean']:6.2f} % [{100 * p['ci95'][0]:.2f}, {100 * p['ci95'][1]:.2f}]  "
                  f"float {100 * p['float_accuracy']:.2f} % (all 10k images)")
    return 0


def cmd_demo(a) -> int:
    """The main job on embedded defaults: accuracy, Verilog, a short co-simulation."""
    from mtjsc import mnist
    from mtjsc.behavioral_models.sources import make_source
    from mtjsc.model import shipped_for_length
    from mtjsc.sim.network import hidden_neuron_cosim
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    ns = argparse.Namespace(model="auto,paper", source="ideal", length="64,256,1024", seeds=a.seeds,
                            images=a.images, apc="exact", sng_bits=8, lfsr_width=32, period_ratio=5.0,
                            levels=30, calibration="device", no_xnor=False,
                            json=str(out / "accuracy.json"), plots=str(out))
    print(f"== 1/3 accuracy of the shipped models on the shipped MNIST test set (golden model) -> {out}")
    rc = cmd_eval(ns)
    print(f"   {out / 'accuracy.json'}, {out / 'accuracy_vs_length.png'}, {out / 'confusion.png'}")
    name, model = shipped_for_length(256)
    print(f"== 2/3 Verilog of a hidden neuron of model {name} (n=785, K={model.K[0]}, 3 APC stages)")
    cmd_verilog(argparse.Namespace(block="neuron", n=785, K=model.K[0], apc="exact", pipeline=3, score_bits=0,
                                   lfsr_width=32, sng_bits=8, seed=0, name=None, out=str(out / "verilog")))
    print("== 3/3 co-simulation on Icarus: that neuron on test image 0, L=256, ideal streams, vs golden model")
    test = mnist.load("test")
    summary = hidden_neuron_cosim(model, test.pixels()[0], 0, 0, source=make_source("ideal", seed=0), L=256,
                                  simulator="icarus", build_root=out / "cosim")
    print(f"   APC counts equal: {summary['counts_equal']}/256, Btanh bits equal: {summary['bits_equal']}/256, "
          f"bit-exact: {'yes' if summary['bit_exact'] else 'NO'}")
    print("   (area summary: comes with the area issue)")
    return rc


def cmd_verilog(a) -> int:
    from mtjsc.hdl.catalog import make_block
    from mtjsc.hdl.export import write
    comp, name, params = make_block(a.block, n=a.n, K=a.K, apc=a.apc, pipeline_stages=a.pipeline,
                                    score_bits=a.score_bits, width=a.lfsr_width, bits=a.sng_bits, seed=a.seed)
    v, j = write(comp, a.name or name, a.block, params, a.out)
    print(json.dumps({"verilog": str(v), "manifest": str(j), "module": a.name or name, "parameters": params}))
    return 0


def cmd_sweep(a) -> int:
    from mtjsc import plots
    from mtjsc.evaluate import sweep
    try:
        values = [float(v) for v in a.values.split(",") if v.strip()]
    except ValueError:
        raise MtjscError(f"--values {a.values!r}: give comma-separated numbers, e.g. 0.1,0.3,1,3") from None
    n_img = a.images or 10000
    bar = _progress_bar(n_img * a.seeds * (len(values) + 1), "sweep")
    try:
        res = sweep(param=a.param, values=values, L=a.length, seeds=a.seeds, images=a.images,
                    calibration=a.calibration, progress=bar.update)
    finally:
        bar.close()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"sweep_{a.param}.json").write_text(json.dumps(res, indent=1))
    plots.sweep(res, out / f"sweep_{a.param}.png")
    print(f"ideal: {100 * res['ideal']['mean']:.2f} %")
    for p in res["points"]:
        print(f"{a.param}={p['value']:<8g} mtj: {100 * p['mean']:.2f} % "
              f"[{100 * p['ci95'][0]:.2f}, {100 * p['ci95'][1]:.2f}]")
    return 0


def cmd_mtj(a) -> int:
    from mtjsc import mtj_report
    from mtjsc.behavioral_models.mtj import TelegraphMTJ
    dev = TelegraphMTJ(tau0=a.tau0, delta=a.delta, v_c=a.v_c, v_0=a.v_0)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mtjsc", description="Stochastic-computing MNIST network on stochastic MTJs")
    sub = p.add_subparsers(dest="cmd", required=True)

    t = sub.add_parser("train", help="SC-aware training (NumPy)")
    t.add_argument("--data", help="MNIST directory (default: $MTJSC_MNIST)")
    t.add_argument("--encoding", choices=["unit", "sym"], default="sym")
    t.add_argument("--gain", type=float, default=0.15, help="hidden gain g; K = round(2 n g)")
    t.add_argument("--epochs", type=int, default=25)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--target-L", type=int, default=1024, help="stream length the noise injection is sized for")
    t.add_argument("--hidden", type=int, default=128)
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--sigma", choices=["exact", "crude"], default="exact")
    t.add_argument("--no-noise", action="store_true", help="train without noise injection (paper style)")
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
    e.add_argument("--json", help="write results here")
    e.add_argument("--plots", help="write accuracy_vs_length.png and confusion.png into this directory")
    e.set_defaults(func=cmd_eval)

    v = sub.add_parser("verilog", help="Verilog and a JSON manifest of one SC block")
    v.add_argument("--block", required=True, help="xnor | apc | btanh | neuron | lfsr | sng")
    v.add_argument("--n", type=int, default=785, help="fan-in (bias included)")
    v.add_argument("--K", type=int, default=236, help="Btanh size (even)")
    v.add_argument("--apc", default="exact", help="exact | approx")
    v.add_argument("--pipeline", type=int, default=0, help="APC register stages")
    v.add_argument("--score-bits", type=int, default=0, help="neuron: count accumulator width (0 = none)")
    v.add_argument("--sng-bits", type=int, default=8, help="lfsr/sng: resolution B")
    v.add_argument("--lfsr-width", type=int, default=32, help="lfsr: width W")
    v.add_argument("--seed", type=int, default=0, help="lfsr: run seed of the seed schedule")
    v.add_argument("--name", help="module name (default: derived from the parameters)")
    v.add_argument("--out", required=True, help="output directory")
    v.set_defaults(func=cmd_verilog)

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

    d = sub.add_parser("demo", help="the main job on the shipped defaults")
    d.add_argument("--out", default="out/demo")
    d.add_argument("--seeds", type=int, default=3)
    d.add_argument("--images", type=int, default=None)
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
