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

from mtjsc.errors import MtjscError
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


def chunk_reference(n: int, W: int, c: int, kind: str, lane, carry: int = 0) -> tuple:
    """``(count, carry)`` of chunk ``c`` with product bits ``lane`` (its W lanes; ``carry``: the bit that
    opened a pair in the chunk before): twice the pair gates plus the single bits (:func:`chunk_plan`),
    and the carry for the next chunk (``carry`` unchanged when this chunk opens no pair)."""
    gates, singles, carry_out = chunk_plan(n, W, c, kind)
    b = [int(bool(x)) for x in lane]
    val = lambda o: carry if o[0] == "carry" else b[o[1]]       # noqa: E731
    g = sum((val(a) | val(d)) if op == "or" else (val(a) & val(d)) for op, a, d in gates)
    return 2 * g + sum(b[i] for i in singles), (b[carry_out] if carry_out is not None else carry)


def chunk_variants(n: int, W: int) -> dict:
    """The chunks whose gate networks differ, ``{variant: first chunk}``; a chunk's variant is
    ``((c W) mod 4, False)`` or ``(None, True)`` for the last chunk."""
    C = math.ceil(n / W)
    reps = {}
    for c in range(C):
        reps.setdefault(((c * W) % 4, False) if c < C - 1 else (None, True), c)
    return reps


def chunk_count(m: Module, bits, *, n: int, lanes: int, kind: str, last, phase, carry=None, name: str = ""):
    """The count of one chunk of ``lanes`` product bits (:func:`chunk_plan`), as comb logic: one gate
    network per variant (:func:`chunk_variants`), selected by ``last`` (the last chunk) and ``phase``
    ((c W) mod 4). Returns ``(partial, carry_next, has_carry)``: ``carry_next`` is the bit that opens a
    pair closing in the next chunk (``carry`` is that bit of the chunk before; an odd W with the approx
    kind only)."""
    W = lanes
    partial = Signal(range(2 * W + 2), name=f"{name}partial")
    carry_next = Signal(name=f"{name}carry_next")
    if carry is not None:
        m.d.comb += carry_next.eq(carry)
    has_carry = False
    for v, k in chunk_variants(n, W).items():
        gates, singles, carry_out = chunk_plan(n, W, k, kind)
        if carry is None and (carry_out is not None or any(o[0] == "carry" for _, a, b in gates for o in (a, b))):
            raise MtjscError(f"an approximate count of {n} inputs over {W} lanes pairs inputs across chunks; "
                             f"this datapath keeps no carry between chunks (use an even lane count)")
        bit = lambda o: carry if o[0] == "carry" else bits[o[1]]     # noqa: E731
        terms = [(bit(a) | bit(b)) if op == "or" else (bit(a) & bit(b)) for op, a, b in gates]
        tag = "last" if v[1] else f"ph{v[0]}"
        g = adder_tree(m, terms, f"{name}gates_{tag}")
        s = adder_tree(m, [bits[i] for i in singles], f"{name}singles_{tag}")
        sel = last if v[1] else (~last & (phase == v[0]))
        with m.If(sel):
            m.d.comb += partial.eq(Cat(0, g) + s if terms else s)
            if carry_out is not None:
                m.d.comb += carry_next.eq(bits[carry_out])
                has_carry = True
    return partial, carry_next, has_carry


def _check_chunking(n, lanes, stages) -> tuple:
    """The validated ``(n, lanes, stages, chunks)`` of a :class:`LaneApc` or its :class:`LaneApcControl`."""
    n = check_fan_in(n)
    lanes = check_int(lanes, "lanes W", minimum=1, maximum=n, fix="at most the fan-in")
    stages = check_int(stages, "LaneApc stages", minimum=0, maximum=1,
                       fix="0 (count the clock after the last chunk) or 1 (partial counts registered)")
    return n, lanes, stages, math.ceil(n / lanes)


class LaneApcControl(wiring.Component):
    """The chunk bookkeeping of :class:`LaneApc`, shared by every APC that sees the same ``en`` and
    ``first`` (the P APCs of a layer): the chunk counter, the phase (c W) mod 4 that picks the gate
    network, the last-chunk flag, and their copies ``stages`` clocks later for the accumulation.

    One of these instead of one per APC: on an FPGA Yosys would merge the copies anyway, but a
    simulator evaluates each copy every clock.

    Parameters
    ----------
    n, lanes, stages
        As :class:`LaneApc`; the APCs it serves must have the same.

    Ports
    -----
    en, first : in
        A chunk is presented; it is chunk 0.
    phase, last : out
        (c W) mod 4 of the chunk now presented, and whether it is the last one (comb).
    en_d, first_d, last_d : out
        ``en``, ``first`` and ``last`` delayed by ``stages`` clocks (the accumulation's view).
    """

    def __init__(self, *, n: int, lanes: int, stages: int = 0):
        self.n, self.lanes, self.stages, self.chunks = _check_chunking(n, lanes, stages)
        super().__init__({"en": In(1), "first": In(1), "phase": Out(2), "last": Out(1),
                          "en_d": Out(1), "first_d": Out(1), "last_d": Out(1)})

    def elaborate(self, platform):
        m = Module()
        W, C = self.lanes, self.chunks
        c = Signal(range(max(C, 2)))
        phase = Signal(2)                     # (c W) mod 4 of the chunk after the last one presented
        c_now = Mux(self.first, 0, c)
        m.d.comb += [self.phase.eq(Mux(self.first, 0, phase)), self.last.eq(c_now == C - 1)]
        with m.If(self.en):
            m.d.sync += [phase.eq(self.phase + W), c.eq(Mux(self.last, 0, c_now + 1))]
        delayed = [self.en_d.eq(self.en), self.first_d.eq(self.first), self.last_d.eq(self.last)]
        if self.stages:
            m.d.sync += delayed
        else:
            m.d.comb += delayed
        return m


