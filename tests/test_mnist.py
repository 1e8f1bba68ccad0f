import gzip
import shutil

import numpy as np
import pytest

from mtjsc import mnist
from mtjsc.errors import MtjscError


def test_shipped_test_set_loads_and_verifies(test_set):
    assert test_set.images.shape == (10000, 28, 28)
    assert test_set.labels.shape == (10000,)
    assert np.bincount(test_set.labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    px = test_set.pixels()
    assert px.shape == (10000, 784) and px.min() == 0.0 and px.max() == 1.0


def test_training_set_from_shared_dir(mnist_dir):
    tr = mnist.load("train", mnist_dir)
    assert tr.images.shape == (60000, 28, 28)
    assert np.bincount(tr.labels)[1] == 6742


def test_training_set_needs_a_directory(monkeypatch):
    monkeypatch.delenv(mnist.ENV_VAR, raising=False)
    with pytest.raises(MtjscError, match="--data DIR or set MTJSC_MNIST"):
        mnist.load("train")


def test_env_var_is_used(monkeypatch, mnist_dir):
    monkeypatch.setenv(mnist.ENV_VAR, str(mnist_dir))
    assert mnist.resolve_dir(None, "train") == mnist_dir


def test_corrupt_file_names_checksums_and_fix(tmp_path):
    src = mnist.shipped_dir() / "t10k-labels-idx1-ubyte.gz"
    bad = tmp_path / src.name
    raw = bytearray(src.read_bytes())
    raw[100] ^= 0xFF
    bad.write_bytes(bytes(raw))
    with pytest.raises(MtjscError) as e:
        mnist.read_idx(bad)
    msg = str(e.value)
    assert str(bad) in msg and mnist.CHECKSUMS[src.name] in msg and "replace it" in msg
    assert mnist.sha256_of(bad) in msg


def test_missing_file_is_reported(tmp_path):
    shutil.copy(mnist.shipped_dir() / "t10k-images-idx3-ubyte.gz", tmp_path)
    with pytest.raises(MtjscError, match="t10k-labels-idx1-ubyte.gz is missing"):
        mnist.load("test", tmp_path)


def test_unknown_split():
    with pytest.raises(MtjscError, match="unknown MNIST split 'dev'"):
        mnist.load("dev")


def test_idx_header_is_checked(tmp_path, monkeypatch):
    # a file that passes the checksum gate but is not IDX: checksum table patched for the test
    f = tmp_path / "t10k-labels-idx1-ubyte.gz"
    with gzip.open(f, "wb") as g:
        g.write(b"\x00\x00\x08\x01\x00\x00\x00\x05abc")   # says 5 items, holds 3
    monkeypatch.setitem(mnist.CHECKSUMS, f.name, mnist.sha256_of(f))
    with pytest.raises(MtjscError, match="IDX header says"):
        mnist.read_idx(f)
