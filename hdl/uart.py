"""`UartTx` and `UartRx`: bytes between a stream and a serial line (8N1), for the board tops."""

from __future__ import annotations

from amaranth import Cat, Module, Signal
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


class UartRx(wiring.Component):
    """An 8N1 receiver: bytes from ``rx`` at ``divisor`` clocks per bit onto a stream.

    The line is sampled in the middle of each bit (``divisor // 2`` clocks after the falling edge of the
    start bit, then every ``divisor``); a start bit that is high again at its middle is a glitch and is
    ignored; a stop bit that is low is a framing error: the byte is dropped and ``error`` pulses.

    Parameters
    ----------
    divisor : int
        Clocks per bit.

    Ports
    -----
    rx : in, idle high (synchronised here through two registers)
    data : stream of bytes out; a byte not taken before the next one completes is lost (``overrun`` pulses)
    error, overrun : out, one-clock pulses
    """

    def __init__(self, *, divisor: int):
        self.divisor = check_int(divisor, "divisor", minimum=4, maximum=1 << 20)
        super().__init__({"rx": In(1, init=1), "data": Out(stream.Signature(8)), "error": Out(1), "overrun": Out(1)})

    @staticmethod
    def reference(levels, divisor: int) -> list:
        """The bytes a line of ``levels`` (one per clock) carries, as this receiver samples them (two clocks
        of synchroniser, mid-bit samples, glitches and framing errors dropped)."""
        out, i, levels = [], 0, [1, 1] + list(levels)      # the synchroniser's two clocks of delay
        while i < len(levels):
            if levels[i]:
                i += 1
                continue
            mid = i + divisor // 2
            if mid >= len(levels):
                break
            if levels[mid]:                                   # glitch: not a start bit; look again after it
                i = mid + 1
                continue
            bits = [levels[mid + divisor * (k + 1)] if mid + divisor * (k + 1) < len(levels) else None
                    for k in range(9)]
            if None in bits:
                break
            if bits[8]:
                out.append(sum(b << k for k, b in enumerate(bits[:8])))
            i = mid + divisor * 9 + 1
        return out

    def elaborate(self, platform):
        m = Module()
        s1, s2 = Signal(init=1), Signal(init=1)
        m.d.sync += [s1.eq(self.rx), s2.eq(s1)]
        busy = Signal()
        tick = Signal(range(self.divisor))
        bit = Signal(range(10))                   # 0 = start, 1..8 data, 9 stop
        shift = Signal(8)
        m.d.sync += [self.error.eq(0), self.overrun.eq(0)]
        with m.If(self.data.valid & self.data.ready):
            m.d.sync += self.data.valid.eq(0)
        with m.If(~busy):
            with m.If(~s2):
                m.d.sync += [busy.eq(1), bit.eq(0), tick.eq(self.divisor // 2 - 1)]
        with m.Elif(tick != 0):
            m.d.sync += tick.eq(tick - 1)
        with m.Else():
            m.d.sync += tick.eq(self.divisor - 1)
            with m.If(bit == 0):
                with m.If(s2):                    # high in the middle of the start bit: a glitch
                    m.d.sync += busy.eq(0)
                with m.Else():
                    m.d.sync += bit.eq(1)
            with m.Elif(bit < 9):
                m.d.sync += [shift.eq(Cat(shift[1:], s2)), bit.eq(bit + 1)]
            with m.Else():
                m.d.sync += busy.eq(0)
                with m.If(s2):
                    m.d.sync += [self.data.payload.eq(shift), self.data.valid.eq(1)]
                    with m.If(self.data.valid & ~self.data.ready):
                        m.d.sync += self.overrun.eq(1)
                with m.Else():
                    m.d.sync += self.error.eq(1)
        return m
