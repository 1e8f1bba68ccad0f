"""Named random-stream tags: every seeded NumPy generator in the models comes from here.

A generator is ``default_rng([run_seed, tag, *ids])``. The tag keeps the
streams of different uses independent (the weight streams of the ``ideal``
source never share draws with its input streams, the MTJ device population
never shares draws with the bits it produces), and the ids (layer, role,
image) make each piece reproducible on its own: an image sees the same bits
whichever other images run beside it. The numbers are part of the recorded
behaviour (changing one changes every result of that source), so they are
fixed here once.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class RngTag(IntEnum):
    """What a generator is for (values are frozen: results depend on them)."""

    IDEAL_WEIGHT = 0        #: ``ideal`` weight streams, ids (layer,)
    IDEAL_INPUT = 1         #: ``ideal`` input streams, ids (image,)
    MTJ_POPULATION = 3      #: ``mtj`` device variation, ids (layer, role)
    MTJ_INPUT = 5           #: ``mtj`` input-line telegraph streams, ids (image,)
    MTJ_WEIGHT = 6          #: ``mtj`` weight-device telegraph streams, ids (layer,)
    POOL_RECORDING = 8      #: ``mtj-pool`` pool recordings, ids (stream set,)
    POOL_INPUT = 9          #: ``mtj-pool`` input start indices, ids (image,)
    POOL_WEIGHT = 10        #: ``mtj-pool`` weight start indices, ids (layer,)
    ENTROPY = 11            #: :func:`mtjsc.behavioral_models.mtj.entropy_bits`, ids () or (stream,)
    LOWPREC_INIT = 12       #: :mod:`mtjsc.training.lowprec` weight initialisation, ids ()
    LOWPREC_ROUND = 13      #: :mod:`mtjsc.training.lowprec` ``ideal`` rounding numbers, ids ()
    LOWPREC_SHUFFLE = 14    #: :mod:`mtjsc.training.lowprec` minibatch order, ids ()
    BINARY_INIT = 15        #: :mod:`mtjsc.training.binarynet` latent-weight initialisation and minibatch order, ids ()
    BINARY_SAMPLE = 16      #: :mod:`mtjsc.training.binarynet` sampling bits, ids (phase, group): phase 0 training, 1 test
    BINARY_INPUT = 17       #: :mod:`mtjsc.training.binarynet` input bits of sign networks, ids (phase, group)
    FIXED_TRAIN = 18        #: :mod:`mtjsc.training.fixedpoint` initialisation, minibatch order and shifts, ids ()


def generator(seed: int, tag: RngTag, *ids) -> np.random.Generator:
    """The generator of (run ``seed``, ``tag``, ``ids``)."""
    return np.random.default_rng([int(seed), int(tag), *(int(i) for i in ids)])
