import numpy as np
import pytest

from mtjsc.config import ScConfig, k_for_gain
from mtjsc.errors import MtjscError
from mtjsc.model import ScModel, load_named, shipped_for_length


@pytest.mark.parametrize("kw, match", [
    ({"L": 0, "K": (156, 26)}, "L=0 must be an integer >= 1"),
    ({"L": 16, "K": (7, 2)}, r"K\[0\]=7 must be a positive even integer"),
    ({"L": 16, "K": (0, 2)}, r"K\[0\]=0 must be a positive even integer"),
    ({"L": 16, "K": (236, 26), "encoding": "polar"}, "unknown input encoding 'polar'"),
    ({"L": 16, "K": (236, 26), "apc": "fast"}, "unknown APC kind 'fast'"),
    ({"L": 16, "K": (236, 26), "sng_bits": 0}, "B=0 must be an integer in 1..32"),
    ({"L": 16, "K": (236, 26), "sng_bits": 33}, "B=33 must be an integer in 1..32"),
    ({"L": 16, "K": (236, 26), "sng_bits": 12, "lfsr_width": 8}, "lfsr_width=8 must be an integer in 12..32"),
    ({"L": 16, "K": (236, 26), "parallel_neurons": 129}, "parallel_neurons P=129 must be an integer in 0..128"),
    ({"L": 16, "K": (236, 26), "parallel_neurons": -1}, "parallel_neurons P=-1"),
    ({"L": 16, "K": (236, 26), "input_lanes": 786}, "input_lanes W=786 must be an integer in 0..785"),
    ({"L": 16, "K": (236, 26), "hidden": 0}, "hidden=0 must be an integer >= 1"),
    ({"L": 16, "K": (236,)}, "one Btanh size per layer"),
])
def test_config_rejects_bad_values(kw, match):
    with pytest.raises(MtjscError, match=match):
        ScConfig(**kw)


def test_config_is_frozen_and_validated_on_copy():
    c = ScConfig(L=64, K=(156, 26))
    with pytest.raises(Exception):
        c.L = 3
    assert c.with_(L=128).L == 128
    with pytest.raises(MtjscError):
        c.with_(K=(3, 4))


def test_config_from_model(shipped):
    m = shipped["L256"]
    c = ScConfig.from_model(m, L=256, apc="approx", parallel_neurons=16, input_lanes=50)
    assert (c.K, c.encoding, c.hidden, c.apc, c.L) == (m.K, m.encoding, 128, "approx", 256)
    assert c.fan_in == (785, 129) and c.neurons_in_parallel == 16 and c.lanes == 50
    assert ScConfig.from_model(m, L=64).neurons_in_parallel == 128
    with pytest.raises(MtjscError, match=r"K=\(2, 2\) disagrees with the model"):
        ScConfig.from_model(m, L=256, K=(2, 2))
    with pytest.raises(MtjscError, match="encoding='unit' disagrees"):
        ScConfig.from_model(m, L=256, encoding="unit")


def test_k_for_gain_is_even():
    assert k_for_gain(785, 0.15) == 236
    assert k_for_gain(785, 1.0) == 1570
    assert all(k_for_gain(n, g) % 2 == 0 for n in (3, 129, 785) for g in (0.01, 0.1, 0.33, 1.0))


def test_model_roundtrip(tmp_path, small_model):
    p = small_model.save(tmp_path / "m.npz")
    m = ScModel.load(p)
    assert np.array_equal(m.w1, small_model.w1) and np.array_equal(m.w2, small_model.w2)
    assert (m.K, m.encoding, m.target_L) == (small_model.K, small_model.encoding, small_model.target_L)


def _write(tmp_path, **arrays):
    p = tmp_path / "bad.npz"
    np.savez(p, **arrays)
    return p


def _valid_arrays(model):
    return dict(format_version=1, w1=model.w1, w2=model.w2, encoding="sym", gain=[0.1, 0.1], K=[236, 6],
                target_L=64, seed=0, beta=1.0, float_accuracy=0.5, provenance="{}")


