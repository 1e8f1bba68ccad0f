"""The node scaling of the standard-cell figures (Stillmaker and Baas 2017) and the report's text built from
the rows: what scales how, by hand-worked factors, and the findings' numbers taken from the rows."""

import pytest

from mtjsc.asic import memory, scaling
from mtjsc.errors import MtjscError


def test_factors_equal_the_published_equations_worked_by_hand():
    # energy at 180 nm, 1.8 V: 24.64 * 1.8 - 17.98 = 26.372; HP 45 nm, 1.0 V: 1.018 - 0.3107 + 0.1539 = 0.8612
    assert scaling.energy_factor("45nm") == pytest.approx(0.8612 / 26.372)
    # delay at 180 nm: 97.09 * 1.8^2 - 356.7 * 1.8 + 406.5 = 79.0116; HP 45 nm: -501.6 + 1567 - 1619 + 566.1 = 12.5
    assert scaling.delay_factor("45nm") == pytest.approx(12.5 / 79.0116)
    assert scaling.area_factor("7nm") == pytest.approx(0.0032) and scaling.area_factor("7nm", "45nm") == pytest.approx(0.0032 / 0.053)
    # each step down a node costs less energy and delay
    assert 1 > scaling.energy_factor("45nm") > scaling.energy_factor("7nm") > 0
    assert 1 > scaling.delay_factor("45nm") > scaling.delay_factor("7nm") > 0
    assert scaling.energy_factor("7nm") == pytest.approx(scaling.energy_factor("45nm") * scaling.energy_factor("7nm", "45nm"))
    with pytest.raises(MtjscError, match="node '28nm': the scaling table has 180nm, 45nm, 7nm"):
        scaling.energy_factor("28nm")


def _row(sng="smtj-comparator", logic=1e-6, mem=16e-6, source=2e-9, device_bit=1e-15, bits=1000):
    return {"design": "SC L=64 exact", "sng": sng, "L": 64, "apc": "exact", "accuracy": 0.97, "accuracy_images": 500,
            "cycles_per_image": 1000, "area": {"logic_um2": 1e6, "cell_count": 100, "blocks_um2": {"sng": 3e5}},
            "memory_area_um2": 2e6,
            "netlist_logic_split_j": {"switching_j": logic / 2, "internal_j": logic / 2, "leakage_j": 0.0},
            "cross_check": {"activity": 0.3, "library_tables_j": 1e-12, "opensta_j": 2e-12, "difference": -0.5},
            "timing": {"fmax_mhz": 10.0}, "images_per_s_at_fmax": 1e4,
            "energy": {"logic_j": logic, "memory_j": mem, "random_source_j": source, "total_j": logic + mem + source,
                       "per_synapse_bit_j": 1e-12, "blocks_j": {}},
            "replacement": {"device_energy_per_bit_j": device_bit, "read_circuit_energy_per_bit_j": 1e-15,
                            "bits_per_image": bits, "removed_logic_j": 1e-7, "removed_memory_j": 2e-6,
                            "added_j": source, "dac_j": 0.0}}


def test_scale_row_scales_logic_and_circuits_keeps_the_device_and_takes_memory_from_45nm():
    r = _row()
    x = scaling.scale_row(r, "45nm")
    fe = scaling.energy_factor("45nm")
    assert x["logic_j"] == pytest.approx(1e-6 * fe)
    assert x["memory_j"] == pytest.approx(16e-6 / memory.SCALE_TO_018)          # Horowitz's own 45 nm figure
    device = 1e-15 * 1000
    assert x["random_source_j"] == pytest.approx((2e-9 - device) * fe + device)
    assert x["total_j"] == pytest.approx(x["logic_j"] + x["memory_j"] + x["random_source_j"])
    assert x["fmax_mhz"] == pytest.approx(10 / scaling.delay_factor("45nm"))
    assert x["images_per_s_at_fmax"] == pytest.approx(x["fmax_mhz"] * 1e6 / 1000)
    y = scaling.scale_row(r, "7nm")
    assert y["memory_j"] == pytest.approx(x["memory_j"] * scaling.energy_factor("7nm", "45nm"))
    assert y["total_j"] < x["total_j"] and y["logic_um2"] < x["logic_um2"]


def test_findings_take_their_numbers_from_the_rows():
    from mtjsc.studies.asic import designs_markdown
    lfsr = _row("lfsr", source=0.0, mem=18e-6)
    lfsr["replacement"] = {"device_energy_per_bit_j": None, "bits_per_image": 0, "dac_j": 0.0}
    comp = _row()
    biased = _row("smtj-biased")
    biased["replacement"]["dac_j"] = 5e-9
    binary = {**_row("-", source=0.0, mem=1e-6, logic=1e-7), "design": "binary 8/8", "accuracy": 0.9877}
    binary.pop("replacement")
    res = {"library": "OSU", "clock_mhz": 10.0, "parallel": 16, "lanes": 16, "gate_level_images": 2,
           "rows": [lfsr, comp, biased, binary], "memory_model": "m",
           "published": {"shao_lfsr_bit_j": 10e-15, "shao_mtj_bit_j": 20e-15, "daniels_inference_j": 70e-9,
                         "kim_energy_saving": 0.70}}
    text = designs_markdown(res, {"lfsr_energy_per_bit_j": 10.6e-12})
    total = {r["sng"]: r["energy"]["total_j"] for r in res["rows"]}
    ratio_lo = min(total[k] for k in ("smtj-comparator", "smtj-biased")) / total["-"]
    assert f"costs {ratio_lo:.1f} to {total['lfsr'] / total['-']:.1f} times binary 8/8" in text
    assert "no SC row beats it on energy" in text
    assert f"{100 * (1 - total['smtj-comparator'] / total['lfsr']):.0f} % of the design" in text
    assert "and the shared bias DAC 5.0 nJ" in text and "What the sMTJ removes in SC L=64 exact" in text
    assert "10,600 fJ per bit at 0.18 um" in text and "Scaled, not measured" in text
    # three rows in the measured and in the scaled table, and the netlist once in the power table
    assert text.count("| SC L=64 exact |") == 7
