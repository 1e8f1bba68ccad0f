"""`BlockedScAccelerator`: the pass-major SC accelerator (Tb = L), past the block-RAM wall.

:class:`~mtjsc.hdl.accelerator.ScMlpAccelerator` reads every weight threshold again for every
stream index, so its block RAMs, not its logic, bound it. The stream index, not the clock, fixes
every bit (DESIGN.md), so the schedule is free; this design turns the loops inside out::

    for g in 0..G1-1:                      # hidden neurons g P .. g P + P - 1
        for c in 0..C1-1:                  # inputs c W .. c W + W - 1: one *pass*
            read the P W weight and W pixel thresholds once; restart the chunk's 2 W LFSRs from their seeds
            for s in 0..L/T-1:             # stream indices s T .. s T + T - 1, one clock
                P x W x T lanes: comparators, XNOR, chunk counts; add into the partial sums of (p, t)
                (last chunk: the totals, kept for the group's sweep)
        after the last pass of g, its sweep: t = 0..L-1, one index a clock, through P Btanh updaters
        and 10 x P output-layer lanes into the ten scores, while the next group's passes run

Each threshold is read once per image and held for the L / T clocks of its pass; the partial
sums of the P neurons of a group over all t live in one memory of L / T words of P T counts.
The output layer's bias input is a chunk of its own when P divides H (run while group 0 goes by).
The scores are the sums over t and over chunks of the output layer's chunk counts, which equal the
sums over t of its APC counts, so the result equals the golden ``lfsr`` source's at any P, W and T.

Pipeline of a pass step: (0) the LFSR banks, restarted from the chunk's seed ROM word at s = 0 and
leaping T indices a clock, register the T numbers of each lane; (1) comparators and XNOR against the
held thresholds, registered; (2) the chunk counts, registered; (3) the partial sums (read in stage 2,
written here); the last chunk writes its totals to a buffer instead. A group's *sweep* then reads them
one index a clock: P Btanh updaters (one update a clock each, so the state loop is one update however
large T is) feed 10 x P output-layer lanes, while the next group's passes run.
"""

from __future__ import annotations

import math

from amaranth import Array, Cat, Const, Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from mtjsc.behavioral_models import lfsr as lfsr_def
from mtjsc.config import CLASSES, PIXELS, ScConfig
from mtjsc.errors import MtjscError
from mtjsc.hdl.accelerator import (check_model_config, ecp5_ebr, ecp5_ebr_for_slots, image_io, load_state, seed_words,
                                   slot_words, threshold_matrix, _pack)
from mtjsc.hdl.btanh import BtanhUpdate
from mtjsc.hdl.core import ARGMAX_STAGES, argmax, result_layout, score_bits
from mtjsc.hdl.lane_apc import ChunkCount
from mtjsc.hdl.lfsr import ComparatorSng, LfsrLeap
from mtjsc.hdl.memory import MemoryBlock
from mtjsc.hdl.tags import add_submodule
from mtjsc.hdl.xnor import XnorArray
from mtjsc.validate import check_int, check_seed

#: Register stages of a pass step from the LFSR registers to the partial sums (module docstring).
PASS_STAGES = 3
#: Clocks of a sweep beside its L index clocks: the setup clock (threshold and seed ROMs read) and the
#: stages from the addresses to the scores (B to F).
L1_SETUP, L1_STAGES = 1, 5
#: Where the layer-0 seed ROMs go (MemoryBlock ``style``): shallow and 512 bits wide, Yosys would build
#: them from LUTs whose address and data nets congested the router (router2 heatmap); one definition
#: for the RTL and the manifest's EBR estimate.
SEED_ROM_STYLE = "block"
#: Hidden neurons that read one copy of a clock's random numbers and pixel bits (stage 1), by default:
#: None, one copy for all P. One number register drives P = 16 comparators across the chip (the routed
#: T = 8 design's critical path, 19.79 ns of route), but copies at 4 did not route better: with the
#: seed-ROM slices of 7b1637c they added 6,198 flip-flops at T = 8 and router2 did not converge
#: (docs/results/ecp5-accelerator.md).
NUMBER_FANOUT = None
#: Clocks from the start pulse to the first pass step, and from the last score update to ``done``
#: (the score registers, the argmax tree, the done register).
LEAD, TAIL = 1, 1 + ARGMAX_STAGES


