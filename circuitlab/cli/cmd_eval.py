"""``circuitlab eval``: the seed experiments on the PyTorch side (one module per experiment)."""
from __future__ import annotations

from . import eval_ddpm, eval_resnet, eval_snn


def register(sub) -> None:
    p = sub.add_parser("eval", help="the seed experiments on the PyTorch side")
    esub = p.add_subparsers(dest="eval_command", metavar="EXPERIMENT")
    eval_ddpm.register(esub)
    eval_snn.register(esub)
    eval_resnet.register(esub)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])
