"""An APC over W input lanes that adds into a partial count over ceil(n / W) clocks.

The fan-in n arrives W inputs per clock (chunk c holds global inputs
c W .. c W + W - 1; lanes past n in the last chunk are padding and count
nothing). The approximate kind keeps the contract's *global* pairing:
pair k = inputs (2k, 2k + 1), OR for even k, AND for odd k, whatever W is.
When W is odd a pair can straddle two chunks; its first product bit waits
in a carry register. Which gates a chunk holds depends only on c W mod 4
and on whether it is the last chunk, so the RTL builds one small gate
network per such variant and selects it by a 2-bit phase.
"""

from __future__ import annotations

import math

from amaranth import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from mtjsc.hdl.params import check_apc, check_fan_in
from mtjsc.validate import check_int


def chunk_plan(n: int, W: int, c: int, kind: str) -> tuple:
    """What chunk ``c`` contributes: ``(gates, singles, carry_out)``.

    ``gates``: ``(op, a, b)`` with op ``"or"``/``"and"`` and operands
    ``("lane", l)`` or ``("carry",)``, each counted twice; ``singles``: lanes
    counted once (every valid lane for ``exact``; the lone last input for
    ``approx``); ``carry_out``: the lane whose bit opens a pair that closes
    in the next chunk (or None).
    """
    base, hi = c * W, min(n, c * W + W)
    gates, singles, carry_out = [], [], None
    for g in range(base, hi):
        lane = g - base
        if kind == "exact" or (n % 2 and g == n - 1):
            singles.append(lane)
        elif g % 2 == 0:
            if g + 1 < hi:
                gates.append(("or" if g % 4 == 0 else "and", ("lane", lane), ("lane", lane + 1)))
            else:
                carry_out = lane
        elif lane == 0:
            gates.append(("or" if (g - 1) % 4 == 0 else "and", ("carry",), ("lane", 0)))
    return gates, singles, carry_out


def adder_tree(m: Module, values: list, name: str):
    """Sum of ``values`` as a balanced tree of adders (0 for an empty list)."""
    level = 0
    while len(values) > 1:
        nxt = []
        for i in range(0, len(values), 2):
            if i + 1 < len(values):
                s = Signal(max(len(values[i]), len(values[i + 1])) + 1, name=f"{name}_{level}_{i // 2}")
                m.d.comb += s.eq(values[i] + values[i + 1])
                nxt.append(s)
            else:
                nxt.append(values[i])
        values = nxt
        level += 1
    return values[0] if values else Signal(1, name=f"{name}_zero")


class LaneApc(wiring.Component):
    """Exact or approximate APC fed W lanes per clock, accumulating one count over ceil(n/W) chunks.

    Present chunk 0 with ``en`` and ``first``, then chunks 1..C-1 with
    ``en`` (idle clocks between are allowed). ``1 + stages`` clocks after the
    last chunk, ``count`` holds the APC count of the n inputs and
    ``count_valid`` is high for one clock.

    Parameters
    ----------
    n : int
        Fan-in.
    lanes : int
        W, inputs per clock (1..n).
    kind : {"exact", "approx"}
    stages : {0, 1}
        1 registers each chunk's partial count before it is added (a shorter clock path on an FPGA:
        the gate network and adder tree in one clock, the accumulation in the next).
    """

    def __init__(self, *, n: int, lanes: int, kind: str = "exact", stages: int = 0):
        self.n = check_fan_in(n)
        self.lanes = check_int(lanes, "lanes W", minimum=1, maximum=self.n, fix="at most the fan-in")
        self.kind = check_apc(kind)
        self.stages = check_int(stages, "LaneApc stages", minimum=0, maximum=1,
                                fix="0 (count the clock after the last chunk) or 1 (partial counts registered)")
        self.chunks = math.ceil(self.n / self.lanes)
        super().__init__({"bits": In(self.lanes), "en": In(1), "first": In(1),
                          "count": Out(range(self.n + 1)), "count_valid": Out(1)})

    def variant(self, c: int) -> tuple:
        """Chunks with the same variant have the same gate network: (c W mod 4, last?)."""
        return ((c * self.lanes) % 4, c == self.chunks - 1) if c < self.chunks - 1 else (None, True)

    def reference(self, products) -> list:
        """Partial count of each chunk for the n product bits ``products``; they sum to the APC count."""
        bits = [int(bool(b)) for b in products]
        out, carry = [], 0
        for c in range(self.chunks):
            gates, singles, carry_out = chunk_plan(self.n, self.lanes, c, self.kind)
            lane = bits[c * self.lanes:(c + 1) * self.lanes]
            val = lambda o: carry if o[0] == "carry" else lane[o[1]]       # noqa: E731
            g = sum((val(a) | val(b)) if op == "or" else (val(a) & val(b)) for op, a, b in gates)
            out.append(2 * g + sum(lane[i] for i in singles))
            if carry_out is not None:
                carry = lane[carry_out]
        return out

    def elaborate(self, platform):
        m = Module()
        W, C = self.lanes, self.chunks
        c = Signal(range(max(C, 2)))
        phase = Signal(2)                     # (c W) mod 4 of the chunk now presented
        carry = Signal()
        acc = Signal(range(self.n + 1))
        c_now = Mux(self.first, 0, c)
        phase_now = Mux(self.first, 0, phase)
        last = c_now == C - 1
        # one gate network per variant; the first chunk of each variant stands for all of them
        reps = {}
        for k in range(C):
            reps.setdefault(self.variant(k), k)
        partial = Signal(range(2 * W + 2))
        carry_next = Signal()
        m.d.comb += carry_next.eq(carry)
        for v, k in reps.items():
            gates, singles, carry_out = chunk_plan(self.n, W, k, self.kind)
            bit = lambda o: carry if o[0] == "carry" else self.bits[o[1]]     # noqa: E731
            terms = [(bit(a) | bit(b)) if op == "or" else (bit(a) & bit(b)) for op, a, b in gates]
            tag = "last" if v[1] else f"ph{v[0]}"
            g = adder_tree(m, terms, f"gates_{tag}")
            s = adder_tree(m, [self.bits[i] for i in singles], f"singles_{tag}")
            sel = last if v[1] else (~last & (phase_now == v[0]))
            with m.If(sel):
                m.d.comb += partial.eq(Cat(0, g) + s if terms else s)
                if carry_out is not None:
                    m.d.comb += carry_next.eq(self.bits[carry_out])
        with m.If(self.en):
            m.d.sync += [carry.eq(carry_next), phase.eq(phase_now + W), c.eq(Mux(last, 0, c_now + 1))]
        # the accumulation, on the partial count of this clock or (stages = 1) of the clock before
        if self.stages:
            part, en, first, is_last = (Signal.like(partial, name="partial_q"), Signal(name="en_q"),
                                        Signal(name="first_q"), Signal(name="last_q"))
            m.d.sync += [part.eq(partial), en.eq(self.en), first.eq(self.first), is_last.eq(last)]
        else:
            part, en, first, is_last = partial, self.en, self.first, last
        total = Signal(range(self.n + 2 * W + 2))
        m.d.comb += total.eq(Mux(first, 0, acc) + part)
        m.d.sync += self.count_valid.eq(0)
        with m.If(en):
            with m.If(is_last):
                m.d.sync += [self.count.eq(total), self.count_valid.eq(1), acc.eq(0)]
            with m.Else():
                m.d.sync += acc.eq(total)
        return m
