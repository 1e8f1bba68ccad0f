"""SC-aware training of the 784-H-10 network, in NumPy.

The hidden activation is the stationary Btanh response
``h = tanh(K s / (2 sigma^2))`` with ``sigma^2 = sum_i (1 - w_i^2 v_i^2)``
(or the crude ``sigma^2 = n``), so a Btanh counter of size K reproduces it.
The output layer is trained on its pre-activation ``z`` because the readout
is the APC count sum, whose mean is ``L (n + z) / 2``. Noise injection sized
for the target stream length L models the finite-stream error: on hidden
outputs variance ``16 (1 - h^2) / L`` (Btanh outputs are autocorrelated, so
several times the binomial floor) and on output pre-activations
``sum_j (1 - w_kj^2) / L``. Weights are kept in [-1, 1] by projection.
"""

from __future__ import annotations

import math
import time

import numpy as np

from mtjsc import mnist
from mtjsc.behavioral_models.apc_moments import ApcMoments
from mtjsc.behavioral_models.coding import encode_pixels, with_bias
from mtjsc.config import FIRST_LAYER_FANIN, check_apc, check_encoding, k_for_gain
from mtjsc.errors import MtjscError
from mtjsc.validate import check_float, check_int, check_seed
from mtjsc.model import ScModel


def shift_augment(images: np.ndarray, rng: np.random.Generator, max_shift: int = 1) -> np.ndarray:
    """Shift each 28x28 image by up to ``max_shift`` pixels in x and y (zero fill)."""
    n = len(images)
    p = max_shift
    padded = np.zeros((n, 28 + 2 * p, 28 + 2 * p), images.dtype)
    padded[:, p:p + 28, p:p + 28] = images
    oy = rng.integers(0, 2 * p + 1, n)[:, None, None]
    ox = rng.integers(0, 2 * p + 1, n)[:, None, None]
    r = np.arange(28)
    return padded[np.arange(n)[:, None, None], oy + r[None, :, None], ox + r[None, None, :]]


