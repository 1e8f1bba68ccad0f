"""Design-space sweeps of area: many independent Yosys runs on a Dask cluster.

Each point is a picklable description ``(block, params, target)``; the
worker builds the component and runs :func:`mtjsc.area.synth.synthesize` there,
so a sweep runs unchanged on a local cluster of this machine's cores
(default) or on an existing cluster (``scheduler="tcp://host:8786"``).
Every worker uses its own area cache directory (the same path on every
machine: ``$MTJSC_AREA_CACHE`` or ``~/.cache/mtjsc/area``).
"""

from __future__ import annotations

import logging
import os

from mtjsc.errors import MtjscError

#: The sweeps `mtjsc area --sweep` knows: name -> (points, what the plot shows).
SWEEPS = {
    "apc": [("apc", {"n": n, "kind": k}, t) for n in (16, 32, 64, 129, 256, 512, 785)
            for k in ("exact", "approx") for t in ("generic", "cmos", "ice40")],
    "btanh": [("btanh", {"n": 785, "K": K}, t) for K in (8, 16, 32, 64, 128, 236, 512, 1024, 1570)
              for t in ("generic", "cmos", "ice40")],
    "sng": [("lfsr", {"B": B, "width": w}, t) for B in (2, 4, 6, 8, 12, 16) for w in (16, 32)
            for t in ("generic", "cmos", "ice40")]
    + [("sng", {"B": B}, t) for B in (2, 4, 6, 8, 12, 16) for t in ("generic", "cmos", "ice40")],
    "design": [("accelerator", {"P": P, "W": W, "L": 64}, "ecp5") for P in (4, 8, 16) for W in (16, 32, 48)],
}


def build(block: str, p: dict):
    """The component, module name and top block of a sweep point (run on the worker); single blocks
    come from :func:`mtjsc.area.model.component`."""
    from mtjsc.area.model import component
    if block == "apc":
        return component(f"apc_{p['kind']}", p), f"sw_apc_n{p['n']}_{p['kind']}", "apc"
    if block == "btanh":
        return component("btanh", p), f"sw_btanh_n{p['n']}_K{p['K']}", "btanh"
    if block == "lfsr":
        return component("lfsr", p), f"sw_lfsr_w{p['width']}_b{p['B']}", "sng"
    if block == "sng":
        return component("sng", p), f"sw_cmp_b{p['B']}", "sng"
    if block == "accelerator":               # the accelerator of the shipped model for (L, APC)
        from mtjsc.config import ScConfig
        from mtjsc.hdl.accelerator import ScMlpAccelerator
        from mtjsc.model import shipped_for_length
        apc = p.get("apc", "exact")
        _, model = shipped_for_length(p["L"], apc)
        cfg = ScConfig.from_model(model, L=p["L"], apc=apc, parallel_neurons=p["P"], input_lanes=p["W"])
        name = f"sw_acc_L{p['L']}_P{p['P']}_W{p['W']}" + ("" if apc == "exact" else f"_{apc}")
        return ScMlpAccelerator(model=model, config=cfg), name, "control"
    if block == "fixed":                     # the shipped fixed-point baseline of (wbits, abits)
        from mtjsc.behavioral_models.fixed import shipped_fixed
        from mtjsc.hdl.fixed import FixedMlp
        return (FixedMlp(model=shipped_fixed(p["wbits"], p["abits"]), parallel=p["P"]),
                f"cmp_fixed_w{p['wbits']}a{p['abits']}_P{p['P']}", "control")
    raise MtjscError(f"unknown sweep block {block!r}")


def run_point(block: str, params: dict, target: str, cache_root=None) -> dict:
    """One Yosys run (a Dask task): the point and its totals."""
    from mtjsc.area.synth import synthesize
    comp, name, top_block = build(block, params)
    r = synthesize(comp, name, target, top_block=top_block, cache_root=cache_root)
    return {"block": block, "params": params, "target": target, "total": r["total"], "blocks": r["blocks"],
            "cached": r["cached"], "seconds": r["seconds"]}


