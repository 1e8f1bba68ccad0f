"""The SC accelerator through the standard-cell flow: energy per image from its gate-level simulation.

The mapped netlist (with behavioural memories) replaces the RTL in the native
Verilator harness (:mod:`mtjsc.sim.native`), built with toggle coverage; the
images run through it and every score and class is compared with the golden
model (the gate-level netlist must be bit-exact too), and the toggles of the
whole run give each net's transitions per clock for :mod:`mtjsc.asic.power`.
"""

from __future__ import annotations

import numpy as np

from mtjsc.asic import activity, flow, memory, power
from mtjsc.designs import accelerator_build_name
from mtjsc.errors import MtjscError
from mtjsc.hdl.export import to_verilog

#: Toggle coverage of every net; g++ at -O0 (the harness's -O2 would spend minutes on a gate-level
#: netlist that runs only a few images; the later setting of OPT_FAST wins).
COVERAGE_FLAGS = (*activity.COVERAGE_FLAGS, "-MAKEFLAGS", "OPT_FAST=-O0")


def gate_level_detail(net, component, files, cycles, period_ns: float) -> dict:
    """What the gate-level runs of ``net`` say, from the toggle files they wrote (``files``) over
    ``cycles`` (clocks of each image): energy per clock (``energy``: switching, internal, leakage,
    blocks, instances), clocks per image, the mean activity of the driven nets, OpenSTA's timing at
    that activity, and the cross-check of the library tables against OpenSTA's ``report_power`` with
    every net at that activity (as the validation blocks, :func:`mtjsc.studies.asic.validate_block`)."""
    counts = {}
    for f in files:
        for k, v in activity.read_coverage(f, "dut").items():
            counts[k] = counts.get(k, 0) + v
    if not counts:
        raise MtjscError(f"the gate-level runs of {net.top} left no toggles in {[str(f) for f in files]}: "
                         "the simulation produced no activity")
    rates = activity.rates(counts, int(np.sum(cycles)))
    d = power.rates_detail(net, rates, period_ns=period_ns, component=component)
    return {"energy": d["energy"], "cycles_per_image": float(np.mean(cycles)), "mean_activity": d["mean_activity"],
            "timing": {k: d["sta"][k] for k in ("critical_ns", "fmax_mhz")}, "cross_check": d["cross_check"]}


def _summary(net, component, d: dict, mem_e: dict) -> dict:
    """The fields :func:`accelerator_energy` and :func:`fixed_energy` share, per image."""
    e, per_image = d["energy"], d["cycles_per_image"]
    return {"cycles_per_image": per_image, "area": flow.area(net, component), "timing": d["timing"],
            "logic_energy_per_image_j": e["total_j"] * per_image,
            "logic_split_per_image_j": {k: e[k] * per_image for k in ("switching_j", "internal_j", "leakage_j")},
            "logic_blocks_per_image_j": {k: v * per_image for k, v in e["blocks_j"].items()},
            "memory_energy_per_image_j": {k: v for k, v in mem_e.items() if k != "rows"}, "memory_rows": mem_e["rows"],
            "mean_activity": d["mean_activity"], "cross_check": d["cross_check"], "netlist": net.top}


def accelerator_netlist(model, *, config, seed: int = 0, cache_root=None) -> tuple:
    """:class:`~mtjsc.hdl.accelerator.ScMlpAccelerator` (lfsr SNGs) and its netlist in the library (cached)."""
    from mtjsc.behavioral_models import golden
    from mtjsc.hdl.accelerator import ScMlpAccelerator
    cfg = golden.network_config(model, config)
    acc = ScMlpAccelerator(model=model, config=cfg, seed=seed)
    name = accelerator_build_name(cfg, seed)
    return acc, flow.synthesize(to_verilog(acc, name), name, cache_root=cache_root)


def fixed_netlist(model, *, parallel: int = 16, cache_root=None) -> tuple:
    """The binary baseline :class:`~mtjsc.hdl.fixed.FixedMlp` and its netlist in the library (cached)."""
    from mtjsc.hdl.fixed import FixedMlp
    from mtjsc.sim.network import model_digest
    mlp = FixedMlp(model=model, parallel=parallel)
    name = f"fixed_mlp_w{model.wbits}a{model.abits}_H{model.hidden}_P{parallel}_{model_digest(model)}"
    return mlp, flow.synthesize(to_verilog(mlp, name), name, cache_root=cache_root)


