"""Property-based tests (hypothesis) of the golden model's invariants.

Each property holds for every input the strategy can draw, not only for the images and configurations
the co-simulations run. Examples are few per property (the suite's budget); the database is off so a
run does not depend on an earlier one, and the seed is fixed (``derandomize``) so CI sees the same draws.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mtjsc.behavioral_models import coding, golden, lfsr
from mtjsc.behavioral_models.sources import make_source
from mtjsc.config import ScConfig
from mtjsc.errors import MtjscError

PROPERTY = settings(max_examples=40, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
SLOWER = settings(PROPERTY, max_examples=8)

bits_vectors = st.integers(1, 70).flatmap(lambda n: st.lists(st.booleans(), min_size=n, max_size=n))


# --- APC and Btanh ------------------------------------------------------------------------------------

@PROPERTY
@given(bits=bits_vectors, kind=st.sampled_from(["exact", "approx"]))
def test_apc_count_stays_in_0_to_n_and_is_a_sum_over_pairs(bits, kind):
    """Counts lie in [0, n]; the approx count is the sum of each pair's count alone (the contract's
    pair-gate formula is additive, which the formal proofs of the RTL rely on)."""
    n = len(bits)
    c = golden.apc_count(bits, kind)
    assert 0 <= c <= n
    exact = golden.apc_count(bits, "exact")
    assert exact == sum(bits)
    alone = 0
    for k in range(0, n, 2):
        one = [False] * n
        one[k:k + 2] = bits[k:k + 2]
        alone += golden.apc_count(one, kind)
    assert c == alone
    if kind == "approx":
        assert c % 2 == (bits[-1] if n % 2 else 0)       # doubled gates, the odd last input as its LSB


@PROPERTY
@given(K=st.integers(1, 40).map(lambda h: 2 * h), n=st.integers(1, 50), data=st.data())
def test_btanh_is_monotone_in_the_counts_and_stays_in_range(K, n, data):
    """Raising any count at any t never lowers any output bit; every state stays in [0, K-1]."""
    L = data.draw(st.integers(1, 40))
    c = np.array(data.draw(st.lists(st.integers(0, n), min_size=L, max_size=L)))
    bump = np.array(data.draw(st.lists(st.integers(0, n), min_size=L, max_size=L)))
    higher = np.minimum(n, c + bump)
    y, y_hi = golden.btanh_run(c, n, K), golden.btanh_run(higher, n, K)
    assert (y_hi >= y).all()
    s = K // 2
    for t in range(L):                           # the step function, state by state
        s, out = golden.btanh_step(s, int(c[t]), n, K)
        assert 0 <= s <= K - 1 and out == y[t]


@PROPERTY
@given(K=st.sampled_from([2, 6, 16]), shape=st.lists(st.integers(1, 4), min_size=0, max_size=3),
       L=st.integers(1, 12), seed=st.integers(0, 2 ** 16))
def test_btanh_run_takes_every_shape_its_docstring_names(K, shape, L, seed):
    """counts [L, ...]: [L] alone included (it raised a TypeError before), each column as if run alone."""
    n = 5
    counts = np.random.default_rng(seed).integers(0, n + 1, (L, *shape))
    y = golden.btanh_run(counts, n, K)
    assert y.shape == counts.shape and y.dtype == bool
    flat = counts.reshape(L, -1)
    for j in range(flat.shape[1]):
        assert np.array_equal(golden.btanh_run(flat[:, j], n, K), y.reshape(L, -1)[:, j])


def test_btanh_run_rejects_a_scalar_with_the_shape_it_needs():
    with pytest.raises(MtjscError, match=r"counts must be shaped \[L, \.\.\.\]"):
        golden.btanh_run(np.int64(3), 4, 4)


# --- LFSR and coding ----------------------------------------------------------------------------------

@PROPERTY
@given(width=st.integers(4, 32), data=st.data())
def test_lfsr_step_is_linear_and_leap_is_b_steps(width, data):
    """A Galois step is linear over GF(2) (step(a ^ b) = step(a) ^ step(b)): the formal proof of the RTL
    leap builds its specification from the golden step of each basis state on that ground."""
    a = data.draw(st.integers(1, (1 << width) - 1))
    b = data.draw(st.integers(1, (1 << width) - 1))
    B = data.draw(st.integers(1, width))
    assert lfsr.step(a ^ b, width) == lfsr.step(a, width) ^ lfsr.step(b, width)
    s = a
    for _ in range(B):
        s = lfsr.step(s, width)
    assert lfsr.leap(a, width, B) == s
    assert lfsr.leap_states(np.array([a], np.uint64), width, B)[0] == s


@PROPERTY
@given(bits=st.integers(1, 12), p=st.lists(st.floats(0, 1), min_size=1, max_size=30))
def test_sng_threshold_is_in_range_and_constant_streams_are_the_ends(bits, p):
    q = lfsr.sng_threshold(p, bits)
    assert ((0 <= q) & (q <= 1 << bits)).all()
    assert (q[np.asarray(p) == 0.0] == 0).all() and (q[np.asarray(p) == 1.0] == 1 << bits).all()


@PROPERTY
@given(n=st.integers(1, 200), rows=st.integers(1, 3), seed=st.integers(0, 2 ** 16))
def test_pack_bits_keeps_every_bit(n, rows, seed):
    bits = np.random.default_rng(seed).random((rows, n)) < 0.5
    packed = coding.pack_bits(bits)
    assert packed.shape[-1] == coding.n_words(n)
    unpacked = np.unpackbits(packed.view(np.uint8), axis=-1, bitorder="little")[..., :n].astype(bool)
    assert np.array_equal(unpacked, bits)


# --- the network ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def images(test_set):
    return test_set.pixels()[:12]


@SLOWER
@given(chunk=st.integers(1, 12), workers=st.sampled_from([1, 2]), source=st.sampled_from(["lfsr", "ideal", "entropy"]),
       subset=st.lists(st.integers(0, 11), min_size=1, max_size=5, unique=True))
def test_scores_do_not_depend_on_chunking_workers_or_the_image_subset(small_model, images, chunk, workers, source,
                                                                      subset):
    kw = dict(source=make_source(source, seed=3, **({"hidden": 16} if source == "entropy" else {})), L=16)
    full = golden.run_network(small_model, images, workers=1, **kw).scores
    again = golden.run_network(small_model, images, chunk=chunk, workers=workers, **kw).scores
    assert np.array_equal(full, again)
    ids = np.array(sorted(subset))
    part = golden.run_network(small_model, images[ids], image_ids=ids, workers=1, **kw).scores
    assert np.array_equal(part, full[ids])


@SLOWER
@given(P=st.integers(1, 16), W=st.integers(1, 40), apc=st.sampled_from(["exact", "approx"]), image=st.integers(0, 11))
def test_parallelism_and_lanes_do_not_change_the_scores(small_model, images, P, W, apc, image):
    """The core's reference at any (P, W) equals the golden network: P and W are schedule, not arithmetic."""
    from mtjsc.hdl.core import ScMlpCore
    cfg = ScConfig.from_model(small_model, L=16, apc=apc, parallel_neurons=P, input_lanes=W)
    src = make_source("lfsr", seed=1, config=cfg)
    want = golden.run_network(small_model, images[image:image + 1], source=src, config=cfg, workers=1,
                              image_ids=[image]).scores[0]
    p = golden.input_probabilities(small_model, images[image:image + 1])
    x = src.input_bits([image], p, 16)[0]
    w = tuple(src.weight_bits(i, golden.weight_probabilities(small_model, wl), 16)
              for i, wl in enumerate(small_model.weights))
    got = ScMlpCore(config=cfg).reference(x, w)
    assert np.array_equal(got["scores"], want)
    assert 0 <= got["cls"] < 10 and got["scores"][got["cls"]] == want.max()


