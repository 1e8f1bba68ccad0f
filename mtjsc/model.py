"""The model file (.npz): weights, encoding, gains, K per layer, provenance.

A model is the two weight matrices of the 784-H-10 network with the bias as
the *last* column (its input stream is constant 1), plus everything the SC
network needs to run it: the input encoding, the Btanh size K per layer, and
the stream length it was tuned for. Files are validated on load: missing or
extra keys, bad shapes, weights outside [-1, 1] or NaN, odd K are errors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mtjsc.config import CLASSES, FIRST_LAYER_FANIN, PIXELS, check_apc, check_encoding, check_K, check_neuron
from mtjsc.errors import MtjscError
from mtjsc.output import atomic_path

FORMAT_VERSION = 1
REQUIRED_KEYS = ("format_version", "w1", "w2", "encoding", "gain", "K", "target_L",
                 "seed", "beta", "float_accuracy", "provenance")
#: Keys added after format 1 was first written; files without them get the default.
OPTIONAL_KEYS = {"apc": "exact", "neuron": "btanh"}


def check_weights(w: np.ndarray, name: str) -> np.ndarray:
    """Weights must be finite and inside [-1, 1] (bipolar streams); nothing is clipped."""
    w = np.asarray(w, dtype=np.float64)
    if w.ndim != 2:
        raise MtjscError(f"{name} must be a 2-D matrix (neurons x fan-in), got shape {w.shape}")
    bad = ~np.isfinite(w)
    if bad.any():
        i = tuple(int(a) for a in np.argwhere(bad)[0])
        raise MtjscError(f"{name}{list(i)} is {w[i]}: weights must be finite; retrain or repair the model")
    out = np.abs(w) > 1.0
    if out.any():
        i = tuple(int(a) for a in np.argwhere(out)[0])
        raise MtjscError(f"{name}{list(i)} = {w[i]:.6g} lies outside [-1, 1]: bipolar streams cannot "
                         f"represent it; clip the weights during training (mtjsc train does)")
    return w


@dataclass(frozen=True)
class ScModel:
    """A trained 784-H-10 SC network.

    Attributes
    ----------
    w1 : ndarray, shape (H, 785)
        Hidden weights; column 784 is the bias.
    w2 : ndarray, shape (10, H + 1)
        Output weights; column H is the bias.
    encoding : {"unit", "sym"}
    gain : tuple of float
        Hidden-layer gain g (activation tanh(K s / (2 sigma^2)), K = round(2 n g)).
    K : tuple of int
        Btanh size per layer.
    target_L : int
        Stream length the training noise was sized for.
    seed : int
        Training seed.
    beta : float
        Softmax temperature used in training (readout is argmax; informational).
    float_accuracy : float
        Test accuracy of the float network (noise-free activation).
    provenance : dict
        Training command, data checksums, epochs, etc.
    apc : {"exact", "approx"}
        The APC kind the network was trained for.
    neuron : {"btanh", "or"}
        Hidden neuron kind. An ``or`` model (README, "OR-gate neurons") is
        unipolar: encoding ``unit`` means P(1) = pixel, a weight w is a
        stream of P(1) = |w| routed by its sign; K and gain are unused and
        stored as (2, 2) and (0, 0).
    """

    w1: np.ndarray
    w2: np.ndarray
    encoding: str
    gain: tuple
    K: tuple
    target_L: int
    seed: int = 0
    beta: float = 1.0
    float_accuracy: float = float("nan")
    provenance: dict = field(default_factory=dict)
    apc: str = "exact"
    neuron: str = "btanh"

    def __post_init__(self):
        w1 = check_weights(self.w1, "w1")
        w2 = check_weights(self.w2, "w2")
        if w1.shape[1] != FIRST_LAYER_FANIN:
            raise MtjscError(f"w1 has shape {w1.shape}: fan-in must be {FIRST_LAYER_FANIN} "
                             f"({PIXELS} pixels + bias)")
        if w2.shape[0] != CLASSES:
            raise MtjscError(f"w2 has shape {w2.shape}: expected {CLASSES} output neurons")
        if w2.shape != (10, w1.shape[0] + 1):
            raise MtjscError(f"w2 has shape {w2.shape}: expected (10, {w1.shape[0] + 1}) "
                             f"for {w1.shape[0]} hidden neurons + bias")
        object.__setattr__(self, "w1", w1)
        object.__setattr__(self, "w2", w2)
        check_encoding(self.encoding)
        check_apc(self.apc)
        check_neuron(self.neuron, self.encoding, self.apc, fix="; re-create the model with `mtjsc train --neuron or`")
        if len(self.K) != 2:
            raise MtjscError(f"K={self.K} must give one size per layer (2 layers)")
        object.__setattr__(self, "K", tuple(check_K(k, f"K[{i}]") for i, k in enumerate(self.K)))
        object.__setattr__(self, "gain", tuple(float(g) for g in self.gain))
        if int(self.target_L) < 1:
            raise MtjscError(f"target_L={self.target_L} must be >= 1")

    @property
    def hidden(self) -> int:
        return self.w1.shape[0]

    @property
    def weights(self) -> tuple:
        return (self.w1, self.w2)

    def save(self, path) -> Path:
        path = Path(path)
        with atomic_path(path) as tmp, open(tmp, "wb") as f:   # a file object: savez adds no suffix
            np.savez_compressed(
                f, format_version=np.int64(FORMAT_VERSION), w1=self.w1, w2=self.w2,
                encoding=np.str_(self.encoding), gain=np.array(self.gain, np.float64),
                K=np.array(self.K, np.int64), target_L=np.int64(self.target_L), seed=np.int64(self.seed),
                beta=np.float64(self.beta), float_accuracy=np.float64(self.float_accuracy),
                provenance=np.str_(json.dumps(self.provenance, sort_keys=True)), apc=np.str_(self.apc),
                neuron=np.str_(self.neuron))
        return path

    @classmethod
    def load(cls, path) -> "ScModel":
        """Load and validate a model file; errors name the key and the fix."""
        path = Path(path)
        if not path.is_file():
            raise MtjscError(f"model file {path} does not exist; train one with `mtjsc train` "
                             f"or omit --model to use the shipped models")
        try:
            z = np.load(path, allow_pickle=False)
        except Exception as e:  # zip or npy damage
            raise MtjscError(f"model file {path} is not a readable .npz ({e}); re-create it with `mtjsc train`")
        with z:
            keys = set(z.files)
            missing = [k for k in REQUIRED_KEYS if k not in keys]
            extra = sorted(keys - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
            if missing:
                raise MtjscError(f"model file {path} lacks keys {missing}; re-create it with `mtjsc train`")
            if extra:
                raise MtjscError(f"model file {path} has unexpected keys {extra}; it was not written by "
                                 f"this version of mtjsc (format {FORMAT_VERSION}); re-create it")
            version = int(z["format_version"])
            if version != FORMAT_VERSION:
                raise MtjscError(f"model file {path} has format_version {version}, this mtjsc reads "
                                 f"{FORMAT_VERSION}; re-create it with `mtjsc train`")
            return cls(w1=z["w1"], w2=z["w2"], encoding=str(z["encoding"]), gain=tuple(z["gain"]),
                       K=tuple(int(k) for k in z["K"]), target_L=int(z["target_L"]), seed=int(z["seed"]),
                       beta=float(z["beta"]), float_accuracy=float(z["float_accuracy"]),
                       provenance=json.loads(str(z["provenance"])),
                       **{k: str(z[k]) if k in keys else d for k, d in OPTIONAL_KEYS.items()})


SHIPPED_PREFIX = "model_"


def shipped_models() -> dict:
    """Shipped model files by name (``model_<name>.npz`` in mtjsc/data)."""
    from mtjsc.mnist import shipped_dir
    d = shipped_dir()
    return {p.stem[len(SHIPPED_PREFIX):]: p for p in sorted(d.glob(SHIPPED_PREFIX + "*.npz"))}


def shipped_for_length(L: int, apc: str = "exact") -> tuple:
    """The shipped SC-tuned Btanh model for ``apc`` whose target_L is closest to L (log scale; ties
    go to the shorter target, whose training noise was larger).

    Returns ``(name, ScModel)``. The paper-faithful model is never picked
    automatically; ask for it by name.
    """
    check_apc(apc)
    best = None
    for name, p in shipped_models().items():
        if name.startswith("paper"):
            continue
        m = ScModel.load(p)
        if m.apc != apc or m.neuron != "btanh":
            continue
        d = abs(np.log2(m.target_L) - np.log2(L))
        if best is None or d < best[0] or (d == best[0] and m.target_L < best[2].target_L):
            best = (d, name, m)
    if best is None:
        raise MtjscError(f"no shipped model for the {apc} APC in mtjsc/data; reinstall mtjsc or pass --model")
    return best[1], best[2]


def apc_mismatch(name: str, model: ScModel, apc: str) -> str | None:
    """A warning when ``model`` runs on another APC kind than it was trained for, else None."""
    if model.apc == apc:
        return None
    return (f"model {name} was trained for the {model.apc} APC but runs with the {apc} APC: its neurons "
            f"carry that APC's bias, expect lower accuracy (use --model auto, or train with --apc {apc})")


def load_named(spec: str) -> tuple:
    """``spec`` is a path to a .npz file or the name of a shipped model."""
    models = shipped_models()
    if spec in models:
        return spec, ScModel.load(models[spec])
    p = Path(spec)
    if p.suffix == ".npz" or p.exists():
        return p.stem, ScModel.load(p)
    raise MtjscError(f"--model {spec!r} is neither a file nor a shipped model; shipped: {sorted(models)}")
