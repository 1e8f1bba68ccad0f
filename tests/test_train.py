import numpy as np
import pytest

from mtjsc.errors import MtjscError
from mtjsc.training.btanh import loss_and_grads, shift_augment, train


@pytest.mark.parametrize("sigma", ["exact", "crude"])
def test_gradients_match_finite_differences(sigma):
    rng = np.random.default_rng(0)
    V = np.concatenate([rng.uniform(-1, 1, (6, 784)), np.ones((6, 1))], 1)
    y = rng.integers(0, 10, 6)
    w1 = rng.uniform(-0.5, 0.5, (4, 785))
    w2 = rng.uniform(-0.9, 0.9, (10, 5))
    beta = np.array([0.7])
    kw = dict(K=30.0, sigma=sigma)
    _, grads = loss_and_grads(w1, w2, beta, V, y, **kw)
    eps = 1e-6
    for arr, g in zip((w1, w2, beta), grads):
        for idx in [(0,) * arr.ndim, tuple(s - 1 for s in arr.shape), tuple(s // 2 for s in arr.shape)]:
            old = arr[idx]
            arr[idx] = old + eps
            lp, _ = loss_and_grads(w1, w2, beta, V, y, **kw)
            arr[idx] = old - eps
            lm, _ = loss_and_grads(w1, w2, beta, V, y, **kw)
            arr[idx] = old
            assert abs((lp - lm) / (2 * eps) - g[idx]) < 1e-6 + 1e-4 * abs(g[idx])


def test_shift_augment_moves_by_at_most_one_pixel():
    img = np.zeros((50, 28, 28), np.uint8)
    img[:, 14, 14] = 255
    out = shift_augment(img, np.random.default_rng(0), 1)
    ys, xs = np.nonzero(out)[1:]
    assert out.sum() == img.sum() and set(ys) <= {13, 14, 15} and set(xs) <= {13, 14, 15}
    assert len(set(zip(ys, xs))) > 4


def test_short_training_gives_a_valid_model(mnist_dir, tmp_path):
    m = train(data=mnist_dir, gain=0.15, epochs=2, seed=3, target_L=256, train_images=10000, progress=False)
    assert np.abs(m.w1).max() <= 1 and np.abs(m.w2).max() <= 1
    assert m.K == (236, 38) and m.target_L == 256 and m.encoding == "sym"
    assert m.float_accuracy > 0.85      # two epochs on 10,000 images
    assert m.provenance["data_sha256"]["train-images-idx3-ubyte.gz"].startswith("440fcabf")
    again = train(data=mnist_dir, gain=0.15, epochs=2, seed=3, target_L=256, train_images=10000, progress=False)
    assert np.array_equal(m.w1, again.w1)        # same seed, same model
    m.save(tmp_path / "m.npz")


@pytest.mark.parametrize("kw, match", [
    ({"gain": 0.0}, "--gain=0.0 must be a positive finite number"),
    ({"epochs": 0}, "--epochs=0 must be an integer >= 1"),
    ({"encoding": "log"}, "unknown input encoding 'log'"),
    ({"target_L": 0}, "--target-L=0 must be an integer >= 1"),
    ({"hidden": 0}, "--hidden=0 must be an integer >= 1"),
    ({"lr": float("nan")}, "--lr=nan must be a positive finite number"),
    ({"sigma": "fancy"}, "--sigma 'fancy'"),
    ({"train_images": 10}, "--train-images 10 must lie in"),
])
def test_bad_training_arguments(mnist_dir, kw, match):
    with pytest.raises(MtjscError, match=match):
        train(data=mnist_dir, **{"epochs": 1, **kw})


def test_recorded_command_parses_back(shipped):
    import shlex

    from mtjsc.cli import build_parser
    for name, m in shipped.items():
        args = build_parser().parse_args(shlex.split(m.provenance["command"])[1:])
        assert args.neuron == m.neuron and args.target_L == m.target_L and args.hidden == m.hidden, name
        assert args.epochs == m.provenance["epochs"] and args.seed == m.seed
        if m.neuron == "or":
            assert args.or_init == m.provenance["init"] and args.lr == m.provenance["lr"], name
        else:
            assert args.gain == m.gain[0] and args.encoding == m.encoding, name


def test_approx_training_is_recorded_and_reproducible(mnist_dir, tmp_path):
    import shlex

    from mtjsc.cli import build_parser
    from mtjsc.model import ScModel
    kw = dict(data=mnist_dir, gain=0.15, epochs=2, seed=4, target_L=256, train_images=5000, apc="approx",
              progress=False)
    m = train(**kw)
    assert m.apc == "approx" and m.provenance["apc"] == "approx"
    assert m.float_accuracy > 0.6            # two epochs on 5,000 images: learning, far from done
    args = build_parser().parse_args(shlex.split(m.provenance["command"])[1:])
    assert args.apc == "approx"
    again = ScModel.load(m.save(tmp_path / "a.npz"))
    assert again.apc == "approx" and np.array_equal(again.w1, m.w1)
    assert np.array_equal(train(**kw).w1, m.w1)          # same seed, same model


def test_approx_gradients_match_finite_differences():
    """The whole approx loss (both layers, noise fixed) against central differences."""
    from mtjsc.behavioral_models.apc_moments import ApcMoments
    from mtjsc.training.btanh import loss_and_grads_moments
    rng = np.random.default_rng(1)
    n1, H = 785, 6
    V = np.concatenate([rng.uniform(-1, 1, (5, n1 - 1)), np.ones((5, 1))], axis=1)
    w1 = rng.uniform(-0.2, 0.2, (H, n1))
    w2 = rng.uniform(-0.5, 0.5, (10, H + 1))
    beta = np.array([0.7])
    y = rng.integers(0, 10, 5)
    mom = (ApcMoments(n1, "approx"), ApcMoments(H + 1, "approx"))

    def loss(a, b):
        return loss_and_grads_moments(a, b, beta, V, y, K=40.0, moments=mom, eps=None)[0]

    _, (g1, g2, _) = loss_and_grads_moments(w1, w2, beta, V, y, K=40.0, moments=mom, eps=None)
    for (r, c) in [(0, 0), (3, 400), (5, 784)]:
        e = np.zeros_like(w1)
        e[r, c] = 1e-6
        assert g1[r, c] == pytest.approx((loss(w1 + e, w2) - loss(w1 - e, w2)) / 2e-6, rel=1e-4, abs=1e-8)
    for (r, c) in [(0, 0), (7, 3), (9, H)]:
        e = np.zeros_like(w2)
        e[r, c] = 1e-6
        assert g2[r, c] == pytest.approx((loss(w1, w2 + e) - loss(w1, w2 - e)) / 2e-6, rel=1e-4, abs=1e-8)
