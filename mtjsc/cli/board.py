"""`mtjsc board`: the p-bit board design's bitstream for an iCEBreaker or a ULX3S-85F, or (--read)
its report read from the serial port and compared with the model's; `mtjsc board --design accelerator`:
the SC network's bitstream (UART framing of :mod:`mtjsc.boards.frames`, a self-test ROM) and its report; `mtjsc board run --port DEV`:
MNIST test images sent to the SC network on a board, every reply checked against the golden model."""

from __future__ import annotations

import json
import sys

from mtjsc.cli.options import add_data_option, add_deprecated_alias, add_design_options, config_kwargs, progress_bar, \
    spelled
from mtjsc.errors import MtjscError
from mtjsc.output import check_output_dir, write_text
from mtjsc.validate import check_float, check_int, check_seed

HELP = ("bitstream of the p-bit board design (anneal a random Max-Cut graph, report the final state over the "
        "UART) for an iCEBreaker or a ULX3S-85F, or with --design accelerator of the SC network behind a UART; "
        "`board run --port DEV`: MNIST images to the network on a board")


def add_arguments(bd) -> None:
    bd.add_argument("action", nargs="?", choices=("build", "flash", "run"), default="build",
                    help="build (default): the p-bit board's bitstream (or --read its report); flash: program the "
                         "board with a built bitstream (openFPGALoader); run: send test images to the network on a "
                         "board over --port and check every reply")
    bd.add_argument("--board", choices=("icebreaker", "ulx3s-85f"), default="icebreaker")
    bd.add_argument("--design", choices=("pbit", "accelerator"), default="pbit",
                    help="build: the p-bit machine (default) or the SC network (accelerator) behind a UART")
    bd.add_argument("--selftest-images", type=int, default=64,
                    help="build --design accelerator: test images in the on-chip self-test ROM (0..255, default 64)")
    bd.add_argument("--clock-mhz", type=float,
                    help="build --design accelerator on the ulx3s-85f: run the design at this clock from the ECP5 PLL "
                         "(default: the 25 MHz crystal); 30 makes 3000000 baud exact")
    bd.add_argument("--allow-timing-fail", action="store_true",
                    help="build: exit 0 even when the design misses the board clock")
    bd.add_argument("--pbits", dest="n", type=int, default=64, help="p-bits (nodes of the random graph; default 64)")
    add_deprecated_alias(bd, "--n", "--pbits", "n", type=int)
    bd.add_argument("--degree", type=float, default=3.0, help="mean degree of the random graph")
    bd.add_argument("--graph-seed", type=int, default=0)
    bd.add_argument("--stages", type=int, default=8, help="annealing stages (beta 0.2 to 2.0)")
    bd.add_argument("--sweeps-per-stage", type=int, default=16)
    add_design_options(bd, length=64, blocks=False)     # --seed: the p-bit machine's, or the network's LFSRs
    bd.add_argument("--out", help="build directory (default out/board/<board>, with --design accelerator "
                                  "out/board/<board>-accelerator)")
    bd.add_argument("--bitstream", help="flash: the bitstream (default: the one the build of --board and --design "
                                        "wrote in its default --out)")
    bd.add_argument("--persist", action="store_true",
                    help="flash: write the ULX3S's SPI flash (kept at power-off) instead of its SRAM")
    bd.add_argument("--read", metavar="PORT", help="do not build: read a report from the board's serial port "
                                                    "(e.g. /dev/ttyUSB1) and compare it with the model's")
    bd.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for a report (--read) or a reply (run)")
    bd.add_argument("--port", help="run: the board's serial port (for example /dev/ttyUSB0)")
    bd.add_argument("--baud", type=int, default=115200,
                    help="UART rate: build --design accelerator builds for it, run must use the same (default 115200; "
                         "the ULX3S's 25 MHz clock also takes 1000000)")
    bd.add_argument("--images", type=int, default=100, help="run: test images to send (default 100)")
    bd.add_argument("--selftest", action="store_true", help="run: also ask for the board's on-chip self-test")
    add_data_option(bd)