def client_for(scheduler: str | None = None, workers: int | None = None):
    """A Dask client: on ``scheduler`` (an existing cluster) or on a new local cluster of ``workers``
    processes (default: this machine's cores). Returns ``(client, cluster or None)``."""
    from dask.distributed import Client, LocalCluster
    if scheduler:
        try:
            return Client(scheduler, timeout="5s"), None
        except (OSError, TimeoutError) as e:
            raise MtjscError(f"cannot reach the Dask scheduler {scheduler!r} ({e}); start one with "
                             f"`dask scheduler` and workers with `dask worker {scheduler}`, or leave out "
                             f"--scheduler for a local cluster on this machine") from None
    n = workers or os.cpu_count() or 1
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=logging.ERROR)
    return Client(cluster), cluster


def run(points: list, *, scheduler: str | None = None, workers: int | None = None, cache_root=None,
        progress=None) -> list:
    """Run every point (``(block, params, target)``) as a Dask task; results in the order of ``points``."""
    from dask.distributed import as_completed
    client, cluster = client_for(scheduler, workers)
    try:
        futures = [client.submit(run_point, b, p, t, None if cache_root is None else str(cache_root), pure=False)
                   for b, p, t in points]
        index = {f.key: i for i, f in enumerate(futures)}
        out = [None] * len(points)
        for f in as_completed(futures):
            try:
                out[index[f.key]] = f.result()
            except MtjscError:
                raise
            except Exception as e:          # a worker's failure, named with its point
                b, p, t = points[index[f.key]]
                raise MtjscError(f"sweep point {b} {p} on {t} failed on a Dask worker: {e}") from None
            if progress:
                progress(1)
        return out
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def plot(name: str, results: list, path) -> None:
    """The sweep's figure: cells/transistors/LUTs against the swept parameter."""
    from mtjsc.studies.plots import _plt, save
    plt = _plt()
    if name == "design":
        fig, ax = plt.subplots(figsize=(5, 3.6))
        for W in sorted({r["params"]["W"] for r in results}):
            pts = sorted((r["params"]["P"], r["total"]["lut"]) for r in results if r["params"]["W"] == W)
            ax.plot(*zip(*pts), "o-", label=f"W = {W}")
        ax.set_xlabel("P (neurons per clock)")
        ax.set_ylabel("ECP5 LUT4")
        ax.set_title("accelerator, L = 64")
        ax.legend(fontsize=8)
        save(fig, path)
        return
    targets = sorted({r["target"] for r in results}, key=["generic", "cmos", "ice40"].index)
    metric = {"generic": ("cells", "generic cells"), "cmos": ("transistors", "transistors"),
              "ice40": ("lut", "iCE40 LUT4")}
    fig, axes = plt.subplots(1, len(targets), figsize=(3.6 * len(targets), 3.3), squeeze=False)
    for ax, t in zip(axes[0], targets):
        key, label = metric[t]
        rows = [r for r in results if r["target"] == t]
        if name == "apc":
            x, series = "n", {k: [r for r in rows if r["params"]["kind"] == k] for k in ("exact", "approx")}
        elif name == "btanh":
            x, series = "K", {"n = 785": rows}
        else:
            x = "B"
            series = {f"LFSR, width {w}": [r for r in rows if r["block"] == "lfsr" and r["params"]["width"] == w]
                      for w in (16, 32)}
            series["comparator"] = [r for r in rows if r["block"] == "sng"]
        for lab, rs in series.items():
            pts = sorted((r["params"][x], r["total"][key]) for r in rs)
            if pts:
                ax.plot(*zip(*pts), "o-", label=lab, ms=3)
        ax.set_xscale("log", base=2)
        ax.set_xlabel(x)
        ax.set_ylabel(label)
        ax.set_title(f"{name} on {t}", fontsize=9)
        ax.legend(fontsize=7)
    save(fig, path)


def savings(results: list) -> list:
    """The approximate APC's saving against the exact one per n and target (from an ``apc`` sweep)."""
    key = {"generic": "cells", "cmos": "transistors", "ice40": "lut"}
    by = {(r["params"]["n"], r["params"]["kind"], r["target"]): r["total"][key[r["target"]]] for r in results}
    out = []
    for (n, kind, t), v in sorted(by.items()):
        if kind == "exact" and (n, "approx", t) in by:
            out.append({"n": n, "target": t, "exact": v, "approx": by[(n, "approx", t)],
                        "saving": round(1 - by[(n, "approx", t)] / v, 4)})
    return out
