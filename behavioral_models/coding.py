"""Bipolar stochastic coding and the pixel encodings (DESIGN.md, arithmetic contract)."""

from __future__ import annotations

import numpy as np

from mtjsc.config import check_encoding
from mtjsc.errors import MtjscError


def encode_pixels(x: np.ndarray, encoding: str) -> np.ndarray:
    """Bipolar value of pixels ``x`` in [0, 1]: ``unit`` -> x, ``sym`` -> 2x - 1."""
    check_encoding(encoding)
    x = np.asarray(x, dtype=np.float64)
    if x.size and (np.nanmin(x) < 0 or np.nanmax(x) > 1 or np.isnan(x).any()):
        raise MtjscError("pixels must lie in [0, 1]; divide uint8 images by 255")
    return x if encoding == "unit" else 2.0 * x - 1.0


def with_bias(v: np.ndarray) -> np.ndarray:
    """Append the bias input (constant +1 stream) as the last column."""
    v = np.asarray(v, dtype=np.float64)
    return np.concatenate([v, np.ones(v.shape[:-1] + (1,))], axis=-1)


def bipolar_to_p(v: np.ndarray) -> np.ndarray:
    """P(bit = 1) of bipolar value v in [-1, 1]: (v + 1) / 2."""
    v = np.asarray(v, dtype=np.float64)
    if v.size and (np.isnan(v).any() or np.abs(v).max() > 1.0):
        raise MtjscError("bipolar values must lie in [-1, 1]")
    return (v + 1.0) / 2.0


def image_probabilities(pixels: np.ndarray, encoding: str) -> np.ndarray:
    """P(1) of each first-layer input stream, bias included: shape (N, 785)."""
    return bipolar_to_p(with_bias(encode_pixels(pixels, encoding)))


def twos_complement(values, bits: int) -> np.ndarray:
    """Unsigned ``bits``-bit fields read as two's complement integers."""
    u = np.asarray(values, np.int64)
    return np.where(u >= 1 << (bits - 1), u - (1 << bits), u)


def n_words(n: int) -> int:
    return (n + 63) // 64


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """Pack bool [..., n] along the last axis into uint64 [..., ceil(n/64)], LSB first."""
    bits = np.asarray(bits, dtype=bool)
    n = bits.shape[-1]
    b = np.packbits(bits, axis=-1, bitorder="little")
    pad = n_words(n) * 8 - b.shape[-1]
    if pad:
        b = np.concatenate([b, np.zeros(b.shape[:-1] + (pad,), np.uint8)], axis=-1)
    return np.ascontiguousarray(b).view("<u8").astype(np.uint64, copy=False)
