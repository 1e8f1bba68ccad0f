"""Stream sources: statistics, determinism, the LFSR family and seed schedule."""

import math

import numpy as np
import pytest

from mtjsc.behavioral_models import lfsr
from mtjsc.behavioral_models.sources import IdealSource, LfsrSource, make_source
from mtjsc.behavioral_models.randomness import ideal_threshold
from mtjsc.config import ScConfig
from mtjsc.errors import MtjscError


def _order_is_maximal(width: int) -> bool:
    """x has order 2^W - 1 modulo the Galois polynomial: the LFSR is maximal-length."""
    poly = (1 << width) | sum(1 << (width - t) for t in lfsr.TAPS[width] if t != width) | 1

    def mulmod(a, b):
        r = 0
        while b:
            if b & 1:
                r ^= a
            b >>= 1
            a <<= 1
            if a >> width:
                a ^= poly
        return r

    def power(e):
        r, b = 1, 2
        while e:
            if e & 1:
                r = mulmod(r, b)
            b = mulmod(b, b)
            e >>= 1
        return r

    order = (1 << width) - 1
    factors, m, f = set(), order, 2
    while f * f <= m:
        while m % f == 0:
            factors.add(f)
            m //= f
        f += 1
    if m > 1:
        factors.add(m)
    return power(order) == 1 and all(power(order // q) != 1 for q in factors)


@pytest.mark.parametrize("width", sorted(lfsr.TAPS))
def test_every_tap_set_is_maximal(width):
    assert _order_is_maximal(width)


@pytest.mark.parametrize("width", [4, 5, 8, 12, 16])
def test_galois_step_has_full_period(width):
    s0 = s = 1
    for k in range(1, 1 << width):
        s = lfsr.step(s, width)
        if s == s0:
            break
    assert k == (1 << width) - 1


def test_generate_matches_scalar_reference():
    seeds = [lfsr.seed_state(7, 0, lfsr.ROLE_INPUT, i, 16) for i in range(5)]
    R = lfsr.generate(seeds, 16, 5, 40)
    for j, s in enumerate(seeds):
        for t in range(40):
            assert R[t, j] == s & 31
            s = lfsr.leap(s, 16, 5)


def test_seed_schedule_nonzero_distinct_and_seeded():
    a = {lfsr.seed_state(1, l, r, i, 32) for l in (0, 1) for r in (0, 1) for i in range(785)}
    assert 0 not in a and len(a) == 4 * 785
    assert lfsr.seed_state(1, 0, 0, 0, 32) != lfsr.seed_state(2, 0, 0, 0, 32)
    assert all(lfsr.seed_state(s, 0, 0, 0, 4) != 0 for s in range(200))


def test_lfsr_threshold_and_bits():
    assert lfsr.sng_threshold([0.0, 0.5, 1.0], 8).tolist() == [0, 128, 256]
    src = LfsrSource(seed=3, sng_bits=8, width=16)
    p = np.array([[0.0, 0.25, 0.5, 1.0]])
    w = src.weight_bits(0, p, 4096)
    assert w[:, 0, 0].sum() == 0 and w[:, 0, 3].all()
    for k, target in ((1, 0.25), (2, 0.5)):
        assert abs(w[:, 0, k].mean() - target) < 4 * math.sqrt(target * (1 - target) / 4096)


def test_lfsr_weight_sngs_are_shared_per_input_and_independent_of_inputs():
    src = LfsrSource(seed=0, sng_bits=8, width=32)
    R_w = src.comparators(0, lfsr.ROLE_WEIGHT, 785, 64)
    R_x = src.comparators(0, lfsr.ROLE_INPUT, 785, 64)
    w = src.weight_bits(0, np.full((3, 785), 0.5), 64)
    assert np.array_equal(w[:, 0], w[:, 1])   # same input, same R, same threshold
    assert np.array_equal(w[:, 0], R_w < 128)
    assert not np.array_equal(R_w, R_x)
    assert abs(np.corrcoef(R_w.ravel(), R_x.ravel())[0, 1]) < 0.02


@pytest.mark.parametrize("p", [0.05, 0.3, 0.5, 0.9])
def test_ideal_bits_lie_in_binomial_interval(p):
    src = IdealSource(seed=4)
    bits = src.weight_bits(0, np.full((20, 50), p), 200)
    n = bits.size
    assert abs(bits.mean() - p) < 4 * math.sqrt(p * (1 - p) / n)
    # neighbouring bits of a stream are uncorrelated
    b = bits.reshape(200, -1).astype(float)
    r = np.mean((b[1:] - p) * (b[:-1] - p)) / (p * (1 - p))
    assert abs(r) < 4 / math.sqrt(b[1:].size)


def test_ideal_input_bits_constant_pixels_and_per_image_seeding():
    src = IdealSource(seed=9)
    p = np.array([[0.0, 1.0, 0.5, 0.5], [0.0, 1.0, 0.5, 0.5]])
    a = src.input_bits([10, 11], p, 256)
    assert not a[:, :, 0].any() and a[:, :, 1].all()
    assert not np.array_equal(a[0, :, 2], a[1, :, 2])        # different images, different bits
    b = src.input_bits([11], p[1:], 256)
    assert np.array_equal(a[1], b[0])                          # image 11 sees the same bits alone
    assert not np.array_equal(a[0, :, 2], a[0, :, 3])          # different inputs


def test_weight_bits_do_not_depend_on_block_size():
    src = IdealSource(seed=1)
    p = np.random.default_rng(0).random((3, 7))     # odd size: 21 draws per stream index
    full = src.weight_bits(1, p, 64)
    rng = np.random.default_rng([1, 0, 1])
    u = rng.bit_generator.random_raw((64 * 21 + 1) // 2).view("<u4")[:64 * 21].reshape(64, 3, 7)
    assert np.array_equal(full, u < ideal_threshold(p))


def test_unknown_source_and_bad_options():
    with pytest.raises(MtjscError, match="unknown stream source 'mtj-x'"):
        make_source("mtj-x")
    with pytest.raises(MtjscError, match="does not take options"):
        make_source("ideal", sng_bits=8)
    with pytest.raises(MtjscError, match="B=40 must be an integer in 1..32"):
        make_source("lfsr", sng_bits=40)
    with pytest.raises(MtjscError, match="LFSR width=3 must be an integer in 4..32"):
        make_source("lfsr", width=3)
    with pytest.raises(MtjscError, match="seed=-1 must be an integer >= 0"):
        make_source("ideal", seed=-1)
    with pytest.raises(MtjscError, match=r"outside \[0, 1\]"):
        IdealSource().weight_bits(0, np.array([[1.2]]), 4)


def test_lfsr_source_reads_the_config(shipped):
    from mtjsc.config import ScConfig
    cfg = ScConfig.from_model(shipped["L64"], L=16, sng_bits=6, lfsr_width=12)
    src = make_source("lfsr", seed=3, config=cfg)
    assert (src.sng_bits, src.width) == (6, 12)
    with pytest.raises(MtjscError, match=r"sng_bits=8 disagrees with the configuration \(sng_bits=6\)"):
        make_source("lfsr", config=cfg, sng_bits=8)


def _lfsr_numbers(src, L: int) -> np.ndarray:
    """The lfsr source's comparator values laid out in the entropy source's order [L, 2 n1 + n2]."""
    rx = src.comparators(0, lfsr.ROLE_INPUT, 785, L)
    rw0 = src.comparators(0, lfsr.ROLE_WEIGHT, 785, L)
    rw1 = src.comparators(1, lfsr.ROLE_WEIGHT, 129, L)
    nums = np.empty((L, 2 * 785 + 129), np.int64)
    nums[:, 0:1570:2], nums[:, 1:1570:2], nums[:, 1570:] = rx, rw0, rw1
    return nums


def _to_bits(nums: np.ndarray, B: int) -> np.ndarray:
    return ((nums.reshape(-1)[:, None] >> np.arange(B)) & 1).astype(bool).ravel()     # LSB first


def test_entropy_source_fed_the_lfsr_numbers_equals_the_lfsr_source(shipped, test_set):
    """Two engines, one contract: the per-image entropy path on a sequence that holds the LFSR
    comparator values (in the documented order, every image) gives the packed engine's lfsr scores."""
    from mtjsc.behavioral_models import golden
    from mtjsc.config import ScConfig
    cfg = ScConfig.from_model(shipped["L64"], L=16)
    ls = make_source("lfsr", seed=3, config=cfg)
    N = 6
    es = make_source("entropy", config=cfg, bits=np.tile(_to_bits(_lfsr_numbers(ls, 16), 8), N))
    px = test_set.pixels()[:N]
    a = golden.run_network(shipped["L64"], px, source=ls, config=cfg, workers=1)
    b = golden.run_network(shipped["L64"], px, source=es, config=cfg, record=True)
    assert np.array_equal(a.scores, b.scores) and np.array_equal(a.classes, b.classes)
    assert b.hidden_bits.shape == (N, 16, 128)


def test_entropy_source_order_blocks_and_errors():
    src = make_source("entropy", sng_bits=4, hidden=3, bits=bytes([0x21, 0x43]) * 1000)
    assert src.numbers_per_t() == 2 * 785 + 4 and src.bits_per_image(2) == 2 * 1574 * 4
    r = src.image_numbers(0, 2)
    assert r.shape == (2, 1574) and r[0, :4].tolist() == [1, 2, 3, 4]      # bytes read LSB first
    with pytest.raises(MtjscError, match="entropy source too short: image 1 at L=2 needs bits \\[12592, 25184\\)"):
        src.image_numbers(1, 2)
    with pytest.raises(MtjscError, match="change from image to image"):
        src.weight_bits(0, np.full((3, 785), 0.5), 2)
    # without bits: one simulated sMTJ run per image; an image's numbers do not depend on the others
    mtj = make_source("entropy", seed=9, sng_bits=8)
    a = mtj.image_numbers(3, 4).copy()
    mtj.image_numbers(2, 4)
    assert np.array_equal(a, mtj.image_numbers(3, 4)) and not np.array_equal(a, mtj.image_numbers(2, 4))
    assert 0 <= a.min() and a.max() < 256 and abs(a.mean() - 127.5) < 6
    with pytest.raises(MtjscError, match="disagrees with the configuration"):
        from mtjsc.config import ScConfig
        from mtjsc.model import shipped_for_length
        make_source("entropy", config=ScConfig.from_model(shipped_for_length(64)[1], L=8), hidden=64)


# --- gaps the mutation score found (benchmarks/mutation_score.py) ----------------------------------------

def _gf2_power(cols: list, e: int, width: int) -> list:
    """The linear map given by its columns (images of the basis states), raised to the power e over GF(2)."""
    def apply(m, v):
        out = 0
        for i in range(width):
            if v >> i & 1:
                out ^= m[i]
        return out
    result, base = [1 << i for i in range(width)], cols
    while e:
        if e & 1:
            result = [apply(base, c) for c in result]
        base = [apply(base, c) for c in base]
        e >>= 1
    return result


def _prime_factors(x: int) -> set:
    out, d = set(), 2
    while d * d <= x:
        while x % d == 0:
            out.add(d)
            x //= d
        d += 1
    return out | ({x} if x > 1 else set())


@pytest.mark.parametrize("width", range(4, 33))
def test_every_lfsr_width_has_maximal_period(width):
    """The step's order is exactly 2^W - 1: it is the identity after 2^W - 1 steps and after no proper
    divisor of it (the group-order test of a primitive polynomial, by GF(2) matrix powers)."""
    step = [lfsr.step(1 << i, width) for i in range(width)]
    identity = [1 << i for i in range(width)]
    order = (1 << width) - 1
    assert _gf2_power(step, order, width) == identity
    for p in _prime_factors(order):
        assert _gf2_power(step, order // p, width) != identity


def test_lfsr_seed_states_are_frozen_and_zero_seeds_refused():
    got = [lfsr.seed_state(s, l, r, i, 32) for s, l, r, i in ((0, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (3, 1, 1, 5),
                                                              (7, 2, 123, 9))]
    assert got == [2865234536, 2274904887, 1943239746, 3838765875, 2991674444]
    with pytest.raises(MtjscError, match="LFSR seeds must be nonzero 16-bit values"):
        lfsr.generate([5, 0], 16, 4, 3)


def test_probability_errors_name_the_bad_value_and_sources_are_abstract():
    from mtjsc.behavioral_models.sources import StreamSource, check_probabilities
    with pytest.raises(MtjscError, match=r"P\(1\) = -0.2 outside"):
        check_probabilities(np.array([0.0, 0.5, -0.2]))
    with pytest.raises(TypeError):
        StreamSource()
    p = np.full((2, 5), 0.5)
    assert np.array_equal(LfsrSource().weight_bits(0, p, 8), LfsrSource(seed=0).weight_bits(0, p, 8))


def test_mtj_and_pairs_give_the_product_of_their_levels():
    from mtjsc.behavioral_models.sources import MtjSource
    src = MtjSource(seed=1, gate="and")
    targets = np.linspace(0.05, 0.6, 60).reshape(6, 10)
    pair = src._pair_p[np.abs(targets.ravel()[:, None] - src._pair_p[None, :]).argmin(1)].reshape(targets.shape)
    bits = src.weight_bits(0, targets, 3000)
    assert np.abs(bits.mean(0) - pair).max() < 0.05


def test_pool_source_layer_one_uses_its_own_pool_and_takes_one_bit_pools():
    from mtjsc.behavioral_models.sources import MtjPoolSource
    src = MtjPoolSource(seed=2, pool_bits=64, segments=1)
    level = src.dac.level_for(0.4)
    bits = src.weight_bits(1, np.full((2, 3), 0.4), 40)           # one 40-bit slice of a 64-bit recording
    for layer_pool, own in ((src.pools(2)[level], True), (src.pools(1)[level], False), (src.pools(0)[level], False)):
        doubled = np.r_[layer_pool, layer_pool]
        found = all(any(np.array_equal(stream, doubled[s:s + 40]) for s in range(64)) for stream in bits.reshape(40, -1).T)
        assert found == own
    assert MtjPoolSource(seed=0, pool_bits=1, segments=1).weight_bits(0, np.full((1, 2), 0.5), 3).shape == (3, 1, 2)


def test_entropy_source_block_size_period_and_short_sequence_message():
    from mtjsc.behavioral_models.sources import EntropySource
    src = EntropySource(sng_bits=3, hidden=1)
    assert src.numbers_per_t() == 2 * 785 + 2
    assert src.bits_per_image(4) == 4 * (2 * 785 + 2) * 3
    with pytest.raises(MtjscError, match="period_ratio"):
        EntropySource(period_ratio=0)
    short = EntropySource(sng_bits=3, hidden=1, bits=np.zeros(100, bool))
    nb = short.bits_per_image(2)
    with pytest.raises(MtjscError, match=rf"image 1 at L=2 needs bits \[{nb}, {2 * nb}\).*give at least {2 * nb} bits"):
        short.image_numbers(1, 2)


def test_the_smtj_bit_sequence_is_pinned():
    """The simulated sMTJ's bits are part of the contract: the entropy source's accuracies and the entropy
    port's co-simulation data follow from them, so a faster sampler must draw the very same bits. The
    digest is that of the sampler before its 2026-12-07 speed-up (checked equal then)."""
    import hashlib

    from mtjsc.behavioral_models.mtj import entropy_bits
    b = entropy_bits(100_003, seed=3, stream=7)
    assert hashlib.sha256(np.packbits(b).tobytes()).hexdigest()[:16] == "2f5ab7a66cf96cd0"


def test_the_per_image_path_does_not_depend_on_workers_or_blocking(shipped, test_set):
    """The entropy source's per-image path: the same scores on one process or two, and network_on_bits
    with its weight bits made block by block equals it with the whole arrays."""
    from mtjsc.behavioral_models import golden
    net = shipped["L64"]
    for apc in ("exact", "approx"):
        cfg = ScConfig.from_model(net, L=40, apc=apc)
        px = test_set.pixels()[:10]
        src = make_source("entropy", seed=2, config=cfg)
        one = golden.run_network(net, px, source=src, config=cfg, workers=1)
        two = golden.run_network(net, px, source=src, config=cfg, workers=2)
        assert np.array_equal(one.scores, two.scores)
        x = src.input_bits([3], golden.input_probabilities(net, px[3:4]), 40)[0]
        w = tuple(src.image_weight_bits(3, k, golden.weight_probabilities(net, net.weights[k]), 40) for k in (0, 1))
        for block in (1, 7, 64):
            scores, _ = golden.network_on_bits(x, w, cfg, block=block)
            assert np.array_equal(scores, one.scores[3])
