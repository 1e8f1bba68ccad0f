"""Studies of the standard-cell flow: its validation, and every design's area, timing and energy.

``validation(...) -> dict`` runs :class:`~mtjsc.asic.validation.FreeCounter` and
:class:`~mtjsc.asic.validation.FreeLfsr` through the whole flow (OSU 0.18 um
synthesis, gate-level Verilator toggles, energy from the library's tables per
net, OpenSTA timing), compares the simulated toggles of every register bit
with the reference count, and cross-checks the table-based energy against
OpenSTA's ``report_power`` with every net at the same activity. (This OpenSTA,
Debian's 2019 build, ignores per-pin activity in ``report_power``: on the
counter, every net annotated with its simulated rate, every net at 0.9, or no
annotation gave the same total, while ``set_power_activity -global`` changed
it; so the per-net figure comes from :mod:`mtjsc.asic.power`.)

``designs(...) -> dict`` puts the SC accelerator (each L and APC; ``lfsr`` at
gate level, ``smtj-comparator`` and ``smtj-biased`` by
:mod:`mtjsc.asic.sng`) and the binary baselines through the same flow.
"""

from __future__ import annotations

from mtjsc.asic import activity, flow, library, power, validation as blocks
from mtjsc.hdl.export import to_verilog


def _register_toggles(net: flow.Netlist, rates: dict, cycles: int) -> list:
    """Simulated transitions of every flip-flop output, largest first."""
    q = [n for n, pin in net.drivers.items() if pin.endswith("/Q") and net.instances[pin.split("/")[0]] == "DFFPOSX1"]
    return sorted((round(rates.get(n, 0.0) * cycles) for n in q), reverse=True)


def validate_block(component, name: str, *, cycles: int, period_ns: float, cache_root=None) -> dict:
    """One free-running block through the flow; see the module docstring."""
    net = flow.synthesize(to_verilog(component, name), name, cache_root=cache_root)
    rates = activity.freerun_rates(net, cycles)
    got = _register_toggles(net, rates, cycles)
    # the mid-size block has no hand count: it is there for the OpenSTA cross-check only
    want = sorted(component.reference_toggles(cycles), reverse=True) if hasattr(component, "reference_toggles") \
        else None
    d = power.rates_detail(net, rates, period_ns=period_ns, component=component)
    sta_mean, per_net, mean = d["sta"], d["energy"], d["mean_activity"]
    total_got, total_want = sum(got), (sum(want) if want is not None else None)
    return {"block": name, "cycles": cycles, "area": flow.area(net, component),
            "register_toggles": {"simulated": got, "reference": want,
                                 "total_error": None if want is None else
                                 (total_got - total_want) / total_want if total_want else 0.0},
            "timing": {k: sta_mean[k] for k in ("critical_ns", "fmax_mhz")}, "mean_activity": mean,
            "energy_per_clock_j": per_net["total_j"],
            "energy_split_j": {k: per_net[k] for k in ("switching_j", "internal_j", "leakage_j")},
            "cross_check": d["cross_check"],
            "opensta_power_w": sta_mean["power_w"]}


def validation(*, cycles: int = 4096, clock_mhz: float = 100.0, lfsr_width: int = 32, cache_root=None) -> dict:
    """The counter and the LFSR (toggles known by hand) and a mid-size SC slice (the OpenSTA cross-check)
    through the flow at ``clock_mhz``; the LFSR's energy per random bit."""
    period = flow.check_period(1000.0 / clock_mhz if clock_mhz else 0)
    rows = [validate_block(blocks.FreeCounter(width=8), "free_counter8", cycles=cycles, period_ns=period,
                           cache_root=cache_root),
            validate_block(blocks.FreeLfsr(width=lfsr_width, seed=12345), f"free_lfsr{lfsr_width}", cycles=cycles,
                           period_ns=period, cache_root=cache_root),
            validate_block(blocks.FreeScNeuron(n=32, width=16, seed=3), "free_sc_neuron32", cycles=cycles,
                           period_ns=period, cache_root=cache_root)]
    # the LFSR gives one new random bit per clock (B = 1): its energy per clock is its energy per bit
    lfsr_bit = rows[1]["energy_per_clock_j"]
    return {"library": "OSU 0.18 um (osu018_stdcells, typical, 1.8 V)", "supply_v": library.supply_voltage(),
            "clock_mhz": clock_mhz, "blocks": rows, "lfsr_energy_per_bit_j": lfsr_bit,
            "published_lfsr_energy_per_bit_j": 10e-15,
            "published_source": "Shao et al., IEEE Magn. Lett. 2020, after Daniels et al. 2020: about 10 fJ per LFSR bit"}