def connect_control(m: Module, control: LaneApcControl, apc) -> None:
    """Drive a ``control="shared"`` :class:`LaneApc` from ``control``: ``en`` and the control outputs."""
    m.d.comb += [getattr(apc, k).eq(getattr(control, k)) for k in ("en", "phase", "last", "en_d", "first_d", "last_d")]


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
    control : {"own", "shared"}
        ``own``: the APC keeps its own chunk count (ports ``en``, ``first``). ``shared``: one
        :class:`LaneApcControl` of the same n, W and stages serves many APCs, and the APC takes
        ``en`` and that block's ``phase``, ``last``, ``en_d``, ``first_d``, ``last_d`` instead of
        ``first`` (wire them with :func:`connect_control`).
    """

    def __init__(self, *, n: int, lanes: int, kind: str = "exact", stages: int = 0, control: str = "own"):
        self.n, self.lanes, self.stages, self.chunks = _check_chunking(n, lanes, stages)
        self.kind = check_apc(kind)
        if control not in ("own", "shared"):
            raise MtjscError(f"LaneApc control must be 'own' or 'shared', got {control!r}")
        self.control = control
        ports = {"bits": In(self.lanes), "en": In(1)}
        if control == "own":
            ports["first"] = In(1)
        else:
            ports.update({"phase": In(2), "last": In(1), "en_d": In(1), "first_d": In(1), "last_d": In(1)})
        ports.update({"count": Out(range(self.n + 1)), "count_valid": Out(1)})
        super().__init__(ports)

    def reference(self, products) -> list:
        """Partial count of each chunk for the n product bits ``products``; they sum to the APC count."""
        bits = [int(bool(b)) for b in products]
        out, carry = [], 0
        for c in range(self.chunks):
            count, carry = chunk_reference(self.n, self.lanes, c, self.kind, bits[c * self.lanes:(c + 1) * self.lanes],
                                           carry)
            out.append(count)
        return out

    def elaborate(self, platform):
        m = Module()
        W, C = self.lanes, self.chunks
        if self.control == "own":
            m.submodules.control = ctl = LaneApcControl(n=self.n, lanes=W, stages=self.stages)
            m.d.comb += [ctl.en.eq(self.en), ctl.first.eq(self.first)]
        else:
            ctl = self
        carry = Signal()
        acc = Signal(range(self.n + 1))
        partial, carry_next, has_carry = chunk_count(m, self.bits, n=self.n, lanes=W, kind=self.kind, last=ctl.last,
                                                     phase=ctl.phase, carry=carry)
        if has_carry:                         # only an odd W with the approx kind straddles pairs
            with m.If(self.en):
                m.d.sync += carry.eq(carry_next)
        # the accumulation, on the partial count of this clock or (stages = 1) of the clock before;
        # the registered partial is data, read only when en_d, so it needs no reset
        if self.stages:
            part = Signal.like(partial, name="partial_q", reset_less=True)
            m.d.sync += part.eq(partial)
        else:
            part = partial
        total = Signal(range(self.n + 2 * W + 2))
        m.d.comb += total.eq(Mux(ctl.first_d, 0, acc) + part)
        m.d.sync += self.count_valid.eq(0)
        with m.If(ctl.en_d):
            with m.If(ctl.last_d):
                m.d.sync += [self.count.eq(total), self.count_valid.eq(1), acc.eq(0)]
            with m.Else():
                m.d.sync += acc.eq(total)
        return m


class ChunkCount(wiring.Component):
    """The count of one chunk of W product bits, combinational (:func:`chunk_count`, no carry): the
    partial count that :class:`LaneApc` would add for a chunk whose variant ``last`` and ``phase`` name.
    For datapaths that keep the partial sums themselves (the pass-major accelerator), where the chunks
    of one sum do not come one after the other.

    Parameters
    ----------
    n, lanes, kind
        Fan-in, W and APC kind; the approximate kind needs an even W (no pair straddles two chunks).

    Ports
    -----
    bits : in, W
        The chunk's product bits, lane l = input c W + l.
    last, phase : in
        The chunk is the last one; (c W) mod 4.
    count : out
        Twice the pair gates plus the single bits (:func:`chunk_plan`).
    """

    def __init__(self, *, n: int, lanes: int, kind: str = "exact"):
        self.n, self.lanes, _, self.chunks = _check_chunking(n, lanes, 0)
        self.kind = check_apc(kind)
        if self.kind == "approx" and self.lanes % 2 and self.chunks > 1:
            raise MtjscError(f"an approximate ChunkCount over an odd lane count ({self.lanes}) would split pairs "
                             f"across chunks; use an even W")
        super().__init__({"bits": In(self.lanes), "last": In(1), "phase": In(2),
                          "count": Out(range(2 * self.lanes + 2))})

    def reference(self, bits, c: int) -> int:
        """The count of chunk ``c`` with product bits ``bits`` (W of them)."""
        return chunk_reference(self.n, self.lanes, c, self.kind, bits)[0]

    def elaborate(self, platform):
        m = Module()
        partial, _, _ = chunk_count(m, self.bits, n=self.n, lanes=self.lanes, kind=self.kind, last=self.last,
                                    phase=self.phase)
        m.d.comb += self.count.eq(partial)
        return m
