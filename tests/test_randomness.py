"""The one random-number abstraction: reproducible, per-tensor, independent across uses and streams."""

import numpy as np
import pytest

from mtjsc.behavioral_models.randomness import KINDS, RandomBits, lfsr_numbers, mtj_numbers
from mtjsc.behavioral_models.seeding import RngTag
from mtjsc.errors import MtjscError


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_draws_other_ids_other_draws(kind):
    def draws(ids):
        r = RandomBits(kind, seed=5, tag=RngTag.BINARY_SAMPLE, ids=ids)
        return r.numbers("w", (300,), 8), r.bernoulli("v", np.full(300, 0.5))
    a, b, c = draws((0, 0)), draws((0, 0)), draws((1, 0))
    assert all((x == y).all() for x, y in zip(a, b))
    if kind != "mtj":       # mtj numbers come from one entropy device per draw, not per stream id
        assert (a[0] != c[0]).any()
    assert (a[1] != c[1]).any()


@pytest.mark.parametrize("kind", ["lfsr", "mtj"])
def test_a_tensors_bits_do_not_depend_on_other_tensors(kind):
    """lfsr numbers and mtj device reads are per named tensor: drawing another tensor in between
    changes nothing (ideal draws from one generator in call order, by design)."""
    p = np.linspace(0.05, 0.95, 200)
    alone = RandomBits(kind, seed=2, tag=RngTag.BINARY_SAMPLE)
    mixed = RandomBits(kind, seed=2, tag=RngTag.BINARY_SAMPLE)
    if kind == "lfsr":
        want = [alone.numbers("w1", (200,), 6) for _ in range(3)]
        got = []
        for _ in range(3):
            mixed.numbers("w2", (50,), 6)
            got.append(mixed.numbers("w1", (200,), 6))
    else:
        want = [alone.bernoulli("w1", p) for _ in range(1)]
        got = [mixed.bernoulli("w1", p)]
    assert all((x == y).all() for x, y in zip(want, got))


def test_lfsr_bernoulli_is_the_comparator_of_its_numbers():
    p = np.linspace(0, 1, 65)
    a = RandomBits("lfsr", seed=1, tag=RngTag.BINARY_SAMPLE).bernoulli("w", p, k=6)
    r = RandomBits("lfsr", seed=1, tag=RngTag.BINARY_SAMPLE).numbers("w", p.shape, 6)
    assert (a == (r < np.rint(p * 64))).all()
    assert not a[0] and a[-1]          # P = 0 never, P = 1 always


def test_single_stream_numbers_are_in_range():
    r = lfsr_numbers(1000, 5, seed_state=99)
    assert r.min() >= 0 and r.max() < 32 and len(np.unique(r)) == 32
    m = mtj_numbers(1000, 5, seed=1)
    assert m.min() >= 0 and m.max() < 32 and len(np.unique(m)) == 32


@pytest.mark.parametrize("make, message", [
    (lambda: RandomBits("quantum", seed=0, tag=RngTag.BINARY_SAMPLE), "random bits 'quantum': choose one of ideal, lfsr, mtj"),
    (lambda: RandomBits("mtj", seed=0, tag=RngTag.BINARY_SAMPLE, period_ratio=0), "read period T/tau_c=0 must be a positive"),
    (lambda: RandomBits("ideal", seed=0, tag=RngTag.BINARY_SAMPLE).numbers("w", (2,), 0), "bits per random number k"),
])
def test_bad_arguments_say_what_and_how(make, message):
    with pytest.raises(MtjscError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make()
