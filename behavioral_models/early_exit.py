"""Progressive precision: stop an image's streams early when its class is decided.

After Kim et al., "Dynamic energy-accuracy trade-off using stochastic
computing in deep neural networks" (DAC 2016): the output scores are partial
sums over the stream indices done so far, so a design can look at them at the
end of every block of ``block`` indices and stop the image there.

With ``S_k(t)`` the score of class k after stream indices ``0..t-1`` and ``b``
its argmax (lowest index on ties, as :func:`~mtjsc.behavioral_models.golden.classify`),
the check at a block boundary ``t`` (a multiple of ``block``, or L) is:

``exact``
    Every other class k stays behind whatever the remaining ``L - t`` indices
    bring: ``S_b - S_k > R`` or (``S_b - S_k == R`` and ``b < k``), with
    ``R = (L - t) n2`` because a Btanh network's output count of one index lies
    in ``[0, n2]`` (n2 = H + 1 XNOR products). The class then equals the full
    run's, for every image and every stream.
``margin``
    The exact rule, or the lead over the runner-up ``S_b - S_second >= margin``
    (an integer in score units, ``1 <= margin <= L n2``): a cheaper, inexact
    stop whose accuracy cost the study measures.

The run reports the exit index (the boundary t), the class and the partial
scores there. At ``t = L`` every image stops, so an exit never passes the full
run. A ``block`` that does not divide L is allowed: the last block is shorter
and its boundary is L.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mtjsc.config import CLASSES, check_length
from mtjsc.errors import MtjscError
from mtjsc.validate import check_int

RULES = ("exact", "margin")


@dataclass(frozen=True)
class ExitRule:
    """When to stop an image: ``rule`` (``exact`` or ``margin``), checked every ``block`` stream indices.

    Parameters
    ----------
    rule : {"exact", "margin"}
    block : int
        Stream indices between checks (>= 1).
    margin : int, optional
        The ``margin`` rule's lead in score units (required for it, refused for ``exact``).
    """

    rule: str
    block: int
    margin: int | None = None

    def __post_init__(self):
        if self.rule not in RULES:
            raise MtjscError(f"early-exit rule {self.rule!r}: choose one of {', '.join(RULES)}")
        check_int(self.block, "early-exit block", minimum=1)
        if self.rule == "margin":
            if self.margin is None:
                raise MtjscError("the margin early-exit rule needs a margin (a lead in score units, >= 1)")
            check_int(self.margin, "early-exit margin", minimum=1)
        elif self.margin is not None:
            raise MtjscError(f"the exact early-exit rule takes no margin (got {self.margin}); "
                             f"use rule='margin' for a lead threshold")

    def check(self, L: int, n2: int) -> "ExitRule":
        """This rule for streams of length ``L`` and an output fan-in ``n2``: the block must fit in L and
        the margin in the score range ``L n2`` (a larger one could never fire before the exact rule)."""
        L = check_length(L)
        if self.block > L:
            raise MtjscError(f"early-exit block {self.block} is longer than the stream (L = {L}); "
                             f"give a block of 1..{L}")
        if self.margin is not None and self.margin > L * n2:
            raise MtjscError(f"early-exit margin {self.margin} exceeds the largest score lead L n2 = "
                             f"{L * n2} at L = {L}; give a margin of 1..{L * n2}")
        return self

    def boundaries(self, L: int) -> np.ndarray:
        """The stream indices t after which the check runs: block, 2 block, ..., and L."""
        return np.unique(np.r_[np.arange(self.block, L, self.block), L])


def decided(scores: np.ndarray, remaining: int, n2: int, margin: int | None = None) -> np.ndarray:
    """Whether each row of partial ``scores`` [N, 10] may stop with ``remaining`` indices to go.

    The exact condition (the class cannot change), or a lead over the runner-up of at least ``margin``.
    """
    scores = np.asarray(scores, np.int64)
    best = np.argmax(scores, axis=1)
    lead = scores[np.arange(len(scores)), best][:, None] - scores                  # [N, 10], 0 at best
    R = int(remaining) * int(n2)
    k = np.arange(CLASSES)[None, :]
    safe = (lead > R) | ((lead == R) & (best[:, None] < k)) | (k == best[:, None])
    out = safe.all(axis=1)
    if margin is not None:
        runner_up = np.where(k == best[:, None], np.iinfo(np.int64).max, lead).min(axis=1)
        out |= runner_up >= margin
    return out


@dataclass
class ExitResult:
    """Where each image stopped: ``t`` (stream indices used), ``classes`` and the partial ``scores`` there."""

    t: np.ndarray
    classes: np.ndarray
    scores: np.ndarray

    def mean_length(self) -> float:
        return float(np.mean(self.t))


def run(output_counts: np.ndarray, rule: ExitRule, n2: int) -> ExitResult:
    """Apply ``rule`` to per-t output counts [N, L, 10] (``golden.run_network(..., record="output")``)."""
    c = np.asarray(output_counts)
    if c.ndim != 3 or c.shape[2] != CLASSES:
        raise MtjscError(f"early exit reads per-t output counts [N, L, {CLASSES}], got shape {c.shape}")
    N, L, _ = c.shape
    rule.check(L, n2)
    if N and (c.min() < 0 or c.max() > n2):
        raise MtjscError(f"output counts outside [0, {n2}]: early exit's exact rule needs a Btanh network's "
                         f"counts (an OR network's signed counts are not supported)")
    partial = np.cumsum(c, axis=1, dtype=np.int64)                                   # S(t + 1)
    t_exit = np.full(N, L, np.int64)
    open_ = np.ones(N, bool)
    for t in rule.boundaries(L):
        idx = np.flatnonzero(open_)
        if not len(idx):
            break
        stop = decided(partial[idx, t - 1], L - t, n2, rule.margin) if t < L else np.ones(len(idx), bool)
        t_exit[idx[stop]] = t
        open_[idx[stop]] = False
    scores = partial[np.arange(N), t_exit - 1] if N else np.zeros((0, CLASSES), np.int64)
    return ExitResult(t=t_exit, classes=np.argmax(scores, axis=1), scores=scores)


def golden_run(model, pixels, rule: ExitRule | None, *, source, config, image_ids=None, workers=None,
               progress=None):
    """The golden model's run of ``pixels`` [N, 784] with ``rule``: the full run and where each image stops.

    Returns ``(full, exit)``: the :func:`~mtjsc.behavioral_models.golden.run_network` result (its
    ``classes`` are the full run's) and the :class:`ExitResult`, or ``None`` for ``exit`` without a rule.
    The one definition the co-simulation, the early-exit study and the ECP5 benchmark compare against.
    """
    from mtjsc.behavioral_models import golden
    kw = dict(source=source, config=config, image_ids=image_ids, workers=workers, progress=progress)
    if rule is None:
        return golden.run_network(model, pixels, **kw), None
    full = golden.run_network(model, pixels, record="output", **kw)
    return full, run(full.output_counts, rule, config.fan_in[1])


def step(scores, t: int, L: int, n2: int, margin: int | None = None) -> bool:
    """Pure-Python reference of one check (one image, boundary t): the rule as the RTL compares it."""
    s = [int(v) for v in scores]
    best = max(range(CLASSES), key=lambda k: (s[k], -k))
    if t >= L:
        return True
    R = (L - t) * n2
    if all(k == best or s[best] - s[k] > R or (s[best] - s[k] == R and best < k) for k in range(CLASSES)):
        return True
    return margin is not None and min(s[best] - s[k] for k in range(CLASSES) if k != best) >= margin
