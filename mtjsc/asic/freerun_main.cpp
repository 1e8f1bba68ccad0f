// Free-running gate-level simulation for toggle counts (mtjsc.asic.activity builds it).
//   usage: vfree CYCLES COVERAGE.dat
// Reset for two clocks, then CYCLES clocks with every other input at 0; toggles are counted
// from the first clock after reset (the coverage is reset then).
#include "Vtop.h"
#include "verilated.h"
#include "verilated_cov.h"
#include <cstdlib>

int main(int argc, char** argv) {
    if (argc != 3) return 2;
    const long cycles = atol(argv[1]);
    Vtop* top = new Vtop;
    top->rst = 1;
    for (int i = 0; i < 2; i++) { top->clk = 0; top->eval(); top->clk = 1; top->eval(); }
    top->rst = 0;
    top->clk = 0; top->eval();
    VerilatedCov::zero();
    for (long i = 0; i < cycles; i++) { top->clk = 1; top->eval(); top->clk = 0; top->eval(); }
    VerilatedCov::write(argv[2]);
    delete top;
    return 0;
}
