"""Stochastic rounding unit: fixed point in, k fraction bits dropped, rounded up with probability
equal to the dropped fraction."""

from __future__ import annotations

from amaranth import Module, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from mtjsc.behavioral_models import randomness, rounding
from mtjsc.errors import MtjscError
from mtjsc.hdl.lfsr import Lfsr
from mtjsc.validate import check_int

#: Where the rounder's random numbers come from.
RANDOM_SOURCES = ("lfsr", "entropy")


class StochasticRounder(wiring.Component):
    """``y = floor(x / 2^k) + [r < x mod 2^k]`` (combinational), r a uniform k-bit random number.

    With ``source="lfsr"`` r is R(t) of an on-chip Galois LFSR (the shared
    definition, leaping k steps per number) that advances on every clock
    with ``en``; with ``source="entropy"`` r comes in on the ``r`` port (for
    example k sMTJ bits per value). ``y`` has ``width - k + 1`` bits, so
    rounding the largest value up cannot overflow.

    Parameters
    ----------
    width : int
        Bits of the two's-complement input ``x`` (2..63).
    drop : int
        k, the fraction bits dropped (1..width - 1).
    source : {"lfsr", "entropy"}
    lfsr_width : int
        Width of the LFSR (>= k; ``lfsr`` only).
    seed : int
        Its initial state, nonzero (``lfsr`` only).

    Ports
    -----
    x : in, signed(width)
    en : in, advance the LFSR after this value (``lfsr``)
    r : in, unsigned(k) (``entropy``)
    y : out, signed(width - k + 1)
    """

    def __init__(self, *, width: int, drop: int, source: str = "lfsr", lfsr_width: int = 32, seed: int = 1):
        self.width = check_int(width, "rounder input width", minimum=2, maximum=63)
        self.drop = rounding.check_drop(drop, self.width)
        if source not in RANDOM_SOURCES:
            raise MtjscError(f"source={source!r}: choose lfsr (on-chip LFSR) or entropy (random bits on a port)")
        self.source = source
        ports = {"x": In(signed(self.width)), "y": Out(signed(self.width - self.drop + 1))}
        if source == "lfsr":
            self.lfsr = Lfsr(width=lfsr_width, bits=self.drop, seed=seed)
            ports["en"] = In(1)
        else:
            self.lfsr = None
            ports["r"] = In(self.drop)
        super().__init__(ports)

    def random_numbers(self, count: int):
        """R(t) of the on-chip LFSR for t = 0..count-1 (``lfsr`` only)."""
        if self.lfsr is None:
            raise MtjscError("an entropy rounder takes its random numbers on the r port")
        return randomness.lfsr_numbers(count, self.drop, width=self.lfsr.width, seed_state=self.lfsr.seed)

    def reference(self, xs, rs):
        """Outputs for values ``xs`` with random numbers ``rs`` (the golden :func:`rounding.stochastic`)."""
        return rounding.stochastic(xs, self.drop, rs)

    def elaborate(self, platform):
        m = Module()
        k = self.drop
        if self.lfsr is not None:
            m.submodules.lfsr = lfsr = self.lfsr
            m.d.comb += lfsr.en.eq(self.en)
            r = lfsr.value
        else:
            r = self.r
        up = r < self.x.as_unsigned()[:k]
        m.d.comb += self.y.eq((self.x >> k) + up)
        return m

