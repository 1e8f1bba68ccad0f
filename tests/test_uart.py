"""The UART receiver against its reference, clock by clock, and a transmitter-to-receiver loop."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth import Module
from amaranth.sim import Simulator

from mtjsc.errors import MtjscError
from mtjsc.hdl.uart import UartRx, UartTx, frame_bits


def line_levels(divisor: int, seed: int) -> tuple:
    """A line with random bytes and gaps, one glitch and one frame whose stop bit is low: (levels, sent)."""
    rng = np.random.default_rng(seed)
    levels, sent = [1] * 5, []
    for k in range(12):
        b = int(rng.integers(0, 256))
        bits = frame_bits(b)
        if k == 4:
            bits[-1] = 0                                   # framing error: this byte is dropped
        else:
            sent.append(b)
        levels += [x for x in bits for _ in range(divisor)]
        if k == 7:
            levels += [0] * max(1, divisor // 2 - 1) + [1] * divisor   # a glitch shorter than half a bit
        levels += [1] * int(rng.integers(0 if k != 4 else divisor, 3 * divisor))
    return levels + [1] * (2 * divisor), sent


@pytest.mark.parametrize("divisor", [4, 7, 16])
def test_receiver_equals_its_reference_on_gaps_glitches_and_framing_errors(divisor):
    levels, sent = line_levels(divisor, divisor)
    dut = UartRx(divisor=divisor)
    got, errors = [], []

    async def bench(ctx):
        ctx.set(dut.data.ready, 1)
        for level in levels:
            ctx.set(dut.rx, level)
            await ctx.tick()
            if ctx.get(dut.data.valid):
                got.append(ctx.get(dut.data.payload))
            errors.append(ctx.get(dut.error))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert got == UartRx.reference(levels, divisor) == sent
    assert sum(errors) == 1


def test_transmitter_to_receiver_loop_and_overrun():
    m = Module()
    m.submodules.tx = tx = UartTx(divisor=5)
    m.submodules.rx = rx = UartRx(divisor=5)
    m.d.comb += rx.rx.eq(tx.tx)
    data = [0x00, 0xFF, 0xA5, 0x5A, 0x01, 0x80]
    got, overruns = [], []

    async def bench(ctx):
        ctx.set(rx.data.ready, 1)
        for i, b in enumerate(data):
            ctx.set(tx.data.payload, b)
            ctx.set(tx.data.valid, 1)
            await ctx.tick().until(tx.data.ready)
            await ctx.tick()
            ctx.set(tx.data.valid, 0)
        for _ in range(12 * 5):                         # the last byte's frame and the synchroniser
            await ctx.tick()
        ctx.set(rx.data.ready, 0)                       # stop taking: the next bytes overrun
        for b in (0x11, 0x22):
            ctx.set(tx.data.payload, b)
            ctx.set(tx.data.valid, 1)
            await ctx.tick().until(tx.data.ready)
            await ctx.tick()
            ctx.set(tx.data.valid, 0)
        for _ in range(200):
            await ctx.tick()
            overruns.append(ctx.get(rx.overrun))

    async def sink(ctx):
        async for clk, rst, valid, ready, payload in ctx.tick().sample(rx.data.valid, rx.data.ready,
                                                                         rx.data.payload):
            if valid and ready:
                got.append(payload)

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.add_process(sink)
    sim.run()
    assert got == data
    assert any(overruns)


def test_receiver_divisor_is_checked():
    with pytest.raises(MtjscError, match="divisor"):
        UartRx(divisor=3)
