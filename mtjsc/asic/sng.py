"""The random-number sources of the SC accelerator as cost-model choices, each circuit stated once here.

``lfsr``
    What the RTL builds: per input lane one 32-bit Galois LFSR leaping B steps per
    stream index, its state and seed in memories, and a comparator ``[R < q]``
    per stream. Its cost is measured by the flow (the ``sng`` block: leaps and
    comparators; the ``sng_*_state``/``_seed`` memories).
``smtj-comparator`` (Daniels et al., Phys. Rev. Applied 13, 034016, 2020)
    The accelerator's ``entropy`` port fed by sMTJ bit cells: the comparators
    stay, the LFSR leaps and their state and seed memories go, and each random
    bit is one read of an sMTJ held at P = 1/2 (bias ``v_0``) by a read circuit:
    a pre-charge sense amplifier (six transistors, after Zhao et al., IEEE TCAS-I
    56, 2009) whose output is held in a latch. Per bit: the device's read energy
    from the project's model (:meth:`~mtjsc.behavioral_models.mtj.TelegraphMTJ.energy_per_bit`,
    V^2 G T) plus the library's ``LATCH`` energy per clock as the read circuit's
    (a stated stand-in: the library has no sense amplifier). Random bits per
    image: L (2 n1 + n2) B, the entropy source's count.
``smtj-biased`` (Shao et al., IEEE Magn. Lett. 2020)
    Every stream bit drawn from an sMTJ biased to its P(1): the LFSRs and their
    memories go; each stream bit is one device read at the bias its stream's
    B-bit threshold selects. Per stream bit: the device's read energy at that
    bias (taken at P = 1/2) plus the same read circuit. Stream bits per image:
    L (2 n1 + n2) (x and w for layer 0, w for layer 1).

    The bias DAC, and where it sits: one resistor-string DAC shared by the
    whole array makes the 2^B bias levels (2^B unit resistors of
    :data:`DAC_UNIT_OHM` in series across the supply, always on, so its
    energy per image is V^2 / (2^B R) times the image's duration at the
    clock), and each stream's device picks its level through a B-bit
    selection tree addressed by the stream's threshold code. The tree takes
    the comparator's place on the same threshold register, with the same B
    inputs, and is costed as the comparator it replaces (kept in the logic
    energy and area: a stated stand-in, the library has no analog switch).
    A DAC per stream, the other layout Shao et al. allow, would cost the
    ladder's power once per stream and is not the one costed.

The device's energy is for one read of :data:`READ_PERIOD_S` = 10 ns (the
``mtjsc mtj energy`` default); the default device (tau_c = 2.5 ms at P = 1/2)
is far slower than that, so the figure is for a nanosecond sMTJ with the same
resistance, as Daniels et al. assume, read by enough bit cells in parallel to
deliver the bits on time; the bits' correlation is not part of this cost.
"""

from __future__ import annotations

from mtjsc.asic import power
from mtjsc.behavioral_models.mtj import TelegraphMTJ
from mtjsc.config import ScConfig
from mtjsc.errors import MtjscError

KINDS = ("lfsr", "smtj-comparator", "smtj-biased")
PCSA_TRANSISTORS = 6
READ_PERIOD_S = 10e-9
#: Unit resistor of the shared bias DAC's string (a stated assumption: a 1 kOhm poly resistor).
DAC_UNIT_OHM = 1e3


def check_kind(kind: str, flag: str = "--sng") -> str:
    if kind not in KINDS:
        raise MtjscError(f"{flag} {kind!r} is not an SNG kind of the cost model; choose one of {', '.join(KINDS)}")
    return kind


def read_circuit_energy_j() -> float:
    """The library's LATCH per read: its clock pin's rise and fall, and its output toggling half the time."""
    cp = power.CellPower()
    load = cp.capacitance("INVX1", "A")
    return (2 * cp.input_energy("LATCH", "CLK") + 0.5 * cp.output_energy("LATCH", "Q", load)
            + 0.5 * cp.input_energy("LATCH", "D")) * 1e-12


def device_energy_j(period_s: float, device: TelegraphMTJ | None = None) -> float:
    d = device or TelegraphMTJ()
    return d.energy_per_bit(d.v_0, period_s)


def bias_dac_energy_j(sng_bits: int, seconds: float) -> float:
    """The shared resistor-string bias DAC over ``seconds``: 2^B unit resistors across the supply."""
    from mtjsc.asic import library
    return library.supply_voltage() ** 2 / ((1 << sng_bits) * DAC_UNIT_OHM) * seconds


def bits_per_image(config, kind: str) -> int:
    """Random bits (``smtj-comparator``) or stream bits (``smtj-biased``) one image needs."""
    n1, n2 = config.fan_in
    if kind == "smtj-comparator":
        return config.L * (2 * n1 + n2) * config.sng_bits
    if kind == "smtj-biased":
        return config.L * (2 * n1 + n2)
    return 0


def replace(row: dict, kind: str, *, clock_period_s: float, period_s: float = READ_PERIOD_S) -> dict:
    """An accelerator energy row (:func:`mtjsc.asic.accelerator.accelerator_energy`, lfsr) with its
    random-number source replaced by ``kind``: what goes, what comes, and the new totals.
    ``clock_period_s`` is the design's clock (the bias DAC is on for the whole image);
    ``period_s`` the sMTJ's read period."""
    check_kind(kind)
    if kind == "lfsr":
        return {"sng": "lfsr", "removed_logic_j": 0.0, "removed_memory_j": 0.0, "added_j": 0.0,
                "device_energy_per_bit_j": None, "bits_per_image": 0, "dac_j": 0.0}
    # the comparators stay: smtj-comparator compares sMTJ words, smtj-biased's selection trees take their place
    removed_logic = row["logic_leap_comparator_per_image_j"]["leap"]
    removed_memory = sum(m["energy_j"] for m in row["memory_rows"]
                         if m["name"].endswith(("_state", "_seed")))
    cfg = ScConfig(**{**row["config"], "K": tuple(row["config"]["K"])})
    n = bits_per_image(cfg, kind)
    per_bit = device_energy_j(period_s) + read_circuit_energy_j()
    dac = bias_dac_energy_j(cfg.sng_bits, row["cycles_per_image"] * clock_period_s) if kind == "smtj-biased" else 0.0
    return {"sng": kind, "removed_logic_j": removed_logic, "removed_memory_j": removed_memory,
            "added_j": n * per_bit + dac, "device_energy_per_bit_j": device_energy_j(period_s),
            "read_circuit_energy_per_bit_j": read_circuit_energy_j(), "bits_per_image": n, "dac_j": dac}
