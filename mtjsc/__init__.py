"""mtjsc: a stochastic-computing MNIST network on stochastic MTJs.

Subpackages: :mod:`mtjsc.behavioral_models` (golden model, stream sources),
:mod:`mtjsc.hdl` (Amaranth RTL), :mod:`mtjsc.sim` (cocotb glue),
:mod:`mtjsc.boards` (FPGA tops). This top package holds the CLI, the
configuration, MNIST loading, training and reports; importing it is cheap.
"""

__version__ = "0.1.0"
