"""The binary (fixed-point) baseline: the 784-H-10 network with P multiply-accumulate units.

The arithmetic is :class:`mtjsc.behavioral_models.fixed.FixedModel`'s (its ``forward`` is the reference). The ports
are :class:`~mtjsc.hdl.accelerator.ScMlpAccelerator`'s, so the same testbench drives both: an image in
as a stream of 784 pixel bytes, the class (4 bits) and the ten scores (S-bit two's complement) out as one
stream transfer, ``busy`` while an image is in flight.

Schedule: the pixels go into an image RAM (784 clocks at one pixel per clock). Layer 1 runs
``ceil(H / P)`` neuron groups; each reads pixel i and the P weights of (group, i) from one ROM word per
clock, the P MACs add ``x_i q_ji`` into their accumulators (784 clocks, one more for the last read), then
one clock adds the biases, applies the activation and writes the P hidden values as one word of the
hidden RAM. Layer 2 runs ``ceil(10 / P)`` groups over the H hidden values the same way. Then the argmax
(lowest index on ties) and the result transfer.
"""

from __future__ import annotations

import math

import numpy as np
from amaranth import Cat, Module, Mux, ResetSignal, Signal, signed
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from mtjsc.errors import MtjscError
from mtjsc.behavioral_models.fixed import CLASSES, PIXELS, FixedModel
from mtjsc.hdl.memory import MemoryBlock
from mtjsc.validate import check_int
from mtjsc.hdl.tags import add_submodule


def _pack(values, bits: int) -> int:
    """Lane k of the word holds ``values[k]`` as ``bits``-bit two's complement."""
    word = 0
    for k, v in enumerate(values):
        word |= (int(v) & ((1 << bits) - 1)) << (k * bits)
    return word


def _signed_bits(bound: int) -> int:
    """Two's-complement width holding -bound..bound."""
    return int(bound).bit_length() + 1


