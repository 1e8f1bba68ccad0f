"""A board clock other than the crystal's: the ECP5 PLL (``EHXPLLL``) and the search for its dividers.

The network's UART wants a clock that is a whole multiple of the baud rate: the ULX3S's 25 MHz gives
115,200 and 1,000,000 baud, but 3 Mbaud (the FT231X's fastest) needs a multiple of 3 MHz, such as
30 MHz (10 clocks a bit). :func:`pll_dividers` finds the dividers the way nextpnr's ``ecppll`` does:
the output is ``f_in / CLKI_DIV * CLKFB_DIV`` (feedback from CLKOP), the phase detector runs at
``f_in / CLKI_DIV`` >= 3.125 MHz and the VCO at ``f_out * CLKOP_DIV`` in 400..800 MHz (Lattice
TN1263, table 4: ECP5 sysCLOCK PLL limits).
"""

from __future__ import annotations

from dataclasses import dataclass

from amaranth import ClockDomain, ClockSignal, Elaboratable, Instance, Module, ResetSignal, Signal
from amaranth.lib import io

from mtjsc.errors import MtjscError
from mtjsc.validate import check_float

#: ECP5 PLL limits (MHz): phase-detector input, VCO range, output range.
PFD_MIN, VCO_MIN, VCO_MAX, OUT_MIN, OUT_MAX = 3.125, 400.0, 800.0, 3.125, 400.0


@dataclass(frozen=True)
class PllDividers:
    """The dividers of one ``EHXPLLL`` configuration (feedback from CLKOP)."""

    clki_div: int
    clkfb_div: int
    clkop_div: int

    def output_mhz(self, input_mhz: float) -> float:
        """The reference: the output frequency these dividers give for ``input_mhz``."""
        return input_mhz / self.clki_div * self.clkfb_div

    def vco_mhz(self, input_mhz: float) -> float:
        return self.output_mhz(input_mhz) * self.clkop_div

    @property
    def clkop_cphase(self) -> int:
        """Coarse phase for 0 degrees, as ``ecppll`` writes it."""
        return (self.clkop_div - 1) // 2


def needs_pll(clock_mhz: float | None, crystal_hz: float) -> bool:
    """Whether ``clock_mhz`` (None: the crystal's) asks for a clock the crystal does not give."""
    return clock_mhz is not None and abs(clock_mhz * 1e6 - crystal_hz) > 1


def pll_dividers(input_mhz: float, output_mhz: float, *, flag: str = "--clock-mhz") -> PllDividers:
    """The dividers that make ``output_mhz`` exactly (to 1 kHz) from ``input_mhz``, the VCO nearest
    600 MHz; an error naming ``flag`` with the nearest frequency the PLL can make when none does."""
    fin = check_float(input_mhz, "PLL input (MHz)", positive=True)
    fout = check_float(output_mhz, flag, positive=True)
    if not OUT_MIN <= fout <= OUT_MAX:
        raise MtjscError(f"{flag} {output_mhz:g}: the ECP5 PLL makes {OUT_MIN:g} to {OUT_MAX:g} MHz")
    best, nearest = None, None
    for idiv in range(1, 129):
        if fin / idiv < PFD_MIN:
            break
        for fbdiv in range(1, 81):
            got = fin / idiv * fbdiv
            for odiv in range(1, 129):
                if not VCO_MIN <= got * odiv <= VCO_MAX:
                    continue
                d = PllDividers(idiv, fbdiv, odiv)
                if nearest is None or abs(got - fout) < abs(nearest.output_mhz(fin) - fout):
                    nearest = d
                if abs(got - fout) < 1e-3 and (best is None or abs(got * odiv - 600) < abs(best.vco_mhz(fin) - 600)):
                    best = d
    if best is None:
        raise MtjscError(f"{flag} {output_mhz:g}: the ECP5 PLL cannot make it from {fin:g} MHz; the nearest is "
                         f"{nearest.output_mhz(fin):.4g} MHz")
    return best


class Ecp5Pll(Elaboratable):
    """The ``sync`` domain at ``output_mhz`` from the platform's default clock through an ``EHXPLLL``,
    held in reset until the PLL locks."""

    def __init__(self, *, output_mhz: float):
        self.output_mhz = check_float(output_mhz, "output_mhz", positive=True)

    def elaborate(self, platform):
        if platform is None:
            raise MtjscError("Ecp5Pll needs an ECP5 platform (a simulation uses the default clock)")
        m = Module()
        fin = platform.default_clk_frequency / 1e6
        d = pll_dividers(fin, self.output_mhz)
        m.submodules.clk_in = clk_in = io.Buffer("i", platform.request(platform.default_clk, dir="-"))
        clk_out, locked = Signal(), Signal()
        m.submodules.pll = Instance(
            "EHXPLLL",
            a_FREQUENCY_PIN_CLKI=f"{fin:g}", a_FREQUENCY_PIN_CLKOP=f"{d.output_mhz(fin):g}",
            a_ICP_CURRENT="12", a_LPF_RESISTOR="8", a_MFG_ENABLE_FILTEROPAMP="1", a_MFG_GMCREF_SEL="2",
            p_PLLRST_ENA="DISABLED", p_INTFB_WAKE="DISABLED", p_STDBY_ENABLE="DISABLED", p_DPHASE_SOURCE="DISABLED",
            p_OUTDIVIDER_MUXA="DIVA", p_OUTDIVIDER_MUXB="DIVB", p_OUTDIVIDER_MUXC="DIVC", p_OUTDIVIDER_MUXD="DIVD",
            p_CLKI_DIV=d.clki_div, p_CLKOP_ENABLE="ENABLED", p_CLKOP_DIV=d.clkop_div,
            p_CLKOP_CPHASE=d.clkop_cphase, p_CLKOP_FPHASE=0, p_FEEDBK_PATH="CLKOP", p_CLKFB_DIV=d.clkfb_div,
            i_RST=0, i_STDBY=0, i_CLKI=clk_in.i, o_CLKOP=clk_out, i_CLKFB=clk_out,
            i_PHASESEL0=0, i_PHASESEL1=0, i_PHASEDIR=1, i_PHASESTEP=1, i_PHASELOADREG=1, i_PLLWAKESYNC=0,
            i_ENCLKOP=0, o_LOCK=locked)
        m.domains.sync = ClockDomain("sync")
        # no clock constraint here: nextpnr derives the output's frequency from the PLL's parameters
        m.d.comb += [ClockSignal("sync").eq(clk_out), ResetSignal("sync").eq(~locked)]
        return m
