"""Coupled superparamagnetic MTJs as an Ising machine: the circuit, its Markov process, exact results.

The circuit (Daniels et al., "Neural networks three ways", Sec. 3; after
Borders et al., Nature 573, 390, 2019): n sMTJs, each on a column fed by its
own current source i_j, the top nodes of columns j and k joined by a
conductance g_jk. Current conservation at node j::

    i_j = G_j V_j + sum_k g_jk (V_j - V_k)   =>   (diag(Gamma) - g) V = i,  Gamma_j = G_j + sum_k g_jk

with ``G_j = 1 / (R_0 + rho s_j)``, ``s_j = +-1``; the device current is
``I_j = G_j V_j``. Device j leaves its state at the rate
``phi_0 exp(-beta s_j (I_j - i_*))``, ``beta = Delta / (kT I_c)``.

Units: resistances in R_0 (so R_0 = 1), currents in I_c, rates in phi_0,
time in 1 / phi_0; ``delta`` is Delta / kT.

First order in g/G with every i_j = i_* (the hermiticity condition) the
flip rates are Glauber-like, ``phi_0' exp(-delta i_* rho sum_k g_jk s_j s_k)``,
and detailed balance holds with the Boltzmann weight ``exp(sum_{j<k} K_jk s_j s_k)``,
``K_jk = delta i_* rho g_jk`` (:func:`first_order_couplings`; the paper's
J = rho g with E_eff = -(i_*/2 I_c) sum J s s at temperature kT/Delta). This
module solves the circuit exactly for every state and keeps every order.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from mtjsc.errors import MtjscError
from mtjsc.validate import check_float, check_int, check_last_axis, check_same_shape, check_seed, check_square

#: Largest n for the exact generator (2^n states, dense solve).
EXACT_MAX = 12


@dataclass(frozen=True)
class CoupledMtjs:
    """n coupled sMTJs (module docstring). Every parameter is validated.

    Parameters
    ----------
    g : float [n, n]
        Coupling conductances in 1 / R_0: symmetric, >= 0, zero diagonal.
    currents : float [n]
        Column currents i_j in I_c.
    i_star : float
        The current at which an isolated device sits at P = 1/2 (sign: ferro > 0, antiferro < 0).
    rho : float
        Resistance change with state, in R_0 (R = 1 +- rho); 0 <= rho < 1.
    delta : float
        Energy barrier Delta / kT.
    """

    g: np.ndarray
    currents: np.ndarray
    i_star: float = 0.5
    rho: float = 0.3
    delta: float = 40.0

    def __post_init__(self):
        g = np.array(self.g, np.float64)
        if g.ndim != 2 or g.shape[0] != g.shape[1] or g.shape[0] < 1:
            raise MtjscError(f"g must be a square conductance matrix, got shape {g.shape}")
        if not np.all(np.isfinite(g)):
            raise MtjscError("g has non-finite entries; conductances must be finite")
        if (g < 0).any():
            j, k = (int(v) for v in np.argwhere(g < 0)[0])
            raise MtjscError(f"g[{j}, {k}] = {g[j, k]:g} is negative: a resistor has conductance >= 0")
        if not np.allclose(g, g.T, rtol=0, atol=1e-12):
            j, k = (int(v) for v in np.argwhere(np.abs(g - g.T) > 1e-12)[0])
            raise MtjscError(f"g is not symmetric: g[{j}, {k}] = {g[j, k]:g} but g[{k}, {j}] = {g[k, j]:g}; "
                             f"a resistor joins two nodes both ways")
        if np.any(np.diag(g) != 0):
            raise MtjscError("g must have a zero diagonal (a node is not coupled to itself)")
        i = np.array(self.currents, np.float64).reshape(-1)
        if i.shape != (g.shape[0],) or not np.all(np.isfinite(i)):
            raise MtjscError(f"currents must be {g.shape[0]} finite values (one per column), got {i.shape}")
        rho = check_float(self.rho, "rho", minimum=0.0)
        if rho >= 1.0:
            raise MtjscError(f"rho = {rho:g} must be < 1 (R = R_0 +- rho R_0 must stay positive)")
        object.__setattr__(self, "g", g)
        object.__setattr__(self, "currents", i)
        object.__setattr__(self, "rho", rho)
        object.__setattr__(self, "i_star", check_float(self.i_star, "i_star"))
        object.__setattr__(self, "delta", check_float(self.delta, "delta (Delta / kT)", positive=True))

    @property
    def n(self) -> int:
        return self.g.shape[0]

    # -------------------------------------------------------------- the circuit
    def system(self, spins: np.ndarray) -> np.ndarray:
        """The nodal matrix ``diag(Gamma) - g`` for spins [..., n] (+-1)."""
        G = 1.0 / (1.0 + self.rho * check_last_axis(spins, self.n, "spins", "[..., n] (+-1)"))
        A = -np.broadcast_to(self.g, G.shape[:-1] + self.g.shape).copy()
        idx = np.arange(self.n)
        A[..., idx, idx] = G + self.g.sum(axis=1)
        return A

    def device_currents(self, spins: np.ndarray) -> np.ndarray:
        """I_j = G_j V_j for spins [..., n] (exact solve of the resistor network)."""
        s = check_last_axis(spins, self.n, "spins", "[..., n] (+-1)")
        A = self.system(s)
        V = np.linalg.solve(A, np.broadcast_to(self.currents, s.shape)[..., None])[..., 0]
        return V / (1.0 + self.rho * s)

    def rates(self, spins: np.ndarray) -> np.ndarray:
        """Flip rate of every device (in phi_0) for spins [..., n]."""
        s = np.asarray(spins, np.float64)
        return np.exp(-self.delta * s * (self.device_currents(s) - self.i_star))

    # -------------------------------------------------------------- exact stationary distribution
    def generator(self) -> np.ndarray:
        """The 2^n x 2^n generator Q (rows: from-state; state a has s_j = +1 where bit j of a is 1)."""
        n = self.n
        if n > EXACT_MAX:
            raise MtjscError(f"n = {n} devices: the exact generator has 2^n states; use n <= {EXACT_MAX} "
                             f"or the event-driven simulation")
        S = all_states(n)
        R = self.rates(S)
        N = 1 << n
        Q = np.zeros((N, N))
        a = np.arange(N)
        for j in range(n):
            Q[a, a ^ (1 << j)] = R[:, j]
        Q[a, a] = -R.sum(axis=1)
        return Q

    def stationary(self) -> np.ndarray:
        """The exact stationary distribution pi (pi Q = 0, sum pi = 1)."""
        Q = self.generator()
        N = len(Q)
        M = Q.T.copy()
        M[-1, :] = 1.0
        b = np.zeros(N)
        b[-1] = 1.0
        pi = np.linalg.solve(M, b)
        return np.clip(pi, 0.0, None) / np.clip(pi, 0.0, None).sum()

    # -------------------------------------------------------------- event-driven simulation
    def simulate(self, events: int, *, seed: int = 0, start=None, record_states: bool = False,
                 correlation_range: int = 0, margin: int = 0, sample_dt: float | None = None) -> dict:
        """Exact event-driven (Gillespie) simulation of the n-device Markov process.

        Parameters
        ----------
        events : int
            Flips to simulate.
        seed : int
        start : int [n] of +-1, optional
            Initial spins (default: random, from the seed).
        record_states : bool
            Return the time each state index was occupied (n <= 20).
        correlation_range : int
            Also return the time average of s_i s_{i+r}, averaged over i, for r = 0..range.
        margin : int
            Leave the first and last ``margin`` devices out of that average (bulk correlations).
        sample_dt : float, optional
            Also return the state at times dt, 2 dt, ... (snapshots for chi-square tests).

        The nodal matrix changes in one diagonal entry per flip, so its
        inverse is updated by Sherman-Morrison (O(n^2) per event) and
        refreshed by a full inverse every 256 events.
        """
        events = check_int(events, "events", minimum=1)
        rng = np.random.default_rng(check_seed(seed))
        n = self.n
        s = rng.choice([-1.0, 1.0], n) if start is None else np.array(start, np.float64)
        if s.shape != (n,) or not np.all(np.abs(s) == 1):
            raise MtjscError(f"start must be {n} spins of +-1")
        Ainv = np.linalg.inv(self.system(s))
        t_total = 0.0
        occupancy = np.zeros(1 << n) if record_states else None
        if record_states and n > 20:
            raise MtjscError("record_states needs n <= 20")
        weights = 1 << np.arange(n)
        R = int(correlation_range)
        if R and n - 2 * margin - R < 1:
            raise MtjscError(f"correlation_range {R} with margin {margin} leaves no pair in a chain of {n}")
        corr = np.zeros(R + 1)
        mag = np.zeros(n)
        samples, next_sample = [], sample_dt
        for e in range(events):
            G = 1.0 / (1.0 + self.rho * s)
            I = G * (Ainv @ self.currents)
            rates = np.exp(-self.delta * s * (I - self.i_star))
            total = rates.sum()
            dt = rng.exponential(1.0 / total)
            if sample_dt is not None:
                while next_sample <= t_total + dt:
                    samples.append(s.copy())
                    next_sample += sample_dt
            t_total += dt
            if record_states:
                occupancy[int(weights @ (s > 0))] += dt
            if R:
                for r in range(R + 1):
                    corr[r] += dt * np.mean(s[margin:n - margin - r] * s[margin + r:n - margin])
            mag += dt * s
            j = int(np.searchsorted(np.cumsum(rates), rng.random() * total, side="right"))
            j = min(j, n - 1)
            # flipping j changes G_j: A_jj += dG; Sherman-Morrison on the inverse
            dG = 1.0 / (1.0 - self.rho * s[j]) - G[j]
            col = Ainv[:, j].copy()
            row = Ainv[j, :].copy()
            Ainv -= np.outer(col, row) * (dG / (1.0 + dG * Ainv[j, j]))
            s[j] = -s[j]
            if e % 256 == 255:
                Ainv = np.linalg.inv(self.system(s))
        out = {"time": t_total, "events": events, "magnetization": mag / t_total, "final": s.copy()}
        if record_states:
            out["occupancy"] = occupancy / t_total
        if R:
            out["correlation"] = corr / t_total
        if sample_dt is not None:
            out["samples"] = np.array(samples)
        return out


def _distribution(pi, n: int) -> np.ndarray:
    """``pi`` as a distribution over the 2^n states of n devices, or an error naming the shape."""
    pi = np.asarray(pi, np.float64)
    if pi.shape != (1 << n,):
        raise MtjscError(f"pi must be a distribution over the 2^{n} = {1 << n} states of {n} devices, "
                         f"got shape {pi.shape}")
    return pi


def all_states(n: int) -> np.ndarray:
    """Spins of every state index 0..2^n - 1: [2^n, n], s_j = +1 where bit j is 1."""
    n = check_int(n, "n (devices)", minimum=1, maximum=24, fix="2^n states must fit in memory")
    a = np.arange(1 << n)[:, None]
    return np.where((a >> np.arange(n)) & 1, 1.0, -1.0)


def chain(n: int, g: float, *, ring: bool = False) -> np.ndarray:
    """Conductance matrix of an open chain (or a ring) of n devices with coupling g."""
    n = check_int(n, "n", minimum=2)
    c = np.zeros((n, n))
    for j in range(n - 1):
        c[j, j + 1] = c[j + 1, j] = g
    if ring and n > 2:
        c[0, -1] = c[-1, 0] = g
    return c


def exact_correlation(m: CoupledMtjs, r_max: int, margin: int = 0, pi=None) -> np.ndarray:
    """<s_i s_{i+r}> of the exact stationary distribution, averaged over i in the bulk, r = 0..r_max."""
    n = m.n
    pi = m.stationary() if pi is None else _distribution(pi, n)
    S = all_states(n)
    out = []
    for r in range(r_max + 1):
        prod = S[:, margin:n - margin - r] * S[:, margin + r:n - margin]
        out.append(float(pi @ prod.mean(axis=1)))
    return np.array(out)


def first_order_couplings(m: CoupledMtjs) -> np.ndarray:
    """K_jk = delta i_* rho g_jk: the Boltzmann couplings of the first-order (hermitian) model."""
    return m.delta * m.i_star * m.rho * m.g


def boltzmann(K: np.ndarray, h=None) -> np.ndarray:
    """p(s) proportional to exp(sum_{j<k} K_jk s_j s_k + sum_j h_j s_j) over all states (K [n, n], h [n])."""
    K = check_square(K, "couplings K")
    n = len(K)
    if h is not None and np.shape(h) != (n,):
        raise MtjscError(f"fields h must have shape ({n},) for {n} spins, got {np.shape(h)}")
    S = all_states(n)
    logw = 0.5 * np.einsum("aj,jk,ak->a", S, K, S)
    if h is not None:
        logw = logw + S @ np.asarray(h, np.float64)
    logw -= logw.max()
    w = np.exp(logw)
    return w / w.sum()


def fit_ising(pi: np.ndarray, n: int) -> dict:
    """The nearest Ising model to ``pi`` in log space: least squares of log pi on 1, s_j, s_j s_k.

    Returns fields h [n], couplings K [n, n] (symmetric), the fitted
    distribution, and its distances to pi (total variation, KL(pi || fit)).
    """
    pi = _distribution(pi, check_int(n, "n (devices)", minimum=1, maximum=EXACT_MAX))
    if (pi <= 0).any():
        raise MtjscError(f"pi[{int(np.argmax(pi <= 0))}] = 0: the Ising fit is least squares on log pi, so "
                         f"every state needs a probability > 0 (add a pseudo-count to sampled histograms)")
    S = all_states(n)
    pairs = list(itertools.combinations(range(n), 2))
    X = np.concatenate([np.ones((len(S), 1)), S, np.stack([S[:, a] * S[:, b] for a, b in pairs], 1)], 1)
    coef, *_ = np.linalg.lstsq(X, np.log(pi), rcond=None)
    h = coef[1:n + 1]
    K = np.zeros((n, n))
    for (a, b), c in zip(pairs, coef[n + 1:]):
        K[a, b] = K[b, a] = c
    fit = boltzmann(K, h)
    return {"h": h, "K": K, "p": fit, "tv": total_variation(pi, fit), "kl": kl(pi, fit)}


def total_variation(p, q) -> float:
    """Total variation distance of two distributions over the same states."""
    p, q = check_same_shape(p, q, "the distributions p and q")
    return 0.5 * float(np.abs(p - q).sum())


def kl(p, q) -> float:
    """KL(p || q) of two distributions over the same states."""
    p, q = check_same_shape(p, q, "the distributions p and q")
    m = p > 0
    return float(np.sum(p[m] * np.log(p[m] / q[m])))


def probability_currents(m: CoupledMtjs, pi: np.ndarray | None = None) -> dict:
    """Net probability flux between neighbouring states, J(a -> a^j) = pi_a Q_a,a^j - pi_a^j Q_a^j,a.

    Detailed balance means every J is 0. Returns the largest |J| relative to
    the total flux ``sum pi_a Q_a,a^j`` (``relative``), and the circulation
    around the elementary cycles (flip j, flip k, flip j, flip k) of the state
    space, the Kolmogorov criterion's products' log-ratio (``max_cycle_log_ratio``,
    0 under detailed balance).
    """
    n = m.n
    Q = m.generator()
    pi = m.stationary() if pi is None else _distribution(pi, n)
    a = np.arange(1 << n)
    J, flux = [], 0.0
    for j in range(n):
        b = a ^ (1 << j)
        fwd = pi[a] * Q[a, b]
        J.append(fwd - pi[b] * Q[b, a])
        flux += fwd.sum()
    J = np.abs(np.stack(J))
    worst = 0.0
    for j, k in itertools.combinations(range(n), 2):
        b, c, d = a ^ (1 << j), a ^ (1 << j) ^ (1 << k), a ^ (1 << k)
        fwd = np.log(Q[a, b]) + np.log(Q[b, c]) + np.log(Q[c, d]) + np.log(Q[d, a])
        bwd = np.log(Q[a, d]) + np.log(Q[d, c]) + np.log(Q[c, b]) + np.log(Q[b, a])
        worst = max(worst, float(np.max(np.abs(fwd - bwd))))
    return {"max_abs": float(J.max()), "relative": float(J.max() / flux), "max_cycle_log_ratio": worst}


def chi2_quantile(df: int, p: float = 0.999) -> float:
    """The chi-square quantile by the Wilson-Hilferty approximation (no SciPy here)."""
    # standard normal quantile by Acklam's rational approximation is overkill: a few fixed values
    quantiles = {0.99: 2.3263479, 0.999: 3.0902323, 0.9999: 3.7190165}
    if p not in quantiles:
        raise MtjscError(f"chi-square level p={p!r}: choose one of {', '.join(map(str, quantiles))}")
    df = check_int(df, "degrees of freedom df", minimum=1)
    z = quantiles[p]
    return df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3


def chi_square(counts: np.ndarray, p: np.ndarray, min_expected: float = 5.0) -> dict:
    """Pearson chi-square of observed ``counts`` against probabilities ``p``; cells with fewer than
    ``min_expected`` expected counts are pooled into one."""
    counts, p = check_same_shape(np.asarray(counts, np.float64), np.asarray(p, np.float64), "counts and p")
    N = counts.sum()
    e = N * p
    big = e >= min_expected
    obs = np.r_[counts[big], counts[~big].sum()]
    exp = np.r_[e[big], e[~big].sum()]
    keep = exp > 0
    stat = float(((obs[keep] - exp[keep]) ** 2 / exp[keep]).sum())
    df = int(keep.sum()) - 1
    return {"statistic": stat, "df": df, "critical_999": chi2_quantile(df), "samples": int(N)}
