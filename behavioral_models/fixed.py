"""The binary (fixed-point) baseline's integer model: the arithmetic the RTL
(:class:`mtjsc.hdl.fixed.FixedMlp`) equals, beside the SC golden model.

Integer arithmetic (the contract of the baseline; ``w`` weight bits, ``a`` activation bits):

- inputs ``x_i``: the pixel bytes, 0..255 (8 bits at every width);
- weights ``q``: integers in ``[-(2^(w-1) - 1), 2^(w-1) - 1]`` (symmetric); ``w = 1``: +-1;
- hidden sums ``acc_j = b1_j + sum_i x_i q1_ji`` (biases are integers in accumulator units);
- hidden outputs, ``a >= 2``: ``h_j = 0`` if ``acc_j <= 0`` else
  ``min((acc_j M + 2^(S-1)) >> S, 2^a - 1)`` (ReLU, requantised by the multiplier M < 2^16 and shift S,
  rounded half up, saturated); ``a = 1``: ``v_j = +1`` if ``acc_j >= 0`` else ``-1`` (sign, stored as
  the bit ``[acc_j >= 0]``);
- scores ``s_k = b2_k + sum_j v_j q2_kj`` (``v = h`` for ``a >= 2``), class = argmax, lowest index on
  ties. With ``w = a = 1`` the output layer is XNOR-popcount: ``s_k = b2_k + 2 popcount(XNOR) - H``.

No sum overflows: :meth:`FixedModel.bounds` gives the largest magnitude of every sum from the actual
weights, and the RTL sizes its registers from it.

Training lives in :mod:`mtjsc.training.fixedpoint`.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from mtjsc.errors import MtjscError
from mtjsc.validate import check_int

PIXELS, CLASSES = 784, 10
#: requantisation multiplier width (M < 2^16)
MULT_BITS = 16


def qmax(bits: int) -> int:
    """Largest weight magnitude of ``bits``-bit symmetric weights (1 for +-1)."""
    return 1 if bits == 1 else (1 << (bits - 1)) - 1


@dataclasses.dataclass
class FixedModel:
    """An integer 784-H-10 network (see the module docstring for the arithmetic)."""

    q1: np.ndarray          # int [H, 784]
    b1: np.ndarray          # int [H]
    q2: np.ndarray          # int [10, H]
    b2: np.ndarray          # int [10]
    wbits: int
    abits: int
    mult: int = 0           # requantisation M (abits >= 2)
    shift: int = 0          # and S
    record: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        check_int(self.wbits, "weight bits", minimum=1, maximum=8)
        check_int(self.abits, "activation bits", minimum=1, maximum=8)
        self.q1, self.q2 = np.asarray(self.q1, np.int64), np.asarray(self.q2, np.int64)
        self.b1, self.b2 = np.asarray(self.b1, np.int64), np.asarray(self.b2, np.int64)
        H = self.q1.shape[0]
        if self.q1.shape != (H, PIXELS) or self.q2.shape != (CLASSES, H) or self.b1.shape != (H,) \
                or self.b2.shape != (CLASSES,):
            raise MtjscError(f"fixed model shapes q1 {self.q1.shape}, b1 {self.b1.shape}, q2 {self.q2.shape}, "
                             f"b2 {self.b2.shape}: expected (H, 784), (H,), (10, H), (10,)")
        Q = qmax(self.wbits)
        for name, q in (("q1", self.q1), ("q2", self.q2)):
            bad = (np.abs(q) > Q) | ((q == 0) if self.wbits == 1 else False)
            if bad.any():
                raise MtjscError(f"{name} holds {int(q[bad].ravel()[0])}, outside the {self.wbits}-bit weights "
                                 f"({'+-1' if self.wbits == 1 else f'-{Q}..{Q}'})")
        if self.abits >= 2 and not (0 < self.mult < (1 << MULT_BITS) and 1 <= self.shift <= 62):
            raise MtjscError(f"requantisation M={self.mult}, S={self.shift}: need 0 < M < 2^{MULT_BITS}, 1 <= S <= 62")

    @property
    def hidden(self) -> int:
        return self.q1.shape[0]

    @property
    def label(self) -> str:
        return f"{self.wbits}/{self.abits}"

    def bounds(self) -> dict:
        """Largest magnitudes: hidden sum, hidden value, score (from the weights: no overflow anywhere)."""
        acc1 = int((np.abs(self.q1).sum(1) * 255 + np.abs(self.b1)).max())
        vmax = 1 if self.abits == 1 else (1 << self.abits) - 1
        score = int((np.abs(self.q2).sum(1) * vmax + np.abs(self.b2)).max())
        return {"acc1": acc1, "hidden": vmax, "score": score}

    def forward(self, pixels_u8) -> dict:
        """Integer model on uint8 pixels [N, 784] (or [N, 28, 28]): hidden sums, hidden values, scores, classes."""
        x = np.asarray(pixels_u8)
        if x.dtype != np.uint8:
            raise MtjscError(f"the fixed-point model takes uint8 pixel bytes, got {x.dtype}")
        if x.ndim not in (2, 3) or x[0].size != PIXELS:
            raise MtjscError(f"the fixed-point model takes pixels [N, {PIXELS}] or images [N, 28, 28], got shape {x.shape}")
        x = x.reshape(len(x), PIXELS).astype(np.int64)
        acc1 = x @ self.q1.T + self.b1
        if self.abits == 1:
            v = np.where(acc1 >= 0, 1, -1)
        else:
            top = (1 << self.abits) - 1
            v = np.where(acc1 <= 0, 0, np.minimum((acc1 * self.mult + (1 << (self.shift - 1))) >> self.shift, top))
        scores = v @ self.q2.T + self.b2
        return {"acc1": acc1, "hidden": v, "scores": scores, "classes": np.argmax(scores, axis=1)}

    def save(self, path) -> None:
        from mtjsc.output import save_record_npz
        save_record_npz(path, {"q1": self.q1.astype(np.int8), "q2": self.q2.astype(np.int8), "b1": self.b1,
                               "b2": self.b2}, "fixedmodel",
                        {"wbits": self.wbits, "abits": self.abits, "mult": self.mult, "shift": self.shift,
                         "record": self.record})

    @classmethod
    def load(cls, path) -> "FixedModel":
        from mtjsc.output import load_record_npz
        head, arrays = load_record_npz(path, "fixedmodel", "fixed-point model", "make one with mtjsc baseline")
        return cls(**arrays, **head)


def shipped_fixed(wbits: int, abits: int) -> FixedModel:
    """The shipped baseline ``mtjsc/data/fixed_<w>x<a>.npz`` (made by ``mtjsc baseline``)."""
    path = _shipped_dir() / f"fixed_{wbits}x{abits}.npz"
    if not path.is_file():
        raise MtjscError(f"no shipped {wbits}/{abits} baseline ({path.name}); make one with "
                         f"mtjsc baseline --widths {wbits}/{abits}")
    return FixedModel.load(path)


def _shipped_dir():
    from mtjsc.mnist import shipped_dir
    return shipped_dir()
