"""`mtjsc verilog`: the Verilog and JSON manifest of one block, the network core or the accelerator."""

from __future__ import annotations

import json

from mtjsc.cli.options import add_design_options, design_kwargs
from mtjsc.output import check_output_dir

HELP = "Verilog and a JSON manifest of one SC block"


def add_arguments(v) -> None:
    v.add_argument("--block", required=True, help="xnor | apc | btanh | neuron | lfsr | sng | or_neuron | "
                                                  "accelerator | core (ScMlpCore, or OrMlpCore for an OR model)")
    add_design_options(v)
    v.add_argument("--out", required=True, help="output directory")


def run(a) -> int:
    from mtjsc.designs import design, write_verilog
    out = check_output_dir(a.out, "--out")        # before the design is built
    print(json.dumps(write_verilog(design(a.block, **design_kwargs(a)), out)))
    return 0
