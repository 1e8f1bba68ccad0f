"""The generated designs by name: one place that turns design options into a component and its
module name.

`mtjsc verilog`, `mtjsc area`, `mtjsc cosim`, the demo and the studies all build their
designs here, so a design has one name wherever it is written, synthesised or simulated:

* ``mtjsc_<block>_...`` for the blocks (:func:`mtjsc.hdl.catalog.make_block`);
* ``mtjsc_sc_mlp_core_...`` / ``mtjsc_or_mlp_core_...`` for the network cores (:func:`core_name`);
* ``mtjsc_acc_<model>_L.._<apc>_P.._W..[_entropy]`` for the accelerator (:func:`accelerator_module`).

Simulation builds use :func:`core_name` and :func:`accelerator_build_name` (no ``mtjsc_``
prefix; the build name adds the seed, which the on-chip LFSR seeds depend on).
"""

from __future__ import annotations

import dataclasses
import re
import sys

from mtjsc.config import FPGA_LANES, FPGA_PARALLEL, FPGA_PASS_MAJOR, FPGA_STREAM_LANES, ScConfig, check_apc, check_length
from mtjsc.errors import MtjscError
from mtjsc.validate import check_int, check_seed

VERILOG_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*\Z")
#: Accelerator SNG kinds: on-chip LFSR comparator SNGs, or random bytes through an entropy port.
SNG_KINDS = ("lfsr", "entropy")


@dataclasses.dataclass(frozen=True)
class Design:
    """A component ready to write or synthesise: the component, its module name, what it is
    (a block name, ``core`` or ``accelerator``) and the parameters the manifest records."""

    component: object
    module: str
    block: str
    parameters: dict


def _t(cfg: ScConfig) -> str:
    """The name part of T stream indices per clock (none for T = 1, the names designs had before T) and
    of the pass-major schedule (Tb = L)."""
    return ("" if cfg.stream_lanes == 1 else f"_T{cfg.stream_lanes}") + ("_pass" if cfg.pass_major else "")


def core_name(cfg: ScConfig) -> str:
    """Build name of an :class:`ScMlpCore` or :class:`OrMlpCore` (one cached build per geometry)."""
    if cfg.neuron == "or":
        return f"or_mlp_core_L{cfg.L}_H{cfg.hidden}_P{cfg.neurons_in_parallel}_W{cfg.lanes}"
    return (f"sc_mlp_core_L{cfg.L}_K{cfg.K[0]}_{cfg.apc}_H{cfg.hidden}_P{cfg.neurons_in_parallel}{_t(cfg)}"
            f"_W{cfg.lanes}")


def accelerator_build_name(cfg: ScConfig, seed: int, sng: str = "lfsr", early_exit=None, number_fanout=None) -> str:
    """Build name of a co-simulated accelerator (its LFSR seeds depend on ``seed``; ``number_fanout`` as
    :func:`make_accelerator` takes it)."""
    tail = f"_s{seed}" if sng == "lfsr" else "_entropy"
    if number_fanout is not None:
        tail += f"_F{number_fanout}"
    if early_exit is not None:
        tail += f"_x{early_exit.rule[0]}{early_exit.block}" + (f"m{early_exit.margin}" if early_exit.margin else "")
    kind = "or" if cfg.neuron == "or" else "sc"
    return (f"{kind}_mlp_acc_L{cfg.L}_K{cfg.K[0]}_{cfg.apc}_P{cfg.neurons_in_parallel}_W{cfg.lanes}{_t(cfg)}"
            f"_B{cfg.sng_bits}_R{cfg.lfsr_width}{tail}")


def accelerator_module(model_name: str, cfg: ScConfig, sng: str = "lfsr") -> str:
    """The accelerator's module name in written Verilog (the model's name made an identifier: ``or-L256``
    gives ``or_L256``)."""
    return (f"mtjsc_acc_{re.sub(r'[^A-Za-z0-9_]', '_', model_name)}_L{cfg.L}_{cfg.apc}_P{cfg.neurons_in_parallel}_W{cfg.lanes}"
            + _t(cfg) + ("_entropy" if sng == "entropy" else ""))


def check_module_name(name: str | None, flag: str = "--name") -> str | None:
    if name is not None and not VERILOG_IDENTIFIER.match(name):
        raise MtjscError(f"{flag} {name!r} is not a Verilog identifier; use letters, digits, _ and $, "
                         f"starting with a letter or _ (it is also the file name)")
    return name


def check_sng(sng: str, flag: str = "--sng") -> str:
    if sng not in SNG_KINDS:
        raise MtjscError(f"{flag} {sng!r}: choose lfsr (on-chip LFSR SNGs) or entropy (an entropy port)")
    return sng


