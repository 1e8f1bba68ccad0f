"""Network-level co-simulation: RTL neurons driven with a stream source's bits, checked
against the golden model of the whole network."""

from __future__ import annotations

import hashlib
import time

import numpy as np

from mtjsc.behavioral_models import golden
from mtjsc.behavioral_models.coding import bipolar_to_p, image_probabilities, twos_complement
from mtjsc.config import PIXELS, ScConfig
from mtjsc.errors import MtjscError
from mtjsc.designs import accelerator_build_name, core_name
from mtjsc.hdl.neuron import ScNeuron
from mtjsc.sim import runner, scoreboard


def hidden_neuron_cosim(model, pixels, image_id: int, neuron: int, *, source, config: ScConfig, simulator: str,
                        pipeline_stages: int = 3, build_root=None) -> dict:
    """Drive hidden neuron ``neuron`` with the source's bits for one image.

    The expected APC counts and Btanh bits are the golden network's own
    records for that image (``run_network(record=True)``), so the RTL is
    checked against the whole-network model, not only the neuron reference.
    ``config`` gives L, the APC kind and K.

    Returns
    -------
    dict
        ``bit_exact`` and the numbers of equal counts and bits; on a
        mismatch ``first_mismatch`` holds the testbench's report (port,
        cycle, DUT and reference values) and ``log`` the simulator log.
    """
    cfg = golden.network_config(model, config)
    L, apc, n = cfg.L, cfg.apc, cfg.fan_in[0]
    px = np.asarray(pixels, np.float64).reshape(1, PIXELS)
    res = golden.run_network(model, px, source=source, config=cfg, image_ids=[image_id], record=True, workers=1)
    x = source.input_bits([image_id], image_probabilities(px, model.encoding), L)[0]      # [L, n]
    w = source.weight_bits(0, bipolar_to_p(model.w1), L)[:, neuron, :]                    # [L, n]
    comp = ScNeuron(n=n, K=cfg.K[0], kind=apc, pipeline_stages=pipeline_stages)
    counts, bits = res.hidden_counts[0, :, neuron], res.hidden_bits[0, :, neuron]
    data = scoreboard.neuron_stream(comp, x, w, expected_counts=counts, expected_y=bits)
    summary = {"simulator": simulator, "image": image_id, "neuron": neuron, "L": L, "apc": apc,
               "source": source.name, "config": cfg.as_dict()}
    try:
        out = runner.run(comp, name=f"neuron_n{n}_K{cfg.K[0]}_{apc}_p{pipeline_stages}", simulator=simulator,
                         testbench="NeuronTestbench", data=data, build_root=build_root)
    except runner.CosimFailure as e:
        return {**summary, "bit_exact": False, "counts_equal": None, "bits_equal": None,
                "first_mismatch": e.first_mismatch, "log": e.log}
    got_counts = out["out_count"][data["mask_count"]]
    got_bits = out["out_y"][data["mask_y"]].astype(bool)
    return {**summary, "counts_equal": int(np.sum(got_counts == counts)),
            "bits_equal": int(np.sum(got_bits == bits)),
            "bit_exact": bool(np.array_equal(got_counts, counts) and np.array_equal(got_bits, bits))}


