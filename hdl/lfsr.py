"""LFSR and comparator SNG: the RTL of the golden model's ``lfsr`` source."""

from __future__ import annotations

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from mtjsc.behavioral_models import lfsr as lfsr_def
from mtjsc.hdl.params import check_sng_bits
from mtjsc.hdl.tags import add_submodule
from mtjsc.validate import check_int, check_sng_fits_lfsr


def leap_expr(m: Module, state, width: int, bits: int, name: str):
    """The state ``bits`` Galois steps after ``state`` (B copies of
    :func:`mtjsc.behavioral_models.lfsr.step`'s XOR network, as comb signals in ``m``).

    Each step is ``(s >> 1) ^ (s[0] ? mask : 0)``: the tap mask selected as a word, then one
    word-wide XOR. Written as ``s[0] ? (s >> 1) ^ mask : s >> 1``, the XOR with a constant was
    lowered bit by bit (per-bit NOTs and concatenations), which Verilator evaluated in about 14
    statements per step and lane, most of the accelerator's simulation time. Synthesis sees the
    same XOR network either way.
    """
    mask = Const(lfsr_def.toggle_mask(width), width)
    nxt = state
    for i in range(bits):
        step = Signal(width, name=f"{name}_step{i}")
        m.d.comb += step.eq((nxt >> 1) ^ Mux(nxt[0], mask, 0))
        nxt = step
    return nxt


class LfsrLeap(wiring.Component):
    """``lanes`` independent LFSR leaps: ``next`` is each state ``bits`` Galois steps on (combinational).

    The XOR network of :func:`leap_expr`, as a block of its own so that area
    reports can count the SNGs' share of a design.

    Parameters
    ----------
    width : int
        LFSR width (4..32).
    bits : int
        Steps per leap, the SNG resolution B (1..width).
    lanes : int
        Number of LFSRs; lane i's state is ``state[i width:(i + 1) width]``.
    """

    def __init__(self, *, width: int, bits: int, lanes: int = 1):
        self.width = lfsr_def.check_width(width)
        self.bits = check_sng_bits(bits)
        check_sng_fits_lfsr(self.bits, self.width)
        self.lanes = check_int(lanes, "lanes", minimum=1, maximum=4096)
        super().__init__({"state": In(self.lanes * self.width), "next": Out(self.lanes * self.width)})

    def reference(self, states) -> list:
        """Each state advanced by ``bits`` steps of the golden definition."""
        out = []
        for s in states:
            for _ in range(self.bits):
                s = lfsr_def.step(s, self.width)
            out.append(s)
        return out

    def elaborate(self, platform):
        m = Module()
        W = self.width
        m.d.comb += self.next.eq(Cat(*[leap_expr(m, self.state[i * W:(i + 1) * W], W, self.bits, f"leap{i}")
                                       for i in range(self.lanes)]))
        return m


class Lfsr(wiring.Component):
    """Galois LFSR that leaps ``bits`` steps per enabled clock (DESIGN.md ``lfsr`` family).

    ``value`` is R(t), the low ``bits`` bits of the state; each clock with
    ``en`` applies :func:`mtjsc.behavioral_models.lfsr.step` ``bits`` times
    (the same definition the golden model uses). ``load`` (or reset) restores
    ``seed``.

    Parameters
    ----------
    width : int
        LFSR width W (4..32).
    bits : int
        SNG resolution B (1..W): output width and steps per stream index.
    seed : int
        Initial state, nonzero, W bits.
    """

    def __init__(self, *, width: int, bits: int, seed: int):
        self.width = lfsr_def.check_width(width)
        self.bits = check_sng_bits(bits)
        check_sng_fits_lfsr(self.bits, self.width)
        self.seed = check_int(seed, f"LFSR seed (nonzero, {self.width} bits)", minimum=1,
                              maximum=(1 << self.width) - 1, fix="use mtjsc.behavioral_models.lfsr.seed_state")
        super().__init__({"en": In(1), "load": In(1), "value": Out(self.bits), "state": Out(self.width)})

    def reference(self, L: int):
        """R(t) for t = 0..L-1 from the seed."""
        return lfsr_def.generate([self.seed], self.width, self.bits, L)[:, 0].tolist()

    def elaborate(self, platform):
        m = Module()
        state = Signal(self.width, init=self.seed)
        leap = add_submodule(self, m, "leap", LfsrLeap(width=self.width, bits=self.bits), "sng")
        m.d.comb += leap.state.eq(state)
        nxt = leap.next
        with m.If(self.load):
            m.d.sync += state.eq(self.seed)
        with m.Elif(self.en):
            m.d.sync += state.eq(nxt)
        m.d.comb += [self.state.eq(state), self.value.eq(state[:self.bits])]
        return m


class ComparatorSng(wiring.Component):
    """Comparator SNGs: ``bit[i] = [r[i] < q[i]]`` with threshold q = round(P 2^B) in 0..2^B.

    Parameters
    ----------
    bits : int
        Resolution B of ``r``; ``q`` has B+1 bits so that P = 1 is exact.
    lanes : int
        Number of comparators; lane i reads ``r[i B:(i + 1) B]`` and ``q[i (B + 1):(i + 1) (B + 1)]``.
    """

    def __init__(self, *, bits: int, lanes: int = 1):
        self.bits = check_sng_bits(bits)
        self.lanes = check_int(lanes, "lanes", minimum=1, maximum=1 << 16)
        super().__init__({"r": In(self.lanes * self.bits), "q": In(self.lanes * (self.bits + 1)),
                          "bit": Out(self.lanes)})

    @staticmethod
    def reference(r: int, q: int) -> int:
        return int(r < q)

    def elaborate(self, platform):
        m = Module()
        B, q = self.bits, self.bits + 1
        m.d.comb += self.bit.eq(Cat(*[self.r[i * B:(i + 1) * B] < self.q[i * q:(i + 1) * q]
                                      for i in range(self.lanes)]))
        return m
