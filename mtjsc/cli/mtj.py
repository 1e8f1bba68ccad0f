"""`mtjsc mtj`: the behavioral sMTJ model as a physicist looks at it (JSON plus a plot each)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mtjsc.cli.options import add_deprecated_alias
from mtjsc.errors import MtjscError
from mtjsc.output import check_output_dir, check_output_file
from mtjsc.validate import check_int, check_seed

HELP = "the behavioral sMTJ model: curve | dwell | trace | fit | energy"


def add_arguments(mt) -> None:
    mt.add_argument("what", choices=["curve", "dwell", "trace", "fit", "energy"])
    mt.add_argument("--out", default="out/mtj", help="directory for the JSON and PNG")
    mt.add_argument("--tau0", type=float, default=1e-9, help="attempt time (s); given, not fitted")
    mt.add_argument("--delta", type=float, default=float(np.log(5e-3 / 1e-9)), help="thermal stability (kT)")
    mt.add_argument("--v-c", type=float, default=4.0, help="critical voltage (V)")
    mt.add_argument("--v-0", type=float, default=0.45, help="bias of P = 1/2 (V)")
    mt.add_argument("--levels", type=int, default=30, help="curve: DAC levels")
    mt.add_argument("--p", type=float, default=0.5, help="dwell: operating probability")
    mt.add_argument("--biases", type=int, default=5, help="trace: number of biases (P from 0.2 to 0.8)")
    mt.add_argument("--duration", type=float, default=2.0, help="trace: seconds per bias")
    mt.add_argument("--dt", type=float, default=2e-5, help="trace: sampling step (s)")
    mt.add_argument("--trace-file", help="trace: write the trace here; fit: read it (.csv or .npz)")
    # --period-s: seconds, unlike --period-ratio elsewhere (T / tau_c)
    mt.add_argument("--period-s", dest="period", type=float, default=10e-9,
                    help="energy: read period T in seconds (default 1e-8)")
    add_deprecated_alias(mt, "--period", "--period-s", "period", type=float)
    mt.add_argument("--seed", type=int, default=0)


def run(a) -> int:
    from mtjsc.behavioral_models.mtj import TelegraphMTJ
    from mtjsc.studies import mtj as report
    dev = TelegraphMTJ(tau0=a.tau0, delta=a.delta, v_c=a.v_c, v_0=a.v_0)
    check_seed(a.seed, "--seed")
    check_int(a.biases, "--biases", minimum=1, fix="the number of bias points of the trace")
    out = check_output_dir(a.out, "--out")
    if a.trace_file and a.what == "trace":
        check_output_file(a.trace_file, "--trace-file")
    if a.what == "curve":
        res = report.curve(dev, out, levels=a.levels)
    elif a.what == "dwell":
        res = report.dwell(dev, out, p=a.p, seed=a.seed)
    elif a.what == "trace":
        biases = dev.bias_for(np.linspace(0.2, 0.8, a.biases))
        res = report.trace(dev, out, biases, a.duration, a.dt, seed=a.seed,
                           trace_file=Path(a.trace_file) if a.trace_file else None)
    elif a.what == "fit":
        if not a.trace_file:
            raise MtjscError("mtjsc mtj fit needs --trace-file FILE (.csv or .npz; see docs/guides/mtj.md)")
        res = report.fit(Path(a.trace_file), out, tau0=a.tau0)
    else:
        res = report.energy(dev, out, a.period)
    print(json.dumps({k: v for k, v in res.items() if not isinstance(v, list) or len(v) <= 8}, default=float))
    return 0
