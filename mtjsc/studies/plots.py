"""Plots of evaluation results (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mtjsc.output import atomic_path


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save(fig, path) -> Path:
    """Write ``fig`` as PNG and close it."""
    plt = _plt()
    fig.tight_layout()
    path = Path(path)
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=120, format="png")
    finally:
        plt.close(fig)
    return path


def _mean_and_errors(points) -> tuple:
    """Means (%) and asymmetric error bars to the 95 % interval bounds."""
    m = np.array([p["mean"] for p in points]) * 100
    # clipped at 0: at 100 % accuracy the interval's bound can sit an ulp below the mean
    lo = np.maximum(m - np.array([p["ci95"][0] for p in points]) * 100, 0.0)
    hi = np.maximum(np.array([p["ci95"][1] for p in points]) * 100 - m, 0.0)
    return m, [lo, hi]


def accuracy_vs_length(result: dict, path) -> Path:
    """Accuracy (mean and 95 % interval over seeds) vs stream length, one line per series (cf. Fig. 6b)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for k, s in enumerate(result["series"]):
        Ls = [p["L"] for p in s["points"]]
        m, err = _mean_and_errors(s["points"])
        line = ax.errorbar(Ls, m, yerr=err, marker="o", capsize=3, label=f"SC, {s['name']}")
        fl = [p["float_accuracy"] * 100 for p in s["points"]]
        ax.plot(Ls, fl, ls="--", color=line[0].get_color(), alpha=0.6, label=f"float, {s['name']}")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("stream length L (bits)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"MNIST accuracy vs stream length ({result['source']} source, {result['apc']} APC, "
                 f"{result['images']} images, {len(result['seeds'])} seeds)", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return save(fig, path)


def confusion(result: dict, path, series: int = 0, point: int = -1) -> Path:
    """Row-normalised confusion matrix of one (series, L), summed over seeds (cf. Fig. 6a)."""
    plt = _plt()
    p = result["series"][series]["points"][point]
    c = np.array(p["confusion"], np.float64)
    norm = c / np.maximum(c.sum(1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(5.6, 5.0))
    im = ax.imshow(norm * 100, cmap="Blues", vmin=0, vmax=100)
    for i in range(10):
        for j in range(10):
            if c[i, j]:
                ax.text(j, i, f"{norm[i, j] * 100:.1f}", ha="center", va="center", fontsize=6,
                        color="white" if norm[i, j] > 0.5 else "black")
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{result['series'][series]['name']} ({p['model']}), L={p['L']}: "
                 f"{p['mean'] * 100:.2f} %", fontsize=9)
    fig.colorbar(im, ax=ax, label="% of true class")
    return save(fig, path)


def sweep(result: dict, path) -> Path:
    """Accuracy of the mtj source vs a device parameter, with the ideal source as a band."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    x = [p["value"] for p in result["points"]]
    m, err = _mean_and_errors(result["points"])
    ax.errorbar(x, m, yerr=err, marker="o", capsize=3, label="mtj source")
    ideal = result["ideal"]
    ax.axhspan(ideal["ci95"][0] * 100, ideal["ci95"][1] * 100, color="gray", alpha=0.25,
               label=f"ideal source ({ideal['mean'] * 100:.2f} %)")
    if result["param"] == "period_ratio":
        ax.set_xscale("log")
        ax.set_xlabel("sampling period T / tau_c")
    else:
        ax.set_xlabel("device spread (x default: 5 % Delta, 5 % V_c, 20 mV V_0)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"{result['model']} at L={result['L']}, {result['images']} images, {result['seeds']} seeds, "
                 f"{result['calibration']} calibration", fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return save(fig, path)


def area_model_check(result: dict, path) -> Path:
    """Model vs Yosys cell counts per block (log-log, calibration hollow, validation filled)."""
    plt = _plt()
    blocks = list(result)
    cols = min(3, len(blocks))
    rows = -(-len(blocks) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 3.2 * rows), squeeze=False)
    axes = axes.ravel()
    for ax in axes[len(blocks):]:
        ax.axis("off")
    for ax, block in zip(axes, blocks):
        r = result[block]
        for role, style in (("calibrate", dict(facecolors="none", edgecolors="C0")), ("validate", dict(c="C1"))):
            pts = r[role]
            if pts:
                ax.scatter([p["yosys_cells"] for p in pts], [p["model_cells"] for p in pts], s=22,
                           label=role, zorder=3, **style)
        allv = [p["yosys_cells"] for role in ("calibrate", "validate") for p in r[role]]
        lo, hi = min(allv) * 0.8, max(allv) * 1.25
        ax.plot([lo, hi], [lo, hi], "k-", lw=0.6)
        ax.fill_between([lo, hi], [lo * 0.9, hi * 0.9], [lo * 1.1, hi * 1.1], color="0.9", label="±10 %", zorder=0)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.xaxis.set_minor_formatter(plt.NullFormatter())
        ax.yaxis.set_minor_formatter(plt.NullFormatter())
        err = r["max_abs_error_validation"]
        ax.set_title(f"{block}\nmax validation error {100 * err:.1f} %" if err is not None else block, fontsize=9)
        ax.set_xlabel("Yosys generic cells")
    for ax in axes[::cols]:
        ax.set_ylabel("model cells")
    axes[1].legend(fontsize=7)
    return save(fig, path)


def lowprec(result: dict, path) -> Path:
    """Test accuracy vs fraction bits per rounding (mean over seeds, min-max bars; float as a line)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.2, 3.6))
    flt = next(r for r in result["rows"] if r["round"] == "float")
    ax.axhline(100 * flt["mean"], color="k", lw=0.8, ls="--", label=f"float {100 * flt['mean']:.2f} %")
    kinds = []
    for r in result["rows"]:
        if r["round"] != "float" and (r["round"], r["bits"]) not in kinds:
            kinds.append((r["round"], r["bits"]))
    for rnd, bits in kinds:
        rows = sorted((r for r in result["rows"] if (r["round"], r["bits"]) == (rnd, bits)), key=lambda r: r["frac"])
        f = [r["frac"] for r in rows]
        m = np.array([r["mean"] for r in rows]) * 100
        err = [m - np.array([r["min"] for r in rows]) * 100, np.array([r["max"] for r in rows]) * 100 - m]
        ax.errorbar(f, m, yerr=err, marker="o", ms=4, capsize=3,
                    label="nearest" if rnd == "nearest" else f"stochastic ({bits})")
    ax.set_xlabel("fraction bits")
    ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=8)
    return save(fig, path)


