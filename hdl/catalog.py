"""Blocks by name, for `mtjsc verilog` and the tests: one place that maps CLI options to components."""

from __future__ import annotations

from mtjsc.behavioral_models import lfsr as lfsr_def
from mtjsc.errors import MtjscError
from mtjsc.hdl.apc import ApproxParallelCounter
from mtjsc.hdl.btanh import BtanhCounter
from mtjsc.hdl.lfsr import ComparatorSng, Lfsr
from mtjsc.hdl.neuron import ScNeuron
from mtjsc.hdl.xnor import XnorArray

BLOCKS = ("xnor", "apc", "btanh", "neuron", "lfsr", "sng")


def make_block(block: str, *, n: int = 785, K: int = 236, apc: str = "exact", pipeline_stages: int = 0,
               score_bits: int = 0, width: int = 32, bits: int = 8, seed: int = 0) -> tuple:
    """Build block ``block``; return ``(component, module_name, parameters)``.

    For ``lfsr`` the initial state is the seed schedule's state of SNG
    (layer 0, input role, index 0) for run ``seed``.
    """
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
    elif block == "lfsr":
        state = lfsr_def.seed_state(seed, 0, lfsr_def.ROLE_INPUT, 0, width)
        params = {"width": width, "bits": bits, "seed": state}
        c = Lfsr(**params)
    elif block == "sng":
        params = {"bits": bits}
        c = ComparatorSng(**params)
    else:
        raise MtjscError(f"unknown block {block!r}; choose one of {BLOCKS}")
    short = {"n": "n", "K": "K", "kind": "", "pipeline_stages": "p", "score_bits": "s", "width": "w", "bits": "b"}
    suffix = "_".join(f"{short[k]}{v}" for k, v in params.items() if k in short and not (k == "score_bits" and not v))
    return c, f"mtjsc_{block}_{suffix}", params