class PassSchedule:
    """Sizes and clocks of the pass-major schedule of an :class:`ScConfig` (one definition for the
    RTL, the testbenches and the manifest)."""

    def __init__(self, config: ScConfig):
        self.config = config
        n1, n2 = config.fan_in
        self.P, self.W, self.T = config.neurons_in_parallel, config.lanes, config.stream_lanes
        self.N = config.L // self.T                           # clocks of a pass
        self.G1, self.C1 = math.ceil(config.hidden / self.P), math.ceil(n1 / self.W)
        self.C2 = math.ceil(n2 / self.P)                      # output-layer chunks of P hidden inputs
        self.bias_job = config.hidden % self.P == 0           # the bias is a chunk of its own

    @property
    def passes(self) -> int:
        return self.G1 * self.C1

    def cycles_per_image(self) -> int:
        """Clocks from ``start`` to ``done``: G1 C1 passes of L / T clocks, the last group's sweep of L
        indices and :attr:`overhead`."""
        return self.passes * self.N + self.config.L + self.overhead

    @property
    def overhead(self) -> int:
        """The lead, the pass pipeline to the last totals, the sweep's setup and stages, the tail."""
        return LEAD + PASS_STAGES + L1_SETUP + L1_STAGES + TAIL

    def formula(self) -> str:
        return f"G1*C1 * L/T + L + {self.overhead}, G1 = ceil(H/P), C1 = ceil(785/W)"

    def as_dict(self) -> dict:
        return {"dataflow": "pass-major", "P": self.P, "W": self.W, "T": self.T, "Tb": self.config.L,
                "G1": self.G1, "C1": self.C1, "C2": self.C2, "clocks_per_pass": self.N,
                "cycles_per_image": self.cycles_per_image(), "cycles_formula": self.formula()}


def check_pass_config(config: ScConfig, sng: str, early_exit) -> PassSchedule:
    """The schedule of a pass-major design, or an error that says which knob to change."""
    s = PassSchedule(config)
    if config.neuron != "btanh":
        raise MtjscError("the pass-major accelerator (Tb = L) is built for Btanh networks; an OR network "
                         "runs on ScMlpAccelerator (stream_block Tb = 1)")
    if sng != "lfsr":
        raise MtjscError(f"sng={sng!r}: the pass-major accelerator (Tb = L) restarts its LFSR banks from seeds "
                         f"at every pass; entropy numbers would have to be kept for all L indices of every "
                         f"input ({2 * config.fan_in[0] * config.L * config.sng_bits:,} bits at L = {config.L}; "
                         f"at L = 256, 3.2 Mbit, more than the ECP5-85F's block RAM beside the weights), and "
                         f"that buffer is not built; use Tb = 1")
    if early_exit is not None:
        raise MtjscError("early exit stops at block boundaries, and the pass-major accelerator (Tb = L) has "
                         "none: it finishes the hidden layer's passes before any score exists; use Tb = 1")
    if s.N < 2:
        raise MtjscError(f"T = {s.T} at L = {config.L} leaves {s.N} clock per pass; the partial sums and the "
                         f"seed ROM need at least 2 (T at most L / 2)")
    if config.apc == "approx" and (s.W % 2 or s.P % 2 or config.hidden % 2):
        raise MtjscError(f"the approximate APC pairs inputs (2k, 2k + 1); the pass-major accelerator needs even "
                         f"W, P and H so that no pair straddles two passes (W = {s.W}, P = {s.P}, "
                         f"H = {config.hidden})")
    job = L1_SETUP + config.L + L1_STAGES + 1
    if s.C1 * s.N < job:
        raise MtjscError(f"the sweep of a group (its Btanh updates and output layer, {job} clocks at L = "
                         f"{config.L}) must fit in the next group's {s.C1} passes of {s.N} clocks; use fewer "
                         f"lanes W or a smaller T")
    return s


