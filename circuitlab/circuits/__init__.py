"""Python-generated example and testbench circuits, registered by name.

``EXAMPLES`` maps a name to a builder returning a :class:`~circuitlab.netlist.Circuit`;
``circuitlab netlist generate --all`` writes each to ``netlists/<name>.cir``.
"""
from .basic import EXAMPLES, build_example

__all__ = ["EXAMPLES", "build_example"]
