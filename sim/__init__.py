"""cocotb co-simulation: runner glue (:mod:`mtjsc.sim.runner`) and testbench classes
(:mod:`mtjsc.sim.testbenches`, imported inside the simulator)."""
