"""Telegraph traces on disk and maximum-likelihood fitting of the sMTJ model.

Trace file format
-----------------
One file holds sampled traces at one or more biases, one row per sample:

- CSV: header ``bias_V,time_s,state`` (state 1 = P, 0 = AP) or
  ``bias_V,time_s,resistance_ohm`` (the state is then the side of the
  midpoint between the two resistance clusters);
- NPZ: arrays ``bias_V``, ``time_s`` and ``state`` or ``resistance_ohm``.

Within one bias, times must increase with a constant step dt. Dwell times
are run lengths times dt; the first and last run of each bias are censored
and dropped.

Fitting
-------
With ``ln tau_P = c + b V + e`` and ``ln tau_AP = c - b V - e`` (the model of
:class:`TelegraphMTJ`: c = ln tau_0 + Delta, b = Delta / V_c, e = -b V_0) the
exponential dwell times have a log-linear mean, and :func:`fit` maximises
their joint likelihood by Newton's method. At one temperature only
ln tau_0 + Delta is identifiable, not tau_0 and Delta apart, so tau_0 is
given (default 1 ns, as in the model; Daniels et al. fit it from
temperature series) and Delta = c - ln tau_0.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mtjsc.behavioral_models.mtj import TelegraphMTJ
from mtjsc.errors import MtjscError
from mtjsc.output import atomic_path

MIN_DWELLS = 20   # per state and bias


@dataclass(frozen=True)
class Trace:
    """Sampled telegraph traces: one entry per sample."""

    bias: np.ndarray
    time: np.ndarray
    state: np.ndarray

    def __post_init__(self):
        arrays = [np.asarray(getattr(self, k)) for k in ("bias", "time", "state")]
        if any(a.ndim != 1 for a in arrays) or len({len(a) for a in arrays}) != 1:
            raise MtjscError("a trace is three 1-D columns of one length (bias, time, state: one entry per "
                             f"sample), got shapes {', '.join(str(a.shape) for a in arrays)}")
        for k, a in zip(("bias", "time", "state"), arrays):
            object.__setattr__(self, k, a)

    def dwells(self) -> dict:
        """Uncensored dwell times per bias: {bias: (P dwells, AP dwells)} in seconds."""
        out = {}
        for v in np.unique(self.bias):
            sel = self.bias == v
            t, s = self.time[sel], self.state[sel].astype(bool)
            order = np.argsort(t, kind="stable")
            t, s = t[order], s[order]
            dt = np.diff(t)
            if len(t) < 3 or np.any(dt <= 0):
                raise MtjscError(f"trace at bias {v} V: times must increase (duplicate or unsorted samples)")
            if not np.allclose(dt, dt[0], rtol=1e-6, atol=0):
                raise MtjscError(f"trace at bias {v} V: samples must be evenly spaced in time (dt varies "
                                 f"from {dt.min():.3g} to {dt.max():.3g} s)")
            edges = np.flatnonzero(s[1:] != s[:-1]) + 1
            runs = np.diff(np.r_[0, edges, len(s)])
            vals = s[np.r_[0, edges]]
            runs, vals = runs[1:-1], vals[1:-1]         # first and last runs are censored
            out[float(v)] = (runs[vals] * dt[0], runs[~vals] * dt[0])
        return out


def trace_from_model(device: TelegraphMTJ, biases, duration: float, dt: float, seed: int = 0) -> Trace:
    """A synthetic trace made by the model (one stretch per bias; ``biases`` a 1-D sequence in V)."""
    b = np.asarray(biases, float)
    if b.ndim != 1 or len(b) == 0:
        raise MtjscError(f"trace_from_model takes biases as a 1-D sequence of volts (one stretch each), got "
                         f"shape {b.shape}; give a list such as [0.1] for one bias")
    rng = np.random.default_rng(seed)
    parts = [device.trace(v, duration, dt, rng) for v in biases]
    return Trace(bias=np.concatenate([np.full(len(p[0]), float(v)) for v, p in zip(biases, parts)]),
                 time=np.concatenate([p[0] for p in parts]),
                 state=np.concatenate([p[1] for p in parts]).astype(np.uint8))


def save_trace(trace: Trace, path) -> Path:
    path = Path(path)
    if path.suffix not in (".npz", ".csv"):
        raise MtjscError(f"trace file {path}: use a .csv or .npz name")
    with atomic_path(path) as tmp:
        if path.suffix == ".npz":
            with open(tmp, "wb") as f:
                np.savez_compressed(f, bias_V=trace.bias, time_s=trace.time, state=trace.state.astype(np.uint8))
        else:
            with open(tmp, "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(["bias_V", "time_s", "state"])
                w.writerows(zip(trace.bias.tolist(), trace.time.tolist(), trace.state.astype(int).tolist()))
    return path


def _states_from_resistance(r: np.ndarray, path) -> np.ndarray:
    lo, hi = np.percentile(r, [5, 95])
    if not hi > lo * 1.05:
        raise MtjscError(f"trace file {path}: resistance does not switch between two levels "
                         f"({lo:.4g}..{hi:.4g} Ohm); is it a telegraph trace?")
    return (r < (lo + hi) / 2).astype(np.uint8)     # low resistance = P = 1


def load_trace(path) -> Trace:
    """Read and validate a trace file (see the module docstring for the format)."""
    path = Path(path)
    if not path.is_file():
        raise MtjscError(f"trace file {path} does not exist")
    if path.suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as z:
                cols = {k: z[k] for k in z.files}
        except Exception as e:   # zip or npy damage, pickled arrays
            raise MtjscError(f"trace file {path} is not a readable .npz ({type(e).__name__}: {e}); "
                             f"re-record it or write it with `mtjsc mtj trace --trace-file`") from None
    elif path.suffix == ".csv":
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
        if not rows:
            raise MtjscError(f"trace file {path} is empty")
        header = [h.strip() for h in rows[0]]
        body = [r for r in rows[1:] if r]
        for i, r in enumerate(body):
            if len(r) != len(header):
                raise MtjscError(f"trace file {path}, row {i + 2}: every row needs {len(header)} values like "
                                 f"the header {header}")
        try:
            data = np.array(body, dtype=np.float64)
        except ValueError as e:
            raise MtjscError(f"trace file {path}: non-numeric value ({e}); rows are numbers after the header") from None
        if data.ndim != 2 or data.shape[1] != len(header):
            raise MtjscError(f"trace file {path}: every row needs {len(header)} values like the header {header}")
        cols = {h: data[:, i] for i, h in enumerate(header)}
    else:
        raise MtjscError(f"trace file {path}: unknown format; use .csv or .npz")
    need = {"bias_V", "time_s"}
    kinds = {"state", "resistance_ohm"} & set(cols)
    if not need <= set(cols) or len(kinds) != 1:
        raise MtjscError(f"trace file {path} has columns {sorted(cols)}; it needs bias_V, time_s and exactly one "
                         f"of state or resistance_ohm")
    n = len(cols["bias_V"])
    if any(len(c) != n for c in cols.values()) or n == 0:
        raise MtjscError(f"trace file {path}: columns differ in length or are empty")
    for k, c in cols.items():
        if not np.all(np.isfinite(np.asarray(c, np.float64))):
            raise MtjscError(f"trace file {path}: column {k} has NaN or infinite values")
    if np.any(np.asarray(cols["time_s"]) < 0):
        raise MtjscError(f"trace file {path}: negative times")
    if "state" in cols:
        state = np.asarray(cols["state"])
        if not np.isin(state, (0, 1)).all():
            raise MtjscError(f"trace file {path}: state must be 0 (AP) or 1 (P)")
        state = state.astype(np.uint8)
    else:
        r = np.asarray(cols["resistance_ohm"], np.float64)
        if np.any(r <= 0):
            raise MtjscError(f"trace file {path}: resistances must be positive")
        state = _states_from_resistance(r, path)
    return Trace(bias=np.asarray(cols["bias_V"], np.float64), time=np.asarray(cols["time_s"], np.float64),
                 state=state)


@dataclass(frozen=True)
class FitResult:
    device: TelegraphMTJ
    log_tau0_plus_delta: float
    delta_over_vc: float
    dwell_counts: dict
    log_likelihood: float


def fit(trace: Trace, *, tau0: float = 1e-9, nominal: TelegraphMTJ | None = None) -> FitResult:
    """Maximum-likelihood fit of (Delta, V_c, V_0) from the dwell times of ``trace`` (tau_0 given)."""
    if not tau0 > 0:
        raise MtjscError(f"tau0={tau0} must be positive")
    d = trace.dwells()
    if len(d) < 2:
        raise MtjscError(f"fitting needs traces at two or more biases, got {len(d)}")
    X, t = [], []
    counts = {}
    for v, (tp, tap) in d.items():
        if len(tp) < MIN_DWELLS or len(tap) < MIN_DWELLS:
            raise MtjscError(f"too few dwell events at bias {v} V: {len(tp)} in P and {len(tap)} in AP "
                             f"(need >= {MIN_DWELLS} each); record a longer trace at this bias")
        counts[v] = (len(tp), len(tap))
        X += [[1.0, v, 1.0]] * len(tp) + [[1.0, -v, -1.0]] * len(tap)
        t += [tp, tap]
    X = np.array(X)
    t = np.concatenate(t)
    # start: least squares on the log of per-bias mean dwells
    eta_obs = np.log(np.concatenate([[tp.mean()] * len(tp) + [tap.mean()] * len(tap) for tp, tap in d.values()]))
    theta = np.linalg.lstsq(X, eta_obs, rcond=None)[0]
    for _ in range(100):   # Newton on the exponential log-likelihood sum(-eta - t exp(-eta))
        eta = X @ theta
        w = t * np.exp(-eta)
        grad = X.T @ (w - 1.0)
        hess = (X * w[:, None]).T @ X
        step = np.linalg.solve(hess, grad)
        theta = theta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    c, b, e = theta
    if not b > 0:
        raise MtjscError(f"fitted bias sensitivity Delta/V_c = {b:.3g} is not positive: the P dwell times do "
                         f"not grow with bias; check the sign of the bias column")
    delta = c - math.log(tau0)
    if not delta > 0:
        raise MtjscError(f"fitted ln(tau0) + Delta = {c:.3g} gives Delta <= 0 for tau0 = {tau0}; pass a smaller tau0")
    eta = X @ theta
    base = nominal or TelegraphMTJ()
    device = TelegraphMTJ(tau0=tau0, delta=delta, v_c=delta / b, v_0=-e / b, diameter=base.diameter, ra=base.ra,
                          tmr=base.tmr)
    return FitResult(device=device, log_tau0_plus_delta=float(c), delta_over_vc=float(b), dwell_counts=counts,
                     log_likelihood=float(np.sum(-eta - t * np.exp(-eta))))
