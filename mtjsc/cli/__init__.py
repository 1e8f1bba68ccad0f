"""The `mtjsc` command line: one module per command, each thin over the library.

Each command module has ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``; the option
groups several commands share are defined once in :mod:`mtjsc.cli.options`. Bad input raises
:class:`~mtjsc.errors.MtjscError`, printed as one ``mtjsc: error:`` line with exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from mtjsc.errors import MtjscError

#: The commands in the order ``mtjsc --help`` lists them (module mtjsc.cli.<name>).
COMMANDS = ("train", "eval", "verilog", "area", "mtj", "sweep", "cosim", "lowprec", "binarynet", "ornet", "ising",
            "pbit", "board", "faults", "baseline", "asic", "early-exit", "prove", "demo")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mtjsc", description="Stochastic-computing MNIST network on stochastic MTJs")
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in COMMANDS:
        mod = importlib.import_module(f"mtjsc.cli.{name.replace('-', '_')}")
        cp = sub.add_parser(name, help=mod.HELP, description=mod.__doc__.split("\n\n")[0])
        mod.add_arguments(cp)
        cp.set_defaults(func=mod.run)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except MtjscError as e:
        print(f"mtjsc: error: {e}", file=sys.stderr)
        return 2
