"""A standard-cell flow: the OSU 0.18 um library, Yosys, Verilator toggles and OpenSTA.

:mod:`~mtjsc.asic.library` finds the installed library (``./run setup-asic``),
:mod:`~mtjsc.asic.flow` maps a design to its cells (area in um^2 per block),
times it and estimates its power with OpenSTA, and
:mod:`~mtjsc.asic.activity` measures the switching activity of every net by
simulating the mapped gate-level netlist (Verilator ``--coverage-toggle``).
"""
