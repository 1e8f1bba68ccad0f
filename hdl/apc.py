"""Approximate parallel counter: exact or Kim et al.'s OR/AND approximation, pipelined adder tree."""

from __future__ import annotations

from amaranth import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from mtjsc.behavioral_models.golden import apc_count
from mtjsc.hdl.params import check_apc, check_count, check_fan_in


def tree_depth(leaves: int) -> int:
    """Adder levels of a balanced binary tree over ``leaves`` terms."""
    d = 0
    while leaves > 1:
        leaves = (leaves + 1) // 2
        d += 1
    return d


class ApproxParallelCounter(wiring.Component):
    """Counts the product bits of one stream index.

    ``exact`` sums the n bits; ``approx`` feeds pairs (2k, 2k+1) to an OR
    gate for even k and an AND gate for odd k, sums the gate outputs and
    doubles the sum; an odd last input is added directly (as its LSB, since
    the doubled sum is even). The sum is a balanced binary adder tree;
    ``pipeline_stages`` registers are spread evenly over its levels.

    Parameters
    ----------
    n : int
        Fan-in.
    kind : {"exact", "approx"}
    pipeline_stages : int
        Register stages (0 = combinational). The output lags the input by
        :attr:`latency` clocks.

    Attributes
    ----------
    latency : int
        Clocks from ``bits`` to ``count``.
    """

    def __init__(self, *, n: int, kind: str = "exact", pipeline_stages: int = 0):
        self.n = check_fan_in(n)
        self.kind = check_apc(kind)
        self.pipeline_stages = check_count(pipeline_stages, "pipeline_stages")
        self.latency = self.pipeline_stages
        super().__init__({"bits": In(self.n), "count": Out(range(self.n + 1))})

    def reference(self, bits) -> int:
        """APC output for one stream index (the golden model's definition)."""
        return apc_count(bits, self.kind)

    def _leaves(self):
        b = self.bits
        if self.kind == "exact":
            return [b[i] for i in range(self.n)], None
        gates = [(b[2 * k] | b[2 * k + 1]) if k % 2 == 0 else (b[2 * k] & b[2 * k + 1])
                 for k in range(self.n // 2)]
        lone = b[self.n - 1] if self.n % 2 else None
        return gates, lone

    def elaborate(self, platform):
        m = Module()
        terms, lone = self._leaves()
        depth = tree_depth(len(terms))
        levels = depth + 1   # register boundaries may sit after the leaves and after each level
        # which boundaries (0 = right after the leaves, depth = at the output) get a register
        regs = [0] * levels
        for s in range(self.pipeline_stages):
            regs[min(levels - 1, round((s + 1) * levels / (self.pipeline_stages + 1)))] += 1
        if sum(regs) != self.pipeline_stages:   # more stages than levels: extra ones at the output
            regs[-1] += self.pipeline_stages - sum(regs)
        terms = list(terms)
        lone_sig = lone

        def register(values, tag):
            out = []
            for i, v in enumerate(values):
                r = Signal(len(v), name=f"{tag}_{i}")
                m.d.sync += r.eq(v)
                out.append(r)
            return out

        for level in range(levels):
            for k in range(regs[level]):
                terms = register(terms, f"p{level}_{k}") if terms else terms
                if lone_sig is not None:
                    lone_sig = register([lone_sig], f"lone{level}_{k}")[0]
            if level < depth:
                nxt = []
                for i in range(0, len(terms), 2):
                    if i + 1 < len(terms):
                        a, b = terms[i], terms[i + 1]
                        s = Signal(max(len(a), len(b)) + 1, name=f"s{level}_{i // 2}")
                        m.d.comb += s.eq(a + b)
                        nxt.append(s)
                    else:
                        nxt.append(terms[i])
                terms = nxt
        total = terms[0] if terms else Signal(1)
        if self.kind == "exact":
            m.d.comb += self.count.eq(total)
        else:
            m.d.comb += self.count.eq(Cat(lone_sig if lone_sig is not None else 0, total))
        return m
