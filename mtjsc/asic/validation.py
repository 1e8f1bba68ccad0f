"""Blocks whose toggles are known without a simulator, to validate the activity method.

:class:`FreeCounter` counts every clock: bit k of its register changes every
2^k clocks. :class:`FreeLfsr` is the project's :class:`~mtjsc.hdl.lfsr.Lfsr`
with ``en`` high, so its state sequence is the golden LFSR definition's.
Each has a ``reference_toggles(cycles)`` that counts the transitions of its
register bits over the clocks the free-running harness simulates.
"""

from __future__ import annotations

import numpy as np
from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import Out

from mtjsc.behavioral_models import lfsr as lfsr_def
from mtjsc.hdl.lfsr import Lfsr
from mtjsc.hdl.tags import add_submodule
from mtjsc.validate import check_int


def _bit_toggles(states: np.ndarray, width: int) -> list:
    bits = (np.asarray(states, np.uint64)[:, None] >> np.arange(width, dtype=np.uint64)) & np.uint64(1)
    return np.count_nonzero(np.diff(bits.astype(np.int8), axis=0), axis=0).tolist()


class FreeCounter(wiring.Component):
    """A ``width``-bit counter that adds 1 every clock (reset value 0)."""

    def __init__(self, *, width: int = 8):
        self.width = check_int(width, "counter width", minimum=1, maximum=32)
        super().__init__({"count": Out(self.width)})

    def reference_toggles(self, cycles: int) -> list:
        """Transitions of each register bit over ``cycles`` clocks from 0: floor(cycles / 2^k) for bit k."""
        return [cycles >> k for k in range(self.width)]

    def elaborate(self, platform):
        m = Module()
        c = Signal(self.width, name="c")
        m.d.sync += c.eq(c + 1)
        m.d.comb += self.count.eq(c)
        return m


class FreeLfsr(wiring.Component):
    """The project's Galois LFSR, stepping every clock (B = 1), from ``seed``."""

    def __init__(self, *, width: int = 32, seed: int = 1):
        self.lfsr = Lfsr(width=width, bits=1, seed=seed)
        self.width = width
        super().__init__({"value": Out(1)})

    def reference_toggles(self, cycles: int) -> list:
        """Transitions of each state bit over ``cycles`` clocks from the seed (the golden LFSR)."""
        states = [self.lfsr.seed]
        for _ in range(cycles):
            states.append(lfsr_def.step(states[-1], self.width))
        return _bit_toggles(np.array(states, np.uint64), self.width)

    def elaborate(self, platform):
        m = Module()
        lf = add_submodule(self, m, "lfsr", self.lfsr, "sng")
        m.d.comb += [lf.en.eq(1), lf.load.eq(0), self.value.eq(lf.value)]
        return m


class FreeScNeuron(wiring.Component):
    """A mid-size SC datapath, free running: ``2 n`` comparator SNGs, each on its own LFSR (``width`` bits,
    leaping B = 8 steps a clock) against a fixed threshold, feed the ``x`` and ``w`` streams of an
    :class:`~mtjsc.hdl.neuron.ScNeuron` (XNOR, APC, Btanh, a score register) that restarts every 256 clocks.

    Its toggles are not counted by hand: it is the block of the OpenSTA cross-check at the size and mix
    of an accelerator slice (SNG, XNOR, APC, Btanh), where the counter and the LFSR are single blocks.
    """

    def __init__(self, *, n: int = 32, width: int = 16, seed: int = 1):
        from mtjsc.hdl.params import check_fan_in
        self.n = check_fan_in(n)
        self.width = lfsr_def.check_width(width)
        rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
        self.seeds = [int(s) for s in rng.integers(1, 1 << self.width, 2 * self.n)]
        self.thresholds = [int(q) for q in rng.integers(0, 257, 2 * self.n)]
        super().__init__({"y": Out(1), "score": Out(16)})

    def elaborate(self, platform):
        from amaranth import Cat, Const

        from mtjsc.hdl.lfsr import ComparatorSng
        from mtjsc.hdl.neuron import ScNeuron
        m = Module()
        B, lanes = 8, 2 * self.n
        lfsrs = [add_submodule(self, m, f"lfsr{i}", Lfsr(width=self.width, bits=B, seed=s), "sng")
                 for i, s in enumerate(self.seeds)]
        sng = add_submodule(self, m, "sng", ComparatorSng(bits=B, lanes=lanes), "sng")
        neuron = add_submodule(self, m, "neuron", ScNeuron(n=self.n, K=2 * self.n, score_bits=16), None)
        t = Signal(8, name="t")
        m.d.sync += t.eq(t + 1)
        for lf in lfsrs:
            m.d.comb += [lf.en.eq(1), lf.load.eq(0)]
        m.d.comb += [sng.r.eq(Cat(*[lf.value for lf in lfsrs])),
                     sng.q.eq(Cat(*[Const(q, B + 1) for q in self.thresholds])),
                     neuron.x.eq(sng.bit[:self.n]), neuron.w.eq(sng.bit[self.n:]),
                     neuron.valid.eq(1), neuron.start.eq(t == 0),
                     self.y.eq(neuron.y), self.score.eq(neuron.score)]
        return m
