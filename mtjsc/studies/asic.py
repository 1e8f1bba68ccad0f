"""The standard-cell flow checked on blocks whose toggles are known: area, timing, power, energy.

``validation(...) -> dict`` runs :class:`~mtjsc.asic.validation.FreeCounter` and
:class:`~mtjsc.asic.validation.FreeLfsr` through the whole flow (OSU 0.18 um
synthesis, gate-level Verilator toggles, OpenSTA), compares the simulated
toggles of every register bit with the reference count, and compares the
power from every net's simulated activity with OpenSTA's own propagation from
its global activity set to the simulated mean.

This OpenSTA (Debian's 2019 build) ignores per-pin activity in ``report_power``:
on the counter, every net annotated with its simulated rate, every net at
0.9, or no annotation give the same total, while ``set_power_activity
-global`` changes it. So the power here is OpenSTA's at one global activity,
the mean of the simulated per-net rates, not a per-net figure.
"""

from __future__ import annotations

from mtjsc.asic import activity, flow, library, validation as blocks
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
    want = sorted(component.reference_toggles(cycles), reverse=True)
    driven = [r for n, r in rates.items() if n in net.drivers]
    mean = sum(driven) / len(driven)
    full = flow.sta(net, period_ns=period_ns, default_activity=mean, component=component)
    total_got, total_want = sum(got), sum(want)
    e_clock = full["power_w"]["total"] * period_ns * 1e-9
    return {"block": name, "cycles": cycles, "area": flow.area(net, component),
            "register_toggles": {"simulated": got, "reference": want,
                                 "total_error": (total_got - total_want) / total_want if total_want else 0.0},
            "timing": {k: full[k] for k in ("critical_ns", "fmax_mhz")},
            "mean_activity": mean, "power_w": full["power_w"], "energy_per_clock_j": e_clock}


def validation(*, cycles: int = 4096, clock_mhz: float = 100.0, lfsr_width: int = 32, cache_root=None) -> dict:
    """The counter and the LFSR through the flow at ``clock_mhz``; the LFSR's energy per random bit."""
    period = flow.check_period(1000.0 / clock_mhz if clock_mhz else 0)
    rows = [validate_block(blocks.FreeCounter(width=8), "free_counter8", cycles=cycles, period_ns=period,
                           cache_root=cache_root),
            validate_block(blocks.FreeLfsr(width=lfsr_width, seed=12345), f"free_lfsr{lfsr_width}", cycles=cycles,
                           period_ns=period, cache_root=cache_root)]
    # the LFSR gives one new random bit per clock (B = 1): its energy per clock is its energy per bit
    lfsr_bit = rows[1]["energy_per_clock_j"]
    return {"library": "OSU 0.18 um (osu018_stdcells, typical, 1.8 V)", "supply_v": library.supply_voltage(),
            "clock_mhz": clock_mhz, "blocks": rows, "lfsr_energy_per_bit_j": lfsr_bit,
            "published_lfsr_energy_per_bit_j": 10e-15,
            "published_source": "Shao et al., IEEE Magn. Lett. 2020, after Daniels et al. 2020: about 10 fJ per LFSR bit"}


def markdown(res: dict) -> str:
    lines = [f"Standard-cell flow validation: {res['library']}, clock {res['clock_mhz']:g} MHz.", "",
             "| block | cells | area (um^2) | register toggles simulated / reference | error | Fmax | power (uW) | "
             "mean simulated activity | energy per clock |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for b in res["blocks"]:
        t = b["register_toggles"]
        lines.append(f"| {b['block']} | {b['area']['cell_count']} | {b['area']['logic_um2']:,.0f} | "
                     f"{sum(t['simulated']):,} / {sum(t['reference']):,} | {100 * t['total_error']:+.2f} % | "
                     f"{b['timing']['fmax_mhz']:.0f} MHz | {1e6 * b['power_w']['total']:.1f} | "
                     f"{b['mean_activity']:.3f} | {1e12 * b['energy_per_clock_j']:.3f} pJ |")
    lines += ["", "Power: OpenSTA at one global activity, the mean of the simulated per-net rates (this OpenSTA "
              "ignores per-pin activity in report_power).", "", f"Energy per random bit of the {res['blocks'][1]['block']} LFSR (one bit per clock): "
              f"{1e15 * res['lfsr_energy_per_bit_j']:,.0f} fJ at 0.18 um and {res['supply_v']:g} V, against about "
              f"{1e15 * res['published_lfsr_energy_per_bit_j']:.0f} fJ in {res['published_source']}."]
    return "\n".join(lines) + "\n"
