"""`mtjsc baseline`: quantization-aware training of the fixed-point 784-H-10 network per width,
the integer model's accuracy on the full test set, and the model files."""

from __future__ import annotations

from pathlib import Path

from mtjsc.training import fixedpoint


def epochs_per_width(widths, qat_epochs=None) -> list:
    """QAT epochs of each width (``None``: the trainer's default per width)."""
    return [fixedpoint.default_qat_epochs(w) if qat_epochs is None else qat_epochs for w in widths]


def study(widths, *, out, data=None, hidden: int = 128, float_epochs: int = 10, qat_epochs=None, lr: float = 3e-3,
          seed: int = 0, train_images=None, progress=None, log=None) -> dict:
    """Train the float network and every width; save ``fixed_<w>x<a>.npz`` into ``out``."""
    float_acc, models = fixedpoint.train_baselines(
        widths, data=data, hidden=hidden, float_epochs=float_epochs, qat_epochs=qat_epochs, lr=lr, seed=seed,
        train_images=train_images, progress=progress, log=log)
    rows = []
    for m in models:
        path = Path(out) / f"fixed_{m.wbits}x{m.abits}.npz"
        m.save(path)
        rows.append({"width": m.label, "wbits": m.wbits, "abits": m.abits, "test_accuracy": m.record["test_accuracy"],
                     "bounds": m.bounds(), "mult": m.mult, "shift": m.shift, "model": path.name})
    return {"float_accuracy": float_acc, "hidden": hidden, "float_epochs": float_epochs,
            "qat_epochs": epochs_per_width(widths, qat_epochs), "lr": lr, "seed": seed,
            "train_images": train_images or 60000, "rows": rows}


def markdown(res: dict) -> str:
    float_acc = res["float_accuracy"]
    lines = [f"Integer-model accuracy on the full MNIST test set, 784-{res['hidden']}-10 (float: "
             f"{100 * float_acc:.2f} % after {res['float_epochs']} epochs; seed {res['seed']}).", "",
             "| weights/activations | QAT epochs | test accuracy | vs float | largest hidden sum | largest score |",
             "|---|---:|---:|---:|---:|---:|"]
    for r, e in zip(res["rows"], res["qat_epochs"]):
        lines.append(f"| {r['width']} | {e} | {100 * r['test_accuracy']:.2f} % | "
                     f"{100 * (r['test_accuracy'] - float_acc):+.2f} | {r['bounds']['acc1']:,} | {r['bounds']['score']:,} |")
    return "\n".join(lines) + "\n"
