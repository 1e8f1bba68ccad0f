"""Amaranth components of the SC network (DESIGN.md, "Hardware").

Each block is an :class:`amaranth.lib.wiring.Component` with keyword-only,
validated parameters and a pure-Python ``reference`` beside it that uses the
golden model's definitions (:mod:`mtjsc.behavioral_models`).
"""

from mtjsc.hdl.apc import ApproxParallelCounter
from mtjsc.hdl.btanh import BtanhCounter, BtanhUpdate
from mtjsc.hdl.lane_apc import LaneApc
from mtjsc.hdl.lfsr import ComparatorSng, Lfsr, LfsrLeap
from mtjsc.hdl.neuron import ScNeuron
from mtjsc.hdl.rounding import StochasticRounder
from mtjsc.hdl.xnor import XnorArray

__all__ = ["ApproxParallelCounter", "BtanhCounter", "BtanhUpdate", "ComparatorSng", "LaneApc", "Lfsr", "LfsrLeap", "ScNeuron", "StochasticRounder",
           "XnorArray"]
