"""`ScConfig`: the one frozen description of an SC network instance.

Every stage (golden model, stream sources, RTL generation, co-simulation,
area) reads its parameters from here; nothing re-derives them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from mtjsc.errors import MtjscError

ENCODINGS = ("unit", "sym")
APC_KINDS = ("exact", "approx")


def check_encoding(encoding: str) -> str:
    if encoding not in ENCODINGS:
        raise MtjscError(f"unknown input encoding {encoding!r}; use one of {ENCODINGS}")
    return encoding


def check_apc(kind: str) -> str:
    if kind not in APC_KINDS:
        raise MtjscError(f"unknown APC kind {kind!r}; use one of {APC_KINDS}")
    return kind


def check_length(L) -> int:
    if isinstance(L, bool) or not isinstance(L, (int,)) and not hasattr(L, "__index__"):
        raise MtjscError(f"stream length L={L!r} must be an integer >= 1")
    L = int(L)
    if L < 1:
        raise MtjscError(f"stream length L={L} must be >= 1")
    return L


def check_K(K, where: str = "K") -> int:
    """Btanh counter size: a positive even integer (S0 = K/2 must be a state)."""
    if isinstance(K, bool) or not hasattr(K, "__index__"):
        raise MtjscError(f"{where}={K!r} must be a positive even integer")
    K = int(K)
    if K < 2 or K % 2:
        raise MtjscError(f"{where}={K} must be a positive even integer (>= 2); "
                         f"use round(2 * n * gain) rounded to even")
    return K


def check_sng_bits(B) -> int:
    if isinstance(B, bool) or not hasattr(B, "__index__") or not 1 <= int(B) <= 32:
        raise MtjscError(f"SNG resolution B={B!r} must be an integer in 1..32")
    return int(B)


def k_for_gain(n: int, gain: float) -> int:
    """Even Btanh size K = round(2 n g) matching activation tanh(g s) (crude sigma^2 = n)."""
    K = int(round(2 * n * gain / 2.0)) * 2
    return max(K, 2)


@dataclass(frozen=True)
class ScConfig:
    """Parameters of one SC network instance.

    Parameters
    ----------
    L : int
        Stream length (bits per value).
    K : tuple of int
        Btanh counter size per layer (even); the output layer's entry is
        only used for the optional Btanh readout.
    encoding : {"unit", "sym"}
        Pixel x in [0, 1] -> bipolar value x (``unit``) or 2x - 1 (``sym``).
    apc : {"exact", "approx"}
        Approximate parallel counter kind (DESIGN.md, arithmetic contract).
    sng_bits : int
        B, comparator-SNG resolution: threshold q = round(P * 2**B).
    lfsr_width : int
        Width of each Galois LFSR behind a comparator SNG.
    parallel_neurons, input_lanes : int
        Accelerator parallelism knobs P and W (0 = fully parallel).
    """

    L: int
    K: tuple = (236, 26)
    encoding: str = "sym"
    apc: str = "exact"
    sng_bits: int = 8
    lfsr_width: int = 32
    parallel_neurons: int = 0
    input_lanes: int = 0

    def __post_init__(self):
        object.__setattr__(self, "L", check_length(self.L))
        object.__setattr__(self, "K", tuple(check_K(k, f"K[{i}]") for i, k in enumerate(self.K)))
        check_encoding(self.encoding)
        check_apc(self.apc)
        check_sng_bits(self.sng_bits)
        if not max(self.sng_bits, 4) <= self.lfsr_width <= 32:
            raise MtjscError(f"lfsr_width={self.lfsr_width} must lie in max(sng_bits, 4)..32 "
                             f"(= {max(self.sng_bits, 4)}..32)")

    def with_(self, **kw) -> "ScConfig":
        """A copy with some fields replaced (validated again)."""
        return replace(self, **kw)
