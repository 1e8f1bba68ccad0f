"""`mtjsc ornet`: OR-gate neurons against Btanh neurons, per stream source and L, with area and clocks.

The network and its training are :mod:`mtjsc.training.ornet`; this module
runs the golden model and Yosys over both networks and writes the report.
"""

from __future__ import annotations

from mtjsc import mnist
from mtjsc.config import FIRST_LAYER_FANIN
from mtjsc.errors import MtjscError
from mtjsc.training.ornet import SHIPPED, float_accuracy
from mtjsc.validate import check_int

#: Stream sources of the report: name -> (source, LFSR width). ``lfsr8`` is the deliberately
#: short-period case (8-bit LFSRs, period 255, B = 8); both lfsr variants share each input's
#: weight SNG among all neurons of a layer, as the accelerator does.
REPORT_SOURCES = {"ideal": ("ideal", 32), "lfsr": ("lfsr", 32), "lfsr8": ("lfsr", 8), "mtj": ("mtj", 32)}


def parse_sources(text: str) -> list:
    names = [s.strip() for s in str(text).split(",") if s.strip()]
    bad = [s for s in names if s not in REPORT_SOURCES]
    if not names or bad:
        raise MtjscError(f"--sources {text!r}: choose from {', '.join(REPORT_SOURCES)} (comma separated)")
    return names


def accuracy_table(*, or_model="or-L256", btanh_model="auto", sources=("ideal", "lfsr", "lfsr8", "mtj"),
                   lengths=(16, 64, 256, 1024), seeds=3, images=None, progress=None, data=None) -> dict:
    """Accuracy of the OR network and the Btanh network per source and L on the test set (golden model).

    Returns ``{"or": {source: evaluate-points}, "btanh": {...}}`` with the
    :func:`mtjsc.evaluate.evaluate` points (mean, 95 % interval, seeds).
    """
    from mtjsc.evaluate import evaluate
    out = {}
    for net, spec in (("or", or_model), ("btanh", btanh_model)):
        out[net] = {}
        for name in sources:
            src, width = REPORT_SOURCES[name]
            r = evaluate(models=[spec], source=src, lengths=lengths, seeds=seeds, images=images,
                         lfsr_width=width, progress=progress, data=data)
            out[net][name] = r["series"][0]["points"]
    return out


def area_table(*, or_model, btanh_model, L=256, P=16, W=48, targets=("ecp5", "cmos"), cache_root=None,
               progress=None) -> dict:
    """Yosys area of one hidden neuron (whole fan-in in one clock) and of the network core at (P, W),
    OR against Btanh, on ``targets``; cycles per image of both cores."""
    from mtjsc.area.synth import synthesize
    from mtjsc.config import ScConfig
    from mtjsc.hdl.core import ScMlpCore
    from mtjsc.hdl.neuron import ScNeuron
    from mtjsc.hdl.or_core import OrMlpCore, OrNeuron
    from mtjsc.designs import core_name
    cfg_or = ScConfig.from_model(or_model, L=L, parallel_neurons=P, input_lanes=W)
    cfg_bt = ScConfig.from_model(btanh_model, L=L, parallel_neurons=P, input_lanes=W)
    n1 = FIRST_LAYER_FANIN
    designs = {
        ("neuron", "or"): (OrNeuron(n=n1), f"or_neuron_n{n1}", "or"),
        ("neuron", "btanh"): (ScNeuron(n=n1, K=cfg_bt.K[0], kind="exact"), f"sc_neuron_n{n1}_K{cfg_bt.K[0]}",
                              "control"),
        ("core", "or"): (OrMlpCore(config=cfg_or), core_name(cfg_or), "control"),
        ("core", "btanh"): (ScMlpCore(config=cfg_bt), core_name(cfg_bt), "control"),
    }
    rows = []
    for (what, net), (comp, module, top) in designs.items():
        row = {"design": what, "neuron": net, "module": module}
        for t in targets:
            r = synthesize(comp, module, t, top_block=top, cache_root=cache_root)
            row[t] = r["total"]
            row[f"{t}_blocks"] = r["blocks"]
            if progress is not None:
                progress(1)
        if what == "core":
            row["cycles_per_image"] = comp.schedule.cycles_per_image()
            row["cycles_formula"] = comp.schedule.formula()
        rows.append(row)
    return {"L": L, "P": P, "W": W, "targets": list(targets), "rows": rows}


