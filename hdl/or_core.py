"""OR-gate neuron RTL: one fully parallel neuron and the whole 784-H-10 network core.

The arithmetic is :mod:`mtjsc.behavioral_models.or_network` (README, "OR-gate
neurons"). :class:`OrMlpCore` runs the same schedule as
:class:`~mtjsc.hdl.core.ScMlpCore` (:func:`~mtjsc.hdl.core.build_schedule`:
t outer, P hidden neurons x W lanes per transfer, then the output layer), so
its cycles per image are the same formula. What differs is the datapath: a
hidden neuron is two OR flags (excitatory, inhibitory) accumulated over the
C1 chunks of its fan-in, with no counter and no state memory between stream
indices; an output neuron is two exact lane APCs (products of positive and
of negative weights) whose difference adds to a signed score.
"""

from __future__ import annotations

from amaranth import Array, Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from mtjsc.config import CLASSES, ScConfig
from mtjsc.errors import MtjscError
from mtjsc.hdl.core import APC_STAGES, CoreSchedule, argmax, build_schedule, check_core_config, core_ports, score_bits
from mtjsc.hdl.lane_apc import LaneApc, LaneApcControl, connect_control
from mtjsc.hdl.params import check_fan_in
from mtjsc.hdl.tags import add_submodule
from mtjsc.validate import check_int