def run_network_board(a) -> int:
    """`mtjsc board run`: the golden model's scores for the configuration, then every image over the link."""
    from mtjsc import mnist
    from mtjsc.behavioral_models import golden
    from mtjsc.behavioral_models.sources import make_source
    from mtjsc.boards import frames, host
    from mtjsc.designs import model_and_config
    if not a.port:
        raise MtjscError("board run needs --port, the board's serial port (for example --port /dev/ttyUSB0)")
    baud = check_int(a.baud, "--baud", minimum=300, maximum=12_000_000)
    n = check_int(a.images, "--images", minimum=1, maximum=10000)
    timeout = check_float(a.timeout, "--timeout", positive=True)
    L = check_int(a.length, "--length", minimum=1)
    name, model, cfg = model_and_config(a.model, L, **config_kwargs(a), pass_major=False)
    if cfg.pass_major:
        raise MtjscError(f"--stream-block {a.stream_block}: the board wraps the index-major accelerator "
                         f"(ScMlpAccelerator); omit --stream-block or give 1")
    test = mnist.load("test", a.data)
    images, labels = test.images[:n], test.labels[:n]
    seed = check_seed(a.seed, "--seed")
    expect = golden.run_network(model, images, source=make_source("lfsr", seed=seed, config=cfg), config=cfg,
                                image_ids=list(range(n))).scores
    ser = host.open_port(a.port, baud, timeout)
    try:
        bar = progress_bar(n, f"images to {a.port}")
        try:
            res = host.run_images(ser, images, labels, expect, timeout=timeout, progress=bar.update,
                                  with_selftest=a.selftest)
        finally:
            bar.close()
    finally:
        ser.close()
    link = 1.0 / frames.link_seconds_per_image(baud)
    print(f"{res['images']} images over {a.port} at {baud} baud: accuracy {100 * res['accuracy']:.2f} % "
          f"(golden {100 * res['golden_accuracy']:.2f} %), {res['images_per_s_link']:.1f} images/s "
          f"(the link allows {link:.1f}); {len(res['mismatches'])} replies differ from the golden model")
    for mm in res["mismatches"][:5]:
        print(f"  image {mm['image']}: board class {mm['board_class']} scores {mm['board_scores']}, "
              f"golden class {mm['golden_class']} scores {mm['golden_scores']}")
    if "selftest" in res:
        st = res["selftest"]
        print(f"self-test: {st['correct']} of {st['images']} correct in {st['clocks']} clocks ({st['status']})")
    if a.out:
        out = check_output_dir(a.out, "--out")
        write_text(out / "board_run.json", json.dumps({"model": name, "config": cfg.as_dict(), **res}, indent=1))
    return 1 if res["mismatches"] else 0


def build_network_board(a) -> int:
    """`mtjsc board build --design accelerator`: the network's bitstream and its report."""
    from mtjsc import mnist
    from mtjsc.boards.build import build_network
    from mtjsc.designs import model_and_config
    out = check_output_dir(default_out(a), "--out")
    L = check_int(a.length, "--length", minimum=1)
    name, model, cfg = model_and_config(a.model, L, **config_kwargs(a), pass_major=False)
    if cfg.pass_major:
        raise MtjscError(f"--stream-block {a.stream_block}: the board wraps the index-major accelerator "
                         f"(ScMlpAccelerator); omit --stream-block or give 1")
    selftest = check_int(a.selftest_images, "--selftest-images", minimum=0, maximum=255)
    print(f"building the network for {a.board}: L = {cfg.L}, P = {cfg.parallel_neurons}, W = {cfg.input_lanes}, "
          f"{selftest} self-test images, {a.baud} baud" + (f", {a.clock_mhz:g} MHz from the PLL" if a.clock_mhz else "")
          + " (Yosys, nextpnr, packer: tens of minutes)", file=sys.stderr)
    res = build_network(a.board, model=model, config=cfg, seed=check_seed(a.seed, "--seed"), baud=a.baud,
                        clock_mhz=a.clock_mhz, selftest=selftest,
                        selftest_set=mnist.load("test", a.data) if selftest else None, out=out)
    res["model"] = name
    _report_build(res, out)
    print(f"{res['cycles_per_image']} clocks per image: {res['images_per_s_compute']} images/s computing (the "
          f"self-test), {res['images_per_s_link']} images/s over the link at {res['baud']} baud; the self-test "
          f"must report {res['selftest_expected']['correct']} of {res['selftest_expected']['images']} correct")
    print(f"bitstream {res['bitstream']}\n   {out / 'board.json'}")
    return 0 if res["meets_clock"] or a.allow_timing_fail else 1