class BlockedScAccelerator(wiring.Component):
    """Image in, class and scores out, the pass-major schedule (module docstring).

    Parameters
    ----------
    model : ScModel
        Weights (their SNG thresholds fill the memories).
    config : ScConfig
        L, K, APC kind, B, LFSR width, P, W, T, with ``stream_block`` = L.
    seed : int
        Run seed of the LFSR seed schedule (the ``lfsr`` source's ``seed``).
    sng : {"lfsr"}
        On-chip LFSR SNGs (the only kind this schedule takes).
    early_exit : None
        Not supported (no block boundaries); anything else is an error.
    number_fanout : int or None
        Hidden neurons per copy of stage 1's random-number registers and pixel-bit comparators:
        ceil(P / number_fanout) copies; one when it is None (the default) or P or more. The same
        results for any value.
        The copies carry the ``keep`` attribute; Yosys merges equal flip-flops even so unless their
        cells are marked too, which the project's ECP5 flow does (:data:`mtjsc.toolchain.KEEP_FLOPS`).

    Ports
    -----
    pixels : stream of 8-bit pixel values, 784 per image (row-major)
    result : stream, payload :func:`~mtjsc.hdl.core.result_layout` (``cls``, ten ``scores``)
    busy : out
    """

    #: the pixel memory is read once per pass and holds its word
    pixel_read_enable = True

    def __init__(self, *, model, config: ScConfig, seed: int = 0, sng: str = "lfsr", early_exit=None,
                 number_fanout: int | None = NUMBER_FANOUT):
        check_model_config(model, config)
        if not config.pass_major:
            raise MtjscError(f"BlockedScAccelerator is the pass-major design: stream_block Tb must be L = "
                             f"{config.L}, not {config.stream_block}")
        self.model, self.config, self.seed, self.sng = model, config, check_seed(seed), sng
        self.schedule = check_pass_config(config, sng, early_exit)
        self.number_fanout = None if number_fanout is None else check_int(
            number_fanout, "number_fanout", minimum=1, fix="hidden neurons per copy of the random-number registers, "
            "e.g. 4, or None for one copy")
        self.number_copies = 1 if number_fanout is None else math.ceil(self.schedule.P / self.number_fanout)
        self.early_exit = None
        self.score_bits = score_bits(config)
        super().__init__({"pixels": In(stream.Signature(8)),
                          "result": Out(stream.Signature(self.result_layout())),
                          "busy": Out(1)})
        self.load_state = load_state()

    def result_layout(self):
        return result_layout(self.score_bits)

    def cycles_per_image(self) -> int:
        """Clocks from the first pixel offered to the result taken (pixels every clock, result taken at once):
        784 pixel transfers, 2 of hand-over and the schedule's (:meth:`PassSchedule.cycles_per_image`)."""
        return PIXELS + 2 + self.schedule.cycles_per_image()

    def cycles_at_exit(self, t: int) -> int:
        if t != self.config.L:
            raise MtjscError(f"the pass-major accelerator runs all L = {self.config.L} stream indices, not {t}")
        return self.cycles_per_image()

    def ebr_estimate(self) -> int:
        """DP16KD blocks of the layer-0 threshold memories (as :meth:`ScMlpAccelerator.ebr_estimate`)."""
        s = self.schedule
        return ecp5_ebr_for_slots(P=s.P, W=s.W, words=s.passes, bits=self.config.sng_bits + 1)

    def describe(self) -> dict:
        """Manifest entries: configuration, schedule, memories (words x bits) and clocks per image."""
        cfg, s = self.config, self.schedule
        q, LW, cb = cfg.sng_bits + 1, cfg.lfsr_width, cfg.fan_in[0].bit_length()
        mems = [{"name": "w0_q<p>", "count": s.P, "depth": s.passes, "width": s.W * q},
                {"name": "w1_q<o>", "count": CLASSES, "depth": s.C2, "width": s.P * q},
                {"name": "pixel_q", "count": 1, "depth": s.C1, "width": s.W * q},
                {"name": "sng_in0_seed", "count": 1, "depth": s.C1, "width": s.W * LW, "style": SEED_ROM_STYLE},
                {"name": "sng_w0_seed", "count": 1, "depth": s.C1, "width": s.W * LW, "style": SEED_ROM_STYLE},
                {"name": "sng_w1_seed", "count": 1, "depth": s.C2, "width": s.P * LW},
                {"name": "partial_sums", "count": 1, "depth": s.N, "width": s.P * s.T * cb},
                {"name": "totals", "count": 1, "depth": 2 * s.N, "width": s.P * s.T * cb}]
        for mem in mems:
            mem["bits"] = mem["count"] * mem["depth"] * mem["width"]
            # where synth_ecp5 puts it: block RAM when asked or deeper than 32 words, else LUTs (ROMs) or
            # distributed RAM (DPR16X4); at P = W = 16, L = 256 it gave synth_ecp5's 134 DP16KD at T = 4 and 8
            mem["ecp5_ebr"] = (mem["count"] * ecp5_ebr(width=mem["width"], depth=mem["depth"])
                               if mem.get("style") == "block" or mem["depth"] > 32 else 0)
        return {"config": cfg.as_dict(), "sng": self.sng, "seed": self.seed, "schedule": s.as_dict(),
                "memories": mems, "memory_bits": sum(mem["bits"] for mem in mems), "score_bits": self.score_bits,
                "cycles_per_image": self.cycles_per_image(),
                "cycles_formula": f"784 + 2 + {s.formula()}", "early_exit": None,
                "lanes_per_clock": s.P * s.W * s.T, "number_copies": self.number_copies,
                "weight_bits_per_clock": round(s.P * s.W * q / s.N, 2),
                "ecp5_ebr_for_layer0_weights": self.ebr_estimate(),
                "ecp5_ebr_estimate": sum(mem["ecp5_ebr"] for mem in mems)}

    # ---------------------------------------------------------------- memory images (Python)

    def weight_words(self) -> list:
        """The layer-0 threshold memories: P slots of one word per pass g C1 + c, W thresholds each."""
        s = self.schedule
        return slot_words(threshold_matrix(self.model, self.config, 0), P=s.P, W=s.W, G=s.G1, C=s.C1,
                          width=self.config.sng_bits + 1)

    def output_words(self) -> list:
        """The output layer's threshold memories: per output o, one word per chunk j of the P thresholds of
        hidden inputs j P .. j P + P - 1 (the bias is input H)."""
        s = self.schedule
        q = threshold_matrix(self.model, self.config, 1)
        n2 = self.config.fan_in[1]
        return [[_pack(q[o, j * s.P:min(n2, (j + 1) * s.P)], self.config.sng_bits + 1) for j in range(s.C2)]
                for o in range(CLASSES)]

    # ---------------------------------------------------------------- hardware

    def _bank(self, m, name, seeds, lanes, steps, *, load=None, restart=None):
        """``lanes`` LFSRs leaping ``steps`` indices a clock: returns the states of this clock's ``steps``
        indices (the register's and its leaps, comb).

        ``load``: the register takes ``seeds`` instead of leaping, so the numbers come straight from a
        register, the clock after; ``restart``: this clock's numbers come from ``seeds`` (a mux in front
        of the leaps, for a seed port read the clock before).
        """
        cfg = self.config
        LW, B = cfg.lfsr_width, cfg.sng_bits
        reg = Signal(lanes * LW, name=f"{name}_state")
        cur = reg
        if restart is not None:
            cur = Signal(lanes * LW, name=f"{name}_now")
            m.d.comb += cur.eq(Mux(restart, seeds, reg))
        states = [cur]
        for k in range(steps):
            leap = add_submodule(self, m, f"{name}_leap{k}", LfsrLeap(width=LW, bits=B, lanes=lanes), "sng")
            m.d.comb += leap.state.eq(states[-1])
            states.append(leap.next)
        m.d.sync += reg.eq(states[steps] if load is None else Mux(load, seeds, states[steps]))
        return [[st[i * LW:i * LW + B] for i in range(lanes)] for st in states[:steps]]

    def elaborate(self, platform):
        m = Module()
        cfg, s = self.config, self.schedule
        B, LW, K0, L, H = cfg.sng_bits, cfg.lfsr_width, cfg.K[0], cfg.L, cfg.hidden
        n1, n2 = cfg.fan_in
        P, W, T, N, G1, C1, C2 = s.P, s.W, s.T, s.N, s.G1, s.C1, s.C2
        q = B + 1
        cb = n1.bit_length()                   # a partial sum reaches n1
        sb = self.score_bits

        start, done = Signal(name="start"), Signal(name="done")
        score_regs = [Signal(sb, name=f"score{o}") for o in range(CLASSES)]
        cls = Signal(range(CLASSES), name="cls")
        pix = image_io(self, m, lanes=W, chunks=C1, start=start, done=done, cls=cls, scores=Cat(*score_regs))

        # ------------------------------------------------------------ stage 0: the pass counters and LFSRs
        run = Signal(name="run")
        g = Signal(range(max(G1, 2)), name="pass_g")
        c = Signal(range(max(C1, 2)), name="pass_c")
        st = Signal(range(max(N, 2)), name="pass_s")
        pidx = Signal(range(max(s.passes, 2)), name="pass_index")
        c_next = Signal(range(max(C1, 2)), name="pass_c_next")      # the chunk of the next pass (seed ROM address)
        phase = Signal(2, name="pass_phase")                         # (c W) mod 4, the chunk's gate network
        first = st == 0
        last_step = st == N - 1
        last_pass = (g == G1 - 1) & (c == C1 - 1)
        with m.If(start):
            m.d.sync += [run.eq(1), g.eq(0), c.eq(0), st.eq(0), pidx.eq(0), phase.eq(0)]
        with m.Elif(run):
            m.d.sync += st.eq(Mux(last_step, 0, st + 1))
            with m.If(last_step):
                m.d.sync += [pidx.eq(pidx + 1), phase.eq(phase + W)]
                with m.If(c == C1 - 1):
                    m.d.sync += [c.eq(0), g.eq(g + 1), phase.eq(0)]
                with m.Else():
                    m.d.sync += c.eq(c + 1)
                with m.If(last_pass):
                    m.d.sync += run.eq(0)
        # the chunk's seeds: block-RAM ROMs addressed with the next pass's chunk (chunk 0 while idle), read
        # all pass long; the banks load them at the pass's last step (at start, the first pass's), so the
        # numbers come from registers (SEED_ROM_STYLE says why block RAM).
        m.d.comb += c_next.eq(Mux(run & (c != C1 - 1), c + 1, 0))
        load = start | (run & last_step)
        roms = {name: add_submodule(self, m, f"mem_{name}_seed", MemoryBlock(
                    width=W * LW, depth=C1, init=seed_words(cfg, self.seed, 0, role, W, C1), style=SEED_ROM_STYLE),
                    "memories")
                for name, role in (("sng_in0", lfsr_def.ROLE_INPUT), ("sng_w0", lfsr_def.ROLE_WEIGHT))}
        m.d.comb += [rom.rd.addr.eq(c_next) for rom in roms.values()]
        r_x, r_w = (self._bank(m, name, rom.rd.data, W, T, load=load) for name, rom in roms.items())
        # the pass's thresholds: read once, during the pass before (at its step 1; at start, the first
        # pass's), and copied into registers at the pass's first step, which hold them for its comparators.
        # A comparator fed straight from a block RAM port had the RAM's clock-to-out (5.6 ns) and a route
        # across the chip on its path (the routed T = 8 design's critical path).
        prefetch = start | (run & (st == 1))
        next_pass = Mux(run & (pidx != s.passes - 1), pidx + 1, 0)

        def held(mem, addr, name):
            """The word ``mem`` reads at ``addr`` during the pass before, held in a register for this pass."""
            reg = Signal(W * q, name=name)
            m.d.comb += [mem.rd.addr.eq(addr), mem.rd.en.eq(prefetch)]
            with m.If(run & first):
                m.d.sync += reg.eq(mem.rd.data)
            return reg

        thr = [held(add_submodule(self, m, f"mem_w0_q{p}", MemoryBlock(width=W * q, depth=s.passes, init=words,
                                                                       read_enable=True), "memories"),
                    next_pass, f"thr_w{p}")
               for p, words in enumerate(self.weight_words())]
        thr_x = held(pix, c_next, "thr_x")

        def pipe(sig, name):
            reg = Signal.like(sig, name=name)
            m.d.sync += reg.eq(sig)
            return reg

        # ------------------------------------------------------------ stage 1: comparators and XNOR
        v1, s1 = pipe(run, "v1"), pipe(st, "s1")
        firstc1, lastc1, ph1, g1 = pipe(c == 0, "first_c1"), pipe(c == C1 - 1, "last_c1"), pipe(phase, "ph1"), pipe(g, "g1")
        # the numbers and the pixel bits, one copy per number_fanout neurons (NUMBER_FANOUT says why)
        copies = self.number_copies

        def numbers(sig, name):
            if copies == 1:
                return [pipe(sig, name)]
            regs = [Signal.like(sig, name=f"{name}_c{j}", reset_less=True, attrs={"keep": 1}) for j in range(copies)]
            m.d.sync += [reg.eq(sig) for reg in regs]
            return regs
        nx = [numbers(Cat(*r_x[k]), f"r_x{k}") for k in range(T)]
        nw = [numbers(Cat(*r_w[k]), f"r_w{k}") for k in range(T)]
        bias_lane = (n1 - 1) - (C1 - 1) * W
        prods = [[None] * P for _ in range(T)]
        for k in range(T):
            xs = []
            for j in range(copies):
                xc = add_submodule(self, m, f"cmp_x{k}" if copies == 1 else f"cmp_x{k}_c{j}",
                                   ComparatorSng(bits=B, lanes=W), "sng")
                m.d.comb += [xc.r.eq(nx[k][j]), xc.q.eq(thr_x)]
                xs.append(Cat(*[xc.bit[l] | lastc1 if l == bias_lane else xc.bit[l] for l in range(W)]))
            for p in range(P):
                j = 0 if copies == 1 else p // self.number_fanout
                wc = add_submodule(self, m, f"cmp_w{p}_{k}", ComparatorSng(bits=B, lanes=W), "sng")
                xn = add_submodule(self, m, f"xnor{p}_{k}", XnorArray(n=W), "xnor")
                m.d.comb += [wc.r.eq(nw[k][j]), wc.q.eq(thr[p]), xn.x.eq(xs[j]), xn.w.eq(wc.bit)]
                prods[k][p] = xn.p

        # ------------------------------------------------------------ stage 2: chunk counts
        v2, s2, firstc2, lastc2, ph2, g2 = (pipe(v1, "v2"), pipe(s1, "s2"), pipe(firstc1, "first_c2"),
                                            pipe(lastc1, "last_c2"), pipe(ph1, "ph2"), pipe(g1, "g2"))
        counts = [[None] * P for _ in range(T)]
        for k in range(T):
            for p in range(P):
                bits = pipe(prods[k][p], f"prod{p}_{k}")
                cc = add_submodule(self, m, f"count{p}_{k}", ChunkCount(n=n1, lanes=W, kind=cfg.apc), "apc")
                m.d.comb += [cc.bits.eq(bits), cc.last.eq(lastc2), cc.phase.eq(ph2)]
                counts[k][p] = cc.count
        psum = add_submodule(self, m, "mem_partial_sums", MemoryBlock(width=P * T * cb, depth=N, writable=True),
                             "memories")
        m.d.comb += psum.rd.addr.eq(s2)

        # ------------------------------------------------------------ stage 3: partial sums
        v3, s3, firstc3, lastc3, g3 = (pipe(v2, "v3"), pipe(s2, "s3"), pipe(firstc2, "first_c3"),
                                       pipe(lastc2, "last_c3"), pipe(g2, "g3"))
        totals = []
        for k in range(T):
            for p in range(P):
                cnt = pipe(counts[k][p], f"cnt{p}_{k}")
                prev = psum.rd.data[(k * P + p) * cb:(k * P + p + 1) * cb]
                tot = Signal(cb, name=f"total{p}_{k}")
                m.d.comb += tot.eq(Mux(firstc3, 0, prev) + cnt)
                totals.append(tot)
        m.d.comb += [psum.wr.addr.eq(s3), psum.wr.data.eq(Cat(*totals)), psum.wr.en.eq(v3 & ~lastc3)]
        # the last chunk's totals, kept for the group's sweep (a half per group parity: the sweep of g
        # reads one half while g + 1's last pass writes the other)
        done_sums = add_submodule(self, m, "mem_totals", MemoryBlock(width=P * T * cb, depth=2 * N, writable=True),
                                  "memories")
        m.d.comb += [done_sums.wr.addr.eq(Cat(s3, g3[0]) if N & (N - 1) == 0 else g3[0] * N + s3),
                     done_sums.wr.data.eq(Cat(*totals)), done_sums.wr.en.eq(v3 & lastc3)]
        group_done = v3 & lastc3 & (s3 == N - 1)

        # ------------------------------------------------------------ the sweep: Btanh and the output layer
        # A sweep runs t = 0..L-1, one index a clock, over the hidden inputs j P .. j P + P - 1 of the output
        # layer (chunk j; the bias is input H): for group j after its last pass (its totals through P Btanh
        # updaters, one index a clock, then 10 x P output lanes), and, when P divides H, for the bias's own
        # chunk j = G1 at the start of the image. Stages: (A) addresses and the output-layer LFSRs, (B) the
        # index's totals picked from the word, (C) Btanh, (D) comparators and XNOR, (E) chunk counts, (F) scores.
        job = Signal(range(max(C2, 2)), name="sweep_job")
        go = Signal(name="sweep_go")
        m.d.comb += go.eq(group_done | (start if s.bias_job else 0))
        setup, busy1 = Signal(name="sweep_setup"), Signal(name="sweep_busy")
        u = Signal(range(max(L, 2)), name="sweep_t")
        uk = Signal(range(max(T, 2)), name="sweep_k")          # u mod T: the index's field in a totals word
        us = Signal(range(max(N, 2)), name="sweep_word")       # u div T
        with m.If(go):
            m.d.sync += job.eq(Mux(group_done, g3, G1) if s.bias_job else g3)
        m.d.sync += setup.eq(go)
        with m.If(setup):
            m.d.sync += [busy1.eq(1), u.eq(0), uk.eq(0), us.eq(0)]
        with m.Elif(busy1):
            m.d.sync += u.eq(u + 1)
            with m.If(uk == T - 1):
                m.d.sync += [uk.eq(0), us.eq(us + 1)]
            with m.Else():
                m.d.sync += uk.eq(uk + 1)
            with m.If(u == L - 1):
                m.d.sync += busy1.eq(0)
        seed1 = add_submodule(self, m, "mem_sng_w1_seed", MemoryBlock(
            width=P * LW, depth=C2, init=seed_words(cfg, self.seed, 1, lfsr_def.ROLE_WEIGHT, P, C2),
            read_enable=True), "memories")
        m.d.comb += [seed1.rd.addr.eq(job), seed1.rd.en.eq(setup)]
        thr1 = []
        for o, words in enumerate(self.output_words()):
            mem = add_submodule(self, m, f"mem_w1_q{o}", MemoryBlock(width=P * q, depth=C2, init=words,
                                                                     read_enable=True), "memories")
            m.d.comb += [mem.rd.addr.eq(job), mem.rd.en.eq(setup)]
            thr1.append(mem.rd.data)
        # (A)
        r1 = self._bank(m, "sng_w1", seed1.rd.data, P, 1, restart=busy1 & (u == 0))[0]
        m.d.comb += done_sums.rd.addr.eq(Cat(us, job[0]) if N & (N - 1) == 0 else job[0] * N + us)
        # (B) the totals of index u, neuron by neuron
        vb, kb, tb0 = pipe(busy1, "sw_vb"), pipe(uk, "sw_kb"), pipe(u == 0, "sw_t0b")
        fields = Array(done_sums.rd.data[k * P * cb:(k + 1) * P * cb] for k in range(T))[kb] if T > 1 else \
            done_sums.rd.data
        tot_c = [pipe(fields[p * cb:(p + 1) * cb], f"sw_total{p}") for p in range(P)]
        # (C) Btanh: one update a clock per neuron, the state in a register
        vc, t0c = pipe(vb, "sw_vc"), pipe(tb0, "sw_t0c")
        ys = []
        for p in range(P):
            upd = add_submodule(self, m, f"btanh{p}", BtanhUpdate(n=n1, K=K0), "btanh")
            state = Signal(range(K0), name=f"btanh_state{p}")
            m.d.comb += [upd.state.eq(state), upd.count.eq(tot_c[p]), upd.start.eq(t0c)]
            with m.If(vc):
                m.d.sync += state.eq(upd.next_state)
            ys.append(upd.y)
        # (D) the ten outputs' products; the job's chunk and the numbers, delayed to here
        vd, jd = pipe(vc, "sw_vd"), pipe(pipe(pipe(job, "sw_jb"), "sw_jc"), "sw_jd")
        nd = pipe(pipe(pipe(Cat(*r1), "sw_rb"), "sw_rc"), "sw_rd")
        hid = Cat(*[pipe(y, f"sw_y{p}") for p, y in enumerate(ys)])
        last_job = jd == C2 - 1
        hbias = H - (C2 - 1) * P                              # the bias's lane in the last chunk
        hbits = Cat(*[hid[p] | last_job if p == hbias else hid[p] for p in range(P)])
        prods1 = []
        for o in range(CLASSES):
            wc = add_submodule(self, m, f"out_cmp{o}", ComparatorSng(bits=B, lanes=P), "sng")
            xn = add_submodule(self, m, f"out_xnor{o}", XnorArray(n=P), "xnor")
            m.d.comb += [wc.r.eq(nd), wc.q.eq(thr1[o]), xn.x.eq(hbits), xn.w.eq(wc.bit)]
            prods1.append(xn.p)
        # (E) chunk counts; (F) the scores
        ve, je = pipe(vd, "sw_ve"), pipe(jd, "sw_je")
        ph_e = Array(Const((j * P) % 4, 2) for j in range(C2))[je]
        counts1 = []
        for o in range(CLASSES):
            cc = add_submodule(self, m, f"out_count{o}", ChunkCount(n=n2, lanes=P, kind=cfg.apc), "apc")
            m.d.comb += [cc.bits.eq(pipe(prods1[o], f"out_prod{o}")), cc.last.eq(je == C2 - 1), cc.phase.eq(ph_e)]
            counts1.append(pipe(cc.count, f"out_cnt{o}"))
        vf, jf = pipe(ve, "sw_vf"), pipe(je, "sw_jf")
        fin = Signal(name="sweep_fin")
        with m.If(start):
            m.d.sync += [r.eq(0) for r in score_regs]
        with m.Elif(vf):
            m.d.sync += [r.eq(r + cnt) for r, cnt in zip(score_regs, counts1)]
        # the image ends with the last group's job: fin is the clock after its last score update, when the
        # scores are final; the argmax tree settles ARGMAX_STAGES clocks later, with done
        m.d.comb += fin.eq(pipe(vf, "sw_vf_prev") & ~vf & (pipe(jf, "sw_jf_prev") == G1 - 1))
        m.d.comb += cls.eq(argmax(m, score_regs))
        tail = Signal(range(TAIL + 1), name="tail")
        m.d.sync += done.eq(0)
        with m.If(fin):
            m.d.sync += tail.eq(TAIL - 1)
        with m.Elif(tail != 0):
            m.d.sync += tail.eq(tail - 1)
            with m.If(tail == 1):
                m.d.sync += done.eq(1)
        return m