def core_cosim(model, pixels, image_ids, *, source, config: ScConfig, simulator: str, stall: float = 0.0,
               seed: int = 0, build_root=None) -> dict:
    """Run :class:`ScMlpCore` (or :class:`OrMlpCore` for an OR model) on images with the source's
    stream bits and compare with the golden model.

    The testbench answers the core's requests with the bits the source fixes
    for (image, layer, neuron, input, t), with seeded random stalls
    (``stall`` = probability of an idle clock), and checks every score and
    class against ``golden.run_network`` with the same source and config.

    Returns
    -------
    dict
        Per image: golden and RTL scores and classes, clocks per image; the
        schedule's predicted clocks; ``bit_exact``. A mismatch raises
        :class:`mtjsc.sim.runner.CosimFailure` naming the image and score.
    """
    from mtjsc.hdl.core import ScMlpCore
    from mtjsc.hdl.or_core import OrMlpCore
    cfg = golden.network_config(model, config)
    px = np.asarray(pixels, np.float64).reshape(-1, PIXELS)
    ids = np.asarray(image_ids, np.int64)
    res = golden.run_network(model, px, source=source, config=cfg, image_ids=ids, workers=1)
    x = source.input_bits(ids, golden.input_probabilities(model, px), cfg.L)             # [N, L, 785]
    w0 = source.weight_bits(0, golden.weight_probabilities(model, model.w1), cfg.L)
    w1 = source.weight_bits(1, golden.weight_probabilities(model, model.w2), cfg.L)
    core = OrMlpCore(config=cfg) if cfg.neuron == "or" else ScMlpCore(config=cfg)
    s = core.schedule
    data = {"x_bits": x, "w0_bits": w0, "w1_bits": w1,
            "geometry": np.array([s.P, s.W, s.P2, s.W2, core.score_bits, s.T]), "stall": np.float64(stall),
            "seed": np.int64(seed), "expect_scores": res.scores, "expect_cls": res.classes}
    testbench = "CoreTestbench"
    if cfg.neuron == "or":
        data.update(neg0=model.w1 < 0, neg1=model.w2 < 0)
        testbench = "OrCoreTestbench"
    out = runner.run(core, name=core_name(cfg), simulator=simulator, testbench=testbench, data=data,
                     build_root=build_root)
    return {"simulator": simulator, "source": source.name, "config": cfg.as_dict(), "schedule": s.as_dict(),
            "images": ids.tolist(), "golden_scores": res.scores.tolist(), "rtl_scores": out["out_scores"].tolist(),
            "golden_classes": res.classes.tolist(), "rtl_classes": out["out_cls"].tolist(),
            "cycles": out["out_cycles"].tolist(),
            "bit_exact": bool(np.array_equal(out["out_scores"], res.scores)
                              and np.array_equal(out["out_cls"], res.classes))}


def _golden_exit(model, pixels, *, source, config, image_ids, early_exit, workers=None):
    """The golden run a design with ``early_exit`` must equal: scores, classes and ``t`` (stream indices
    used) per image (t = L throughout without early exit)."""
    from mtjsc.behavioral_models import early_exit as ee
    full, ex = ee.golden_run(model, pixels, early_exit, source=source, config=config, image_ids=image_ids,
                             workers=workers)
    if ex is None:
        return full.scores, full.classes, np.full(len(full.scores), config.L)
    return ex.scores, ex.classes, ex.t


