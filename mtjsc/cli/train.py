"""`mtjsc train`: SC-aware training of the Btanh network, or of the OR, low-precision or sampled
binary networks (NumPy)."""

from __future__ import annotations

import json
import sys

from mtjsc.cli.options import add_apc_option, add_data_option, add_train_images_option, progress_bar
from mtjsc.errors import MtjscError
from mtjsc.output import check_output_file

HELP = "SC-aware training (NumPy)"



def _defaults(name: str) -> dict:
    """The trainers' own defaults of ``name`` (None on the command line means "the network's own")."""
    import inspect

    from mtjsc.training import binarynet, btanh, lowprec, ornet
    funcs = {"btanh": btanh.train, "or": ornet.train, "precision": lowprec.train_lowprec,
             "binary": binarynet.train_binary}
    return {k: inspect.signature(f).parameters[name].default for k, f in funcs.items()
            if name in inspect.signature(f).parameters}


EPOCHS, LR, TARGET_L = _defaults("epochs"), _defaults("lr"), _defaults("target_L")


def add_arguments(t) -> None:
    add_data_option(t)
    t.add_argument("--encoding", choices=["unit", "sym"], default="sym")
    t.add_argument("--gain", type=float, default=0.15, help="hidden gain g; K = round(2 n g)")
    t.add_argument("--epochs", type=int, default=None,
                   help="default " + ", ".join(f"{v} ({k})" for k, v in EPOCHS.items()))
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--target-L", type=int, default=None, help="stream length the noise injection is sized for "
                                                               "(default 1024; 256 with --neuron or)")
    t.add_argument("--neuron", default="btanh", help="btanh (default: Btanh counters, Shao et al.) or or "
                                                     "(OR-gate neurons, Daniels et al. 2020; takes --epochs "
                                                     "[15], --target-L, --hidden, --lr, --or-init, --shift, "
                                                     "--no-noise, --train-images)")
    t.add_argument("--or-init", type=float, default=0.04, help="--neuron or: first-layer weights start in "
                                                               "[-init, init]")
    t.add_argument("--hidden", type=int, default=128)
    t.add_argument("--lr", type=float, default=None,
                   help="learning rate (default " + ", ".join(f"{v:g} ({k})" for k, v in LR.items()) + ")")
    t.add_argument("--precision", help="train the fixed-point MLP instead (mtjsc.training.lowprec): float, or "
                                       "key=value pairs word=16,frac=8,round=nearest|stochastic,bits=ideal|lfsr|mtj,"
                                       "period=5,prob_bits=8")
    t.add_argument("--binary", help="train a sampled binary/ternary network instead (mtjsc.training.binarynet): "
                                    "key=value pairs mode=binary|ternary,act=sign|relu,sampling=stochastic|"
                                    "deterministic,bits=ideal|lfsr|mtj,period=5,prob_bits=8 (empty: the defaults)")
    t.add_argument("--sigma", choices=["exact", "crude"], default="exact")
    t.add_argument("--no-noise", action="store_true", help="train without noise injection (paper style)")
    add_apc_option(t)
    t.add_argument("--hidden-noise", type=float, default=28.0)
    t.add_argument("--noise-power", type=float, default=1.6)
    t.add_argument("--act-scale", type=float, default=1.0)
    t.add_argument("--shift", type=int, default=1, help="max pixel shift of the augmentation (0 = off)")
    add_train_images_option(t)
    t.add_argument("--out", required=True, help="model file to write (.npz)")


def _or_default(value, table: dict, kind: str):
    return table[kind] if value is None else value


