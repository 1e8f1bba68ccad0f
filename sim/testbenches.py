"""cocotb testbench classes, one per block (imported inside the simulator).

Every testbench drives a clocked top (Amaranth adds ``clk`` and ``rst``):
at each falling edge the driver applies cycle k's inputs and 1 ns later the
monitor samples every output, so observation k shows the combinational
outputs of inputs k with the registers holding the result of inputs
0..k-1 (a block with latency d shows f(inputs k-d) at observation k). Stimulus and expectations come
from the pytest side as arrays (``in_<port>``: one value per cycle, ints or
bool rows for wide ports; ``expect_<port>`` and ``mask_<port>``: expected
observations and which cycles to compare). The comparison is equality; the
first mismatch is reported with its cycle.
"""

from __future__ import annotations

import os

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge, Timer

from mtjsc.hdl.core import result_layout
from mtjsc.sim.scoreboard import row_to_int


class BlockTestbench:
    """Driver and monitor of one block; subclasses name its ports."""

    inputs: tuple = ()
    outputs: tuple = ()
    clock_ns = 10

    def __init__(self, dut, data: dict):
        self.dut = dut
        self.data = data
        self.cycles = len(data[f"in_{self.inputs[0]}"])
        if "outputs" in data:   # harnesses with parameter-dependent ports name them
            self.outputs = tuple(str(p) for p in data["outputs"])

    async def reset(self):
        for p in self.inputs:
            getattr(self.dut, p).value = 0
        self.dut.rst.value = 1
        await RisingEdge(self.dut.clk)
        await RisingEdge(self.dut.clk)
        await FallingEdge(self.dut.clk)
        self.dut.rst.value = 0

    def drive(self, k: int):
        for p in self.inputs:
            getattr(self.dut, p).value = row_to_int(self.data[f"in_{p}"][k])

    def sample(self) -> list:
        return [int(getattr(self.dut, p).value) for p in self.outputs]

    async def run(self) -> dict:
        clocked = hasattr(self.dut, "clk")   # purely combinational blocks have no clk/rst
        if clocked:
            Clock(self.dut.clk, self.clock_ns, unit="ns").start()
            await self.reset()
        observed = {p: [] for p in self.outputs}
        for k in range(self.cycles):
            if clocked:
                await FallingEdge(self.dut.clk)
            else:
                await Timer(self.clock_ns - 1, unit="ns")
            self.drive(k)
            await Timer(1, unit="ns")   # let combinational outputs settle before sampling
            for p, v in zip(self.outputs, self.sample()):
                observed[p].append(v)
        out = {}
        for p, v in observed.items():
            width = len(getattr(self.dut, p))
            if width > 62:   # wide ports as bool rows (bit i = element i)
                out[f"out_{p}"] = np.array([[(x >> i) & 1 for i in range(width)] for x in v], dtype=bool)
            else:
                out[f"out_{p}"] = np.array(v, dtype=np.int64)
        return out

    def check(self, observed: dict):
        """Assert equality with ``expect_<port>`` where ``mask_<port>`` is set.

        Every output port must have an expectation and every mask at least
        one set cycle: a stimulus that checks nothing is an error, not a pass.
        """
        for p in self.outputs:
            if f"expect_{p}" not in self.data:
                raise AssertionError(f"{type(self).__name__}: output port {p!r} has no expect_{p}: "
                                     f"every output must be checked")
            exp = self.data[f"expect_{p}"]
            mask = np.asarray(self.data.get(f"mask_{p}", np.ones(len(exp), bool)), bool)
            if len(mask) != len(exp) or len(exp) != self.cycles:
                raise AssertionError(f"{type(self).__name__}: expect_{p}/mask_{p} have {len(exp)}/{len(mask)} "
                                     f"cycles, the stimulus {self.cycles}")
            if not mask.any():
                raise AssertionError(f"{type(self).__name__}: mask_{p} selects no cycle: port {p!r} "
                                     f"would go unchecked")
            got = observed[f"out_{p}"]
            for k in np.flatnonzero(mask):
                g, e = row_to_int(got[k]), row_to_int(exp[k])
                if g != e:
                    raise AssertionError(f"{type(self).__name__}: port {p!r} at cycle {k}: "
                                         f"DUT {g:#x}, reference {e:#x}")


