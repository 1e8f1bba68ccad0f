"""Option groups shared by the commands, each defined once with one default.

A command adds the groups it takes (``add_design_options(parser)``) and turns the parsed
arguments into library keyword arguments with the matching ``*_kwargs(args)`` (as LiteX's
``*_args`` / ``*_argdict`` pairs do), so a new option is written in one place.
"""

from __future__ import annotations

import argparse
import sys

from mtjsc.behavioral_models.mtj import READ_PERIOD_RATIO
from mtjsc.config import FPGA_LANES, FPGA_PARALLEL, FPGA_PASS_MAJOR, FPGA_STREAM_LANES, ScConfig
from mtjsc.errors import MtjscError

#: Defaults every command shares: the comparator-SNG resolution B and the LFSR width.
SNG_BITS = ScConfig.__dataclass_fields__["sng_bits"].default
LFSR_WIDTH = ScConfig.__dataclass_fields__["lfsr_width"].default


def progress_bar(total: int, desc: str, unit: str = "img"):
    """A tqdm bar on stderr (hidden when stderr is not a terminal)."""
    from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit=unit, unit_scale=True, dynamic_ncols=True, disable=None,
                file=sys.stderr)


def parse_list(text, flag: str, convert=str, example: str = "") -> list:
    """A comma-separated option as a list; an empty list or an item ``convert`` rejects is an error
    naming ``flag`` and the user's value."""
    items = [x.strip() for x in str(text).split(",") if x.strip()]
    if not items:
        raise MtjscError(f"{flag} {text!r} names nothing; give a comma-separated list" +
                         (f", e.g. {example}" if example else ""))
    try:
        return [convert(x) for x in items]
    except ValueError:
        raise MtjscError(f"{flag} {text!r}: give comma-separated {convert.__name__} values" +
                         (f", e.g. {example}" if example else "")) from None


class _Deprecated(argparse.Action):
    """An old spelling of an option: stores into the new option's destination, with a warning."""

    def __init__(self, option_strings, dest, new: str, **kw):
        self.new = new
        super().__init__(option_strings, dest, **kw)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"mtjsc: warning: {option_string} is deprecated; use {self.new} (the old spelling goes in the "
              f"next release)", file=sys.stderr)
        setattr(namespace, self.dest, values)
        setattr(namespace, f"_flag_{self.dest}", option_string)


def spelled(a, dest: str, flag: str) -> str:
    """The spelling of option ``dest`` the user typed (a deprecated alias, or ``flag``), for messages."""
    return getattr(a, f"_flag_{dest}", flag)


def add_deprecated_alias(parser, old: str, new: str, dest: str, type=None) -> None:
    """Accept ``old`` as a deprecated spelling of option ``new`` (destination ``dest``)."""
    parser.add_argument(old, dest=dest, action=_Deprecated, new=new, type=type, default=argparse.SUPPRESS,
                        help=argparse.SUPPRESS)


# ----------------------------------------------------------------------------- design options

def add_design_options(p, *, length: int = 256, blocks: bool = True) -> None:
    """What describes a block, the core or the accelerator (`verilog`, `area`, and with
    ``blocks=False`` `cosim`): model, L, P, W, APC, B, LFSR width, seed."""
    p.add_argument("--model", default="auto",
                   help="model whose K and fan-in the design takes: auto (shipped model for --length and --apc), "
                        "a shipped name or a .npz file")
    p.add_argument("--length", type=int, default=length, help=f"stream length L (default {length})")
    p.add_argument("--parallel", type=int, default=FPGA_PARALLEL,
                   help=f"P: hidden neurons per clock (0 = all; default {FPGA_PARALLEL}, routed on an ECP5-85F)")
    p.add_argument("--lanes", type=int, default=FPGA_LANES,
                   help=f"W: inputs per clock (0 = the whole fan-in; default {FPGA_LANES}); P W (B+1) bits of "
                        "weight thresholds per clock must fit the EBR ports")
    add_apc_option(p)
    p.add_argument("--stream-lanes", default="auto", metavar="T",
                   help=f"T: stream indices per clock (bit-parallel SC; T copies of the datapath share each "
                        f"threshold read; T divides L; default auto: {FPGA_STREAM_LANES} or the largest of its "
                        f"halves that L allows for the pass-major design, 1 for the index-major one)")
    p.add_argument("--stream-block", default="auto", metavar="Tb",
                   help="Tb: stream indices per threshold read: 1 (ScMlpAccelerator) or L (the pass-major "
                        "BlockedScAccelerator: each threshold read once per image); default auto: "
                        + ("L where the options allow (Btanh, lfsr SNGs, no early exit), else 1" if FPGA_PASS_MAJOR
                           else "1"))
    p.add_argument("--sng-bits", type=int, default=SNG_BITS, help=f"comparator-SNG resolution B (default {SNG_BITS})")
    p.add_argument("--lfsr-width", type=int, default=LFSR_WIDTH, help=f"LFSR width in bits (default {LFSR_WIDTH})")
    p.add_argument("--seed", type=int, default=0, help="run seed of the LFSR seed schedule (default 0)")
    add_early_exit_option(p)
    if not blocks:
        return
    p.add_argument("--layer", type=int, default=0, help="block: 0 = hidden layer, 1 = output layer")
    p.add_argument("--fan-in", dest="n", type=int, default=None, help="block: fan-in n (default: the layer's, "
                                                                       "bias included)")
    add_deprecated_alias(p, "--n", "--fan-in", "n", type=int)
    p.add_argument("--K", type=int, default=None, help="block: Btanh size, even (default: the model's for the layer)")
    p.add_argument("--pipeline", type=int, default=0, help="block: APC register stages")
    p.add_argument("--score-bits", type=int, default=0, help="neuron: count accumulator width (0 = none)")
    p.add_argument("--sng", default="lfsr", help="accelerator: lfsr (on-chip LFSR SNGs) | entropy (entropy port)")
    p.add_argument("--name", help="module name (default: derived from the parameters)")


