"""Mean and variance of an APC count as differentiable functions of inputs and weights.

The trainer uses these to match the activation and noise of the SC network.
For bipolar inputs ``v`` and weights ``w`` the product bit of input i is 1
with probability ``p_i = (1 + x_i) / 2``, ``x_i = v_i w_i``; products are
independent. With the step ``2c - n`` of the Btanh counter (c the APC count):

``exact``
    drift ``d = sum_i x_i``, variance ``sum_i (1 - x_i^2)``.

``approx`` (pairs (2k, 2k+1): OR for even k, AND for odd k, count doubled,
    odd last input direct; README, arithmetic contract)
    With ``s_k = +1`` for AND pairs and ``-1`` for OR pairs and
    ``G_k = (1 + s_k x_a)(1 + s_k x_b) / 4``, an AND gate is 1 with
    probability ``G_k`` and an OR gate with ``1 - G_k``, so

    ``E[c] = 2 (n_OR + sum_AND G_k - sum_OR G_k) + (1 + x_lone) / 2``,
    ``Var[c] = 4 sum_k G_k (1 - G_k) + (1 - x_lone^2) / 4``,

    drift ``d = 2 E[c] - n`` and variance ``4 Var[c]``. It equals the exact
    drift only when paired products have equal probabilities; its variance
    is larger (counts are doubled).

Both sums over pairs are bilinear in monomials of (v_a, v_b) and
(w_a, w_b), so each is one matrix product over stacked features, and the
gradient with respect to w is one more: no [batch, neuron, input] tensor.
"""

from __future__ import annotations

import numpy as np

from mtjsc.config import check_apc
from mtjsc.errors import MtjscError

#: exponents (i, j) of v_a^i v_b^j w_a^i w_b^j in the expansion of G (i, j <= 1) and G^2 (i, j <= 2)
_MONOMIALS = [(i, j) for i in range(3) for j in range(3)]
_BINOMIAL = (1.0, 2.0, 1.0)


class ApcMoments:
    """Drift and variance of the Btanh step ``2c - n`` for one layer's APC.

    Parameters
    ----------
    n : int
        Fan-in (bias included, last).
    kind : {"exact", "approx"}
    """

    def __init__(self, n: int, kind: str):
        self.n = int(n)
        self.kind = check_apc(kind)
        k = np.arange(self.n // 2)
        self.groups = []   # (sign s, a indices, b indices) for OR (s = -1) and AND (s = +1) pairs
        for s, sel in ((-1.0, k % 2 == 0), (1.0, k % 2 == 1)):
            self.groups.append((s, 2 * k[sel], 2 * k[sel] + 1))
        self.n_or = int(np.sum(k % 2 == 0))
        self.lone = self.n - 1 if self.n % 2 else None
        # feature coefficients: G uses (i, j) <= 1 with s^(i+j) / 4; G^2 uses c_i c_j s^(i+j) / 16
        self._coef = {}
        for s, _, _ in self.groups:
            c1 = np.array([(s ** (i + j)) / 4.0 if i <= 1 and j <= 1 else 0.0 for i, j in _MONOMIALS])
            c2 = np.array([_BINOMIAL[i] * _BINOMIAL[j] * s ** (i + j) / 16.0 for i, j in _MONOMIALS])
            self._coef[s] = (c1, c2)

    @staticmethod
    def _features(va: np.ndarray, vb: np.ndarray) -> np.ndarray:
        """[B, 9, P]: v_a^i v_b^j for every monomial."""
        pa = (np.ones_like(va), va, va * va)
        pb = (np.ones_like(vb), vb, vb * vb)
        return np.stack([pa[i] * pb[j] for i, j in _MONOMIALS], axis=1)

    def forward(self, V: np.ndarray, w: np.ndarray) -> tuple:
        """Drift and variance of ``2c - n``: V [B, n] inputs, w [m, n] weights -> ([B, m], [B, m], cache)."""
        if np.ndim(V) != 2 or np.ndim(w) != 2 or np.shape(V)[1] != self.n or np.shape(w)[1] != self.n:
            raise MtjscError(f"ApcMoments(n={self.n}) takes V [B, {self.n}] and w [m, {self.n}], got {np.shape(V)} "
                             f"and {np.shape(w)}")
        if self.kind == "exact":
            d = V @ w.T
            var = self.n - (V * V) @ (w * w).T
            return d, var, (V, w)
        B, m = V.shape[0], w.shape[0]
        d = np.full((B, m), 4.0 * self.n_or - self.n)
        var = np.zeros((B, m))
        cache = []
        for s, ia, ib in self.groups:
            Ff = self._features(V[:, ia], V[:, ib]).reshape(B, -1)          # [B, 9P] (a view)
            W = self._features(w[:, ia], w[:, ib])                           # [m, 9, P]
            c1, c2 = self._coef[s]
            # sum_k G_k and sum_k G_k^2 in one product: coefficients go on the weight side
            Wc = np.concatenate([(W * c1[None, :, None]).reshape(m, -1), (W * c2[None, :, None]).reshape(m, -1)])
            S = Ff @ Wc.T
            S1, S2 = S[:, :m], S[:, m:]
            d += 4.0 * s * S1
            var += 16.0 * (S1 - S2)
            cache.append((s, ia, ib, Ff, W.shape[2]))
        if self.lone is not None:
            xl = np.outer(V[:, self.lone], w[:, self.lone])
            d += 1.0 + xl
            var += 1.0 - xl * xl
        return d, var, (V, w, cache)

    def backward(self, cache, g_d: np.ndarray, g_var: np.ndarray) -> np.ndarray:
        """Gradient with respect to w [m, n] of ``sum(g_d * d + g_var * var)``."""
        if self.kind == "exact":
            V, w = cache
            return g_d.T @ V - 2.0 * w * (g_var.T @ (V * V))
        V, w, groups = cache
        m = w.shape[0]
        dw = np.zeros_like(w)
        for s, ia, ib, Ff, P in groups:
            c1, c2 = self._coef[s]
            # d(sum_k G) from d and var, d(sum_k G^2) from var: one product for both
            G = np.concatenate([(4.0 * s) * g_d + 16.0 * g_var, -16.0 * g_var], axis=1)     # [B, 2m]
            U = (G.T @ Ff).reshape(2, m, 9, P)
            dW = U[0] * c1[None, :, None] + U[1] * c2[None, :, None]                        # [m, 9, P]
            wa, wb = w[:, ia], w[:, ib]
            pa = (np.ones_like(wa), wa, wa * wa)
            pb = (np.ones_like(wb), wb, wb * wb)
            dwa = np.zeros_like(wa)
            dwb = np.zeros_like(wb)
            for f, (i, j) in enumerate(_MONOMIALS):
                if i:
                    dwa += dW[:, f] * (i * pa[i - 1] * pb[j])
                if j:
                    dwb += dW[:, f] * (j * pa[i] * pb[j - 1])
            dw[:, ia] += dwa
            dw[:, ib] += dwb
        if self.lone is not None:
            vl, wl = V[:, self.lone], w[:, self.lone]
            xl = np.outer(vl, wl)
            dw[:, self.lone] += ((g_d - 2.0 * xl * g_var) * vl[:, None]).sum(axis=0)
        return dw