def accelerator_cosim(model, images_u8, *, config: ScConfig, seed: int = 0, simulator: str, idle: float = 0.0,
                      stall: float = 0.0, source=None, entropy_idle: float = 0.0, back_to_back: bool = False,
                      image_ids=None, early_exit=None, build_root=None) -> dict:
    """Run :class:`ScMlpAccelerator` on uint8 images [N, 28, 28] and compare every score and class with
    the golden model.

    Parameters
    ----------
    source : StreamSource, optional
        ``None`` or an ``lfsr`` source: the design's on-chip LFSR SNGs, compared with the golden
        ``lfsr`` source of the same seed, B and LFSR width. An ``entropy`` source: the design with an
        entropy port, driven with that source's numbers for images 0..N-1 (in the port's beat
        order) and compared with the golden model on the same source.
    idle, stall, entropy_idle : float
        Probabilities of an idle clock on the pixel stream, of back-pressure on the result
        stream, of an idle clock on the entropy port (a starved port).
    back_to_back : bool
        Offer all images' pixels as one stream (more than an image: the extra must wait).
    image_ids : int [N], optional
        Identity of each image (default 0..N-1): the entropy source's block of image u is the
        one driven for it, so a run of test images 40..44 sees the same bits as the full set.
    early_exit : ExitRule, optional
        The design stops images early; scores, class and the stream indices used (``t``, from the
        result and from the clocks) must equal the golden early-exit run's.
    """
    from mtjsc.behavioral_models.sources import make_source
    from mtjsc.designs import make_accelerator
    cfg = golden.network_config(model, config)
    imgs = np.asarray(images_u8, np.uint8).reshape(-1, PIXELS)
    src = make_source("lfsr", seed=seed, config=cfg) if source is None else source
    if src.name not in ("lfsr", "entropy"):
        raise MtjscError(f"the accelerator makes its bits with lfsr SNGs or from an entropy port; "
                         f"source {src.name!r} has no hardware counterpart (co-simulate the core instead)")
    sng = src.name
    if sng == "lfsr" and (src.seed, src.sng_bits, src.width) != (seed, cfg.sng_bits, cfg.lfsr_width):
        raise MtjscError("the lfsr source must have the run seed, B and LFSR width of the design")
    ids = np.arange(len(imgs)) if image_ids is None else np.asarray(image_ids, np.int64)
    acc = make_accelerator(model=model, config=cfg, seed=seed, sng=sng, early_exit=early_exit)
    scores, classes, used = _golden_exit(model, imgs / 255.0, source=src, config=cfg, image_ids=ids,
                                         early_exit=early_exit, workers=1)
    data = {"pixels": imgs, "score_bits": np.int64(acc.score_bits), "idle": np.float64(idle),
            "stall": np.float64(stall), "seed": np.int64(seed), "expect_scores": scores,
            "expect_cls": classes, "back_to_back": np.bool_(back_to_back),
            "signed_scores": np.bool_(cfg.neuron == "or")}
    if early_exit is not None:
        data.update(exit_L=np.int64(cfg.L), expect_t=used)
    if sng == "entropy":
        nbytes = (acc.entropy_width + 7) // 8
        beats = [b for u in ids for b in acc.entropy_beats(src.image_numbers(int(u), cfg.L))]
        data["entropy_beats"] = np.array([list(b.to_bytes(nbytes, "little")) for b in beats], np.uint8)
        data["entropy_idle"] = np.float64(entropy_idle)
    out = runner.run(acc, name=accelerator_build_name(cfg, seed, sng, early_exit), simulator=simulator,
                     testbench="AcceleratorTestbench", data=data, build_root=build_root)
    res = {"simulator": simulator, "sng": sng, "source": src.describe(), "config": cfg.as_dict(),
           "schedule": {**acc.schedule.as_dict(), "accelerator_cycles_per_image": acc.cycles_per_image()},
           "golden_scores": scores.tolist(), "rtl_scores": out["out_scores"].tolist(),
           "golden_classes": classes.tolist(), "rtl_classes": out["out_cls"].tolist(),
           "cycles": out["out_cycles"].tolist(),
           "bit_exact": bool(np.array_equal(out["out_scores"], scores) and np.array_equal(out["out_cls"], classes))}
    if early_exit is not None:
        res.update(golden_t=used.tolist(), rtl_t=out["out_t"].tolist(),
                   bit_exact=res["bit_exact"] and bool(np.array_equal(out["out_t"], used)))
    return res