@PROPERTY
@given(shape=st.sampled_from([(784,), (3, 784), (2, 28, 28), (783,), (2, 785), (5,)]))
def test_input_probabilities_take_the_documented_shapes_or_say_which(small_model, shape):
    """Pixels [N, 784] or uint8 images [N, 28, 28]: probabilities [N, 785] (bias last); anything else is refused
    with the shape it needs."""
    pixels = np.full(shape, 128, np.uint8) if len(shape) == 3 else np.full(shape, 0.5)
    if shape in ((3, 784), (2, 28, 28)):
        p = golden.input_probabilities(small_model, pixels)
        assert p.shape == (shape[0], 785) and ((0 <= p) & (p <= 1)).all() and (p[:, -1] == 1).all()
    else:
        with pytest.raises(MtjscError, match="784"):
            golden.input_probabilities(small_model, pixels)


# --- shapes: every public function of behavioral_models takes the shapes its docstring names --------

def _bits(*shape):
    return np.random.default_rng(0).random(shape) < 0.5


SHAPES = [
    # (call, accepted?, the words of the error)
    (lambda: golden.layer_counts(_bits(4, 2, 9), _bits(4, 3, 9), "approx").shape == (4, 2, 3), True, ""),
    (lambda: golden.layer_counts(_bits(4, 2, 9), _bits(4, 3, 10), "exact"), False, r"x bool \[L, N, n\]"),
    (lambda: golden.layer_counts(_bits(4, 2, 9), _bits(3, 3, 9), "approx"), False, "same L and n"),
    (lambda: golden.layer_counts(_bits(4, 9), _bits(4, 3, 9), "exact"), False, r"got x \(4, 9\)"),
    (lambda: golden.btanh_layer(_bits(4, 9), _bits(4, 3, 9), 4)[0].shape == (4, 3), True, ""),
    (lambda: golden.btanh_layer(_bits(4, 1, 9), _bits(4, 3, 9), 4), False, r"x_bits must be bool \[L, n\]"),
    (lambda: golden.classify(np.zeros((3, 10))).shape == (3,), True, ""),
    (lambda: golden.classify(np.zeros(10)), False, r"scores \[N, 10\], got shape \(10,\)"),
    (lambda: golden.classify(np.zeros((3, 9))), False, r"scores \[N, 10\]"),
    (lambda: coding.with_bias(np.zeros((2, 3, 5))).shape == (2, 3, 6), True, ""),
    (lambda: coding.with_bias(np.zeros(5)).shape == (6,), True, ""),
    (lambda: coding.encode_pixels(np.full((2, 784), 0.5), "sym").shape == (2, 784), True, ""),
    (lambda: coding.encode_pixels(np.full((2, 784), 2.0), "sym"), False, r"pixels must lie in \[0, 1\]"),
    (lambda: coding.bipolar_to_p(np.zeros((2, 3, 4))).shape == (2, 3, 4), True, ""),
    (lambda: coding.bipolar_to_p(np.array([1.5])), False, r"bipolar values must lie in \[-1, 1\]"),
    (lambda: coding.image_probabilities(np.full((3, 784), 0.2), "unit").shape == (3, 785), True, ""),
    (lambda: lfsr.sng_threshold(np.full((2, 3, 4), 0.5), 8).shape == (2, 3, 4), True, ""),
    (lambda: lfsr.sng_threshold(np.array([1.2]), 8), False, r"SNG probabilities must lie in \[0, 1\]"),
    (lambda: lfsr.generate([1, 2, 3], 16, 4, 5).shape == (5, 3), True, ""),
    (lambda: golden.apc_count(np.array([1, 0, 1]), "approx") == 3, True, ""),
]


