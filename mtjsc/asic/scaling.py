"""Figures of the 0.18 um flow scaled to modern nodes by the equations of Stillmaker and Baas.

A. Stillmaker and B. Baas, "Scaling equations for the accurate prediction of
CMOS device performance from 180 nm to 7 nm", Integration 58, 74-81 (2017):
fits to simulated FO4 inverter chains (PTM models). For each node the delay
factor is a cubic and the energy factor a quadratic in the supply voltage;
their ratio between two nodes at their voltages scales a delay or an energy
per operation, and area scales by a per-node factor (their Tables 2-4; 45 nm
and 7 nm are the high-performance ``HP`` fits at their nominal 1.0 V and
0.7 V; 180 nm at 1.8 V, the OSU library's supply).

What is scaled, and how, is stated once here:

- logic energy (the library's switching, internal and leakage energy of the
  gate-level run) and the read circuit of an sMTJ bit: x :func:`energy_factor`;
- memories: the model of :mod:`mtjsc.asic.memory` starts from Horowitz's
  45 nm figures, so at 45 nm it is those figures unscaled (the 0.18 um
  value / :data:`mtjsc.asic.memory.SCALE_TO_018`), and below 45 nm they
  follow the same equations from 45 nm;
- the sMTJ device's own read energy (V^2 G T of the device model) is not a
  CMOS figure and is not scaled;
- Fmax x 1 / :func:`delay_factor`, area x :func:`area_factor`.

A scaled figure is a rule applied to a measured one, never a measurement; every
table that shows one says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from mtjsc.errors import MtjscError


@dataclass(frozen=True)
class Node:
    """One node's fits (Stillmaker and Baas 2017): delay = d3 V^3 + d2 V^2 + d1 V + d0,
    energy = e2 V^2 + e1 V + e0, and area relative to 180 nm, at the nominal supply ``vdd``."""

    name: str
    vdd: float
    delay: tuple
    energy: tuple
    area_vs_180: float

    def delay_at(self, v: float | None = None) -> float:
        v = self.vdd if v is None else v
        d3, d2, d1, d0 = self.delay
        return ((d3 * v + d2) * v + d1) * v + d0

    def energy_at(self, v: float | None = None) -> float:
        v = self.vdd if v is None else v
        e2, e1, e0 = self.energy
        return (e2 * v + e1) * v + e0


#: The nodes the report uses (Stillmaker and Baas 2017, Tables 3 and 4; area from Table 2).
NODES = {
    "180nm": Node("180nm", 1.8, (0.0, 97.09, -356.7, 406.5), (0.0, 24.64, -17.98), 1.0),
    "45nm": Node("45nm", 1.0, (-501.6, 1567.0, -1619.0, 566.1), (1.018, -0.3107, 0.1539), 0.053),
    "7nm": Node("7nm", 0.7, (-28.58, 76.6, -70.26, 24.69), (0.1776, -0.09097, 0.02447), 0.0032),
}
SOURCE = ("Stillmaker and Baas, Integration 58 (2017) 74-81: 180 nm at 1.8 V to HP 45 nm at 1.0 V and "
          "HP 7 nm at 0.7 V")


def _node(name: str) -> Node:
    if name not in NODES:
        raise MtjscError(f"node {name!r}: the scaling table has {', '.join(NODES)}")
    return NODES[name]


def energy_factor(target: str, source: str = "180nm") -> float:
    """Multiply an energy per operation at ``source`` by this to get it at ``target``."""
    return _node(target).energy_at() / _node(source).energy_at()


def delay_factor(target: str, source: str = "180nm") -> float:
    """Multiply a delay at ``source`` by this to get it at ``target``."""
    return _node(target).delay_at() / _node(source).delay_at()


def area_factor(target: str, source: str = "180nm") -> float:
    """Multiply an area at ``source`` by this to get it at ``target``."""
    return _node(target).area_vs_180 / _node(source).area_vs_180


def scale_row(row: dict, target: str) -> dict:
    """A design row of :func:`mtjsc.studies.asic.designs` at ``target``: energy per image (logic,
    memory, random source, total), logic and memory area, Fmax and images/s at Fmax. See the module
    docstring for what scales how."""
    from mtjsc.asic import memory
    e = row["energy"]
    fe = energy_factor(target)
    memory_at_45 = e["memory_j"] / memory.SCALE_TO_018
    memory_j = memory_at_45 * energy_factor(target, "45nm")
    rep = row.get("replacement") or {}
    device_j = (rep.get("device_energy_per_bit_j") or 0.0) * rep.get("bits_per_image", 0)
    source_j = (e["random_source_j"] - device_j) * fe + device_j
    logic_j = e["logic_j"] * fe
    fmax = row["timing"]["fmax_mhz"] / delay_factor(target)
    return {"node": target, "logic_j": logic_j, "memory_j": memory_j, "random_source_j": source_j,
            "total_j": logic_j + memory_j + source_j, "logic_um2": row["area"]["logic_um2"] * area_factor(target),
            "memory_um2": row["memory_area_um2"] * area_factor(target), "fmax_mhz": fmax,
            "images_per_s_at_fmax": fmax * 1e6 / row["cycles_per_image"]}
