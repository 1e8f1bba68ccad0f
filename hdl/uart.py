"""`UartTx`: bytes from a stream out on a serial line (8N1), for the board tops."""

from __future__ import annotations

from amaranth import Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from mtjsc.validate import check_int


def frame_bits(byte: int) -> list:
    """The line levels of one 8N1 frame: start bit 0, the eight data bits LSB first, stop bit 1."""
    return [0] + [(int(byte) >> i) & 1 for i in range(8)] + [1]


class UartTx(wiring.Component):
    """An 8N1 transmitter: a byte taken from ``data`` goes out on ``tx`` at ``divisor`` clocks per bit.

    Parameters
    ----------
    divisor : int
        Clocks per bit (for example 104 for 115,200 baud at 12 MHz).

    Ports
    -----
    data : stream of bytes in; ``ready`` while the line is idle and in the last clock of a frame
    tx : out, idle high
    """

    def __init__(self, *, divisor: int):
        self.divisor = check_int(divisor, "divisor", minimum=2, maximum=1 << 20)
        super().__init__({"data": In(stream.Signature(8)), "tx": Out(1, init=1)})

    def reference(self, data) -> list:
        """``tx`` clock by clock for bytes offered back to back: each frame's bits, ``divisor`` clocks each."""
        return [bit for b in data for bit in frame_bits(b) for _ in range(self.divisor)]

    def elaborate(self, platform):
        m = Module()
        shift = Signal(10, init=0x3FF)        # stop, data, start: shifted out LSB first
        left = Signal(range(11))              # bits still to send
        tick = Signal(range(self.divisor))    # clocks left in the current bit
        # ready when idle, or in the last clock of a stop bit: frames then follow back to back
        m.d.comb += [self.tx.eq(shift[0]), self.data.ready.eq((left == 0) | ((left == 1) & (tick == 0)))]
        with m.If(self.data.valid & self.data.ready):
            m.d.sync += [shift.eq((1 << 9) | (self.data.payload << 1)), left.eq(10), tick.eq(self.divisor - 1)]
        with m.Elif(left != 0):
            with m.If(tick == 0):
                m.d.sync += [shift.eq((shift >> 1) | (1 << 9)), left.eq(left - 1), tick.eq(self.divisor - 1)]
            with m.Else():
                m.d.sync += tick.eq(tick - 1)
        return m