def binarynet(result: dict, path) -> Path:
    """Accuracy vs samples averaged k per (network, sampling bits): mean over ensembles, min-max band;
    deterministic weights as dashed lines; the SC golden model of the binary sign network dotted."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9.0, 4.2))
    for i, net in enumerate(result["networks"]):
        color = f"C{i}"
        for j, ev in enumerate(net["sampled"]):
            acc = np.array(ev["accuracy"]) * 100
            ls = ("-", "-.", ":")[j % 3]
            ax.plot(ev["k"], acc.mean(0), color=color, ls=ls, marker="o", ms=3,
                    label=f"{net['label']} / eval {ev['bits']}")
            ax.fill_between(ev["k"], acc.min(0), acc.max(0), color=color, alpha=0.15)
        ax.axhline(100 * net["deterministic"], color=color, lw=0.8, ls="--")
        for ev in net.get("sc_golden", []):
            ax.plot(ev["k"], np.array(ev["accuracy"]) * 100, color=color, ls="none", marker="x", ms=4,
                    label=f"{net['label']} / SC golden {ev['source']}")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("sampled networks averaged, k (= SC stream length L for binary sign)")
    ax.set_ylabel("test accuracy (%)")
    ax.legend(fontsize=6, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return save(fig, path)


def ornet(result: dict, path) -> Path:
    """`mtjsc ornet`: accuracy vs L per stream source, OR network beside the Btanh network."""
    plt = _plt()
    acc = result["accuracy"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, net, title in zip(axes, ("or", "btanh"), ("OR-gate neurons", "Btanh neurons")):
        for src, pts in acc[net].items():
            m, err = _mean_and_errors(pts)
            ax.errorbar([p["L"] for p in pts], m, yerr=err, marker="o", capsize=3, label=src)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("stream length L")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend()
    axes[0].set_ylabel("test accuracy (%)")
    return save(fig, path)


def ising(result: dict, path) -> Path:
    """`mtjsc ising`: coupling and distance vs g/G, chain correlations, detailed-balance violation."""
    plt = _plt()
    fig, ax = plt.subplots(1, 3, figsize=(14, 4))
    c = result["coupling"]["rows"]
    x = [r["g_over_G"] for r in c]
    ax[0].loglog(x, [r["K_first_order"] for r in c], "k--", label="K first order")
    ax[0].loglog(x, [r["K_fit_nn"] for r in c], "o-", label="K fitted, nearest")
    ax[0].loglog(x, [abs(r["K_fit_nnn"]) for r in c], "s-", label="|K fitted|, next nearest")
    ax[0].loglog(x, [abs(r["K_fit_nn"] - r["K_first_order"]) for r in c], "^-", label="|K fit - K first order|")
    ax[0].loglog(x, [r["tv_to_first_order"] for r in c], "v-", label="TV(exact, first-order Boltzmann)")
    ax[0].set_xlabel("g / G")
    ax[0].set_title(f"hermitian chain: slopes {result['coupling']['slope_coupling_error']:.2f} (K error), "
                    f"{result['coupling']['slope_tv']:.2f} (TV)", fontsize=9)
    ax[0].legend(fontsize=7)
    for ch, mark in zip(result["chain"], ("o", "s")):
        x = ch["g_over_G"]
        ax[1].semilogy(ch["r"], np.maximum(ch["correlation"], 1e-4), mark, label=f"g/G={x:g}: simulation")
        ax[1].semilogy(range(len(ch["exact_12_bulk"])), ch["exact_12_bulk"], "x", label=f"g/G={x:g}: exact (n=12)")
        ax[1].semilogy(ch["r"], ch["tanh_K_exact_r"], "-", label=f"tanh({ch['K_exact_bulk']:.3f})^r")
        ax[1].semilogy(ch["r"], ch["tanh_K_first_order_r"], "--", label=f"tanh({ch['K_first_order']:.3f})^r (1st order)")
    ax[1].set_xlabel("distance r")
    ax[1].set_ylabel("<s_i s_i+r> (bulk)")
    ax[1].set_title(f"open chain of {result['chain'][0]['n']}", fontsize=9)
    ax[1].legend(fontsize=6)
    for name, case in result["broken"]["cases"].items():
        rows = case["rows"]
        ax[2].loglog([r["g_over_G"] for r in rows], [r["max_cycle_log_ratio"] for r in rows], "o-",
                     label=f"{name} (slope {case['slope_cycle_ratio']:.2f})")
    ax[2].set_xlabel("g / G")
    ax[2].set_ylabel("Kolmogorov cycle log-ratio")
    ax[2].set_title("detailed balance", fontsize=9)
    ax[2].legend(fontsize=7)
    return save(fig, path)


def pbit(result: dict, path) -> Path:
    """`mtjsc pbit`: Max-Cut success and factorisation success against sweeps."""
    plt = _plt()
    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    s = result["maxcut_small"]
    ax[0].semilogx(s["sweeps"], [100 * v for v in s["success_rate"]], "o-")
    ax[0].set_xlabel("sweeps")
    ax[0].set_ylabel("optimum found (%)")
    ax[0].set_title(f"Max-Cut, {s['instances']} random {s['n']}-node graphs", fontsize=9)
    f = result["factoring"]
    for c in f["cases"]:
        ax[1].semilogx(f["sweeps"], [100 * v for v in c["success"]], "o-", label=f"N = {c['N']} ({c['spins']} p-bits)")
    ax[1].set_xlabel("sweeps")
    ax[1].set_ylabel("factor pair found (%)")
    ax[1].set_title(f"invertible multiplier, {f['replicas']} replicas", fontsize=9)
    ax[1].legend(fontsize=8)
    from matplotlib.ticker import NullFormatter
    for a, ticks in zip(ax, (s["sweeps"], f["sweeps"])):
        a.grid(alpha=0.3)
        a.set_xticks(ticks, [str(t) for t in ticks])
        a.xaxis.set_minor_formatter(NullFormatter())
    return save(fig, path)


def faults(result: dict, path) -> Path:
    """`mtjsc faults`: accuracy (mean and range over fault draws) against fault rate, one line per design
    and fault kind; rate 0 sits at the left edge of a symmetric-log axis."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    groups = {}
    for r in result["rows"]:
        groups.setdefault((r["design"], r["kind"]), []).append(r)
    labels = {"seu": "weight-memory bit flips", "stuck": "stuck weight SNGs", "flip": "weight-stream bit flips"}
    for (design, kind), rows in groups.items():
        x = np.array([r["rate"] for r in rows])
        acc = np.array([r["accuracy"] for r in rows]) * 100
        m = acc.mean(axis=1)
        ax.errorbar(x, m, yerr=[m - acc.min(axis=1), acc.max(axis=1) - m], marker="o", capsize=3,
                    label=f"{design}: {labels.get(kind, kind)}")
    positive = [r for r in result["rates"] if r > 0]
    ax.set_xscale("symlog", linthresh=min(positive) if positive else 1e-4)
    ax.set_xlabel("fault rate (per stored bit, per SNG, per stream bit)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"Fault injection, {result['images']:,} MNIST test images, {result['seeds']} draws per point",
                 fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save(fig, path)
