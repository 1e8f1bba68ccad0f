"""Behavioral models: bipolar coding, stream sources (ideal, LFSR; MTJ to come),
and the bit-exact NumPy golden model of the SC network.

This package never imports Amaranth, :mod:`mtjsc.hdl`, :mod:`mtjsc.sim` or the CLI.
"""