@pytest.mark.parametrize("k", range(len(SHAPES)))
def test_public_functions_take_their_documented_shapes_or_say_which(k):
    call, accepted, words = SHAPES[k]
    if accepted:
        assert call() is True
    else:
        with pytest.raises(MtjscError, match=words):
            call()


def _more_shapes():
    from mtjsc.behavioral_models import ising, or_network, pbit, rounding
    from mtjsc.behavioral_models.randomness import numbers_from_bits
    neg = np.zeros((3, 9), bool)
    return [
        (lambda: or_network.hidden_bits(_bits(4, 2, 9), _bits(4, 3, 9), neg)[0].shape == (4, 2, 3), True, ""),
        (lambda: or_network.hidden_bits(_bits(4, 2, 9), _bits(4, 3, 8), neg), False, "must share L and n"),
        (lambda: or_network.hidden_bits(_bits(4, 2, 9), _bits(4, 3, 9), neg[:2]), False, r"negative \(2, 9\)"),
        (lambda: or_network.output_counts(_bits(4, 2, 9), _bits(4, 10, 9), np.zeros((10, 9), bool)).shape == (4, 2, 10),
         True, ""),
        (lambda: or_network.output_counts(_bits(4, 2, 9), _bits(3, 10, 9), np.zeros((10, 9), bool)), False,
         r"h_in \[L, N, H \+ 1\]"),
        (lambda: rounding.stochastic(np.arange(6).reshape(2, 3), 2, np.zeros((2, 3), int)).shape == (2, 3), True, ""),
        (lambda: rounding.stochastic(np.arange(6).reshape(2, 3), 2, np.zeros(6, int)), False, "give one per value"),
        (lambda: numbers_from_bits(np.zeros(17, bool), 4).shape == (4,), True, ""),
        (lambda: ising.boltzmann(np.zeros((3, 3))).shape == (8,), True, ""),
        (lambda: ising.boltzmann(np.zeros((3, 4))), False, r"couplings K must be a square matrix \[n, n\]"),
        (lambda: ising.boltzmann(np.zeros((3, 3)), h=np.zeros(2)), False, r"fields h must have shape \(3,\)"),
        (lambda: ising.total_variation(np.ones(4) / 4, np.ones(3) / 3), False, "the same shape"),
        (lambda: ising.kl(np.ones(4) / 4, np.ones(3) / 3), False, "the same shape"),
        (lambda: pbit.cut_value(np.zeros((4, 4)), np.ones((2, 4))).shape == (2,), True, ""),
        (lambda: pbit.cut_value(np.zeros((4, 4)), np.ones(5)), False, r"bits m must be \[\.\.\., 4\]"),
        (lambda: pbit.greedy_colouring(np.zeros((3, 4))), False, "couplings J must be a square matrix"),
    ] + _device_and_baseline_shapes()


