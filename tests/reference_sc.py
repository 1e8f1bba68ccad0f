"""A deliberately simple, per-bit reference of the SC network.

Plain Python loops over stream index, neuron and input, written straight
from DESIGN.md's arithmetic contract, sharing nothing with the fast engine
but the stream source (which fixes the bits). Slow by design.
"""

from __future__ import annotations

import numpy as np

from mtjsc.behavioral_models.coding import bipolar_to_p, image_probabilities


def ref_apc(products, kind):
    n = len(products)
    if kind == "exact":
        c = 0
        for b in products:
            c += 1 if b else 0
        return c
    c = 0
    for k in range(n // 2):
        a, b = products[2 * k], products[2 * k + 1]
        if k % 2 == 0:
            c += 1 if (a or b) else 0
        else:
            c += 1 if (a and b) else 0
    c *= 2
    if n % 2 == 1:
        c += 1 if products[n - 1] else 0
    return c


def ref_layer(x_bits, w_bits, K, kind):
    """x_bits [L][n], w_bits [L][m][n] (any nested sequences of bools)."""
    L = len(x_bits)
    m = len(w_bits[0])
    n = len(x_bits[0])
    state = [K // 2] * m
    counts = [[0] * m for _ in range(L)]
    y = [[False] * m for _ in range(L)]
    for t in range(L):
        for j in range(m):
            products = [x_bits[t][i] == w_bits[t][j][i] for i in range(n)]   # XNOR
            c = ref_apc(products, kind)
            s = state[j] + 2 * c - n
            s = 0 if s < 0 else (K - 1 if s > K - 1 else s)
            state[j] = s
            counts[t][j] = c
            y[t][j] = s >= K // 2
    return counts, y


def ref_network(model, pixels, image_ids, source, L, kind):
    """Scores [N, 10] and per-image records, one image at a time."""
    w_bits = [source.weight_bits(l, bipolar_to_p(w), L).tolist() for l, w in enumerate(model.weights)]
    p = image_probabilities(pixels, model.encoding)
    x_all = source.input_bits(image_ids, p, L)
    scores, hidden, outs = [], [], []
    for u in range(len(pixels)):
        x = x_all[u].tolist()
        c1, y1 = ref_layer(x, w_bits[0], model.K[0], kind)
        x2 = [row + [True] for row in y1]
        c2, _ = ref_layer(x2, w_bits[1], model.K[1], kind)
        scores.append([sum(c2[t][k] for t in range(L)) for k in range(10)])
        hidden.append((c1, y1))
        outs.append(c2)
    return np.array(scores), hidden, outs