class XnorTestbench(BlockTestbench):
    inputs = ("x", "w")
    outputs = ("p",)


class ApcTestbench(BlockTestbench):
    inputs = ("bits",)
    outputs = ("count",)


class ApcBankTestbench(BlockTestbench):
    """Several APCs side by side (``ApcBank``): outputs ``count0``, ``count1``, ..."""

    inputs = ("bits",)


class BtanhTestbench(BlockTestbench):
    inputs = ("count", "en", "start")
    outputs = ("y", "state")


class BtanhUpdateTestbench(BlockTestbench):
    inputs = ("state", "count", "start")
    outputs = ("next_state", "y")


class LaneApcTestbench(BlockTestbench):
    inputs = ("bits", "en", "first")
    outputs = ("count", "count_valid")


class NeuronTestbench(BlockTestbench):
    inputs = ("x", "w", "valid", "start")
    outputs = ("count", "count_valid", "y", "y_valid")


class ScoringNeuronTestbench(NeuronTestbench):
    outputs = NeuronTestbench.outputs + ("score",)


class LfsrTestbench(BlockTestbench):
    inputs = ("en", "load")
    outputs = ("value", "state")


class SngTestbench(BlockTestbench):
    inputs = ("r", "q")
    outputs = ("bit",)


class LfsrRounderTestbench(BlockTestbench):
    """:class:`StochasticRounder` with its own LFSR (x, y as two's-complement bit patterns)."""

    inputs = ("x", "en")
    outputs = ("y",)


class EntropyRounderTestbench(BlockTestbench):
    """:class:`StochasticRounder` fed random numbers on its ``r`` port."""

    inputs = ("x", "r")
    outputs = ("y",)


TESTBENCHES = {cls.__name__: cls for cls in (XnorTestbench, ApcTestbench, ApcBankTestbench, BtanhTestbench,
                                             BtanhUpdateTestbench, LaneApcTestbench, NeuronTestbench,
                                             ScoringNeuronTestbench, LfsrTestbench, SngTestbench,
                                             LfsrRounderTestbench, EntropyRounderTestbench)}


