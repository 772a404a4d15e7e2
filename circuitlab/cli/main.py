"""Entry point of the ``circuitlab`` console script.

Every module ``circuitlab/cli/cmd_<name>.py`` defines ``register(subparsers)``, which adds its
subcommand with ``set_defaults(func=...)``; adding such a module adds the subcommand. ``func(args)``
returns the exit code. Errors derived from CircuitlabError print one line to stderr and exit 1.
"""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

from .. import __version__
from ..errors import CircuitlabError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="circuitlab", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--version", action="version", version=f"circuitlab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    package = importlib.import_module("circuitlab.cli")
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("cmd_"):
            importlib.import_module(f"circuitlab.cli.{info.name}").register(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except CircuitlabError as exc:
        print(f"circuitlab: error: {exc}", file=sys.stderr)
        if getattr(exc, "exit_immediately", False):
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(1)
        return 1
    except KeyboardInterrupt:
        print("circuitlab: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
