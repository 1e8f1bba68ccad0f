"""OR-gate neuron networks: the expectation model, training, and the shipped model.

The bit-level network is :mod:`mtjsc.behavioral_models.or_network`. Its
expectation for independent streams is exact and smooth, so it is what the
NumPy trainer differentiates:

* hidden ``h_j = (1 - P+_j) P-_j`` with ``log P+-_j = sum over the sign group of log(1 - |w_ji| x_i)``;
* output ``z_k = sum_i w_ki h_i`` (bias h = 1 last): the mean signed count per stream index.

Finite streams are modelled at the readout: the count of output k at one t
is a sum of +-1 Bernoulli bits with P = |w_ki| h_i, so the score over L bits
is ``L z_k`` plus noise of variance ``L sum_i |w_ki| h_i (1 - |w_ki| h_i)``;
training adds that noise (divided by L) to z, sized for the target L.
"""

from __future__ import annotations

import math
import time

import numpy as np

from mtjsc import mnist
from mtjsc.behavioral_models.coding import with_bias
from mtjsc.config import FIRST_LAYER_FANIN
from mtjsc.errors import MtjscError
from mtjsc.model import ScModel
from mtjsc.train import Adam, epoch_batches, readout_loss
from mtjsc.validate import check_float, check_int, check_seed

#: 1 - |w| x is kept above this in the logarithm (|w| = x = 1 makes the OR certain).
_FLOOR = 1e-6


def hidden_expectation(V: np.ndarray, w1: np.ndarray, grad: bool = False):
    """E[h] of the hidden OR neurons for unipolar inputs ``V`` [B, 785] (bias included).

    Returns ``h`` [B, H]; with ``grad`` also ``(D, e_ab)`` for :func:`hidden_backward`:
    ``D = x / (1 - |w| x)`` [B, H, n] and ``e_ab = P+ P-`` [B, H].
    """
    V32 = V.astype(np.float32)[:, None, :]
    A = np.abs(w1).astype(np.float32)[None, :, :]
    one_minus = np.maximum(1.0 - A * V32, _FLOOR)                     # [B, H, n]
    logs = np.log(one_minus)
    neg = (w1 < 0).astype(np.float32)
    log_n = np.einsum("bji,ji->bj", logs, neg)
    log_p = logs.sum(axis=2) - log_n
    p_pos, p_neg = np.exp(log_p), np.exp(log_n)
    h = (1.0 - p_pos) * p_neg
    if not grad:
        return h.astype(np.float64)
    return h.astype(np.float64), (np.divide(V32, one_minus), (p_pos * p_neg).astype(np.float64))


def hidden_backward(w1: np.ndarray, h: np.ndarray, cache, dh: np.ndarray) -> np.ndarray:
    """d loss / d w1 from d loss / d h.

    A positive weight raises the excitatory OR: ``dh/dw = P+ P- x / (1 - |w| x)``;
    a negative weight raises the inhibitory OR: ``dh/dw = h x / (1 - |w| x)``
    (d|w|/dw = -1 and dh/d|w| = -h x / (1 - |w| x)).
    """
    D, e_ab = cache
    neg = w1 < 0
    g_pos = np.einsum("bj,bji->ji", (dh * e_ab).astype(np.float32), D)
    g_neg = np.einsum("bj,bji->ji", (dh * h).astype(np.float32), D)
    return np.where(neg, g_neg, g_pos).astype(np.float64)


def output_expectation(h: np.ndarray, w2: np.ndarray) -> tuple:
    """Mean signed count per t ``z`` [B, 10] and its per-t variance (bias appended to h)."""
    H = with_bias(h)
    q = H[:, None, :] * np.abs(w2)[None, :, :]
    return H @ w2.T, (q * (1.0 - q)).sum(axis=2), H


def loss_and_grads(w1, w2, beta, V, y, *, eps=None, L=256):
    """Cross-entropy of the readout ``beta z`` (z with count noise sized for L) and its gradients."""
    h, cache = hidden_expectation(V, w1, grad=True)
    z, var, H = output_expectation(h, w2)
    if eps is not None:
        z = z + np.sqrt(var / L) * eps
    loss, dz, dbeta = readout_loss(z, beta, y)
    dw2 = dz.T @ H
    dh = (dz @ w2)[:, :w1.shape[0]]
    dw1 = hidden_backward(w1, h, cache, dh)
    return loss, [dw1, dw2, dbeta]


def expectation_scores(model: ScModel, pixels: np.ndarray, batch: int = 500) -> np.ndarray:
    """z of the noise-free expectation network, [N, 10] (the float model of an OR network)."""
    out = []
    for a in range(0, len(pixels), batch):
        V = with_bias(np.asarray(pixels[a:a + batch], np.float64))
        out.append(output_expectation(hidden_expectation(V, model.w1), model.w2)[0])
    return np.concatenate(out) if out else np.empty((0, 10))


