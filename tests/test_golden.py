"""The fast golden model against the deliberately simple per-bit reference."""

import numpy as np
import pytest

from mtjsc.behavioral_models import coding, golden
from mtjsc.behavioral_models.sources import make_source
from mtjsc.config import ScConfig
from mtjsc.errors import MtjscError
from reference_sc import ref_apc, ref_layer, ref_network


@pytest.mark.parametrize("kind", ["exact", "approx"])
def test_apc_count_matches_reference_exhaustively(kind):
    for n in range(1, 9):
        for v in range(1 << n):
            bits = [(v >> i) & 1 for i in range(n)]
            assert golden.apc_count(bits, kind) == ref_apc(bits, kind)


def test_apc_approx_known_values():
    # pairs (0,1) OR, (2,3) AND, last odd input direct
    assert golden.apc_count([1, 0, 1, 0, 1], "approx") == 2 * (1 + 0) + 1
    assert golden.apc_count([1, 1, 1, 1], "approx") == 2 * (1 + 1)
    assert golden.apc_count([0, 1, 0, 1], "approx") == 2 * (1 + 0)


def test_btanh_step_clamps_and_thresholds():
    assert golden.btanh_step(5, 10, 10, 12) == (11, True)     # 5 + 20 - 10 = 15 -> 11
    assert golden.btanh_step(5, 0, 10, 12) == (0, False)      # 5 - 10 -> 0
    assert golden.btanh_step(5, 5, 10, 12) == (5, False)      # stays below K/2 = 6
    assert golden.btanh_step(5, 6, 10, 12) == (7, True)


@pytest.mark.parametrize("n", [1, 2, 3, 8, 63, 64, 65, 127, 129, 130, 785])
@pytest.mark.parametrize("kind", ["exact", "approx"])
def test_btanh_layer_matches_per_bit_reference(n, kind):
    rng = np.random.default_rng(n)
    L, m = 12 if n > 200 else 40, 3
    x = rng.random((L, n)) < rng.random(n)
    w = rng.random((L, m, n)) < rng.random((m, n))
    for K in (2, 4, 2 * n + 2):
        counts, y = golden.btanh_layer(x, w, K, kind)
        rc, ry = ref_layer(x.tolist(), w.tolist(), K, kind)
        assert np.array_equal(counts, np.array(rc)) and np.array_equal(y, np.array(ry))
        assert counts.shape == (L, m) and y.dtype == bool


@pytest.mark.parametrize("source", ["ideal", "lfsr", "mtj", "mtj-pool"])
@pytest.mark.parametrize("kind", ["exact", "approx"])
def test_network_matches_reference_on_real_images(test_set, small_model, source, kind):
    ids = np.array([0, 1, 4242, 9999])
    px = test_set.pixels()[ids]
    src = make_source(source, seed=11)
    L = 20
    r = golden.run_network(small_model, px, source=src, L=L, apc=kind, image_ids=ids, record=True, workers=1)
    scores, hidden, outs = ref_network(small_model, px, ids, src, L, kind)
    assert np.array_equal(r.scores, scores)
    assert np.array_equal(r.classes, np.argmax(scores, axis=1))
    for u in range(len(ids)):
        assert np.array_equal(r.hidden_counts[u], np.array(hidden[u][0]))
        assert np.array_equal(r.hidden_bits[u], np.array(hidden[u][1]))
        assert np.array_equal(r.output_counts[u], np.array(outs[u]))


def test_network_matches_reference_with_shipped_model(test_set, shipped):
    model = shipped["L64"]
    ids = np.array([3])
    src = make_source("ideal", seed=0)
    r = golden.run_network(model, test_set.pixels()[ids], source=src, L=6, image_ids=ids, workers=1)
    scores, _, _ = ref_network(model, test_set.pixels()[ids], ids, src, 6, "exact")
    assert np.array_equal(r.scores, scores)


def test_results_do_not_depend_on_schedule(test_set, shipped):
    model = shipped["L64"]
    px = test_set.pixels()[:300]
    src = make_source("ideal", seed=2)
    a = golden.run_network(model, px, source=src, L=32, chunk=300, workers=1)
    b = golden.run_network(model, px, source=src, L=32, chunk=37, workers=2)
    sub = golden.run_network(model, px[[5, 250]], source=src, L=32, image_ids=[5, 250], workers=1)
    assert np.array_equal(a.scores, b.scores)
    assert np.array_equal(a.scores[[5, 250]], sub.scores)


