"""`mtjsc cosim`: the whole network (accelerator or core) in a simulator against the golden model."""

from __future__ import annotations

import json

from mtjsc.cli.options import add_design_options, config_kwargs, parse_early_exit, progress_bar
from mtjsc.config import check_length
from mtjsc.errors import MtjscError
from mtjsc.output import check_output_file, write_text
from mtjsc.validate import check_int, check_seed

HELP = "the whole network (accelerator or core) in a simulator vs the golden model"

DESIGNS = ("accelerator", "core")
HARNESSES = ("cocotb", "native")
ACCELERATOR_SOURCES = ("lfsr", "entropy")


def add_arguments(co) -> None:
    co.add_argument("--design", default="accelerator",
                    help="accelerator (pixels in, SNGs on chip or entropy port) | core (any stream source)")
    co.add_argument("--harness", default="cocotb",
                    help="cocotb | native (accelerator, lfsr, Verilator: a C++ main drives images, fast)")
    co.add_argument("--processes", type=int, default=2, help="native harness: parallel simulators")
    co.add_argument("--source", default="lfsr",
                    help="accelerator: lfsr | entropy (sMTJ bits at P = 1/2); core: ideal | lfsr | mtj | mtj-pool")
    co.add_argument("--sim", default="verilator", help="verilator | icarus")
    add_design_options(co, length=64, blocks=False)
    co.add_argument("--images", type=int, default=10, help="first N test images (default 10)")
    co.add_argument("--batch", type=int, default=5, help="images per simulator run (progress granularity)")
    co.add_argument("--json", help="write per-image results here")


def check(a) -> None:
    """Every option, before any work."""
    if a.design not in DESIGNS:
        raise MtjscError(f"--design {a.design!r}: choose accelerator (pixels in, SNGs on chip) or core "
                         f"(stream bits from any source)")
    if a.harness not in HARNESSES:
        raise MtjscError(f"--harness {a.harness!r}: choose cocotb or native")
    if a.design == "accelerator" and a.source not in ACCELERATOR_SOURCES:
        raise MtjscError(f"--source {a.source!r}: the accelerator makes its bits with lfsr SNGs or takes them "
                         f"from its entropy port (lfsr | entropy); use --design core for ideal, mtj, mtj-pool")
    if a.design == "core" and a.source == "entropy":
        raise MtjscError("--source entropy drives the accelerator's entropy port; use --design accelerator")
    if a.early_exit is not None and (a.design, a.source) != ("accelerator", "lfsr"):
        raise MtjscError("--early-exit stops the accelerator with lfsr SNGs (--design accelerator --source lfsr)")
    if a.harness == "native" and (a.design, a.sim, a.source) != ("accelerator", "verilator", "lfsr"):
        raise MtjscError("--harness native runs the accelerator with lfsr SNGs on Verilator only; "
                         "use --harness cocotb for other designs, sources or simulators")


def run(a) -> int:
    from mtjsc.behavioral_models.sources import make_source
    from mtjsc.designs import model_and_config
    from mtjsc.evaluate import source_options_for
    from mtjsc.sim.network import cosim_test_images
    from mtjsc.sim.runner import prepare_simulator
    json_out = check_output_file(a.json, "--json") if a.json else None
    L = check_length(a.length)
    images = check_int(a.images, "--images", minimum=1, maximum=10000)
    batch = check_int(a.batch, "--batch", minimum=1)
    check(a)
    rule = parse_early_exit(a.early_exit)
    name, model, cfg = model_and_config(a.model, L, **config_kwargs(a), sng=a.source, early_exit=rule,
                                        pass_major=a.design == "accelerator")
    if cfg.pass_major and a.design != "accelerator":
        raise MtjscError(f"--stream-block {a.stream_block} (the pass-major schedule) is a property of the "
                         f"accelerator; use --design accelerator or omit it")
    if rule is not None and not cfg.pass_major:
        from mtjsc.hdl.core import check_exit_rule
        try:
            check_exit_rule(rule, cfg)
        except MtjscError as e:
            raise MtjscError(f"--early-exit {a.early_exit}: {e}") from None
    src = make_source(a.source, seed=check_seed(a.seed, "--seed"), config=cfg,
                      **source_options_for(model, a.source, {}))
    prepare_simulator(a.sim)
    bar = progress_bar(images, f"cosim {a.design} {a.sim}")
    try:
        res = cosim_test_images(model, cfg, model_name=name, images=images, design=a.design, harness=a.harness,
                                source=src, source_name=a.source, simulator=a.sim, seed=a.seed, batch=batch,
                                processes=a.processes, early_exit=rule, progress=bar.update)
    finally:
        bar.close()
    if json_out:
        write_text(json_out, json.dumps(res, indent=1))
    sched = res["schedule"]
    pred = sched.get("accelerator_cycles_per_image", sched["cycles_per_image"])
    if rule is not None:
        print(f"early exit {a.early_exit}: mean stream length {res['mean_t']:.1f} of {L}")
    what = "scores, class and stream indices used" if rule is not None else "scores and class"
    print(f"{a.sim}: {res['agreement']}/{images} images bit-exact with the golden model ({what}), "
          f"accuracy {100 * res['accuracy']:.2f} %, {res['cycles_per_image']:.0f} cycles/image "
          f"(predicted {pred}), {res['simulated_cycles_per_s']:.0f} simulated cycles per wall second "
          f"(builds included)")
    return 0 if res["agreement"] == images else 1
