"""Bipolar SC multiplier array."""

from __future__ import annotations

from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from mtjsc.hdl.params import check_fan_in


class XnorArray(wiring.Component):
    """n XNOR gates: product stream bit ``p[i] = ~(x[i] ^ w[i])`` (bipolar multiply).

    Parameters
    ----------
    n : int
        Number of input/weight stream pairs.
    """

    def __init__(self, *, n: int):
        self.n = check_fan_in(n)
        super().__init__({"x": In(self.n), "w": In(self.n), "p": Out(self.n)})

    @staticmethod
    def reference(x_bits, w_bits) -> list:
        """Product bits of one stream index."""
        return [int(bool(a) == bool(b)) for a, b in zip(x_bits, w_bits)]

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.p.eq(~(self.x ^ self.w))
        return m