def accelerator_native(model, images_u8, *, config: ScConfig, seed: int = 0, processes: int = 2,
                       image_ids=None, progress=None, build_root=None, netlist: str | None = None,
                       extra_flags: tuple = (), keep=None, early_exit=None, number_fanout=None) -> dict:
    """:class:`ScMlpAccelerator` (lfsr SNGs) on many images through natively Verilated simulators
    (:mod:`mtjsc.sim.native`), every score and class compared with the golden ``lfsr`` source.

    Returns the per-image comparison (``agree`` count, ``mismatched`` image indices), accuracy
    inputs (RTL and golden classes), clocks per image, wall times and simulated clocks per second.
    ``netlist``, ``extra_flags`` and ``keep`` go to :func:`mtjsc.sim.native.build` and ``run`` (a
    gate-level netlist in place of the RTL; ``files`` then lists what the runs wrote).
    With ``early_exit`` the golden run stops images by the same rule, and each image's clocks must be
    those of its golden exit index (:meth:`ScMlpAccelerator.cycles_at_exit`, one count per index).
    ``number_fanout`` goes to the pass-major design (:func:`mtjsc.designs.make_accelerator`).
    """
    from mtjsc.behavioral_models.sources import make_source
    from mtjsc.designs import make_accelerator
    from mtjsc.sim import native
    cfg = golden.network_config(model, config)
    imgs = np.asarray(images_u8, np.uint8).reshape(-1, PIXELS)
    ids = np.arange(len(imgs)) if image_ids is None else np.asarray(image_ids, np.int64)
    acc = make_accelerator(model=model, config=cfg, seed=seed, early_exit=early_exit, number_fanout=number_fanout)
    t0 = time.time()
    exe = native.build(acc, name=accelerator_build_name(cfg, seed, early_exit=early_exit, number_fanout=number_fanout),
                       build_root=build_root, netlist=netlist, extra_flags=extra_flags)
    t1 = time.time()
    out = native.run(exe, imgs, score_bits=acc.score_bits, signed_scores=cfg.neuron == "or", processes=processes,
                     progress=progress, keep=keep)
    src = make_source("lfsr", seed=seed, config=cfg)
    t2 = time.time()
    scores, classes, used = _golden_exit(model, imgs / 255.0, source=src, config=cfg, image_ids=ids,
                                         early_exit=early_exit)
    t3 = time.time()
    want_cycles = np.array([acc.cycles_at_exit(int(t)) for t in used])
    same = np.all(out["scores"] == scores, axis=1) & (out["classes"] == classes) & (out["cycles"] == want_cycles)
    return {"harness": "native", "simulator": "verilator", "sng": "lfsr", "source": src.describe(),
            "config": cfg.as_dict(), "schedule": {**acc.schedule.as_dict(),
                                                  "accelerator_cycles_per_image": acc.cycles_per_image()},
            "images": len(imgs), "agree": int(same.sum()), "mismatched": np.flatnonzero(~same).tolist(),
            "bit_exact": bool(same.all()), "rtl_classes": out["classes"].tolist(),
            "golden_classes": classes.tolist(), "rtl_scores": out["scores"].tolist(),
            "golden_scores": scores.tolist(), "cycles": out["cycles"].tolist(), "golden_t": used.tolist(),
            "early_exit": acc.schedule.as_dict().get("early_exit"),
            "processes": processes, "build_s": round(t1 - t0, 1), "sim_wall_s": round(out["wall_s"], 2),
            "golden_s": round(t3 - t2, 2), "images_per_s": round(len(imgs) / out["wall_s"], 2),
            "sim_cycles_per_s": round(float(out["cycles"].sum()) / out["wall_s"], 1),
            "files": [str(f) for f in out["files"]]}


def fixed_cosim(model, images_u8, *, parallel: int, simulator: str, idle: float = 0.0, stall: float = 0.0,
                seed: int = 0, build_root=None) -> dict:
    """Run :class:`~mtjsc.hdl.fixed.FixedMlp` on uint8 images [N, 28, 28] and compare every score (as its
    S-bit two's-complement field) and class with the integer model :meth:`FixedModel.forward`."""
    from mtjsc.hdl.fixed import FixedMlp
    imgs = np.asarray(images_u8, np.uint8).reshape(-1, PIXELS)
    dut = FixedMlp(model=model, parallel=parallel)
    ref = model.forward(imgs)
    mask = (1 << dut.score_bits) - 1
    data = {"pixels": imgs, "score_bits": np.int64(dut.score_bits), "idle": np.float64(idle),
            "stall": np.float64(stall), "seed": np.int64(seed), "expect_scores": ref["scores"] & mask,
            "expect_cls": ref["classes"]}
    name = f"fixed_mlp_w{model.wbits}a{model.abits}_H{model.hidden}_P{parallel}_{model_digest(model)}"
    out = runner.run(dut, name=name, simulator=simulator, testbench="AcceleratorTestbench", data=data,
                     build_root=build_root)
    got = out["out_scores"]
    signed_scores = twos_complement(got, dut.score_bits)
    return {"simulator": simulator, "width": model.label, "parallel": parallel,
            "integer_scores": ref["scores"].tolist(), "rtl_scores": signed_scores.tolist(),
            "integer_classes": ref["classes"].tolist(), "rtl_classes": out["out_cls"].tolist(),
            "cycles": out["out_cycles"].tolist(), "cycles_per_image": dut.cycles_per_image(),
            "bit_exact": bool(np.array_equal(signed_scores, ref["scores"])
                              and np.array_equal(out["out_cls"], ref["classes"]))}


