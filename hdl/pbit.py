"""`PbitMachine`: the p-bit Ising machine of :mod:`mtjsc.behavioral_models.pbit` in RTL.

One clock per colour: every p-bit of the colour sums its neighbours'
+-J_ij and h_i (a constant-coefficient adder per p-bit: J is the problem,
wired in), looks up q = round((1 + tanh(beta_k I)) / 2 * 2^B) in a table
(only the inputs it can reach, for every annealing stage k) and sets
m_i = [R_i < q]. With ``units="pbit"`` every p-bit has its own table and
comparator; with ``units="slot"`` the k-th p-bits of all colours share one
(slot k): only one colour updates per clock, so the slot takes the sum and
the random number of that colour's p-bit through a multiplexer, which saves
the table and comparator of all but one colour at the cost of the mux. R_i comes from p-bit i's LFSR (the shared `Lfsr`, seeded
as the model seeds it, leapt B steps per update), from slot k's LFSR
(``slot-lfsr``: one per slot, leapt at every colour update) or from the entropy port,
which carries one word per colour update (the k-th p-bit of the colour reads
B-bit number k) with a valid/ready handshake: the machine waits for it.

Large machines copy the control that every p-bit reads (the colour
counter, the annealing stage, running and the restart and update enables):
one copy per ``control_fanout`` slots, each with its own feedback so that
Yosys cannot merge the copies, all equal at every clock. On an ECP5 the
single colour and stage registers of a 1,280-p-bit machine drove nets of
11.3 and 11.8 ns across the chip.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

from amaranth import Array, Const, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from mtjsc.behavioral_models import pbit as model
from mtjsc.errors import MtjscError
from mtjsc.hdl.lfsr import Lfsr
from mtjsc.validate import check_int, check_seed

RNG_KINDS = ("lfsr", "slot-lfsr", "entropy")
#: Who owns a table and comparator: a p-bit, or a slot of the colours (module docstring).
UNIT_KINDS = ("slot", "pbit")


class PbitMachine(wiring.Component):
    """Anneal one Ising problem with graph-coloured parallel p-bit updates.

    Parameters
    ----------
    problem : behavioral_models.pbit.PbitProblem
    schedule : behavioral_models.pbit.Schedule
    seed : int
        Seeds the LFSRs and the start state exactly as ``pbit.run(seed=...)`` does.
    rng : {"lfsr", "slot-lfsr", "entropy"}
        The model's random-number sources (:mod:`mtjsc.behavioral_models.pbit`).
    units : {"slot", "pbit"}
        ``"slot"``: one table and comparator per slot (the k-th p-bits of all colours); ``"pbit"``: one
        per p-bit. The same machine either way (same states, sample for sample); ``"slot"`` is smaller.
    control_fanout : int
        Slots per copy of the control registers (module docstring); ceil(slots / control_fanout)
        copies, and one (no copy) when that is 1. The same machine for any value.

    Ports
    -----
    start : in
        Restart from the seeded state (LFSRs reloaded) and run ``schedule.sweeps`` sweeps.
    busy, done : out
        ``done`` pulses after the last sweep.
    state : out, n bits
        m (bit 1 = +1).
    sample : out
        High for one clock after each sweep; ``state`` then holds that sweep's result.
    sweep : out
        Sweeps finished.
    entropy, entropy_valid, entropy_ready : ``rng="entropy"`` only
        One word of (largest colour) x B bits per colour update.
    """

    def __init__(self, *, problem, schedule, seed: int = 0, rng: str = "lfsr", units: str = "slot",
                 control_fanout: int = 64):
        if not isinstance(problem, model.PbitProblem):
            raise MtjscError(f"problem must be a PbitProblem, got {type(problem).__name__}")
        if not isinstance(schedule, model.Schedule):
            raise MtjscError(f"schedule must be a Schedule, got {type(schedule).__name__}")
        if rng not in RNG_KINDS:
            raise MtjscError(f"rng={rng!r}: choose one of {', '.join(RNG_KINDS)}")
        if units not in UNIT_KINDS:
            raise MtjscError(f"units={units!r}: choose one of {', '.join(UNIT_KINDS)}")
        self.problem, self.schedule, self.seed, self.rng = problem, schedule, check_seed(seed), rng
        self.units = units
        self.groups = problem.groups
        self.size = max(len(g) for g in self.groups)
        self.control_fanout = check_int(control_fanout, "control_fanout", minimum=1,
                                        fix="slots per copy of the control registers, e.g. 64")
        self.control_copies = math.ceil(self.size / self.control_fanout)
        ports = {"start": In(1), "busy": Out(1), "done": Out(1), "state": Out(problem.n), "sample": Out(1),
                 "sweep": Out(range(schedule.sweeps + 1))}
        if rng == "entropy":
            ports.update(entropy=In(self.size * schedule.bits), entropy_valid=In(1), entropy_ready=Out(1))
        super().__init__(ports)

    def reference(self, entropy=None) -> dict:
        """The NumPy model's run (states after every sweep) for this machine."""
        return model.run(self.problem, self.schedule, seed=self.seed, rng=self.rng, entropy=entropy)

    def _control(self, m, r: int, stage_step, last_sweep) -> SimpleNamespace:
        """Copy ``r`` of the control every p-bit reads: colour, annealing stage and running registers, and
        ``go`` (this clock updates the current colour) and ``restart`` derived from them. Each copy steps
        from its own registers; ``stage_step`` and ``last_sweep`` come from the sweep counters."""
        suffix = "" if r == 0 else f"_r{r}"
        colour = Signal(range(max(len(self.groups), 2)), name=f"colour{suffix}")
        stage = Signal(range(max(len(self.schedule.betas), 2)), name=f"stage{suffix}")
        running = Signal(name=f"running{suffix}")
        go = running & self.entropy_valid if self.rng == "entropy" else running
        restart = self.start & ~running
        last_colour = colour == len(self.groups) - 1
        with m.If(restart):
            m.d.sync += [running.eq(1), colour.eq(0), stage.eq(0)]
        with m.Elif(go):
            with m.If(last_colour):
                m.d.sync += colour.eq(0)
                with m.If(stage_step):
                    m.d.sync += stage.eq(stage + 1)
                with m.If(last_sweep):
                    m.d.sync += running.eq(0)
            with m.Else():
                m.d.sync += colour.eq(colour + 1)
        return SimpleNamespace(colour=colour, stage=stage, running=running, go=go, restart=restart,
                               last_colour=last_colour)

    def elaborate(self, platform):
        m = Module()
        P, S = self.problem, self.schedule
        n, B = P.n, S.bits
        init = model.initial_state(P, self.seed)
        seeds = model.lfsr_seeds(P, S, self.seed)
        slot_seeds = model.slot_seeds(P, S, self.seed)
        table = S.table(P.max_input)
        stages = len(S.betas)

        state = Signal(n, init=int(sum(1 << i for i in range(n) if init[i])))
        sweep = Signal(range(S.sweeps + 1))
        in_stage = Signal(range(S.sweeps_per_stage + 1))
        m.d.comb += [self.state.eq(state), self.sweep.eq(sweep)]
        m.d.sync += [self.sample.eq(0), self.done.eq(0)]
        # what the p-bits read: per region of slots a copy of colour, stage and running that follows the
        # same rules from its own state (so no tool merges the copies); copy 0 is the machine's own
        stage_step, last_sweep = Signal(), Signal()
        ctl = [self._control(m, r, stage_step, last_sweep) for r in range(self.control_copies)]
        main = ctl[0]
        if self.rng == "entropy":
            m.d.comb += self.entropy_ready.eq(main.running)
        m.d.comb += [self.busy.eq(main.running),
                     stage_step.eq((in_stage == S.sweeps_per_stage - 1) & (main.stage != stages - 1)),
                     last_sweep.eq(sweep == S.sweeps - 1)]
        with m.If(main.restart):
            m.d.sync += [sweep.eq(0), in_stage.eq(0)]
        with m.Elif(main.go & main.last_colour):
            m.d.sync += [sweep.eq(sweep + 1), self.sample.eq(1),
                         in_stage.eq(Mux(in_stage == S.sweeps_per_stage - 1, 0, in_stage + 1))]
            with m.If(last_sweep):
                m.d.sync += self.done.eq(1)
        region = [ctl[k // self.control_fanout] for k in range(self.size)]

        # per p-bit: its input sum, its random number, and the clock it updates in
        I, r, reach, upd = {}, {}, {}, {}
        slot_value = []
        if self.rng == "slot-lfsr":
            for k in range(self.size):
                lf = Lfsr(width=S.lfsr_width, bits=B, seed=int(slot_seeds[k]))
                m.submodules[f"slot_lfsr{k}"] = lf
                m.d.comb += [lf.en.eq(region[k].go), lf.load.eq(region[k].restart)]
                slot_value.append(lf.value)
        for c, idx in enumerate(self.groups):
            for k, i in enumerate(idx):
                i, ct = int(i), region[k]
                reach[i] = int(abs(P.J[i]).sum() + abs(P.h[i]))
                total = Const(int(P.h[i]), signed(max(reach[i], 1).bit_length() + 2))
                for j in P.J[i].nonzero()[0]:
                    total = total + _pm(state[int(j)], int(P.J[i, j]))
                I[i] = Signal(signed(max(reach[i], 1).bit_length() + 2), name=f"I{i}")
                m.d.comb += I[i].eq(total)
                upd[i] = ct.go & (ct.colour == c)
                if self.rng == "lfsr":
                    lf = Lfsr(width=S.lfsr_width, bits=B, seed=int(seeds[i]))
                    m.submodules[f"lfsr{i}"] = lf
                    m.d.comb += [lf.en.eq(upd[i]), lf.load.eq(ct.restart)]
                    r[i] = lf.value
                elif self.rng == "slot-lfsr":
                    r[i] = slot_value[k]
                else:
                    r[i] = self.entropy[k * B:(k + 1) * B]

        def unit(name, members, ct):
            """m = [R < q(I)] for whichever of ``members`` ((colour, p-bit) pairs) updates now; one table
            over the inputs the members can reach, every stage (q has B + 1 bits: q = 2^B is certain);
            ``ct``: the control copy it reads. A restart reloads the members' start state."""
            span = max(reach[i] for _, i in members)
            colour = ct.colour
            # a Mux chain, not a Switch: Yosys writes a Switch as an ``always @*`` block that Icarus can
            # leave unevaluated at time 0 (x until an input changes); a Mux is a continuous assignment
            i_now, r_now = I[members[0][1]], r[members[0][1]]
            for c, i in members[1:]:
                i_now, r_now = Mux(colour == c, I[i], i_now), Mux(colour == c, r[i], r_now)
            off = P.max_input
            rom = Array(Array(Const(int(table[k, off + v]), B + 1) for v in range(-span, span + 1))
                        for k in range(stages))
            q = Signal(B + 1, name=f"q_{name}")
            m.d.comb += q.eq(rom[ct.stage][(i_now + span).as_unsigned()])      # no multiplier for the index
            bit = Signal(name=f"m_{name}")
            m.d.comb += bit.eq(r_now < q)
            for _, i in members:
                with m.If(ct.restart):
                    m.d.sync += state[i].eq(int(init[i]))
                with m.Elif(upd[i]):
                    m.d.sync += state[i].eq(bit)

        if self.units == "pbit":
            for c, idx in enumerate(self.groups):
                for k, i in enumerate(idx):
                    unit(f"p{int(i)}", [(c, int(i))], region[k])
        else:   # slot k: the k-th p-bit of every colour that has one
            for k in range(self.size):
                unit(f"s{k}", [(c, int(idx[k])) for c, idx in enumerate(self.groups) if k < len(idx)], region[k])
        return m


def _pm(bit, w: int):
    """+w when ``bit`` is 1 (m = +1), -w when 0: the signed contribution J_ij m_j."""
    width = abs(w).bit_length() + 2
    return Mux(bit, Const(w, signed(width)), Const(-w, signed(width)))
