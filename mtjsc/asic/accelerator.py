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


def _gate_level_energy(net, files, cycles, period_ns: float, component) -> tuple:
    """Energy per clock from the toggles the runs wrote (``files``), clocks per image, and the
    activities of the nets with a driver."""
    counts = {}
    for f in files:
        for k, v in activity.read_coverage(f, "dut").items():
            counts[k] = counts.get(k, 0) + v
    rates = activity.rates(counts, int(np.sum(cycles)))
    e = power.energy_per_clock(net, rates, period_ns=period_ns, component=component)
    return e, float(np.mean(cycles)), [r for n, r in rates.items() if n in net.drivers]


def accelerator_energy(model, images_u8, *, config, seed: int = 0, period_ns: float = 10.0, processes: int = 2,
                       cache_root=None, progress=None) -> dict:
    """Area, timing and energy per image of :class:`~mtjsc.hdl.accelerator.ScMlpAccelerator` (lfsr SNGs).

    Raises :class:`MtjscError` when the gate-level netlist disagrees with the golden model on any image.
    """
    from mtjsc.behavioral_models import golden
    from mtjsc.hdl.accelerator import ScMlpAccelerator
    from mtjsc.sim.network import accelerator_native
    period_ns = flow.check_period(period_ns)
    cfg = golden.network_config(model, config)
    acc = ScMlpAccelerator(model=model, config=cfg, seed=seed)
    name = accelerator_build_name(cfg, seed)
    net = flow.synthesize(to_verilog(acc, name), name, cache_root=cache_root)
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
    e, per_image, driven = _gate_level_energy(net, res["files"], res["cycles"], period_ns, acc)
    mem = memory.accelerator_memories(acc)
    mem_e = memory.energy_per_image(mem, per_image)
    # the SNG block split into what an sMTJ source replaces: the LFSR leaps, and the comparators
    split = {"leap": 0.0, "comparator": 0.0}
    for inst, ej in e["instances_j"].items():
        if inst and flow.block_of(inst, acc) == "sng":
            split["leap" if "_leap" in inst else "comparator"] += ej * per_image
    e = {k: v for k, v in e.items() if k != "instances_j"}
    return {"design": name, "config": cfg.as_dict(), "images": res["images"], "bit_exact": True,
            "cycles_per_image": per_image, "area": flow.area(net, acc),
            "timing": {k: v for k, v in flow.sta(net, period_ns=period_ns, default_activity=float(np.mean(driven)),
                                                 component=acc).items() if k in ("critical_ns", "fmax_mhz")},
            "logic_energy_per_clock_j": e, "logic_energy_per_image_j": e["total_j"] * per_image,
            "logic_blocks_per_image_j": {k: v * per_image for k, v in e["blocks_j"].items()},
            "logic_leap_comparator_per_image_j": split, "memories": mem,
            "memory_energy_per_image_j": {k: v for k, v in mem_e.items() if k != "rows"}, "memory_rows": mem_e["rows"],
            "mean_activity": float(np.mean(driven))}


def fixed_energy(model, images_u8, *, parallel: int = 16, period_ns: float = 10.0, processes: int = 2,
                 cache_root=None) -> dict:
    """Area, timing and energy per image of the binary baseline :class:`~mtjsc.hdl.fixed.FixedMlp`
    through the same flow; its gate-level scores and classes must equal the integer model's."""
    from mtjsc.hdl.fixed import FixedMlp
    from mtjsc.sim import native
    from mtjsc.sim.network import model_digest
    period_ns = flow.check_period(period_ns)
    mlp = FixedMlp(model=model, parallel=parallel)
    name = f"fixed_mlp_w{model.wbits}a{model.abits}_H{model.hidden}_P{parallel}_{model_digest(model)}"
    net = flow.synthesize(to_verilog(mlp, name), name, cache_root=cache_root)
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
    e, per_image, driven = _gate_level_energy(net, out["files"], out["cycles"], period_ns, mlp)
    mem = memory.fixed_memories(mlp)
    mem_e = memory.energy_per_image(mem, per_image)
    return {"design": name, "images": len(imgs), "bit_exact": True, "cycles_per_image": per_image,
            "area": flow.area(net, mlp),
            "timing": {k: v for k, v in flow.sta(net, period_ns=period_ns, default_activity=float(np.mean(driven)),
                                                 component=mlp).items() if k in ("critical_ns", "fmax_mhz")},
            "logic_energy_per_image_j": e["total_j"] * per_image,
            "logic_blocks_per_image_j": {k: v * per_image for k, v in e["blocks_j"].items()},
            "memory_energy_per_image_j": {k: v for k, v in mem_e.items() if k != "rows"}, "memory_rows": mem_e["rows"],
            "mean_activity": float(np.mean(driven))}
