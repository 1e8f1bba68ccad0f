"""The binary (conventional fixed-point) baseline of the 784-128-10 network: quantization-aware training
and the integer model that the RTL (:class:`mtjsc.hdl.fixed.FixedMlp`) equals.

The integer model and its contract are :mod:`mtjsc.behavioral_models.fixed`.

Training: a float ReLU MLP first (Adam, cosine rate, shift augmentation), then per width QAT from its
weights: weights fake-quantised per layer (scale ``max|W| / Q``; for 1 bit ``sign(W)`` times
``mean|W|``), activations clipped at the float network's 99.9th percentile and quantised to ``a`` bits
(or ``sign`` for 1 bit), gradients straight through the rounding. Accuracy is the integer model's.
"""

from __future__ import annotations

import math
import time

import numpy as np

from mtjsc import mnist
from mtjsc.behavioral_models.fixed import CLASSES, MULT_BITS, PIXELS, FixedModel, qmax
from mtjsc.behavioral_models.seeding import RngTag, generator
from mtjsc.errors import MtjscError
from mtjsc.validate import check_int, check_seed


def parse_widths(text: str) -> list:
    """``"8/8,4/4,1/1"`` -> [(8, 8), (4, 4), (1, 1)] (weight bits / activation bits)."""
    out = []
    for part in filter(None, (p.strip() for p in str(text).split(","))):
        w, slash, a = part.partition("/")
        try:
            wb, ab = int(w), int(a)
        except ValueError:
            raise MtjscError(f"width {part!r} is not W/A (weight bits / activation bits, e.g. 8/8)") from None
        if not slash or not (1 <= wb <= 8 and 1 <= ab <= 8):
            raise MtjscError(f"width {part!r}: weight and activation bits must be 1..8, written W/A (e.g. 4/4)")
        out.append((wb, ab))
    if not out:
        raise MtjscError(f"widths {text!r} name nothing; give W/A pairs such as 8/8,4/4,1/1")
    return out


# ----------------------------------------------------------------------------- training

def _fake_weights(W: np.ndarray, wbits: int) -> tuple:
    """(integer weights, scale): W ~ scale * q."""
    if wbits == 1:
        return np.where(W >= 0, 1, -1).astype(np.float32), float(np.abs(W).mean())
    Q = qmax(wbits)
    s = float(np.abs(W).max()) / Q
    return np.clip(np.rint(W / s), -Q, Q).astype(np.float32), s


def _output_weights(P: dict, wbits: int) -> tuple:
    """Output-layer integer weights and scale; for +-1 weights the scale is learned (``lg2``, its log: the
    softmax temperature of a popcount readout), not tied to mean|W2|."""
    q2, s2 = _fake_weights(P["W2"], wbits)
    return (q2, float(np.exp(P["lg2"][0]))) if "lg2" in P else (q2, s2)


def _forward(P: dict, x01: np.ndarray, width, hmax: float):
    """Float (width None) or fake-quantised forward: returns (logits, cache)."""
    W1, b1, W2, b2 = P["W1"], P["b1"], P["W2"], P["b2"]
    if width is None:
        a = x01 @ W1.T + b1
        h = np.maximum(a, 0.0)
        return h @ W2.T + b2, (a, h, W1, W2, 1.0, 1.0)
    wb, ab = width
    q1, s1 = _fake_weights(W1, wb)
    q2, s2 = _output_weights(P, wb)
    a = (x01 @ q1.T) * s1 + b1                      # x01 = x / 255 exactly: pixels are the integers
    if ab == 1:
        h = np.where(a >= 0, 1.0, -1.0).astype(np.float32)
    else:
        sh = hmax / ((1 << ab) - 1)
        h = np.clip(np.rint(np.clip(a, 0.0, hmax) / sh), 0, (1 << ab) - 1) * sh
    return (h @ q2.T) * s2 + b2, (a, h, q1 * s1, q2 * s2, s1, s2)


def _grads(P, x01, y, width, hmax):
    logits, (a, h, W1e, W2e, _, _) = _forward(P, x01, width, hmax)
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    loss = float(-np.log(p[np.arange(len(y)), y] + 1e-30).mean())
    p[np.arange(len(y)), y] -= 1.0
    p /= len(y)
    dh = p @ W2e
    if width is None:
        da = dh * (a > 0)
    elif width[1] == 1:
        da = dh * (np.abs(a) <= hmax)               # straight through the sign, inside its range
    else:
        da = dh * ((a > 0) & (a < hmax))            # straight through the rounding, zero where clipped
    g = {"W1": da.T @ x01, "b1": da.sum(0), "W2": p.T @ h, "b2": p.sum(0)}
    if "lg2" in P:
        g["lg2"] = np.array([(p * (logits - P["b2"])).sum()])
    return loss, g