def make_accelerator(*, model, config: ScConfig, seed: int = 0, sng: str = "lfsr", early_exit=None,
                     number_fanout=None):
    """The accelerator ``config`` describes: :class:`~mtjsc.hdl.accelerator.ScMlpAccelerator` (Tb = 1) or
    the pass-major :class:`~mtjsc.hdl.blocked.BlockedScAccelerator` (Tb = L, ``config.pass_major``);
    ``number_fanout`` (pass-major only; None: its default) is that design's knob of the same name."""
    if isinstance(config, ScConfig) and config.pass_major:
        from mtjsc.hdl.blocked import BlockedScAccelerator
        kw = {} if number_fanout is None else {"number_fanout": number_fanout}
        return BlockedScAccelerator(model=model, config=config, seed=seed, sng=sng, early_exit=early_exit, **kw)
    from mtjsc.hdl.accelerator import ScMlpAccelerator
    return ScMlpAccelerator(model=model, config=config, seed=seed, sng=sng, early_exit=early_exit)


def parse_stream_block(value, L: int):
    """``--stream-block``: ``auto`` (None), ``L`` (the stream length) or an integer."""
    if value is None or str(value).strip().lower() == "auto":
        return None
    if str(value).strip().upper() == "L":
        return L
    try:
        return int(value)
    except (TypeError, ValueError):
        raise MtjscError(f"--stream-block {value!r} is not a block length; give auto, 1 (index-major) or L "
                         f"(pass-major, here {L})") from None


def parse_stream_lanes(value):
    """``--stream-lanes``: ``auto`` (None) or an integer."""
    if value is None or str(value).strip().lower() == "auto":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise MtjscError(f"--stream-lanes {value!r} is not a number of stream indices per clock; give auto or "
                         f"an integer that divides L") from None


def default_lanes() -> list:
    """The T a pass-major design tries, the default first: FPGA_STREAM_LANES and its halves down to 1."""
    out, t = [], FPGA_STREAM_LANES
    while t >= 1:
        out.append(t)
        t //= 2
    return out


def model_and_config(model: str, L: int, *, apc: str = "exact", sng_bits: int = 8, lfsr_width: int = 32,
                     parallel: int = FPGA_PARALLEL, lanes: int = FPGA_LANES, stream_lanes=1,
                     stream_block=1, sng: str = "lfsr", early_exit=None, pass_major: bool = True,
                     warn=None) -> tuple:
    """``(name, model, ScConfig)`` for a model spec (``auto``, a shipped name or a file) at stream
    length ``L``; ``warn(text)`` (default: a line on stderr) is told when the model was trained for
    another APC kind than ``apc``.

    ``stream_lanes`` (T) and ``stream_block`` (Tb) may be ``"auto"``: the default design
    (:data:`~mtjsc.config.FPGA_PASS_MAJOR`), pass-major (Tb = L) with T =
    :data:`~mtjsc.config.FPGA_STREAM_LANES` or the largest of its halves that L and the options allow,
    and index-major (Tb = 1, T = 1) where the pass-major design cannot take the options
    (an OR network, ``sng="entropy"``, ``early_exit``, an odd W or P with the approximate APC), or
    where the caller cannot (``pass_major=False``: the board wraps the index-major accelerator).
    """
    from mtjsc.evaluate import resolve_model
    from mtjsc.hdl.blocked import check_pass_config
    from mtjsc.model import apc_mismatch
    check_apc(apc)
    name, m = resolve_model(model, L, apc)
    warning = apc_mismatch(name, m, apc)
    if warning:
        (warn or (lambda s: print(f"mtjsc: warning: {s}", file=sys.stderr)))(warning)
    T, Tb = parse_stream_lanes(stream_lanes), parse_stream_block(stream_block, L)

    def make(T, Tb):
        return ScConfig.from_model(m, L=L, apc=apc, sng_bits=sng_bits, lfsr_width=lfsr_width,
                                   parallel_neurons=parallel, input_lanes=lanes, stream_lanes=T, stream_block=Tb)

    if Tb is None or T is None:
        candidates = []
        if (Tb == L or (Tb is None and FPGA_PASS_MAJOR)) and pass_major and L > 1:
            candidates += [(t, L) for t in (default_lanes() if T is None else [T])]
        if Tb in (None, 1):
            candidates.append((1 if T is None else T, 1))
        for t, tb in candidates:
            try:
                cfg = make(t, tb)
                if cfg.pass_major:
                    check_pass_config(cfg, sng, early_exit)
                return name, m, cfg
            except MtjscError:
                if (t, tb) == candidates[-1]:       # the last choice: its error is the user's
                    T, Tb = t, tb
        T = 1 if T is None else T                   # a block length that is neither 1 nor L: its error follows
    try:
        cfg = make(T, Tb)
    except MtjscError as e:
        if "stream_lanes" in str(e):
            raise MtjscError(f"--stream-lanes {stream_lanes}: {e}") from None
        if "stream_block" in str(e):
            raise MtjscError(f"--stream-block {stream_block}: {e}") from None
        raise
    if cfg.pass_major and pass_major:        # asked for by name: whether the pass-major design takes the options
        try:
            check_pass_config(cfg, sng, early_exit)
        except MtjscError as e:
            raise MtjscError(f"--stream-block {stream_block}: {e}") from None
    return name, m, cfg