def test_seeds_are_deterministic_and_distinct(test_set, shipped):
    model = shipped["L64"]
    px = test_set.pixels()[:50]
    r = [golden.run_network(model, px, source=make_source("ideal", seed=s), L=32, workers=1).scores
         for s in (1, 1, 2)]
    assert np.array_equal(r[0], r[1]) and not np.array_equal(r[0], r[2])


def test_bitwise_constant_streams(small_model):
    # all-black image with sym encoding: every pixel stream is constant 0, so counts are
    # fixed by the weight streams alone: c = number of weight zeros + bias weight bit.
    src = make_source("ideal", seed=0)
    streams = golden.NetworkStreams(small_model, src, 8)
    r = golden.run_network(small_model, np.zeros((1, 784)), source=src, L=8, streams=streams, record=True)
    w = streams.w_bits[0]                       # [L, m, 785]
    expect = (~w[:, :, :784]).sum(2) + w[:, :, 784]
    assert np.array_equal(r.hidden_counts[0], expect)


def test_pack_bits_layout():
    bits = np.zeros((2, 70), bool)
    bits[0, 0] = bits[0, 65] = bits[1, 63] = True
    w = coding.pack_bits(bits)
    assert w.shape == (2, 2) and w.dtype == np.uint64
    assert w[0].tolist() == [1, 2] and w[1].tolist() == [1 << 63, 0]


def test_bad_shapes_are_reported():
    with pytest.raises(MtjscError, match="x_bits must be bool"):
        golden.btanh_layer(np.zeros(5, bool), np.zeros((1, 1, 5), bool), 4)
    with pytest.raises(MtjscError, match=r"w_bits must be bool \[L=3, m, n=5\]"):
        golden.btanh_layer(np.zeros((3, 5), bool), np.zeros((3, 2, 4), bool), 4)
    with pytest.raises(MtjscError, match="K=3 must be a positive even"):
        golden.btanh_layer(np.zeros((3, 5), bool), np.zeros((3, 2, 5), bool), 3)
    with pytest.raises(MtjscError, match="unknown APC kind"):
        golden.btanh_layer(np.zeros((3, 5), bool), np.zeros((3, 2, 5), bool), 4, apc="fuzzy")


def test_run_network_bad_input(small_model):
    src = make_source("ideal", seed=0)
    with pytest.raises(MtjscError, match=r"pixels must be \[N, 784\]"):
        golden.run_network(small_model, np.zeros((2, 783)), source=src, L=4)
    with pytest.raises(MtjscError, match="L=0 must be an integer >= 1"):
        golden.run_network(small_model, np.zeros((2, 784)), source=src, L=0)
    with pytest.raises(MtjscError, match=r"pixels must lie in \[0, 1\]"):
        golden.run_network(small_model, np.full((2, 784), 2.0), source=src, L=4)


def test_classify_breaks_ties_to_the_lowest_index():
    scores = np.array([[3, 9, 9, 1, 0, 0, 0, 0, 0, 9],
                       [5, 5, 5, 5, 5, 5, 5, 5, 5, 5],
                       [0, 0, 0, 0, 0, 0, 0, 0, 2, 2],
                       [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]])
    assert golden.classify(scores).tolist() == [1, 0, 8, 9]


@pytest.mark.parametrize("source", ["ideal", "lfsr"])
def test_network_with_tied_scores_picks_the_lowest_tied_class(source, test_set):
    """Output rows 3..9 all +1 (score = L (ones of y + 1)), rows 0..2 +1 but -1 on the bias
    (score = L ones of y): 3..9 tie exactly on every image and beat 0..2 by exactly L, so the
    readout must answer 3 - not the last or a random tied index."""
    from mtjsc.model import ScModel
    rng = np.random.default_rng(0)
    w1 = rng.uniform(-1, 1, (16, 785))
    w2 = np.ones((10, 17))
    w2[:3, -1] = -1.0
    model = ScModel(w1=w1, w2=w2, encoding="sym", gain=(0.15, 0.15), K=(6, 6), target_L=32)
    r = golden.run_network(model, test_set.pixels()[:20], source=make_source(source, seed=0), L=32, workers=1)
    assert (r.scores[:, 3:] == r.scores[:, [3]]).all()          # a real seven-way tie
    assert (r.scores[:, 3] - r.scores[:, :3].max(axis=1) == 32).all()
    assert r.classes.tolist() == [3] * 20


