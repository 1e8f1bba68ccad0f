"""`mtjsc ising`: the coupled-sMTJ circuit checked against exact statistical mechanics.

Four measurements on :class:`mtjsc.behavioral_models.ising.CoupledMtjs`:

1. ``coupling``: a 6-device chain under the hermiticity condition (every
   i_j = i_*) for growing g/G; the exact stationary distribution against the
   first-order Boltzmann model K = delta i_* rho g: the fitted nearest- and
   next-nearest-neighbour couplings and the distance, with log-log slopes.
2. ``chain``: spin-spin correlation against distance along a long open
   chain, event-driven simulation against the 1D transfer-matrix result
   tanh(K)^r (K from the exact small chain's bulk coupling and from first order).
3. ``broken``: unequal column currents, and i_0 != i_*, against the
   hermitian case: Kolmogorov cycle ratios, probability currents and the
   distance from the nearest Boltzmann distribution, against g/G.
4. ``chi_square``: snapshots of the event-driven simulation of a ring
   against its exact stationary distribution.
"""

from __future__ import annotations

import numpy as np

from mtjsc.behavioral_models import ising
from mtjsc.validate import check_int, check_seed

G_OVER_G = (0.005, 0.01, 0.02, 0.04, 0.08, 0.16)


def slope(x, y) -> float:
    """Least-squares slope of log y against log x."""
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def coupling_sweep(xs=G_OVER_G, n: int = 6, **device) -> dict:
    rows = []
    for x in xs:
        m = ising.CoupledMtjs(g=ising.chain(n, x), currents=np.full(n, device.get("i_star", 0.5)), **device)
        pi = m.stationary()
        K = ising.first_order_couplings(m)
        fit = ising.fit_ising(pi, n)
        b = n // 2 - 1                      # a bulk pair (b, b + 1) and next neighbour (b, b + 2)
        rows.append({"g_over_G": x, "K_first_order": float(K[b, b + 1]), "K_fit_nn": float(fit["K"][b, b + 1]),
                     "K_fit_nnn": float(fit["K"][b, b + 2]), "max_abs_field": float(np.abs(fit["h"]).max()),
                     "tv_to_first_order": ising.total_variation(pi, ising.boltzmann(K)),
                     "kl_to_first_order": ising.kl(pi, ising.boltzmann(K)), "kl_to_nearest_ising": fit["kl"]})
    xs = np.array([r["g_over_G"] for r in rows])
    err = np.array([abs(r["K_fit_nn"] - r["K_first_order"]) for r in rows])
    tv = np.array([r["tv_to_first_order"] for r in rows])
    nnn = np.array([abs(r["K_fit_nnn"]) for r in rows])
    small = xs <= 0.02 + 1e-12          # where higher orders are negligible
    return {"n": n, "device": _device(m), "rows": rows,
            "slope_coupling_error": slope(xs, err), "slope_tv": slope(xs, tv), "slope_next_neighbour": slope(xs, nnn),
            "small_g_over_G": float(xs[small].max()) if small.sum() >= 2 else None,
            "slope_small_coupling_error": slope(xs[small], err[small]) if small.sum() >= 2 else None,
            "slope_small_tv": slope(xs[small], tv[small]) if small.sum() >= 2 else None,
            "slope_small_next_neighbour": slope(xs[small], nnn[small]) if small.sum() >= 2 else None}


