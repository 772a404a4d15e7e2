"""Every command and subcommand of ``circuitlab`` answers ``--help`` (exit 0, a usage line), found by
walking the argument parser rather than from a hand-kept list."""
from __future__ import annotations

import argparse

import pytest

from circuitlab.cli.main import build_parser


def _commands(parser, prefix=()):
    yield prefix
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, prefix + (name,))


COMMANDS = list(_commands(build_parser()))


def test_the_walk_finds_the_commands():
    names = {" ".join(c) for c in COMMANDS}
    for expected in ("mc run", "mc sensitivity", "mc corners", "mc tail", "data import", "pipeline", "eval snn",
                     "eval ddpm", "eval resnet", "llg sweep", "p2m characterise", "export"):
        assert expected in names, expected


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda c: " ".join(c) or "circuitlab")
def test_help(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args([*argv, "--help"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith("usage: circuitlab")
