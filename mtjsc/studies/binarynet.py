"""`mtjsc binarynet`: binary and ternary networks sampled from latent weights, trained
stochastically and deterministically; the accuracy of one sampled network and of the average of
k = 1..K sampled networks, per sampling source.

The networks and their training are :mod:`mtjsc.training.binarynet`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mtjsc import mnist
from mtjsc.training import binarynet


def specs(modes, *, act: str, bits: str, period: float) -> list:
    """The networks of the study: per mode, one trained with sampling and one deterministically."""
    out = []
    for mode in modes:
        out.append(binarynet.BinarySpec(mode=mode, act=act, bits=bits, period=period))
        out.append(binarynet.BinarySpec(mode=mode, act=act, sampling="deterministic", bits=bits))
    return out


def study(nets_specs, *, eval_bits, out, data=None, hidden=128, epochs=15, lr=1e-2, seed=0, k=16, groups=4,
          train_images=None, train_progress=None, eval_progress=None, log=None) -> dict:
    """Train every spec, save each network (``<mode>_<act>_<sampling>.npz``, and the SC model of a
    sign network as ``..._sc.npz``) into ``out``, and evaluate them on the full test set."""
    te = mnist.load("test")
    px, labels = te.pixels(), te.labels
    nets = [binarynet.train_binary(spec, data=data, hidden=hidden, epochs=epochs, lr=lr, seed=seed,
                                   train_images=train_images, progress=train_progress,
                                   log=None if log is None else (lambda s, sp=spec: log(f"{sp.label}: {s}")))
            for spec in nets_specs]
    act = nets_specs[0].act
    sc = act == "sign" and any(s.mode == "binary" for s in nets_specs)
    rows = []
    for spec, net in zip(nets_specs, nets):
        name = f"{spec.mode}_{spec.act}_{spec.sampling}"
        net.save(Path(out) / f"{name}.npz")
        row = {"label": spec.label, "name": name, "spec": spec.as_dict(), "record": net.record,
               "deterministic": binarynet.deterministic_accuracy(net, px, labels),
               "sampled": [binarynet.sample_averaging(net, px, labels, bits=b, seed=seed, k_max=k, groups=groups,
                                                      progress=eval_progress) for b in eval_bits]}
        if sc and spec.mode == "binary":
            binarynet.to_sc_model(net).save(Path(out) / f"{name}_sc.npz")
            row["sc_golden"] = [binarynet.sc_sample_averaging(net, px, labels, source=b, seed=seed, k_max=k)
                                for b in eval_bits]
        rows.append(row)
    return {"hidden": hidden, "act": act, "epochs": epochs, "lr": lr, "seed": seed, "k": k, "groups": groups,
            "train_images": train_images or 60000, "test_images": len(labels), "networks": rows}


def markdown(res: dict) -> str:
    """Accuracy of one sampled network (mean and range) and of k-sample averages, per network and
    sampling source; deterministic weights beside."""
    ks = [k for k in (1, 2, 4, 8, 16, 32, 64) if k <= res["k"]]
    lines = [f"Full MNIST test set ({res['test_images']} images), 784-{res['hidden']}-10, {res['act']} activations, "
             f"{res['epochs']} epochs, seed {res['seed']}; {res['groups']} ensembles of {res['k']} sampled networks "
             f"each: mean [min, max] over ensembles.", "",
             "| network (training) | eval bits | one network: mean [min, max] | "
             + " | ".join(f"k={k}" for k in ks) + " | deterministic |",
             "|---|---|---|" + "---:|" * len(ks) + "---:|"]
    for net in res["networks"]:
        for ev in net["sampled"]:
            acc = np.array(ev["accuracy"]) * 100
            one = np.array(ev["single"]) * 100
            cells = [f"{acc[:, k - 1].mean():.2f} [{acc[:, k - 1].min():.2f}, {acc[:, k - 1].max():.2f}]" for k in ks]
            lines.append(f"| {net['label']} | {ev['bits']} | {one.mean():.2f} [{one.min():.2f}, {one.max():.2f}] | "
                         + " | ".join(cells) + f" | {100 * net['deterministic']:.2f} |")
        for ev in net.get("sc_golden", []):
            acc = np.array(ev["accuracy"]) * 100
            lines.append(f"| {net['label']}, SC golden (L = k) | {ev['source']} | {acc[0]:.2f} | "
                         + " | ".join(f"{acc[k - 1]:.2f}" for k in ks) + " | |")
    return "\n".join(lines) + "\n"
