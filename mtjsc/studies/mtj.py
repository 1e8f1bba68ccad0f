"""`mtjsc mtj ...`: the device model as a physicist looks at it (JSON plus a plot each)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mtjsc.behavioral_models import mtj_fit
from mtjsc.behavioral_models.mtj import Calibration, TelegraphMTJ
from mtjsc.output import write_text
from mtjsc.studies.plots import _plt, save


def _write(out: Path, name: str, data: dict) -> Path:
    return write_text(out / f"{name}.json", json.dumps(data, indent=1, default=float))


def curve(device: TelegraphMTJ, out: Path, levels: int = 30) -> dict:
    """P(parallel) vs bias with the quantized DAC levels and the XNOR-pair probabilities."""
    cal = Calibration(device, levels=levels)
    lo, hi = device.bias_for([0.005, 0.995])
    v = np.linspace(lo, hi, 400)
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.plot(v, device.p_parallel(v), label="P(V), model")
    ax.plot(cal.biases, cal.probabilities, "o", ms=4, label=f"{levels} DAC levels")
    ax.set_xlabel("bias V (V)")
    ax.set_ylabel("P(parallel) = P(bit = 1)")
    ax.set_title(f"bias-to-probability curve (Delta={device.delta:.2f}, V_c={device.v_c:.2f} V, "
                 f"V_0={device.v_0:.2f} V)", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend()
    save(fig, out / "curve.png")
    data = {"levels_bias_V": cal.biases.tolist(), "levels_p": cal.probabilities.tolist(),
            "bias_5_95_V": device.bias_for([0.05, 0.95]).tolist(), "xnor_probabilities": len(cal.xnor_probabilities())}
    _write(out, "curve", data)
    return data


def dwell(device: TelegraphMTJ, out: Path, p: float = 0.5, count: int = 20000, seed: int = 0) -> dict:
    """Dwell-time histograms at the bias giving ``p``, with the exponential law and its ML fit."""
    v = float(device.bias_for(p))
    d = device.dwell_times(v, 2 * count, np.random.default_rng(seed))
    tp, tap = (float(x) for x in device.dwell_means(v))
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
    res = {"bias_V": v, "p": p}
    for ax, x, mean, name in ((axes[0], d[0::2], tp, "P"), (axes[1], d[1::2], tap, "AP")):
        ax.hist(x * 1e3, bins=60, density=True, alpha=0.6, label=f"{name} dwells (n={len(x)})")
        grid = np.linspace(0, x.max(), 200)
        ax.plot(grid * 1e3, np.exp(-grid / x.mean()) / x.mean() / 1e3, label=f"ML fit: {x.mean() * 1e3:.3f} ms")
        ax.plot(grid * 1e3, np.exp(-grid / mean) / mean / 1e3, "--", label=f"model: {mean * 1e3:.3f} ms")
        ax.set_yscale("log")
        ax.set_xlabel(f"dwell time in {name} (ms)")
        ax.legend(fontsize=8)
        res[f"tau_{name}_model_s"], res[f"tau_{name}_ml_s"] = mean, float(x.mean())
    axes[0].set_ylabel("density (1/ms)")
    fig.suptitle(f"telegraph dwell times at V = {v:.3f} V (P = {p})", fontsize=10)
    save(fig, out / "dwell.png")
    _write(out, "dwell", res)
    return res


def trace(device: TelegraphMTJ, out: Path, biases, duration: float, dt: float, seed: int = 0,
          trace_file: Path | None = None) -> dict:
    """A resistance trace and the autocorrelation of sampled bits vs T / tau_c (measured and theory)."""
    rng = np.random.default_rng(seed)
    v0 = float(biases[len(biases) // 2])
    t, s, r = device.trace(v0, min(duration, 2000 * dt), dt, rng, noise=0.03)
    tc = float(device.correlation_time(v0))
    ratios = np.array([0.05, 0.1, 0.2, 0.5, 1, 2, 3, 5])
    measured = []
    for k in ratios:
        x = device.sample_bits(v0, k * tc, 200000, rng).astype(float)
        measured.append(float(np.corrcoef(x[1:], x[:-1])[0, 1]))
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    axes[0].plot(t * 1e3, r / 1e3, lw=0.6)
    axes[0].set_xlabel("time (ms)")
    axes[0].set_ylabel("R (kOhm)")
    axes[0].set_title(f"telegraph trace at V = {v0:.3f} V, 3 % read noise", fontsize=9)
    grid = np.linspace(0, ratios.max(), 200)
    axes[1].plot(grid, np.exp(-grid), label="exp(-T / tau_c)")
    axes[1].plot(ratios, measured, "o", label="sampled bits, lag 1")
    axes[1].set_xlabel("T / tau_c")
    axes[1].set_ylabel("autocorrelation")
    axes[1].legend()
    axes[1].grid(alpha=0.3)
    save(fig, out / "trace.png")
    res = {"bias_V": v0, "tau_c_s": tc, "T_over_tau_c": ratios.tolist(), "autocorrelation_measured": measured,
           "autocorrelation_theory": np.exp(-ratios).tolist()}
    if trace_file is not None:
        tr = mtj_fit.trace_from_model(device, biases, duration, dt, seed)
        mtj_fit.save_trace(tr, trace_file)
        res["trace_file"] = str(trace_file)
    _write(out, "trace", res)
    return res


def fit(path: Path, out: Path, tau0: float = 1e-9) -> dict:
    """Fit a trace file; plot per-bias ML dwell means with the fitted model."""
    tr = mtj_fit.load_trace(path)
    r = mtj_fit.fit(tr, tau0=tau0)
    d = tr.dwells()
    v = np.array(sorted(d))
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.plot(v, [d[x][0].mean() * 1e3 for x in v], "o", label="tau_P (ML per bias)")
    ax.plot(v, [d[x][1].mean() * 1e3 for x in v], "s", label="tau_AP (ML per bias)")
    grid = np.linspace(v.min(), v.max(), 100)
    tp, tap = r.device.dwell_means(grid)
    ax.plot(grid, tp * 1e3, label="fit")
    ax.plot(grid, tap * 1e3, label="fit")
    ax.set_yscale("log")
    ax.set_xlabel("bias V (V)")
    ax.set_ylabel("mean dwell time (ms)")
    ax.set_title(f"fit: Delta={r.device.delta:.3f}, V_c={r.device.v_c:.3f} V, V_0={r.device.v_0:.3f} V "
                 f"(tau_0={tau0:g} s given)", fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    save(fig, out / "fit.png")
    res = {"trace": str(path), "tau0_s": tau0, "delta": r.device.delta, "v_c_V": r.device.v_c,
           "v_0_V": r.device.v_0, "ln_tau0_plus_delta": r.log_tau0_plus_delta, "delta_over_vc": r.delta_over_vc,
           "dwell_counts": {str(k): v for k, v in r.dwell_counts.items()}, "log_likelihood": r.log_likelihood}
    _write(out, "fit", res)
    return res


def energy(device: TelegraphMTJ, out: Path, period: float) -> dict:
    """Read energy per bit vs bias at sampling period ``period`` (an 8-bit LFSR SNG is ~10 fJ/bit)."""
    v = np.linspace(*device.bias_for([0.03, 0.97]), 50)
    e = np.array([device.energy_per_bit(x, period) for x in v])
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    ax.plot(v, e * 1e15, label=f"sMTJ read, T = {period:g} s")
    ax.axhline(10, ls="--", color="gray", label="LFSR SNG, ~10 fJ/bit (Shao et al.)")
    ax.set_xlabel("bias V (V)")
    ax.set_ylabel("energy per bit (fJ)")
    ax.set_yscale("log")
    ax.legend()
    ax.grid(alpha=0.3, which="both")
    save(fig, out / "energy.png")
    res = {"period_s": period, "bias_V": v.tolist(), "energy_J": e.tolist(),
           "at_1V_J": device.energy_per_bit(1.0, period)}
    _write(out, "energy", res)
    return res
