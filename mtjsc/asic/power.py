"""Energy per clock from each net's simulated toggles and the library's own tables.

OpenSTA's ``report_power`` in the installed build takes one global activity
(it ignores per-pin annotation), so the per-net figure is computed here from
the same Liberty file, net by net:

- switching: ``1/2 C V^2`` per transition, C the sum of the input-pin
  capacitances the net drives (no wire capacitance: there is no layout);
- internal energy of the driving output pin per transition, from its
  ``internal_power`` tables at the net's load, averaged over rise and fall
  and over the related input pins;
- internal energy of every driven input pin per transition (passive tables:
  a flip-flop's ``D`` and ``CLK``);
- the clock toggles twice per cycle; leakage is the cells'
  ``cell_leakage_power`` for one period.

Every table is read at one input transition time, :data:`SLEW_NS` (the
library's smallest characterised slew is 0.06 ns).
"""

from __future__ import annotations

from mtjsc.asic import flow, liberty, library
from mtjsc.errors import MtjscError

SLEW_NS = 0.1


class CellPower:
    """Per-pin capacitances and energies of the library's cells (pF, pJ, nW)."""

    def __init__(self):
        lib = liberty.load(str(library.liberty_path()))
        self.templates = liberty.templates(lib)
        self.voltage = library.supply_voltage()
        self.cells = {c.args[0]: c for c in lib.all("cell")}

    def _cell(self, cell: str):
        try:
            return self.cells[cell]
        except KeyError:
            raise MtjscError(f"cell {cell} is not in {library.LIBERTY}") from None

    def capacitance(self, cell: str, pin: str) -> float:
        p = self._cell(cell).one("pin", pin)
        return float(p.attrs.get("capacitance", 0.0)) if p is not None else 0.0

    def leakage_nw(self, cell: str) -> float:
        return float(self._cell(cell).attrs.get("cell_leakage_power", 0.0))

    def _energy(self, group, load_pf: float) -> float:
        es = [liberty.lookup(t, self.templates, total_output_net_capacitance=load_pf, input_transition_time=SLEW_NS)
              for t in (group.one("rise_power"), group.one("fall_power")) if t is not None]
        return sum(es) / len(es) if es else 0.0

    def output_energy(self, cell: str, pin: str, load_pf: float) -> float:
        """Internal energy of one transition of output ``pin`` driving ``load_pf`` (pJ)."""
        p = self._cell(cell).one("pin", pin)
        groups = p.all("internal_power") if p is not None else []
        return sum(self._energy(g, load_pf) for g in groups) / len(groups) if groups else 0.0

    def input_energy(self, cell: str, pin: str) -> float:
        """Internal energy of one transition of input ``pin`` (pJ; rise and fall averaged)."""
        p = self._cell(cell).one("pin", pin)
        groups = p.all("internal_power") if p is not None else []
        return sum(self._energy(g, 0.0) for g in groups) if groups else 0.0


def energy_per_clock(net: flow.Netlist, rates: dict, *, period_ns: float, clock: str = "clk",
                     component=None, top_block: str = "control") -> dict:
    """Energy per clock (J) from ``rates`` (net -> transitions per clock): switching, internal,
    leakage and their total, and the total per block (a net's energy goes to its driver's block;
    input-pin energy to the load's)."""
    period_ns = flow.check_period(period_ns)
    cp = CellPower()
    V2 = cp.voltage ** 2
    sw = internal = 0.0
    per_inst = {}

    def add(inst, e):
        per_inst[inst] = per_inst.get(inst, 0.0) + e

    nets = set(net.loads) | set(net.drivers)
    for n in nets:
        rate = 2.0 if n == clock else rates.get(n, 0.0)
        if rate == 0.0:
            continue
        loads = net.loads.get(n, [])
        cap = sum(cp.capacitance(net.instances[i], pin) for i, pin in (x.split("/") for x in loads))
        e_sw = rate * 0.5 * cap * V2
        drv = net.drivers.get(n)
        e_out = 0.0
        if drv is not None:
            inst, pin = drv.split("/")
            e_out = rate * cp.output_energy(net.instances[inst], pin, cap)
            add(inst, e_sw + e_out)
        else:                                # a primary input: its switching counts as the top's
            add("", e_sw)
        sw += e_sw
        internal += e_out
        for i, pin in (x.split("/") for x in loads):
            e_in = rate * cp.input_energy(net.instances[i], pin)
            internal += e_in
            add(i, e_in)
    leak = 0.0
    for inst, cell in net.instances.items():
        if cell == "MTJSC_MEM":
            continue
        e = cp.leakage_nw(cell) * 1e-9 * period_ns * 1e-9 * 1e12     # pJ
        leak += e
        add(inst, e)
    pj = 1e-12
    blocks = {}
    for inst, e in per_inst.items():
        b = flow.block_of(inst, component, top_block) if inst else top_block
        blocks[b] = blocks.get(b, 0.0) + e * pj
    return {"switching_j": sw * pj, "internal_j": internal * pj, "leakage_j": leak * pj,
            "total_j": (sw + internal + leak) * pj, "blocks_j": blocks,
            "instances_j": {k: v * pj for k, v in per_inst.items()}, "slew_ns": SLEW_NS, "period_ns": period_ns}


def rates_detail(net, rates: dict, *, period_ns: float, component=None) -> dict:
    """What per-net ``rates`` (transitions per clock) say about ``net``: ``energy`` per clock
    (:func:`energy_per_clock`), the ``mean_activity`` of the driven nets, OpenSTA's report at that
    activity (``sta``: timing and power), and the ``cross_check`` of the library tables against it with
    every net at that activity. The one computation of the validation blocks and the gate-level designs."""
    driven = [r for n, r in rates.items() if n in net.drivers]
    mean = sum(driven) / len(driven)
    sta = flow.sta(net, period_ns=period_ns, default_activity=mean, component=component)
    uniform = energy_per_clock(net, {n: mean for n in set(net.loads) | set(net.drivers)},
                               period_ns=period_ns, component=component)["total_j"]
    sta_j = sta["power_w"]["total"] * period_ns * 1e-9
    return {"energy": energy_per_clock(net, rates, period_ns=period_ns, component=component),
            "mean_activity": mean, "sta": sta,
            "cross_check": {"activity": mean, "library_tables_j": uniform, "opensta_j": sta_j,
                            "difference": uniform / sta_j - 1.0}}
