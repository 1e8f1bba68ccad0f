"""SC against binary: area, clocks per image and accuracy of the SC accelerators and the fixed-point
baselines, and the published claims they test (`mtjsc area --compare`).

Every figure is computed by the run: Yosys (through the area cache) for iCE40 and ECP5 LUTs and the
transistor estimate, the designs' own schedules for clocks per image, and the full MNIST test set for
accuracy (SC: the golden model with the accelerator's own ``lfsr`` bits, seed 0, which is what the
design computes; binary: the integer model). Memory arrays are not in the transistor counts (Yosys
estimates logic); their bits are reported beside.

Equal throughput and equal area: both designs scale by their parallelism, so area x clocks per image
(LUT-cycles, transistor-cycles per image) is the area needed for one image per clock, and its inverse
the throughput per unit area. It assumes area grows linearly with P; the ``design`` sweep of
`mtjsc area --sweep` shows how far that holds for SC.
"""

from __future__ import annotations

import numpy as np

#: published figures the report tests
CLAIMS = {
    "kim_dac2016": "Kim et al. (DAC 2016): SC DNN at roughly half the area of the binary design at a small "
                   "accuracy cost",
    "shao_lfsr": "Shao et al. (2020): a 32-bit LFSR needs more than 1,000 transistors",
    "finn_tfc": "FINN TFC 784-64-64-64-10 (Brevitas): 93.2 % at 1/1 bits, 96.6 % at 2/2 bits",
}
SC_POINTS = [(L, apc) for L in (64, 256, 1024) for apc in ("exact", "approx")]
#: SC designs synthesised for ECP5: all (about 6 minutes each on a free 2-core machine, 16 when shared).
#: iCE40 synthesis of an SC accelerator took over 25 minutes per design here (and it fits no iCE40 part):
#: iCE40 for the binary designs only.
SC_ECP5 = SC_POINTS
WIDTHS = [(8, 8), (4, 4), (1, 1)]


def points(P: int = 16, W: int = 48) -> list:
    """The Yosys runs of the report: (block, params, target)."""
    pts = [("accelerator", {"L": L, "apc": apc, "P": P, "W": W}, "ecp5") for L, apc in SC_ECP5]
    pts += [("accelerator", {"L": L, "apc": apc, "P": P, "W": W}, "cmos") for L, apc in SC_POINTS]
    pts += [("fixed", {"wbits": w, "abits": a, "P": P}, t) for w, a in WIDTHS for t in ("ice40", "ecp5", "cmos")]
    pts += [("lfsr", {"width": 32, "B": 1}, "cmos")]
    return pts


def designs(P: int = 16, W: int = 48, *, progress=None) -> list:
    """Clocks per image, memory bits and full-test-set accuracy of every design of the report."""
    from mtjsc import mnist
    from mtjsc.area.sweep import build
    from mtjsc.behavioral_models import golden
    from mtjsc.behavioral_models.sources import make_source
    te = mnist.load("test")
    rows = []
    for L, apc in SC_POINTS:
        comp, name, _ = build("accelerator", {"L": L, "apc": apc, "P": P, "W": W})
        cfg = comp.config
        res = golden.run_network(comp.model, te.pixels(), source=make_source("lfsr", seed=0, config=cfg), config=cfg)
        rows.append({"design": f"SC L={L} {apc}", "kind": "sc", "L": L, "apc": apc, "module": name,
                     "cycles_per_image": comp.cycles_per_image(), "memory_bits": comp.describe()["memory_bits"],
                     "accuracy": float(np.mean(res.classes == te.labels))})
        if progress:
            progress(1)
    for w, a in WIDTHS:
        comp, name, _ = build("fixed", {"wbits": w, "abits": a, "P": P})
        rows.append({"design": f"binary {w}/{a}", "kind": "binary", "wbits": w, "abits": a, "module": name,
                     "cycles_per_image": comp.cycles_per_image(), "memory_bits": comp.describe()["memory_bits"],
                     "accuracy": float(np.mean(comp.model.forward(te.images)["classes"] == te.labels))})
        if progress:
            progress(1)
    return rows


