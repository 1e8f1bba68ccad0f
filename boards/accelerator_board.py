"""The SC network on a board: the accelerator behind a UART, speaking :mod:`mtjsc.boards.frames`.

:class:`AcceleratorBoard` is the board-independent design (simulated by the cocotb tests, UART to
UART); a platform top wires its ``rx``/``tx`` to the board's serial pins and its flags to LEDs.

The receiver runs one frame at a time:

- ``0xA5``: the 784 pixels go to the accelerator as they arrive; the checksum byte decides the
  status; the result is taken from the accelerator and the reply sent (an image with a bad checksum
  is still computed, so the accelerator stays in step, and its result is dropped);
- a frame that stops for ``timeout`` clocks is padded with zero pixels (the accelerator takes exactly
  784), its result dropped and a ``TIMEOUT`` reply sent;
- any other byte outside a frame starts a garbage run that ends when the line has been quiet for
  ``timeout`` clocks; then one ``GARBAGE`` reply is sent;
- ``0xC3`` (with ``selftest`` images in the ROM): those images run back to back from the ROM at full
  speed, and one reply gives how many ran, how many the network classified as their labels, and the
  clocks from the first pixel to the last result.

Bytes that arrive while a reply is being sent are dropped: the host waits for each reply.
"""

from __future__ import annotations

import numpy as np
from amaranth import Array, Cat, Const, Elaboratable, Module, Mux, Signal
from amaranth.lib import io, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from mtjsc.boards import frames
from mtjsc.config import CLASSES, PIXELS
from mtjsc.errors import MtjscError
from mtjsc.hdl.accelerator import ScMlpAccelerator
from mtjsc.hdl.uart import UartRx, UartTx
from mtjsc.validate import check_int