def model_digest(model) -> str:
    """A short content hash of a fixed-point model's integers (build directories per model)."""
    import hashlib
    h = hashlib.sha256()
    for a in (model.q1, model.b1, model.q2, model.b2):
        h.update(np.ascontiguousarray(a, np.int64).tobytes())
    h.update(f"{model.mult},{model.shift}".encode())
    return h.hexdigest()[:10]


def pbit_key(problem, *params) -> str:
    """A stable short name for a p-bit design: its problem (J, h, colouring) and ``params``
    (hash() of bytes is salted per process, which made every process rebuild)."""
    return hashlib.sha1(b"".join([problem.J.tobytes(), problem.h.tobytes(), problem.colours.tobytes(),
                                  repr(params).encode()])).hexdigest()[:10]


def pbit_cosim(problem, schedule, *, seed: int = 0, simulator: str, rng: str = "lfsr", entropy=None,
               idle: float = 0.0, units: str = "slot", control_fanout: int = 64, build_root=None) -> dict:
    """Run :class:`~mtjsc.hdl.pbit.PbitMachine` and compare its state after every sweep with
    ``pbit.run`` (same seed, same random numbers). ``entropy``: raw bits for ``rng="entropy"``;
    ``units``: the machine's table sharing (:data:`mtjsc.hdl.pbit.UNIT_KINDS`); ``control_fanout``:
    slots per copy of its control registers.

    Returns the model's and the RTL's states, clocks, and ``bit_exact``; a mismatch raises
    :class:`mtjsc.sim.runner.CosimFailure` naming the sweep and p-bit.
    """
    from mtjsc.behavioral_models import pbit
    from mtjsc.hdl.pbit import PbitMachine
    machine = PbitMachine(problem=problem, schedule=schedule, seed=seed, rng=rng, units=units,
                          control_fanout=control_fanout)
    ref = machine.reference(entropy)
    data = {"expect_states": ref["states"][0], "geometry": np.array([problem.n, schedule.bits, machine.size]),
            "idle": np.float64(idle), "seed": np.int64(seed)}
    if rng == "entropy":
        data["entropy_words"] = pbit.entropy_words(problem, schedule, entropy)
    key = pbit_key(problem, schedule, seed, machine.control_copies)
    name = f"pbit_n{problem.n}_{rng.replace('-', '_')}_{units}_{key}"     # a Verilog identifier
    out = runner.run(machine, name=name, simulator=simulator, testbench="PbitTestbench", data=data,
                     build_root=build_root)
    return {"simulator": simulator, "rng": rng, "units": units, "sweeps": schedule.sweeps, "colours": len(problem.groups),
            "model_states": ref["states"][0], "rtl_states": out["out_states"], "clocks": int(out["out_clocks"]),
            "bit_exact": bool(np.array_equal(out["out_states"], ref["states"][0]))}