def test_model_missing_key(tmp_path, small_model):
    a = _valid_arrays(small_model)
    del a["K"]
    with pytest.raises(MtjscError, match=r"lacks keys \['K'\]"):
        ScModel.load(_write(tmp_path, **a))


def test_model_extra_key(tmp_path, small_model):
    a = _valid_arrays(small_model)
    a["bias"] = np.zeros(3)
    with pytest.raises(MtjscError, match=r"unexpected keys \['bias'\]"):
        ScModel.load(_write(tmp_path, **a))


@pytest.mark.parametrize("change, match", [
    (lambda a: a["w1"].__setitem__((3, 4), 1.5), r"w1\[3, 4\] = 1.5 lies outside \[-1, 1\]"),
    (lambda a: a["w2"].__setitem__((0, 0), np.nan), r"w2\[0, 0\] is nan"),
    (lambda a: a.__setitem__("w1", a["w1"][:, :700]), "fan-in must be 785"),
    (lambda a: a.__setitem__("w2", a["w2"][:, :5]), r"expected \(10, 17\)"),
    (lambda a: a.__setitem__("K", [235, 6]), r"K\[0\]=235 must be a positive even integer"),
    (lambda a: a.__setitem__("encoding", "bits"), "unknown input encoding 'bits'"),
])
def test_model_bad_values(tmp_path, small_model, change, match):
    a = _valid_arrays(small_model)
    a["w1"], a["w2"] = a["w1"].copy(), a["w2"].copy()
    change(a)
    with pytest.raises(MtjscError, match=match):
        ScModel.load(_write(tmp_path, **a))


def test_model_not_a_file(tmp_path):
    with pytest.raises(MtjscError, match="does not exist"):
        ScModel.load(tmp_path / "none.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(MtjscError, match="not a readable .npz"):
        ScModel.load(tmp_path / "junk.npz")


def test_shipped_models_are_valid_and_picked_per_length(shipped):
    assert {"L64", "L256", "L1024", "paper"} <= set(shipped)
    for name, m in shipped.items():
        assert np.abs(m.w1).max() <= 1 and np.abs(m.w2).max() <= 1
        assert m.provenance["data_sha256"], name
    assert shipped["paper"].encoding == "unit" and shipped["paper"].K[0] == 1570
    for L, name in [(32, "L64"), (64, "L64"), (128, "L64"), (256, "L256"), (512, "L256"), (1024, "L1024"),
                    (4096, "L1024")]:
        assert shipped_for_length(L)[0] == name, L
        assert shipped[name].target_L == int(name[1:])


def test_load_named_unknown():
    with pytest.raises(MtjscError, match="neither a file nor a shipped model"):
        load_named("nonesuch")


def test_output_is_atomic(tmp_path):
    from mtjsc.output import atomic_path, write_text
    target = tmp_path / "sub" / "r.json"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert not target.exists() and list((tmp_path / "sub").iterdir()) == []
    write_text(target, "{}")
    assert target.read_text() == "{}" and [p.name for p in (tmp_path / "sub").iterdir()] == ["r.json"]


def test_model_save_writes_exactly_the_given_name(tmp_path, small_model):
    p = small_model.save(tmp_path / "model-without-suffix")
    assert p.exists() and [f.name for f in tmp_path.iterdir()] == ["model-without-suffix"]
    assert ScModel.load(p).K == small_model.K


def test_float_accuracy_is_recomputed_and_matches_the_record(shipped, test_set):
    """`eval` prints the float accuracy it computes on the evaluated images; on the full test set it
    equals what training recorded (same activation from the provenance)."""
    from mtjsc.evaluate import float_accuracy_of
    for name, m in shipped.items():
        full = float_accuracy_of(m, test_set.pixels(), test_set.labels)
        assert full == pytest.approx(m.float_accuracy, abs=1e-12), name
    part = float_accuracy_of(shipped["L256"], test_set.pixels()[:100], test_set.labels[:100])
    assert part * 100 == round(part * 100)          # a fraction of 100 images, not the 10k record