def _train_loop(P, X, Y, *, epochs, lr, batch, rng, width, hmax, shift, progress, log, tag):
    from mtjsc.training.btanh import Adam, shift_augment
    keys = [k for k in ("W1", "b1", "W2", "b2", "lg2") if k in P]
    opt = Adam([P[k] for k in keys], lr)
    steps, step = epochs * (len(X) // batch), 0
    for ep in range(epochs):
        order = rng.permutation(len(X))
        total = 0.0
        for b in range(len(X) // batch):
            idx = order[b * batch:(b + 1) * batch]
            imgs = shift_augment(X[idx], rng, shift) if shift else X[idx]
            loss, g = _grads(P, imgs.reshape(len(idx), -1).astype(np.float32) / 255.0, Y[idx], width, hmax)
            total += loss
            opt.step([g[k].astype(np.float32) for k in keys], lr * 0.5 * (1 + math.cos(math.pi * step / steps)))
            step += 1
            if progress:
                progress(len(idx))
        if log:
            log(f"{tag}: epoch {ep + 1}/{epochs}, loss {total / (len(X) // batch):.4f}")


def to_integer(P: dict, width, hmax: float, record: dict) -> FixedModel:
    """The integer model of fake-quantised parameters ``P`` at ``width``."""
    wb, ab = width
    q1, s1 = _fake_weights(P["W1"], wb)
    q2, s2 = _output_weights(P, wb)
    sx = 1.0 / 255.0
    b1 = np.rint(P["b1"] / (sx * s1)).astype(np.int64)
    if ab == 1:
        mult = shift = 0
        sh = 1.0
    else:
        sh = hmax / ((1 << ab) - 1)
        r = sx * s1 / sh                              # accumulator units -> activation steps
        shift = (MULT_BITS - 1) - math.floor(math.log2(r))
        mult = int(round(r * 2.0 ** shift))
        if mult >= 1 << MULT_BITS:
            mult, shift = mult >> 1, shift - 1
    b2 = np.rint(P["b2"] / (sh * s2)).astype(np.int64)
    return FixedModel(q1=q1.astype(np.int64), b1=b1, q2=q2.astype(np.int64), b2=b2, wbits=wb, abits=ab,
                      mult=mult, shift=shift, record=record)


#: QAT epochs per width unless given: one-bit weights or activations learn slower (measured: 1/1 reaches
#: 93.0 % after 10 epochs, 95.5 % after 30)
def default_qat_epochs(width) -> int:
    return 30 if 1 in width else 10


def train_baselines(widths, *, data=None, hidden: int = 128, float_epochs: int = 10, qat_epochs: int | None = None,
                    lr: float = 3e-3, batch: int = 100, seed: int = 0, shift: int = 1,
                    train_images: int | None = None, progress=None, log=None) -> tuple:
    """Train the float network, then one QAT run per width from it.

    Returns
    -------
    float_accuracy : float
        Full-test-set accuracy of the float network.
    models : list of FixedModel
        One per width, ``record["test_accuracy"]`` from the integer model on the full test set.
    """
    check_int(hidden, "--hidden", minimum=1)
    check_int(float_epochs, "--float-epochs", minimum=1)
    if qat_epochs is not None:
        check_int(qat_epochs, "--qat-epochs", minimum=1)
    check_seed(seed, "--seed")
    tr, te = mnist.load("train", data), mnist.load("test")
    X, Y = tr.images, tr.labels.astype(np.int64)
    if train_images is not None:
        check_int(train_images, "--train-images", minimum=batch, maximum=len(X))
        X, Y = X[:train_images], Y[:train_images]
    rng = generator(seed, RngTag.FIXED_TRAIN)
    a1, a2 = math.sqrt(6 / (PIXELS + hidden)), math.sqrt(6 / (hidden + CLASSES))
    P = {"W1": rng.uniform(-a1, a1, (hidden, PIXELS)).astype(np.float32), "b1": np.zeros(hidden, np.float32),
         "W2": rng.uniform(-a2, a2, (CLASSES, hidden)).astype(np.float32), "b2": np.zeros(CLASSES, np.float32)}
    t0 = time.time()
    _train_loop(P, X, Y, epochs=float_epochs, lr=lr, batch=batch, rng=rng, width=None, hmax=0.0, shift=shift,
                progress=progress, log=log, tag="float")
    xt = te.images.reshape(-1, PIXELS).astype(np.float32) / 255.0
    logits, (a, *_rest) = _forward(P, xt, None, 0.0)
    float_acc = float(np.mean(np.argmax(logits, 1) == te.labels))
    hmax = float(np.percentile(np.maximum(a, 0.0), 99.9))
    models = []
    for width in widths:
        Q = {k: v.copy() for k, v in P.items()}
        if width[0] == 1:
            Q["lg2"] = np.array([math.log(float(np.abs(P["W2"]).mean()))], np.float32)
        epochs = default_qat_epochs(width) if qat_epochs is None else qat_epochs
        _train_loop(Q, X, Y, epochs=epochs, lr=lr, batch=batch, rng=rng, width=width, hmax=hmax, shift=shift,
                    progress=progress, log=log, tag=f"QAT {width[0]}/{width[1]}")
        rec = {"seed": seed, "hidden": hidden, "float_epochs": float_epochs, "qat_epochs": epochs, "lr": lr,
               "batch": batch, "shift": shift, "train_images": len(X), "hmax": hmax,
               "float_accuracy": float_acc, "data_sha256": {**tr.sha256, **te.sha256}}
        m = to_integer(Q, width, hmax, rec)
        m.record["test_accuracy"] = float(np.mean(m.forward(te.images)["classes"] == te.labels))
        m.record["seconds"] = round(time.time() - t0, 1)
        if log:
            log(f"{m.label}: integer model test accuracy {100 * m.record['test_accuracy']:.2f} %")
        models.append(m)
    return float_acc, models