def chain_correlation(n: int = 48, x: float = 0.1, events: int = 200_000, r_max: int = 6, seed: int = 0,
                      margin: int = 6, **device) -> dict:
    """Bulk <s_i s_{i+r}> of a long open chain (event-driven), of the exact 12-device chain of the same
    circuit (its bulk), and the nearest-neighbour transfer-matrix result tanh(K)^r."""
    n = check_int(n, "chain length", minimum=2 * margin + r_max + 1)
    i_star = device.get("i_star", 0.5)
    m = ising.CoupledMtjs(g=ising.chain(n, x), currents=np.full(n, i_star), **device)
    sim = m.simulate(events, seed=check_seed(seed), correlation_range=r_max, margin=margin)
    small = ising.CoupledMtjs(g=ising.chain(12, x), currents=np.full(12, i_star), **device)
    pi = small.stationary()
    fit = ising.fit_ising(pi, 12)
    K_fit = float(fit["K"][5, 6])
    K1 = float(ising.first_order_couplings(m)[0, 1])
    r = np.arange(r_max + 1)
    return {"n": n, "g_over_G": x, "events": events, "seed": seed, "margin": margin, "simulated_time": sim["time"],
            "r": r.tolist(), "correlation": sim["correlation"].tolist(),
            "exact_12_bulk": ising.exact_correlation(small, min(r_max, 12 - 2 * 3 - 1), margin=3).tolist(),
            "K_exact_bulk": K_fit, "K_exact_next_nearest": float(fit["K"][5, 7]), "K_first_order": K1,
            "tanh_K_exact_r": (np.tanh(K_fit) ** r).tolist(), "tanh_K_first_order_r": (np.tanh(K1) ** r).tolist()}


def broken_sweep(xs=G_OVER_G, n: int = 6, imbalance: float = 0.05, offset: float = 0.1, **device) -> dict:
    i_star = device.get("i_star", 0.5)
    cases = {"hermitian": np.full(n, i_star),
             "unequal currents": i_star + imbalance * np.resize([0.0, 1.0, 0.0, -1.0], n),
             "i0 != i*": np.full(n, i_star + offset)}
    out = {"n": n, "imbalance": imbalance, "offset": offset, "cases": {}}
    for name, cur in cases.items():
        rows = []
        for x in xs:
            m = ising.CoupledMtjs(g=ising.chain(n, x), currents=cur, **device)
            pi = m.stationary()
            pc = ising.probability_currents(m, pi)
            rows.append({"g_over_G": x, **pc, "kl_to_nearest_ising": ising.fit_ising(pi, n)["kl"]})
        xs_ = np.array([r["g_over_G"] for r in rows])
        out["cases"][name] = {"currents": cur.tolist(), "rows": rows,
                              "slope_cycle_ratio": slope(xs_, [r["max_cycle_log_ratio"] for r in rows])}
    return out


def chi_square_check(n: int = 5, x: float = 0.1, events: int = 100_000, sample_dt: float = 2.0, seed: int = 0,
                     currents=None, **device) -> dict:
    cur = np.full(n, device.get("i_star", 0.5)) if currents is None else np.asarray(currents, np.float64)
    m = ising.CoupledMtjs(g=ising.chain(n, x, ring=True), currents=cur, **device)
    sim = m.simulate(events, seed=check_seed(seed), sample_dt=sample_dt)
    idx = (sim["samples"] > 0) @ (1 << np.arange(n))
    res = ising.chi_square(np.bincount(idx, minlength=1 << n), m.stationary())
    return {"n": n, "g_over_G": x, "events": events, "sample_dt": sample_dt, "seed": seed, **res,
            "passes_999": res["statistic"] < res["critical_999"]}


def report(*, events: int = 200_000, seed: int = 0, progress=None) -> dict:
    """All four measurements with the default device (delta 40, i_* 0.5 I_c, rho 0.3 R_0)."""
    out = {}
    steps = (("coupling", lambda: coupling_sweep()),
             ("chain", lambda: [chain_correlation(x=x, events=events, seed=seed) for x in (0.03, 0.1)]),
             ("broken", lambda: broken_sweep()),
             ("chi_square", lambda: [chi_square_check(seed=seed),
                                     chi_square_check(seed=seed + 1, currents=[0.5, 0.55, 0.5, 0.45, 0.5])]))
    for name, fn in steps:
        out[name] = fn()
        if progress is not None:
            progress(1)
    return out