def add_early_exit_option(p) -> None:
    p.add_argument("--early-exit", default=None, metavar="RULE",
                   help="accelerator: stop an image when its class is decided, checked every Tb indices: "
                        "exact:Tb or margin:Tb:M (a lead of M score units); see mtjsc early-exit")


def parse_early_exit(text, flag: str = "--early-exit"):
    """``exact:16`` or ``margin:16:155`` as an :class:`~mtjsc.behavioral_models.early_exit.ExitRule`
    (None for None)."""
    from mtjsc.behavioral_models.early_exit import ExitRule
    if text is None:
        return None
    parts = str(text).split(":")
    fix = "give exact:Tb or margin:Tb:M, for example margin:16:155"
    try:
        if parts[0] == "exact" and len(parts) == 2:
            return ExitRule("exact", int(parts[1]))
        if parts[0] == "margin" and len(parts) == 3:
            return ExitRule("margin", int(parts[1]), int(parts[2]))
    except MtjscError as e:            # before ValueError: MtjscError is one
        raise MtjscError(f"{flag} {text!r}: {e}") from None
    except ValueError:                 # int() of a part that is not a number
        pass
    raise MtjscError(f"{flag} {text!r} is not an early-exit rule; {fix}")


def add_apc_option(p) -> None:
    p.add_argument("--apc", default="exact", help="APC kind: exact | approx (default exact)")


def design_kwargs(a) -> dict:
    """Keyword arguments of :func:`mtjsc.designs.design` from :func:`add_design_options`."""
    kw = {k: getattr(a, k) for k in ("model", "length", "parallel", "lanes", "apc", "sng_bits", "lfsr_width", "seed",
                                     "stream_lanes", "stream_block")}
    kw.update({k: getattr(a, k) for k in ("layer", "n", "K", "pipeline", "score_bits", "sng", "name") if hasattr(a, k)})
    kw["early_exit"] = parse_early_exit(getattr(a, "early_exit", None))
    return kw


def config_kwargs(a) -> dict:
    """Keyword arguments of :func:`mtjsc.designs.model_and_config` (besides model and L)."""
    return {"apc": a.apc, "sng_bits": a.sng_bits, "lfsr_width": a.lfsr_width, "parallel": a.parallel,
            "lanes": a.lanes, "stream_lanes": a.stream_lanes, "stream_block": a.stream_block}


# ----------------------------------------------------------------------------- stream source options

def add_source_options(p, *, default: str = "ideal", sources: str = "ideal | lfsr | mtj | mtj-pool") -> None:
    """The stream source and the ``mtj`` / ``mtj-pool`` device options (B and the LFSR width are design
    options)."""
    p.add_argument("--source", default=default, help=f"stream source: {sources} (default {default})")
    p.add_argument("--period-ratio", type=float, default=READ_PERIOD_RATIO,
                   help=f"mtj sources: read period T / tau_c (default {READ_PERIOD_RATIO:g})")
    p.add_argument("--levels", type=int, default=30, help="mtj sources: DAC levels per device (default 30)")
    p.add_argument("--calibration", default="device", help="mtj source: device | nominal (default device)")
    p.add_argument("--no-xnor", action="store_true", help="mtj source: one device per weight stream")
    p.add_argument("--mtj-gate", default="auto", choices=["auto", "xnor", "and"],
                   help="mtj source: gate of the two devices of a weight stream (auto: xnor for Btanh models, "
                        "and for OR models, whose small unipolar weights XNOR pairs cannot reach)")


SOURCE_DEFAULTS = {"period_ratio": READ_PERIOD_RATIO, "levels": 30, "calibration": "device", "no_xnor": False,
                   "mtj_gate": "auto"}


def source_kwargs(a) -> dict:
    """Source-specific options of a stream source from :func:`add_source_options`."""
    get = lambda k: getattr(a, k, SOURCE_DEFAULTS[k])  # noqa: E731  (commands without the group)
    if a.source == "mtj":
        opts = {"period_ratio": get("period_ratio"), "levels": get("levels"), "calibration": get("calibration"),
                "xnor": not get("no_xnor")}
        if get("mtj_gate") != "auto":
            opts["gate"] = get("mtj_gate")
        return opts
    if a.source == "mtj-pool":
        return {"period_ratio": get("period_ratio"), "levels": get("levels")}
    return {}


# ----------------------------------------------------------------------------- data, output, tools

def add_data_option(p, fallback: str = "") -> None:
    p.add_argument("--data", help="MNIST directory (default: $MTJSC_MNIST" + (f", then {fallback}" if fallback else "")
                                  + ")")


def add_images_option(p, default=None) -> None:
    p.add_argument("--images", type=int, default=default,
                   help="first N test images" + (" (default: all 10,000)" if default is None else f" (default {default})"))


def add_out_option(p, default: str | None, what: str = "output directory") -> None:
    if default is None:
        p.add_argument("--out", required=True, help=what)
    else:
        p.add_argument("--out", default=default, help=f"{what} (default {default})")


def add_cache_option(p) -> None:
    p.add_argument("--cache", help="Yosys result cache (default: $MTJSC_AREA_CACHE or ~/.cache/mtjsc/area)")


def add_train_images_option(p) -> None:
    p.add_argument("--train-images", type=int, default=None, help="use only the first N training images")
