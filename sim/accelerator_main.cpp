// Native Verilator testbench of ScMlpAccelerator (lfsr SNGs): images in, class, scores and clocks out.
// No cocotb and no VPI, so the design, not the testbench, sets the speed. mtjsc.sim.native builds it.
//
//   usage: vaccel IMAGES.bin FIRST COUNT SCORE_BITS OUT.txt
//
// IMAGES.bin holds uint8 images of 784 pixels; images FIRST .. FIRST+COUNT-1 are run one after the
// other. Each clock: pixels offered while the image lasts (valid every clock), the result taken at once
// (ready high); an output line per image: class, ten scores, clocks from the first pixel offered to
// the result taken.
#include "Vtop.h"
#include "verilated.h"
#if VM_COVERAGE
#include "verilated_cov.h"
#include <string>
#endif
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s IMAGES.bin FIRST COUNT SCORE_BITS OUT.txt\n", argv[0]);
        return 2;
    }
    const long first = atol(argv[2]), count = atol(argv[3]);
    const int S = atoi(argv[4]);
    std::vector<uint8_t> px(count * 784);
    FILE* f = fopen(argv[1], "rb");
    if (!f || fseek(f, first * 784, SEEK_SET) != 0 || fread(px.data(), 1, px.size(), f) != px.size()) {
        fprintf(stderr, "cannot read images %ld..%ld from %s\n", first, first + count - 1, argv[1]);
        return 2;
    }
    fclose(f);
    FILE* o = fopen(argv[5], "w");
    if (!o) { fprintf(stderr, "cannot write %s\n", argv[5]); return 2; }
    Vtop* top = new Vtop;
    top->rst = 1;
    top->pixels___05Fvalid = 0;
    top->result___05Fready = 0;
    for (int i = 0; i < 2; i++) { top->clk = 0; top->eval(); top->clk = 1; top->eval(); }
    top->rst = 0;
    top->clk = 0; top->eval(); top->clk = 1; top->eval();   // the top registers rst: one more clock
    const long limit = 100000000L;   // clocks per image before giving up (a hung design)
    for (long i = 0; i < count; i++) {
        long k = 0, clocks = 0;
        top->result___05Fready = 1;
        while (true) {
            top->pixels___05Fvalid = k < 784;
            if (k < 784) top->pixels___05Fpayload = px[i * 784 + k];
            top->clk = 0; top->eval();                       // inputs of this clock settle
            const bool took_pixel = top->pixels___05Fvalid && top->pixels___05Fready;
            const bool took_result = top->result___05Fvalid && top->result___05Fready;
            if (took_result) {
                const uint32_t* w = top->result___05Fpayload.data();
                auto field = [&](int lo, int n) {
                    uint64_t v = 0;
                    for (int b = 0; b < n; b++) v |= (uint64_t)((w[(lo + b) / 32] >> ((lo + b) % 32)) & 1u) << b;
                    return (unsigned long long)v;
                };
                fprintf(o, "%llu", field(0, 4));
                for (int s = 0; s < 10; s++) fprintf(o, " %llu", field(4 + s * S, S));
                fprintf(o, " %ld\n", clocks + 1);
                fflush(o);
            }
            top->clk = 1; top->eval();                       // the rising edge: transfers happen
            clocks++;
            if (took_pixel) k++;
            if (took_result) break;
            if (clocks > limit) { fprintf(stderr, "image %ld: no result after %ld clocks\n", first + i, clocks); return 1; }
        }
    }
    fclose(o);
    top->final();
#if VM_COVERAGE   // a gate-level build for mtjsc.asic: every net's toggles, beside the output
    VerilatedCov::write((std::string(argv[5]) + ".cov").c_str());
#endif
    delete top;
    return 0;
}