def accelerator_energy(model, images_u8, *, config, seed: int = 0, period_ns: float = 10.0, processes: int = 2,
                       cache_root=None, progress=None) -> dict:
    """Area, timing and energy per image of :class:`~mtjsc.hdl.accelerator.ScMlpAccelerator` (lfsr SNGs).

    Raises :class:`MtjscError` when the gate-level netlist disagrees with the golden model on any image.
    """
    from mtjsc.sim.network import accelerator_native
    period_ns = flow.check_period(period_ns)
    acc, net = accelerator_netlist(model, config=config, seed=seed, cache_root=cache_root)
    cfg, name = acc.config, net.top
    netlist = net.sim_verilog.read_text() + "\n" + activity.cell_models(net.directory).read_text()
    runs = net.directory / "runs"
    for old in runs.glob("*.cov"):
        old.unlink()
    res = accelerator_native(model, images_u8, config=cfg, seed=seed, processes=processes, progress=progress,
                             build_root=net.directory / "native", netlist=netlist, extra_flags=COVERAGE_FLAGS,
                             keep=runs)
    if not res["bit_exact"]:
        raise MtjscError(f"the gate-level netlist of {name} disagrees with the golden model on images "
                         f"{res['mismatched'][:10]}: the mapping changed the function")
    d = gate_level_detail(net, acc, res["files"], res["cycles"], period_ns)
    e, per_image = d["energy"], d["cycles_per_image"]
    mem = memory.accelerator_memories(acc)
    mem_e = memory.energy_per_image(mem, per_image)
    return {"design": name, "config": cfg.as_dict(), "images": res["images"], "bit_exact": True,
            **_summary(net, acc, d, mem_e), "logic_energy_per_clock_j":
            {k: v for k, v in e.items() if k != "instances_j"},
            "logic_leap_comparator_per_image_j": sng_split(e, acc, per_image), "memories": mem}


def sng_split(e: dict, acc, per_image: float) -> dict:
    """The SNG block's energy per image split into what an sMTJ source replaces: the LFSR leaps, and
    the comparators."""
    split = {"leap": 0.0, "comparator": 0.0}
    for inst, ej in e["instances_j"].items():
        if inst and flow.block_of(inst, acc) == "sng":
            split["leap" if "_leap" in inst else "comparator"] += ej * per_image
    return split


def fixed_energy(model, images_u8, *, parallel: int = 16, period_ns: float = 10.0, processes: int = 2,
                 cache_root=None) -> dict:
    """Area, timing and energy per image of the binary baseline :class:`~mtjsc.hdl.fixed.FixedMlp`
    through the same flow; its gate-level scores and classes must equal the integer model's."""
    from mtjsc.sim import native
    period_ns = flow.check_period(period_ns)
    mlp, net = fixed_netlist(model, parallel=parallel, cache_root=cache_root)
    name = net.top
    netlist = net.sim_verilog.read_text() + "\n" + activity.cell_models(net.directory).read_text()
    runs = net.directory / "runs"
    for old in runs.glob("*.cov"):
        old.unlink()
    imgs = np.asarray(images_u8, np.uint8).reshape(-1, 784)
    exe = native.build(mlp, name=name, build_root=net.directory / "native", netlist=netlist, extra_flags=COVERAGE_FLAGS)
    out = native.run(exe, imgs, score_bits=mlp.score_bits, signed_scores=True, processes=processes, keep=runs)
    ref = model.forward(imgs)
    got = out["scores"]
    if not (np.array_equal(got, ref["scores"]) and np.array_equal(out["classes"], ref["classes"])):
        raise MtjscError(f"the gate-level netlist of {name} disagrees with the integer model")
    d = gate_level_detail(net, mlp, out["files"], out["cycles"], period_ns)
    mem_e = memory.energy_per_image(memory.fixed_memories(mlp), d["cycles_per_image"])
    return {"design": name, "images": len(imgs), "bit_exact": True, **_summary(net, mlp, d, mem_e)}