# --- gaps the mutation score found (benchmarks/mutation_score.py) ----------------------------------------

@pytest.mark.parametrize("member", [0, 1])
def test_approx_network_with_one_member_of_each_pair_never_active(small_model, member):
    """Synthetic images whose pixels 2k + member are black (constant 0 streams) and the others random: the
    pair packing's live-word bookkeeping must still count every pair whose other member can be 1."""
    rng = np.random.default_rng(3)
    px = rng.random((3, 784))
    px[:, member::2] = 0.0
    px[1, 100:] = 0.0                       # and one image active in its first words only
    src = make_source("lfsr", seed=2)
    r = golden.run_network(small_model, px, source=src, L=12, apc="approx", workers=1)
    scores, _, _ = ref_network(small_model, px, np.arange(3), src, 12, "approx")
    assert np.array_equal(r.scores, scores)


def test_uint8_images_are_pixels_over_255(test_set, small_model):
    ids = np.array([7, 8])
    src = make_source("lfsr", seed=1)
    as_u8 = golden.run_network(small_model, test_set.images[ids], source=src, L=8, image_ids=ids, workers=1).scores
    as_float = golden.run_network(small_model, test_set.images[ids].reshape(2, -1) / 255.0, source=src, L=8,
                                  image_ids=ids, workers=1).scores
    assert np.array_equal(as_u8, as_float)


def test_bad_layer_shapes_and_mismatched_options_are_refused(small_model):
    x = np.zeros((4, 5), bool)
    with pytest.raises(MtjscError, match="shape"):
        golden.btanh_layer(x, np.zeros((4, 3, 6), bool), 4)            # fan-in 6 against 5 inputs
    with pytest.raises(MtjscError, match="shape"):
        golden.btanh_layer(x, np.zeros((4, 3, 4), bool), 4)            # fewer, too
    with pytest.raises(MtjscError, match="shape"):
        golden.btanh_layer(x, np.zeros((3, 3, 5), bool), 4)            # another L
    with pytest.raises(MtjscError, match="784"):
        golden.run_network(small_model, np.zeros((1, 785)), source=make_source("ideal"), L=4)
    cfg = ScConfig.from_model(small_model, L=8, apc="exact")
    with pytest.raises(MtjscError, match="apc"):
        golden.network_config(small_model, cfg, apc="approx")
    streams = golden.NetworkStreams(small_model, make_source("ideal"), config=cfg)
    approx = golden.NetworkStreams(small_model, make_source("ideal"), config=ScConfig.from_model(small_model, L=8,
                                                                                                   apc="approx"))
    for st, kw in ((streams, {"L": 16}), (streams, {"L": 4}), (streams, {"apc": "approx"}), (approx, {"apc": "exact"}),
                   (streams, {"config": ScConfig.from_model(small_model, L=16)})):
        with pytest.raises(MtjscError, match="streams were generated for another L, APC kind or config"):
            golden.run_network(small_model, np.zeros((1, 784)), source=make_source("ideal"), streams=st, **kw)


def test_or_network_path_equals_its_dense_reference(shipped, test_set):
    """run_network's OR-neuron path (packed words, skipped inputs) against or_network_on_bits, one image."""
    from mtjsc.behavioral_models import or_network
    from mtjsc.training import ornet
    model = shipped[ornet.SHIPPED]
    cfg = ScConfig.from_model(model, L=8)
    src = make_source("lfsr", seed=4, config=cfg)
    px = test_set.pixels()[[5]]
    res = golden.run_network(model, px, source=src, config=cfg, image_ids=[5], workers=1)
    x = src.input_bits([5], golden.input_probabilities(model, px), 8)[0]
    w = [src.weight_bits(layer, or_network.weight_probabilities(W), 8) for layer, W in enumerate(model.weights)]
    scores, _ = or_network.or_network_on_bits(x, w, (model.w1 < 0, model.w2 < 0), cfg)
    assert np.array_equal(scores, res.scores[0])
