"""Test harnesses: several small blocks in one top, so one simulator build covers many sizes."""

from __future__ import annotations

import numpy as np
from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from mtjsc.hdl.apc import ApproxParallelCounter


class ApcBank(wiring.Component):
    """APCs of fan-in ``ns`` side by side; ``bits`` is their inputs concatenated.

    Parameters
    ----------
    ns : sequence of int
    kind : {"exact", "approx"}
    pipeline_stages : int
    """

    def __init__(self, *, ns, kind: str, pipeline_stages: int = 0):
        self.apcs = [ApproxParallelCounter(n=n, kind=kind, pipeline_stages=pipeline_stages) for n in ns]
        self.ns = tuple(a.n for a in self.apcs)
        self.latency = self.apcs[0].latency
        ports = {"bits": In(sum(self.ns))}
        ports.update({f"count{i}": Out(range(n + 1)) for i, n in enumerate(self.ns)})
        super().__init__(ports)

    def exhaustive_data(self, reference=None) -> dict:
        """Every input combination of every APC (2**max(ns) cycles)."""
        T = 1 << max(self.ns)
        v = np.arange(T)
        data = {"outputs": np.array([f"count{i}" for i in range(len(self.ns))])}
        rows = []
        for i, (n, a) in enumerate(zip(self.ns, self.apcs)):
            bits = ((v[:, None] >> np.arange(n)) & 1).astype(bool)     # all 2**n patterns, repeated
            rows.append(bits)
            ref = reference or a.reference
            counts = np.array([ref(b) for b in bits], np.int64)
            exp = np.zeros(T, np.int64)
            exp[self.latency:] = counts[:T - self.latency]
            data[f"expect_count{i}"] = exp
            data[f"mask_count{i}"] = np.arange(T) >= self.latency
        data["in_bits"] = np.concatenate(rows, axis=1)
        return data

    def elaborate(self, platform):
        m = Module()
        base = 0
        for i, a in enumerate(self.apcs):
            m.submodules[f"apc{i}"] = a
            m.d.comb += [a.bits.eq(self.bits[base:base + a.n]), getattr(self, f"count{i}").eq(a.count)]
            base += a.n
        return m
