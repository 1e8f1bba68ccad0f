"""Binary and ternary networks sampled from real-valued latent weights (BinaryConnect), with the sampling
bits from ``ideal``, ``lfsr`` or ``mtj`` sources.

Courbariaux et al. (BinaryConnect, NeurIPS 2015) keep real latent weights
``w`` in [-1, 1] and run every forward pass on a sampled binary network,
``b = +1`` with probability ``p = (w + 1) / 2``; the gradient of the loss
with respect to ``b`` updates ``w`` (straight-through). Ternary sampling
draws ``b = sign(w)`` with probability ``|w|`` and 0 otherwise, so that
``E[b] = w`` in both cases. Deterministic binarization (``sign(w)``) and
ternarization (round to the nearest of -1, 0, 1) are the baselines.

Two activations:

``sign``
    The network the project's SC hardware runs. Inputs are pixel bits
    (``+1`` with probability equal to the pixel, the ``sym`` coding), hidden
    ``h = +1 if s >= 0 else -1`` with ``s`` the XNOR popcount sum (bias input
    constant +1), output scores the popcount sums of ``[h, 1]``. With binary
    weights this *is* the SC network of :mod:`mtjsc.behavioral_models.golden`
    at stream length L = 1 with Btanh size K = 2 (for odd fan-in, K = 2 is
    a memoryless sign), and at L = k it is the sum of the scores of k sampled
    networks: sample averaging is the stream length. :func:`to_sc_model`
    turns it into an :class:`~mtjsc.model.ScModel` that ``mtjsc eval``,
    ``mtjsc verilog`` and the RTL run unchanged. Training uses a tanh
    surrogate gradient for the sign.
``relu``
    BinaryConnect proper: real pixel inputs, ``h = relu(g s / sqrt(785) + b)``
    and logits ``g2 z + b2`` with per-neuron real scale and offset (the role
    batch normalisation plays in the paper). Software only.

Sampling bits (:func:`sample_bits`, a :class:`~mtjsc.behavioral_models.randomness.RandomBits`): ``ideal`` is NumPy; ``lfsr`` compares
k-bit numbers of one 32-bit Galois LFSR per weight (the comparator SNG) with
``round(p 2^k)``; ``mtj`` gives every weight its own simulated sMTJ (the
:class:`~mtjsc.behavioral_models.sources.MtjSource` population and DAC),
biased to P(1) = p and read once per sample every ``period`` correlation
times, so consecutive samples of a weight carry the telegraph correlation.
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np

from mtjsc import mnist
from mtjsc.behavioral_models.coding import bipolar_to_p, image_probabilities, with_bias
from mtjsc.behavioral_models.randomness import KINDS, RandomBits, check_kind
from mtjsc.behavioral_models.seeding import RngTag, generator
from mtjsc.config import FIRST_LAYER_FANIN
from mtjsc.errors import MtjscError
from mtjsc.training.lowprec import parse_fields
from mtjsc.validate import check_float, check_int, check_seed
from mtjsc.behavioral_models.mtj import READ_PERIOD_RATIO

MODES = ("binary", "ternary")
ACTIVATIONS = ("sign", "relu")
SAMPLINGS = ("stochastic", "deterministic")
BITS = KINDS
#: relu networks divide the first-layer sum by this (keeps g1 near 1)
RELU_SCALE = math.sqrt(FIRST_LAYER_FANIN)


@dataclasses.dataclass(frozen=True)
class BinarySpec:
    """What is sampled and how: ``BinarySpec.parse("mode=ternary,act=relu,bits=mtj,period=2")``."""

    mode: str = "binary"
    act: str = "sign"
    sampling: str = "stochastic"
    bits: str = "mtj"
    period: float = READ_PERIOD_RATIO
    prob_bits: int = 8

    def __post_init__(self):
        for key, allowed in (("mode", MODES), ("act", ACTIVATIONS), ("sampling", SAMPLINGS), ("bits", BITS)):
            if getattr(self, key) not in allowed:
                raise MtjscError(f"binary spec {key}={getattr(self, key)!r}: choose one of {', '.join(allowed)}")
        check_float(self.period, "binary spec period (T / tau_c)", positive=True)
        check_int(self.prob_bits, "binary spec prob_bits", minimum=1, maximum=16)

    @classmethod
    def parse(cls, spec: str) -> "BinarySpec":
        """Comma-separated key=value pairs of the fields (an empty string gives the defaults)."""
        return cls(**parse_fields(cls, spec, "mode=binary,act=sign,bits=mtj,period=5"))

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    @property
    def label(self) -> str:
        src = f" {self.bits}" + (f"(T={self.period:g}tau)" if self.bits == "mtj" else "") \
            if self.sampling == "stochastic" else ""
        return f"{self.mode}/{self.act} {self.sampling}{src}"


def check_bits(kind: str) -> str:
    """A sampling-bit source name (``ideal``, ``lfsr``, ``mtj``)."""
    return check_kind(kind, "sampling bits")


def sample_bits(kind: str, seed: int, *, phase: int = 0, group: int = 0,
                period: float = READ_PERIOD_RATIO) -> RandomBits:
    """The sampling bits of (``seed``, ``phase``, ``group``): phase 0 is training, 1 evaluation, 2 the
    progress figure; ``group`` numbers independent ensembles. The ``mtj`` devices themselves
    (variation, DAC) depend on the seed only: they are the hardware; ``period`` is their read period T/tau_c."""
    return RandomBits(check_bits(kind), seed=seed, tag=RngTag.BINARY_SAMPLE, ids=(phase, group), period_ratio=period)


def sample_weights(w: np.ndarray, spec: BinarySpec, bits: RandomBits | None, name: str) -> np.ndarray:
    """One sampled weight matrix (float32 of -1, 0, +1) from latent weights ``w`` in [-1, 1]."""
    if spec.sampling == "deterministic":
        if spec.mode == "binary":
            return np.where(w >= 0, 1.0, -1.0).astype(np.float32)
        return (np.sign(w) * (np.abs(w) >= 0.5)).astype(np.float32)
    if spec.mode == "binary":
        return np.where(bits.bernoulli(name, bipolar_to_p(w), k=spec.prob_bits), 1.0, -1.0).astype(np.float32)
    return (np.sign(w) * bits.bernoulli(name, np.abs(w), k=spec.prob_bits)).astype(np.float32)


def network_inputs(pixels: np.ndarray, act: str, rng: np.random.Generator | None) -> np.ndarray:
    """First-layer inputs with the bias column: pixel bits (+-1, P(+1) = pixel; thresholded at 1/2 when
    ``rng`` is None) for ``sign`` networks, the pixels themselves for ``relu``."""
    if act == "relu":
        return with_bias(pixels).astype(np.float32)
    p = image_probabilities(pixels, "sym")
    on = p >= 0.5 if rng is None else rng.random(p.shape) < p
    return np.where(on, 1.0, -1.0).astype(np.float32)


@dataclasses.dataclass
class BinaryNet:
    """Latent weights and what the sampled networks compute.

    ``w1`` [H, 785] and ``w2`` [10, H + 1] (bias last) in [-1, 1]; ``beta`` the softmax temperature of a
    ``sign`` network's popcount readout; ``g1, b1, g2, b2`` the per-neuron scale and offset of a ``relu``
    network; ``record`` the training options and results.
    """

    w1: np.ndarray
    w2: np.ndarray
    spec: BinarySpec
    beta: float = 1.0
    g1: np.ndarray | None = None
    b1: np.ndarray | None = None
    g2: np.ndarray | None = None
    b2: np.ndarray | None = None
    record: dict = dataclasses.field(default_factory=dict)

    @property
    def hidden(self) -> int:
        return self.w1.shape[0]

    def forward(self, x: np.ndarray, B1: np.ndarray, B2: np.ndarray) -> tuple:
        """One sampled network on inputs ``x`` (:func:`network_inputs`): (s, h, z, logits).

        ``s`` first-layer sums, ``h`` hidden outputs, ``z`` output sums ``[h, 1] B2^T``. For a binary
        ``sign`` network the SC scores are the APC counts ``(z + H + 1) / 2``.
        """
        s = x @ B1.T
        if self.spec.act == "sign":
            h = np.where(s >= 0, 1.0, -1.0).astype(np.float32)
            z = with_bias(h).astype(np.float32) @ B2.T
            return s, h, z, self.beta * z
        h = np.maximum(self.g1 * s / RELU_SCALE + self.b1, 0.0).astype(np.float32)
        z = with_bias(h).astype(np.float32) @ B2.T
        return s, h, z, self.g2 * z + self.b2

    def save(self, path) -> None:
        from mtjsc.output import save_record_npz
        arrays = {k: getattr(self, k) for k in ("w1", "w2", "g1", "b1", "g2", "b2") if getattr(self, k) is not None}
        save_record_npz(path, arrays, "binarynet", {"spec": self.spec.as_dict(), "beta": self.beta,
                                                    "record": self.record})

    @classmethod
    def load(cls, path) -> "BinaryNet":
        from mtjsc.output import load_record_npz
        head, arrays = load_record_npz(path, "binarynet", "binary-network file",
                                       "train one with mtjsc train --binary SPEC")
        return cls(spec=BinarySpec(**head["spec"]), beta=head["beta"], record=head["record"], **arrays)


def to_sc_model(net: BinaryNet):
    """The binary ``sign`` network as the SC network it is (K = 2 both layers, ``sym`` coding).

    The golden model, ``mtjsc eval``/``verilog`` and the RTL then run it; at stream length L the scores
    are the sum over L sampled networks, each weight bit drawn with P(1) = (w + 1) / 2 by the source.
    """
    from mtjsc.model import ScModel
    if net.spec.mode != "binary" or net.spec.act != "sign":
        raise MtjscError(f"only binary sign networks are SC networks; this one is {net.spec.mode}/{net.spec.act} "
                         f"(ternary weights need a zero, relu activations a real-valued datapath)")
    n1, n2 = net.w1.shape[1], net.w2.shape[1]
    return ScModel(w1=net.w1.astype(np.float64), w2=net.w2.astype(np.float64), encoding="sym",
                   gain=(1.0 / n1, 1.0 / n2), K=(2, 2), target_L=1, seed=int(net.record.get("seed", 0)),
                   beta=float(net.beta), provenance={"binarynet": net.spec.as_dict(), **net.record})


def check_options(*, hidden, epochs, lr, batch, seed, shift, train_images):
    check_int(hidden, "--hidden", minimum=1, fix="the paper's network has 128 hidden neurons")
    check_int(epochs, "--epochs", minimum=1)
    check_float(lr, "--lr", positive=True, fix="1e-2 (Adam on the latent weights) is the default")
    check_int(batch, "--batch", minimum=1)
    check_seed(seed, "--seed")
    check_int(shift, "--shift", minimum=0, fix="0 turns the shift augmentation off")
    if train_images is not None:
        check_int(train_images, "--train-images", minimum=batch, maximum=60000,
                  fix=f"at least one minibatch ({batch}) and at most the 60000 training images")


def train_binary(spec: BinarySpec, *, data=None, hidden: int = 128, epochs: int = 10, lr: float = 1e-2,
                 batch: int = 100, seed: int = 0, shift: int = 1, train_images: int | None = None,
                 progress=None, log=None) -> BinaryNet:
    """Train latent weights with a freshly sampled network per minibatch (Adam, cosine learning rate).

    Parameters
    ----------
    spec : BinarySpec
    data : path, optional
        MNIST directory (``--data`` / ``MTJSC_MNIST``).
    progress : callable, optional
        Called with the number of training images after each minibatch.
    log : callable, optional
        Called with one line per epoch (test accuracy of one sampled network).
    """
    from mtjsc.training.btanh import Adam, shift_augment
    check_options(hidden=hidden, epochs=epochs, lr=lr, batch=batch, seed=seed, shift=shift,
                  train_images=train_images)
    tr = mnist.load("train", data)
    te = mnist.load("test")
    X, Y = tr.images, tr.labels.astype(np.int64)
    if train_images is not None:
        X, Y = X[:train_images], Y[:train_images]
    g = generator(seed, RngTag.BINARY_INIT)
    n1, n2 = FIRST_LAYER_FANIN, hidden + 1
    # deterministic ternarization zeroes |w| < 1/2: start wider, or every weight is 0 and a relu
    # network has no gradient at all (measured: 11.35 %, the most frequent digit, after an epoch)
    a = 0.75 if (spec.mode, spec.sampling) == ("ternary", "deterministic") else 0.3
    net = BinaryNet(w1=g.uniform(-a, a, (hidden, n1)).astype(np.float32),
                    w2=g.uniform(-a, a, (10, n2)).astype(np.float32), spec=spec)
    # readout scales are learned as logarithms: Adam's step (about lr) is then relative, and the
    # scale cannot cross zero (a negative scale trains the network backwards)
    log_scale = np.full(10 if spec.act == "relu" else 1, -0.5 * math.log(n2), np.float32)
    if spec.act == "relu":
        net.g1, net.b1 = np.ones(hidden, np.float32), np.zeros(hidden, np.float32)
        net.b2 = np.zeros(10, np.float32)
        params = [net.w1, net.w2, net.g1, net.b1, log_scale, net.b2]
    else:
        params = [net.w1, net.w2, log_scale]

    def set_scale():
        if spec.act == "relu":
            net.g2 = np.exp(log_scale)
        else:
            net.beta = float(np.exp(log_scale[0]))
    opt = Adam(params, lr)
    bits = sample_bits(spec.bits, seed, phase=0, period=spec.period) \
        if spec.sampling == "stochastic" else None
    in_rng = generator(seed, RngTag.BINARY_INPUT, 0, 0)
    N = len(X)
    steps, step, t0, history = epochs * (N // batch), 0, time.time(), []
    test_x = te.pixels()
    for ep in range(epochs):
        order = g.permutation(N)
        for b in range(N // batch):
            idx = order[b * batch:(b + 1) * batch]
            imgs = shift_augment(X[idx], g, shift) if shift else X[idx]
            x = network_inputs(imgs.reshape(len(idx), -1) / 255.0, spec.act, in_rng)
            B1 = sample_weights(net.w1, spec, bits, "w1")
            B2 = sample_weights(net.w2, spec, bits, "w2")
            set_scale()
            s, h, z, logits = net.forward(x, B1, B2)
            p = np.exp(logits - logits.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            p[np.arange(len(idx)), Y[idx]] -= 1.0
            p /= len(idx)                                  # d loss / d logits
            H = with_bias(h).astype(np.float32)
            if spec.act == "sign":
                dz = net.beta * p
                dh = (dz @ B2)[:, :hidden]
                c = math.sqrt(n1)                            # tanh(s / sqrt(n)) surrogate of the sign
                ds = dh * (1.0 - np.tanh(s / c) ** 2) / c
                grads = [ds.T @ x, dz.T @ H, np.array([net.beta * (p * z).sum()], np.float32)]
            else:
                dz = net.g2 * p
                dh = (dz @ B2)[:, :hidden]
                da = dh * (h > 0)
                grads = [(da * net.g1 / RELU_SCALE).T @ x, dz.T @ H, (da * s / RELU_SCALE).sum(0), da.sum(0),
                         net.g2 * (p * z).sum(0), p.sum(0)]
            opt.step([gr.astype(np.float32) for gr in grads], lr * 0.5 * (1 + math.cos(math.pi * step / steps)))
            np.clip(net.w1, -1.0, 1.0, out=net.w1)
            np.clip(net.w2, -1.0, 1.0, out=net.w2)
            step += 1
            if progress:
                progress(len(idx))
        set_scale()
        acc = one_sample_accuracy(net, test_x, te.labels, seed=seed + ep)
        history.append(acc)
        if log:
            log(f"epoch {ep + 1}/{epochs}: test accuracy of one sampled network {100 * acc:.2f} % "
                f"({time.time() - t0:.0f} s)")
    net.record = {"spec": spec.as_dict(), "hidden": hidden, "epochs": epochs, "lr": lr, "batch": batch,
                  "seed": seed, "shift": shift, "train_images": len(X), "history": history,
                  "seconds": round(time.time() - t0, 1), "data_sha256": {**tr.sha256, **te.sha256}}
    return net


def one_sample_accuracy(net: BinaryNet, pixels, labels, *, seed: int) -> float:
    """Test accuracy of one sampled network (ideal bits; the per-epoch progress figure)."""
    spec = dataclasses.replace(net.spec, bits="ideal")
    bits = sample_bits("ideal", seed, phase=2)
    x = network_inputs(pixels, spec.act, generator(seed, RngTag.BINARY_INPUT, 2, 0))
    logits = net.forward(x, sample_weights(net.w1, spec, bits, "w1"), sample_weights(net.w2, spec, bits, "w2"))[3]
    return float(np.mean(np.argmax(logits, 1) == labels))


def sample_averaging(net: BinaryNet, pixels, labels, *, bits: str, seed: int = 0, k_max: int = 16, groups: int = 4,
                     period: float | None = None, progress=None) -> dict:
    """Accuracy of one sampled network and of the average over k = 1..k_max sampled networks.

    ``groups`` independent ensembles of ``k_max`` samples each (sampling bits from ``bits``; the ``mtj``
    devices are read every ``period`` tau_c, consecutive samples correlated accordingly). The average
    sums the logits (for a ``sign`` network, the popcount scores: the SC network at L = k).

    Returns
    -------
    dict
        ``k``; ``accuracy`` [groups][k_max] (running average); ``single`` [groups * k_max] (each sampled
        network alone).
    """
    k_max = check_int(k_max, "--k", minimum=1, maximum=1024)
    groups = check_int(groups, "--groups", minimum=1)
    spec = dataclasses.replace(net.spec, sampling="stochastic", bits=bits,
                               period=net.spec.period if period is None else period)
    acc = np.empty((groups, k_max))
    single = []
    for g in range(groups):
        sb = sample_bits(bits, seed, phase=1, group=g, period=spec.period)
        in_rng = generator(seed, RngTag.BINARY_INPUT, 1, g)
        total = 0
        for j in range(k_max):
            x = network_inputs(pixels, spec.act, in_rng)
            logits = net.forward(x, sample_weights(net.w1, spec, sb, "w1"), sample_weights(net.w2, spec, sb, "w2"))[3]
            single.append(float(np.mean(np.argmax(logits, 1) == labels)))
            total = total + logits
            acc[g, j] = np.mean(np.argmax(total, 1) == labels)
            if progress:
                progress(1)
    return {"bits": bits, "period": spec.period, "seed": seed, "k": list(range(1, k_max + 1)),
            "accuracy": acc.tolist(), "single": single}


def deterministic_accuracy(net: BinaryNet, pixels, labels) -> float:
    """Accuracy with sign / nearest-ternary weights and, for ``sign`` networks, input bits thresholded at 1/2."""
    det = dataclasses.replace(net.spec, sampling="deterministic")
    logits = net.forward(network_inputs(pixels, det.act, None), sample_weights(net.w1, det, None, "w1"),
                         sample_weights(net.w2, det, None, "w2"))[3]
    return float(np.mean(np.argmax(logits, 1) == labels))


def sc_sample_averaging(net: BinaryNet, pixels, labels, *, source: str, seed: int = 0, k_max: int = 16,
                        progress=None) -> dict:
    """The binary sign network through the SC golden model with stream source ``source`` at L = k_max:
    accuracy of the running score sum after each t (the hardware's sample averaging)."""
    from mtjsc.behavioral_models import golden
    from mtjsc.behavioral_models.sources import make_source
    from mtjsc.config import ScConfig
    model = to_sc_model(net)
    cfg = ScConfig.from_model(model, L=k_max)
    res = golden.run_network(model, pixels, source=make_source(source, seed=seed, config=cfg), config=cfg,
                             record=True, progress=progress)
    running = np.cumsum(res.output_counts.astype(np.int64), axis=1)          # [N, L, 10]
    acc = (np.argmax(running, axis=-1) == np.asarray(labels)[:, None]).mean(axis=0)   # lowest index on ties, as golden.classify
    return {"source": source, "seed": seed, "k": list(range(1, k_max + 1)), "accuracy": acc.tolist()}