class FixedMlp(wiring.Component):
    """The fixed-point 784-H-10 network of a :class:`~mtjsc.behavioral_models.fixed.FixedModel` on P MACs.

    Parameters
    ----------
    model : FixedModel
    parallel : int
        P, the MAC units (neurons computed at once), 1..H.

    Ports
    -----
    pixels : stream of 8-bit pixel values, 784 per image
    result : stream, payload = class (4 bits), then ten scores of :attr:`score_bits` bits
    busy : out
    """

    def __init__(self, *, model: FixedModel, parallel: int = 16):
        if not isinstance(model, FixedModel):
            raise MtjscError(f"model must be a FixedModel (mtjsc.behavioral_models.fixed), got {type(model).__name__}")
        self.model = model
        self.P = check_int(parallel, "parallel MACs P", minimum=1, maximum=model.hidden,
                           fix=f"between 1 and the {model.hidden} hidden neurons")
        b = model.bounds()
        self.acc1_bits = _signed_bits(b["acc1"])
        self.score_bits = _signed_bits(b["score"])
        self.hidden_bits = 1 if model.abits == 1 else model.abits
        self.groups1 = math.ceil(model.hidden / self.P)
        self.groups2 = math.ceil(CLASSES / self.P)
        super().__init__({"pixels": In(stream.Signature(8)),
                          "result": Out(stream.Signature(4 + CLASSES * self.score_bits)),
                          "busy": Out(1)})

    def reference(self, pixels_u8) -> dict:
        """Scores and classes of uint8 images (:meth:`FixedModel.forward`)."""
        return self.model.forward(pixels_u8)

    def cycles_per_image(self) -> int:
        """Clocks from the first pixel to the result transfer with pixels every clock and the result
        taken at once."""
        return PIXELS + self.groups1 * (PIXELS + 2) + self.groups2 * (self.model.hidden + 2) + 1

    def describe(self) -> dict:
        """Manifest entries: widths, parallelism, memories and clocks per image."""
        mem = self.memory_bits()
        return {"wbits": self.model.wbits, "abits": self.model.abits, "parallel": self.P,
                "score_bits": self.score_bits, "acc1_bits": self.acc1_bits, "memories": mem,
                "memory_bits": sum(mem.values()), "cycles_per_image": self.cycles_per_image()}

    def memory_bits(self) -> dict:
        wb, H, P = self.model.wbits, self.model.hidden, self.P
        return {"image": 8 * PIXELS, "w1": P * wb * self.groups1 * PIXELS, "w2": P * wb * self.groups2 * H,
                "b1": P * self.acc1_bits * self.groups1, "b2": P * self.score_bits * self.groups2,
                "hidden": P * self.hidden_bits * self.groups1}

    def _rom(self, q, b, bias_bits: int) -> tuple:
        """Weight and bias ROM words of one layer: ``q`` [rows, inputs], rows taken P at a time (the last
        group padded with zero rows); word (g, i) holds the weights of input i for rows gP..gP+P-1, one lane
        each (+-1 weights as one bit, 1 = +1), and bias word g the rows' biases."""
        P, wb = self.P, self.model.wbits
        groups = -(-len(q) // P)
        q = np.pad((q > 0).astype(np.int64) if wb == 1 else q, ((0, groups * P - len(q)), (0, 0)))
        b = np.pad(b, (0, groups * P - len(b)))
        weights = [_pack(q[g * P:(g + 1) * P, i], wb) for g in range(groups) for i in range(q.shape[1])]
        return weights, [_pack(b[g * P:(g + 1) * P], bias_bits) for g in range(groups)]

    def elaborate(self, platform):
        m = Module()
        mod, P, wb, ab, H = self.model, self.P, self.model.wbits, self.model.abits, self.model.hidden
        A1, S, HB = self.acc1_bits, self.score_bits, self.hidden_bits
        w1_init, b1_init = self._rom(mod.q1, mod.b1, A1)
        w2_init, b2_init = self._rom(mod.q2, mod.b2, S)
        image = add_submodule(self, m, "mem_image", MemoryBlock(width=8, depth=PIXELS, writable=True), "memories")
        w1 = add_submodule(self, m, "mem_w1", MemoryBlock(width=P * wb, depth=len(w1_init), init=w1_init), "memories")
        b1 = add_submodule(self, m, "mem_b1", MemoryBlock(width=P * A1, depth=len(b1_init), init=b1_init), "memories")
        w2 = add_submodule(self, m, "mem_w2", MemoryBlock(width=P * wb, depth=len(w2_init), init=w2_init), "memories")
        b2 = add_submodule(self, m, "mem_b2", MemoryBlock(width=P * S, depth=len(b2_init), init=b2_init), "memories")
        hid = add_submodule(self, m, "mem_hidden", MemoryBlock(width=P * HB, depth=self.groups1, writable=True), "memories")

        idx = Signal(range(max(PIXELS, H) + 1))          # pixel / hidden index being read
        group = Signal(range(max(self.groups1, self.groups2) + 1))
        reading = Signal()                               # a read was issued last clock: its data is valid now
        lane_sel = Signal(range(P))                      # hidden lane of the value read last clock
        acc = [Signal(signed(max(A1, S)), name=f"acc{p}") for p in range(P)]
        scores = [Signal(signed(S), name=f"score{k}") for k in range(CLASSES)]

        def lane(word, p, bits):
            return word[p * bits:(p + 1) * bits]

        # memory addresses: reads follow idx and group; the biases are read at the group's address
        m.d.comb += [image.rd_addr.eq(idx), w1.rd_addr.eq(group * PIXELS + idx), b1.rd_addr.eq(group),
                     w2.rd_addr.eq(group * H + idx), b2.rd_addr.eq(group), hid.rd_addr.eq(idx // P)]

        def mac_layer1():
            x = image.rd_data
            for p in range(P):
                w = lane(w1.rd_data, p, wb)
                prod = Mux(w[0], x, -x) if wb == 1 else x * w.as_signed()
                m.d.sync += acc[p].eq(acc[p] + prod)

        def mac_layer2():
            word = hid.rd_data
            v = Signal(HB)
            m.d.comb += v.eq(word.word_select(lane_sel, HB))
            for p in range(P):
                w = lane(w2.rd_data, p, wb)
                if wb == 1 and ab == 1:
                    prod = Mux(~(v[0] ^ w[0]), 1, -1)        # XNOR-popcount
                elif ab == 1:
                    prod = Mux(v[0], w.as_signed(), -w.as_signed())
                elif wb == 1:
                    prod = Mux(w[0], v, -v)
                else:
                    prod = v * w.as_signed()
                m.d.sync += acc[p].eq(acc[p] + prod)

        def activation(total, p):
            h = Signal(HB, name=f"h{p}")
            if ab == 1:
                m.d.comb += h.eq(total >= 0)
                return h
            top = (1 << ab) - 1
            scaled = Signal(signed(A1 + 1 + 16), name=f"scaled{p}")    # requantise: round half up, then clamp
            m.d.comb += scaled.eq((total * mod.mult + (1 << (mod.shift - 1))) >> mod.shift)
            m.d.comb += h.eq(Mux(total <= 0, 0, Mux(scaled > top, top, scaled[:ab])))
            return h

        best = Signal(range(CLASSES))
        best_score = [Signal(signed(S), name=f"best{k}") for k in range(CLASSES)]
        bests = [Signal(range(CLASSES), name=f"arg{k}") for k in range(CLASSES)]
        m.d.comb += [best_score[0].eq(scores[0]), bests[0].eq(0)]
        for k in range(1, CLASSES):                 # a later class wins only when strictly greater
            gt = scores[k] > best_score[k - 1]
            m.d.comb += [best_score[k].eq(Mux(gt, scores[k], best_score[k - 1])),
                         bests[k].eq(Mux(gt, k, bests[k - 1]))]
        m.d.comb += best.eq(bests[-1])
        m.d.comb += self.result.payload.eq(Cat(best, *[s.as_unsigned() for s in scores]))

        with m.FSM():
            with m.State("LOAD"):
                # not ready during reset (this also gives event-driven simulators an event to settle on)
                take = Signal()
                m.d.comb += [take.eq(self.pixels.valid & ~ResetSignal()), self.pixels.ready.eq(~ResetSignal()),
                             image.wr_addr.eq(idx), image.wr_data.eq(self.pixels.payload), image.wr_en.eq(take)]
                m.d.comb += self.busy.eq(idx != 0)
                with m.If(take):
                    m.d.sync += idx.eq(idx + 1)
                    with m.If(idx == PIXELS - 1):
                        m.d.sync += [idx.eq(0), group.eq(0), reading.eq(0)] + [a.eq(0) for a in acc]
                        m.next = "LAYER1"
            with m.State("LAYER1"):
                m.d.comb += self.busy.eq(1)
                with m.If(reading):
                    mac_layer1()
                m.d.sync += reading.eq(idx < PIXELS)
                with m.If(idx < PIXELS):
                    m.d.sync += idx.eq(idx + 1)
                with m.Elif(~reading):                  # all 784 products added: activation, next group
                    word = []
                    for p in range(P):
                        total = Signal(signed(A1 + 1), name=f"total1_{p}")
                        m.d.comb += total.eq(acc[p] + lane(b1.rd_data, p, A1).as_signed())
                        word.append(activation(total, p))
                    m.d.comb += [hid.wr_addr.eq(group), hid.wr_data.eq(Cat(*word)), hid.wr_en.eq(1)]
                    m.d.sync += [idx.eq(0), group.eq(group + 1)] + [a.eq(0) for a in acc]
                    with m.If(group == self.groups1 - 1):
                        m.d.sync += group.eq(0)
                        m.next = "LAYER2"
            with m.State("LAYER2"):
                m.d.comb += self.busy.eq(1)
                with m.If(reading):
                    mac_layer2()
                m.d.sync += [reading.eq(idx < H), lane_sel.eq(idx % P)]
                with m.If(idx < H):
                    m.d.sync += idx.eq(idx + 1)
                with m.Elif(~reading):
                    for p in range(P):
                        for g in range(self.groups2):
                            if g * P + p < CLASSES:
                                with m.If(group == g):
                                    m.d.sync += scores[g * P + p].eq(acc[p] + lane(b2.rd_data, p, S).as_signed())
                    m.d.sync += [idx.eq(0), group.eq(group + 1)] + [a.eq(0) for a in acc]
                    with m.If(group == self.groups2 - 1):
                        m.d.sync += group.eq(0)
                        m.next = "RESULT"
            with m.State("RESULT"):
                m.d.comb += [self.busy.eq(1), self.result.valid.eq(1)]
                with m.If(self.result.ready):
                    m.next = "LOAD"
        return m