def design(block: str, *, model: str = "auto", length: int = 256, apc: str = "exact", sng_bits: int = 8,
           lfsr_width: int = 32, parallel: int = FPGA_PARALLEL, lanes: int = FPGA_LANES, stream_lanes="auto",
           stream_block="auto", layer: int = 0,
           n: int | None = None, K: int | None = None, pipeline: int = 0, score_bits: int = 0, seed: int = 0,
           sng: str = "lfsr", name: str | None = None, early_exit=None, warn=None) -> Design:
    """The design the `mtjsc verilog` / `mtjsc area` options describe.

    Parameters
    ----------
    block : str
        A block of :data:`mtjsc.hdl.catalog.BLOCKS`, ``core`` (the network core of the model) or
        ``accelerator`` (pixels in, SNGs on chip or an entropy port).
    model : str
        ``auto`` (the shipped model for ``length`` and ``apc``), a shipped name or a ``.npz`` file.
    length, apc, sng_bits, lfsr_width, parallel, lanes, stream_lanes, stream_block
        L, the APC kind, the SNG resolution B, the LFSR width, P neurons, W inputs, T stream indices
        per clock and Tb stream indices per threshold read (1, or L or ``"L"``: the pass-major design);
        ``"auto"`` as :func:`model_and_config` (the accelerator's default design; T = Tb = 1 for a
        block or the core).
    layer, n, K, pipeline, score_bits
        Blocks only: the layer, fan-in, Btanh size, APC register stages and count accumulator width.
    seed : int
        Run seed of the LFSR seed schedule.
    sng : {"lfsr", "entropy"}
        Accelerator only.
    early_exit : ExitRule, optional
        Accelerator only: stop an image once its class is decided (``--early-exit``).
    name : str, optional
        Module name (default: derived from the parameters).
    """
    from mtjsc.hdl.catalog import make_block
    check_module_name(name)
    L = check_length(length)
    model_name, m, cfg = model_and_config(model, L, apc=apc, sng_bits=sng_bits, lfsr_width=lfsr_width,
                                          parallel=parallel, lanes=lanes, stream_lanes=stream_lanes,
                                          stream_block=stream_block, sng=sng, early_exit=early_exit,
                                          pass_major=block == "accelerator", warn=warn)
    if early_exit is not None and block != "accelerator":
        raise MtjscError(f"--early-exit is a property of the accelerator (--block accelerator), not of {block!r}")
    if cfg.pass_major and block != "accelerator":
        raise MtjscError(f"--stream-block {stream_block} (the pass-major schedule) is a property of the accelerator "
                         f"(--block accelerator), not of {block!r}; omit it")
    if block == "core":
        from mtjsc.hdl.core import ScMlpCore
        from mtjsc.hdl.or_core import OrMlpCore
        core = OrMlpCore(config=cfg) if cfg.neuron == "or" else ScMlpCore(config=cfg)
        return Design(core, name or f"mtjsc_{core_name(cfg)}", "core",
                      {"model": model_name, "neuron": cfg.neuron, "config": cfg.as_dict(),
                       "schedule": core.schedule.as_dict()})
    if block == "accelerator":
        check_sng(sng)
        try:
            acc = make_accelerator(model=m, config=cfg, seed=check_seed(seed, "--seed"), sng=sng,
                                   early_exit=early_exit)
        except MtjscError as e:
            if early_exit is not None and "early" in str(e):
                raise MtjscError(f"--early-exit: {e}") from None
            raise
        module = accelerator_module(model_name, cfg, sng) + ("" if early_exit is None else "_exit")
        return Design(acc, name or module, "accelerator",
                      {"model": model_name, "sng": sng, "early_exit": acc.schedule.as_dict().get("early_exit")})
    layer = check_int(layer, "--layer", minimum=0, maximum=1, fix="0 = hidden layer, 1 = output layer")
    if K is not None:      # an explicit K replaces the model's for that layer
        Ks = list(cfg.K)
        Ks[layer] = K
        cfg = cfg.with_(K=tuple(Ks))
    comp, module, params = make_block(block, cfg, layer=layer, n=n, pipeline_stages=pipeline,
                                      score_bits=score_bits, seed=seed)
    return Design(comp, name or module, block, {**params, "model": model_name, "layer": layer,
                                                "config": cfg.as_dict()})


def write_verilog(d: Design, out) -> dict:
    """Write ``<module>.v`` and its JSON manifest into directory ``out``; return what was written."""
    from mtjsc.hdl.export import write
    from mtjsc.output import check_output_dir
    out = check_output_dir(out, "--out")
    v, j = write(d.component, d.module, d.block, d.parameters, out)
    info = {"verilog": str(v), "manifest": str(j), "module": d.module, "parameters": d.parameters}
    if d.block == "accelerator":
        info.update(cycles_per_image=d.component.cycles_per_image(),
                    memory_bits=d.component.describe()["memory_bits"])
    return info
