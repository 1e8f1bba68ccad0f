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
    What the golden ``mtj`` source simulates, and so what the row's accuracy
    is for: every stream has its own sMTJ biased to its P(1) and read once
    per stream index. A first-layer input line is one device; a weight
    stream is the gate of two devices (XNOR pairs for Btanh networks, AND
    pairs for OR networks: :class:`~mtjsc.behavioral_models.sources.MtjSource`),
    so a weight lives in its two devices' biases. What goes: the LFSR leaps,
    the comparators, the LFSR state and seed memories, and the threshold
    memories of the weights and pixels (and an OR network's sign memories),
    whose per-clock reads become static biases and wiring. What comes: L (n1 + 2 (H n1 + 10 n2)) device reads per image
    (the tied inputs at P = 0 or 1 included, so an upper bound), each the
    device's read energy plus the same read circuit, and the bias DAC.

    The bias DAC, and where it sits: one resistor-string DAC shared by the
    whole array makes the :data:`DAC_LEVELS` levels of the ``mtj`` source
    (levels unit resistors of :data:`DAC_UNIT_OHM` in series across the
    supply, always on: V^2 / (levels R) times the image's duration at the
    clock), and each device holds a static selection of its level (a
    ceil(log2 levels)-bit register and switch tree per device, written when
    the weights are loaded: leakage only while it runs, not costed here). A
    DAC per device, the other layout Shao et al. allow, would cost the
    ladder's power once per device and is not the one costed. The row's area
    is the lfsr design's: the devices, their read circuits and level
    registers are not in the library's area.

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
#: Bias levels of the shared DAC and devices per weight stream: the ``mtj`` source's (SmtjArray's 30
#: levels, Shao et al.'s about 30; a gate of two devices per weight).
DAC_LEVELS = 30
DEVICES_PER_WEIGHT = 2


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


def bias_dac_energy_j(seconds: float, levels: int = DAC_LEVELS) -> float:
    """The shared resistor-string bias DAC over ``seconds``: ``levels`` unit resistors across the supply."""
    from mtjsc.asic import library
    return library.supply_voltage() ** 2 / (levels * DAC_UNIT_OHM) * seconds


def bits_per_image(config, kind: str) -> int:
    """Random bits (``smtj-comparator``) or stream bits (``smtj-biased``) one image needs."""
    n1, n2 = config.fan_in
    if kind == "smtj-comparator":
        return config.L * (2 * n1 + n2) * config.sng_bits
    if kind == "smtj-biased":
        return config.L * (n1 + DEVICES_PER_WEIGHT * (config.hidden * n1 + 10 * n2))
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
    biased = kind == "smtj-biased"
    split = row["logic_leap_comparator_per_image_j"]
    removed_logic = split["leap"] + (split["comparator"] if biased else 0.0)
    # the LFSRs' memories go with either; the thresholds become static device biases with smtj-biased
    gone = ("_state", "_seed") + (("w0_q", "w1_q", "pixel_q", "w0_neg", "w1_neg") if biased else ())
    removed_memory = sum(m["energy_j"] for m in row["memory_rows"]
                         if m["name"].endswith(gone) or m["name"].startswith(gone))
    cfg = ScConfig(**{**row["config"], "K": tuple(row["config"]["K"])})
    n = bits_per_image(cfg, kind)
    per_bit = device_energy_j(period_s) + read_circuit_energy_j()
    dac = bias_dac_energy_j(row["cycles_per_image"] * clock_period_s) if biased else 0.0
    return {"sng": kind, "removed_logic_j": removed_logic, "removed_memory_j": removed_memory,
            "added_j": n * per_bit + dac, "device_energy_per_bit_j": device_energy_j(period_s),
            "read_circuit_energy_per_bit_j": read_circuit_energy_j(), "bits_per_image": n, "dac_j": dac}
