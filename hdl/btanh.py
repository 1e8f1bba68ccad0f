"""Btanh neuron activation: a saturating up/down counter (Kim et al., DAC 2016)."""

from __future__ import annotations

from amaranth import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from mtjsc.behavioral_models.golden import btanh_step
from mtjsc.hdl.params import check_fan_in, check_K


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

