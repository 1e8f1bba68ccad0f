"""`mtjsc sweep`: accuracy with sMTJ streams against the read period or the device variation."""

from __future__ import annotations

import json

from mtjsc.cli.options import add_images_option, parse_list, progress_bar
from mtjsc.output import check_output_dir, write_text

HELP = "accuracy with MTJ streams vs sampling period or device variation"


def add_arguments(sw) -> None:
    sw.add_argument("--param", required=True, help="period_ratio | variation")
    sw.add_argument("--values", required=True, help="comma-separated values (T/tau_c, or x default spread)")
    sw.add_argument("--length", type=int, default=256)
    sw.add_argument("--seeds", type=int, default=2)
    add_images_option(sw)
    sw.add_argument("--calibration", default="device", help="device | nominal")
    sw.add_argument("--out", default="out/sweep")


def run(a) -> int:
    from mtjsc.evaluate import sweep
    from mtjsc.studies import plots
    values = parse_list(a.values, "--values", float, example="0.1,0.3,1,3")
    out = check_output_dir(a.out, "--out")
    bar = progress_bar((a.images or 10000) * a.seeds * (len(values) + 1), "sweep")
    try:
        res = sweep(param=a.param, values=values, L=a.length, seeds=a.seeds, images=a.images,
                    calibration=a.calibration, progress=bar.update)
    finally:
        bar.close()
    write_text(out / f"sweep_{a.param}.json", json.dumps(res, indent=1))
    plots.sweep(res, out / f"sweep_{a.param}.png")
    print(f"ideal: {100 * res['ideal']['mean']:.2f} %")
    for p in res["points"]:
        print(f"{a.param}={p['value']:<8g} mtj: {100 * p['mean']:.2f} % "
              f"[{100 * p['ci95'][0]:.2f}, {100 * p['ci95'][1]:.2f}]")
    return 0
