"""Progressive precision on the golden model (`mtjsc early-exit`): accuracy and mean stream length
against the early-exit rule (:mod:`mtjsc.behavioral_models.early_exit`).

One golden run records every image's per-t output counts; each rule is then applied to them, so every
row of the table sees the same bits. The images-per-second gain of a design whose clocks grow with
the stream index (the per-t schedule of :class:`~mtjsc.hdl.core.ScMlpCore`) is ``L / mean t``.
"""

from __future__ import annotations

import numpy as np

from mtjsc.behavioral_models import early_exit
from mtjsc.errors import MtjscError

#: The accuracy a margin may cost against the full run (the issue's 0.2 point).
ALLOWED_LOSS = 0.002


def default_margins(L: int, n2: int, count: int = 16) -> list:
    """Leads from 8 to a sixteenth of the largest score L n2, log-spaced (integers, increasing): past
    that every image runs to the end at the shipped models' L."""
    top = max(9, L * n2 // 16)
    return sorted({int(round(m)) for m in np.geomspace(8, top, count)})


def study(*, L: int = 256, apc: str = "exact", block: int = 16, margins=None, source: str = "lfsr", seed: int = 0,
          images=None, model: str = "auto", data=None, progress=None) -> dict:
    """Run the golden model once on the test images and apply the exact rule and every margin."""
    from mtjsc import mnist
    from mtjsc.behavioral_models.sources import make_source
    from mtjsc.config import ScConfig
    from mtjsc.evaluate import resolve_model
    name, net = resolve_model(model, L, apc)
    if net.neuron != "btanh":
        raise MtjscError(f"--model {model!r} is an {net.neuron!r}-neuron network: early exit's exact rule needs "
                         f"a Btanh network's output counts (0..H + 1 per index)")
    cfg = ScConfig.from_model(net, L=L, apc=apc)
    n2 = cfg.fan_in[1]
    margins = default_margins(L, n2) if margins is None else sorted(set(margins))
    rules = [early_exit.ExitRule("exact", block)] + [early_exit.ExitRule("margin", block, m) for m in margins]
    for r in rules:
        r.check(L, n2)
    test = mnist.load("test", data)
    n = len(test.labels) if images is None else images
    res, _ = early_exit.golden_run(net, test.pixels()[:n], rules[0], source=make_source(source, seed=seed, config=cfg),
                                   config=cfg, progress=progress)
    labels = test.labels[:n]
    full_acc = float(np.mean(res.classes == labels))
    rows = []
    for r in rules:
        ex = early_exit.run(res.output_counts, r, n2)
        rows.append({"rule": r.rule, "margin": r.margin, "accuracy": float(np.mean(ex.classes == labels)),
                     "mean_length": ex.mean_length(), "speedup": L / ex.mean_length(),
                     "same_class": float(np.mean(ex.classes == res.classes)),
                     "exit_histogram": np.bincount(ex.t // block, minlength=-(-L // block) + 1).tolist()})
    exact = rows[0]
    if exact["same_class"] != 1.0:     # the rule's guarantee, checked on every run
        raise MtjscError("the exact early-exit rule changed a class: the rule or the counts are wrong")
    ok = [r for r in rows[1:] if r["accuracy"] >= full_acc - ALLOWED_LOSS]
    best = min(ok, key=lambda r: r["mean_length"]) if ok else None
    return {"model": name, "L": L, "apc": apc, "block": block, "source": source, "seed": seed, "images": n,
            "n2": n2, "full_accuracy": full_acc, "rows": rows, "allowed_loss": ALLOWED_LOSS,
            "best_margin": best}


def markdown(res: dict) -> str:
    L = res["L"]
    lines = [f"# Early exit: {res['model']} at L = {L}, {res['apc']} APC, checks every {res['block']} indices",
             "", f"Golden model, `{res['source']}` source, seed {res['seed']}, {res['images']:,} test images. "
             f"Full run: {100 * res['full_accuracy']:.2f} %.", "",
             "| rule | margin | accuracy | mean stream length | speedup L / mean t | class as full run |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in res["rows"]:
        lines.append(f"| {r['rule']} | {r['margin'] or '-'} | {100 * r['accuracy']:.2f} % | {r['mean_length']:.1f} | "
                     f"{r['speedup']:.2f} | {100 * r['same_class']:.2f} % |")
    b, e = res["best_margin"], res["rows"][0]
    lines += ["", f"Exact rule: the class of every image equals the full run's; mean stream length "
              f"{e['mean_length']:.1f} of {L} ({e['speedup']:.2f}x)."]
    if b:
        lines.append(f"Cheapest margin within {100 * res['allowed_loss']:.1f} point of the full run: {b['margin']} "
                     f"({100 * b['accuracy']:.2f} %), mean stream length {b['mean_length']:.1f} "
                     f"({b['speedup']:.2f}x).")
    else:
        lines.append(f"No margin tried stays within {100 * res['allowed_loss']:.1f} point of the full run.")
    return "\n".join(lines) + "\n"


def plot(res: dict, path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    m = [r for r in res["rows"] if r["rule"] == "margin"]
    ax.plot([r["mean_length"] for r in m], [100 * r["accuracy"] for r in m], "o-", label="margin rule")
    for r in m:
        ax.annotate(str(r["margin"]), (r["mean_length"], 100 * r["accuracy"]), fontsize=6)
    e = res["rows"][0]
    ax.plot([e["mean_length"]], [100 * e["accuracy"]], "s", label="exact rule")
    ax.axhline(100 * res["full_accuracy"], color="grey", lw=0.8, label=f"full run (L = {res['L']})")
    ax.set_xlabel("mean stream length (indices per image)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"early exit, {res['model']}, checks every {res['block']}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