def pbit_board_cosim(problem, schedule, *, seed: int = 0, rng: str = "slot-lfsr", units: str = "slot",
                     divisor: int = 4, simulator: str, build_root=None) -> dict:
    """Run :class:`~mtjsc.boards.pbit_board.PbitBoard` (anneal, report over the UART; then a button press
    and a second report) and compare both decoded reports with the NumPy model's final state.

    Returns the expected and received reports and the clocks from reset (or the press) to each
    report's first start bit; a mismatch raises :class:`mtjsc.sim.runner.CosimFailure`.
    """
    from mtjsc.boards.pbit_board import PbitBoard
    board = PbitBoard(problem=problem, schedule=schedule, seed=seed, rng=rng, units=units, divisor=divisor)
    expect = board.expected_report()
    # a run: sweeps x colours clocks; a report: (bytes) x 10 bits x divisor; generous margin
    timeout = 4 * (schedule.sweeps * len(problem.groups) + 10 * divisor * len(expect)) + 100
    key = pbit_key(problem, schedule, seed, divisor)
    name = f"pbit_board_n{problem.n}_{rng.replace('-', '_')}_{units}_{key}"
    out = runner.run(board, name=name, simulator=simulator, testbench="PbitBoardTestbench",
                     data={"expect_bytes": np.array(expect, np.int64), "divisor": np.int64(divisor),
                           "timeout": np.int64(timeout)}, build_root=build_root)
    return {"simulator": simulator, "expected": expect, "reports": out["out_reports"].tolist(),
            "clocks_to_report": out["out_waits"].tolist(),
            "bit_exact": all(r == expect for r in out["out_reports"].tolist())}


def board_cosim(model, images_u8, labels, *, config: ScConfig, seed: int = 0, divisor: int = 4, selftest: int = 2,
                simulator: str, build_root=None) -> dict:
    """Run :class:`~mtjsc.boards.accelerator_board.AcceleratorBoard` UART to UART on ``images_u8`` (at least
    5) with the error frames in between, and compare every reply with the golden model.

    The requests: image 0; image 1 with a wrong checksum; image 2; two garbage bytes; image 3; a frame
    cut after 100 pixels; image 4; then, with ``selftest`` images in the ROM (the first ones of
    ``images_u8`` with ``labels``), the self-test. Each good image's reply must carry the golden class
    and scores, each bad frame its error status, the self-test the golden count of correct classes.
    """
    from mtjsc.behavioral_models.sources import make_source
    from mtjsc.boards import frames
    from mtjsc.boards.accelerator_board import AcceleratorBoard
    cfg = golden.network_config(model, config)
    imgs = np.asarray(images_u8, np.uint8).reshape(-1, PIXELS)
    if len(imgs) < 5:
        raise MtjscError(f"board_cosim sends 5 images and error frames between them; got {len(imgs)} images")
    res = golden.run_network(model, imgs / 255.0, source=make_source("lfsr", seed=seed, config=cfg), config=cfg,
                             image_ids=np.arange(len(imgs)), workers=1)
    board = AcceleratorBoard(model=model, config=cfg, seed=seed, divisor=divisor,
                             selftest_pixels=imgs[:selftest] if selftest else None,
                             selftest_labels=np.asarray(labels)[:selftest] if selftest else None)

    def ok(u):
        return frames.reply_for(frames.OK, int(res.classes[u]), res.scores[u]).to_bytes()
    bad = bytearray(frames.image_frame(imgs[1]))
    bad[-1] ^= 0xFF
    requests = [(frames.image_frame(imgs[0]), ok(0)), (bytes(bad), frames.reply_for(frames.BAD_CHECKSUM).to_bytes()),
                (frames.image_frame(imgs[2]), ok(2)), (b"\x00\x17", frames.reply_for(frames.GARBAGE).to_bytes()),
                (frames.image_frame(imgs[3]), ok(3)),
                (frames.image_frame(imgs[4])[:101], frames.reply_for(frames.TIMEOUT).to_bytes()),
                (frames.image_frame(imgs[4]), ok(4))]
    if selftest:
        correct = int((res.classes[:selftest] == np.asarray(labels)[:selftest]).sum())
        requests.append((bytes([frames.SELFTEST_START]),
                         frames.reply_for(frames.OK, selftest, [correct] + [0] * 9).to_bytes()))
    acc_clocks = board.accelerator.cycles_per_image()
    timeout = 10 * divisor * (frames.IMAGE_BYTES + frames.REPLY_BYTES) + board.timeout + (selftest + 2) * acc_clocks
    data = {"requests": np.frombuffer(b"".join(r for r, _ in requests), np.uint8),
            "lengths": np.array([len(r) for r, _ in requests], np.int64),
            "divisor": np.int64(divisor),
            "timeout": np.int64(timeout),
            "expect_replies": np.array([list(e) for _, e in requests], np.int64)}
    name = f"{accelerator_build_name(cfg, seed, 'lfsr')}_board_d{divisor}_s{selftest}"
    out = runner.run(board, name=name, simulator=simulator, testbench="BoardTestbench", data=data,
                     build_root=build_root)
    replies = [frames.parse_reply(bytes(r)) for r in out["out_replies"].tolist()]
    return {"simulator": simulator, "config": cfg.as_dict(), "replies": [r.__dict__ for r in replies],
            "golden_classes": res.classes.tolist(), "accelerator_cycles_per_image": acc_clocks,
            "bit_exact": all((r.status, r.cls, r.scores) == (e.status, e.cls, e.scores)
                             for e, r in zip((frames.parse_reply(e) for _, e in requests), replies))}


