"""The formal properties of the SC blocks, each written once, with the parameters it is checked at.

Every specification here is built from the golden model, not from the RTL it
checks: the APC's pair gates are read off :func:`golden.apc_count` one pair
at a time (the count is a sum over pairs; ``tests/test_properties.py``
checks that additivity for every vector), the LFSR leap is the XOR of the
golden leap of each basis state (a Galois step is linear over GF(2), also
checked there), Btanh and the rounder are the contract's formulas in wide
arithmetic. :data:`PROPERTIES` lists them all; :func:`by_name` finds one.
"""

from __future__ import annotations

import math

from amaranth import Array, Cat, Const, Elaboratable, Module, Mux, Signal, signed
from amaranth.asserts import AnyConst, AnySeq
from amaranth.hdl import Assert, Assume
from amaranth.lib import wiring

from mtjsc.behavioral_models import golden
from mtjsc.behavioral_models import lfsr as lfsr_def
from mtjsc.errors import MtjscError
from mtjsc.formal import Property


# --- specifications from the golden model ----------------------------------------------------------------

def pair_tables(n: int, kind: str) -> list:
    """Per pair k: the golden count of a vector holding only pair k = (a, b), for (a, b) = 00, 01, 10, 11."""
    tables = []
    for k in range(n // 2):
        row = []
        for a, b in ((0, 0), (0, 1), (1, 0), (1, 1)):
            v = [0] * n
            v[2 * k], v[2 * k + 1] = a, b
            row.append(golden.apc_count(v, kind))
        tables.append(row)
    return tables


def apc_spec(bits, n: int, kind: str):
    """The golden APC count of ``bits`` (n wide) as an Amaranth expression: the sum of each pair's golden
    count (from :func:`pair_tables`) and, for odd n, the golden count of the last input alone."""
    width = n.bit_length() + 1
    terms = []
    for k, row in enumerate(pair_tables(n, kind)):
        table = Array(Const(v, width) for v in row)
        terms.append(table[Cat(bits[2 * k + 1], bits[2 * k])])    # index a b: 0 = 00, 1 = 01, 2 = 10, 3 = 11
    if n % 2:
        lone = [0] * (n - 1) + [1]
        terms.append(Mux(bits[n - 1], golden.apc_count(lone, kind), 0))
    total = Const(0, width)
    for t in terms:
        total = total + t
    return total


def leap_spec(state, width: int, B: int):
    """The golden B-step leap of ``state``: XOR of the golden leap of each basis state whose bit is set."""
    out = Const(0, width)
    for i in range(width):
        out = out ^ Mux(state[i], lfsr_def.leap(1 << i, width, B), 0)
    return out


def btanh_spec(state, count, start, n: int, K: int):
    """``clamp(base + 2 count - n, 0, K - 1)``, base K/2 on start, in signed arithmetic wide enough."""
    s = Signal(signed(max(n, K).bit_length() + 3), name="spec_sum")
    return s, [s.eq(Mux(start, K // 2, state) + 2 * count - n)], Mux(s < 0, 0, Mux(s > K - 1, K - 1, s))


class Delay:
    """A harness's view of a value ``latency`` clocks ago and whether that many clocks have passed."""

    def __init__(self, m: Module, value, latency: int, name: str):
        self.value, self.ready = value, Const(1)
        if latency:
            age = Signal(range(latency + 1), name=f"{name}_age")
            with m.If(age < latency):
                m.d.sync += age.eq(age + 1)
            self.ready = age == latency
            v = value
            for i in range(latency):
                r = Signal.like(value, name=f"{name}_d{i}")
                m.d.sync += r.eq(v)
                v = r
            self.value = v


# --- harnesses ---------------------------------------------------------------------------------------------

class ApcHarness(Elaboratable):
    """``ApproxParallelCounter``: count equals the golden count of the bits ``latency`` clocks ago."""

    def __init__(self, n: int, kind: str, stages: int):
        self.n, self.kind, self.stages = n, kind, stages

    def elaborate(self, platform):
        from mtjsc.hdl.apc import ApproxParallelCounter
        m = Module()
        m.submodules.dut = dut = ApproxParallelCounter(n=self.n, kind=self.kind, pipeline_stages=self.stages)
        bits = AnySeq(self.n) if self.stages else AnyConst(self.n)
        m.d.comb += dut.bits.eq(bits)
        want = Delay(m, apc_spec(bits, self.n, self.kind), dut.latency, "want")
        with m.If(want.ready):
            m.d.comb += Assert(dut.count == want.value, "APC count equals the golden count")
        return m


class LaneApcHarness(Elaboratable):
    """``LaneApc``: chunks presented W lanes at a time, with idle clocks between them at will; at
    ``count_valid`` the count equals the golden (or, with ``against="flat"``, the flat RTL APC's) count of
    the n bits presented, and ``count_valid`` comes exactly ``1 + stages`` clocks after each last chunk."""

    def __init__(self, n: int, lanes: int, kind: str, stages: int, against: str = "golden"):
        self.n, self.W, self.kind, self.stages, self.against = n, lanes, kind, stages, against

    def elaborate(self, platform):
        from mtjsc.hdl.apc import ApproxParallelCounter
        from mtjsc.hdl.lane_apc import LaneApc
        m = Module()
        n, W = self.n, self.W
        m.submodules.dut = dut = LaneApc(n=n, lanes=W, kind=self.kind, stages=self.stages)
        C = dut.chunks
        en, bits = AnySeq(1), AnySeq(W)
        cc = Signal(range(max(C, 2)), name="chunk")       # the harness's own chunk count
        held = Signal(n, name="held")                      # the bits of the chunks already presented
        m.d.comb += [dut.en.eq(en), dut.first.eq(en & (cc == 0)), dut.bits.eq(bits)]
        now = Cat(*[Mux(en & (cc == i // W), bits[i % W], held[i]) for i in range(n)])
        with m.If(en):
            m.d.sync += [held.eq(now), cc.eq(Mux(cc == C - 1, 0, cc + 1))]
        if self.against == "flat":
            m.submodules.flat = flat = ApproxParallelCounter(n=n, kind=self.kind)
            m.d.comb += flat.bits.eq(now)
            spec = flat.count
        else:
            spec = apc_spec(now, n, self.kind)
        last = en & (cc == C - 1)
        want, due = Signal(range(n + 1), name="want"), Signal(name="due")
        pipe_v, pipe_c = last, spec
        for i in range(1 + self.stages):                   # the expected count, 1 + stages clocks later
            v, c = Signal(name=f"due{i}"), Signal(range(n + 1), name=f"want{i}")
            m.d.sync += [v.eq(pipe_v), c.eq(pipe_c)]
            pipe_v, pipe_c = v, c
        m.d.comb += [due.eq(pipe_v), want.eq(pipe_c)]
        m.d.comb += Assert(dut.count_valid == due, "count_valid exactly 1 + stages clocks after a last chunk")
        with m.If(due):
            m.d.comb += Assert(dut.count == want, "the count of the n bits presented")
        return m


class BtanhUpdateHarness(Elaboratable):
    """``BtanhUpdate``: for every state in [0, K-1], count in [0, n] and start, the next state is the
    contract's clamp and lies in [0, K-1], and y = [next >= K/2]."""

    def __init__(self, n: int, K: int):
        self.n, self.K = n, K

    def elaborate(self, platform):
        from mtjsc.hdl.btanh import BtanhUpdate
        m = Module()
        m.submodules.dut = dut = BtanhUpdate(n=self.n, K=self.K)
        state, count, start = AnyConst(range(self.K)), AnyConst(range(self.n + 1)), AnyConst(1)
        m.d.comb += [dut.state.eq(state), dut.count.eq(count), dut.start.eq(start),
                     Assume(state < self.K), Assume(count <= self.n)]
        s, stmts, want = btanh_spec(state, count, start, self.n, self.K)
        m.d.comb += stmts
        m.d.comb += [Assert(dut.next_state == want, "next state is the clamp"),
                     Assert(dut.next_state < self.K, "next state in [0, K-1]"),
                     Assert(dut.y == (want >= self.K // 2), "y = [next >= K/2]")]
        return m


class BtanhCounterHarness(Elaboratable):
    """``BtanhCounter``: over any sequence of counts, en and start, the state register never leaves
    [0, K-1] and equals a model register updated by the contract's formula (k-induction)."""

    def __init__(self, n: int, K: int):
        self.n, self.K = n, K

    def elaborate(self, platform):
        from mtjsc.hdl.btanh import BtanhCounter
        m = Module()
        m.submodules.dut = dut = BtanhCounter(n=self.n, K=self.K)
        count, en, start = AnySeq(range(self.n + 1)), AnySeq(1), AnySeq(1)
        m.d.comb += [dut.count.eq(count), dut.en.eq(en), dut.start.eq(start), Assume(count <= self.n)]
        model = Signal(range(self.K), init=self.K // 2, name="model")
        s, stmts, want = btanh_spec(model, count, start, self.n, self.K)
        m.d.comb += stmts
        with m.If(en):
            m.d.sync += model.eq(want)
        m.d.comb += [Assert(dut.state == model, "state equals the contract's update"),
                     Assert(dut.state < self.K, "state in [0, K-1]"),
                     Assert(dut.y == (model >= self.K // 2), "y = [state >= K/2]")]
        return m


class LfsrLeapHarness(Elaboratable):
    """``LfsrLeap``: for every state, next equals the golden definition's B single steps."""

    def __init__(self, width: int, bits: int):
        self.width, self.bits = width, bits

    def elaborate(self, platform):
        from mtjsc.hdl.lfsr import LfsrLeap
        m = Module()
        m.submodules.dut = dut = LfsrLeap(width=self.width, bits=self.bits)
        state = AnyConst(self.width)
        m.d.comb += [dut.state.eq(state),
                     Assert(dut.next == leap_spec(state, self.width, self.bits), "leap equals B golden steps")]
        return m


class RounderHarness(Elaboratable):
    """``StochasticRounder`` (entropy port): for every x and r, ``2^k y = x - (x mod 2^k) + 2^k [r < x mod 2^k]``."""

    def __init__(self, width: int, drop: int):
        self.width, self.drop = width, drop

    def elaborate(self, platform):
        from mtjsc.hdl.rounding import StochasticRounder
        m = Module()
        k = self.drop
        m.submodules.dut = dut = StochasticRounder(width=self.width, drop=k, source="entropy")
        x, r = AnyConst(signed(self.width)), AnyConst(k)
        m.d.comb += [dut.x.eq(x), dut.r.eq(r)]
        frac = Signal(k, name="frac")
        lhs, rhs = Signal(signed(self.width + 2), name="lhs"), Signal(signed(self.width + 2), name="rhs")
        m.d.comb += [frac.eq(x.as_unsigned()[:k]), lhs.eq(dut.y * (1 << k)),
                     rhs.eq(x - frac + Mux(r < frac, 1 << k, 0)),
                     Assert(lhs == rhs, "the rounded value, scaled back, is x with its fraction rounded by r")]
        return m


# --- the accelerator's streams, around a core left free --------------------------------------------------

class FreeCore(wiring.Component):
    """A stand-in for the network core with the real core's signature and every output free each clock:
    the accelerator's stream logic must obey the rules whatever the core does."""

    def __init__(self, core):
        super().__init__(core.signature)

    def elaborate(self, platform):
        m = Module()
        for port in (self.busy, self.done, self.scores, self.cls, self.transfer.ready, self.req.layer, self.req.t,
                     self.req.group, self.req.chunk, self.nxt.layer, self.nxt.t, self.nxt.group, self.nxt.chunk):
            m.d.comb += port.eq(AnySeq(len(port)))
        return m


class AcceleratorStreamsHarness(Elaboratable):
    """``ScMlpAccelerator`` stream rules, with the pixel source, the result sink and the entropy source
    free every clock and the core replaced by :class:`FreeCore`, under one assumption on the core, its
    contract: it raises ``done`` only for an image it was started on (never while an image loads).

    - pixels: after the 784th accepted pixel of an image no pixel is taken and ``ready`` stays low until
      the result has been taken; so no pixel is dropped (every valid & ready beat is written, the
      co-simulations check where) and none is counted twice;
    - result: once valid, valid stays high until the result is taken, and the core is never started
      while a result waits. The payload is the core's ``cls``/``scores`` wired through, so it holds still
      while valid is high as long as the core holds them between done and the next start: that part is
      the core's, not checked here (the co-simulations stall the result on the real core);
    - entropy (``sng="entropy"``): in the first neuron group of a t a beat is taken exactly when the core
      takes a transfer (no number lost, none reused); in the other groups none is taken.

    The invariants tying the harness's pixel count to the accelerator's ``load_state`` are asserted too,
    which makes the whole set 1-inductive: a proof for every sequence of inputs, not a bound.
    """

    def __init__(self, model, config, sng: str):
        self.model, self.config, self.sng = model, config, sng

    def elaborate(self, platform):
        from mtjsc.config import PIXELS
        from mtjsc.hdl.accelerator import ScMlpAccelerator
        m = Module()
        acc = ScMlpAccelerator(model=self.model, config=self.config, sng=self.sng)
        acc.core._MustUse__silence = True               # the real core is replaced, never elaborated
        acc.core = core = FreeCore(acc.core)            # elaborated in the core's place, as acc.core
        m.submodules.acc = acc
        ls = acc.load_state
        pv, pd, rr = AnySeq(1), AnySeq(8), AnySeq(1)
        m.d.comb += [acc.pixels.valid.eq(pv), acc.pixels.payload.eq(pd), acc.result.ready.eq(rr),
                     Assume(~(core.done & ls.loading))]
        took_pixel = acc.pixels.valid & acc.pixels.ready
        took_result = acc.result.valid & acc.result.ready
        # result: valid held until taken; no start while a result waits
        was_waiting = Signal(name="was_waiting")
        m.d.sync += was_waiting.eq(acc.result.valid & ~acc.result.ready)
        with m.If(was_waiting):
            m.d.comb += Assert(acc.result.valid, "result.valid stays high until the result is taken")
        m.d.comb += Assert(~(core.start & acc.result.valid), "the core is not started while a result waits")
        # pixels: the accepted pixels since the last result taken
        taken = Signal(range(PIXELS + 1), name="pixels_taken")
        with m.If(took_pixel):
            m.d.sync += taken.eq(taken + 1)
        with m.If(took_result):
            m.d.sync += taken.eq(0)
        with m.If(took_pixel):
            m.d.comb += Assert(taken < PIXELS, "no pixel taken after the 784th of an image")
        with m.If(taken == PIXELS):
            m.d.comb += Assert(~acc.pixels.ready, "pixels.ready low once an image is loaded")
        # the invariants (inductive strengthening)
        m.d.comb += Assert((taken <= PIXELS) & (ls.idx < PIXELS), "counts in range")
        with m.If(ls.loading & ~ls.kick):
            m.d.comb += Assert(taken == ls.idx, "while loading, the pixel index counts the pixels taken")
        with m.If(ls.kick):
            m.d.comb += Assert(ls.loading & (taken == PIXELS) & (ls.idx == 0), "start after the 784th pixel")
        with m.If(~ls.loading):
            m.d.comb += Assert((taken == PIXELS) & (ls.idx == 0) & ~ls.kick, "computing: the image is whole")
        with m.If(ls.result_valid):
            m.d.comb += Assert(~ls.loading, "a result waits only while no image loads")
        if self.sng == "entropy":
            self._entropy(m, acc, core)
        return m

    @staticmethod
    def _entropy(m, acc, core):
        ev = AnySeq(1)
        m.d.comb += [acc.entropy.valid.eq(ev), acc.entropy.payload.eq(AnySeq(len(acc.entropy.payload)))]
        first = core.req.group == 0
        took_beat = acc.entropy.valid & acc.entropy.ready
        fire = core.transfer.valid & core.transfer.ready
        with m.If(first):
            m.d.comb += Assert(took_beat == fire, "a beat is taken exactly when the core takes a transfer")
        with m.Else():
            m.d.comb += Assert(~acc.entropy.ready, "no beat taken outside the first neuron group")


class CoreHoldsResultHarness(Elaboratable):
    """``ScMlpCore``: from ``done`` until the next image starts, ``scores`` and ``cls`` do not change,
    whatever arrives on the transfer stream and ``start`` (held while not busy is ignored). With the
    accelerator's handshake proof this gives the result stream's rule: the payload is stable while valid
    is high and ready low. The schedule's counters are the core's own, so no induction closes from the
    harness: this is a bounded check over more than two whole images at a configuration whose image is
    short (one chunk of 785 lanes, L = 1)."""

    def __init__(self, config):
        self.config = config

    def elaborate(self, platform):
        from mtjsc.hdl.core import ScMlpCore
        m = Module()
        m.submodules.core = core = ScMlpCore(config=self.config)
        m.d.comb += [core.start.eq(AnySeq(1)), core.transfer.valid.eq(AnySeq(1)),
                     core.transfer.payload.eq(AnySeq(len(core.transfer.payload.as_value())))]
        begins = core.start & ~core.busy
        holding = Signal(name="holding")            # a done came and no image began since
        with m.If(core.done):
            m.d.sync += holding.eq(1)
        with m.If(begins):
            m.d.sync += holding.eq(0)
        was = Signal(name="was_holding")
        prev_scores, prev_cls = Signal.like(core.scores, name="prev_scores"), Signal.like(core.cls, name="prev_cls")
        m.d.sync += [was.eq(holding & ~begins), prev_scores.eq(core.scores), prev_cls.eq(core.cls)]
        with m.If(was):
            m.d.comb += [Assert(core.scores == prev_scores, "scores held from done to the next start"),
                         Assert(core.cls == prev_cls, "class held from done to the next start")]
        return m


# --- the list --------------------------------------------------------------------------------------------

def _small_model(hidden: int = 4):
    import numpy as np

    from mtjsc.model import ScModel
    rng = np.random.default_rng(1)
    return ScModel(w1=rng.uniform(-1, 1, (hidden, 785)), w2=rng.uniform(-1, 1, (10, hidden + 1)), encoding="sym",
                   gain=(0.15, 0.15), K=(16, 6), target_L=4, seed=1)


def _accelerator(sng: str, P: int, W: int) -> Property:
    from mtjsc.config import ScConfig
    model = _small_model()
    cfg = ScConfig.from_model(model, L=4, parallel_neurons=P, input_lanes=W)
    what = "784 pixels per image, result valid held until taken, no start while it waits" + (
        "; an entropy beat taken exactly when the core takes a transfer" if sng == "entropy" else "")
    return Property(f"accelerator-handshakes-{sng}-P{P}-W{W}", "ScMlpAccelerator",
                    {"sng": sng, "P": P, "W": W, "L": 4}, lambda: AcceleratorStreamsHarness(model, cfg, sng),
                    "prove", 2, what + " (the core's outputs free but for its done)")


def _core_holds(L: int, slow: bool) -> Property:
    from mtjsc.config import ScConfig
    from mtjsc.hdl.core import CoreSchedule
    model = _small_model(hidden=2)
    cfg = ScConfig.from_model(model, L=L, parallel_neurons=2, input_lanes=785)
    depth = 2 * CoreSchedule(cfg).cycles_per_image() + 10          # two whole images and a hold
    return Property(f"core-holds-result-H2-P2-W785-L{L}", "ScMlpCore", {"hidden": 2, "P": 2, "W": 785, "L": L},
                    lambda: CoreHoldsResultHarness(cfg), "bmc", depth,
                    "scores and class unchanged from done until the next image starts", slow)


def _build() -> list:
    props = []
    for n, kind, stages, slow in ((9, "exact", 0, False), (9, "approx", 0, False), (16, "exact", 2, False),
                                  (17, "approx", 2, False), (64, "exact", 0, True), (63, "approx", 3, True),
                                  (129, "approx", 0, True)):
        props.append(Property(f"apc-{kind}-n{n}-s{stages}", "ApproxParallelCounter",
                              {"n": n, "kind": kind, "pipeline_stages": stages},
                              (lambda n=n, kind=kind, stages=stages: ApcHarness(n, kind, stages)), "prove", stages + 2,
                              "count equals the golden count, for every input", slow))
    for n, W, kind, stages, slow in ((10, 3, "approx", 0, False), (11, 3, "approx", 1, False),
                                     (9, 4, "exact", 1, False), (13, 5, "approx", 1, True),
                                     (33, 8, "approx", 1, True)):
        C = math.ceil(n / W)
        depth = 2 * C + stages + 3                         # two whole counts with one idle clock
        for against in ("golden", "flat"):
            props.append(Property(f"lane-apc-{against}-{kind}-n{n}-W{W}-s{stages}", "LaneApc",
                                  {"n": n, "lanes": W, "kind": kind, "stages": stages},
                                  (lambda n=n, W=W, kind=kind, stages=stages, against=against:
                                   LaneApcHarness(n, W, kind, stages, against)), "bmc", depth,
                                  "the chunked count equals the " + ("golden count" if against == "golden" else
                                                                    "flat ApproxParallelCounter (equivalence)"),
                                  slow))
    for n, K, slow in ((9, 16, False), (785, 236, False), (129, 6, False)):
        props.append(Property(f"btanh-update-n{n}-K{K}", "BtanhUpdate", {"n": n, "K": K},
                              (lambda n=n, K=K: BtanhUpdateHarness(n, K)), "prove", 1,
                              "next state and y are the contract's, for every state, count and start", slow))
        props.append(Property(f"btanh-counter-n{n}-K{K}", "BtanhCounter", {"n": n, "K": K},
                              (lambda n=n, K=K: BtanhCounterHarness(n, K)), "prove", 2,
                              "state stays in [0, K-1] and follows the contract, every sequence", slow))
    for width, B, slow in ((16, 8, False), (32, 8, False), (32, 32, True)):
        props.append(Property(f"lfsr-leap-w{width}-b{B}", "LfsrLeap", {"width": width, "bits": B},
                              (lambda width=width, B=B: LfsrLeapHarness(width, B)), "prove", 1,
                              "next equals B golden single steps, for every state", slow))
    for width, k, slow in ((8, 3, False), (24, 8, False)):
        props.append(Property(f"rounder-w{width}-k{k}", "StochasticRounder", {"width": width, "drop": k,
                                                                              "source": "entropy"},
                              (lambda width=width, k=k: RounderHarness(width, k)), "prove", 1,
                              "the output equals the reference formula for every x and r", slow))
    props += [_accelerator("lfsr", 2, 5), _accelerator("entropy", 2, 5)]
    for L, slow in ((1, False), (2, True)):
        props.append(_core_holds(L, slow))
    return props


PROPERTIES = _build()


def by_name(name: str) -> Property:
    for p in PROPERTIES:
        if p.name == name:
            return p
    raise MtjscError(f"no formal property {name!r}; the properties are: {', '.join(p.name for p in PROPERTIES)}")
