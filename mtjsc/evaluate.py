"""Accuracy evaluation of SC models with the golden model: seeds, intervals, confusion."""

from __future__ import annotations

import math
import sys
import time

import numpy as np

from mtjsc import mnist
from mtjsc.behavioral_models.golden import NetworkStreams, input_activity, run_network
from mtjsc.behavioral_models.sources import make_source
from mtjsc.config import ScConfig, check_apc, check_length
from mtjsc.errors import MtjscError
from mtjsc.model import apc_mismatch, load_named, shipped_for_length
from mtjsc.validate import check_int

# two-sided 95 % Student t quantiles, df = 1..30
_T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042]


def interval95(accuracies, n_images: int) -> tuple:
    """95 % interval of the mean accuracy.

    With two or more seeds: Student t over seeds (stream randomness is what
    varies). With one seed: the Wilson binomial interval over the images.
    """
    a = np.asarray(accuracies, np.float64)
    m = float(a.mean())
    if len(a) >= 2:
        t = _T95[min(len(a) - 1, 30) - 1]
        h = t * float(a.std(ddof=1)) / math.sqrt(len(a))
        return max(0.0, m - h), min(1.0, m + h)     # an accuracy interval stays inside [0, 1]
    z = 1.959964
    n = n_images
    c = (m + z * z / (2 * n)) / (1 + z * z / n)
    h = z * math.sqrt(m * (1 - m) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return c - h, c + h


def parse_lengths(text: str) -> list:
    try:
        lengths = [int(x) for x in str(text).split(",") if x.strip()]
    except ValueError:
        raise MtjscError(f"--length {text!r}: give comma-separated integers, e.g. 64,256,1024") from None
    if not lengths:
        raise MtjscError("--length is empty; give e.g. 64,256,1024")
    return [check_length(L) for L in lengths]


def resolve_model(spec: str, L: int, apc: str = "exact") -> tuple:
    """``auto`` picks the shipped model tuned for L and the APC kind; anything else is a name or a path."""
    if spec == "auto":
        return shipped_for_length(L, apc)
    return load_named(spec)


def float_accuracy_of(model, pixels, labels) -> float:
    """Accuracy of the noise-free float network on these images (recomputed, not the recorded value).

    Uses the activation the model was trained with (``sigma`` and
    ``act_scale`` from its provenance).
    """
    if model.neuron == "or":
        from mtjsc.training.ornet import float_accuracy as or_float_accuracy
        return or_float_accuracy(model, pixels, labels)
    from mtjsc.training.btanh import float_accuracy
    prov = model.provenance or {}
    return float_accuracy(model, pixels, labels, prov.get("sigma", "exact"), float(prov.get("act_scale", 1.0)))


def parse_models(text: str) -> list:
    """``--model`` as a list of specs; an empty list is an error."""
    models = [m.strip() for m in str(text).split(",") if m.strip()]
    if not models:
        raise MtjscError(f"--model {text!r} names no model; give e.g. auto, paper, L256 or a .npz file "
                         f"(comma separated)")
    return models


def source_options_for(model, source: str, options: dict) -> dict:
    """The source options a model runs with: an ``mtj`` source without an explicit ``gate`` makes
    the weight streams of an OR model AND pairs of devices (unipolar weights are small; XNOR pairs
    bottom out at P = 0.058)."""
    if source == "mtj" and model.neuron == "or" and "gate" not in options:
        return {**options, "gate": "and"}
    return dict(options)


def evaluate(*, models=("auto",), source="ideal", lengths=(64, 128, 256, 512, 1024), seeds=5, images=None,
             apc="exact", sng_bits=8, lfsr_width=32, source_options=None, progress=None, data=None) -> dict:
    """Accuracy of each model series at each stream length over several seeds.

    Every argument is checked (models loaded, sources built) before the
    first image runs.

    Parameters
    ----------
    models : sequence of str
        Series to evaluate: ``auto`` (shipped model per L), a shipped name or a file.
    source : str
        Stream source name.
    lengths : sequence of int
    seeds : int
        Seeds 0..seeds-1.
    images : int, optional
        First N test images (default: all 10,000).
    apc : {"exact", "approx"}
    sng_bits, lfsr_width : int
        Comparator-SNG resolution B and LFSR width of the run's
        :class:`~mtjsc.config.ScConfig` (the ``lfsr`` source reads them).
    source_options : dict, optional
        Further source parameters (e.g. ``period_ratio`` for ``mtj``).
    progress : callable, optional
        Called with the number of images finished.

    Returns
    -------
    dict
        JSON-ready results (see README, "Evaluating").
    """
    check_apc(apc)
    seeds = check_int(seeds, "--seeds", minimum=1)
    lengths = [check_length(L) for L in lengths]
    models = list(models)
    if not models:
        raise MtjscError("no model to evaluate; give e.g. --model auto")
    test = mnist.load("test", data)
    N = len(test.labels) if images is None else check_int(images, "--images", minimum=1,
                                                            maximum=len(test.labels))
    source_options = dict(source_options or {})
    # resolve every (series, L) and build one source of each before any work
    plan = {}
    warnings = []
    for spec in models:
        for L in lengths:
            name, model = resolve_model(spec, L, apc)
            w = apc_mismatch(name, model, apc)
            if w and w not in warnings:
                warnings.append(w)
            cfg = ScConfig.from_model(model, L=L, apc=apc, sng_bits=sng_bits, lfsr_width=lfsr_width)
            opts = source_options_for(model, source, source_options)
            plan[spec, L] = (name, model, cfg, opts)
            make_source(source, seed=0, config=cfg, **opts)
    pixels = test.pixels()[:N]
    labels = test.labels[:N].astype(np.int64)
    out = {"source": source, "source_options": source_options, "apc": apc, "images": N,
           "seeds": list(range(seeds)), "lengths": lengths, "warnings": warnings, "series": []}
    for w in warnings:
        print(f"mtjsc: warning: {w}", file=sys.stderr)
    t_start = time.time()
    float_cache = {}
    for spec in models:
        series = {"name": spec, "points": []}
        for L in lengths:
            name, model, cfg, opts = plan[spec, L]
            accs, conf, times = [], np.zeros((10, 10), np.int64), []
            for seed in range(seeds):
                src = make_source(source, seed=seed, config=cfg, **opts)
                t0 = time.time()
                streams = NetworkStreams(model, src, config=cfg, activity=input_activity(model, pixels, src))
                res = run_network(model, pixels, source=src, streams=streams, progress=progress)
                times.append(time.time() - t0)
                accs.append(float(np.mean(res.classes == labels)))
                np.add.at(conf, (labels, res.classes), 1)
            lo, hi = interval95(accs, N)
            if name not in float_cache:
                float_cache[name] = float_accuracy_of(model, pixels, labels)
            series["points"].append({
                "L": L, "model": name, "neuron": model.neuron, "source_options": opts,
                "model_apc": model.apc, "model_target_L": model.target_L,
                "K": list(model.K),
                "encoding": model.encoding, "gain": list(model.gain), "config": cfg.as_dict(),
                "float_accuracy": float_cache[name], "float_accuracy_recorded": model.float_accuracy,
                "accuracies": accs, "mean": float(np.mean(accs)), "ci95": [lo, hi], "seconds": times,
                "confusion": conf.tolist()})
        out["series"].append(series)
    out["seconds"] = time.time() - t_start
    return out


SWEEPS = ("period_ratio", "variation")


def sweep(*, param: str, values, L: int = 256, seeds: int = 2, images=None, model: str = "auto",
          calibration: str = "device", progress=None, data=None) -> dict:
    """Accuracy of the ``mtj`` source vs one device parameter, beside the ``ideal`` source.

    Parameters
    ----------
    param : {"period_ratio", "variation"}
        ``period_ratio``: sampling period T / tau_c (correlation grows as it
        falls). ``variation``: multiple of the default device spread
        (5 % Delta, 5 % V_c, 20 mV V_0).
    values : sequence of float
    L, seeds, images, model
        As for :func:`evaluate`.
    calibration : {"device", "nominal"}
        With ``nominal`` every device uses the nominal DAC biases, so
        variation moves P as well as the correlation time.
    """
    from mtjsc.behavioral_models.mtj import Variation
    if param not in SWEEPS:
        raise MtjscError(f"unknown sweep parameter {param!r}; choose one of {SWEEPS}")
    values = [float(v) for v in values]
    if not values or any(not (v >= 0 and math.isfinite(v)) for v in values) or \
            (param == "period_ratio" and min(values) <= 0):
        raise MtjscError(f"sweep values {values} must be finite and >= 0 (> 0 for period_ratio)")
    L = check_length(L)
    check_int(seeds, "--seeds", minimum=1)
    make_source("mtj", calibration=calibration)      # a bad calibration fails here, before the baseline run
    base = evaluate(models=[model], source="ideal", lengths=[L], seeds=seeds, images=images,
                    progress=progress, data=data)
    points = []
    for v in values:
        opts = {"calibration": calibration}
        if param == "period_ratio":
            opts["period_ratio"] = v
        else:
            d = Variation()
            opts["variation"] = Variation(d.sigma_delta * v, d.sigma_vc * v, d.sigma_v0 * v)
        r = evaluate(models=[model], source="mtj", lengths=[L], seeds=seeds, images=images,
                     source_options=opts, progress=progress, data=data)
        p = r["series"][0]["points"][0]
        points.append({"value": v, "mean": p["mean"], "ci95": p["ci95"], "accuracies": p["accuracies"]})
    ideal = base["series"][0]["points"][0]
    return {"param": param, "L": L, "seeds": seeds, "images": base["images"], "calibration": calibration,
            "model": ideal["model"], "ideal": {"mean": ideal["mean"], "ci95": ideal["ci95"]}, "points": points}


def summary_lines(res: dict) -> list:
    """One line per (series, L) of an :func:`evaluate` result: SC accuracy, its 95 % interval and the
    float network's accuracy on the same images."""
    lines = []
    for s in res["series"]:
        for p in s["points"]:
            kind = "OR neurons" if p["neuron"] == "or" else f"K={p['K'][0]:4d}"
            lines.append(f"{s['name']:>8} L={p['L']:5d} model={p['model']:<8} {kind}  SC "
                         f"{100 * p['mean']:6.2f} % [{100 * p['ci95'][0]:.2f}, {100 * p['ci95'][1]:.2f}]  "
                         f"float {100 * p['float_accuracy']:.2f} % (same {res['images']} images)")
    return lines
