"""Btanh neuron activation: a saturating up/down counter (Kim et al., DAC 2016)."""

from __future__ import annotations

from amaranth import Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from mtjsc.behavioral_models.golden import btanh_step
from mtjsc.hdl.params import check_fan_in, check_K
from mtjsc.validate import check_int


class BtanhUpdate(wiring.Component):
    """One Btanh update as a combinational unit: state in, next state and output bit out.

    ``next_state = clamp(base + 2 count - n, 0, K-1)`` with ``base = K/2``
    when ``start`` is set and ``state`` otherwise; ``y = [next_state >= K/2]``.
    With the state outside (a register, or a RAM of many neurons' states),
    P physical updaters can serve any number of neurons.

    Parameters
    ----------
    n : int
        Fan-in of the APC feeding it (count range 0..n).
    K : int
        Number of states, even.
    """

    def __init__(self, *, n: int, K: int):
        self.n = check_fan_in(n)
        self.K = check_K(K)
        super().__init__({"state": In(range(self.K)), "count": In(range(self.n + 1)), "start": In(1),
                          "next_state": Out(range(self.K)), "y": Out(1)})

    def reference(self, state: int, count: int, start: bool = False) -> tuple:
        """``(next_state, y)`` of one update (the golden model's :func:`btanh_step`)."""
        s, y = btanh_step(self.K // 2 if start else int(state), int(count), self.n, self.K)
        return s, int(y)

    def elaborate(self, platform):
        m = Module()
        n, K = self.n, self.K
        base = Mux(self.start, K // 2, self.state)
        up = Signal(range(K + 2 * n + 1))          # S + 2c, compared with n and n + K - 1: no signs
        m.d.comb += up.eq(base + (self.count << 1))
        with m.If(up < n):
            m.d.comb += self.next_state.eq(0)
        with m.Elif(up > n + K - 1):
            m.d.comb += self.next_state.eq(K - 1)
        with m.Else():
            m.d.comb += self.next_state.eq(up - n)
        m.d.comb += self.y.eq(self.next_state >= K // 2)
        return m


class BtanhCounter(wiring.Component):
    """State S in [0, K-1], ``S' = clamp(S + 2c - n, 0, K-1)``, output ``y = [S' >= K/2]``.

    A register around :class:`BtanhUpdate`. On a clock with ``en`` the
    counter takes APC count ``count``. With ``start`` (together with ``en``)
    the update starts from S0 = K/2, so a new stream needs no idle cycle.
    ``y`` and ``state`` show the register, i.e. the result of the last update
    (``y_t`` one clock after ``c_t``). Reset also loads K/2.

    Parameters
    ----------
    n : int
        Fan-in of the APC feeding it (count range 0..n).
    K : int
        Number of states, even.
    """

    def __init__(self, *, n: int, K: int):
        self.n = check_fan_in(n)
        self.K = check_K(K)
        super().__init__({"count": In(range(self.n + 1)), "en": In(1), "start": In(1),
                          "y": Out(1), "state": Out(range(self.K))})

    def reference(self, counts, state: int | None = None) -> tuple:
        """Output bits and final state for a sequence of counts from S0 = K/2 (or ``state``)."""
        s = self.K // 2 if state is None else state
        ys = []
        for c in counts:
            s, y = btanh_step(s, int(c), self.n, self.K)
            ys.append(int(y))
        return ys, s

    def elaborate(self, platform):
        m = Module()
        K = self.K
        m.submodules.update = upd = BtanhUpdate(n=self.n, K=K)
        state = Signal(range(K), init=K // 2)
        m.d.comb += [upd.state.eq(state), upd.count.eq(self.count), upd.start.eq(self.start)]
        with m.If(self.en):
            m.d.sync += state.eq(upd.next_state)
        m.d.comb += [self.state.eq(state), self.y.eq(state >= K // 2)]
        return m


def clamp_add(x: int, f: tuple) -> int:
    """``clamp(x + a, lo, hi)`` for ``f = (a, lo, hi)``: a Btanh update with count c is
    ``(2 c - n, 0, K - 1)``."""
    a, lo, hi = f
    return min(max(x + a, lo), hi)


def compose(second: tuple, first: tuple) -> tuple:
    """``second`` after ``first`` as one clamp-add: clamp(clamp(x + a1, l1, h1) + a2, l2, h2) =
    clamp(x + a1 + a2, clamp(l1 + a2, l2, h2), clamp(h1 + a2, l2, h2)) (both clamps are monotone, l1 <= h1)."""
    a2, l2, h2 = second
    a1, l1, h1 = first
    return a1 + a2, min(max(l1 + a2, l2), h2), min(max(h1 + a2, l2), h2)


class BtanhSteps(wiring.Component):
    """T Btanh updates of one neuron a clock, pipelined so that the state loop is one clamp-add.

    Chaining T :class:`BtanhUpdate` units in one clock puts T adders and clamps between a state
    register and itself. A clamp-add x -> clamp(x + a, lo, hi) composed with another is a clamp-add
    (:func:`compose`), so a registered tree composes the T updates of a step into one, off the loop;
    the loop applies it (one add, two compares); a pipeline of T :class:`BtanhUpdate` stages then
    replays the step from its start state to give the T output bits.

    Parameters
    ----------
    n, K : int
        Fan-in and Btanh size, as :class:`BtanhUpdate`.
    steps : int
        T, updates a clock.

    Ports
    -----
    count : in, T counts of range(n + 1)
        The counts of stream indices t .. t + T - 1 (count k at field k).
    en, start : in
        A step is presented; it is the first of a stream (it starts from K/2).
    y, y_valid : out
        The T output bits of a step (bit k of index t + k), :attr:`latency` clocks after it was presented.
    """

    def __init__(self, *, n: int, K: int, steps: int):
        self.n, self.K = check_fan_in(n), check_K(K)
        self.steps = check_int(steps, "Btanh steps T", minimum=1, maximum=256)
        self.cbits = range(self.n + 1)
        self.levels = (self.steps - 1).bit_length()          # ceil(log2 T)
        super().__init__({"count": In(data.ArrayLayout(range(self.n + 1), self.steps)), "en": In(1),
                          "start": In(1), "y": Out(self.steps), "y_valid": Out(1)})

    @property
    def latency(self) -> int:
        """Clocks from a step presented to its bits (:meth:`latency_of` T)."""
        return self.latency_of(self.steps)

    @staticmethod
    def latency_of(steps: int) -> int:
        """The input register, the tree's ceil(log2 T) levels, the loop register, T update stages."""
        return 1 + (steps - 1).bit_length() + 1 + steps

    def reference(self, counts_per_step, state: int | None = None) -> list:
        """The output bits of consecutive steps (lists of T counts) from K/2 (or ``state``)."""
        s = self.K // 2 if state is None else state
        out = []
        for counts in counts_per_step:
            bits = []
            for c in counts:
                s, y = btanh_step(s, int(c), self.n, self.K)
                bits.append(int(y))
            out.append(bits)
        return out

    def elaborate(self, platform):
        m = Module()
        n, K, T = self.n, self.K, self.steps
        wide = signed((T * (n + K)).bit_length() + 2)
        st = unsigned((K - 1).bit_length())

        def clamp(v, lo, hi, name):
            out = Signal(st, name=name)
            m.d.comb += out.eq(Mux(v < lo, lo, Mux(v > hi, hi, v)))
            return out

        # the input register
        counts = [Signal(range(n + 1), name=f"c{k}") for k in range(T)]
        en, start = Signal(name="en0"), Signal(name="start0")
        m.d.sync += [c.eq(self.count[k]) for k, c in enumerate(counts)] + [en.eq(self.en), start.eq(self.start)]
        # the tree: level 0 is each update (2 c - n, 0, K - 1); each level composes neighbours, registered
        funcs = []
        for k, c in enumerate(counts):
            a = Signal(wide, name=f"f0_{k}_a")
            m.d.comb += a.eq(c * 2 - n)
            funcs.append((a, Const(0, st), Const(K - 1, st)))
        carry = counts
        for lev in range(self.levels):
            nxt = []
            for i in range(0, len(funcs), 2):
                if i + 1 < len(funcs):
                    (a1, l1, h1), (a2, l2, h2) = funcs[i], funcs[i + 1]
                    a = Signal(wide, name=f"f{lev + 1}_{i // 2}_a")
                    lo, hi = Signal(st, name=f"f{lev + 1}_{i // 2}_lo"), Signal(st, name=f"f{lev + 1}_{i // 2}_hi")
                    m.d.sync += [a.eq(a1 + a2), lo.eq(clamp(l1 + a2, l2, h2, f"f{lev + 1}_{i // 2}_lc")),
                                 hi.eq(clamp(h1 + a2, l2, h2, f"f{lev + 1}_{i // 2}_hc"))]
                    nxt.append((a, lo, hi))
                else:
                    regs = tuple(Signal.like(v, name=f"f{lev + 1}_{i // 2}_{j}") for j, v in enumerate(funcs[i]))
                    m.d.sync += [r.eq(v) for r, v in zip(regs, funcs[i])]
                    nxt.append(regs)
            funcs = nxt
            delayed = [Signal.like(c, name=f"c{lev + 1}_{k}") for k, c in enumerate(carry)]
            m.d.sync += [d.eq(c) for d, c in zip(delayed, carry)]
            e2, s2 = Signal(name=f"en{lev + 1}"), Signal(name=f"start{lev + 1}")
            m.d.sync += [e2.eq(en), s2.eq(start)]
            carry, en, start = delayed, e2, s2
        # the loop: the state before this step (K/2 at a stream's start), advanced by the composed step
        (a, lo, hi), = funcs
        state = Signal(st, name="state", init=K // 2)
        base = Signal(st, name="base")
        m.d.comb += base.eq(Mux(start, K // 2, state))
        with m.If(en):
            m.d.sync += state.eq(clamp(base + a, lo, hi, "state_next"))
        # the replay: T update stages from the step's start state
        x, v = Signal(st, name="x0"), Signal(name="v0")
        m.d.sync += [x.eq(base), v.eq(en)]
        cs = [Signal.like(c, name=f"r0_{k}") for k, c in enumerate(carry)]
        m.d.sync += [d.eq(c) for d, c in zip(cs, carry)]
        ys = []
        for k in range(T):
            upd = BtanhUpdate(n=n, K=K)
            m.submodules[f"update{k}"] = upd
            m.d.comb += [upd.state.eq(x), upd.count.eq(cs[k]), upd.start.eq(0)]
            x2, v2 = Signal(st, name=f"x{k + 1}"), Signal(name=f"v{k + 1}")
            m.d.sync += [x2.eq(upd.next_state), v2.eq(v)]
            cs2 = [Signal.like(c, name=f"r{k + 1}_{j}") for j, c in enumerate(cs[k + 1:], start=k + 1)]
            m.d.sync += [d.eq(c) for d, c in zip(cs2, cs[k + 1:])]
            cs = [None] * (k + 1) + cs2
            bits = [Signal(name=f"y{k + 1}_{j}") for j in range(k + 1)]
            m.d.sync += [b.eq(p) for b, p in zip(bits, ys + [upd.y])]
            ys, x, v = bits, x2, v2
        m.d.comb += [self.y.eq(Cat(*ys)), self.y_valid.eq(v)]
        return m
