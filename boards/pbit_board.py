"""The p-bit Ising machine on a board: anneal, then send the final state over the UART.

:class:`PbitBoard` is the board-independent design (co-simulated in ``tests/test_boards.py``);
:class:`BoardTop` wraps it for an amaranth-boards platform (clock, UART TX pin, button, LEDs).
After reset, and again at each press of the button, the machine anneals its problem from the
seeded state (every run is the same run: the LFSRs restart) and the board sends one report: the
byte 0xA5, then the final state, ceil(n / 8) bytes, p-bit 8k + j in bit j of byte k. A host
checks the report against :func:`expected_report`, the NumPy model's final state in that format.
"""

from __future__ import annotations

import numpy as np
from amaranth import Array, Const, Elaboratable, Module, Signal
from amaranth.lib import io, wiring
from amaranth.lib.wiring import In, Out

from mtjsc.behavioral_models import pbit
from mtjsc.errors import MtjscError
from mtjsc.hdl.pbit import PbitMachine
from mtjsc.hdl.uart import UartTx

#: First byte of every report.
HEADER = 0xA5
#: The UART's rate.
BAUD = 115_200


def report_bytes(state) -> list:
    """A report for a final state (bool [n]): :data:`HEADER`, then the state packed LSB first."""
    s = np.asarray(state, bool)
    return [HEADER] + [int(sum(int(b) << j for j, b in enumerate(s[k:k + 8]))) for k in range(0, len(s), 8)]


def expected_report(problem, schedule, *, seed: int = 0, rng: str = "slot-lfsr") -> list:
    """The report the board sends: the model's final state after ``schedule`` (one replica)."""
    return report_bytes(pbit.run(problem, schedule, seed=seed, rng=rng, record=False)["final"][0])


class PbitBoard(wiring.Component):
    """A :class:`PbitMachine` that reports its final state over a UART.

    Parameters
    ----------
    problem, schedule, seed, rng, units
        As for :class:`~mtjsc.hdl.pbit.PbitMachine` (``rng`` ``lfsr`` or ``slot-lfsr``: a board has no
        entropy source to feed the port).
    divisor : int
        Clocks per UART bit.

    Ports
    -----
    start : in
        A rising edge starts a run (when idle); a run also starts after reset.
    tx : out
        The UART line.
    busy, sent : out
        Annealing; a report has been sent since the last start (for LEDs).
    """

    def __init__(self, *, problem, schedule, seed: int = 0, rng: str = "slot-lfsr", units: str = "slot",
                 divisor: int):
        if rng not in ("lfsr", "slot-lfsr"):
            raise MtjscError(f"rng={rng!r}: a board makes its random numbers with LFSRs; choose lfsr or slot-lfsr")
        self.machine = PbitMachine(problem=problem, schedule=schedule, seed=seed, rng=rng, units=units)
        self.uart = UartTx(divisor=divisor)
        self.problem, self.schedule, self.seed, self.rng = problem, schedule, seed, rng
        super().__init__({"start": In(1), "tx": Out(1, init=1), "busy": Out(1), "sent": Out(1)})

    def expected_report(self) -> list:
        return expected_report(self.problem, self.schedule, seed=self.seed, rng=self.rng)

    def elaborate(self, platform):
        m = Module()
        m.submodules.machine = mc = self.machine
        m.submodules.uart = uart = self.uart
        n = self.problem.n
        nbytes = -(-n // 8)
        state = Signal(8 * nbytes)
        words = Array([Const(HEADER, 8)] + [state[8 * k:8 * k + 8] for k in range(nbytes)])
        idx = Signal(range(nbytes + 2))
        armed = Signal(init=1)              # start a run at the first clock after reset
        was = Signal()
        m.d.sync += was.eq(self.start)
        sending = Signal()
        m.d.comb += [self.tx.eq(uart.tx), self.busy.eq(mc.busy), uart.data.payload.eq(words[idx]),
                     uart.data.valid.eq(sending), mc.start.eq(0)]
        idle = ~mc.busy & ~sending
        with m.If(idle & (armed | (self.start & ~was))):
            m.d.comb += mc.start.eq(1)
            m.d.sync += [armed.eq(0), self.sent.eq(0)]
        with m.If(mc.done):
            m.d.sync += [state.eq(mc.state), sending.eq(1), idx.eq(0)]
        with m.If(uart.data.valid & uart.data.ready):
            with m.If(idx == nbytes):
                m.d.sync += [sending.eq(0), self.sent.eq(1)]
            with m.Else():
                m.d.sync += idx.eq(idx + 1)
        return m


class BoardTop(Elaboratable):
    """:class:`PbitBoard` on an amaranth-boards platform: UART TX, button 0 (start), LED 0 (busy),
    LED 1 (report sent). The UART divisor comes from the platform's default clock."""

    def __init__(self, *, problem, schedule, seed: int = 0, rng: str = "slot-lfsr", units: str = "slot"):
        self.kw = dict(problem=problem, schedule=schedule, seed=seed, rng=rng, units=units)

    def elaborate(self, platform):
        if platform is None:
            raise MtjscError("BoardTop needs an amaranth-boards platform (simulate PbitBoard instead)")
        m = Module()
        clk_hz = platform.default_clk_frequency
        m.submodules.board = board = PbitBoard(**self.kw, divisor=round(clk_hz / BAUD))
        m.submodules.tx = tx = io.Buffer("o", platform.request("uart", 0, dir="-").tx)
        m.submodules.button = button = io.Buffer("i", platform.request("button", 0, dir="-"))
        m.submodules.led_busy = busy = io.Buffer("o", platform.request("led", 0, dir="-"))
        m.submodules.led_sent = sent = io.Buffer("o", platform.request("led", 1, dir="-"))
        m.d.comb += [tx.o.eq(board.tx), board.start.eq(button.i), busy.o.eq(board.busy), sent.o.eq(board.sent)]
        return m


def read_report(port, nbytes: int, *, timeout: float = 30.0, configure: bool = True) -> list:
    """Read one report (:data:`HEADER` and ``nbytes`` state bytes) from a serial device such as
    ``/dev/ttyUSB1``: raw 8N1 at :data:`BAUD` (set with ``termios`` when ``configure``), bytes before
    the header skipped. A clear error names the port when it cannot be opened or stays silent."""
    import os
    import select
    import termios
    import time
    try:
        fd = os.open(str(port), os.O_RDONLY | os.O_NOCTTY)
    except OSError as e:
        raise MtjscError(f"cannot open {port}: {e.strerror}; give the board's serial port "
                         f"(e.g. /dev/ttyUSB1 for an iCEBreaker) and check its permissions") from None
    try:
        if configure:
            attrs = termios.tcgetattr(fd)
            attrs[0] = attrs[1] = attrs[3] = 0                          # raw: no input, output, local processing
            attrs[2] = termios.CS8 | termios.CREAD | termios.CLOCAL     # 8 bits, no parity, 1 stop bit
            attrs[4] = attrs[5] = getattr(termios, f"B{BAUD}")           # the rate the board sends at
            termios.tcsetattr(fd, termios.TCSANOW, attrs)
        got, end = [], time.monotonic() + timeout
        while len(got) < nbytes + 1:
            left = end - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise MtjscError(f"{port}: {len(got)} of {nbytes + 1} report bytes in {timeout:g} s; press the "
                                 f"board's button 0 to send a report (is the bitstream loaded?)")
            for b in os.read(fd, 256):
                if got or b == HEADER:
                    got.append(b)
        return got[:nbytes + 1]
    finally:
        os.close(fd)
