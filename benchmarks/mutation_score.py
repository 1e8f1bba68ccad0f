#!/usr/bin/env python3
"""Mutation score of the fast tests on the core contract (cosmic-ray), over a seeded sample of mutants.

cosmic-ray mutates the four files of the bit-exact contract in place, one
mutant at a time (an operator swapped, a number changed, a loop emptied,
...), and runs the fast tests on each: a mutant the tests fail on is
*killed*, one they pass on *survives*. The files have about 4,000 mutants;
at 2 to 6 s per test run that is hours on 2 cores, so the score is taken
over a uniform random sample of ``--sample`` mutants drawn with ``--seed``
(the 95 % interval of the score is printed beside it). Prints one JSON
object: counts, the score and every survivor (file, line, operator, the
diff) to read by hand.

Run it in a scratch clone, never in a working tree with changes: the files
are rewritten while it runs (cosmic-ray restores each one after its mutant).

    pip install -e ".[mutation]"
    python benchmarks/mutation_score.py [--sample 400] [--seed 0] [--tests "tests/test_golden.py ..."]
        [--session out/mutation.sqlite] [--only-survivors-of OLD.sqlite]

``--only-survivors-of`` re-runs only the mutants that survived in an earlier
session (new tests cannot revive a killed mutant while the files are
unchanged), for the score after tests were added.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FILES = ["behavioral_models/golden.py", "behavioral_models/lfsr.py", "behavioral_models/coding.py",
         "behavioral_models/sources.py"]
FAST_TESTS = "tests/test_golden.py tests/test_sources.py tests/test_randomness.py tests/test_mtj.py"


def config_text(tests: str, timeout: float) -> str:
    paths = ", ".join(f'"{f}"' for f in FILES)
    command = f"{sys.executable} -m pytest -x -q -n 0 -p no:cacheprovider {tests}"
    return (f"[cosmic-ray]\nmodule-path = [{paths}]\ntimeout = {timeout}\nexcluded-modules = []\n"
            f"test-command = \"{command}\"\n\n[cosmic-ray.distributor]\nname = \"local\"\n")


def keep_only(session: Path, keep: set) -> None:
    """Drop every work item of ``session`` not in ``keep`` (cosmic-ray then runs only those)."""
    with sqlite3.connect(session) as db:
        ids = [r[0] for r in db.execute("select job_id from work_items")]
        drop = [(j,) for j in ids if j not in keep]
        db.executemany("delete from mutation_specs where job_id = ?", drop)
        db.executemany("delete from work_items where job_id = ?", drop)


#: a mutant's identity across sessions (job ids are random per session)
SPEC_COLUMNS = "module_path, operator_name, occurrence, start_pos_row, start_pos_col"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=400, help="mutants to run, drawn uniformly (0 = all)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the sample")
    ap.add_argument("--tests", default=FAST_TESTS, help="the test files cosmic-ray runs on each mutant")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per mutant before it counts as killed")
    ap.add_argument("--session", default="out/mutation.sqlite", help="cosmic-ray session database (overwritten)")
    ap.add_argument("--only-survivors-of", default=None, help="an earlier session: run only its survivors")
    a = ap.parse_args()
    if a.sample < 0:
        ap.error(f"--sample {a.sample}: give 0 (all mutants) or a positive count")
    session = Path(a.session).absolute()
    session.parent.mkdir(parents=True, exist_ok=True)
    session.unlink(missing_ok=True)
    cfg = session.with_suffix(".toml")
    cfg.write_text(config_text(a.tests, a.timeout))
    cr = str(Path(sys.executable).parent / "cosmic-ray")
    if not Path(cr).exists():
        sys.exit("cosmic-ray not found beside this Python: pip install -e \".[mutation]\"")
    subprocess.run([cr, "init", str(cfg), str(session)], cwd=ROOT, check=True)
    with sqlite3.connect(session) as db:
        rows = db.execute(f"select job_id, {SPEC_COLUMNS} from mutation_specs order by {SPEC_COLUMNS}").fetchall()
    total = len(rows)
    if a.only_survivors_of:
        with sqlite3.connect(a.only_survivors_of) as old:
            survived = {tuple(r) for r in old.execute(
                f"select {SPEC_COLUMNS} from mutation_specs join work_results using (job_id) "
                "where lower(test_outcome) = 'survived'")}
        keep = {r[0] for r in rows if tuple(r[1:]) in survived}
    elif a.sample and a.sample < total:
        pick = np.random.default_rng(a.seed).choice(total, a.sample, replace=False)
        keep = {rows[i][0] for i in pick}
    else:
        keep = {r[0] for r in rows}
    keep_only(session, keep)
    t0 = time.time()
    subprocess.run([cr, "exec", str(cfg), str(session)], cwd=ROOT, check=True)
    seconds = time.time() - t0
    with sqlite3.connect(session) as db:
        res = db.execute("select module_path, start_pos_row, operator_name, test_outcome, worker_outcome, diff "
                         "from mutation_specs join work_results using (job_id)").fetchall()
    outcomes = {}
    res = [(*r[:3], (r[3] or "").lower(), *r[4:]) for r in res]     # cosmic-ray writes KILLED, SURVIVED
    for r in res:
        outcomes[r[3]] = outcomes.get(r[3], 0) + 1
    killed, survived = outcomes.get("killed", 0), outcomes.get("survived", 0)
    score = killed / max(1, killed + survived)
    half = 1.96 * math.sqrt(score * (1 - score) / max(1, killed + survived))
    print(json.dumps({
        "benchmark": "mutation_score", "files": FILES, "tests": a.tests, "mutants_in_files": total,
        "run": len(res), "seed": a.seed, "only_survivors_of": a.only_survivors_of, "outcomes": outcomes,
        "score": round(score, 4), "score_95ci": [round(score - half, 4), round(score + half, 4)],
        "seconds": round(seconds, 1), "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "survivors": [{"file": r[0], "line": r[1], "operator": r[2], "diff": r[5]} for r in res
                      if r[3] == "survived"],
    }, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
