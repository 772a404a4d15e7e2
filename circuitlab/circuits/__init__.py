"""Python-generated example and testbench circuits, registered by name.

``EXAMPLES`` maps a name to a builder returning a :class:`~circuitlab.netlist.Circuit`;
``circuitlab netlist generate --all`` writes each to ``netlists/<name>.cir``.
"""
from .basic import EXAMPLES, build_example
from . import p2m_campaigns  # noqa: F401,E402  (adds the P2M cell examples to EXAMPLES)
from . import meram_unit  # noqa: F401,E402  (adds the MeRAM unit example to EXAMPLES)
from . import crossbar  # noqa: F401,E402  (adds the RRAM crossbar example to EXAMPLES)

__all__ = ["EXAMPLES", "build_example"]
