"""One SC neuron: XNOR array, APC, Btanh counter, optional count accumulator."""

from __future__ import annotations

import numpy as np
from amaranth import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from mtjsc.behavioral_models.golden import btanh_layer
from mtjsc.hdl.apc import ApproxParallelCounter
from mtjsc.hdl.btanh import BtanhCounter
from mtjsc.hdl.params import check_apc, check_count, check_fan_in, check_K
from mtjsc.hdl.xnor import XnorArray
from mtjsc.hdl.tags import add_submodule


class ScNeuron(wiring.Component):
    """XNOR array + APC + Btanh: one stream index per clock.

    Drive ``x``, ``w`` with ``valid``; raise ``start`` with the first bit of
    each stream. ``count`` (with ``count_valid``) is the APC output
    :attr:`latency` clocks later; ``y`` (with ``y_valid``) is the Btanh bit
    one clock after that. With ``score_bits`` > 0, ``score`` accumulates the
    counts of the current stream (the output-layer readout), valid with ``y``.

    Parameters
    ----------
    n : int
        Fan-in (bias included).
    K : int
        Btanh size, even.
    kind : {"exact", "approx"}
        APC kind.
    pipeline_stages : int
        APC register stages.
    score_bits : int
        Width of the count accumulator (0 = none).
    """

    def __init__(self, *, n: int, K: int, kind: str = "exact", pipeline_stages: int = 0, score_bits: int = 0):
        self.n = check_fan_in(n)
        self.K = check_K(K)
        self.kind = check_apc(kind)
        self.pipeline_stages = check_count(pipeline_stages, "pipeline_stages")
        self.score_bits = check_count(score_bits, "score_bits")
        self.latency = self.pipeline_stages
        ports = {"x": In(self.n), "w": In(self.n), "valid": In(1), "start": In(1),
                 "count": Out(range(self.n + 1)), "count_valid": Out(1), "y": Out(1), "y_valid": Out(1)}
        if self.score_bits:
            ports["score"] = Out(self.score_bits)
        super().__init__(ports)

    def reference(self, x_bits, w_bits) -> dict:
        """Counts, output bits and running score for one stream: x_bits, w_bits bool [L, n]."""
        counts, y = btanh_layer(np.asarray(x_bits, bool), np.asarray(w_bits, bool)[:, None, :], self.K, self.kind)
        c = counts[:, 0].astype(np.int64)
        return {"count": c, "y": y[:, 0], "score": np.cumsum(c)}

    def elaborate(self, platform):
        m = Module()
        xnor = add_submodule(self, m, "xnor", XnorArray(n=self.n), "xnor")
        apc = add_submodule(self, m, "apc", ApproxParallelCounter(n=self.n, kind=self.kind,
                                                                  pipeline_stages=self.pipeline_stages), "apc")
        btanh = add_submodule(self, m, "btanh", BtanhCounter(n=self.n, K=self.K), "btanh")
        m.d.comb += [xnor.x.eq(self.x), xnor.w.eq(self.w), apc.bits.eq(xnor.p)]
        # valid/start travel beside the APC pipeline
        valid, start = self.valid, self.start
        for i in range(self.latency):
            v, s = Signal(name=f"valid_d{i}"), Signal(name=f"start_d{i}")
            m.d.sync += [v.eq(valid), s.eq(start)]
            valid, start = v, s
        m.d.comb += [self.count.eq(apc.count), self.count_valid.eq(valid),
                     btanh.count.eq(apc.count), btanh.en.eq(valid), btanh.start.eq(start),
                     self.y.eq(btanh.y)]
        m.d.sync += self.y_valid.eq(valid)
        if self.score_bits:
            score = Signal(self.score_bits)
            with m.If(valid):
                m.d.sync += score.eq(apc.count + Mux(start, 0, score))
            m.d.comb += self.score.eq(score)
        return m
