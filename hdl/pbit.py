"""`PbitMachine`: the p-bit Ising machine of :mod:`mtjsc.behavioral_models.pbit` in RTL.

One clock per colour: every p-bit of the colour sums its neighbours'
+-J_ij and h_i (a constant-coefficient adder per p-bit: J is the problem,
wired in), looks up q = round((1 + tanh(beta_k I)) / 2 * 2^B) in its own
table (only the inputs it can reach, for every annealing stage k) and sets
m_i = [R_i < q]. R_i comes from p-bit i's LFSR (the shared `Lfsr`, seeded
as the model seeds it, leapt B steps per update) or from the entropy port,
which carries one word per colour update (the k-th p-bit of the colour reads
B-bit number k) with a valid/ready handshake: the machine waits for it.
"""

from __future__ import annotations

from amaranth import Array, Const, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from mtjsc.behavioral_models import pbit as model
from mtjsc.errors import MtjscError
from mtjsc.hdl.lfsr import Lfsr
from mtjsc.validate import check_seed

RNG_KINDS = ("lfsr", "entropy")


class PbitMachine(wiring.Component):
    """Anneal one Ising problem with graph-coloured parallel p-bit updates.

    Parameters
    ----------
    problem : behavioral_models.pbit.PbitProblem
    schedule : behavioral_models.pbit.Schedule
    seed : int
        Seeds the LFSRs and the start state exactly as ``pbit.run(seed=...)`` does.
    rng : {"lfsr", "entropy"}

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

    def __init__(self, *, problem, schedule, seed: int = 0, rng: str = "lfsr"):
        if not isinstance(problem, model.PbitProblem):
            raise MtjscError(f"problem must be a PbitProblem, got {type(problem).__name__}")
        if not isinstance(schedule, model.Schedule):
            raise MtjscError(f"schedule must be a Schedule, got {type(schedule).__name__}")
        if rng not in RNG_KINDS:
            raise MtjscError(f"rng={rng!r}: choose one of {', '.join(RNG_KINDS)}")
        self.problem, self.schedule, self.seed, self.rng = problem, schedule, check_seed(seed), rng
        self.groups = problem.groups
        self.size = max(len(g) for g in self.groups)
        ports = {"start": In(1), "busy": Out(1), "done": Out(1), "state": Out(problem.n), "sample": Out(1),
                 "sweep": Out(range(schedule.sweeps + 1))}
        if rng == "entropy":
            ports.update(entropy=In(self.size * schedule.bits), entropy_valid=In(1), entropy_ready=Out(1))
        super().__init__(ports)

    def reference(self, entropy=None) -> dict:
        """The NumPy model's run (states after every sweep) for this machine."""
        return model.run(self.problem, self.schedule, seed=self.seed, rng=self.rng, entropy=entropy)

    def elaborate(self, platform):
        m = Module()
        P, S = self.problem, self.schedule
        n, B = P.n, S.bits
        init = model.initial_state(P, self.seed)
        seeds = model.lfsr_seeds(P, S, self.seed)
        table = S.table(P.max_input)
        stages = len(S.betas)

        state = Signal(n, init=int(sum(1 << i for i in range(n) if init[i])))
        running = Signal()
        colour = Signal(range(max(len(self.groups), 2)))
        sweep = Signal(range(S.sweeps + 1))
        in_stage = Signal(range(S.sweeps_per_stage + 1))
        stage = Signal(range(max(stages, 2)))
        go = Signal()              # this clock updates the current colour
        if self.rng == "entropy":
            m.d.comb += [go.eq(running & self.entropy_valid), self.entropy_ready.eq(running)]
        else:
            m.d.comb += go.eq(running)
        m.d.comb += [self.state.eq(state), self.busy.eq(running), self.sweep.eq(sweep)]
        m.d.sync += [self.sample.eq(0), self.done.eq(0)]
        restart = self.start & ~running

        last_colour = colour == len(self.groups) - 1
        with m.If(restart):
            m.d.sync += [running.eq(1), colour.eq(0), sweep.eq(0), in_stage.eq(0), stage.eq(0),
                         state.eq(state.init)]
        with m.Elif(go):
            with m.If(last_colour):
                m.d.sync += [colour.eq(0), sweep.eq(sweep + 1), self.sample.eq(1)]
                with m.If(in_stage == S.sweeps_per_stage - 1):
                    m.d.sync += in_stage.eq(0)
                    with m.If(stage != stages - 1):
                        m.d.sync += stage.eq(stage + 1)
                with m.Else():
                    m.d.sync += in_stage.eq(in_stage + 1)
                with m.If(sweep == S.sweeps - 1):
                    m.d.sync += [running.eq(0), self.done.eq(1)]
            with m.Else():
                m.d.sync += colour.eq(colour + 1)

        for c, idx in enumerate(self.groups):
            for k, i in enumerate(idx):
                i = int(i)
                nbrs = [int(j) for j in P.J[i].nonzero()[0]]
                reach = int(abs(P.J[i]).sum() + abs(P.h[i]))
                width = max(reach, 1).bit_length() + 2
                I = Signal(signed(width), name=f"I{i}")
                terms = [_pm(state[j], int(P.J[i, j])) for j in nbrs]
                total = Const(int(P.h[i]), signed(width))
                for tm in terms:
                    total = total + tm
                m.d.comb += I.eq(total)
                # this p-bit's table: every stage, I = -reach..reach (q has B + 1 bits: q = 2^B is certain)
                off = P.max_input
                rom = Array(Array(Const(int(table[k, off + v]), B + 1) for v in range(-reach, reach + 1))
                            for k in range(stages))
                q = Signal(B + 1, name=f"q{i}")
                m.d.comb += q.eq(rom[stage][(I + reach).as_unsigned()])      # no multiplier for the index
                r = Signal(B, name=f"r{i}")
                if self.rng == "lfsr":
                    lf = Lfsr(width=S.lfsr_width, bits=B, seed=int(seeds[i]))
                    m.submodules[f"lfsr{i}"] = lf
                    m.d.comb += [r.eq(lf.value), lf.en.eq(go & (colour == c)), lf.load.eq(restart)]
                else:
                    m.d.comb += r.eq(self.entropy[k * B:(k + 1) * B])
                with m.If(go & (colour == c) & ~restart):
                    m.d.sync += state[i].eq(r < q)
        return m


def _pm(bit, w: int):
    """+w when ``bit`` is 1 (m = +1), -w when 0: the signed contribution J_ij m_j."""
    width = abs(w).bit_length() + 2
    return Mux(bit, Const(w, signed(width)), Const(-w, signed(width)))