def _device_and_baseline_shapes():
    from mtjsc.behavioral_models import apc_moments, fixed, mtj
    d = mtj.TelegraphMTJ()
    cal = mtj.Calibration(d, levels=30)
    base = fixed.shipped_fixed(8, 8)
    am = apc_moments.ApcMoments(9, "approx")
    return [
        (lambda: d.p_parallel(np.zeros((2, 3))).shape == (2, 3), True, ""),
        (lambda: d.bias_for(np.full((2, 3), 0.5)).shape == (2, 3), True, ""),
        (lambda: d.bias_for(np.array([1.5])), False, r"strictly inside \(0, 1\)"),
        (lambda: d.correlation_time(np.zeros((2, 3))).shape == (2, 3), True, ""),
        (lambda: cal.level_for(np.full((2, 3), 0.3)).shape == (2, 3), True, ""),
        (lambda: cal.level_for(np.array([2.0])), False, r"must lie in \[0, 1\]"),
        (lambda: base.forward(np.zeros((2, 28, 28), np.uint8))["scores"].shape == (2, 10), True, ""),
        (lambda: base.forward(np.zeros((2, 784), np.uint8))["scores"].shape == (2, 10), True, ""),
        (lambda: base.forward(np.zeros((2, 783), np.uint8)), False, r"pixels \[N, 784\] or images \[N, 28, 28\]"),
        (lambda: base.forward(np.zeros((2, 784))), False, "uint8 pixel bytes"),
        (lambda: am.forward(np.zeros((4, 9)), np.zeros((3, 9)))[0].shape == (4, 3), True, ""),
        (lambda: am.forward(np.zeros((4, 8)), np.zeros((3, 9))), False, r"takes V \[B, 9\] and w \[m, 9\]"),
    ]


