"""`mtjsc lowprec`: test accuracy against fraction bits, nearest against stochastic rounding.

The trainer is :mod:`mtjsc.training.lowprec`; this module sweeps it over precisions and seeds
and writes the table.
"""

from __future__ import annotations

import numpy as np

from mtjsc.errors import MtjscError
from mtjsc.training import lowprec


def study(*, fracs, int_bits: int, randoms, seeds, epochs: int, lr: float, hidden: int, train_images=None,
          data=None, progress=None, log=None) -> dict:
    """Train the float network and every (fraction bits, rounding, random source) precision for each
    seed; the result ``rows`` hold the test accuracy (full test set) of every seed."""
    rows = []
    for prec in lowprec.sweep_configs(fracs, int_bits, randoms):
        accs = []
        for seed in seeds:
            r = lowprec.train_lowprec(prec, data=data, hidden=hidden, epochs=epochs, lr=lr, seed=seed,
                                      train_images=train_images, progress=progress)
            accs.append(r["test_accuracy"])
        rows.append({"label": r["label"], "precision": r["precision"], "frac": prec.frac if prec else None,
                     "round": prec.round if prec else "float", "bits": prec.bits if prec else None,
                     "accuracies": accs, "mean": float(np.mean(accs)), "min": min(accs), "max": max(accs)})
        if log is not None:
            log(f"   {r['label']:<32} {100 * rows[-1]['mean']:6.2f} %  (seeds {list(seeds)})")
    return {"int_bits": int_bits, "fracs": list(fracs), "seeds": list(seeds), "epochs": epochs, "lr": lr,
            "hidden": hidden, "train_images": train_images or 60000, "test_images": 10000, "rows": rows}


def check(fracs, int_bits: int, randoms, *, flag: str = "--fracs", int_flag: str = "--int-bits",
          bits_flag: str = "--bits") -> None:
    """The sweep's precisions, checked in the user's terms: a word is 1 + int_bits + frac bits, 2..32."""
    top = lowprec.MAX_WORD - 1 - int_bits
    for f in fracs:
        if not 0 <= f <= top:
            raise MtjscError(f"{flag} {f}: with {int_flag} {int_bits} a word holds 1 + {int_bits} + {f} = "
                             f"{1 + int_bits + f} bits, and words hold at most {lowprec.MAX_WORD}; give fraction "
                             f"bits 0..{top} (or fewer {int_flag})")
    for b in randoms:
        if b not in lowprec.RANDOM:
            raise MtjscError(f"{bits_flag} {b!r}: choose from {', '.join(lowprec.RANDOM)} (comma separated)")


def runs(fracs, int_bits: int, randoms) -> int:
    """Training runs per seed of :func:`study`."""
    return len(lowprec.sweep_configs(fracs, int_bits, randoms))


def markdown(res: dict) -> str:
    """Test accuracy (mean over seeds, full test set) per fraction width and rounding."""
    flt = next(r for r in res["rows"] if r["round"] == "float")
    kinds = []
    for r in res["rows"]:
        k = (r["round"], r["bits"])
        if r["round"] != "float" and k not in kinds:
            kinds.append(k)
    head = "| fraction bits | " + " | ".join("nearest" if k[0] == "nearest" else f"stochastic ({k[1]})"
                                            for k in kinds) + " |"
    lines = [f"Test accuracy on the full MNIST test set, mean of seeds {res['seeds']} "
             f"({res['epochs']} epochs of SGD, lr {res['lr']}, 784-{res['hidden']}-10 ReLU MLP, {res['int_bits']} "
             f"integer bits + sign; float: {100 * flt['mean']:.2f} %).", "", head,
             "|---|" + "---:|" * len(kinds)]
    for f in res["fracs"]:
        cells = []
        for k in kinds:
            r = next(r for r in res["rows"] if r["frac"] == f and (r["round"], r["bits"]) == k)
            cells.append(f"{100 * r['mean']:.2f} % [{100 * r['min']:.2f}, {100 * r['max']:.2f}]")
        lines.append(f"| {f} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