class AcceleratorBoard(wiring.Component):
    """:class:`~mtjsc.hdl.accelerator.ScMlpAccelerator` (``lfsr`` SNGs) behind an 8N1 UART.

    Parameters
    ----------
    model, config, seed
        As for the accelerator.
    divisor : int
        Clocks per UART bit (clock / baud).
    timeout : int
        Clocks without a byte that end a frame or a garbage run.
    selftest_pixels : uint8 [N, 784], optional
        Images for the on-chip self-test ROM, with ``selftest_labels`` [N] (N at most 255).

    Ports
    -----
    rx : in, idle high; tx : out, idle high
    busy : out, a frame, a computation or a reply is under way
    error : out, the last reply was an error (until the next good one)
    """

    def __init__(self, *, model, config, seed: int = 0, divisor: int, timeout: int | None = None,
                 selftest_pixels=None, selftest_labels=None):
        self.accelerator = ScMlpAccelerator(model=model, config=config, seed=seed, sng="lfsr")
        self.divisor = check_int(divisor, "UART divisor (clocks per bit)", minimum=4, maximum=1 << 16)
        self.timeout = check_int(timeout if timeout is not None else 40 * self.divisor, "timeout (clocks)",
                                 minimum=12 * self.divisor, maximum=1 << 30,
                                 fix="at least 12 bit times, so a byte in flight is not cut")
        if selftest_pixels is None:
            self.selftest = np.zeros((0, PIXELS), np.uint8), np.zeros(0, np.int64)
        else:
            px = np.asarray(selftest_pixels, np.uint8).reshape(-1, PIXELS)
            lab = np.asarray(selftest_labels, np.int64).ravel()
            if len(px) != len(lab) or not 1 <= len(px) <= 255:
                raise MtjscError(f"self-test: {len(px)} images and {len(lab)} labels; give 1..255 of each")
            self.selftest = px, lab
        self.score_bits = self.accelerator.score_bits
        if self.score_bits > 8 * frames.SCORE_BYTES:
            raise MtjscError(f"scores of {self.score_bits} bits do not fit the reply's {frames.SCORE_BYTES} bytes")
        super().__init__({"rx": In(1, init=1), "tx": Out(1, init=1), "busy": Out(1), "error": Out(1)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.accelerator = acc = self.accelerator
        m.submodules.uart_rx = rx = UartRx(divisor=self.divisor)
        m.submodules.uart_tx = tx = UartTx(divisor=self.divisor)
        m.d.comb += [rx.rx.eq(self.rx), self.tx.eq(tx.tx), rx.data.ready.eq(1)]
        got = rx.data.valid                     # a byte this clock (always taken)
        byte = rx.data.payload

        # -------------------------------------------------------------- the frame receiver
        IDLE, LOAD, CHECK, PAD, WAIT, SKIP, SELF, SEND = range(8)
        state = Signal(range(8))
        count = Signal(range(PIXELS + 1))        # pixels given to the accelerator in this frame
        total = Signal(8)                        # running checksum
        status = Signal(8)
        quiet = Signal(range(self.timeout + 1))  # clocks since the last byte
        with m.If(got):
            m.d.sync += quiet.eq(0)
        with m.Elif(quiet != self.timeout):
            m.d.sync += quiet.eq(quiet + 1)
        timed_out = ~got & (quiet == self.timeout)

        pix_valid, pix_data = Signal(), Signal(8)   # the one-byte buffer in front of the pixel stream
        m.d.comb += [acc.pixels.valid.eq(pix_valid), acc.pixels.payload.eq(pix_data)]
        took = acc.pixels.valid & acc.pixels.ready
        with m.If(took):
            m.d.sync += [pix_valid.eq(0), count.eq(count + 1)]

        cls = Signal(8)                          # the class, or a self-test's image count
        scores = [Signal(self.score_bits, name=f"score{k}") for k in range(CLASSES)]
        clocks = Signal(32)
        counting = Signal()
        with m.If(counting):
            m.d.sync += clocks.eq(clocks + 1)
        m.d.comb += acc.result.ready.eq(state == WAIT)

        n_self, labels = len(self.selftest[0]), self.selftest[1]
        if n_self:
            rom = Memory(shape=8, depth=n_self * PIXELS, init=self.selftest[0].ravel().tolist())
            m.submodules.selftest_rom = rom
            # a synchronous read port, so the ROM maps to block RAM: it is addressed with the pixel
            # the stream will hold next clock (address 0 outside SELF, so SELF starts with pixel 0 read)
            rd = rom.read_port()
            self_pix = Signal(range(n_self * PIXELS + 1))
            self_taken, self_correct = Signal(range(n_self + 1)), Signal(range(n_self + 1))
            # the labels in a ROM read the same way, by the image whose result comes next (an Array of
            # constants indexed by a register that has not changed since reset is X in Icarus: its
            # always @* block never ran)
            m.submodules.label_rom = label_rom = Memory(shape=4, depth=n_self, init=[int(v) for v in labels])
            label_rd = label_rom.read_port()
            next_label = self_taken + acc.result.valid
            m.d.comb += label_rd.addr.eq(Mux((state == SELF) & (next_label < n_self), next_label, 0))
            label = label_rd.data
            following = self_pix + (acc.pixels.valid & acc.pixels.ready)
            # past the last pixel it reads address 0, not outside the ROM (which a four-state simulator reads as X)
            m.d.comb += rd.addr.eq(Mux((state == SELF) & (following < n_self * PIXELS), following, 0))

        with m.Switch(state):
            with m.Case(IDLE):
                with m.If(got):
                    m.d.sync += [count.eq(0), total.eq(0), clocks.eq(0)]
                    with m.If(byte == frames.IMAGE_START):
                        m.d.sync += [state.eq(LOAD), status.eq(frames.OK)]
                    if n_self:
                        with m.Elif(byte == frames.SELFTEST_START):
                            m.d.sync += [state.eq(SELF), status.eq(frames.OK), self_pix.eq(0),
                                         self_taken.eq(0), self_correct.eq(0), counting.eq(1)]
                    with m.Else():
                        m.d.sync += [state.eq(SKIP), status.eq(frames.GARBAGE)]
            with m.Case(LOAD):
                with m.If(got):
                    m.d.sync += [pix_valid.eq(1), pix_data.eq(byte), total.eq(total + byte), counting.eq(1)]
                    with m.If(count + pix_valid == PIXELS - 1):
                        m.d.sync += state.eq(CHECK)
                with m.Elif(timed_out):
                    m.d.sync += [state.eq(PAD), status.eq(frames.TIMEOUT)]
            with m.Case(CHECK):
                with m.If(got):
                    m.d.sync += [state.eq(WAIT), status.eq(Mux(byte == total, frames.OK, frames.BAD_CHECKSUM))]
                with m.Elif(timed_out):
                    m.d.sync += [state.eq(WAIT), status.eq(frames.TIMEOUT)]
            with m.Case(PAD):                   # zero pixels until the accelerator has its 784
                with m.If(~pix_valid & (count != PIXELS)):
                    m.d.sync += [pix_valid.eq(1), pix_data.eq(0)]
                with m.If(count == PIXELS):
                    m.d.sync += state.eq(WAIT)
            with m.Case(WAIT):
                with m.If(acc.result.valid):
                    m.d.sync += [state.eq(SEND), counting.eq(0), cls.eq(acc.result.payload.cls)]
                    m.d.sync += [s.eq(acc.result.payload.scores[k]) for k, s in enumerate(scores)]
            with m.Case(SKIP):
                with m.If(timed_out):
                    m.d.sync += state.eq(SEND)
            if n_self:
                with m.Case(SELF):              # ROM pixels at full speed, results taken at once
                    m.d.comb += [acc.pixels.valid.eq(self_pix != n_self * PIXELS), acc.pixels.payload.eq(rd.data),
                                 acc.result.ready.eq(1)]
                    with m.If(acc.pixels.valid & acc.pixels.ready):
                        m.d.sync += self_pix.eq(self_pix + 1)
                    with m.If(acc.result.valid):
                        m.d.sync += [self_taken.eq(self_taken + 1),
                                     self_correct.eq(self_correct + (acc.result.payload.cls == label))]
                        with m.If(self_taken == n_self - 1):
                            m.d.sync += [state.eq(SEND), counting.eq(0), cls.eq(n_self)]
                            m.d.sync += [s.eq(0) for s in scores[1:]]
                            m.d.sync += scores[0].eq(self_correct + (acc.result.payload.cls == label))
            with m.Case(SEND):
                pass

        # -------------------------------------------------------------- the reply
        ok = status == frames.OK
        body = [status, cls]
        for s in scores:
            wide = Cat(s, Const(0, 8 * frames.SCORE_BYTES - self.score_bits))
            body += [wide.word_select(k, 8) for k in range(frames.SCORE_BYTES)]
        body += [clocks.word_select(k, 8) for k in range(frames.CLOCK_BYTES)]
        idx = Signal(range(frames.REPLY_BYTES + 1))
        out_sum = Signal(8)
        words = Array([Const(frames.REPLY_START, 8)] + [Signal(8, name=f"reply{k}") for k in range(len(body))]
                      + [out_sum])
        for k, b in enumerate(body):           # an error reply carries class 0 and zero scores
            keep = ok | (k == 0) | (k >= 2 + CLASSES * frames.SCORE_BYTES)    # status and clocks always
            m.d.comb += words[k + 1].eq(b & Cat(*[keep] * 8))
        m.d.comb += [tx.data.valid.eq(state == SEND), tx.data.payload.eq(words[idx])]
        with m.If(tx.data.valid & tx.data.ready):
            with m.If(idx != 0):
                m.d.sync += out_sum.eq(out_sum + words[idx])
            with m.If(idx == frames.REPLY_BYTES - 1):
                m.d.sync += [idx.eq(0), out_sum.eq(0), state.eq(IDLE), self.error.eq(~ok)]
            with m.Else():
                m.d.sync += idx.eq(idx + 1)
        m.d.comb += self.busy.eq(state != IDLE)
        return m


#: Largest relative error of the UART bit time against the host's (8N1 keeps its sample points in the
#: bit for about 4 %, shared by both ends).
BAUD_TOLERANCE = 0.02


def uart_divisor(clock_hz: float, baud: int, *, flag: str = "--baud") -> int:
    """Clocks per UART bit for ``baud`` at ``clock_hz``; an error naming ``flag`` when the rate is more
    than :data:`BAUD_TOLERANCE` off (with the rates that work at this clock)."""
    baud = check_int(baud, flag, minimum=300, maximum=12_000_000)
    divisor = max(1, round(clock_hz / baud))
    error = abs(clock_hz / divisor - baud) / baud
    if divisor < 4 or error > BAUD_TOLERANCE:
        good = [b for b in (115_200, 230_400, 460_800, 500_000, 921_600, 1_000_000, 1_500_000, 2_000_000, 3_000_000)
                if round(clock_hz / b) >= 4 and abs(clock_hz / round(clock_hz / b) - b) / b <= BAUD_TOLERANCE]
        raise MtjscError(f"{flag} {baud}: at the {clock_hz / 1e6:g} MHz clock a bit is {clock_hz / baud:.2f} clocks, "
                         f"so the UART runs {100 * error:.1f} % off (at most {100 * BAUD_TOLERANCE:g} %); "
                         f"rates that work at this clock: {', '.join(map(str, good))}")
    return divisor


class AcceleratorBoardTop(Elaboratable):
    """:class:`AcceleratorBoard` on an amaranth-boards platform: the UART's rx/tx pins (the ULX3S's
    FT231X), LED 0 busy, LED 1 error. It runs at the platform's clock, or at ``clock_mhz`` from an ECP5
    PLL (:mod:`mtjsc.boards.clocks`); the UART divisor comes from that clock and ``baud``."""

    def __init__(self, *, model, config, seed: int = 0, baud: int = 115_200, clock_mhz: float | None = None,
                 selftest_pixels=None, selftest_labels=None):
        self.kw = dict(model=model, config=config, seed=seed, selftest_pixels=selftest_pixels,
                       selftest_labels=selftest_labels)
        self.baud = check_int(baud, "--baud", minimum=300, maximum=12_000_000)
        self.clock_mhz = clock_mhz

    def elaborate(self, platform):
        if platform is None:
            raise MtjscError("AcceleratorBoardTop needs an amaranth-boards platform (simulate AcceleratorBoard)")
        m = Module()
        clock_hz = platform.default_clk_frequency
        from mtjsc.boards.clocks import Ecp5Pll, needs_pll
        if needs_pll(self.clock_mhz, clock_hz):
            m.submodules.pll = Ecp5Pll(output_mhz=self.clock_mhz)
            clock_hz = self.clock_mhz * 1e6
        divisor = uart_divisor(clock_hz, self.baud)
        m.submodules.board = board = AcceleratorBoard(**self.kw, divisor=divisor)
        uart = platform.request("uart", 0, dir="-")
        m.submodules.rx = rx = io.Buffer("i", uart.rx)
        m.submodules.tx = tx = io.Buffer("o", uart.tx)
        m.submodules.led_busy = busy = io.Buffer("o", platform.request("led", 0, dir="-"))
        m.submodules.led_error = error = io.Buffer("o", platform.request("led", 1, dir="-"))
        m.d.comb += [board.rx.eq(rx.i), tx.o.eq(board.tx), busy.o.eq(board.busy), error.o.eq(board.error)]
        return m
