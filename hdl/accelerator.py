"""`ScMlpAccelerator`: the SC network as a user puts it on an FPGA.

An image comes in as a stream of 784 pixel bytes; the class and the ten
scores go out as one stream transfer. Inside: :class:`ScMlpCore`, the
weight thresholds of the model in on-chip memories (one word per (group,
chunk) transfer: P x W thresholds for layer 0, P2 x W2 for layer 1), and
comparator SNGs on the shared LFSR definition (``behavioral_models.lfsr``):
one LFSR per (layer, role, input), their states in memories of one word per
chunk, read at the stream index t of the transfer, written back advanced by
B steps after the last neuron group of t, and replaced by the seed schedule's
states at t = 0 (all LFSRs restart at every image). Every memory is read
with the core's next-clock coordinates, so a transfer is ready every clock.
The result equals the golden model with the ``lfsr`` source of the same
run seed, B and LFSR width, at any P and W.

An OR-neuron model (``config.neuron == "or"``) gets :class:`OrMlpCore` in the
same frame: unipolar pixel thresholds (P = pixel), thresholds of the weight
magnitudes, and per neuron slot a sign memory addressed like the thresholds
(the transfer's ``neg`` field); its scores are signed.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from amaranth import Array, Cat, Const, Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from mtjsc.behavioral_models import lfsr as lfsr_def
from mtjsc.behavioral_models import golden, or_network
from mtjsc.behavioral_models.coding import image_probabilities
from mtjsc.config import PIXELS, ScConfig
from mtjsc.errors import MtjscError
from mtjsc.hdl.core import ScMlpCore, result_layout
from mtjsc.hdl.lfsr import ComparatorSng, LfsrLeap
from mtjsc.hdl.memory import MemoryBlock
from mtjsc.hdl.or_core import OrMlpCore
from mtjsc.hdl.tags import add_submodule
from mtjsc.validate import check_seed


#: Where the comparator SNGs' random numbers come from.
SNG_KINDS = ("lfsr", "entropy")


def pixel_thresholds(encoding: str, bits: int, neuron: str = "btanh") -> list:
    """q = round(P 2^B) of each pixel byte 0..255 under ``encoding`` (the golden ``lfsr`` source's);
    an OR network codes a pixel unipolar whatever the encoding (P = pixel)."""
    px = np.arange(256, dtype=np.float64)[:, None].repeat(PIXELS, 1) / 255.0
    p = or_network.input_probabilities(px) if neuron == "or" else image_probabilities(px, encoding)
    return lfsr_def.sng_threshold(p[:, 0], bits).tolist()


def _pack(values, width: int) -> int:
    out = 0
    for i, v in enumerate(values):
        out |= int(v) << (i * width)
    return out


def image_io(acc, m: Module, *, lanes: int, chunks: int, start, done, cls, scores, used=None):
    """The pixel and result ports of an accelerator ``acc`` (its ``pixels``, ``result``, ``busy`` and
    ``load_state``): 784 pixel bytes become SNG thresholds in a memory of ``chunks`` words of ``lanes``
    thresholds (returned, its read port free for the datapath), ``start`` pulses after the last pixel,
    and ``done`` makes ``cls``, ``scores`` (and ``used``) the result, held until it is taken."""
    cfg = acc.config
    B = cfg.sng_bits
    ls = acc.load_state
    loading, idx, kick, result_valid = ls.loading, ls.idx, ls.kick, ls.result_valid
    lut = Array(Const(q, B + 1) for q in pixel_thresholds(cfg.encoding, B, cfg.neuron))
    pix = MemoryBlock(width=lanes * (B + 1), depth=chunks, writable=True, granularity=B + 1,
                      read_enable=getattr(acc, "pixel_read_enable", False))
    add_submodule(acc, m, "mem_pixel_q", pix, "memories")
    pw = pix.wr
    lane = Signal(range(lanes))
    word = Signal(range(chunks))
    m.d.comb += [acc.pixels.ready.eq(loading & ~kick), pw.addr.eq(word),
                 pw.data.eq(Cat(*[lut[acc.pixels.payload] for _ in range(lanes)]))]
    with m.If(acc.pixels.valid & acc.pixels.ready):
        m.d.comb += pw.en.eq(1 << lane)
        with m.If(lane == lanes - 1):
            m.d.sync += [lane.eq(0), word.eq(word + 1)]
        with m.Else():
            m.d.sync += lane.eq(lane + 1)
        with m.If(idx == PIXELS - 1):
            m.d.sync += [kick.eq(1), idx.eq(0), lane.eq(0), word.eq(0)]
        with m.Else():
            m.d.sync += idx.eq(idx + 1)
    m.d.comb += start.eq(kick)
    with m.If(kick):
        m.d.sync += [kick.eq(0), loading.eq(0)]
    with m.If(done):
        m.d.sync += result_valid.eq(1)
    with m.If(acc.result.valid & acc.result.ready):
        m.d.sync += [result_valid.eq(0), loading.eq(1)]
    m.d.comb += [acc.result.valid.eq(result_valid), acc.result.payload.cls.eq(cls),
                 acc.result.payload.scores.eq(scores), acc.busy.eq(~loading | kick)]
    if used is not None:
        m.d.comb += acc.result.payload.t.eq(used)
    return pix


def load_state():
    """The image-load and result state of :func:`image_io` (made in a component's ``__init__``, not in
    elaborate, so the formal harness of :mod:`mtjsc.formal.properties` can state the invariants that make
    its handshake proofs inductive)."""
    return SimpleNamespace(loading=Signal(init=1, name="loading"), idx=Signal(range(PIXELS + 1), name="idx"),
                           kick=Signal(name="kick"), result_valid=Signal(name="result_valid"))


def slot_words(q, *, P: int, W: int, G: int, C: int, width: int) -> list:
    """Values ``q`` [neurons, inputs] cut into P memories (one per neuron slot) of one word per (group,
    chunk), g C + c, of W fields of ``width`` bits (zero past the last neuron or input)."""
    m, n = q.shape
    banks = [[] for _ in range(P)]
    for g in range(G):
        for c in range(C):
            block = np.zeros((P, W), np.int64)
            rows = q[g * P:(g + 1) * P, c * W:min(n, (c + 1) * W)]
            block[:rows.shape[0], :rows.shape[1]] = rows
            for p in range(P):
                banks[p].append(_pack(block[p], width))
    return banks


def ecp5_ebr(*, width: int, depth: int) -> int:
    """DP16KD blocks of one memory of ``depth`` words of ``width`` bits, at most (36-bit x 512-word
    ports, as Yosys maps them)."""
    return -(-width // 36) * -(-depth // 512)


def ecp5_ebr_for_slots(*, P: int, W: int, words: int, bits: int) -> int:
    """DP16KD blocks of P slot memories of ``words`` words of W fields of ``bits`` bits, at most."""
    return P * ecp5_ebr(width=W * bits, depth=words)


def seed_words(config: ScConfig, seed: int, layer: int, role: int, lanes: int, chunks: int) -> list:
    """LFSR seeds of (layer, role) for run ``seed``, one word of ``lanes`` states per chunk (1 past the fan-in)."""
    n, LW = config.fan_in[layer], config.lfsr_width
    states = [lfsr_def.seed_state(seed, layer, role, i, LW) if i < n else 1 for i in range(lanes * chunks)]
    return [_pack(states[c * lanes:(c + 1) * lanes], LW) for c in range(chunks)]


def threshold_matrix(model, config: ScConfig, layer: int):
    """The SNG thresholds round(P 2^B) of a layer's weights, int [neurons, inputs]."""
    p = golden.weight_probabilities(model, model.weights[layer])
    return lfsr_def.sng_threshold(p, config.sng_bits)


def check_model_config(model, config) -> ScConfig:
    """``config`` as an accelerator of ``model`` takes it."""
    if not isinstance(config, ScConfig):
        raise MtjscError(f"config must be an ScConfig, got {type(config).__name__}")
    if tuple(model.K) != config.K or model.hidden != config.hidden or model.encoding != config.encoding:
        raise MtjscError(f"the model (K={model.K}, hidden={model.hidden}, encoding={model.encoding!r}) does "
                         f"not match the configuration (K={config.K}, hidden={config.hidden}, encoding="
                         f"{config.encoding!r}); build it with ScConfig.from_model(model, ...)")
    return config


class ScMlpAccelerator(wiring.Component):
    """Image in, class and scores out; weights, SNGs and schedule on chip.

    Parameters
    ----------
    model : ScModel
        Weights (their SNG thresholds round(P 2^B) fill the memories).
    config : ScConfig
        L, K, APC kind, B, LFSR width, P, W (``ScConfig.from_model(model, ...)``).
    seed : int
        Run seed of the LFSR seed schedule (the ``lfsr`` source's ``seed``).
    sng : {"lfsr", "entropy"}
        On-chip LFSR SNGs, or numbers from the ``entropy`` port.
    early_exit : ExitRule, optional
        Stop an image at a block boundary once the rule says its class is decided
        (:mod:`mtjsc.behavioral_models.early_exit`; Btanh networks with ``lfsr`` SNGs). The result
        then carries the scores of the indices done and their number ``t``.

    Ports
    -----
    pixels : stream of 8-bit pixel values, 784 per image (row-major)
    result : stream, payload :func:`~mtjsc.hdl.core.result_layout` (``cls``, then ten ``scores`` of S bits,
        then ``t`` with early exit)
    busy : out
    """

    def __init__(self, *, model, config: ScConfig, seed: int = 0, sng: str = "lfsr", early_exit=None):
        if sng not in SNG_KINDS:
            raise MtjscError(f"sng={sng!r} is not an SNG kind; choose one of {', '.join(SNG_KINDS)}")
        check_model_config(model, config)
        if config.pass_major:
            raise MtjscError(f"stream_block Tb = L = {config.L} is the pass-major design: build it with "
                             f"mtjsc.designs.make_accelerator or BlockedScAccelerator")
        self.model, self.config, self.seed, self.sng = model, config, check_seed(seed), sng
        if config.stream_lanes > 1 and sng != "lfsr":
            raise MtjscError(f"T = {config.stream_lanes} stream indices per clock needs lfsr SNGs (their leaps "
                             f"make T numbers a clock); the entropy port carries one index a beat")
        if early_exit is not None and (config.neuron == "or" or sng != "lfsr"):
            raise MtjscError("early exit needs a Btanh network (an OR network's signed counts have no exact "
                             "bound) and lfsr SNGs (the entropy port's per-image block of numbers would shift "
                             f"when an image stops early); this design has {config.neuron!r} neurons and "
                             f"sng={sng!r}")
        self.early_exit = early_exit
        self.core = OrMlpCore(config=config) if config.neuron == "or" else ScMlpCore(config=config,
                                                                                     early_exit=early_exit)
        self.schedule = self.core.schedule
        self.score_bits = self.core.score_bits
        ports = {"pixels": In(stream.Signature(8)),
                 "result": Out(stream.Signature(self.result_layout())),
                 "busy": Out(1)}
        if sng == "entropy":
            ports["entropy"] = In(stream.Signature(self.entropy_width))
        super().__init__(ports)
        self.load_state = load_state()

    def result_layout(self):
        """The result payload: :func:`~mtjsc.hdl.core.result_layout` of this design."""
        return result_layout(self.score_bits, self.config.neuron == "or",
                             self.config.L if self.early_exit is not None else None)

    @property
    def entropy_width(self) -> int:
        """Payload bits of an entropy beat: 2 W numbers of B bits (a layer-0 chunk's x and weight SNGs)."""
        return 2 * self.schedule.W * self.config.sng_bits

    def entropy_beats(self, numbers) -> list:
        """The entropy-port beats that carry one image's numbers (int [L, 2 n1 + n2], the ``entropy``
        source's order): per t, one beat per layer-0 chunk c (the pairs r_x, r_w of inputs c W ..
        c W + W - 1, number j of the beat at bits [j B, (j + 1) B)), then one per layer-1 chunk (W2
        weight numbers). Beats are consumed in the first neuron group of each t only; a beat's
        unused high fields (the last chunk's missing lanes) are zero and ignored."""
        cfg, s = self.config, self.schedule
        B = cfg.sng_bits
        n1, n2 = cfg.fan_in
        numbers = np.asarray(numbers, np.int64)
        if numbers.shape != (cfg.L, 2 * n1 + n2):
            raise MtjscError(f"entropy numbers have shape {numbers.shape}, expected ({cfg.L}, {2 * n1 + n2})")
        beats = []
        for row in numbers:
            for c in range(s.C1):
                beats.append(_pack(row[2 * c * s.W:2 * min(n1, (c + 1) * s.W)], B))
            for c in range(s.C2):
                beats.append(_pack(row[2 * n1 + c * s.W2:2 * n1 + min(n2, (c + 1) * s.W2)], B))
        return beats

    def cycles_per_image(self) -> int:
        """Clocks from the first pixel offered to the result taken, with pixels offered every clock and
        the result taken at once: 784 pixel transfers, the core's schedule (start to done) and 2 clocks of
        hand-over (start after the last pixel, the result register).
        Images do not overlap (the next image loads after the result is taken). With early exit:
        an image that runs all L indices (:meth:`cycles_at_exit`)."""
        return PIXELS + 2 + self.schedule.cycles_per_image()

    def cycles_at_exit(self, t: int) -> int:
        """Clocks per image, as :meth:`cycles_per_image`, of an image that used ``t`` stream indices."""
        return PIXELS + 2 + self.schedule.cycles_at_exit(t)

    def describe(self) -> dict:
        """Manifest entries: configuration, schedule, memories (words x bits) and clocks per image."""
        cfg, s = self.config, self.schedule
        q, LW = cfg.sng_bits + 1, cfg.lfsr_width
        mems = [{"name": "w0_q<p>", "count": s.P, "depth": s.G1 * s.C1, "width": s.W * q},
                {"name": "w1_q<p>", "count": s.P2, "depth": s.G2 * s.C2, "width": s.W2 * q},
                {"name": "pixel_q", "count": 1, "depth": s.C1, "width": s.W * q}]
        if cfg.neuron == "or":      # the weights' signs; an OR neuron keeps no state between stream indices
            mems += [{"name": "w0_neg<p>", "count": s.P, "depth": s.G1 * s.C1, "width": s.W},
                     {"name": "w1_neg<p>", "count": s.P2, "depth": s.G2 * s.C2, "width": s.W2}]
        else:
            mems.append({"name": "btanh states", "count": 1, "depth": s.G1,
                         "width": s.P * max(1, (cfg.K[0] - 1).bit_length())})
        if self.sng == "lfsr":
            for name, depth, lanes in (("sng_in0", s.C1, s.W), ("sng_w0", s.C1, s.W), ("sng_w1", s.C2, s.W2)):
                mems += [{"name": f"{name}_state", "count": 1, "depth": depth, "width": lanes * LW},
                         {"name": f"{name}_seed", "count": 1, "depth": depth, "width": lanes * LW}]
        else:   # the numbers of one t, kept while the other neuron groups go by
            if s.G1 > 1:
                mems.append({"name": "entropy_buf0", "count": 1, "depth": s.C1, "width": 2 * s.W * cfg.sng_bits})
            if s.G2 > 1:
                mems.append({"name": "entropy_buf1", "count": 1, "depth": s.C2, "width": s.W2 * cfg.sng_bits})
        for mem in mems:
            mem["bits"] = mem["count"] * mem["depth"] * mem["width"]
        extra = {"entropy": {"width": self.entropy_width, "beats_per_image": cfg.L * (s.C1 + s.C2),
                             "bits_per_image": cfg.L * (2 * cfg.fan_in[0] + cfg.fan_in[1]) * cfg.sng_bits}} \
            if self.sng == "entropy" else {"seed": self.seed}
        return {"config": cfg.as_dict(), "sng": self.sng, **extra, "schedule": s.as_dict(), "memories": mems,
                "memory_bits": sum(mem["bits"] for mem in mems), "score_bits": self.score_bits,
                "cycles_per_image": self.cycles_per_image(),
                "cycles_formula": f"784 + 2 + {s.formula()}",
                "early_exit": s.as_dict().get("early_exit"),
                "weight_bits_per_clock": (s.P * s.W) * q,
                "ecp5_ebr_for_layer0_weights": self.ebr_estimate()}

    def ebr_estimate(self) -> int:
        """DP16KD blocks the layer-0 threshold memories need on ECP5, at most (36-bit x 512-word ports, as Yosys
        maps them; Yosys drops bit columns that are constant in a memory): P memories of ceil(W (B+1) / 36)
        blocks, more when G1 C1 exceeds 512 words. The
        LFE5U-85F has 208; the rest of the design maps to LUT RAM and logic."""
        s = self.schedule
        return ecp5_ebr_for_slots(P=s.P, W=s.W, words=s.G1 * s.C1, bits=self.config.sng_bits + 1)

    # ---------------------------------------------------------------- memory images (Python)

    def weight_words(self, layer: int) -> list:
        """Initial contents of a layer's threshold memories: for each of the P (or P2) neuron slots a
        list of words, one per (group, chunk), of W (or W2) thresholds. (One memory per slot keeps
        every word narrow: P x W thresholds in one word would exceed what a netlist value holds.)"""
        return self._slot_words(layer, threshold_matrix(self.model, self.config, layer), self.config.sng_bits + 1)

    def sign_words(self, layer: int) -> list:
        """An OR network's weight signs (1 = negative), laid out as :meth:`weight_words`, one bit a lane."""
        return self._slot_words(layer, (self.model.weights[layer] < 0).astype(np.int64), 1)

    def _slot_words(self, layer: int, q, width: int) -> list:
        s = self.schedule
        P, W, G, C = (s.P, s.W, s.G1, s.C1) if layer == 0 else (s.P2, s.W2, s.G2, s.C2)
        return slot_words(q, P=P, W=W, G=G, C=C, width=width)

    def seed_words(self, layer: int, role: int) -> list:
        """LFSR seeds of (layer, role), one word of W (or W2) states per chunk."""
        s = self.schedule
        W, C = (s.W, s.C1) if layer == 0 else (s.W2, s.C2)
        return seed_words(self.config, self.seed, layer, role, W, C)

    # ---------------------------------------------------------------- hardware

    def _sng_bank(self, m, name, layer, role, depth, lanes, addr, t0, write, write_addr):
        """R(t), ..., R(t + T - 1) of ``lanes`` LFSRs (a word per chunk): read at ``addr``, seeds at
        t = 0, written back advanced by T leaps when ``write``. Returns T lists of ``lanes`` numbers."""
        cfg = self.config
        LW, B, T = cfg.lfsr_width, cfg.sng_bits, cfg.stream_lanes
        seeds = self.seed_words(layer, role)
        rom = MemoryBlock(width=lanes * LW, depth=depth, init=seeds)
        ram = MemoryBlock(width=lanes * LW, depth=depth, init=seeds, writable=True, transparent=True)
        add_submodule(self, m, f"mem_{name}_seed", rom, "memories")
        add_submodule(self, m, f"mem_{name}_state", ram, "memories")
        wr, rd, rr = ram.wr, ram.rd, rom.rd
        m.d.comb += [rd.addr.eq(addr), rr.addr.eq(addr)]
        state = Signal(lanes * LW, name=f"{name}_now")
        m.d.comb += state.eq(Mux(t0, rr.data, rd.data))
        states = [state]       # the state of index t + k: k leaps of B Galois steps on
        for k in range(T):
            leap = add_submodule(self, m, f"{name}_leap" + ("" if k == 0 else f"_k{k}"),
                                 LfsrLeap(width=LW, bits=B, lanes=lanes), "sng")
            m.d.comb += leap.state.eq(states[-1])
            states.append(leap.next)
        m.d.comb += [wr.addr.eq(write_addr), wr.data.eq(states[T]), wr.en.eq(write)]
        return [[st[i * LW:i * LW + B] for i in range(lanes)] for st in states[:T]]

    def _entropy_numbers(self, m, fire):
        """R(t) of every lane from the entropy port: taken from the port in the first neuron group of
        t (the core stalls while the port has no beat: ``transfer.valid`` follows ``entropy.valid``) and
        kept in a buffer of one beat per chunk for the other groups of t."""
        core, s, B = self.core, self.schedule, self.config.sng_bits
        port = self.entropy
        first = core.req.group == 0
        m.d.comb += [port.ready.eq(core.transfer.ready & first), core.transfer.valid.eq(Mux(first, port.valid, 1))]
        words = []
        for layer, (G, C, width) in enumerate(((s.G1, s.C1, 2 * s.W * B), (s.G2, s.C2, s.W2 * B))):
            here = port.payload[:width]
            if G == 1:                       # every group is the first: nothing to keep
                words.append(here)
                continue
            buf = MemoryBlock(width=width, depth=C, writable=True, transparent=True)
            add_submodule(self, m, f"mem_entropy_buf{layer}", buf, "memories")
            wr, rd = buf.wr, buf.rd
            m.d.comb += [wr.addr.eq(core.req.chunk), wr.data.eq(here),
                         wr.en.eq(fire & first & (core.req.layer == layer)), rd.addr.eq(core.nxt.chunk)]
            word = Signal(width, name=f"entropy_now{layer}")    # one mux, sliced per lane below
            m.d.comb += word.eq(Mux(first, here, rd.data))
            words.append(word)
        w0, w1 = words
        r_in = [w0[2 * l * B:(2 * l + 1) * B] for l in range(s.W)]
        r_w0 = [w0[(2 * l + 1) * B:(2 * l + 2) * B] for l in range(s.W)]
        r_w1 = [w1[l * B:(l + 1) * B] for l in range(s.W2)]
        return r_in, r_w0, r_w1

    def elaborate(self, platform):
        m = Module()
        cfg, s = self.config, self.schedule
        B = cfg.sng_bits
        core = add_submodule(self, m, "core", self.core, None)
        n1, n2 = cfg.fan_in
        P, W, P2, W2 = s.P, s.W, s.P2, s.W2

        # ------------------------------------------------------------ image load and result
        pix = image_io(self, m, lanes=W, chunks=s.C1, start=core.start, done=core.done, cls=core.cls,
                       scores=core.scores, used=core.used if self.early_exit is not None else None)
        pr = pix.rd

        # ------------------------------------------------------------ weights and SNGs, addressed one clock ahead
        fire = core.transfer.valid & core.transfer.ready
        t0 = core.req.t == 0
        m.d.comb += pr.addr.eq(core.nxt.chunk)
        rd0, rd1 = [], []
        neg0, neg1 = [], []
        for layer, (PP, WW, G, C, out, signs) in enumerate(((P, W, s.G1, s.C1, rd0, neg0),
                                                             (P2, W2, s.G2, s.C2, rd1, neg1))):
            # the word of the next request, g C + c, kept as a counter: the product of the core's
            # next-clock coordinates mapped to DSP multipliers on the memories' address path
            addr, nxt = Signal(range(G * C), name=f"w{layer}_addr"), Signal(range(G * C), name=f"w{layer}_nxt")
            here = core.req.layer == layer
            last = here & (core.req.group == G - 1) & (core.req.chunk == C - 1)
            m.d.comb += nxt.eq(Mux(fire & here, Mux(last, 0, addr + 1), addr))
            m.d.sync += addr.eq(nxt)
            for p, words in enumerate(self.weight_words(layer)):
                mem = MemoryBlock(width=WW * (B + 1), depth=G * C, init=words)
                add_submodule(self, m, f"mem_w{layer}_q{p}", mem, "memories")
                rp = mem.rd
                m.d.comb += rp.addr.eq(nxt)
                out.append(rp.data)
            if cfg.neuron == "or":
                for p, words in enumerate(self.sign_words(layer)):
                    mem = MemoryBlock(width=WW, depth=G * C, init=words)
                    add_submodule(self, m, f"mem_w{layer}_neg{p}", mem, "memories")
                    m.d.comb += mem.rd.addr.eq(nxt)
                    signs.append(mem.rd.data)
        T = s.T
        if self.sng == "lfsr":
            last_g0 = (core.req.layer == 0) & (core.req.group == s.G1 - 1)
            last_g1 = (core.req.layer == 1) & (core.req.group == s.G2 - 1)
            r_in = self._sng_bank(m, "sng_in0", 0, lfsr_def.ROLE_INPUT, s.C1, W, core.nxt.chunk, t0,
                                  fire & last_g0, core.req.chunk)
            r_w0 = self._sng_bank(m, "sng_w0", 0, lfsr_def.ROLE_WEIGHT, s.C1, W, core.nxt.chunk, t0,
                                  fire & last_g0, core.req.chunk)
            r_w1 = self._sng_bank(m, "sng_w1", 1, lfsr_def.ROLE_WEIGHT, s.C2, W2, core.nxt.chunk, t0,
                                  fire & last_g1, core.req.chunk)
            m.d.comb += core.transfer.valid.eq(1)
        else:
            r_in, r_w0, r_w1 = ([r] for r in self._entropy_numbers(m, fire))   # T = 1

        # ------------------------------------------------------------ comparators
        def compare(name, r, q_words, lanes):
            """Comparator bank ``name``: bit i = [r_i < q_i] for the given numbers and threshold words."""
            bank = ComparatorSng(bits=B, lanes=len(r))
            add_submodule(self, m, name, bank, "sng")
            m.d.comb += [bank.r.eq(Cat(*r)), bank.q.eq(Cat(*[w[:lanes * (B + 1)] for w in q_words]))]
            return bank.bit

        bias_lane = (n1 - 1) - (s.C1 - 1) * W           # the bias input (P = 1) in the last chunk
        x_words, w_words = [], []
        for k in range(T):     # copy k: stream index t + k, the same thresholds, its own numbers
            sfx = "" if k == 0 else f"_k{k}"
            x_cmp = compare("cmp_x" + sfx, r_in[k], [pr.data], W)
            x_bits = [x_cmp[l] | (core.req.chunk == s.C1 - 1) if l == bias_lane else x_cmp[l] for l in range(W)]
            # one bank per neuron slot: a single P W-lane bank would need ports wider than a netlist wire holds
            w0_bits = [compare(f"cmp_w0_{p}{sfx}", r_w0[k], [rd0[p]], W) for p in range(P)]
            w1_bits = [compare(f"cmp_w1_{p}{sfx}", r_w1[k], [rd1[p]], W2) if p < P2 else Const(0, W2)
                       for p in range(P)]
            w1_word = Cat(*[Cat(b, Const(0, W - W2)) for b in w1_bits])    # lanes W2..W-1 of a slot: no input
            x_words.append(Cat(*x_bits))
            w_words.append(Mux(core.req.layer, w1_word, Cat(*w0_bits)))
        m.d.comb += [core.transfer.payload.x.eq(Cat(*x_words)), core.transfer.payload.w.eq(Cat(*w_words))]
        if cfg.neuron == "or":
            n1_word = Cat(*[Cat(neg1[p] if p < P2 else Const(0, W2), Const(0, W - W2)) for p in range(P)])
            m.d.comb += core.transfer.payload.neg.eq(Mux(core.req.layer, n1_word, Cat(*neg0)))
        return m