def markdown(res: dict) -> str:
    lines = [f"Standard-cell flow validation: {res['library']}, clock {res['clock_mhz']:g} MHz.", "",
             "| block | cells | area (um^2) | register toggles simulated / reference | error | Fmax | "
             "energy per clock from simulated toggles | at the mean activity: library tables / OpenSTA |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for b in res["blocks"]:
        t, c = b["register_toggles"], b["cross_check"]
        lines.append(f"| {b['block']} | {b['area']['cell_count']} | {b['area']['logic_um2']:,.0f} | "
                     + (f"{sum(t['simulated']):,} / {sum(t['reference']):,} | {100 * t['total_error']:+.2f} % | "
                        if t["reference"] is not None else f"{sum(t['simulated']):,} / (no hand count) | - | ")
                     + f"{b['timing']['fmax_mhz']:.0f} MHz | {1e12 * b['energy_per_clock_j']:.3f} pJ | "
                     f"{1e12 * c['library_tables_j']:.3f} / {1e12 * c['opensta_j']:.3f} pJ "
                     f"({100 * c['difference']:+.1f} %, activity {c['activity']:.3f}) |")
    lines += ["", "Energy per clock: every net's simulated transitions through the library's tables "
              "(mtjsc.asic.power). Cross-check: the same tables with every net at the mean simulated activity "
              "against OpenSTA's report_power at that global activity (this OpenSTA ignores per-pin activity).",
              "", f"Energy per random bit of the {res['blocks'][1]['block']} LFSR (one bit per clock): "
              f"{1e15 * res['lfsr_energy_per_bit_j']:,.0f} fJ at 0.18 um and {res['supply_v']:g} V, against about "
              f"{1e15 * res['published_lfsr_energy_per_bit_j']:.0f} fJ in {res['published_source']}."]
    return "\n".join(lines) + "\n"


#: The golden model's source for each SNG kind: what the design computes.
ACCURACY_SOURCE = {"lfsr": "lfsr", "smtj-comparator": "entropy", "smtj-biased": "mtj"}


def sc_accuracy(L: int, apc: str, kind: str, *, images=None, model: str = "auto") -> float:
    """Accuracy of ``model`` (``auto``: the shipped model for ``L``) at ``L`` on the first ``images`` test
    images (None: all) with the source matching SNG ``kind``, seed 0 (``entropy``: one simulated sMTJ's
    bits, as the port gets them)."""
    import numpy as np

    from mtjsc import mnist
    from mtjsc.behavioral_models import golden
    from mtjsc.behavioral_models.sources import make_source
    from mtjsc.config import ScConfig
    from mtjsc.evaluate import evaluate, resolve_model
    if ACCURACY_SOURCE[kind] != "entropy":
        res = evaluate(models=[model], source=ACCURACY_SOURCE[kind], lengths=[L], seeds=1, images=images, apc=apc)
        return res["series"][0]["points"][0]["mean"]
    _, net = resolve_model(model, L, apc)
    cfg = ScConfig.from_model(net, L=L, apc=apc)
    test = mnist.load("test")
    n = len(test.labels) if images is None else images
    res = golden.run_network(net, test.pixels()[:n], source=make_source("entropy", config=cfg), config=cfg)
    return float(np.mean(res.classes == test.labels[:n]))


def sc_design(L: int, apc: str, *, parallel: int, lanes: int, images_sim: int, period_ns: float,
              accuracy_images=None, smtj_accuracy_images=None, cache_root=None,
              kinds=("lfsr", "smtj-comparator", "smtj-biased"), model: str = "auto") -> list:
    """One SC accelerator through the flow (lfsr, gate level) and its rows for every SNG kind; ``model``
    ``auto`` is the shipped Btanh model for ``L``, an OR model (``or-L256``) gives the OR-neuron network."""
    from mtjsc import mnist
    from mtjsc.asic import sng
    from mtjsc.asic.accelerator import accelerator_energy
    from mtjsc.config import ScConfig
    from mtjsc.evaluate import resolve_model
    name, net = resolve_model(model, L, apc)
    cfg = ScConfig.from_model(net, L=L, apc=apc, parallel_neurons=parallel, input_lanes=lanes)
    test = mnist.load("test")
    row = accelerator_energy(net, test.images[:images_sim], config=cfg, period_ns=period_ns, cache_root=cache_root)
    label = f"OR L={L}" if cfg.neuron == "or" else f"SC L={L} {apc}"
    out = []
    for kind in kinds:
        r = sng.replace(row, kind, clock_period_s=period_ns * 1e-9)
        logic = row["logic_energy_per_image_j"] - r["removed_logic_j"]
        memory_j = row["memory_energy_per_image_j"]["total_j"] - r["removed_memory_j"]
        total = logic + memory_j + r["added_j"]
        n = accuracy_images if kind == "lfsr" else smtj_accuracy_images
        out.append({"design": label, "sng": kind, "model": name, "L": L, "apc": apc, "neuron": cfg.neuron,
                    "accuracy": sc_accuracy(L, apc, kind, images=n, model=model),
                    "accuracy_images": n or len(test.labels),
                    "cycles_per_image": row["cycles_per_image"], "area": row["area"],
                    "memory_area_um2": row["memory_energy_per_image_j"]["area_um2"],
                    "timing": row["timing"], "energy": {
                        "logic_j": logic, "memory_j": memory_j, "random_source_j": r["added_j"], "total_j": total,
                        "blocks_j": row["logic_blocks_per_image_j"], "sng_split_j": row["logic_leap_comparator_per_image_j"],
                        "per_synapse_bit_j": total / (L * (net.hidden * 785 + 10 * (net.hidden + 1)))},
                    "replacement": r, "gate_level_images": row["images"], **_netlist_fields(row)})
    return out


def _netlist_fields(row: dict) -> dict:
    """What a row says about the simulated netlist itself (its lfsr SNGs for an SC design): the logic
    energy per image split into switching, internal and leakage, and the OpenSTA cross-check."""
    return {"netlist": row["netlist"], "netlist_logic_split_j": row["logic_split_per_image_j"],
            "cross_check": row["cross_check"]}


def binary_design(wbits: int, abits: int, *, parallel: int, images_sim: int, period_ns: float, cache_root=None) -> dict:
    """One binary baseline through the same flow; its accuracy is the integer model's (full test set)."""
    from mtjsc import mnist
    from mtjsc.asic.accelerator import fixed_energy
    from mtjsc.behavioral_models.fixed import shipped_fixed
    model = shipped_fixed(wbits, abits)
    test = mnist.load("test")
    row = fixed_energy(model, test.images[:images_sim], parallel=parallel, period_ns=period_ns, cache_root=cache_root)
    acc = float((model.forward(test.images)["classes"] == test.labels).mean())
    logic, memory_j = row["logic_energy_per_image_j"], row["memory_energy_per_image_j"]["total_j"]
    total = logic + memory_j
    return {"design": f"binary {wbits}/{abits}", "sng": "-", "model": model.label, "accuracy": acc,
            "accuracy_images": len(test.labels),
            "cycles_per_image": row["cycles_per_image"], "area": row["area"],
            "memory_area_um2": row["memory_energy_per_image_j"]["area_um2"], "timing": row["timing"],
            "energy": {"logic_j": logic, "memory_j": memory_j, "random_source_j": 0.0, "total_j": total,
                       "blocks_j": row["logic_blocks_per_image_j"],
                       "per_synapse_bit_j": total / (model.hidden * 785 + 10 * (model.hidden + 1))},
            "gate_level_images": row["images"], **_netlist_fields(row)}


def designs(*, lengths=(64, 256, 1024), apcs=("exact", "approx"), widths=((8, 8), (4, 4), (1, 1)),
            or_lengths=(256,), or_model: str = "or-L256", parallel: int = 16, lanes: int = 16, images_sim: int = 2,
            clock_mhz: float = 5.0, accuracy_images=None, smtj_accuracy_images=None, cache_root=None,
            progress=None) -> dict:
    """Every design of the comparison through the flow at one clock: rows of area, timing, energy and
    accuracy (see :func:`designs_markdown`): the Btanh accelerator at each L and APC, the OR-neuron
    network (``or_model``) at each of ``or_lengths``, the binary baselines."""
    period = flow.check_period(1000.0 / clock_mhz if clock_mhz else 0)
    rows = []
    for L in lengths:
        for apc in apcs:
            rows += sc_design(L, apc, parallel=parallel, lanes=lanes, images_sim=images_sim, period_ns=period,
                              accuracy_images=accuracy_images, smtj_accuracy_images=smtj_accuracy_images,
                              cache_root=cache_root)
            if progress:
                progress(1)
    for L in or_lengths:
        rows += sc_design(L, "exact", parallel=parallel, lanes=lanes, images_sim=images_sim, period_ns=period,
                          accuracy_images=accuracy_images, smtj_accuracy_images=smtj_accuracy_images,
                          cache_root=cache_root, model=or_model)
        if progress:
            progress(1)
    for w, a in widths:
        rows.append(binary_design(w, a, parallel=parallel, images_sim=images_sim, period_ns=period,
                                  cache_root=cache_root))
        if progress:
            progress(1)
    for r in rows:
        r["images_per_s"] = clock_mhz * 1e6 / r["cycles_per_image"]
        r["images_per_s_at_fmax"] = r["timing"]["fmax_mhz"] * 1e6 / r["cycles_per_image"]
        r["meets_clock"] = r["timing"]["fmax_mhz"] >= clock_mhz
    return {"library": "OSU 0.18 um (osu018_stdcells, typical, 1.8 V)", "clock_mhz": clock_mhz, "parallel": parallel,
            "lanes": lanes, "gate_level_images": images_sim, "rows": rows,
            "memory_model": "Horowitz ISSCC 2014 SRAM energy (45 nm) x 16 (C V^2 scaling to 0.18 um, 1.8 V); "
                            "6T cell 140 F^2 (assumption); every memory read every clock",
            "published": {"shao_lfsr_bit_j": 10e-15, "shao_mtj_bit_j": 20e-15, "daniels_inference_j": 70e-9,
                          "kim_energy_saving": 0.70}}


def designs_markdown(res: dict, validation_res: dict | None = None) -> str:
    """The comparison table at 0.18 um, the same rows scaled to 45 nm and 7 nm, and what they say."""
    from mtjsc.asic import scaling
    lines = [f"Standard-cell cost at {res['clock_mhz']:g} MHz, {res['library']}; P = {res['parallel']} "
             f"(SC: W = {res['lanes']}); activity from {res['gate_level_images']} test images simulated at gate "
             f"level (bit-exact with the golden model); accuracy on the test images given beside it.", "",
             "| design | random source | accuracy (images) | clocks/image | logic area (um^2) | memory area (um^2) | Fmax | "
             "energy/image: logic | memory | random source | total | per synapse-bit | images/s at Fmax |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in res["rows"]:
        e = r["energy"]
        lines.append(f"| {r['design']} | {r['sng']} | {100 * r['accuracy']:.2f} % ({r['accuracy_images']:,}) | "
                     f"{r['cycles_per_image']:,.0f} | "
                     f"{r['area']['logic_um2']:,.0f} | {r['memory_area_um2']:,.0f} | {r['timing']['fmax_mhz']:.1f} MHz"
                     f"{'' if r.get('meets_clock', True) else ' (below the clock)'} | "
                     f"{1e9 * e['logic_j']:,.2f} nJ | {1e9 * e['memory_j']:,.2f} nJ | {1e9 * e['random_source_j']:,.2f} nJ | "
                     f"**{1e9 * e['total_j']:,.2f} nJ** | {1e15 * e['per_synapse_bit_j']:,.1f} fJ | "
                     f"{r['images_per_s_at_fmax']:,.1f} |")
    lines += ["", f"Memories: {res['memory_model']}.",
              "Fmax: OpenSTA on the unbuffered netlist (no placement, no buffer insertion), so high-fanout nets set it.",
              "", f"**Scaled, not measured**: the rows above scaled by {scaling.SOURCE} "
              "(mtjsc.asic.scaling: logic and read circuits by the energy equations, memories from Horowitz's "
              "45 nm figures, the sMTJ device's own read energy unscaled).", "",
              "| design | random source | 45 nm: energy/image | logic + memory area (mm^2) | images/s at Fmax | "
              "7 nm: energy/image | logic + memory area (mm^2) | images/s at Fmax |",
              "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in res["rows"]:
        cells = []
        for node in ("45nm", "7nm"):
            x = scaling.scale_row(r, node)
            cells += [f"{1e9 * x['total_j']:,.1f} nJ", f"{(x['logic_um2'] + x['memory_um2']) / 1e6:,.3f}",
                      f"{x['images_per_s_at_fmax']:,.0f}"]
        lines.append(f"| {r['design']} | {r['sng']} | " + " | ".join(cells) + " |")
    lines += ["", *netlist_table(res), "", "## What the numbers say", ""] + findings(res, validation_res)
    return "\n".join(lines) + "\n"


def netlist_table(res: dict) -> list:
    """One line per simulated netlist (an SC design with its lfsr SNGs, a baseline): cells, the SNGs'
    share of the logic area, the logic's power at the common clock split into internal, switching and
    leakage, and the library tables against OpenSTA at the netlist's mean activity."""
    period_s = 1e-6 / res["clock_mhz"]
    lines = [f"Power of each simulated netlist at {res['clock_mhz']:g} MHz (logic only, lfsr SNGs for SC; the "
             "memories are the model above): from the gate-level toggles. The last column is the cross-check: "
             "the library tables with every net at the netlist's mean activity against OpenSTA's report_power "
             "at that activity.", "",
             "| design | cells | logic area (um^2) | SNG share of logic area | internal | switching | leakage | "
             "total | tables / OpenSTA at the mean activity |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in {r["design"]: r for r in res["rows"]}.values():
        split, a, c = r["netlist_logic_split_j"], r["area"], r["cross_check"]
        t = r["cycles_per_image"] * period_s      # seconds per image: energy per image / t is power
        mw = {k: 1e3 * v / t for k, v in split.items()}
        sng = a["blocks_um2"].get("sng", 0.0) / a["logic_um2"]
        lines.append(f"| {r['design']} | {a['cell_count']:,} | {a['logic_um2']:,.0f} | {100 * sng:.0f} % | "
                     f"{mw['internal_j']:.3f} mW | {mw['switching_j']:.3f} mW | {mw['leakage_j']:.4f} mW | "
                     f"{sum(mw.values()):.3f} mW | {100 * c['difference']:+.1f} % (activity {c['activity']:.3f}) |")
    return lines


def findings(res: dict, validation_res: dict | None = None) -> list:
    """Where SC with sMTJs wins and loses against binary, in numbers from ``res``, beside the published
    claims (:data:`designs`' ``published``): bullet lines for the report."""
    from mtjsc.asic import scaling
    rows, pub = res["rows"], res["published"]
    sc = [r for r in rows if r["sng"] != "-"]
    binary = {r["design"]: r for r in rows if r["sng"] == "-"}
    out = []
    if sc and binary:
        best_bin = min(binary.values(), key=lambda r: r["energy"]["total_j"])
        ref = binary.get("binary 8/8", best_bin)
        cheapest = min(sc, key=lambda r: r["energy"]["total_j"])
        ratios = [r["energy"]["total_j"] / ref["energy"]["total_j"] for r in sc]
        wins = [r for r in sc if r["energy"]["total_j"] < ref["energy"]["total_j"] and r["accuracy"] >= ref["accuracy"]]
        out.append(f"- **SC against binary.** The cheapest SC row ({cheapest['design']}, {cheapest['sng']}) costs "
                   f"{1e9 * cheapest['energy']['total_j']:,.0f} nJ per image at {100 * cheapest['accuracy']:.2f} %; "
                   f"{ref['design']} costs {1e9 * ref['energy']['total_j']:,.0f} nJ at {100 * ref['accuracy']:.2f} %. "
                   f"Every SC row costs {min(ratios):.1f} to {max(ratios):.1f} times {ref['design']}'s energy; "
                   + (f"{len(wins)} SC rows beat it on both energy and accuracy." if wins else
                      "no SC row beats it on energy, whatever its accuracy.")
                   + f" Kim et al. (DAC 2016) report about {100 * pub['kim_energy_saving']:.0f} % less energy than "
                   f"binary; here the best SC row uses " + (f"{100 * (min(ratios) - 1):,.0f} % more." if min(ratios) > 1
                                                       else f"{100 * (1 - min(ratios)):.0f} % less."))
        mem = [r["energy"]["memory_j"] / r["energy"]["total_j"] for r in sc if r["sng"] == "lfsr"]
        if mem:
            out.append(f"- **Memory reads** are {100 * min(mem):.0f} to {100 * max(mem):.0f} % of every lfsr SC "
                       "row's energy: every memory is read on every clock, and an SC image takes "
                       f"{min(r['cycles_per_image'] for r in sc):,.0f} clocks or more against the baselines' "
                       f"{min(r['cycles_per_image'] for r in binary.values()):,.0f}.")
    for design in dict.fromkeys(r["design"] for r in sc):
        by = {r["sng"]: r for r in sc if r["design"] == design}
        if "lfsr" in by and "smtj-comparator" in by:
            a, c = by["lfsr"]["energy"]["total_j"], by["smtj-comparator"]["energy"]["total_j"]
            rep = by["smtj-comparator"]["replacement"]
            line = (f"- **What the sMTJ removes in {design}** (the paper's premise): the LFSR source costs "
                    f"{1e9 * (rep['removed_logic_j'] + rep['removed_memory_j']):,.0f} nJ per image (leap logic and "
                    f"state/seed memory reads), {100 * (1 - c / a):.0f} % of the design; the sMTJ bits that replace "
                    f"it cost {1e9 * rep['added_j']:,.1f} nJ ({rep['bits_per_image']:,} bits of "
                    f"{1e15 * (rep['device_energy_per_bit_j'] + rep['read_circuit_energy_per_bit_j']):.0f} fJ).")
            if "smtj-biased" in by:
                b = by["smtj-biased"]
                rb = b["replacement"]
                line += (f" smtj-biased (weights held as device biases, no threshold reads): "
                         f"{1e9 * b['energy']['total_j']:,.0f} nJ ({100 * (1 - b['energy']['total_j'] / a):.0f} % "
                         f"below lfsr), of which {rb['bits_per_image']:,} device reads "
                         f"{1e9 * (rb['added_j'] - rb['dac_j']):,.1f} nJ and the shared bias DAC "
                         f"{1e9 * rb['dac_j']:,.1f} nJ.")
            out.append(line)
    if validation_res:
        lb = validation_res["lfsr_energy_per_bit_j"]
        dev = next((r["replacement"] for r in sc if r["sng"] == "smtj-comparator"), None)
        out.append(f"- **Energy per random bit.** A free-running LFSR in this flow: {1e15 * lb:,.0f} fJ per bit "
                   f"at 0.18 um ({1e15 * lb * scaling.energy_factor('45nm'):,.0f} fJ scaled to 45 nm), against "
                   f"Shao et al.'s about {1e15 * pub['shao_lfsr_bit_j']:.0f} fJ"
                   + (f"; an sMTJ bit {1e15 * dev['device_energy_per_bit_j']:.1f} fJ for the device and "
                      f"{1e15 * dev['read_circuit_energy_per_bit_j']:.0f} fJ for its read circuit, against their "
                      f"about {1e15 * pub['shao_mtj_bit_j']:.0f} fJ." if dev else "."))
    if sc:
        cheapest = min(sc, key=lambda r: r["energy"]["total_j"])
        at45 = scaling.scale_row(cheapest, "45nm")["total_j"]
        out.append(f"- **Against Daniels et al.** (about {1e9 * pub['daniels_inference_j']:.0f} nJ per MNIST inference "
                   f"with sMTJ SC): the cheapest SC row here scales to {1e9 * at45:,.0f} nJ at 45 nm "
                   f"({at45 / pub['daniels_inference_j']:,.0f} times)"
                   + (", most of it memory reads." if cheapest["energy"]["memory_j"] > cheapest["energy"]["total_j"] / 2
                      else "."))
    return out


def plot_designs(res: dict, path) -> None:
    """Accuracy against energy per image (each design and random source), and energy per block."""
    from mtjsc.studies.plots import _plt, save
    plt = _plt()
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.5))
    for r in res["rows"]:
        mark = {"lfsr": "o", "smtj-comparator": "s", "smtj-biased": "^", "-": "D"}[r["sng"]]
        ax.scatter(1e9 * r["energy"]["total_j"], 100 * r["accuracy"], marker=mark)
        ax.annotate(f"{r['design']} {r['sng']}", (1e9 * r["energy"]["total_j"], 100 * r["accuracy"]), fontsize=6)
    ax.set_xscale("log")
    ax.set_xlabel("energy per image (nJ)")
    ax.set_ylabel("test accuracy (%)")
    ax.grid(alpha=0.3, which="both")
    lfsr = [r for r in res["rows"] if r["sng"] in ("lfsr", "-")]
    names = [r["design"] for r in lfsr]
    blocks = sorted({b for r in lfsr for b in r["energy"]["blocks_j"]})
    bottom = [0.0] * len(lfsr)
    for b in blocks + ["memories (model)"]:
        vals = [1e9 * (r["energy"]["memory_j"] if b == "memories (model)" else r["energy"]["blocks_j"].get(b, 0.0))
                for r in lfsr]
        bx.bar(names, vals, bottom=bottom, label=b)
        bottom = [x + y for x, y in zip(bottom, vals)]
    bx.set_ylabel("energy per image (nJ)")
    bx.tick_params(axis="x", rotation=60, labelsize=7)
    bx.legend(fontsize=7)
    fig.tight_layout()
    save(fig, path)