def _report_build(res: dict, out) -> None:
    """Write a build's ``board.json`` and print its device use and Fmax against the clock."""
    write_text(out / "board.json", json.dumps(res, indent=1))
    util = ", ".join(f"{k} {v['used']}/{v['available']}" for k, v in res["utilization"].items())
    fmax = ", ".join(f"{v} MHz" for v in res["fmax_mhz"].values())
    print(f"{res['board']} ({res['device']}): {util}; Fmax {fmax} (board clock {res['clock_mhz']:g} MHz"
          f"{'' if res['meets_clock'] else ': NOT MET'})")


def default_out(a) -> str:
    return a.out or (f"out/board/{a.board}-accelerator" if a.design == "accelerator" else f"out/board/{a.board}")


def flash_board(a) -> int:
    """`mtjsc board flash`: a built bitstream onto the board through openFPGALoader."""
    from pathlib import Path

    from mtjsc.boards.build import BOARDS
    from mtjsc.boards.flash import flash, loader_args
    name = "network_board" if a.design == "accelerator" else "pbit_board"
    bit = a.bitstream or str(Path(default_out(a)) / (name + BOARDS[a.board][3]))
    loader_args(a.board, bit, persist=a.persist)             # a missing or wrong file is named before anything runs
    print(f"programming the {a.board} with {bit} (openFPGALoader)", file=sys.stderr)
    flash(a.board, bit, persist=a.persist)
    print(f"{a.board} programmed with {bit}" + (" (flash)" if a.persist or a.board == "icebreaker" else " (SRAM)"))
    return 0


def run(a) -> int:
    if a.action == "run":
        return run_network_board(a)
    if a.action == "flash":
        return flash_board(a)
    if a.design == "accelerator":
        return build_network_board(a)
    from mtjsc.behavioral_models import pbit
    from mtjsc.boards.build import build
    out = check_output_dir(default_out(a), "--out")
    n = check_int(a.n, spelled(a, "n", "--pbits"), minimum=2, maximum=4096)
    problem = pbit.maxcut_problem(pbit.random_graph(n, check_float(a.degree, "--degree", positive=True),
                                                    seed=check_seed(a.graph_seed, "--graph-seed")))
    schedule = pbit.Schedule.linear(0.2, 2.0, check_int(a.stages, "--stages", minimum=1),
                                    check_int(a.sweeps_per_stage, "--sweeps-per-stage", minimum=1))
    if a.read:
        from mtjsc.boards.pbit_board import expected_report, read_report
        want = expected_report(problem, schedule, seed=check_seed(a.seed, "--seed"))
        print(f"reading {a.read} (press button 0 on the board)", file=sys.stderr)
        got = read_report(a.read, len(want) - 1, timeout=check_float(a.timeout, "--timeout", positive=True))
        same = got == want
        print(f"board: {bytes(got).hex(' ')}\nmodel: {bytes(want).hex(' ')}\n"
              f"equal to the model: {'yes' if same else 'NO'}")
        return 0 if same else 1
    print(f"building {a.board}: {n} p-bits, {len(problem.groups)} colours, {schedule.sweeps} sweeps "
          f"(Yosys, nextpnr, packer; a few minutes)", file=sys.stderr)
    res = build(a.board, problem=problem, schedule=schedule, seed=check_seed(a.seed, "--seed"), out=out)
    _report_build(res, out)
    print(f"bitstream {res['bitstream']}; after reset and at each press of button 0 the board anneals "
          f"({res['run_clocks']} clocks) and sends at 115200 baud: {res['expected_report']}")
    print(f"   {out / 'board.json'}")
    return 0 if res["meets_clock"] or a.allow_timing_fail else 1