class OrNeuron(wiring.Component):
    """One hidden OR neuron fed W lanes per clock over ceil(n / W) chunks (W = n: in one clock).

    ``y`` = ``OR(x & w & ~neg) AND NOT OR(x & w & neg)`` over the chunks seen
    since ``first``, including the one presented now (combinational: the
    neuron's bit when ``last`` is high). ``x`` input bits, ``w``
    weight-magnitude bits, ``neg`` weight signs (1 = inhibitory; wiring in a
    hard-wired design, a port here so one block serves every neuron). Lanes
    past n in the last chunk are padding and fire nothing. ``en`` keeps the
    flags of the chunks so far (not needed when W = n).

    Parameters
    ----------
    n : int
        Fan-in.
    lanes : int, optional
        W, inputs per clock (default n).
    """

    def __init__(self, *, n: int, lanes: int | None = None):
        self.n = check_fan_in(n)
        self.lanes = check_int(self.n if lanes is None else lanes, "lanes W", minimum=1, maximum=self.n,
                               fix="at most the fan-in")
        self.chunks = -(-self.n // self.lanes)
        W = self.lanes
        super().__init__({"x": In(W), "w": In(W), "neg": In(W), "en": In(1), "first": In(1), "last": In(1),
                          "y": Out(1)})

    def reference(self, x, w, neg) -> bool:
        """The neuron's bit for the n input, weight and sign bits (all chunks)."""
        from mtjsc.behavioral_models.or_network import or_neuron_bit
        return or_neuron_bit(x, w, neg)

    def elaborate(self, platform):
        m = Module()
        W = self.lanes
        last_lanes = self.n - (self.chunks - 1) * W
        mask = Mux(self.last, Const((1 << last_lanes) - 1, W), Const((1 << W) - 1, W))
        prod = Signal(W)
        m.d.comb += prod.eq(self.x & self.w & mask)
        hit_pos, hit_neg = (prod & ~self.neg).any(), (prod & self.neg).any()
        if self.chunks == 1:
            m.d.comb += self.y.eq(hit_pos & ~hit_neg)
            return m
        acc_pos, acc_neg = Signal(), Signal()
        cur_pos = Mux(self.first, 0, acc_pos) | hit_pos
        cur_neg = Mux(self.first, 0, acc_neg) | hit_neg
        with m.If(self.en):
            m.d.sync += [acc_pos.eq(cur_pos), acc_neg.eq(cur_neg)]
        m.d.comb += self.y.eq(cur_pos & ~cur_neg)
        return m


class OrMlpCore(wiring.Component):
    """The OR-neuron network datapath: AND lanes, OR flags per hidden neuron, signed output counts.

    Parameters
    ----------
    config : ScConfig
        An OR configuration (``neuron="or"``): L, hidden size, P and W.

    Ports
    -----
    The ports of :class:`~mtjsc.hdl.core.ScMlpCore` (the transfer's ``w`` carries weight
    magnitude bits; its payload has one more field, ``neg``: the sign of each weight, laid out
    like ``w``, 1 = negative), and
    scores : out
        Ten signed (two's complement) scores of S + 1 bits, S = :func:`~mtjsc.hdl.core.score_bits`.
    """

    def __init__(self, *, config: ScConfig):
        self.config = check_core_config(config, "or", "OrMlpCore runs OR-neuron networks",
                                        "use ScMlpCore, or a model trained with `mtjsc train --neuron or`")
        if config.stream_lanes != 1:
            raise MtjscError(f"OrMlpCore takes one stream index per clock (stream_lanes T = 1), not "
                             f"T = {config.stream_lanes}; bit-parallel streams are built for Btanh networks")
        self.schedule = s = CoreSchedule(config)
        self.score_bits = score_bits(config) + 1
        super().__init__(core_ports(s, self.score_bits, neg=s.P * s.W))

    def reference(self, x_bits, w_bits, negative) -> dict:
        """Scores and class of one image from its stream bits (the golden model's network)."""
        from mtjsc.behavioral_models.golden import classify
        from mtjsc.behavioral_models.or_network import or_network_on_bits
        scores, _ = or_network_on_bits(x_bits, w_bits, negative, self.config)
        return {"scores": scores, "cls": int(classify(scores[None, :])[0])}

    def elaborate(self, platform):
        m = Module()
        cfg, s = self.config, self.schedule
        H = cfg.hidden
        n1, n2 = cfg.fan_in
        P, W, P2, W2 = s.P, s.W, s.P2, s.W2
        pl = self.transfer.payload
        sch = build_schedule(m, self, cfg, s, x=pl.x, w=pl.w, neg=pl.neg)
        layer, g, c, fire, pend_g = sch.layer, sch.g, sch.c, sch.fire, sch.pend_g
        in_x, in_w, in_neg = sch.data["x"], sch.data["w"], sch.data["neg"]

        # ------------------------------------------------------------ layer 0: OR neurons over W lanes
        hidden = Signal(H)
        take0 = fire & (layer == 0)
        for p in range(P):
            orn = OrNeuron(n=n1, lanes=W)
            add_submodule(self, m, f"orn_{p}", orn, "or")
            m.d.comb += [orn.x.eq(in_x), orn.w.eq(in_w[p * W:(p + 1) * W]),
                         orn.neg.eq(in_neg[p * W:(p + 1) * W]), orn.en.eq(take0), orn.first.eq(c == 0),
                         orn.last.eq(sch.last_c)]
            with m.If(take0 & sch.last_c):
                for gi in range(s.G1):
                    j = gi * P + p
                    if j < H:
                        with m.If(g == gi):
                            m.d.sync += hidden[j].eq(orn.y)

        # ------------------------------------------------------------ layer 1: AND lanes, signed counts
        hv = Cat(hidden, Const(1, 1), Const(0, s.C2 * W2 - n2))
        chunk_bits = Array(hv[k * W2:(k + 1) * W2] for k in range(s.C2))[c]
        score_regs = [Signal(signed(self.score_bits), name=f"score{k}") for k in range(CLASSES)]
        take1 = fire & (layer == 1)
        ctl1 = add_submodule(self, m, "apc1_control", LaneApcControl(n=n2, lanes=W2, stages=APC_STAGES), "apc")
        m.d.comb += [ctl1.en.eq(take1), ctl1.first.eq(c == 0)]
        for p in range(P2):
            prod = Signal(W2, name=f"prod1_{p}")
            neg = in_neg[p * W:p * W + W2]
            m.d.comb += prod.eq(chunk_bits & in_w[p * W:p * W + W2])
            apcs = []
            for tag, bits in (("pos", prod & ~neg), ("neg", prod & neg)):
                apc = LaneApc(n=n2, lanes=W2, kind="exact", stages=APC_STAGES, control="shared")
                add_submodule(self, m, f"apc1_{tag}_{p}", apc, "apc")
                connect_control(m, ctl1, apc)
                m.d.comb += apc.bits.eq(bits)
                apcs.append(apc)
            for gi in range(s.G2):
                k = gi * P2 + p
                if k < CLASSES:
                    with m.If(apcs[0].count_valid & (pend_g == gi)):
                        m.d.sync += score_regs[k].eq(score_regs[k] + apcs[0].count - apcs[1].count)
        with m.If(sch.start):
            m.d.sync += [r.eq(0) for r in score_regs]
        m.d.comb += [self.scores.eq(Cat(*score_regs)), self.cls.eq(argmax(m, score_regs))]
        return m
