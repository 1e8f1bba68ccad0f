"""`mtjsc pbit`: the p-bit Ising machine on Max-Cut and on invertible-multiplier factorisation.

All runs use the fixed-point model of :mod:`mtjsc.behavioral_models.pbit`
(the update the RTL equals sample for sample; the co-simulation tests prove
it), with NumPy random numbers for many replicas (``rng="numpy"``) or the
LFSRs of one machine (``rng="lfsr"``).
"""

from __future__ import annotations

import time

import numpy as np

from mtjsc.behavioral_models import pbit
from mtjsc.errors import MtjscError
from mtjsc.validate import check_int


def maxcut_small(instances: int = 100, n: int = 20, degree: float = 4.0,
                 sweeps=(25, 50, 100, 200, 500), seed: int = 0, rng: str = "lfsr", progress=None) -> dict:
    """Success rate (best cut seen == brute-force optimum) within each number of sweeps, one machine
    per instance with the RTL's random numbers ``rng`` ("lfsr" or "slot-lfsr"); the annealing schedule
    spans the largest sweep count."""
    instances = check_int(instances, "instances", minimum=1)
    if rng not in ("lfsr", "slot-lfsr"):
        raise MtjscError(f"rng={rng!r}: the Max-Cut success rate is measured with the RTL's LFSRs; "
                         f"choose lfsr or slot-lfsr")
    total = max(sweeps)
    schedule = pbit.Schedule.linear(0.1, 3.0, 50, sweeps_per_stage=max(1, total // 50))
    hits = np.zeros(len(sweeps), np.int64)
    rows = []
    for k in range(instances):
        A = pbit.random_graph(n, degree, seed=seed + k)
        opt = pbit.brute_force_maxcut(A)
        r = pbit.run(pbit.maxcut_problem(A), schedule, seed=seed + k, rng=rng)
        cuts = pbit.cut_value(A, r["states"][0])                    # [sweeps]
        best_by = np.maximum.accumulate(cuts)
        found = [bool(best_by[S - 1] == opt) for S in sweeps]
        hits += found
        rows.append({"instance": k, "edges": int(A.sum() // 2), "optimum": opt, "best": int(best_by[-1])})
        if progress is not None:
            progress(1)
    return {"n": n, "degree": degree, "instances": instances, "sweeps": list(sweeps), "rng": rng,
            "schedule": {"betas": [schedule.betas[0], schedule.betas[-1]], "stages": len(schedule.betas),
                         "sweeps_per_stage": schedule.sweeps_per_stage},
            "success_rate": (hits / instances).tolist(), "rows": rows}


def maxcut_large(n: int = 800, degree: float = 3.0, sweeps: int = 1000, replicas: int = 8, seed: int = 0,
                 restarts: int = 200) -> dict:
    """A large sparse graph: best cut of the annealed p-bits against greedy local search with restarts."""
    A = pbit.random_graph(n, degree, seed=seed)
    problem = pbit.maxcut_problem(A)
    schedule = pbit.Schedule.linear(0.1, 3.0, 50, sweeps_per_stage=max(1, sweeps // 50))
    t0 = time.time()
    r = pbit.run(problem, schedule, seed=seed, replicas=replicas, rng="numpy", record=False)
    t1 = time.time()
    best_pbit = int((A.sum() // 2 - r["best_energy"].min()) // 2)
    ls = pbit.local_search_maxcut(A, restarts=restarts, seed=seed)
    t2 = time.time()
    return {"n": n, "edges": int(A.sum() // 2), "colours": len(problem.groups), "sweeps": schedule.sweeps,
            "replicas": replicas, "pbit_best_cut": best_pbit,
            "pbit_cut_per_replica": ((A.sum() // 2 - r["best_energy"]) // 2).astype(int).tolist(),
            "local_search_best_cut": ls, "local_search_restarts": restarts,
            "pbit_seconds": round(t1 - t0, 1), "local_search_seconds": round(t2 - t1, 1)}


FACTOR_CASES = ((35, 3, 3), (161, 3, 5), (945, 5, 6))


def factoring(replicas: int = 200, sweeps=(10, 25, 50, 100, 200, 500), seed: int = 0, progress=None) -> dict:
    """Success probability (a factor pair found by sweep S) for each semiprime, over replicas."""
    total = max(sweeps)
    schedule = pbit.Schedule.linear(0.02, 0.3, 20, sweeps_per_stage=max(1, total // 20), bits=12)
    out = []
    for N, a, b in FACTOR_CASES:
        f = pbit.Factoring(N, a, b)
        prob = f.problem
        r = pbit.run(prob, schedule, seed=seed, replicas=replicas, rng="numpy")
        ok = f.solved(r["states"])
        first = np.where(ok.any(axis=1), ok.argmax(axis=1), np.iinfo(np.int64).max)
        p, q = f.factors(r["states"][ok]) if ok.any() else (np.array([]), np.array([]))
        out.append({"N": N, "p_bits": a, "q_bits": b, "p_bits_free": len(f.p_vars), "spins": prob.n,
                    "colours": len(prob.groups), "max_input": prob.max_input,
                    "success": [float(np.mean(first < S)) for S in sweeps],
                    "factor_pairs": sorted({(int(x), int(y)) for x, y in zip(p, q)})})
        if progress is not None:
            progress(1)
    return {"replicas": replicas, "sweeps": list(sweeps), "schedule": {"betas": [0.02, 0.3], "stages": 20,
            "sweeps_per_stage": schedule.sweeps_per_stage, "bits": 12}, "cases": out}


def report(*, instances: int = 100, large_n: int = 800, replicas: int = 200, seed: int = 0, rng: str = "lfsr",
           progress=None) -> dict:
    res = {"maxcut_small": maxcut_small(instances=instances, seed=seed, rng=rng, progress=progress),
           "maxcut_large": maxcut_large(n=large_n, seed=seed),
           "factoring": factoring(replicas=replicas, seed=seed, progress=progress)}
    A = pbit.random_graph(256, 3.0, seed=0)
    problem = pbit.maxcut_problem(A)
    schedule = pbit.Schedule.linear(0.2, 2.0, 8, 16)
    t0 = time.time()
    pbit.run(problem, schedule, seed=0, replicas=64, rng="numpy", record=False)
    dt = time.time() - t0
    res["numpy_speed"] = {"n": 256, "replicas": 64, "sweeps": schedule.sweeps,
                          "flips_per_s": round(256 * 64 * schedule.sweeps / dt)}
    return res


def markdown(res: dict) -> str:
    s = res["maxcut_small"]
    lines = ["# p-bit Ising machine", "",
             f"## Max-Cut, {s['instances']} random {s['n']}-node graphs (mean degree {s['degree']:g}), one "
             f"machine each (`{s.get('rng', 'lfsr')}` random numbers)", "",
             "| sweeps | " + " | ".join(str(v) for v in s["sweeps"]) + " |",
             "|---|" + "---|" * len(s["sweeps"]),
             "| optimum found | " + " | ".join(f"{100 * v:.0f} %" for v in s["success_rate"]) + " |", ""]
    L = res["maxcut_large"]
    lines += [f"## Max-Cut, one {L['n']}-node sparse graph ({L['edges']} edges, {L['colours']} colours)", "",
              f"- p-bits: best cut {L['pbit_best_cut']} over {L['replicas']} replicas x {L['sweeps']} sweeps "
              f"({L['pbit_seconds']} s)",
              f"- greedy local search, {L['local_search_restarts']} restarts: {L['local_search_best_cut']} "
              f"({L['local_search_seconds']} s)", ""]
    f = res["factoring"]
    lines += [f"## Factorisation with an invertible multiplier ({f['replicas']} replicas)", "",
              "| N | spins | " + " | ".join(f"{v} sweeps" for v in f["sweeps"]) + " | factor pairs found |",
              "|---|---|" + "---|" * (len(f["sweeps"]) + 1)]
    for c in f["cases"]:
        lines.append(f"| {c['N']} | {c['spins']} | " + " | ".join(f"{100 * v:.1f} %" for v in c["success"])
                     + " | " + ", ".join(f"{p}x{q}" for p, q in c["factor_pairs"]) + " |")
    sp = res["numpy_speed"]
    lines += ["", f"NumPy sampler: {sp['flips_per_s']:,} p-bit updates per second ({sp['n']} p-bits, "
                  f"{sp['replicas']} replicas)."]
    return "\n".join(lines) + "\n"