def _simulation_and_source_shapes():
    from mtjsc.behavioral_models import ising, mtj, mtj_fit, pbit, sources
    d = mtj.TelegraphMTJ()
    rng = np.random.default_rng(0)
    m = ising.CoupledMtjs(ising.chain(3, 0.5), np.full(3, 0.5))
    A = pbit.random_graph(6, 2.0, 0)
    prob = pbit.maxcut_problem(A)
    sched = pbit.Schedule((0.5,))
    lfsr_src = sources.make_source("lfsr", seed=0)
    p_in = np.full((2, 785), 0.5)
    return [
        (lambda: d.dwell_times(0.0, 5, rng).shape == (5,), True, ""),
        (lambda: d.dwell_times(np.zeros(2), 5, rng), False, r"dwell_times takes one bias v .*shape \(2,\)"),
        (lambda: d.dwell_times(0.0, -1, rng), False, r"count \(dwell times\)=-1"),
        (lambda: d.switch_times(np.zeros((2, 2)), 1e-6, rng), False, "switch_times takes one bias v"),
        (lambda: d.sample_bits(0.0, 1e-9, 7, rng).shape == (7,), True, ""),
        (lambda: d.sample_bits(np.zeros(3), 1e-9, 7, rng), False, "sample_bits takes one bias v"),
        (lambda: [a.shape for a in d.trace(0.0, 1e-8, 1e-9, rng)] == [(10,)] * 3, True, ""),
        (lambda: d.trace([0.0, 0.1], 1e-8, 1e-9, rng), False, "trace takes one bias v"),
        (lambda: d.energy_per_bit(np.zeros(3), 1e-8), False, "energy_per_bit takes one bias v"),
        (lambda: d.autocorrelation(np.zeros((2, 3)), 1e-8).shape == (2, 3), True, ""),
        (lambda: mtj_fit.Trace(np.zeros(5), np.arange(4.0), np.zeros(5)), False,
         r"three 1-D columns of one length.*\(5,\), \(4,\), \(5,\)"),
        (lambda: mtj_fit.Trace(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((2, 3))), False, "three 1-D columns"),
        (lambda: len(mtj_fit.trace_from_model(d, [0.0, 0.1], 1e-8, 1e-9).time) == 20, True, ""),
        (lambda: mtj_fit.trace_from_model(d, 0.1, 1e-8, 1e-9), False, r"1-D sequence of volts .* got shape \(\)"),
        (lambda: mtj_fit.trace_from_model(d, np.zeros((2, 2)), 1e-8, 1e-9), False, r"got shape \(2, 2\)"),
        (lambda: m.rates(ising.all_states(3)).shape == (8, 3), True, ""),
        (lambda: m.rates(np.ones((2, 5))), False, r"spins must be \[\.\.\., n\] \(\+-1\) with n = 3, got shape \(2, 5\)"),
        (lambda: m.device_currents(np.ones(4)), False, "spins must be"),
        (lambda: ising.all_states(-1), False, r"n \(devices\)=-1"),
        (lambda: set(ising.fit_ising(m.stationary(), 3)) >= {"h", "K", "p", "tv", "kl"}, True, ""),
        (lambda: ising.fit_ising(np.ones(7) / 7, 3), False, r"2\^3 = 8 states of 3 devices, got shape \(7,\)"),
        (lambda: ising.fit_ising(np.array([0.5, 0.5, 0, 0]), 2), False, r"pi\[2\] = 0: .*log pi"),
        (lambda: ising.probability_currents(m, np.ones(4) / 4), False, "got shape \\(4,\\)"),
        (lambda: ising.exact_correlation(m, 1, pi=np.ones(3)), False, "8 states of 3 devices"),
        (lambda: ising.chi_square(np.full(4, 10), np.ones(4) / 4)["df"] == 3, True, ""),
        (lambda: ising.chi_square(np.ones(4), np.ones(3) / 3), False, r"counts and p .*\(4,\) and \(3,\)"),
        (lambda: ising.chi2_quantile(3, 0.95), False, r"p=0.95: choose one of 0.99, 0.999, 0.9999"),
        (lambda: prob.energy(np.ones((3, 6))).shape == (3,), True, ""),
        (lambda: prob.energy(np.ones(5)), False, r"bits m must be \[\.\.\., n\] with n = 6"),
        (lambda: pbit.brute_force_maxcut(np.zeros((3, 4))), False, r"adjacency A must be a square matrix"),
        (lambda: pbit.local_search_maxcut(np.zeros((3, 4))), False, r"adjacency A must be a square matrix"),
        (lambda: pbit.local_search_maxcut(A, restarts=0), False, "restarts=0"),
        (lambda: pbit.random_graph(1, 2.0, 0), False, r"n \(nodes\)=1"),
        (lambda: pbit.PbitProblem(np.zeros((3, 4)), np.zeros(3)), False, r"J must be a square matrix, got shape \(3, 4\)"),
        (lambda: pbit.entropy_words(prob, sched, np.zeros(64, bool)).shape == (2, 3), True, ""),
        (lambda: pbit.entropy_words(prob, sched, np.zeros(3, bool)), False, r"3 entropy bits given, the run needs 48"),
        (lambda: pbit.run(prob, sched, rng="entropy", replicas=2), False, "the entropy port feeds one replica"),
        (lambda: pbit.run(prob, sched, replicas=2)["states"].shape == (2, 1, 6), True, ""),
        (lambda: pbit.lfsr_seeds(prob, sched, 0).shape == (6,), True, ""),
        (lambda: pbit.initial_state(prob, 0).shape == (6,), True, ""),
        (lambda: lfsr_src.input_bits(np.arange(2), p_in, 8).shape == (2, 8, 785), True, ""),
        (lambda: lfsr_src.input_bits(np.arange(2), np.full((3, 785), 0.5), 8), False,
         r"image_ids \(2,\) must name one image per row .*\(3, 785\)"),
        (lambda: lfsr_src.input_bits(np.arange(1), np.full(785, 0.5), 8), False,
         r"input probabilities must be a matrix \[N, n\]"),
        (lambda: lfsr_src.weight_bits(0, np.full((3, 785), 0.5), 8).shape == (8, 3, 785), True, ""),
    ] + [(lambda s=s: sources.make_source(s, seed=0).weight_bits(0, np.full(785, 0.5), 8), False,
          r"layer 0 weight probabilities must be a matrix \[m, n\], got shape \(785,\)")
         for s in ("ideal", "lfsr", "mtj", "mtj-pool")]


def _all_other_shapes():
    return _more_shapes() + _simulation_and_source_shapes()


@pytest.mark.parametrize("k", range(len(_all_other_shapes())))
def test_public_functions_of_the_other_models_take_their_shapes_or_say_which(k):
    call, accepted, words = _all_other_shapes()[k]
    if accepted:
        assert call() is True
    else:
        with pytest.raises(MtjscError, match=words):
            call()