def run(a) -> int:
    out = check_output_file(a.out, "--out")          # before the training run, not after it
    if a.precision is not None and a.binary is not None:
        raise MtjscError("--precision and --binary train different networks; give one of them")
    if a.precision is not None:
        return _lowprec(a, out)
    if a.binary is not None:
        return _binary(a, out)
    if a.neuron not in ("btanh", "or"):
        raise MtjscError(f"--neuron {a.neuron!r}: choose btanh (Shao et al.) or or (OR-gate neurons)")
    if a.neuron == "or":
        return _or(a, out)
    from mtjsc.training.btanh import check_training_options, train
    opts = dict(encoding=a.encoding, gain=a.gain, epochs=_or_default(a.epochs, EPOCHS, "btanh"), seed=a.seed,
                target_L=_or_default(a.target_L, TARGET_L, "btanh"), hidden=a.hidden,
                lr=_or_default(a.lr, LR, "btanh"), sigma=a.sigma, hidden_noise=a.hidden_noise,
                noise_power=a.noise_power, act_scale=a.act_scale, shift=a.shift, train_images=a.train_images,
                apc=a.apc)
    check_training_options(**opts)
    model = train(data=a.data, noise=not a.no_noise, log=lambda s: print(s, file=sys.stderr), **opts)
    model.save(out)
    print(json.dumps({"out": str(a.out), "float_accuracy": model.float_accuracy, "K": list(model.K),
                      "target_L": model.target_L, "apc": model.apc}))
    return 0


def _or(a, out) -> int:
    """An OR-gate neuron network on its expectation model (mtjsc.training.ornet)."""
    from mtjsc.training import ornet
    if a.apc != "exact":
        raise MtjscError(f"--apc {a.apc}: an OR network's output layer counts exactly; drop --apc")
    model = ornet.train(data=a.data, epochs=_or_default(a.epochs, EPOCHS, "or"), seed=a.seed,
                        target_L=_or_default(a.target_L, TARGET_L, "or"), hidden=a.hidden,
                        lr=_or_default(a.lr, LR, "or"), init=a.or_init, shift=a.shift, noise=not a.no_noise,
                        train_images=a.train_images, log=lambda s: print(s, file=sys.stderr))
    model.save(out)
    print(json.dumps({"out": str(a.out), "neuron": "or", "float_accuracy": model.float_accuracy,
                      "target_L": model.target_L, "hidden": model.hidden}))
    return 0


def _with_bar(a, kind: str, train):
    """``train(epochs, lr, progress, log)`` with the network's default epochs and rate and a progress bar."""
    epochs = _or_default(a.epochs, EPOCHS, kind)
    bar = progress_bar(epochs * (a.train_images or 60000), "training", unit="sample")
    try:
        return train(epochs, _or_default(a.lr, LR, kind), bar.update, lambda s: bar.write(s, file=sys.stderr))
    finally:
        bar.close()


def _lowprec(a, out) -> int:
    """The fixed-point MLP (mtjsc.training.lowprec), weights and record in --out."""
    from mtjsc.training import lowprec
    prec = lowprec.Precision.parse(a.precision)
    res = _with_bar(a, "precision", lambda epochs, lr, progress, log: lowprec.train_lowprec(
        prec, data=a.data, hidden=a.hidden, epochs=epochs, lr=lr, seed=a.seed, train_images=a.train_images,
        progress=progress, log=log))
    lowprec.save(res, out)
    print(json.dumps({"out": str(a.out), "precision": res["precision"], "label": res["label"],
                      "test_accuracy": res["test_accuracy"], "epochs": res["epochs"]}))
    return 0


def _binary(a, out) -> int:
    """Latent weights of a sampled binary/ternary network (mtjsc.training.binarynet)."""
    from mtjsc.training import binarynet
    spec = binarynet.BinarySpec.parse(a.binary)
    net = _with_bar(a, "binary", lambda epochs, lr, progress, log: binarynet.train_binary(
        spec, data=a.data, hidden=a.hidden, epochs=epochs, lr=lr, seed=a.seed, shift=a.shift,
        train_images=a.train_images, progress=progress, log=log))
    net.save(out)
    print(json.dumps({"out": str(a.out), "spec": spec.as_dict(), "one_sample_accuracy": net.record["history"][-1]}))
    return 0
