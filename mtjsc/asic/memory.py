"""An explicit model of the memories (the OSU library has no SRAM macros), kept apart from logic.

Energy per access, from Horowitz, "Computing's energy problem (and what we can
do about it)", ISSCC 2014, at 45 nm and 0.9 V: a 64-bit read of an 8 KB SRAM
costs 10 pJ, of 32 KB 20 pJ, of 1 MB 100 pJ; between those sizes the energy is
interpolated in log(size), below 8 KB it is the 8 KB figure. Scaled to
0.18 um and 1.8 V by first-order constant-field scaling, energy ~ C V^2 with C
~ feature size: x (180 / 45) x (1.8 / 0.9)^2 = x 16. A write costs what a read
of the same width costs (an assumption, not from the source).

Area per bit: a six-transistor SRAM cell of 140 F^2 at F = 0.18 um, 4.54 um^2
(an assumption of the cell's size in feature squares, not a measurement of
this library), without periphery.

Accesses per image: every memory of the accelerator has a synchronous read
port without a read enable (:class:`~mtjsc.hdl.memory.MemoryBlock`), so an
SRAM in its place is read on every clock; writes are counted from the
schedule (below).
"""

from __future__ import annotations

import math

#: Horowitz 2014 (45 nm, 0.9 V): (SRAM bytes, pJ per 64-bit read).
HOROWITZ_45NM = ((8 * 1024, 10.0), (32 * 1024, 20.0), (1024 * 1024, 100.0))
SCALE_TO_018 = (180 / 45) * (1.8 / 0.9) ** 2
BIT_AREA_UM2 = 140 * 0.18 ** 2


def read_energy_per_bit_j(bits: int) -> float:
    """Energy of reading one bit of an SRAM of ``bits`` bits at 0.18 um (J)."""
    size = max(bits / 8, 1.0)
    pts = HOROWITZ_45NM
    if size <= pts[0][0]:
        pj = pts[0][1]
    elif size >= pts[-1][0]:
        pj = pts[-1][1]
    else:
        for (s0, e0), (s1, e1) in zip(pts, pts[1:]):
            if s0 <= size <= s1:
                t = (math.log(size) - math.log(s0)) / (math.log(s1) - math.log(s0))
                pj = e0 + t * (e1 - e0)
                break
    return pj / 64 * SCALE_TO_018 * 1e-12


def accelerator_memories(acc) -> list:
    """The accelerator's memories (:meth:`describe`) with reads and writes per image.

    Writes per image: a weight threshold or seed ROM none; the pixel memory one lane per pixel (784 of
    B + 1 bits); an SNG state memory one word per chunk per stream index (after the last neuron group
    of t); the Btanh state memory one word per group per t; an entropy buffer one word per chunk per t.
    """
    desc = acc.describe()
    cfg, s = acc.config, acc.schedule
    out = []
    for m in desc["memories"]:
        name = m["name"]
        if name.startswith(("w0_q", "w1_q", "w0_neg", "w1_neg")) or name.endswith("_seed"):
            writes, wbits = 0, 0
        elif name == "pixel_q":
            writes, wbits = 784, cfg.sng_bits + 1
        elif name.endswith("_state"):
            writes, wbits = cfg.L * m["depth"], m["width"]
        elif name == "btanh states":
            writes, wbits = cfg.L * s.G1, m["width"]
        else:                                    # entropy buffers
            writes, wbits = cfg.L * m["depth"], m["width"]
        per_bit = read_energy_per_bit_j(m["depth"] * m["width"])
        out.append({**m, "reads_per_clock": m["count"], "read_bits": m["width"], "writes_per_image": writes * m["count"],
                    "write_bits": wbits, "energy_per_bit_j": per_bit, "area_um2": m["bits"] * BIT_AREA_UM2})
    return out


def energy_per_image(memories: list, cycles_per_image: float) -> dict:
    """Read, write and total memory energy per image (J), per memory (``rows``), and the area (um^2)."""
    rows = []
    for m in memories:
        r = m["reads_per_clock"] * m["read_bits"] * m["energy_per_bit_j"] * cycles_per_image
        w = m["writes_per_image"] * m["write_bits"] * m["energy_per_bit_j"]
        rows.append({"name": m["name"], "bits": m["bits"], "read_j": r, "write_j": w, "energy_j": r + w,
                     "area_um2": m["area_um2"]})
    return {"read_j": sum(r["read_j"] for r in rows), "write_j": sum(r["write_j"] for r in rows),
            "total_j": sum(r["energy_j"] for r in rows), "area_um2": sum(r["area_um2"] for r in rows),
            "bits": sum(r["bits"] for r in rows), "rows": rows}


def fixed_memories(mlp) -> list:
    """:class:`~mtjsc.hdl.fixed.FixedMlp`'s memories with reads and writes per image, as for the
    accelerator: every memory's read port reads its word every clock; the image RAM is written once
    per pixel, the hidden RAM once per neuron group."""
    m = mlp.model
    widths = {"image": 8, "w1": mlp.P * m.wbits, "w2": mlp.P * m.wbits, "b1": mlp.P * mlp.acc1_bits,
              "b2": mlp.P * mlp.score_bits, "hidden": mlp.P * mlp.hidden_bits}
    writes = {"image": 784, "hidden": mlp.groups1}
    out = []
    for name, bits in mlp.memory_bits().items():
        w = widths[name]
        per_bit = read_energy_per_bit_j(bits)
        out.append({"name": name, "count": 1, "depth": bits // w, "width": w, "bits": bits, "reads_per_clock": 1,
                    "read_bits": w, "writes_per_image": writes.get(name, 0), "write_bits": w,
                    "energy_per_bit_j": per_bit, "area_um2": bits * BIT_AREA_UM2})
    return out
