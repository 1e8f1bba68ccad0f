"""`mtjsc prove`: run the formal proofs of the SC blocks (SymbiYosys) and write a table of what was proved."""

from __future__ import annotations

import json

from mtjsc.cli.options import parse_list, progress_bar
from mtjsc.errors import MtjscError
from mtjsc.output import check_output_dir

HELP = "formal proofs of the SC blocks with SymbiYosys (APC, lane APC, Btanh, LFSR leap, rounder, handshakes)"


def add_arguments(p) -> None:
    p.add_argument("--property", default="", help="comma-separated property names (default: all but the slow ones)")
    p.add_argument("--slow", action="store_true", help="also the larger parameters (minutes)")
    p.add_argument("--list", action="store_true", help="list the properties and exit")
    p.add_argument("--solver", default="yices", choices=["yices", "z3"])
    p.add_argument("--out", default="out/prove", help="directory for the sby runs, prove.json and prove.md")


def markdown(rows: list) -> str:
    lines = ["| property | block | parameters | mode | depth | status | seconds | asserts |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        params = ", ".join(f"{k}={v}" for k, v in r["params"].items())
        lines.append(f"| {r['name']} | {r['block']} | {params} | {r['mode']} | {r['depth']} | {r['status']} | "
                     f"{r.get('seconds', '')} | {r['what']} |")
    return "\n".join(lines) + "\n"


def run(a) -> int:
    from mtjsc.formal import ProofFailed, check
    from mtjsc.formal.properties import PROPERTIES, by_name
    props = [p for p in PROPERTIES if a.slow or not p.slow]
    if a.property:
        try:
            props = [by_name(n) for n in parse_list(a.property, "--property", example="apc-exact-n9-s0")]
        except MtjscError as e:
            raise MtjscError(f"--property {a.property!r}: {e} (mtjsc prove --list shows them with their parameters)")
    if a.list:
        print(markdown([{"name": p.name, "block": p.block, "params": p.params, "mode": p.mode, "depth": p.depth,
                         "status": "slow" if p.slow else "", "what": p.what} for p in props]), end="")
        return 0
    out = check_output_dir(a.out, "--out")
    rows, failed = [], []
    bar = progress_bar(len(props), "proofs", unit="property")
    for p in props:
        row = {"name": p.name, "block": p.block, "params": p.params, "mode": p.mode, "depth": p.depth, "what": p.what}
        try:
            row.update(check(p, workdir=out / "sby", solver=a.solver).as_dict())
        except ProofFailed as e:
            row["status"] = "FAIL"
            failed.append(str(e))
        rows.append(row)
        bar.update(1)
    bar.close()
    (out / "prove.json").write_text(json.dumps(rows, indent=1))
    (out / "prove.md").write_text(markdown(rows))
    print(markdown(rows), end="")
    for text in failed:
        print(text)
    if failed:
        raise MtjscError(f"{len(failed)} of {len(rows)} properties do not hold (counterexamples above); "
                         f"runs in {out / 'sby'}")
    return 0