def cosim_test_images(model, config: ScConfig, *, model_name: str, images: int, design: str = "accelerator",
                      harness: str = "cocotb", source=None, source_name: str = "lfsr", simulator: str = "verilator",
                      seed: int = 0, batch: int = 5, processes: int = 2, early_exit=None, progress=None) -> dict:
    """The first ``images`` MNIST test images through the accelerator or the core, ``batch`` images per
    simulator run (or all through the native harness), each compared with the golden model (with
    ``early_exit``, the stream indices each image used too).

    Returns the per-image results (golden and RTL class, scores equal, clocks), the agreement
    count, the accuracy, the clocks per image and the simulation speed.
    """
    from mtjsc import mnist
    test = mnist.load("test")
    labels = test.labels
    px = test.pixels() if design == "core" else None        # floats for the core, once
    per_image, cycles, t0 = [], 0, time.time()

    def record(r, ids):
        nonlocal cycles
        wrong = set(r.get("mismatched", ()))            # the native harness: scores, class and clocks
        for i, k in enumerate(ids):
            p = {"image": int(k), "label": int(labels[k]), "golden_class": r["golden_classes"][i],
                 "rtl_class": r["rtl_classes"][i], "scores_equal": r["golden_scores"][i] == r["rtl_scores"][i],
                 "cycles": r["cycles"][i]}
            p["bit_exact"] = p["scores_equal"] and p["golden_class"] == p["rtl_class"] and i not in wrong
            if "golden_t" in r:
                p["t"] = r["golden_t"][i]
                p["bit_exact"] &= "rtl_t" not in r or r["rtl_t"][i] == p["t"]
            per_image.append(p)
            cycles += r["cycles"][i]

    if harness == "native":
        ids = np.arange(images)
        r = accelerator_native(model, test.images[ids], config=config, seed=seed, image_ids=ids,
                               processes=processes, early_exit=early_exit, progress=progress)
        record(r, ids)
    for start in range(0, images if harness == "cocotb" else 0, batch):
        ids = np.arange(start, min(images, start + batch))
        if design == "accelerator":
            r = accelerator_cosim(model, test.images[ids], config=config, seed=seed, simulator=simulator,
                                  source=source, image_ids=ids, early_exit=early_exit)
        else:
            r = core_cosim(model, px[ids], ids, source=source, config=config, simulator=simulator, seed=seed)
        record(r, ids)
        if progress is not None:
            progress(len(ids))
    wall = time.time() - t0
    agree = sum(p["bit_exact"] for p in per_image)
    return {"model": model_name, "design": design, "harness": harness, "source": source_name, "simulator": simulator,
            "config": config.as_dict(), "schedule": r["schedule"], "images": images, "agreement": agree,
            "accuracy": float(np.mean([p["rtl_class"] == p["label"] for p in per_image])),
            "cycles_per_image": cycles / images, "wall_s": round(wall, 2),
            "mean_t": float(np.mean([p.get("t", config.L) for p in per_image])),
            "simulated_cycles_per_s": round(cycles / wall, 1), "per_image": per_image}
