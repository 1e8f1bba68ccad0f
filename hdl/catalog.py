"""Blocks by name, for `mtjsc verilog` and the tests: one place that maps options to components."""

from __future__ import annotations

from mtjsc.behavioral_models import lfsr as lfsr_def
from mtjsc.config import ScConfig
from mtjsc.errors import MtjscError
from mtjsc.hdl.apc import ApproxParallelCounter
from mtjsc.hdl.btanh import BtanhCounter
from mtjsc.hdl.lfsr import ComparatorSng, Lfsr
from mtjsc.hdl.neuron import ScNeuron
from mtjsc.hdl.xnor import XnorArray
from mtjsc.validate import check_int, check_seed

BLOCKS = ("xnor", "apc", "btanh", "neuron", "lfsr", "sng", "or_neuron")
#: Whole designs `mtjsc verilog --block` also writes (built from a model, not by make_block):
#: the accelerator (Btanh models) and the network core (ScMlpCore, or OrMlpCore for OR models).
DESIGNS = ("accelerator", "core")


def score_bits_needed(n: int, L: int) -> int:
    """Width of a count accumulator over one stream: scores reach n * L."""
    return (int(n) * int(L)).bit_length()


def make_block(block: str, config: ScConfig, *, layer: int = 0, n: int | None = None, pipeline_stages: int = 0,
               score_bits: int = 0, seed: int = 0) -> tuple:
    """Build block ``block`` of layer ``layer`` of ``config``; return ``(component, module_name, parameters)``.

    K, the APC kind, B and the LFSR width come from ``config``; ``n``
    defaults to the layer's fan-in. A neuron's ``score_bits`` must hold
    n * L. For ``lfsr`` the initial state is the seed schedule's state of
    SNG (layer, input role, index 0) for run ``seed``.
    """
    if not isinstance(config, ScConfig):
        raise MtjscError(f"config must be an ScConfig, got {type(config).__name__}")
    layer = check_int(layer, "layer", minimum=0, maximum=1, fix="0 = hidden layer, 1 = output layer")
    n = config.fan_in[layer] if n is None else n
    K, apc = config.K[layer], config.apc
    seed = check_seed(seed)
    if block == "xnor":
        params = {"n": n}
        c = XnorArray(n=n)
    elif block == "apc":
        params = {"n": n, "kind": apc, "pipeline_stages": pipeline_stages}
        c = ApproxParallelCounter(**params)
    elif block == "btanh":
        params = {"n": n, "K": K}
        c = BtanhCounter(**params)
    elif block == "neuron":
        params = {"n": n, "K": K, "kind": apc, "pipeline_stages": pipeline_stages, "score_bits": score_bits}
        c = ScNeuron(**params)
        need = score_bits_needed(c.n, config.L)
        if c.score_bits and c.score_bits < need:
            raise MtjscError(f"score_bits={c.score_bits} is too narrow: a score reaches n*L = {c.n}*{config.L} = "
                             f"{c.n * config.L}, which needs {need} bits; use {need} or more (or 0 for no score)")
    elif block == "lfsr":
        state = lfsr_def.seed_state(seed, layer, lfsr_def.ROLE_INPUT, 0, config.lfsr_width)
        params = {"width": config.lfsr_width, "bits": config.sng_bits, "seed": state}
        c = Lfsr(**params)
    elif block == "or_neuron":
        from mtjsc.hdl.or_core import OrNeuron
        params = {"n": n}
        c = OrNeuron(**params)
    elif block == "sng":
        params = {"bits": config.sng_bits}
        c = ComparatorSng(**params)
    else:
        raise MtjscError(f"unknown block {block!r}; choose one of {BLOCKS + DESIGNS}")
    short = {"n": "n", "K": "K", "kind": "", "pipeline_stages": "p", "score_bits": "s", "width": "w", "bits": "b"}
    suffix = "_".join(f"{short[k]}{v}" for k, v in params.items() if k in short and not (k == "score_bits" and not v))
    return c, f"mtjsc_{block}_{suffix}", params