def assemble(rows: list, synth: list) -> dict:
    """Join the designs with their Yosys totals; area x cycles products; the LFSR figure."""
    by = {}
    for r in synth:
        p = r["params"]
        key = f"SC L={p['L']} {p['apc']}" if r["block"] == "accelerator" else \
            f"binary {p['wbits']}/{p['abits']}" if r["block"] == "fixed" else "lfsr"
        by.setdefault(key, {})[r["target"]] = r["total"]
    for row in rows:
        t = by[row["design"]]
        for target, key in (("ice40", "lut"), ("ice40", "bram"), ("ecp5", "lut"), ("ecp5", "bram")):
            row[f"{target}_{key}"] = t[target][key] if target in t else None     # None: not synthesised
        row["transistors"] = t["cmos"]["transistors"]
        row["ecp5_lut_cycles"] = None if row["ecp5_lut"] is None else row["ecp5_lut"] * row["cycles_per_image"]
        row["transistor_cycles"] = row["transistors"] * row["cycles_per_image"]
    return {"designs": rows, "lfsr32_transistors": by["lfsr"]["cmos"]["transistors"]}


def report(res: dict) -> str:
    """The markdown report: tables, ratios against the 8/8 baseline, the claims with our numbers."""
    rows = res["designs"]
    base = next(r for r in rows if r["design"] == "binary 8/8")
    lines = ["# SC versus binary: area, speed and accuracy", "",
             f"P = {res['P']} neurons (MACs) per clock for every design, W = {res['W']} input lanes for SC; "
             f"accuracy on the full MNIST test set (SC: golden model with the accelerator's own LFSR bits, seed 0; "
             f"binary: integer model). Transistors: Yosys `abc -g cmos2; stat -tech cmos` of the logic; memory "
             f"arrays apart (bits). {res['yosys']}. Per clock the SC design forms P x W = {res['P'] * res['W']} "
             f"XNOR products (each with its comparator SNG), the binary design P = {res['P']} multiplications.", "",
             "| design | accuracy | clocks/image | iCE40 LUT | ECP5 LUT | transistors (logic) | memory bits | "
             "ECP5 LUT x clocks | vs 8/8 | transistors x clocks | vs 8/8 |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    def num(v, fmt=","):
        return "n/s" if v is None else format(v, fmt)

    def ratio(v, b):
        return "n/s" if v is None else f"{v / b:.2f}x"

    for r in rows:
        lines.append(f"| {r['design']} | {100 * r['accuracy']:.2f} % | {r['cycles_per_image']:,} | {num(r['ice40_lut'])} | "
                     f"{num(r['ecp5_lut'])} | {r['transistors']:,} | {r['memory_bits']:,} | "
                     f"{num(r['ecp5_lut_cycles'], '.3g')} | {ratio(r['ecp5_lut_cycles'], base['ecp5_lut_cycles'])} | "
                     f"{r['transistor_cycles']:.3g} | {ratio(r['transistor_cycles'], base['transistor_cycles'])} |")
    if any(v is None for r in rows for v in r.values()):
        lines += ["", "n/s: not synthesised for that target (iCE40 synthesis of one SC accelerator took over 25 "
                  "minutes here, and it fits no iCE40 part)."]
    sc_all = [r for r in rows if r["kind"] == "sc"]
    sc = [r for r in sc_all if r["ecp5_lut"] is not None]
    bins = [r for r in rows if r["kind"] == "binary"]
    best_sc = min(sc, key=lambda r: r["ecp5_lut"])
    b11 = next(r for r in bins if r["design"] == "binary 1/1")
    lines += ["", "## What the numbers say", "",
              f"- **Area per design (equal parallelism P).** The smallest SC design ({best_sc['design']}) has "
              f"{best_sc['ecp5_lut']:,} ECP5 LUTs and {best_sc['transistors']:,} transistors against "
              f"{base['ecp5_lut']:,} and {base['transistors']:,} for binary 8/8 "
              f"({best_sc['ecp5_lut'] / base['ecp5_lut']:.2f}x LUTs, "
              f"{best_sc['transistors'] / base['transistors']:.2f}x transistors) and {b11['ecp5_lut']:,} / "
              f"{b11['transistors']:,} for binary 1/1.",
              "- **Equal throughput / equal area** (area x clocks per image, lower is better): SC needs "
              + ", ".join(f"{r['design'].split(' ', 1)[1]} {r['ecp5_lut_cycles'] / base['ecp5_lut_cycles']:.1f}x"
                          for r in sc) + " the ECP5 LUT-clocks of binary 8/8 and "
              + ", ".join(f"{r['design'].split(' ', 1)[1]} {r['transistor_cycles'] / base['transistor_cycles']:.1f}x"
                          for r in sc_all) + " its transistor-clocks; binary 4/4 "
              f"{next(r for r in bins if r['design'] == 'binary 4/4')['ecp5_lut_cycles'] / base['ecp5_lut_cycles']:.2f}x, "
              f"1/1 {b11['ecp5_lut_cycles'] / base['ecp5_lut_cycles']:.2f}x.",
              "- **Accuracy.** SC: " + ", ".join(f"{r['design'][3:]} {100 * r['accuracy']:.2f} %" for r in sc_all)
              + "; binary: " + ", ".join(f"{r['design'][7:]} {100 * r['accuracy']:.2f} %" for r in bins) + ".",
              "", "## The published claims", "",
              f"- {CLAIMS['kim_dac2016']}. Here, at equal P, the SC accelerator's area is "
              f"{min(r['ecp5_lut'] for r in sc) / base['ecp5_lut']:.2f}x to "
              f"{max(r['ecp5_lut'] for r in sc) / base['ecp5_lut']:.2f}x the 8/8 design's ECP5 LUTs and "
              f"{min(r['transistors'] for r in sc_all) / base['transistors']:.2f}x to "
              f"{max(r['transistors'] for r in sc_all) / base['transistors']:.2f}x its transistors, and it needs "
              f"{min(r['cycles_per_image'] for r in sc_all) / base['cycles_per_image']:.1f}x to "
              f"{max(r['cycles_per_image'] for r in sc_all) / base['cycles_per_image']:.1f}x its clocks per image.",
              f"- {CLAIMS['shao_lfsr']}. Ours (32-bit Galois LFSR, one step per clock, load and enable): "
              f"{res['lfsr32_transistors']:,} transistors.",
              f"- {CLAIMS['finn_tfc']}. Our 784-128-10 binary 1/1 (8-bit pixels in): "
              f"{100 * b11['accuracy']:.2f} %."]
    return "\n".join(lines) + "\n"


def plot(res: dict, path) -> None:
    """Accuracy against ECP5 LUT x clocks per image (log) for every design."""
    from mtjsc.studies.plots import _plt, save
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
    for r in res["designs"]:
        marker = "o" if r["kind"] == "sc" else "s"
        for ax, key in zip(axes, ("ecp5_lut_cycles", "transistor_cycles")):
            if r[key] is None:
                continue
            ax.plot(r[key], 100 * r["accuracy"], marker, label=r["design"])
            ax.annotate(r["design"], (r[key], 100 * r["accuracy"]), fontsize=6, xytext=(3, 3),
                        textcoords="offset points")
    axes[0].set_xlabel("ECP5 LUTs x clocks per image")
    axes[1].set_xlabel("transistors (logic) x clocks per image")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_ylabel("test accuracy (%)")
        ax.grid(alpha=0.3)
    save(fig, path)
