"""`ScMlpCore`: both layers of the 784-H-10 SC network, P neurons x W lanes per clock.

The core owns the schedule and asks for bits; whoever drives it (a cocotb
testbench with any stream source, or the accelerator's SNG banks) answers.
Schedule (README, arithmetic contract: the stream index fixes every bit, the
schedule only fixes when it is used)::

    for t in 0..L-1:                       # stream index
        for g in 0..G1-1:                  # hidden neurons g P .. g P + P - 1
            for c in 0..C1-1:              # inputs c W .. c W + W - 1 (x bits and P x W weight bits)
        (one clock for the last hidden bits to land)
        for g in 0..G2-1:                  # output neurons, P2 = min(P, 10) at a time
            for c in 0..C2-1:              # hidden bits + bias, W2 = min(W, H + 1) lanes (weight bits only)

with G1 = ceil(H / P), C1 = ceil(785 / W), G2 = ceil(10 / P2), C2 = ceil((H + 1) / W2).
Each (group, chunk) is one transfer on the ``transfer`` stream; the
request coordinates ``req`` (and ``nxt``, those of the next clock) say which
bits it must carry. Hidden Btanh states live in a memory of G1 words of P states, served
by P :class:`BtanhUpdate` units; scores are the sums over t of the output
APC counts; ``cls`` is their argmax, lowest index on ties.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

from amaranth import Array, Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from mtjsc.config import CLASSES, ScConfig
from mtjsc.errors import MtjscError
from mtjsc.hdl.btanh import BtanhUpdate
from mtjsc.hdl.lane_apc import LaneApc, LaneApcControl, connect_control
from mtjsc.hdl.memory import MemoryBlock
from mtjsc.hdl.xnor import XnorArray
from mtjsc.hdl.tags import add_submodule


#: Register stages that keep the clock short on an FPGA: the input register between a transfer and
#: the datapath (it cuts a driver's memories and comparators from the APCs), the lane APCs'
#: registered partial counts (``LaneApc(stages=1)``: gate network and adder tree in one clock, the
#: accumulation in the next) and the levels of the registered argmax tree (ceil(log2 10)).
INPUT_STAGES, APC_STAGES, ARGMAX_STAGES = 1, 1, 4
#: Clocks between the layers: the last hidden bits land before layer 1 reads them.
BUBBLE = 1 + APC_STAGES
#: Clocks from the last transfer to ``done``: APC count, score register, spare, then the stages above.
DRAIN = 2 + INPUT_STAGES + APC_STAGES + ARGMAX_STAGES
#: Register stages of the early-exit check after the argmax: the best score, the leads, the decision.
EXIT_STAGES = 3
#: Clocks the schedule stalls at an early-exit block boundary: the scores settle (:data:`DRAIN`),
#: the check runs (:data:`EXIT_STAGES`), one to act on it.
CHECK = DRAIN + EXIT_STAGES + 1


def score_bits(config: ScConfig) -> int:
    """Width of a score register: scores reach (H + 1) L."""
    return (config.fan_in[1] * config.L).bit_length()


class CoreSchedule:
    """The core's schedule sizes and cycle count, from an :class:`ScConfig` and an optional early-exit
    rule (one definition for the RTL, the testbench and the manifest)."""

    def __init__(self, config: ScConfig, early_exit=None):
        self.config = config
        self.early_exit = early_exit
        n1, n2 = config.fan_in
        self.P, self.W, self.T = config.neurons_in_parallel, config.lanes, config.stream_lanes
        self.P2, self.W2 = min(self.P, CLASSES), min(self.W, n2)
        self.G1, self.C1 = math.ceil(config.hidden / self.P), math.ceil(n1 / self.W)
        self.G2, self.C2 = math.ceil(CLASSES / self.P2), math.ceil(n2 / self.W2)

    @property
    def transfers_per_t(self) -> int:
        return self.G1 * self.C1 + self.G2 * self.C2

    def cycles_per_image(self) -> int:
        """Clocks from ``start`` to ``done`` with the input never stalling:
        (L / T) (G1 C1 + BUBBLE + G2 C2) transfers and bubbles, plus 1 (start) and :data:`DRAIN`; with
        early exit, those of an image that runs to the end (:meth:`cycles_at_exit` of L)."""
        return self.cycles_at_exit(self.config.L)

    def cycles_at_exit(self, t: int) -> int:
        """Clocks from ``start`` to ``done`` of an image that stops after ``t`` stream indices: the
        transfers and bubbles of t indices, :data:`CHECK` stalled clocks at every block boundary it
        passed, and :data:`DRAIN` (the last index) or ``CHECK + 1`` (an exit at a boundary)."""
        L, T = self.config.L, self.T
        if self.early_exit is None:
            if t != L:
                raise MtjscError(f"an image without early exit runs all L = {L} stream indices, not {t}")
            return L // T * (self.transfers_per_t + BUBBLE) + 1 + DRAIN
        Tb = self.early_exit.block
        if not (t == L or (0 < t < L and t % Tb == 0)):
            raise MtjscError(f"an image stops at a block boundary (a multiple of {Tb} below {L}) or at L, not {t}")
        checks = -(-t // Tb) - 1           # boundaries passed before the last index (or the exit) of t
        return 1 + t // T * (self.transfers_per_t + BUBBLE) + checks * CHECK + (DRAIN if t == L else CHECK + 1)

    def formula(self) -> str:
        steps = "L" if self.T == 1 else f"L / {self.T}"
        if self.early_exit is None:
            return f"{steps} * (G1*C1 + {BUBBLE} + G2*C2) + {1 + DRAIN}"
        t = "t" if self.T == 1 else f"t / {self.T}"
        return (f"1 + {t} * (G1*C1 + {BUBBLE} + G2*C2) + (ceil(t / Tb) - 1) * {CHECK} + "
                f"({DRAIN} if t == L else {CHECK + 1}), t = the stream indices the image used, Tb = "
                f"{self.early_exit.block}")

    def as_dict(self) -> dict:
        out = {"P": self.P, "W": self.W, "T": self.T, "P2": self.P2, "W2": self.W2, "G1": self.G1, "C1": self.C1,
               "G2": self.G2, "C2": self.C2, "cycles_per_image": self.cycles_per_image(),
               "cycles_formula": self.formula()}
        if self.early_exit is not None:
            e = self.early_exit
            out["early_exit"] = {"rule": e.rule, "block": e.block, "margin": e.margin}
        return out


class RequestSignature(wiring.Signature):
    """The coordinates of a transfer, driven by the core: ``layer``, stream index ``t``, neuron
    ``group`` and input ``chunk`` (Verilog ``<port>__layer``, ...)."""

    def __init__(self, schedule: CoreSchedule):
        s = schedule
        super().__init__({"layer": Out(1), "t": Out(range(s.config.L)), "group": Out(range(max(s.G1, s.G2, 2))),
                          "chunk": Out(range(max(s.C1, s.C2, 2)))})


def transfer_layout(schedule: CoreSchedule, **extra: int) -> data.StructLayout:
    """The bits of one transfer: ``x`` (W input bits, lane l at bit l), ``w`` (P W weight bits, neuron p's
    lane l at bit p W + l), then ``extra`` fields of the given widths (the OR core's signs). With T
    stream indices per clock, ``x`` and ``w`` hold T such words, index t + k at word k."""
    T = schedule.T
    return data.StructLayout({"x": T * schedule.W, "w": T * schedule.P * schedule.W, **extra})


def result_layout(score_width: int, signed_scores: bool = False, L: int | None = None) -> data.StructLayout:
    """A classified image: ``cls`` (4 bits), then ``scores``, ten of ``score_width`` bits, score 0 first
    (two's complement with ``signed_scores``, as an OR network's are); with ``L`` (a design with early
    exit) then ``t``, the stream indices the image used (0..L).
    Decode a raw payload with ``result_layout(S).from_bits(value)`` (``.cls``, ``.scores[k]``, ``.t``)."""
    score = signed(score_width) if signed_scores else unsigned(score_width)
    fields = {"cls": range(CLASSES), "scores": data.ArrayLayout(score, CLASSES)}
    if L is not None:
        fields["t"] = range(L + 1)
    return data.StructLayout(fields)


def check_core_config(config, neuron: str, what: str, fix: str) -> ScConfig:
    """``config`` as a network core takes it: an :class:`ScConfig` for ``neuron`` neurons, else an error
    saying ``what`` the core runs and the ``fix``."""
    if not isinstance(config, ScConfig):
        raise MtjscError(f"config must be an ScConfig, got {type(config).__name__}")
    if config.neuron != neuron:
        raise MtjscError(f"{what}; this config is for {config.neuron!r} neurons ({fix})")
    return config


def core_ports(s: CoreSchedule, score_width: int, **extra: int) -> dict:
    """The port signature shared by the network cores: control, the request of this clock (``req``)
    and of the next (``nxt``), the ``transfer`` stream whose payload is :func:`transfer_layout` with
    ``extra`` fields, the scores, and with early exit ``used`` (the stream indices the image used, 0..L;
    a design without it keeps the ports, and the Verilog, it had before early exit)."""
    ports = {
        "start": In(1), "busy": Out(1), "done": Out(1),
        "req": Out(RequestSignature(s)), "nxt": Out(RequestSignature(s)),
        "transfer": In(stream.Signature(transfer_layout(s, **extra))),
        "scores": Out(CLASSES * score_width), "cls": Out(range(CLASSES)),
    }
    if s.early_exit is not None:
        ports["used"] = Out(range(s.config.L + 1))
    return ports


def build_schedule(m: Module, core, config: ScConfig, s: CoreSchedule, exit_now=None, **data) -> SimpleNamespace:
    """The schedule FSM shared by the network cores (module docstring): drives the core's
    ``busy``/``done``/``req_*``/``nxt_*``/``in_ready`` ports and returns what the datapath reads,
    all of it :data:`INPUT_STAGES` clocks after the transfer was taken (the input register):
    ``fire`` (a transfer arrives), its ``layer``, ``g``, ``c`` and ``last_c``, the registered
    ``data`` (one entry per keyword: the transfer's bit ports), ``pend_g``/``pend_t0`` (the group,
    and whether t = 0, of the transfer whose lane APC count shows now), ``pre_g`` (``pend_g`` of the
    next clock), ``start`` (an image starts this clock) and ``checked`` (the last clock of a stall at an
    early-exit block boundary: with ``s.early_exit``, ``exit_now`` is read then and ends the image)."""
    cfg = config
    running = Signal()
    layer = Signal()
    T = s.T
    t = Signal(range(max(cfg.L, 2)))                     # the first of the T stream indices of this step
    g = Signal(range(max(s.G1, s.G2, 2)))
    c = Signal(range(max(s.C1, s.C2, 2)))
    bubble = Signal(range((BUBBLE if s.early_exit is None else max(BUBBLE, CHECK)) + 1))   # stalled clocks left:
    # the hidden bits landing, an exit check
    # steps of T indices per early-exit block (the block is a multiple of T, ScConfig checks it)
    steps = s.early_exit.block // T if s.early_exit is not None else None
    phase = Signal(range(max(2, steps))) if steps is not None else None      # the step within the block
    drain = Signal(range(DRAIN + 1))
    m.d.comb += [core.req.layer.eq(layer), core.req.t.eq(t), core.req.group.eq(g), core.req.chunk.eq(c),
                 core.busy.eq(running | (drain != 0)), core.transfer.ready.eq(running & (bubble == 0))]
    fire = Signal()
    m.d.comb += fire.eq(core.transfer.valid & core.transfer.ready)
    used = Signal(range(cfg.L + 1))      # stream indices done: the image's ``used`` once it is done
    if s.early_exit is not None:
        m.d.comb += core.used.eq(used)
    boundary = Signal()                  # the bubble is an early-exit check
    last_c = c == Mux(layer, s.C2 - 1, s.C1 - 1)
    last_g = g == Mux(layer, s.G2 - 1, s.G1 - 1)
    m.d.sync += core.done.eq(0)
    with m.If(bubble != 0):
        m.d.sync += bubble.eq(bubble - 1)
    # the coordinates of the next clock, as comb signals: a memory addressed with them has its
    # data ready when the request shows them (sync read, no bubble)
    n_layer, n_t, n_g, n_c = Signal.like(layer), Signal.like(t), Signal.like(g), Signal.like(c)
    m.d.comb += [n_layer.eq(layer), n_t.eq(t), n_g.eq(g), n_c.eq(c)]
    with m.If(~running & (drain == 0) & core.start):
        m.d.sync += running.eq(1)
        m.d.comb += [n_layer.eq(0), n_t.eq(0), n_g.eq(0), n_c.eq(0)]
    with m.If(fire):
        with m.If(~last_c):
            m.d.comb += n_c.eq(c + 1)
        with m.Else():
            m.d.comb += n_c.eq(0)
            with m.If(~last_g):
                m.d.comb += n_g.eq(g + 1)
            with m.Else():
                m.d.comb += n_g.eq(0)
                with m.If(layer == 0):
                    m.d.comb += n_layer.eq(1)
                    m.d.sync += bubble.eq(BUBBLE)
                with m.Else():
                    m.d.comb += n_layer.eq(0)
                    if s.early_exit is not None:
                        m.d.sync += used.eq(t + T)
                    with m.If(t == cfg.L - T):
                        m.d.sync += [running.eq(0), drain.eq(DRAIN)]
                    with m.Else():
                        m.d.comb += n_t.eq(t + T)
                        if s.early_exit is not None:
                            # t + T a multiple of Tb: the step within the block, kept as a counter (no divider)
                            with m.If(phase == steps - 1):
                                m.d.sync += [bubble.eq(CHECK), boundary.eq(1)]
    if s.early_exit is not None:
        with m.If(n_t != t):
            m.d.sync += phase.eq(Mux(phase == steps - 1, 0, phase + 1))
        with m.If(n_t == 0):
            m.d.sync += phase.eq(0)
        with m.If(boundary & (bubble == 1)):      # the check's last clock: its decision is settled
            m.d.sync += boundary.eq(0)
            with m.If(exit_now):
                m.d.sync += [running.eq(0), drain.eq(1)]
    m.d.sync += [layer.eq(n_layer), t.eq(n_t), g.eq(n_g), c.eq(n_c)]
    m.d.comb += [core.nxt.layer.eq(n_layer), core.nxt.t.eq(n_t), core.nxt.group.eq(n_g),
                 core.nxt.chunk.eq(n_c)]
    with m.If(drain != 0):
        m.d.sync += drain.eq(drain - 1)
        with m.If(drain == 1):
            m.d.sync += core.done.eq(1)

    # the input register: the transfer and its coordinates, one clock later
    assert INPUT_STAGES == 1
    q = SimpleNamespace(fire=Signal(name="q_fire"), layer=Signal(name="q_layer"), g=Signal.like(g, name="q_g"),
                        c=Signal.like(c, name="q_c"), last_c=Signal(name="q_last_c"), t0=Signal(name="q_t0"))
    m.d.sync += [q.fire.eq(fire), q.layer.eq(layer), q.g.eq(g), q.c.eq(c), q.last_c.eq(last_c), q.t0.eq(t == 0)]
    regs = {}
    for name, sig in data.items():
        regs[name] = Signal.like(sig, name=f"q_{name}")
        m.d.sync += regs[name].eq(sig)
    # the group (and t = 0) of an arriving transfer, 1 + APC_STAGES clocks later, when its lane APC
    # count shows: ``pend_*`` line up with ``count_valid``, ``pre_g`` is the group one clock earlier
    # (the address of a synchronous read whose data must be ready with the count)
    chain_g, chain_t0 = [q.g], [q.t0]
    for k in range(1 + APC_STAGES):
        chain_g.append(Signal.like(g, name=f"pend{k}_g"))
        chain_t0.append(Signal(name=f"pend{k}_t0"))
        m.d.sync += [chain_g[-1].eq(chain_g[-2]), chain_t0[-1].eq(chain_t0[-2])]
    start = ~running & (drain == 0) & core.start
    return SimpleNamespace(running=running, start=start, fire=q.fire, layer=q.layer, g=q.g, c=q.c,
                           last_c=q.last_c, data=regs, pend_g=chain_g[-1], pend_t0=chain_t0[-1],
                           pre_g=chain_g[-2], checked=boundary & (bubble == 1), used=used)


def check_exit_rule(rule, config: ScConfig):
    """``rule`` (an :class:`~mtjsc.behavioral_models.early_exit.ExitRule` or None) checked against the
    stream length and output fan-in of ``config``."""
    if rule is None:
        return None
    from mtjsc.behavioral_models.early_exit import ExitRule
    if not isinstance(rule, ExitRule):
        raise MtjscError(f"early_exit must be an ExitRule or None, got {type(rule).__name__}")
    if rule.block % config.stream_lanes:
        raise MtjscError(f"early-exit block {rule.block} is not a multiple of T = {config.stream_lanes} "
                         f"(stream indices per clock): the check runs between clocks")
    return rule.check(config.L, config.fan_in[1])


def exit_decision(m: Module, regs: list, cls, remaining, margin):
    """The early-exit rule (:func:`mtjsc.behavioral_models.early_exit.step`) on settled score
    registers: every class k != cls behind by more than ``remaining`` (or by exactly that with
    cls < k), or, with ``margin``, every one behind by at least ``margin``. Registered in
    :data:`EXIT_STAGES` stages (the best score, the leads, the decision)."""
    sb = len(regs[0])
    best, k_best = Signal(sb, name="exit_best"), Signal(range(CLASSES), name="exit_cls")
    m.d.sync += [best.eq(Array(regs)[cls]), k_best.eq(cls)]
    leads = [Signal(sb, name=f"exit_lead{k}") for k in range(CLASSES)]
    m.d.sync += [lead.eq(best - r) for lead, r in zip(leads, regs)]
    k_lead = Signal.like(k_best, name="exit_cls_lead")
    m.d.sync += k_lead.eq(k_best)
    safe = []
    for k, lead in enumerate(leads):
        ok = (k_lead == k) | (lead > remaining) | ((lead == remaining) & (k_lead < k))
        if margin is not None:
            ok = ok | (lead >= margin)
        safe.append(ok)
    decided = Signal(name="exit_decided")
    m.d.sync += decided.eq(Cat(*safe).all())
    return decided


def argmax_reference(values) -> int:
    """Index of the largest value, lowest index on ties."""
    return max(range(len(values)), key=lambda k: (values[k], -k))


def argmax(m: Module, regs: list, stages: int = ARGMAX_STAGES):
    """Index of the largest register, lowest index on ties (:func:`argmax_reference`), as a tree of
    pairwise comparisons with a register after each level (``stages`` levels: ceil(log2 len)).
    Each pair keeps its left (lower-index) entry unless the right one is strictly larger, which keeps
    the lowest index on ties at any tree shape. The index is valid ``stages`` clocks after the
    registers settle."""
    n = len(regs)
    if stages != max(1, math.ceil(math.log2(n))):
        raise MtjscError(f"an argmax over {n} values has {max(1, math.ceil(math.log2(n)))} levels, not {stages}")
    level = [(r, Const(k, range(n))) for k, r in enumerate(regs)]
    depth = 0
    while len(level) > 1 or depth == 0:
        nxt = []
        for i in range(0, len(level), 2):
            (va, ka), (vb, kb) = level[i], level[i + 1] if i + 1 < len(level) else level[i]
            v, k = Signal.like(va, name=f"amax{depth}_{i // 2}_v"), Signal(range(n), name=f"amax{depth}_{i // 2}_k")
            right = vb > va if i + 1 < len(level) else Const(0)
            m.d.sync += [v.eq(Mux(right, vb, va)), k.eq(Mux(right, kb, ka))]
            nxt.append((v, k))
        level, depth = nxt, depth + 1
    return level[0][1]


class ScMlpCore(wiring.Component):
    """The SC network datapath: XNOR lanes, lane APCs, Btanh updaters with state memory, scores.

    Parameters
    ----------
    config : ScConfig
        L, K, APC kind, hidden size, P (``parallel_neurons``) and W (``input_lanes``).
    early_exit : ExitRule, optional
        Stop an image at a block boundary when the rule
        (:mod:`mtjsc.behavioral_models.early_exit`) says its class is decided; ``scores`` and
        ``cls`` are then those of the indices done, ``used`` says how many.

    Ports
    -----
    start : in
        Begin an image (when not ``busy``).
    busy, done : out
        ``done`` pulses once the scores of the image are final.
    req : out, :class:`RequestSignature`
        The transfer the core waits for (``layer``, ``t``, ``group``, ``chunk``).
    nxt : out, :class:`RequestSignature`
        The request of the next clock (address a synchronous memory with it).
    transfer : in, ``stream.Signature(transfer_layout(schedule))``
        The bits of the requested transfer: payload ``x`` lane l = input c W + l of layer 0
        (ignored in layer 1); ``w`` bit p W + l = weight bit of neuron g P + p, input c W + l
        (layer 1: neuron g P2 + p, lane l < W2).
    scores : out
        Ten scores, score k at bits [k S, (k + 1) S), S = :func:`score_bits`.
    cls : out
        argmax of the scores, lowest index on ties.
    used : out
        With early exit: the stream indices the image used, valid with ``done``.
    """

    def __init__(self, *, config: ScConfig, early_exit=None):
        self.config = check_core_config(config, "btanh", "ScMlpCore runs Btanh networks", "use OrMlpCore")
        self.early_exit = check_exit_rule(early_exit, self.config)
        self.schedule = CoreSchedule(config, self.early_exit)
        self.score_bits = score_bits(config)
        super().__init__(core_ports(self.schedule, self.score_bits))

    def reference(self, x_bits, w_bits) -> dict:
        """Scores and class of one image from its stream bits (the golden model's layers).

        ``x_bits`` bool [L, 785], ``w_bits`` (bool [L, H, 785], bool [L, 10, H + 1]).
        """
        from mtjsc.behavioral_models.golden import classify, network_on_bits
        scores, _ = network_on_bits(x_bits, w_bits, self.config)
        return {"scores": scores, "cls": int(classify(scores[None, :])[0])}

    def elaborate(self, platform):
        m = Module()
        cfg, s = self.config, self.schedule
        H, K0 = cfg.hidden, cfg.K[0]
        n1, n2 = cfg.fan_in
        P, W, P2, W2, T = s.P, s.W, s.P2, s.W2, s.T
        sb = self.score_bits

        exit_now = Signal(name="exit_now") if self.early_exit is not None else None
        sch = build_schedule(m, self, cfg, s, exit_now=exit_now, x=self.transfer.payload.x, w=self.transfer.payload.w)
        layer, c, fire = sch.layer, sch.c, sch.fire
        in_x, in_w = sch.data["x"], sch.data["w"]
        pend_g, pend_t0 = sch.pend_g, sch.pend_t0

        def sfx(k):        # copy k of a block (the T = 1 design keeps its names)
            return "" if k == 0 else f"_k{k}"

        # ------------------------------------------------------------ layer 0: XNOR, lane APC, Btanh
        # Copy k of the datapath takes stream index t + k; the Btanh updates of one neuron are chained
        # through the T indices in one clock (index t + k starts from the state after t + k - 1).
        sbits = max(1, (K0 - 1).bit_length())
        mem = MemoryBlock(width=P * sbits, depth=s.G1, writable=True)     # read-before-write
        add_submodule(self, m, "mem_states", mem, "memories")
        rd, wr = mem.rd, mem.wr
        m.d.comb += [rd.addr.eq(sch.pre_g), wr.addr.eq(pend_g)]
        hidden = [Signal(H, name="hidden" + sfx(k)) for k in range(T)]
        new_bits = [[] for _ in range(T)]
        new_states = []
        ctl0 = add_submodule(self, m, "apc0_control", LaneApcControl(n=n1, lanes=W, stages=APC_STAGES), "apc")
        m.d.comb += [ctl0.en.eq(fire & (layer == 0)), ctl0.first.eq(c == 0)]
        for p in range(P):
            state = rd.data[p * sbits:(p + 1) * sbits]
            for k in range(T):
                apc = LaneApc(n=n1, lanes=W, kind=cfg.apc, stages=APC_STAGES, control="shared")
                upd = BtanhUpdate(n=n1, K=K0)
                add_submodule(self, m, f"apc0_{p}{sfx(k)}", apc, "apc")
                add_submodule(self, m, f"btanh_{p}{sfx(k)}", upd, "btanh")
                xnor = add_submodule(self, m, f"xnor0_{p}{sfx(k)}", XnorArray(n=W), "xnor")
                wk = in_w[k * P * W:(k + 1) * P * W]
                m.d.comb += [xnor.x.eq(in_x[k * W:(k + 1) * W]), xnor.w.eq(wk[p * W:(p + 1) * W])]
                connect_control(m, ctl0, apc)
                m.d.comb += [apc.bits.eq(xnor.p), upd.state.eq(state), upd.count.eq(apc.count),
                             upd.start.eq(pend_t0 if k == 0 else 0)]
                state = upd.next_state
                new_bits[k].append((apc.count_valid, upd.y))
            new_states.append(state)
        valid = new_bits[0][0][0]
        m.d.comb += [wr.data.eq(Cat(*[ns.as_unsigned()[:sbits] for ns in new_states])), wr.en.eq(valid)]
        # hidden bits of the pending group: neuron pend_g P + p, one word per stream index of the step
        for gi in range(s.G1):
            with m.If(valid & (pend_g == gi)):
                for k in range(T):
                    for p in range(P):
                        j = gi * P + p
                        if j < H:
                            m.d.sync += hidden[k][j].eq(new_bits[k][p][1])

        # ------------------------------------------------------------ layer 1: XNOR, lane APC, scores
        score_regs = [Signal(sb, name=f"score{k}") for k in range(CLASSES)]
        ctl1 = add_submodule(self, m, "apc1_control", LaneApcControl(n=n2, lanes=W2, stages=APC_STAGES), "apc")
        m.d.comb += [ctl1.en.eq(fire & (layer == 1)), ctl1.first.eq(c == 0)]
        counts = [[] for _ in range(P2)]          # per output slot: (valid, count) of each copy
        for k in range(T):
            hv = Cat(hidden[k], Const(1, 1), Const(0, s.C2 * W2 - n2))
            chunk_bits = Array(hv[i * W2:(i + 1) * W2] for i in range(s.C2))[c]
            wk = in_w[k * P * W:(k + 1) * P * W]
            for p in range(P2):
                apc = LaneApc(n=n2, lanes=W2, kind=cfg.apc, stages=APC_STAGES, control="shared")
                add_submodule(self, m, f"apc1_{p}{sfx(k)}", apc, "apc")
                xnor = add_submodule(self, m, f"xnor1_{p}{sfx(k)}", XnorArray(n=W2), "xnor")
                m.d.comb += [xnor.x.eq(chunk_bits), xnor.w.eq(wk[p * W:p * W + W2])]
                connect_control(m, ctl1, apc)
                m.d.comb += apc.bits.eq(xnor.p)
                counts[p].append((apc.count_valid, apc.count))
        for p in range(P2):
            total = counts[p][0][1] if T == 1 else sum(cnt for _, cnt in counts[p])
            for gi in range(s.G2):
                k = gi * P2 + p
                if k < CLASSES:
                    with m.If(counts[p][0][0] & (pend_g == gi)):
                        m.d.sync += score_regs[k].eq(score_regs[k] + total)
        with m.If(sch.start):
            m.d.sync += [r.eq(0) for r in score_regs]
        m.d.comb += self.scores.eq(Cat(*score_regs))

        m.d.comb += self.cls.eq(argmax(m, score_regs))
        if self.early_exit is not None:
            e = self.early_exit
            # R = (L - t) n2 at the boundary being checked: (L - Tb) n2 at the first, Tb n2 less at each next
            remaining = Signal(sb, name="exit_remaining")
            with m.If(sch.start):
                m.d.sync += remaining.eq((cfg.L - e.block) * n2)
            with m.Elif(sch.checked & ~exit_now):
                m.d.sync += remaining.eq(remaining - e.block * n2)
            m.d.comb += exit_now.eq(exit_decision(m, score_regs, self.cls, remaining, e.margin))
        return m
