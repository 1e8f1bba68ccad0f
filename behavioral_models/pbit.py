"""A p-bit Ising machine in fixed point: the NumPy model the RTL (`mtjsc.hdl.pbit`) equals sample for sample.

Update (Camsari et al.; the FPGA p-computers of Aadit et al., Nature
Electronics 5, 460, 2022): p-bit i holds m_i in {-1, +1} (bit 1 = +1) and, when
it updates, takes

    I_i = sum_j J_ij m_j + h_i          (integers: J, h are the problem in fixed point)
    m_i = +1  iff  R_i < q_k(I_i),      q_k(I) = round((1 + tanh(beta_k I)) / 2 * 2^B)

with R_i a B-bit random number and q_k a lookup table per annealing stage k
(the comparator-SNG convention of the network: P(m_i = +1) = q / 2^B). The
graph is coloured properly; a *sweep* updates the colours in order, all
p-bits of one colour at once (one clock each in RTL) from the state before
that colour. Stage k = min(sweep // sweeps_per_stage, stages - 1).

Random numbers: ``lfsr`` gives p-bit i its own Galois LFSR (the shared
:mod:`~mtjsc.behavioral_models.lfsr` definition, seed
``seed_state(seed, PBIT_LAYER, replica, i, width)``), read as R and leapt B
steps at each of its updates, so its t-th update uses ``generate(...)[t]``.
``slot-lfsr`` gives each *slot* k (the k-th p-bit of every colour, ascending
index) one LFSR (seed ``seed_state(seed, PBIT_SLOT_LAYER, replica, k,
width)``), leapt B steps at every colour update: the p-bit of slot k in
colour c reads its u-th number at update u = sweep x colours + c. One LFSR
then serves a p-bit of every colour, as one colour updates per clock: the
RTL needs colours-times fewer LFSRs (their logic is most of a p-bit's).
``entropy`` takes the numbers from given words: one word per colour update,
the k-th p-bit of the colour (ascending index) reading B-bit number k of the
word (the RTL's entropy port; e.g. sMTJ bits from ``mtj.entropy_bits``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from mtjsc.behavioral_models import lfsr
from mtjsc.errors import MtjscError
from mtjsc.validate import check_float, check_int, check_last_axis, check_seed, check_square

#: ``layer`` field of the p-bit LFSR seeds (disjoint from the network's layers 0, 1).
PBIT_LAYER = 16
#: ``layer`` field of the slot LFSR seeds (``rng="slot-lfsr"``).
PBIT_SLOT_LAYER = 17
#: Where a p-bit's random numbers come from (module docstring); ``numpy`` is a model-only sampler.
RNG_KINDS = ("lfsr", "slot-lfsr", "entropy", "numpy")
#: Largest |I| the lookup table covers (one entry per integer input).
MAX_INPUT = 1 << 12


def greedy_colouring(J: np.ndarray) -> np.ndarray:
    """A proper colouring of the graph of nonzero J (largest degree first, smallest free colour)."""
    J = check_square(J, "couplings J")
    n = len(J)
    adj = J != 0
    colour = np.full(n, -1)
    for i in np.argsort(-adj.sum(axis=1), kind="stable"):
        used = set(colour[adj[i]].tolist())
        c = 0
        while c in used:
            c += 1
        colour[i] = c
    return colour


@dataclass(frozen=True)
class PbitProblem:
    """An Ising problem in fixed point with a proper colouring.

    Parameters
    ----------
    J : int [n, n]
        Symmetric, zero diagonal, integers in [-2^(weight_bits-1), 2^(weight_bits-1)).
    h : int [n], optional
        Biases (same range).
    colours : int [n], optional
        A proper colouring (default :func:`greedy_colouring`).
    weight_bits : int
        Fixed-point width of J and h.
    """

    J: np.ndarray
    h: np.ndarray | None = None
    colours: np.ndarray | None = None
    weight_bits: int = 8

    def __post_init__(self):
        J = np.asarray(self.J)
        if J.ndim != 2 or J.shape[0] != J.shape[1] or len(J) < 1:
            raise MtjscError(f"J must be a square matrix, got shape {J.shape}")
        if not np.all(np.asarray(J, np.float64) == np.round(np.asarray(J, np.float64))):
            raise MtjscError("J must hold integers (the problem in fixed point); scale and round it")
        J = J.astype(np.int64)
        if not np.array_equal(J, J.T):
            i, j = (int(v) for v in np.argwhere(J != J.T)[0])
            raise MtjscError(f"J is not symmetric: J[{i}, {j}] = {J[i, j]} but J[{j}, {i}] = {J[j, i]}; an Ising "
                             f"machine needs J_ij = J_ji")
        if np.any(np.diag(J) != 0):
            raise MtjscError("J must have a zero diagonal (put self terms into h)")
        n = len(J)
        h = np.zeros(n, np.int64) if self.h is None else np.asarray(self.h)
        if h.shape != (n,) or not np.all(h == np.round(h)):
            raise MtjscError(f"h must be {n} integers")
        h = h.astype(np.int64)
        wb = check_int(self.weight_bits, "weight_bits", minimum=2, maximum=16)
        lo, hi = -(1 << (wb - 1)), (1 << (wb - 1)) - 1
        for name, v in (("J", J), ("h", h)):
            if v.size and (v.min() < lo or v.max() > hi):
                raise MtjscError(f"{name} has values in [{v.min()}, {v.max()}], outside the {wb}-bit fixed point "
                                 f"[{lo}, {hi}]; scale the problem or raise weight_bits")
        colours = greedy_colouring(J) if self.colours is None else np.asarray(self.colours, np.int64)
        if colours.shape != (n,) or colours.min() < 0:
            raise MtjscError(f"colours must be {n} non-negative integers")
        clash = np.argwhere((J != 0) & (colours[:, None] == colours[None, :]))
        if len(clash):
            i, j = (int(v) for v in clash[0])
            raise MtjscError(f"the colouring is not proper: p-bits {i} and {j} are coupled (J = {J[i, j]}) and "
                             f"share colour {colours[i]}; they cannot update in the same clock")
        # colours renumbered 0..C-1 in order of first use, no gaps
        _, colours = np.unique(colours, return_inverse=True)
        if self.max_input_of(J, h) > MAX_INPUT:
            raise MtjscError(f"|I| can reach {self.max_input_of(J, h)}, beyond the lookup table's {MAX_INPUT}; "
                             f"scale J and h down")
        object.__setattr__(self, "J", J)
        object.__setattr__(self, "h", h)
        object.__setattr__(self, "colours", colours.astype(np.int64))
        object.__setattr__(self, "weight_bits", wb)

    @staticmethod
    def max_input_of(J, h) -> int:
        return int((np.abs(J).sum(axis=1) + np.abs(h)).max())

    @property
    def n(self) -> int:
        return len(self.J)

    @property
    def max_input(self) -> int:
        """The largest |I_i| any state can give: the lookup table covers -max_input..max_input."""
        return self.max_input_of(self.J, self.h)

    @property
    def groups(self) -> list:
        """p-bit indices of each colour, ascending."""
        return [np.flatnonzero(self.colours == c) for c in range(int(self.colours.max()) + 1)]

    def energy(self, m) -> np.ndarray:
        """E = -sum_{i<j} J_ij s_i s_j - sum_i h_i s_i for bits m [..., n] (1 = +1)."""
        s = 2.0 * check_last_axis(m, self.n, "bits m", "[..., n]") - 1.0
        return -0.5 * np.einsum("...i,ij,...j->...", s, self.J, s) - s @ self.h


@dataclass(frozen=True)
class Schedule:
    """Annealing: ``betas`` (one per stage, in 1 / (unit of I)), ``sweeps_per_stage`` each; B random bits."""

    betas: tuple
    sweeps_per_stage: int = 1
    bits: int = 8
    lfsr_width: int = 32
    tables: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        betas = tuple(float(b) for b in np.atleast_1d(self.betas))
        if not betas or any(not (math.isfinite(b) and b >= 0) for b in betas):
            raise MtjscError(f"betas {self.betas} must be finite and >= 0 (one per annealing stage)")
        object.__setattr__(self, "betas", betas)
        check_int(self.sweeps_per_stage, "sweeps_per_stage", minimum=1)
        check_int(self.bits, "random bits B", minimum=1, maximum=16)
        lfsr.check_width(self.lfsr_width)
        if self.bits > self.lfsr_width:
            raise MtjscError(f"B = {self.bits} random bits do not fit a {self.lfsr_width}-bit LFSR")

    @classmethod
    def linear(cls, beta0: float, beta1: float, stages: int, sweeps_per_stage: int = 1, **kw) -> "Schedule":
        return cls(tuple(np.linspace(beta0, beta1, check_int(stages, "stages", minimum=1))), sweeps_per_stage, **kw)

    @property
    def sweeps(self) -> int:
        return len(self.betas) * self.sweeps_per_stage

    def table(self, max_input: int) -> np.ndarray:
        """q_k(I) for every stage k and I = -max_input..max_input: int [stages, 2 max_input + 1]."""
        I = np.arange(-max_input, max_input + 1)
        return lfsr.sng_threshold((1.0 + np.tanh(np.outer(self.betas, I))) / 2.0, self.bits)

    def stage(self, sweep: int) -> int:
        return min(sweep // self.sweeps_per_stage, len(self.betas) - 1)


def lfsr_seeds(problem: PbitProblem, schedule: Schedule, seed: int, replica: int = 0) -> np.ndarray:
    return np.array([lfsr.seed_state(seed, PBIT_LAYER, replica, i, schedule.lfsr_width) for i in range(problem.n)],
                    np.uint64)


def slot_seeds(problem: PbitProblem, schedule: Schedule, seed: int, replica: int = 0) -> np.ndarray:
    """Seeds of the slot LFSRs (``rng="slot-lfsr"``), one per slot: as many as the largest colour."""
    size = max(len(g) for g in problem.groups)
    return np.array([lfsr.seed_state(seed, PBIT_SLOT_LAYER, replica, k, schedule.lfsr_width) for k in range(size)],
                    np.uint64)


def initial_state(problem: PbitProblem, seed: int, replica: int = 0) -> np.ndarray:
    """The seeded start state (bits), shared by model and RTL."""
    return np.random.default_rng([check_seed(seed), PBIT_LAYER, replica]).random(problem.n) < 0.5


def entropy_words(problem: PbitProblem, schedule: Schedule, bits) -> np.ndarray:
    """Entropy-port words from a raw bit sequence: int [updates, max colour size] of B-bit numbers,
    read B bits at a time, least significant first, one full word per colour update."""
    size = max(len(g) for g in problem.groups)
    need = schedule.sweeps * len(problem.groups) * size * schedule.bits
    b = np.asarray(bits, bool).ravel()
    if len(b) < need:
        raise MtjscError(f"{len(b)} entropy bits given, the run needs {need} ({schedule.sweeps} sweeps x "
                         f"{len(problem.groups)} colours x {size} numbers x {schedule.bits} bits)")
    nums = b[:need].reshape(-1, schedule.bits) @ (1 << np.arange(schedule.bits))
    return nums.reshape(schedule.sweeps * len(problem.groups), size).astype(np.int64)


def run(problem: PbitProblem, schedule: Schedule, *, seed: int = 0, replicas: int = 1, rng: str = "lfsr",
        entropy=None, record: bool = True) -> dict:
    """Anneal ``replicas`` independent copies; every random number as the RTL draws it.

    Parameters
    ----------
    rng : {"lfsr", "slot-lfsr", "entropy", "numpy"}
        Module docstring; ``numpy`` draws R from NumPy (fast sampling, not an RTL mode).
    entropy : bits, for ``rng="entropy"`` (one replica).

    Returns
    -------
    dict with ``states`` bool [replicas, sweeps, n] (after each sweep, if ``record``), ``final``,
    ``energies`` [replicas, sweeps] and ``best_energy`` per replica.
    """
    seed = check_seed(seed)
    replicas = check_int(replicas, "replicas", minimum=1)
    n, B = problem.n, schedule.bits
    groups = problem.groups
    table = schedule.table(problem.max_input)
    off = problem.max_input
    m = np.stack([initial_state(problem, seed, r) for r in range(replicas)])          # [R, n] bool
    if rng == "lfsr":
        seeds = np.concatenate([lfsr_seeds(problem, schedule, seed, r) for r in range(replicas)])
        R_all = lfsr.generate(seeds, schedule.lfsr_width, B, schedule.sweeps).reshape(schedule.sweeps, replicas, n)
    elif rng == "slot-lfsr":
        seeds = np.concatenate([slot_seeds(problem, schedule, seed, r) for r in range(replicas)])
        updates = schedule.sweeps * len(groups)
        R_slot = lfsr.generate(seeds, schedule.lfsr_width, B, updates).reshape(updates, replicas, -1)
    elif rng == "entropy":
        if replicas != 1:
            raise MtjscError("the entropy port feeds one replica")
        words = entropy_words(problem, schedule, entropy)
    elif rng == "numpy":
        gen = np.random.default_rng([seed, PBIT_LAYER, 99])
    else:
        raise MtjscError(f"rng={rng!r}: choose one of {', '.join(RNG_KINDS)}")
    states = np.empty((replicas, schedule.sweeps, n), bool) if record else None
    energies = np.empty((replicas, schedule.sweeps))
    Jf = problem.J
    for sweep in range(schedule.sweeps):
        q = table[schedule.stage(sweep)]
        for c, idx in enumerate(groups):
            s = 2 * m.astype(np.int64) - 1
            I = s @ Jf[:, idx] + problem.h[idx]                                      # [R, size]
            if rng == "lfsr":
                r = R_all[sweep][:, idx]
            elif rng == "slot-lfsr":
                r = R_slot[sweep * len(groups) + c][:, :len(idx)]
            elif rng == "entropy":
                r = words[sweep * len(groups) + c][:len(idx)][None, :]
            else:
                r = gen.integers(0, 1 << B, (replicas, len(idx)))
            m[:, idx] = r < q[I + off]
        if record:
            states[:, sweep] = m
        energies[:, sweep] = problem.energy(m)
    return {"states": states, "final": m.copy(), "energies": energies, "best_energy": energies.min(axis=1)}


# ----------------------------------------------------------------------------
# Problems
# ----------------------------------------------------------------------------

def random_graph(n: int, degree: float, seed: int) -> np.ndarray:
    """Adjacency (0/1, symmetric) of an Erdos-Renyi graph with mean degree ``degree``."""
    n = check_int(n, "n (nodes)", minimum=2)
    degree = check_float(degree, "degree", minimum=0.0)
    rng = np.random.default_rng([check_seed(seed), 7])
    A = np.triu(rng.random((n, n)) < degree / (n - 1), 1)
    return (A | A.T).astype(np.int64)


def maxcut_problem(A: np.ndarray, **kw) -> PbitProblem:
    """Max-Cut as an Ising problem: J = -A (antiferromagnetic), h = 0; cut = (|E| - sum_edges s_i s_j) / 2."""
    return PbitProblem(J=-np.asarray(A, np.int64), **kw)


def cut_value(A: np.ndarray, m) -> np.ndarray:
    """Edges cut by bits m [..., n] of the graph with adjacency A [n, n]."""
    A = check_square(A, "adjacency A")
    if np.shape(m)[-1:] != (len(A),):
        raise MtjscError(f"bits m must be [..., {len(A)}] for a graph of {len(A)} nodes, got shape {np.shape(m)}")
    s = 2 * np.asarray(m, np.int64) - 1
    return ((np.asarray(A).sum() - np.einsum("...i,ij,...j->...", s, A, s)) // 4).astype(np.int64)


def brute_force_maxcut(A: np.ndarray) -> int:
    """The optimum cut by enumeration (node 0 fixed; n <= 26)."""
    A = check_square(A, "adjacency A").astype(np.int64)
    n = len(A)
    if n > 26:
        raise MtjscError(f"brute force over 2^{n - 1} cuts is too slow; n <= 26")
    edges = np.argwhere(np.triu(A, 1))
    best = 0
    chunk = 1 << min(n - 1, 20)
    for start in range(0, 1 << (n - 1), chunk):
        idx = np.arange(start, start + chunk, dtype=np.int64)
        bits = ((idx[:, None] >> np.arange(n - 1)) & 1).astype(bool)
        side = np.concatenate([np.zeros((chunk, 1), bool), bits], axis=1)
        cut = (side[:, edges[:, 0]] != side[:, edges[:, 1]]).sum(axis=1)
        best = max(best, int(cut.max()))
    return best


def local_search_maxcut(A: np.ndarray, restarts: int = 20, seed: int = 0) -> int:
    """Baseline: greedy single-flip local search from random starts; the best cut found."""
    A = check_square(A, "adjacency A").astype(np.int64)
    rng = np.random.default_rng([check_seed(seed), 11])
    best = 0
    for _ in range(check_int(restarts, "restarts", minimum=1)):
        s = rng.choice([-1, 1], len(A))
        while True:
            gain = s * (A @ s)          # flipping i changes the cut by (s_i sum_j A_ij s_j)
            i = int(np.argmax(gain))
            if gain[i] <= 0:
                break
            s[i] = -s[i]
        best = max(best, int(cut_value(A, s > 0)))
    return best


# ----------------------------------------------------------------------------
# Invertible multiplication: factorisation as an Ising problem
# ----------------------------------------------------------------------------

class Qubo:
    """A quadratic function of 0/1 variables, built from squared linear constraints and AND gates."""

    def __init__(self):
        self.quad, self.lin, self.const, self.names = {}, {}, 0, []

    def var(self, name: str) -> int:
        self.names.append(name)
        return len(self.names) - 1

    def _add(self, i, j, c):
        if i is None and j is None:
            self.const += c
        elif j is None or i == j:               # x^2 = x
            k = i if j is None else i
            self.lin[k] = self.lin.get(k, 0) + c
        else:
            key = (min(i, j), max(i, j))
            self.quad[key] = self.quad.get(key, 0) + c

    def add_square(self, terms: list, const: int = 0, weight: int = 1):
        """weight * (sum coef x_var + const)^2; ``terms`` = [(var, coef)]."""
        for a, (i, ci) in enumerate(terms):
            for b, (j, cj) in enumerate(terms):
                self._add(i, j, weight * ci * cj)
            self._add(i, None, 2 * weight * ci * const)
        self.const += weight * const * const

    def add_and(self, z: int, p: int, q: int, weight: int = 1):
        """weight * (3 z + p q - 2 p z - 2 q z): 0 iff z = p AND q, else >= weight (Rosenberg)."""
        self._add(z, None, 3 * weight)
        self._add(p, q, weight)
        self._add(p, z, -2 * weight)
        self._add(q, z, -2 * weight)

    def value(self, x) -> np.ndarray:
        x = np.asarray(x, np.int64)
        v = np.full(x.shape[:-1], self.const, np.int64)
        for k, c in self.lin.items():
            v = v + c * x[..., k]
        for (i, j), c in self.quad.items():
            v = v + c * x[..., i] * x[..., j]
        return v

    def ising(self, weight_bits: int = 12) -> PbitProblem:
        """The Ising problem with 4 x this energy (x = (1 + s) / 2; integers): J_ij = -c_ij,
        h_i = -(2 c_i + sum_j c_ij)."""
        n = len(self.names)
        J = np.zeros((n, n), np.int64)
        h = np.zeros(n, np.int64)
        for (i, j), c in self.quad.items():
            J[i, j] -= c
            J[j, i] -= c
            h[i] -= c
            h[j] -= c
        for i, c in self.lin.items():
            h[i] -= 2 * c
        return PbitProblem(J=J, h=h, weight_bits=weight_bits)


@dataclass
class Factoring:
    """Factorisation of ``N`` = p q with p of ``a`` bits, q of ``b`` bits as an Ising problem.

    The multiplication table is written column by column: partial products
    z_ij = p_i q_j (AND penalties, weight ``and_weight``) and carries, with one
    squared constraint per column, sum(z) + carries in - sum_m 2^m c_(k,m) =
    N_k. N odd fixes p_0 = q_0 = 1 (both factors are odd).
    """

    N: int
    a: int
    b: int
    and_weight: int = 2

    def __post_init__(self):
        N = check_int(self.N, "N", minimum=4)
        if N % 2 == 0:
            raise MtjscError(f"N = {N} is even; factor out 2 first (the odd-factor encoding fixes p_0 = q_0 = 1)")
        if (1 << self.a) * (1 << self.b) <= N:
            raise MtjscError(f"{self.a} + {self.b} bits cannot hold factors of N = {N}")
        q = Qubo()
        one = "1"
        p = [one] + [q.var(f"p{i}") for i in range(1, self.a)]
        r = [one] + [q.var(f"q{j}") for j in range(1, self.b)]
        cols = {}
        for i in range(self.a):
            for j in range(self.b):
                if p[i] == one and r[j] == one:
                    t = one
                elif p[i] == one:
                    t = r[j]
                elif r[j] == one:
                    t = p[i]
                else:
                    t = q.var(f"z{i}_{j}")
                    q.add_and(t, p[i], r[j], self.and_weight)
                cols.setdefault(i + j, []).append(t)
        k = 0
        while k in cols or k < N.bit_length():
            terms = cols.get(k, [])
            ones = sum(1 for t in terms if t == one)
            var_terms = [(t, 1) for t in terms if t != one]
            top = len(terms)
            carries = []
            for mbit in range(1, top.bit_length()):
                c = q.var(f"c{k}_{mbit}")
                carries.append((c, -(1 << mbit)))
                cols.setdefault(k + mbit, []).append(c)
            q.add_square(var_terms + carries, ones - ((N >> k) & 1))
            k += 1
        self.qubo = q
        self.p_vars = [v for v in p if v != one]
        self.q_vars = [v for v in r if v != one]

    @property
    def problem(self) -> PbitProblem:
        return self.qubo.ising()

    def factors(self, m) -> tuple:
        """(p, q) read from bits m [..., n]."""
        m = np.asarray(m, np.int64)
        p = 1 + sum(m[..., v] << (k + 1) for k, v in enumerate(self.p_vars))
        q = 1 + sum(m[..., v] << (k + 1) for k, v in enumerate(self.q_vars))
        return p, q

    def solved(self, m) -> np.ndarray:
        p, q = self.factors(m)
        return (p * q == self.N) & (p > 1) & (q > 1)
