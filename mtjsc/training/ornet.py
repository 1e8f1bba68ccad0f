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
from mtjsc.training.btanh import Adam, epoch_batches, readout_loss
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
SHIPPED = "or-L256"  #: the shipped OR model
