"""Decks as ngspice runs them: the circuit, its own ``.control`` commands, and what both backends add.

A deck may carry ``.control`` blocks anywhere (after ``.end`` too, which ``ngspice -b`` still runs).
Both backends run the same text: the circuit, then one control block holding the deck's own commands
(display-only commands removed, ``quit``/``exit`` and what follows them cut), ``run`` when those
commands start no analysis themselves (``ngspice -b`` does the same after a control block), and, for
the subprocess backend only, a loop that writes every plot to its own binary raw file.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Tuple

_CONTROL = re.compile(r"^\s*\.control\b", re.IGNORECASE)
_ENDC = re.compile(r"^\s*\.endc\b", re.IGNORECASE)
_END = re.compile(r"^\s*\.end\s*$", re.IGNORECASE)
_ANALYSIS_CARD = re.compile(r"^\s*\.(op|dc|tran|ac|noise|tf|sens|pz|disto)\b", re.IGNORECASE)
#: control commands that create plots (``load`` reads them from a raw file)
_ANALYSIS_COMMANDS = frozenset({"run", "op", "dc", "tran", "ac", "noise", "tf", "sens", "pz", "disto", "load",
                                "pss", "sp", "resume", "linearize"})
#: commands that only draw: they show nothing in batch mode and print chatter there
_DISPLAY_COMMANDS = frozenset({"plot", "iplot", "gnuplot", "xgraph", "hardcopy", "wrdata_plot"})
_QUIT = frozenset({"quit", "exit"})
_MEAS_COMMAND = re.compile(r"^\s*meas(?:ure)?\s+\w+\s+([^\s=]+)", re.IGNORECASE)
PLOT_MARK = "circuitlab-plot"


@dataclass(frozen=True)
class Deck:
    """A deck split into its circuit (title to the last card before ``.end``) and control commands."""
    circuit: Tuple[str, ...]
    commands: Tuple[str, ...]
    own_control: bool

    @property
    def analysis_cards(self) -> bool:
        return any(_ANALYSIS_CARD.match(line) for line in self.circuit)

    @property
    def commands_run_analyses(self) -> bool:
        return any(_first_word(c) in _ANALYSIS_COMMANDS for c in self.commands)

    @property
    def asks_for_data(self) -> bool:
        """Whether the deck asked for any analysis (a card, or a command of its control block)."""
        return self.analysis_cards or self.commands_run_analyses

    def measure_commands(self) -> List[str]:
        """Names of the ``meas`` commands of the control block (lower case, in order)."""
        return [m.group(1).lower() for c in self.commands for m in [_MEAS_COMMAND.match(c)] if m]

    def run_commands(self) -> List[str]:
        """The deck's own commands, then ``run`` if they start no analysis (as ``ngspice -b`` does)."""
        cmds = list(self.commands)
        if not self.commands_run_analyses and self.analysis_cards:
            cmds.append("run")
        return cmds

    def text(self, writer: List[str] = ()) -> str:
        """The runnable deck: the circuit, one control block (own commands + ``writer``), ``.end``."""
        return "\n".join([*self.circuit, ".control", *self.run_commands(), *writer, ".endc", ".end"]) + "\n"


def _first_word(line: str) -> str:
    parts = line.split()
    return parts[0].lower() if parts else ""


def split_deck(text: str) -> Deck:
    """Separate a deck's control blocks (wherever they are) from its circuit; drop ``.end`` and what
    follows it outside control blocks."""
    circuit, commands = [], []
    in_control, ended, own, quitted = False, False, False, False
    for line in text.splitlines():
        if in_control:
            if _ENDC.match(line):
                in_control = False
                continue
            word = _first_word(line)
            if word in _QUIT:
                quitted = True
            if not quitted and word not in _DISPLAY_COMMANDS and line.strip():
                commands.append(line.rstrip())
            continue
        if _CONTROL.match(line):
            in_control, own = True, True
            continue
        if _END.match(line):
            ended = True
            continue
        if not ended:
            circuit.append(line.rstrip())
    while circuit and not circuit[-1].strip():
        circuit.pop()
    return Deck(tuple(circuit), tuple(commands), own)


def writer_commands(prefix: str = "circuitlab") -> List[str]:
    """Control commands that write each plot (creation order) to ``<prefix>_<plot>.raw`` in binary and
    print a marker line naming it (the constants plot too: the reader skips it)."""
    return ["set filetype=binary", "unset appendwrite", f"foreach {prefix}_plot $plots",
            f"  setplot ${prefix}_plot", f"  echo {PLOT_MARK} ${prefix}_plot",
            f"  write {prefix}_{{${prefix}_plot}}.raw", "end", "quit"]


def marked_plots(stdout: str) -> List[str]:
    """The plot names the writer announced, in order."""
    return re.findall(rf"^{PLOT_MARK} (\S+)\s*$", stdout, re.MULTILINE)


def strip_marks(stdout: str) -> str:
    return re.sub(rf"^{PLOT_MARK} \S+\s*\n?", "", stdout, flags=re.MULTILINE)