def epoch_batches(X: np.ndarray, rng: np.random.Generator, batch: int, shift: int):
    """One epoch of minibatches: ``(idx, pixels)`` with pixels float [B, 784] in [0, 1], images
    shuffled by ``rng`` and shifted by up to ``shift`` pixels (0: no augmentation)."""
    N = len(X)
    perm = rng.permutation(N)
    for b in range(N // batch):
        idx = perm[b * batch:(b + 1) * batch]
        imgs = shift_augment(X[idx], rng, shift) if shift else X[idx]
        yield idx, imgs.reshape(len(idx), -1) / 255.0


def hidden_forward(V: np.ndarray, w1: np.ndarray, K1: int, sigma: str):
    """Pre-activation s, sigma^2 and the Btanh-matched activation h for inputs V (bias included)."""
    s = V @ w1.T
    n = V.shape[1]
    if sigma == "exact":
        sig2 = n - (V * V) @ (w1 * w1).T
    else:
        sig2 = np.full_like(s, float(n))
    a = K1 * s / (2.0 * sig2)
    return s, sig2, a, np.tanh(a)


def float_accuracy(model: ScModel, pixels: np.ndarray, labels: np.ndarray, sigma: str = "exact",
                   act_scale: float = 1.0) -> float:
    """Accuracy of the noise-free float network (stationary Btanh activation).

    A model trained for the approximate APC is run with that APC's mean and
    variance (:class:`~mtjsc.behavioral_models.apc_moments.ApcMoments`).
    """
    V = with_bias(encode_pixels(pixels, model.encoding))
    if model.apc == "exact":
        _, _, _, h = hidden_forward(V, model.w1, model.K[0] * act_scale, sigma)
        z = with_bias(h) @ model.w2.T
    else:
        m1 = ApcMoments(model.w1.shape[1], model.apc)
        m2 = ApcMoments(model.w2.shape[1], model.apc)
        d1, var1, _ = m1.forward(V, model.w1)
        h = np.tanh(model.K[0] * act_scale * d1 / (2.0 * var1))
        z, _, _ = m2.forward(with_bias(h), model.w2)
    return float(np.mean(np.argmax(z, axis=1) == labels))


def readout_loss(z: np.ndarray, beta: np.ndarray, y: np.ndarray) -> tuple:
    """Softmax cross-entropy of the count readout ``beta z``: loss, d loss / d z, d loss / d beta."""
    B = len(y)
    logits = beta[0] * z
    logits = logits - logits.max(1, keepdims=True)
    e = np.exp(logits)
    pr = e / e.sum(1, keepdims=True)
    rows = np.arange(B)
    loss = float(-np.log(pr[rows, y] + 1e-300).mean())
    dlog = pr
    dlog[rows, y] -= 1.0
    dlog /= B
    return loss, beta[0] * dlog, np.array([(dlog * z).sum()])


def loss_and_grads_moments(w1, w2, beta, V, y, *, K, moments, eps=None, hidden_noise=28.0, noise_power=1.6,
                           L=1024):
    """:func:`loss_and_grads` for any APC kind through its moments (used for ``approx``).

    The hidden activation is ``tanh(K d / (2 var))`` with the drift ``d`` and
    variance ``var`` of the Btanh step ``2c - n`` of that APC; the output
    readout is the drift of the output APC (the score's mean is L (n + d) / 2)
    with noise of variance var / L. ``moments`` = (ApcMoments of layer 1, of layer 2).
    """
    m1, m2 = moments
    hidden = w1.shape[0]
    d1, var1, c1 = m1.forward(V, w1)
    a = K * d1 / (2.0 * var1)
    h = np.tanh(a)
    hn = h if eps is None else h + np.sqrt(hidden_noise * (1.0 - h * h) ** noise_power / L) * eps[0]
    H = with_bias(hn)
    z, var2, c2 = m2.forward(H, w2)
    if eps is not None:
        z = z + np.sqrt(var2 / L) * eps[1]
    loss, dz, dbeta = readout_loss(z, beta, y)
    zero = np.zeros_like(dz)              # the noise spread is a constant in the gradient
    dw2 = m2.backward(c2, dz, zero)
    # d z / d H: the moments are symmetric in inputs and weights, so swap their roles
    _, _, c2t = m2.forward(w2, H)
    dh = m2.backward(c2t, dz.T, zero.T)[:, :hidden]
    da = dh * (1.0 - h * h)
    dw1 = m1.backward(c1, da * K / (2.0 * var1), -da * a / var1)
    return loss, [dw1, dw2, dbeta]


def loss_and_grads(w1, w2, beta, V, y, *, K, sigma="exact", eps=None, hidden_noise=28.0, noise_power=1.6,
                   L=1024):
    """Cross-entropy of the count readout and its gradients.

    Parameters
    ----------
    w1, w2 : weight matrices (bias last); beta : array [1], softmax temperature
    V : [B, 785] bipolar inputs with bias; y : [B] labels
    K : float
        Effective Btanh size (K1 times the activation scale).
    eps : (ndarray [B, H], ndarray [B, 10]) or None
        Standard-normal draws for the hidden and output noise (None: no noise).
        The noise spread is treated as a constant in the gradient.

    Returns
    -------
    loss : float
    grads : [dw1, dw2, dbeta]
    """
    hidden = w1.shape[0]
    s, sig2, a, h = hidden_forward(V, w1, K, sigma)
    hn = h if eps is None else h + np.sqrt(hidden_noise * (1.0 - h * h) ** noise_power / L) * eps[0]
    H = with_bias(hn)
    z = H @ w2.T
    if eps is not None:
        z = z + np.sqrt((1.0 - w2 * w2).sum(1) / L) * eps[1]
    loss, dz, dbeta = readout_loss(z, beta, y)
    dw2 = dz.T @ H
    dh = (dz @ w2)[:, :hidden]
    da = dh * (1.0 - h * h)
    ds = da * K / (2.0 * sig2)
    dw1 = ds.T @ V
    if sigma == "exact":
        dsig2 = -da * a / sig2
        dw1 += -2.0 * w1 * (dsig2.T @ (V * V))
    return loss, [dw1, dw2, dbeta]


class Adam:
    def __init__(self, params, lr):
        self.p = params
        self.m = [np.zeros_like(x) for x in params]
        self.v = [np.zeros_like(x) for x in params]
        self.t = 0
        self.lr = lr

    def step(self, grads, lr):
        self.t += 1
        b1, b2, eps = 0.9, 0.999, 1e-8
        for p, g, m, v in zip(self.p, grads, self.m, self.v):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            mh = m / (1 - b1 ** self.t)
            vh = v / (1 - b2 ** self.t)
            p -= lr * mh / (np.sqrt(vh) + eps)


def train_command(*, encoding, gain, epochs, seed, target_L, hidden, lr, sigma, noise, hidden_noise,
                  noise_power, act_scale, shift, train_images=None, apc="exact") -> str:
    """The `mtjsc train` command line that reproduces a training run (recorded in the model)."""
    cmd = (f"mtjsc train --data $MTJSC_MNIST --encoding {encoding} --gain {gain:g} --epochs {epochs} "
           f"--seed {seed} --target-L {target_L} --hidden {hidden} --lr {lr:g} --sigma {sigma} "
           f"--hidden-noise {hidden_noise:g} --noise-power {noise_power:g} --act-scale {act_scale:g} "
           f"--shift {shift}")
    if not noise:
        cmd += " --no-noise"
    if apc != "exact":
        cmd += f" --apc {apc}"
    if train_images is not None:
        cmd += f" --train-images {train_images}"
    return cmd + " --out model.npz"


def check_training_options(*, encoding, gain, epochs, seed, target_L, hidden, lr, sigma, hidden_noise,
                           noise_power, act_scale, shift, train_images, apc="exact") -> None:
    """Every training option, checked before any data is read (names are the CLI's)."""
    check_encoding(encoding)
    check_apc(apc)
    check_float(gain, "--gain", positive=True, fix="0.1..0.2 recommended, 1 = the paper's K = 2n")
    check_int(epochs, "--epochs", minimum=1)
    check_seed(seed, "--seed")
    check_int(target_L, "--target-L", minimum=1, fix="the stream length the noise is sized for")
    check_int(hidden, "--hidden", minimum=1, fix="the paper uses 128 hidden neurons")
    check_float(lr, "--lr", positive=True, fix="2e-3 is the default")
    if sigma not in ("exact", "crude"):
        raise MtjscError(f"--sigma {sigma!r}: use 'exact' or 'crude'")
    for name, v in (("--hidden-noise", hidden_noise), ("--noise-power", noise_power), ("--act-scale", act_scale)):
        check_float(v, name, minimum=0.0)
    check_int(shift, "--shift", minimum=0, fix="0 turns the shift augmentation off")
    if train_images is not None:
        check_int(train_images, "--train-images", minimum=1)


def train(*, data=None, encoding="sym", gain=0.15, epochs=25, seed=0, target_L=1024, hidden=128,
          batch=128, lr=2e-3, sigma="exact", noise=True, hidden_noise=28.0, noise_power=1.6,
          act_scale=1.0, shift=1, train_images=None, apc="exact", progress=True, log=print) -> ScModel:
    """Train a model; see the module docstring for the recipe.

    Parameters
    ----------
    data : path, optional
        MNIST directory (``--data`` / ``MTJSC_MNIST``).
    encoding : {"unit", "sym"}
    gain : float
        Hidden gain g; K1 = round(2 * 785 * g) rounded to even.
    target_L : int
        Stream length the noise injection is sized for (0 disables noise
        as ``noise=False`` does).
    sigma : {"exact", "crude"}
        sigma^2 model of the activation.
    hidden_noise, noise_power : float
        Hidden-output noise variance ``hidden_noise * (1 - h^2)**noise_power / L``.
        The defaults (28, 1.6) were measured on the golden model (README,
        "Training"); DESIGN.md's first estimate is (16, 1).
    train_images : int, optional
        Use only the first N training images (quick experiments, tests).
    apc : {"exact", "approx"}
        The APC the network will run on: ``approx`` trains with that APC's
        mean and variance (:class:`ApcMoments`) and records it in the model.
    act_scale : float
        Training activation ``tanh(act_scale * K s / (2 sigma^2))``; the
        measured Btanh mean is slightly steeper than the diffusion limit.
    """
    check_training_options(encoding=encoding, gain=gain, epochs=epochs, seed=seed, target_L=target_L,
                           hidden=hidden, lr=lr, sigma=sigma, hidden_noise=hidden_noise,
                           noise_power=noise_power, act_scale=act_scale, shift=shift, train_images=train_images,
                           apc=apc)
    tr = mnist.load("train", data)
    te = mnist.load("test", data if data is not None else None)
    rng = np.random.default_rng(seed)
    n1, n2 = FIRST_LAYER_FANIN, hidden + 1
    K1, K2 = k_for_gain(n1, gain), k_for_gain(n2, gain)
    w1 = rng.uniform(-1, 1, (hidden, n1)) * math.sqrt(3.0 / n1)
    w2 = rng.uniform(-1, 1, (10, n2)) * math.sqrt(3.0 / n2)
    beta = np.array([4.0 / math.sqrt(n2)])
    opt = Adam([w1, w2, beta], lr)
    moments = None if apc == "exact" else (ApcMoments(n1, apc), ApcMoments(n2, apc))
    X = tr.images
    Y = tr.labels.astype(np.int64)
    if train_images is not None:
        if not batch <= int(train_images) <= len(X):
            raise MtjscError(f"--train-images {train_images} must lie in {batch}..{len(X)}")
        X, Y = X[:int(train_images)], Y[:int(train_images)]
    N = len(X)
    steps = epochs * (N // batch)
    step = 0
    t0 = time.time()
    test_pixels, test_labels = te.pixels(), te.labels
    for ep in range(epochs):
        loss_sum = 0.0
        for idx, px in epoch_batches(X, rng, batch, shift):
            V = with_bias(encode_pixels(px, encoding))
            eps = (rng.standard_normal((len(idx), hidden)), rng.standard_normal((len(idx), 10))) if noise \
                else None
            if moments is None:
                loss, grads = loss_and_grads(w1, w2, beta, V, Y[idx], K=K1 * act_scale, sigma=sigma, eps=eps,
                                             hidden_noise=hidden_noise, noise_power=noise_power, L=target_L)
            else:
                loss, grads = loss_and_grads_moments(w1, w2, beta, V, Y[idx], K=K1 * act_scale, moments=moments,
                                                     eps=eps, hidden_noise=hidden_noise, noise_power=noise_power,
                                                     L=target_L)
            loss_sum += loss
            lr_t = lr * 0.5 * (1 + math.cos(math.pi * step / steps))
            opt.step(grads, lr_t)
            np.clip(w1, -1.0, 1.0, out=w1)
            np.clip(w2, -1.0, 1.0, out=w2)
            step += 1
        m = ScModel(w1=w1.copy(), w2=w2.copy(), encoding=encoding, gain=(gain, gain), K=(K1, K2),
                    target_L=target_L, seed=seed, beta=float(beta[0]), apc=apc)
        acc = float_accuracy(m, test_pixels, test_labels, sigma, act_scale)
        if progress:
            log(f"epoch {ep + 1}/{epochs}: loss {loss_sum / (N // batch):.4f}, float test accuracy "
                f"{100 * acc:.2f} %, {time.time() - t0:.0f} s")
    provenance = {
        "command": train_command(encoding=encoding, gain=gain, epochs=epochs, seed=seed, target_L=target_L,
                                 hidden=hidden, lr=lr, sigma=sigma, noise=noise, hidden_noise=hidden_noise,
                                 noise_power=noise_power, act_scale=act_scale, shift=shift,
                                 train_images=train_images, apc=apc),
        "encoding": encoding, "gain": gain, "epochs": epochs, "seed": seed, "target_L": target_L,
        "hidden": hidden, "batch": batch, "lr": lr, "sigma": sigma, "noise": bool(noise), "shift": shift,
        "hidden_noise": hidden_noise, "noise_power": noise_power, "act_scale": act_scale,
        "train_images": len(X), "apc": apc,
        "data_sha256": {**tr.sha256, **te.sha256}, "optimizer": "adam+cosine",
    }
    return ScModel(w1=w1, w2=w2, encoding=encoding, gain=(gain, gain), K=(K1, K2), target_L=target_L,
                   seed=seed, beta=float(beta[0]), float_accuracy=acc, provenance=provenance, apc=apc)
