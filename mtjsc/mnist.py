"""MNIST IDX files: reading, checksum verification, locating the data.

The package ships the two test-set files (t10k); the training set is read
from a directory given by ``--data`` or the ``MTJSC_MNIST`` environment
variable. Every file is checked against its published SHA-256 before use.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from mtjsc.errors import MtjscError

#: SHA-256 of the canonical gzip files (LeCun's MNIST distribution).
CHECKSUMS = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
SPLITS = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 60000),
          "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10000)}
ENV_VAR = "MTJSC_MNIST"


@dataclass(frozen=True)
class MnistSplit:
    """One MNIST split.

    Attributes
    ----------
    images : ndarray of uint8, shape (N, 28, 28)
    labels : ndarray of uint8, shape (N,)
    sha256 : dict mapping file name to its verified checksum
    """

    images: np.ndarray
    labels: np.ndarray
    sha256: dict

    def pixels(self) -> np.ndarray:
        """Pixels as float64 in [0, 1], shape (N, 784)."""
        return self.images.reshape(len(self.images), -1).astype(np.float64) / 255.0


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify(path: Path) -> str:
    """Check ``path`` against its known checksum and return the digest.

    Raises
    ------
    MtjscError
        If the file is missing, unknown or its checksum differs.
    """
    path = Path(path)
    if path.name not in CHECKSUMS:
        raise MtjscError(f"{path}: not a known MNIST file name; expected one of {sorted(CHECKSUMS)}")
    if not path.is_file():
        raise MtjscError(f"MNIST file {path} is missing: copy the canonical {path.name} into "
                         f"{path.parent} (or point --data / {ENV_VAR} at a directory holding it)")
    actual = sha256_of(path)
    expected = CHECKSUMS[path.name]
    if actual != expected:
        raise MtjscError(f"MNIST file {path} is corrupt: sha256 {actual}, expected {expected}; "
                         f"replace it with the canonical {path.name}")
    return actual


def read_idx(path: Path) -> np.ndarray:
    """Read a gzip IDX file (ubyte data only) after verifying its checksum."""
    verify(path)
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise MtjscError(f"{path}: not an unsigned-byte IDX file (magic {raw[:4].hex()})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    size = int(np.prod(dims))
    if len(raw) != header + size:
        raise MtjscError(f"{path}: IDX header says {dims} ({header + size} bytes) but file has {len(raw)}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def shipped_dir() -> Path:
    """Directory of the test set shipped inside the package."""
    return Path(str(resources.files("mtjsc.data")))


def resolve_dir(data: str | os.PathLike | None, split: str) -> Path:
    """Where to read ``split`` from: ``data``, then ``$MTJSC_MNIST``, then the shipped test set."""
    if data is not None:
        return Path(data)
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    if split == "test":
        return shipped_dir()
    raise MtjscError(f"the MNIST training set is not shipped: pass --data DIR or set {ENV_VAR}=DIR "
                     f"to a directory holding {SPLITS['train'][0]} and {SPLITS['train'][1]}")


def load(split: str = "test", data: str | os.PathLike | None = None) -> MnistSplit:
    """Load and verify an MNIST split.

    Parameters
    ----------
    split : {"train", "test"}
    data : path, optional
        Directory of the IDX .gz files; defaults to ``$MTJSC_MNIST`` and,
        for the test split, to the copy shipped in the package.
    """
    if split not in SPLITS:
        raise MtjscError(f"unknown MNIST split {split!r}; use 'train' or 'test'")
    d = resolve_dir(data, split)
    img_name, lab_name, count = SPLITS[split]
    images = read_idx(d / img_name)
    labels = read_idx(d / lab_name)
    if images.shape != (count, 28, 28) or labels.shape != (count,):
        raise MtjscError(f"{d}: unexpected shapes {images.shape} / {labels.shape} for the {split} split")
    return MnistSplit(images=images, labels=labels,
                      sha256={img_name: CHECKSUMS[img_name], lab_name: CHECKSUMS[lab_name]})
