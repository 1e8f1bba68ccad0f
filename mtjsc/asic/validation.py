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