@cocotb.test()
async def block_testbench(dut):
    """Run the testbench named by $MTJSC_TB on the stimulus in $MTJSC_TB_DATA."""
    with np.load(os.environ["MTJSC_TB_DATA"], allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    tb = TESTBENCHES[os.environ["MTJSC_TB"]](dut, data)
    observed = await tb.run()
    np.savez(os.environ["MTJSC_TB_OUT"], **observed)
    tb.check(observed)


async def clock_and_reset(dut, clock_ns: int, idle_inputs: tuple):
    """Start the clock, hold ``idle_inputs`` low and reset for two clocks; return at a falling edge."""
    Clock(dut.clk, clock_ns, unit="ns").start()
    for name in idle_inputs:
        getattr(dut, name).value = 0
    dut.rst.value = 1
    await RisingEdge(dut.clk)
    await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0


class CoreTestbench:
    """Drives :class:`ScMlpCore` transaction by transaction: each clock it reads the core's request
    (layer, t, group, chunk) and answers with those bits from the stream arrays, with seeded random
    stalls on ``transfer.valid`` (the schedule must not change the result); it starts one image after the
    other and records scores, class and clocks per image at ``done``.

    Data: ``x_bits`` bool [N, L, n1], ``w0_bits`` bool [L, H, n1], ``w1_bits`` bool [L, 10, H + 1],
    ``geometry`` int [P, W, P2, W2, score_bits(, T)], ``stall`` float (probability of an idle clock),
    ``expect_scores`` int [N, 10], ``expect_cls`` int [N].
    """

    clock_ns = 10

    def __init__(self, dut, data: dict):
        self.dut = dut
        self.data = data
        geometry = [int(v) for v in data["geometry"]]
        self.P, self.W, self.P2, self.W2, self.sb = geometry[:5]
        self.T = geometry[5] if len(geometry) > 5 else 1      # stream indices per transfer
        self.rng = np.random.default_rng(int(data.get("seed", 0)))

    @staticmethod
    def _int(bits) -> int:
        return int.from_bytes(np.packbits(np.asarray(bits, bool), bitorder="little").tobytes(), "little")

    def _block(self, layer, g, c, w):
        """The P x W lane block of per-(neuron, input) bits ``w`` [m, n] that transfer (g, c) carries."""
        P, W = (self.P, self.W) if layer == 0 else (self.P2, self.W2)
        n = w.shape[-1]
        block = np.zeros((self.P, self.W), bool)
        rows = w[g * P:(g + 1) * P, c * W:min(n, (c + 1) * W)]
        block[:rows.shape[0], :rows.shape[1]] = rows
        return self._int(block.ravel())

    def _chunks(self, layer, t, g, c, x):
        """(x, w) integers of one transfer."""
        xin = np.zeros(self.W, bool)
        if layer == 0:
            seg = x[t, c * self.W:(c + 1) * self.W]
            xin[:len(seg)] = seg
        return self._int(xin), self._block(layer, g, c, self.data[f"w{layer}_bits"][t])

    def fields(self, key, x) -> dict:
        """The payload fields of transfer ``key`` = (layer, t, group, chunk) of image bits ``x``: with T
        indices a transfer, word k of ``x`` and ``w`` carries index t + k."""
        layer, t, g, c = key
        xin = w = 0
        for k in range(self.T):
            xk, wk = self._chunks(layer, t + k, g, c, x)
            xin |= xk << (k * self.W)
            w |= wk << (k * self.P * self.W)
        return {"x": xin, "w": w}

    def drive(self, key, x):
        """Put transfer ``key`` on the ``transfer`` port: its fields packed in the order and widths of
        :func:`~mtjsc.hdl.core.transfer_layout` (``x``: W bits, ``w`` and ``neg``: P W bits)."""
        fields, value, shift = self.fields(key, x), 0, 0
        for name, width in (("x", self.T * self.W), ("w", self.T * self.P * self.W), ("neg", self.P * self.W)):
            if name in fields:
                value, shift = value | fields[name] << shift, shift + width
        self.dut.transfer__payload.value = value

    def decode_scores(self, flat: int) -> list:
        return [(flat >> (k * self.sb)) & ((1 << self.sb) - 1) for k in range(10)]

    async def run(self) -> dict:
        dut = self.dut
        await clock_and_reset(dut, self.clock_ns, ("start", "transfer__valid"))
        stall = float(self.data.get("stall", 0.0))
        scores, classes, cycles = [], [], []
        for x in self.data["x_bits"]:
            await FallingEdge(dut.clk)
            dut.start.value = 1
            n_cycles = 0
            await FallingEdge(dut.clk)
            dut.start.value = 0
            while True:
                n_cycles += 1
                await Timer(1, unit="ns")
                if int(dut.done.value):
                    break
                if int(dut.transfer__ready.value):
                    if stall and self.rng.random() < stall:
                        dut.transfer__valid.value = 0
                    else:
                        key = (int(dut.req__layer.value), int(dut.req__t.value), int(dut.req__group.value),
                               int(dut.req__chunk.value))
                        self.drive(key, x)
                        dut.transfer__valid.value = 1
                else:
                    dut.transfer__valid.value = 0
                await FallingEdge(dut.clk)
            scores.append(self.decode_scores(int(dut.scores.value)))
            classes.append(int(dut.cls.value))
            cycles.append(n_cycles)
            dut.transfer__valid.value = 0
        return {"out_scores": np.array(scores, np.int64), "out_cls": np.array(classes, np.int64),
                "out_cycles": np.array(cycles, np.int64)}

    def check(self, observed: dict):
        exp, got = self.data["expect_scores"], observed["out_scores"]
        for i in range(len(exp)):
            if not np.array_equal(exp[i], got[i]):
                k = int(np.flatnonzero(exp[i] != got[i])[0])
                raise AssertionError(f"CoreTestbench: image {i}: score {k} DUT {got[i][k]}, golden {exp[i][k]} "
                                     f"(DUT {got[i].tolist()}, golden {exp[i].tolist()})")
            if int(observed["out_cls"][i]) != int(self.data["expect_cls"][i]):
                raise AssertionError(f"CoreTestbench: image {i}: class DUT {int(observed['out_cls'][i])}, "
                                     f"golden {int(self.data['expect_cls'][i])}")


TESTBENCHES["CoreTestbench"] = CoreTestbench


class OrCoreTestbench(CoreTestbench):
    """:class:`CoreTestbench` for :class:`~mtjsc.hdl.or_core.OrMlpCore`: also drives the weight signs
    (``neg0`` bool [H, n1], ``neg1`` bool [10, H + 1]) and reads two's complement scores."""

    def fields(self, key, x) -> dict:
        return {**super().fields(key, x), "neg": self._block(key[0], key[2], key[3], self.data[f"neg{key[0]}"])}

    def decode_scores(self, flat: int) -> list:
        half = 1 << (self.sb - 1)
        return [((v + half) % (1 << self.sb)) - half for v in super().decode_scores(flat)]


TESTBENCHES["OrCoreTestbench"] = OrCoreTestbench


class StreamEnd:
    """The ``<prefix>__valid/ready/payload`` signals of one Amaranth stream port and the clock."""

    def __init__(self, dut, prefix: str, rng):
        self.valid = getattr(dut, f"{prefix}__valid")
        self.ready = getattr(dut, f"{prefix}__ready")
        self.payload = getattr(dut, f"{prefix}__payload")
        self.clk = dut.clk
        self.rng = rng


class StreamMonitor(StreamEnd):
    """Receives values from a valid/ready stream with seeded random back-pressure on ready."""

    def __init__(self, dut, prefix: str, rng, stall: float = 0.0):
        super().__init__(dut, prefix, rng)
        self.stall = stall
        self.ready.value = 0

    async def receive(self) -> int:
        if not self.stall:
            # no back-pressure: wait for valid as an event, not clock by clock (long images)
            self.ready.value = 1
            if not int(self.valid.value):
                await RisingEdge(self.valid)
            await ReadOnly()
            value = int(self.payload.value)
            await RisingEdge(self.clk)           # the transfer
            await FallingEdge(self.clk)
            self.ready.value = 0
            return value
        while True:
            await FallingEdge(self.clk)
            self.ready.value = 0 if self.rng.random() < self.stall else 1
            await RisingEdge(self.clk)
            if int(self.valid.value) and int(self.ready.value):
                value = int(self.payload.value)
                await FallingEdge(self.clk)
                self.ready.value = 0
                return value


class StreamDriver(StreamEnd):
    """Sends values on a valid/ready stream, one transfer each, with seeded random idle clocks:
    valid and payload change at falling edges, ready is read once they have settled."""

    def __init__(self, dut, prefix: str, rng, idle: float = 0.0):
        super().__init__(dut, prefix, rng)
        self.idle = idle
        self.valid.value = 0

    async def send(self, values):
        """Send ``values`` (ints); starts and returns at a falling edge."""
        for v in values:
            while self.idle and self.rng.random() < self.idle:
                self.valid.value = 0
                await FallingEdge(self.clk)
            self.valid.value = 1
            self.payload.value = int(v)
            while True:
                await ReadOnly()
                took = int(self.ready.value)
                await FallingEdge(self.clk)
                if took:
                    break
        self.valid.value = 0


class AcceleratorTestbench:
    """Images into :class:`ScMlpAccelerator` as pixel-stream transactions, results out of its result
    stream; random idle clocks on the pixel stream and back-pressure on the result stream.

    Data: ``pixels`` uint8 [N, 784], ``score_bits``, ``idle``/``stall`` (probabilities), ``seed``,
    ``expect_scores`` [N, 10], ``expect_cls`` [N]; for the entropy port, ``entropy_beats`` (uint8
    [beats, bytes], little-endian beat values of all images in order) and ``entropy_idle``
    (probability of an idle clock on it: a starved port must only stall the design);
    ``back_to_back``: offer all pixels of all images as one stream (too many for one image: the
    design must take exactly 784 and hold the rest until the result is taken); ``exit_L``: the design
    stops early (its result's ``t`` field is returned as ``out_t``).
    """

    clock_ns = 10

    def __init__(self, dut, data: dict):
        self.dut, self.data = dut, data
        self.sb = int(data["score_bits"])
        exit_L = int(data.get("exit_L", 0))      # a design with early exit: its result carries t
        self.layout = result_layout(self.sb, bool(data.get("signed_scores", False)), exit_L or None)
        self.rng = np.random.default_rng(int(data.get("seed", 0)))

    async def run(self) -> dict:
        dut = self.dut
        entropy = "entropy_beats" in self.data
        await clock_and_reset(dut, self.clock_ns, ("pixels__valid", "result__ready")
                              + (("entropy__valid",) if entropy else ()))
        monitor = StreamMonitor(dut, "result", self.rng, float(self.data.get("stall", 0.0)))
        pixels = StreamDriver(dut, "pixels", self.rng, float(self.data.get("idle", 0.0)))
        if entropy:   # one beat sequence for all images, in the port's consumption order
            beats = [int.from_bytes(row.tobytes(), "little") for row in self.data["entropy_beats"]]
            rng = np.random.default_rng(int(self.data.get("seed", 0)) + 1)
            cocotb.start_soon(StreamDriver(dut, "entropy", rng, float(self.data.get("entropy_idle", 0.0)))
                              .send(beats))
        scores, classes, cycles, used = [], [], [], []
        back_to_back = bool(self.data.get("back_to_back", False))
        if back_to_back:   # every pixel offered at once: the design must hold off the next image's
            cocotb.start_soon(pixels.send(self.data["pixels"].ravel()))     # pixels until a result is taken
        for image in self.data["pixels"]:
            t_start = cocotb.utils.get_sim_time(unit="ns")
            if not back_to_back:
                await pixels.send(image)
            value = await monitor.receive()
            cycles.append(int((cocotb.utils.get_sim_time(unit="ns") - t_start) // self.clock_ns))
            result = self.layout.from_bits(value)
            classes.append(result.cls)
            scores.append(list(result.scores))
            used.append(result.t if "exit_L" in self.data else -1)
        return {"out_scores": np.array(scores, np.int64), "out_cls": np.array(classes, np.int64),
                "out_cycles": np.array(cycles, np.int64), "out_t": np.array(used, np.int64)}

    def check(self, observed: dict):
        CoreTestbench.check(self, observed)
        if "expect_t" in self.data:
            for i, (g, e) in enumerate(zip(observed["out_t"], self.data["expect_t"])):
                if int(g) != int(e):
                    raise AssertionError(f"AcceleratorTestbench: image {i}: stopped after {int(g)} stream "
                                         f"indices, golden after {int(e)}")


TESTBENCHES["AcceleratorTestbench"] = AcceleratorTestbench


class PbitTestbench:
    """Runs :class:`~mtjsc.hdl.pbit.PbitMachine` from ``start`` to ``done``, recording ``state`` at every
    ``sample``; with ``entropy_words`` it drives the entropy port (one word per colour update) with
    seeded idle clocks. Data: ``expect_states`` bool [sweeps, n], ``geometry`` [n, B, size],
    optionally ``entropy_words`` int [updates, size] and ``idle``.
    """

    clock_ns = 10

    def __init__(self, dut, data: dict):
        self.dut, self.data = dut, data
        self.n, self.B, self.size = (int(v) for v in data["geometry"])
        self.rng = np.random.default_rng(int(data.get("seed", 0)))

    async def run(self) -> dict:
        dut = self.dut
        words = self.data.get("entropy_words")
        idle = float(self.data.get("idle", 0.0))
        await clock_and_reset(dut, self.clock_ns, ("start",) + (("entropy_valid",) if words is not None else ()))
        dut.start.value = 1
        await FallingEdge(dut.clk)
        dut.start.value = 0
        states, u, clocks = [], 0, 0
        while True:
            await Timer(1, unit="ns")
            if int(dut.done.value):
                break
            if int(dut.sample.value):
                v = int(dut.state.value)
                states.append([(v >> i) & 1 for i in range(self.n)])
            fire = False
            if words is not None:
                valid = u < len(words) and not (idle and self.rng.random() < idle)
                dut.entropy_valid.value = int(valid)
                if valid:
                    w = 0
                    for k, num in enumerate(words[u]):
                        w |= int(num) << (k * self.B)
                    dut.entropy.value = w
                fire = valid and int(dut.entropy_ready.value)
            await FallingEdge(dut.clk)
            clocks += 1
            u += int(fire)
        if int(dut.sample.value):          # the last sweep's sample shows with done
            v = int(dut.state.value)
            states.append([(v >> i) & 1 for i in range(self.n)])
        return {"out_states": np.array(states, bool), "out_clocks": np.int64(clocks)}

    def check(self, observed: dict):
        exp, got = self.data["expect_states"], observed["out_states"]
        if got.shape != exp.shape:
            raise AssertionError(f"PbitTestbench: {len(got)} samples from the DUT, {len(exp)} from the model")
        for k in range(len(exp)):
            if not np.array_equal(exp[k], got[k]):
                i = int(np.flatnonzero(exp[k] != got[k])[0])
                raise AssertionError(f"PbitTestbench: sweep {k}: p-bit {i} DUT {int(got[k][i])}, model {int(exp[k][i])}")


TESTBENCHES["PbitTestbench"] = PbitTestbench



class UartMonitor:
    """Receives 8N1 frames on ``dut.<pin>`` at ``divisor`` clocks per bit: waits for the start bit's
    falling edge, samples every bit in its middle, and fails on a bad start or stop bit."""

    def __init__(self, dut, pin: str, divisor: int):
        self.dut, self.line, self.divisor = dut, getattr(dut, pin), divisor

    async def _clocks(self, k: int):
        for _ in range(k):
            await RisingEdge(self.dut.clk)

    async def byte(self, timeout: int) -> tuple:
        """The next byte and the clocks waited for its start bit (``timeout`` clocks at most)."""
        waited = 0
        while int(self.line.value) == 1:
            await RisingEdge(self.dut.clk)
            await ReadOnly()
            waited += 1
            if waited > timeout:
                raise AssertionError(f"UartMonitor: no start bit within {timeout} clocks")
        await self._clocks(self.divisor // 2)
        await ReadOnly()
        if int(self.line.value) != 0:
            raise AssertionError("UartMonitor: start bit not low in its middle")
        value = 0
        for i in range(9):
            await self._clocks(self.divisor)
            await ReadOnly()
            bit = int(self.line.value)
            if i < 8:
                value |= bit << i
            elif bit != 1:
                raise AssertionError(f"UartMonitor: stop bit low after byte 0x{value:02x}")
        return value, waited


class PbitBoardTestbench:
    """:class:`~mtjsc.boards.pbit_board.PbitBoard`: the report after reset, then a button press and the
    report of the second run, each byte decoded from the UART line. Data: ``expect_bytes`` int [k],
    ``divisor``, ``timeout`` (clocks to wait for a report)."""

    clock_ns = 10

    def __init__(self, dut, data: dict):
        self.dut, self.data = dut, data

    async def run(self) -> dict:
        dut = self.dut
        k, divisor, timeout = len(self.data["expect_bytes"]), int(self.data["divisor"]), int(self.data["timeout"])
        await clock_and_reset(dut, self.clock_ns, ("start",))
        uart = UartMonitor(dut, "tx", divisor)
        reports, waits = [], []
        for press in range(2):
            if press:
                await FallingEdge(dut.clk)
                dut.start.value = 1
                await FallingEdge(dut.clk)
                dut.start.value = 0
            got = []
            for j in range(k):
                b, waited = await uart.byte(timeout)
                got.append(b)
                if j == 0:
                    waits.append(waited)
            reports.append(got)
        return {"out_reports": np.array(reports, np.int64), "out_waits": np.array(waits, np.int64)}

    def check(self, observed: dict):
        exp = [int(v) for v in self.data["expect_bytes"]]
        for r, got in enumerate(observed["out_reports"].tolist()):
            if got != exp:
                j = next(i for i in range(len(exp)) if got[i] != exp[i])
                raise AssertionError(f"PbitBoardTestbench: report {r}, byte {j}: DUT 0x{got[j]:02x}, "
                                     f"model 0x{exp[j]:02x}")


TESTBENCHES["PbitBoardTestbench"] = PbitBoardTestbench


class BoardTestbench:
    """:class:`~mtjsc.boards.accelerator_board.AcceleratorBoard`, UART to UART with cocotbext-uart: each
    request's bytes go in on ``rx`` and its reply is read from ``tx``. Data: ``requests`` uint8 (all
    requests, concatenated), ``lengths``, ``divisor``, ``timeout`` (clocks to wait for a reply)."""

    clock_ns = 10

    def __init__(self, dut, data: dict):
        self.dut, self.data = dut, data

    async def run(self) -> dict:
        from cocotbext.uart import UartSink, UartSource

        from mtjsc.boards import frames
        dut, d = self.dut, self.data
        baud = 1e9 / (int(d["divisor"]) * self.clock_ns)
        dut.rx.value = 1
        await clock_and_reset(dut, self.clock_ns, ())
        source, sink = UartSource(dut.rx, baud=baud, bits=8), UartSink(dut.tx, baud=baud, bits=8)
        replies, offset = [], 0
        for n in d["lengths"].tolist():
            await source.write(bytes(d["requests"][offset:offset + n].tolist()))
            offset += n
            await source.wait()
            got = b""
            deadline = cocotb.utils.get_sim_time(unit="ns") + int(d["timeout"]) * self.clock_ns
            while len(got) < frames.REPLY_BYTES:      # read_nowait: read(n) of cocotbext-uart 0.1.4 fails on n > 1
                if not sink.empty():
                    got += bytes(sink.read_nowait(min(sink.count(), frames.REPLY_BYTES - len(got))))
                    continue
                left = deadline - cocotb.utils.get_sim_time(unit="ns")
                if left <= 0:
                    raise AssertionError(f"BoardTestbench: request {len(replies)}: {len(got)} of "
                                         f"{frames.REPLY_BYTES} reply bytes within {int(d['timeout'])} clocks")
                await sink.wait(timeout=int(left), timeout_unit="ns")
            replies.append(list(got))
        return {"out_replies": np.array(replies, np.int64)}

    def check(self, observed: dict):
        from mtjsc.boards import frames
        want = self.data["expect_replies"]
        for k, (g, w) in enumerate(zip(observed["out_replies"].tolist(), want.tolist())):
            r, e = frames.parse_reply(bytes(g)), frames.parse_reply(bytes(w))
            if (r.status, r.cls, r.scores) != (e.status, e.cls, e.scores):
                raise AssertionError(f"BoardTestbench: reply {k}: DUT status {r.status_text}, class {r.cls}, scores "
                                     f"{list(r.scores)}; expected {e.status_text}, class {e.cls}, {list(e.scores)}")


TESTBENCHES["BoardTestbench"] = BoardTestbench