def float_accuracy(model: ScModel, pixels: np.ndarray, labels: np.ndarray) -> float:
    """Accuracy of the expectation network (independent streams, L -> infinity)."""
    return float(np.mean(np.argmax(expectation_scores(model, pixels), axis=1) == labels))


def train_command(*, epochs, seed, target_L, hidden, lr, init, shift, noise, train_images) -> str:
    cmd = (f"mtjsc train --neuron or --data $MTJSC_MNIST --epochs {epochs} --seed {seed} --target-L {target_L} "
           f"--hidden {hidden} --lr {lr:g} --or-init {init:g} --shift {shift}")
    if not noise:
        cmd += " --no-noise"
    if train_images is not None:
        cmd += f" --train-images {train_images}"
    return cmd + " --out model.npz"


def train(*, data=None, epochs=15, seed=0, target_L=256, hidden=128, batch=128, lr=2e-3, init=0.04, shift=1,
          noise=True, train_images=None, progress=True, log=print) -> ScModel:
    """Train an OR-neuron network on its expectation model.

    Parameters
    ----------
    target_L : int
        Stream length the readout noise is sized for.
    init : float
        First-layer weights start uniform in [-init, init]: with ~100 units
        of ink per MNIST image, 0.04 puts the excitatory OR near its middle.
    train_images : int, optional
        Use only the first N training images.
    """
    check_int(epochs, "--epochs", minimum=1)
    check_seed(seed, "--seed")
    check_int(target_L, "--target-L", minimum=1, fix="the stream length the noise is sized for")
    check_int(hidden, "--hidden", minimum=1)
    check_float(lr, "--lr", positive=True, fix="2e-3 is the default")
    if not 0.0 < check_float(init, "--or-init", positive=True) <= 1.0:
        raise MtjscError(f"--or-init {init} must lie in (0, 1]: weights are stream probabilities; 0.04 is "
                         f"the default")
    check_int(shift, "--shift", minimum=0, fix="0 turns the shift augmentation off")
    tr = mnist.load("train", data)
    te = mnist.load("test", data)
    X, Y = tr.images, tr.labels.astype(np.int64)
    if train_images is not None:
        if not batch <= int(train_images) <= len(X):
            raise MtjscError(f"--train-images {train_images} must lie in {batch}..{len(X)}")
        X, Y = X[:int(train_images)], Y[:int(train_images)]
    rng = np.random.default_rng(seed)
    n1, n2 = FIRST_LAYER_FANIN, hidden + 1
    w1 = rng.uniform(-init, init, (hidden, n1))
    w2 = rng.uniform(-1, 1, (10, n2)) * math.sqrt(3.0 / n2)
    beta = np.array([4.0])
    opt = Adam([w1, w2, beta], lr)
    N = len(X)
    steps, step = epochs * (N // batch), 0
    test_pixels, test_labels = te.pixels(), te.labels
    t0 = time.time()
    acc = float("nan")
    for ep in range(epochs):
        loss_sum = 0.0
        for idx, px in epoch_batches(X, rng, batch, shift):
            V = with_bias(px)
            eps = rng.standard_normal((len(idx), 10)) if noise else None
            loss, grads = loss_and_grads(w1, w2, beta, V, Y[idx], eps=eps, L=target_L)
            loss_sum += loss
            opt.step(grads, lr * 0.5 * (1 + math.cos(math.pi * step / steps)))
            np.clip(w1, -1.0, 1.0, out=w1)
            np.clip(w2, -1.0, 1.0, out=w2)
            step += 1
        m = _model(w1, w2, beta, target_L, seed)
        acc = float_accuracy(m, test_pixels, test_labels)
        if progress:
            log(f"epoch {ep + 1}/{epochs}: loss {loss_sum / (N // batch):.4f}, expectation test accuracy "
                f"{100 * acc:.2f} %, {time.time() - t0:.0f} s")
    provenance = {"command": train_command(epochs=epochs, seed=seed, target_L=target_L, hidden=hidden, lr=lr,
                                           init=init, shift=shift, noise=noise, train_images=train_images),
                  "neuron": "or", "epochs": epochs, "seed": seed, "target_L": target_L, "hidden": hidden,
                  "batch": batch, "lr": lr, "init": init, "shift": shift, "noise": bool(noise),
                  "train_images": len(X), "data_sha256": {**tr.sha256, **te.sha256}, "optimizer": "adam+cosine"}
    return _model(w1.copy(), w2.copy(), beta, target_L, seed, acc, provenance)


def _model(w1, w2, beta, target_L, seed, acc=float("nan"), provenance=None) -> ScModel:
    return ScModel(w1=w1, w2=w2, encoding="unit", gain=(0.0, 0.0), K=(2, 2), target_L=target_L, seed=seed,
                   beta=float(beta[0]), float_accuracy=acc, provenance=provenance or {}, neuron="or")


# ----------------------------------------------------------------------------
# The OR-versus-Btanh report (`mtjsc ornet`)
# ----------------------------------------------------------------------------

#: Stream sources of the report: name -> (source, LFSR width). ``lfsr8`` is the deliberately
#: short-period case (8-bit LFSRs, period 255, B = 8); both lfsr variants share each input's
#: weight SNG among all neurons of a layer, as the accelerator does.
REPORT_SOURCES = {"ideal": ("ideal", 32), "lfsr": ("lfsr", 32), "lfsr8": ("lfsr", 8), "mtj": ("mtj", 32)}
SHIPPED = "or-L256"


def parse_sources(text: str) -> list:
    names = [s.strip() for s in str(text).split(",") if s.strip()]
    bad = [s for s in names if s not in REPORT_SOURCES]
    if not names or bad:
        raise MtjscError(f"--sources {text!r}: choose from {', '.join(REPORT_SOURCES)} (comma separated)")
    return names


def accuracy_table(*, or_model="or-L256", btanh_model="auto", sources=("ideal", "lfsr", "lfsr8", "mtj"),
                   lengths=(16, 64, 256, 1024), seeds=3, images=None, progress=None, data=None) -> dict:
    """Accuracy of the OR network and the Btanh network per source and L on the test set (golden model).

    Returns ``{"or": {source: evaluate-points}, "btanh": {...}}`` with the
    :func:`mtjsc.evaluate.evaluate` points (mean, 95 % interval, seeds).
    """
    from mtjsc.evaluate import evaluate
    out = {}
    for net, spec in (("or", or_model), ("btanh", btanh_model)):
        out[net] = {}
        for name in sources:
            src, width = REPORT_SOURCES[name]
            r = evaluate(models=[spec], source=src, lengths=lengths, seeds=seeds, images=images,
                         lfsr_width=width, progress=progress, data=data)
            out[net][name] = r["series"][0]["points"]
    return out


def area_table(*, or_model, btanh_model, L=256, P=16, W=48, targets=("ecp5", "cmos"), cache_root=None,
               progress=None) -> dict:
    """Yosys area of one hidden neuron (whole fan-in in one clock) and of the network core at (P, W),
    OR against Btanh, on ``targets``; cycles per image of both cores."""
    from mtjsc.area import synthesize
    from mtjsc.config import ScConfig
    from mtjsc.hdl.core import ScMlpCore
    from mtjsc.hdl.neuron import ScNeuron
    from mtjsc.hdl.or_core import OrMlpCore, OrNeuron
    from mtjsc.sim.network import core_name
    cfg_or = ScConfig.from_model(or_model, L=L, parallel_neurons=P, input_lanes=W)
    cfg_bt = ScConfig.from_model(btanh_model, L=L, parallel_neurons=P, input_lanes=W)
    n1 = FIRST_LAYER_FANIN
    designs = {
        ("neuron", "or"): (OrNeuron(n=n1), f"or_neuron_n{n1}", "or"),
        ("neuron", "btanh"): (ScNeuron(n=n1, K=cfg_bt.K[0], kind="exact"), f"sc_neuron_n{n1}_K{cfg_bt.K[0]}",
                              "control"),
        ("core", "or"): (OrMlpCore(config=cfg_or), core_name(cfg_or), "control"),
        ("core", "btanh"): (ScMlpCore(config=cfg_bt), core_name(cfg_bt), "control"),
    }
    rows = []
    for (what, net), (comp, module, top) in designs.items():
        row = {"design": what, "neuron": net, "module": module}
        for t in targets:
            r = synthesize(comp, module, t, top_block=top, cache_root=cache_root)
            row[t] = r["total"]
            row[f"{t}_blocks"] = r["blocks"]
            if progress is not None:
                progress(1)
        if what == "core":
            row["cycles_per_image"] = comp.schedule.cycles_per_image()
            row["cycles_formula"] = comp.schedule.formula()
        rows.append(row)
    return {"L": L, "P": P, "W": W, "targets": list(targets), "rows": rows}


def report_markdown(res: dict) -> str:
    """The short markdown summary of :func:`accuracy_table` and :func:`area_table` results."""
    acc = res["accuracy"]
    lengths = [p["L"] for p in next(iter(acc["or"].values()))]
    lines = ["# OR-gate neurons against Btanh neurons",
             "",
             f"Golden model, first {res['images']} MNIST test images, {res['seeds']} seeds per point "
             f"(mean and 95 % interval). OR model `{res['or_model']}` "
             f"(expectation accuracy {100 * res['or_float_accuracy']:.2f} %); Btanh model `{res['btanh_model']}`.",
             "", "## Accuracy (%)", "",
             "| network | source | " + " | ".join(f"L={L}" for L in lengths) + " |",
             "|---|---|" + "---|" * len(lengths)]
    for net in ("or", "btanh"):
        for src, pts in acc[net].items():
            cells = [f"{100 * p['mean']:.2f} [{100 * p['ci95'][0]:.2f}, {100 * p['ci95'][1]:.2f}]" for p in pts]
            lines.append(f"| {net} | {src} | " + " | ".join(cells) + " |")
    lines += ["", "## Does true randomness beat LFSRs? (percentage points, mean over seeds)", "",
              "| network | L | ideal - lfsr | ideal - lfsr8 | mtj - lfsr | mtj - lfsr8 |", "|---|---|---|---|---|---|"]
    for net in ("or", "btanh"):
        a = acc[net]
        for i, L in enumerate(lengths):
            def d(x, y):
                return f"{100 * (a[x][i]['mean'] - a[y][i]['mean']):+.2f}" if x in a and y in a else "n/a"
            lines.append(f"| {net} | {L} | {d('ideal', 'lfsr')} | {d('ideal', 'lfsr8')} | {d('mtj', 'lfsr')} | "
                         f"{d('mtj', 'lfsr8')} |")
    if res.get("area"):
        ar = res["area"]
        lines += ["", f"## Area ({res.get('yosys', 'Yosys')}) and clocks", "",
                  f"Neuron: one hidden neuron over its 785 inputs in one clock. Core: the whole network datapath "
                  f"at P = {ar['P']}, W = {ar['W']}, L = {ar['L']} (stream bits from ports; no SNGs or memories).",
                  "", "| design | neuron | " + " | ".join(f"{t} {k}" for t in ar["targets"]
                                                          for k in _AREA_KEYS[t]) + " | clocks/image |",
                  "|---|---|" + "---|" * (sum(len(_AREA_KEYS[t]) for t in ar["targets"]) + 1)]
        for r in ar["rows"]:
            cells = [f"{r[t].get(k, 0):,}" for t in ar["targets"] for k in _AREA_KEYS[t]]
            lines.append(f"| {r['design']} | {r['neuron']} | " + " | ".join(cells) + " | "
                         f"{r.get('cycles_per_image', '')} |")
    return "\n".join(lines) + "\n"


_AREA_KEYS = {"ecp5": ("lut", "ff"), "cmos": ("transistors",), "generic": ("cells",), "ice40": ("lut", "ff"),
              "xilinx": ("lut", "ff")}


def report(*, or_model=SHIPPED, btanh_model="auto", sources=("ideal", "lfsr", "lfsr8", "mtj"),
           lengths=(16, 64, 256, 1024), seeds=3, images=None, area=True, P=16, W=48, area_L=256,
           cache_root=None, progress=None, data=None) -> dict:
    """Everything `mtjsc ornet` writes: accuracy per network, source and L; area and clocks.

    ``btanh_model`` ``auto`` is the shipped Btanh model tuned for each L; the
    area compares against the one tuned for ``area_L``.
    """
    from mtjsc.area import yosys_version
    from mtjsc.evaluate import resolve_model
    name_or, model_or = resolve_model(or_model, area_L)
    if model_or.neuron != "or":
        raise MtjscError(f"--model {or_model!r} is a {model_or.neuron!r}-neuron network; give an OR model "
                         f"(shipped: {SHIPPED}, or `mtjsc train --neuron or`)")
    name_bt, model_bt = resolve_model(btanh_model, area_L)
    if model_bt.neuron != "btanh":
        raise MtjscError(f"--btanh-model {btanh_model!r} is not a Btanh network; give auto, a shipped Btanh "
                         f"model or a file")
    te = mnist.load("test", data)
    n = len(te.labels) if images is None else check_int(images, "--images", minimum=1, maximum=len(te.labels))
    res = {"or_model": name_or, "btanh_model": btanh_model if btanh_model != "auto" else "auto (shipped, per L)",
           "images": n, "seeds": seeds, "lengths": list(lengths), "sources": list(sources),
           "or_float_accuracy": float_accuracy(model_or, te.pixels()[:n], te.labels[:n])}
    res["accuracy"] = accuracy_table(or_model=or_model, btanh_model=btanh_model, sources=sources,
                                     lengths=lengths, seeds=seeds, images=images, progress=progress, data=data)
    if area:
        res["yosys"] = yosys_version().split(" (")[0]
        res["area"] = area_table(or_model=model_or, btanh_model=model_bt, L=area_L, P=P, W=W,
                                 cache_root=cache_root)
        res["area"]["btanh_model"] = name_bt
    return res