def report_markdown(res: dict) -> str:
    """The short markdown summary of :func:`accuracy_table` and :func:`area_table` results."""
    acc = res["accuracy"]
    lengths = [p["L"] for p in next(iter(acc["or"].values()))]
    lines = ["# OR-gate neurons against Btanh neurons",
             "",
             f"Golden model, first {res['images']} MNIST test images, {res['seeds']} seeds per point "
             f"(mean and 95 % interval). OR model `{res['or_model']}` "
             f"(expectation accuracy {100 * res['or_float_accuracy']:.2f} %); Btanh model `{res['btanh_model']}`.",
             "", "## Accuracy (%)", "",
             "| network | source | " + " | ".join(f"L={L}" for L in lengths) + " |",
             "|---|---|" + "---|" * len(lengths)]
    for net in ("or", "btanh"):
        for src, pts in acc[net].items():
            cells = [f"{100 * p['mean']:.2f} [{100 * p['ci95'][0]:.2f}, {100 * p['ci95'][1]:.2f}]" for p in pts]
            lines.append(f"| {net} | {src} | " + " | ".join(cells) + " |")
    lines += ["", "## Does true randomness beat LFSRs? (percentage points, mean over seeds)", "",
              "| network | L | ideal - lfsr | ideal - lfsr8 | mtj - lfsr | mtj - lfsr8 |", "|---|---|---|---|---|---|"]
    for net in ("or", "btanh"):
        a = acc[net]
        for i, L in enumerate(lengths):
            def d(x, y):
                return f"{100 * (a[x][i]['mean'] - a[y][i]['mean']):+.2f}" if x in a and y in a else "n/a"
            lines.append(f"| {net} | {L} | {d('ideal', 'lfsr')} | {d('ideal', 'lfsr8')} | {d('mtj', 'lfsr')} | "
                         f"{d('mtj', 'lfsr8')} |")
    if res.get("area"):
        ar = res["area"]
        lines += ["", f"## Area ({res.get('yosys', 'Yosys')}) and clocks", "",
                  f"Neuron: one hidden neuron over its 785 inputs in one clock. Core: the whole network datapath "
                  f"at P = {ar['P']}, W = {ar['W']}, L = {ar['L']} (stream bits from ports; no SNGs or memories).",
                  "", "| design | neuron | " + " | ".join(f"{t} {k}" for t in ar["targets"]
                                                          for k in _AREA_KEYS[t]) + " | clocks/image |",
                  "|---|---|" + "---|" * (sum(len(_AREA_KEYS[t]) for t in ar["targets"]) + 1)]
        for r in ar["rows"]:
            cells = [f"{r[t].get(k, 0):,}" for t in ar["targets"] for k in _AREA_KEYS[t]]
            lines.append(f"| {r['design']} | {r['neuron']} | " + " | ".join(cells) + " | "
                         f"{r.get('cycles_per_image', '')} |")
    return "\n".join(lines) + "\n"


_AREA_KEYS = {"ecp5": ("lut", "ff"), "cmos": ("transistors",), "generic": ("cells",), "ice40": ("lut", "ff"),
              "xilinx": ("lut", "ff")}


def report(*, or_model=SHIPPED, btanh_model="auto", sources=("ideal", "lfsr", "lfsr8", "mtj"),
           lengths=(16, 64, 256, 1024), seeds=3, images=None, area=True, P=16, W=48, area_L=256,
           cache_root=None, progress=None, data=None) -> dict:
    """Everything `mtjsc ornet` writes: accuracy per network, source and L; area and clocks.

    ``btanh_model`` ``auto`` is the shipped Btanh model tuned for each L; the
    area compares against the one tuned for ``area_L``.
    """
    from mtjsc.area.synth import yosys_version
    from mtjsc.evaluate import resolve_model
    name_or, model_or = resolve_model(or_model, area_L)
    if model_or.neuron != "or":
        raise MtjscError(f"--model {or_model!r} is a {model_or.neuron!r}-neuron network; give an OR model "
                         f"(shipped: {SHIPPED}, or `mtjsc train --neuron or`)")
    name_bt, model_bt = resolve_model(btanh_model, area_L)
    if model_bt.neuron != "btanh":
        raise MtjscError(f"--btanh-model {btanh_model!r} is not a Btanh network; give auto, a shipped Btanh "
                         f"model or a file")
    te = mnist.load("test", data)
    n = len(te.labels) if images is None else check_int(images, "--images", minimum=1, maximum=len(te.labels))
    res = {"or_model": name_or, "btanh_model": btanh_model if btanh_model != "auto" else "auto (shipped, per L)",
           "images": n, "seeds": seeds, "lengths": list(lengths), "sources": list(sources),
           "or_float_accuracy": float_accuracy(model_or, te.pixels()[:n], te.labels[:n])}
    res["accuracy"] = accuracy_table(or_model=or_model, btanh_model=btanh_model, sources=sources,
                                     lengths=lengths, seeds=seeds, images=images, progress=progress, data=data)
    if area:
        res["yosys"] = yosys_version().split(" (")[0]
        res["area"] = area_table(or_model=model_or, btanh_model=model_bt, L=area_L, P=P, W=W,
                                 cache_root=cache_root)
        res["area"]["btanh_model"] = name_bt
    return res