def markdown(res: dict) -> str:
    c = res["coupling"]
    lines = ["# Coupled sMTJs against exact statistical mechanics", "",
             f"Device: Delta/kT = {c['device']['delta']:g}, i_* = {c['device']['i_star']:g} I_c, "
             f"rho = {c['device']['rho']:g} R_0; first-order coupling K = delta i_* rho g.", "",
             f"## Hermitian chain of {c['n']}: exact stationary distribution against first-order Boltzmann", "",
             "| g/G | K first order | K fitted (nn) | K fitted (next nn) | TV to first order | KL to nearest Ising |",
             "|---|---|---|---|---|---|"]
    for r in c["rows"]:
        lines.append(f"| {r['g_over_G']:g} | {r['K_first_order']:.4f} | {r['K_fit_nn']:.4f} | {r['K_fit_nnn']:.5f} | "
                     f"{r['tv_to_first_order']:.2e} | {r['kl_to_nearest_ising']:.2e} |")
    lines += ["", f"Log-log slopes against g/G: coupling error {c['slope_coupling_error']:.2f}, "
                  f"TV {c['slope_tv']:.2f}, next-neighbour coupling {c['slope_next_neighbour']:.2f} "
                  f"(second order: 2)."]
    if c.get("slope_small_tv") is not None:
        lines.append(f"Over g/G <= {c['small_g_over_G']:g} only: {c['slope_small_coupling_error']:.2f}, "
                     f"{c['slope_small_tv']:.2f}, {c['slope_small_next_neighbour']:.2f}.")
    lines.append("")
    for ch in res["chain"]:
        ex = ch["exact_12_bulk"] + [float("nan")] * (len(ch["r"]) - len(ch["exact_12_bulk"]))
        lines += [f"## Bulk correlation along an open chain of {ch['n']} (g/G = {ch['g_over_G']:g}, "
                  f"{ch['events']:,} events)", "",
                  "| r | simulated | exact (12-device chain, bulk) | tanh(K exact bulk)^r | tanh(K first order)^r |",
                  "|---|---|---|---|---|"]
        for r, a, e, b, d in zip(ch["r"], ch["correlation"], ex, ch["tanh_K_exact_r"], ch["tanh_K_first_order_r"]):
            lines.append(f"| {r} | {a:.4f} | {e:.4f} | {b:.4f} | {d:.4f} |")
        lines += ["", f"K exact bulk {ch['K_exact_bulk']:.4f} (next nearest {ch['K_exact_next_nearest']:.4f}), "
                      f"first order {ch['K_first_order']:.4f}.", ""]
    lines += ["## Detailed balance: Kolmogorov cycle log-ratio (0 if reversible)", "",
              "| case | " + " | ".join(f"g/G={r['g_over_G']:g}" for r in res["broken"]["cases"]["hermitian"]["rows"])
              + " | slope |", "|---|" + "---|" * (len(res["broken"]["cases"]["hermitian"]["rows"]) + 1)]
    for name, case in res["broken"]["cases"].items():
        lines.append(f"| {name} | " + " | ".join(f"{r['max_cycle_log_ratio']:.2e}" for r in case["rows"])
                     + f" | {case['slope_cycle_ratio']:.2f} |")
    lines += ["", "KL divergence of the stationary distribution from the nearest Boltzmann (pairwise Ising) "
                  "distribution:", "",
              "| case | " + " | ".join(f"g/G={r['g_over_G']:g}" for r in res["broken"]["cases"]["hermitian"]["rows"])
              + " |", "|---|" + "---|" * len(res["broken"]["cases"]["hermitian"]["rows"])]
    for name, case in res["broken"]["cases"].items():
        lines.append(f"| {name} | " + " | ".join(f"{r['kl_to_nearest_ising']:.1e}" for r in case["rows"]) + " |")
    lines += ["", "## Chi-square: simulation snapshots against the exact distribution (ring of 5)", ""]
    for k in res["chi_square"]:
        lines.append(f"- currents {'hermitian' if k is res['chi_square'][0] else 'unequal'}: chi2 = "
                     f"{k['statistic']:.1f}, df = {k['df']}, 99.9 % critical {k['critical_999']:.1f}, "
                     f"{k['samples']:,} snapshots: {'passes' if k['passes_999'] else 'FAILS'}")
    return "\n".join(lines) + "\n"


def _device(m) -> dict:
    return {"delta": m.delta, "i_star": m.i_star, "rho": m.rho}
