"""Low-precision training of a 784-H-10 MLP in fixed point, with nearest or stochastic rounding.

Gupta et al. (ICML 2015): a network trained with weights, activations and
error signals in fixed point of f fraction bits stalls under round-to-
nearest once the weight updates ``lr x gradient`` fall below half an LSB
(they round to zero), and keeps training under stochastic rounding, whose
expected update is the exact one. Here the random numbers of stochastic
rounding come from ``ideal`` (NumPy), ``lfsr`` (one Galois LFSR per
tensor element, the shared definition) or ``mtj`` (k-bit numbers from one
simulated sMTJ at P = 1/2 sampled every ``period`` correlation times; a short
period gives autocorrelated bits).

What is rounded, every step: hidden activations and output logits (forward),
the error signals at the logits and at the hidden layer (backward), and the
new weights and biases after each update ``W - lr dW`` (the gradient dW is
formed from rounded operands in float and rounded once, in the update).
Values saturate at the word's range. The rounding function is
:func:`mtjsc.behavioral_models.rounding.stochastic` (the RTL's reference)
applied to the value scaled by 2^(f + k), k = ``prob_bits`` random bits.
Network: ReLU hidden layer, softmax cross-entropy, plain minibatch SGD.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from mtjsc import mnist
from mtjsc.behavioral_models import rounding
from mtjsc.behavioral_models.randomness import KINDS, RandomBits
from mtjsc.behavioral_models.seeding import RngTag, generator
from mtjsc.errors import MtjscError
from mtjsc.validate import check_float, check_int, check_seed
from mtjsc.behavioral_models.mtj import READ_PERIOD_RATIO

ROUNDINGS = ("nearest", "stochastic")
RANDOM = KINDS
#: widest fixed-point word (sign included) the trainer computes in
MAX_WORD = 32


def parse_fields(cls, spec: str, example: str) -> dict:
    """Comma-separated ``key=value`` pairs as keyword arguments of dataclass ``cls`` (values converted to
    the fields' int/float/str types); errors name the part, the keys and ``example``."""
    kw = {}
    types = {f.name: f.type for f in dataclasses.fields(cls)}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        key, eq, val = part.partition("=")
        key = key.strip()
        if not eq or key not in types:
            raise MtjscError(f"spec {spec!r}: {part!r} is not key=value with a key of "
                             f"{', '.join(types)} (for example {example})")
        try:
            kw[key] = {"int": int, "float": float}.get(types[key], str)(val.strip())
        except ValueError:
            raise MtjscError(f"spec {spec!r}: {key}={val.strip()!r} is not a number") from None
    return kw


@dataclasses.dataclass(frozen=True)
class Precision:
    """A fixed-point training precision: ``word`` bits (sign included), ``frac`` of them fraction bits.

    ``Precision.parse("word=16,frac=8,round=stochastic,bits=mtj,period=5")``; ``float`` means no rounding.
    """

    word: int = 16
    frac: int = 8
    round: str = "stochastic"
    bits: str = "ideal"
    period: float = READ_PERIOD_RATIO
    prob_bits: int = 8

    def __post_init__(self):
        check_int(self.word, "precision word", minimum=2, maximum=MAX_WORD)
        check_int(self.frac, "precision frac", minimum=0, maximum=self.word - 1,
                  fix=f"fraction bits must leave the sign bit of a {self.word}-bit word")
        if self.round not in ROUNDINGS:
            raise MtjscError(f"precision round={self.round!r}: choose nearest or stochastic")
        if self.bits not in RANDOM:
            raise MtjscError(f"precision bits={self.bits!r}: choose ideal, lfsr or mtj")
        check_float(self.period, "precision period (T / tau_c)", positive=True)
        check_int(self.prob_bits, "precision prob_bits", minimum=1, maximum=16)

    @classmethod
    def parse(cls, spec: str):
        """``"float"`` (returns None) or comma-separated key=value pairs of the fields."""
        if spec is None or spec.strip() == "float":
            return None
        return cls(**parse_fields(cls, spec, "word=16,frac=8,round=stochastic,bits=mtj"))

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    @property
    def label(self) -> str:
        src = f"/{self.bits}" + (f"(T={self.period:g}tau)" if self.bits == "mtj" else "") \
            if self.round == "stochastic" else ""
        return f"Q{self.word - 1 - self.frac}.{self.frac} {self.round}{src}"


def quantize(x: np.ndarray, prec: Precision | None, rand: RandomBits | None, name: str) -> np.ndarray:
    """``x`` rounded to ``prec`` (returned as floats that are multiples of 2^-frac), saturated."""
    if prec is None:
        return x
    f, k = prec.frac, prec.prob_bits
    lo, hi = -(1 << (prec.word - 1)), (1 << (prec.word - 1)) - 1
    if prec.round == "nearest":
        q = np.floor(x * (1 << f) + 0.5)
    else:
        fine = np.floor(np.clip(x * (1 << f), lo - 1, hi + 1) * (1 << k)).astype(np.int64)
        q = rounding.stochastic(fine, k, rand.numbers(name, x.shape, k)).astype(np.float64)
    return np.clip(q, lo, hi) / (1 << f)


def train_lowprec(prec: Precision | None, *, data=None, hidden: int = 128, epochs: int = 5, lr: float = 0.1,
                  batch: int = 100, seed: int = 0, train_images: int | None = None, progress=None,
                  log=None) -> dict:
    """Train the MLP at precision ``prec`` (None: float); return weights, test accuracy and the record."""
    seed = check_seed(seed)
    hidden = check_int(hidden, "--hidden", minimum=1)
    epochs = check_int(epochs, "--epochs", minimum=1)
    lr = check_float(lr, "--lr", positive=True)
    tr = mnist.load("train", data)
    te = mnist.load("test")
    X, Y = tr.pixels(), tr.labels
    if train_images:
        X, Y = X[:train_images], Y[:train_images]
    Xt = te.pixels()
    g = generator(seed, RngTag.LOWPREC_INIT)
    a1, a2 = np.sqrt(6 / (784 + hidden)), np.sqrt(6 / (hidden + 10))
    rand = RandomBits(prec.bits, seed=seed, tag=RngTag.LOWPREC_ROUND, period_ratio=prec.period) if prec and prec.round == "stochastic" \
        else None
    init = Precision(word=prec.word, frac=prec.frac, round="nearest") if prec else None
    W1 = quantize(g.uniform(-a1, a1, (784, hidden)), init, None, "W1")
    W2 = quantize(g.uniform(-a2, a2, (hidden, 10)), init, None, "W2")
    b1, b2 = np.zeros(hidden), np.zeros(10)
    order_rng = generator(seed, RngTag.LOWPREC_SHUFFLE)
    t0 = time.time()
    history = []
    for ep in range(epochs):
        order = order_rng.permutation(len(X))
        for s in range(0, len(X) - batch + 1, batch):
            xb, yb = X[order[s:s + batch]], Y[order[s:s + batch]]
            h = quantize(np.maximum(xb @ W1 + b1, 0.0), prec, rand, "h")
            z = quantize(h @ W2 + b2, prec, rand, "z")
            z = z - z.max(1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(1, keepdims=True)
            p[np.arange(batch), yb] -= 1.0
            dz = quantize(p / batch, prec, rand, "dz")
            dh = quantize((dz @ W2.T) * (h > 0), prec, rand, "dh")
            W2 = quantize(W2 - lr * (h.T @ dz), prec, rand, "W2")
            b2 = quantize(b2 - lr * dz.sum(0), prec, rand, "b2")
            W1 = quantize(W1 - lr * (xb.T @ dh), prec, rand, "W1")
            b1 = quantize(b1 - lr * dh.sum(0), prec, rand, "b1")
            if progress:
                progress(batch)
        acc = mlp_accuracy(W1, b1, W2, b2, Xt, te.labels)
        history.append(acc)
        if log:
            log(f"epoch {ep + 1}/{epochs}: test accuracy {100 * acc:.2f} % ({time.time() - t0:.0f} s)")
    return {"precision": prec.as_dict() if prec else "float", "label": prec.label if prec else "float",
            "hidden": hidden, "epochs": epochs, "lr": lr, "batch": batch, "seed": seed,
            "train_images": len(X), "test_accuracy": history[-1], "history": history,
            "seconds": round(time.time() - t0, 1), "weights": {"W1": W1, "b1": b1, "W2": W2, "b2": b2}}


def mlp_accuracy(W1, b1, W2, b2, X, labels) -> float:
    """Full-test-set accuracy of the trained weights (inference in float on the fixed-point weights)."""
    z = np.maximum(X @ W1 + b1, 0.0) @ W2 + b2
    return float(np.mean(np.argmax(z, 1) == labels))



def save(result: dict, path) -> None:
    """The trained weights and the whole record (precision, options, accuracies) as one .npz."""
    from mtjsc.output import save_record_npz
    save_record_npz(path, result["weights"], "record", {k: v for k, v in result.items() if k != "weights"})


def load(path) -> dict:
    """A file written by :func:`save`: ``{"weights": {...}, **record}``."""
    from mtjsc.output import load_record_npz
    rec, arrays = load_record_npz(path, "record", "low-precision model file",
                                  "train one with mtjsc train --precision ...")
    rec["weights"] = {k: arrays[k] for k in ("W1", "b1", "W2", "b2")}
    return rec


def sweep_configs(fracs, int_bits: int, randoms) -> list:
    """The runs of a precision sweep: float, then per fraction width nearest and stochastic per source."""
    runs = [None]
    for f in fracs:
        runs.append(Precision(word=1 + int_bits + f, frac=f, round="nearest"))
        for b in randoms:
            runs.append(Precision(word=1 + int_bits + f, frac=f, round="stochastic", bits=b))
    return runs
