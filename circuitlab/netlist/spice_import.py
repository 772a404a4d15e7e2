"""SPICE text into the netlist IR: :func:`parse_netlist` (ngspice 39 manual, chapters 2-4, 15).

Handled: R, C, L, V, I (DC, AC, PULSE, SIN, PWL, TRNOISE, TRRANDOM; omitted arguments stay omitted, so
SPICE's defaults apply), B, E, F, G, H, D, M, Q, J, K, S, W, T, X; ``.model``, ``.subckt`` (with
``params:``), ``.param``, ``.func``, ``.include``, ``.lib``, ``.options``, ``.temp``, ``.ic``,
``.nodeset``, ``.save``, ``.op/.dc/.tran/.ac/.noise/.tf/.sens/.pz``, ``.meas`` and the control block (kept
verbatim). Numbers take SPICE's scale suffixes (``1k``, ``2.2u``, ``1meg``; trailing unit letters are
ignored); ``{...}`` and ``'...'`` are expressions. Anything else raises
:class:`~circuitlab.errors.UnsupportedConstructError` with its line number: nothing is dropped.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ..errors import CircuitError, NetlistParseError
from .analyses import AC, DC, TF, Measure, Noise, Op, PoleZero, Sens, Tran
from .circuit import Circuit, Function, Model, Subcircuit
from .elements import (BSource, CCCS, CCVS, Capacitor, CurrentSource, Diode, Inductor, Instance, Mosfet,
                       Resistor, VCCS, VCVS, VoltageSource)
from .more_elements import Bjt, Coupling, CSwitch, Jfet, TransmissionLine, VSwitch
from .spice_text import (NODE_VALUE, WAVES, Card, analysis_words, as_int, pairs, parse_value, split_cards,
                         values_of)
from .waveforms import PWL, Pulse, Sin, TrNoise, TrRandom


class _Parser:
    def __init__(self, base: Path):
        self.base = base
        self.model_names: set = set()

    # --- sources ----------------------------------------------------------------------------------
    def source(self, card: Card, cls):
        toks = [t for t in card.tokens[3:] if t != ","]
        dc = ac = None
        ac_phase = 0.0
        waveform = None
        i = 0
        while i < len(toks):
            word = toks[i].lower()
            if word == "dc" and i + 1 < len(toks):
                dc, i = parse_value(toks[i + 1]), i + 2
            elif word == "ac":
                ac, i = 1.0, i + 1
                if i < len(toks) and toks[i] not in "()" and toks[i].lower() not in WAVES | {"dc"}:
                    ac, i = parse_value(toks[i]), i + 1
                    if i < len(toks) and toks[i] not in "()" and toks[i].lower() not in WAVES | {"dc"}:
                        ac_phase, i = parse_value(toks[i]), i + 1
            elif word in WAVES:
                args, i = [], i + 1
                if i < len(toks) and toks[i] == "(":
                    i += 1
                    while i < len(toks) and toks[i] != ")":
                        args.append(toks[i])
                        i += 1
                    i += 1
                else:
                    while i < len(toks) and toks[i].lower() not in {"dc", "ac"} | WAVES:
                        args.append(toks[i])
                        i += 1
                waveform, i = self.waveform(card, word, args, toks, i)
            elif i == 0:
                dc, i = parse_value(toks[0]), 1
            else:
                raise card.error(f"unexpected {toks[i]!r} in source {card.tokens[0]}")
        return cls(card.tokens[0], card.tokens[1], card.tokens[2], dc=dc, ac=ac, ac_phase=ac_phase,
                   waveform=waveform)

    def waveform(self, card: Card, kind: str, args: List[str], toks: List[str], i: int):
        vals = [parse_value(a) for a in args]
        if kind == "pulse":
            if not 2 <= len(vals) <= 8:
                raise card.error(f"PULSE takes 2 to 8 arguments, not {len(vals)}")
            if len(vals) == 8:
                vals[7] = as_int(args[7], card)
            return Pulse(*vals), i
        if kind == "sin":
            if not 2 <= len(vals) <= 6:
                raise card.error(f"SIN takes 2 to 6 arguments, not {len(vals)}")
            return Sin(*vals), i
        if kind == "pwl":
            pos, kv = pairs(args)
            pv = [parse_value(a) for a in pos]
            # r= and td= may also follow the parenthesis
            while i + 2 < len(toks) + 0 and toks[i + 1:i + 2] == ["="] and toks[i].lower() in ("r", "td"):
                kv[toks[i]] = toks[i + 2]
                i += 3
            kv = values_of(kv)
            if len(pv) % 2 or not pv:
                raise card.error("PWL needs (time, value) pairs")
            extra = set(kv) - {"r", "td"}
            if extra:
                raise card.error(f"PWL option(s) {sorted(extra)} are not supported", unsupported=True)
            return PWL(tuple(zip(pv[::2], pv[1::2])), repeat=kv.get("r"), delay=kv.get("td")), i
        if kind == "trnoise":
            if not 2 <= len(vals) <= 4:
                raise card.error("TRNOISE takes 2 to 4 arguments here (rms, interval, alpha, 1/f amplitude)",
                                 unsupported=len(vals) > 4)
            return TrNoise(*vals), i
        if kind == "trrandom":
            if not 2 <= len(vals) <= 5:
                raise card.error("TRRANDOM takes 2 to 5 arguments")
            vals[0] = as_int(args[0], card)
            return TrRandom(*vals), i
        raise card.error(f"{kind.upper()} sources are not in the netlist IR; use PULSE, SIN, PWL or a B source",
                         unsupported=True)

    # --- elements ---------------------------------------------------------------------------------
    def element(self, card: Card):
        t = card.tokens
        name, letter = t[0], t[0][0].upper()
        pos, kv = pairs(t[1:])
        try:
            if letter in "RCL":
                if len(pos) != 3:
                    raise card.error(f"{name} needs two nodes and a value")
                kv = values_of(kv)
                cls = {"R": Resistor, "C": Capacitor, "L": Inductor}[letter]
                ic = kv.pop("ic", None)
                if kv or (letter == "R" and ic is not None):
                    raise card.error(f"{name}: instance parameters {sorted(kv)} are not in the netlist IR",
                                     unsupported=True)
                extra = {"ic": ic} if ic is not None else {}
                return cls(name, pos[0], pos[1], parse_value(pos[2]), **extra)
            if letter in "VI":
                return self.source(card, VoltageSource if letter == "V" else CurrentSource)
            if letter == "B":
                m = re.match(r"^\S+\s+(\S+)\s+(\S+)\s+([vi])\s*=\s*(.+)$", card.text, re.IGNORECASE)
                if not m:
                    raise card.error(f"{name} needs two nodes and V=expr or I=expr")
                expr = m.group(4).strip()
                kind = "voltage" if m.group(3).lower() == "v" else "current"
                return BSource(name, m.group(1), m.group(2), **{kind: expr})
            if letter in "EG":
                if len(pos) != 5 or kv:
                    raise card.error(f"{name}: only the linear form 'n+ n- nc+ nc- gain' is in the netlist IR",
                                     unsupported=True)
                return (VCVS if letter == "E" else VCCS)(name, pos[0], pos[1], pos[2], pos[3], parse_value(pos[4]))
            if letter in "FH":
                if len(pos) != 4 or kv:
                    raise card.error(f"{name}: only the linear form 'n+ n- vcontrol gain' is in the netlist IR",
                                     unsupported=True)
                return (CCCS if letter == "F" else CCVS)(name, pos[0], pos[1], pos[2], parse_value(pos[3]))
            if letter == "D":
                params = values_of(kv)
                if len(pos) == 4:
                    params = {"area": parse_value(pos[3]), **params}
                elif len(pos) != 3:
                    raise card.error(f"{name} needs anode, cathode, model [area]")
                return Diode(name, pos[0], pos[1], pos[2], params)
            if letter == "M":
                if len(pos) != 5:
                    raise card.error(f"{name} needs drain, gate, source, bulk and a model")
                return Mosfet(name, *pos, params=values_of(kv))
            if letter == "Q":
                return self.bjt(card, name, pos, kv)
            if letter == "J":
                params = values_of(kv)
                if len(pos) == 5:
                    params = {"area": parse_value(pos[4]), **params}
                elif len(pos) != 4:
                    raise card.error(f"{name} needs drain, gate, source and a model [area]")
                return Jfet(name, pos[0], pos[1], pos[2], pos[3], params)
            if letter == "K":
                if len(pos) != 3 or kv:
                    raise card.error(f"{name} needs two inductors and a coupling factor")
                return Coupling(name, pos[0], pos[1], parse_value(pos[2]))
            if letter == "S":
                if len(pos) not in (5, 6) or kv:
                    raise card.error(f"{name} needs n+ n- nc+ nc- model [on|off]")
                return VSwitch(name, *pos[:5], initial=pos[5].lower() if len(pos) == 6 else None)
            if letter == "W":
                if len(pos) not in (4, 5) or kv:
                    raise card.error(f"{name} needs n+ n- vcontrol model [on|off]")
                return CSwitch(name, *pos[:4], initial=pos[4].lower() if len(pos) == 5 else None)
            if letter == "T":
                kv = values_of(kv)
                extra = set(kv) - {"z0", "td", "f", "nl"}
                if len(pos) != 4 or extra:
                    raise card.error(f"{name} needs four nodes and Z0= with TD= (or F= NL=)",
                                     unsupported=bool(extra))
                return TransmissionLine(name, *pos, z0=kv.get("z0", 50.0), td=kv.get("td"), f=kv.get("f"),
                                        nl=kv.get("nl"))
            if letter == "X":
                pos = [p for p in pos if p.lower() != "params:"]
                if len(pos) < 1:
                    raise card.error(f"{name} needs nodes and a subcircuit name")
                return Instance(name, pos[-1], tuple(pos[:-1]), values_of(kv))
        except NetlistParseError:
            raise
        except ValueError as exc:  # CircuitError included: an invalid value names its card's line
            raise card.error(str(exc)) from None
        raise card.error(f"element type {letter!r} ({name}) is not in the netlist IR", unsupported=True)

    def bjt(self, card: Card, name: str, pos: List[str], kv):
        params = values_of(kv)
        if len(pos) >= 4 and pos[3].lower() in self.model_names:
            nodes, model, rest = pos[:3], pos[3], pos[4:]
        elif len(pos) >= 5 and pos[4].lower() in self.model_names:
            nodes, model, rest = pos[:4], pos[4], pos[5:]
        else:
            raise card.error(f"{name}: no .model card names its model; define it in the deck")
        if len(rest) > 1:
            raise card.error(f"{name}: unexpected {rest[1:]}")
        if rest:
            params = {"area": parse_value(rest[0]), **params}
        return Bjt(name, nodes[0], nodes[1], nodes[2], model, nodes[3] if len(nodes) == 4 else None, params)

    # --- dot cards --------------------------------------------------------------------------------
    def model(self, card: Card) -> Model:
        toks = [t for t in card.tokens[1:] if t not in "(),"]
        if len(toks) < 2:
            raise card.error(".model needs a name and a type")
        pos, kv = pairs(toks[2:])
        if pos:
            raise card.error(f".model {toks[0]}: unexpected {pos}")
        return Model(toks[0], toks[1].lower(), values_of(kv))

    def analysis(self, card: Card, kind: str):
        toks = [t for t in card.tokens[1:] if t != ","]
        vals = [parse_value(x) for x in toks]
        if kind == "op":
            return Op()
        if kind == "tran":
            uic = bool(toks) and toks[-1].lower() == "uic"
            vals = vals[:-1] if uic else vals
            if not 2 <= len(vals) <= 4:
                raise card.error(".tran needs tstep tstop [tstart [tmax]] [uic]")
            return Tran(vals[0], vals[1], vals[2] if len(vals) > 2 else 0.0, vals[3] if len(vals) > 3 else None, uic)
        if kind == "ac":
            if len(toks) != 4:
                raise card.error(".ac needs dec|oct|lin points fstart fstop")
            return AC(toks[0].lower(), as_int(toks[1], card), vals[2], vals[3])
        if kind == "dc":
            if len(toks) not in (4, 8):
                raise card.error(".dc needs source start stop step [source2 start2 stop2 step2]")
            extra = dict(source2=toks[4], start2=vals[5], stop2=vals[6], step2=vals[7]) if len(toks) == 8 else {}
            return DC(toks[0], vals[1], vals[2], vals[3], **extra)
        outputs = analysis_words(card)
        if kind == "tf":
            if len(outputs) != 2:
                raise card.error(".tf needs an output variable and a source")
            return TF(*outputs)
        if kind == "sens":
            if len(outputs) == 1:
                return Sens(outputs[0])
            rest = outputs[1:]
            if len(rest) == 5 and rest[0].lower() == "ac":
                return Sens(outputs[0], AC(rest[1].lower(), as_int(rest[2], card), parse_value(rest[3]),
                                           parse_value(rest[4])))
            raise card.error(".sens needs an output variable [ac dec|oct|lin points fstart fstop]")
        if kind == "noise":
            if len(outputs) not in (6, 7):
                raise card.error(".noise needs output source dec|oct|lin points fstart fstop [pts_per_summary]")
            pps = as_int(outputs[6], card) if len(outputs) == 7 else None
            return Noise(outputs[0], outputs[1], outputs[2].lower(), as_int(outputs[3], card), parse_value(outputs[4]),
                         parse_value(outputs[5]), pps)
        if kind == "pz":
            if len(toks) != 6:
                raise card.error(".pz needs in+ in- out+ out- vol|cur pz|pol|zer")
            return PoleZero(*toks[:4], toks[4].lower(), toks[5].lower())
        raise card.error(f".{kind} is not in the netlist IR", unsupported=True)


_DOT = re.compile(r"^\.(\w+)", re.IGNORECASE)


def parse_netlist(source, *, base: Optional[Path] = None) -> Circuit:
    """Turn SPICE netlist text (or the path of a deck file) into a validated :class:`Circuit`.

    ``.include``/``.lib`` paths are made absolute (relative to the deck's folder, or ``base``, or the
    working directory for text). Raises :class:`~circuitlab.errors.NetlistParseError` (malformed card)
    or :class:`~circuitlab.errors.UnsupportedConstructError` (a construct the IR cannot hold), both
    with ``line_number``; a :class:`~circuitlab.errors.CircuitError` if the result is not valid.
    """
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source and Path(source).is_file()):
        path = Path(source)
        text, base = path.read_text(errors="replace"), base or path.resolve().parent
    else:
        text = str(source)
    base = Path(base or Path.cwd())
    title, cards, control = split_cards(text)
    parser = _Parser(base)
    parser.model_names = {c.tokens[1].lower() for c in cards if len(c.tokens) > 1
                          and c.tokens[0].lower() == ".model"}
    top: Dict[str, list] = {"elements": [], "models": []}
    scope = top
    subckts: List[Subcircuit] = []
    sub_head: Optional[Tuple[Card, str, tuple, dict]] = None
    params: Dict[str, object] = {}
    functions: List[Function] = []
    includes, libs = [], []
    options: Dict[str, object] = {}
    ic: Dict[str, object] = {}
    nodesets: Dict[str, object] = {}
    analyses, measures = [], []
    saves: List[str] = []
    for card in cards:
        m = _DOT.match(card.text)
        if not m:
            element = parser.element(card)
            try:
                element.check()
            except CircuitError as exc:
                raise card.error(str(exc)) from None
            scope["elements"].append(element)
            continue
        dot = m.group(1).lower()
        rest = card.text[m.end():].strip()
        if dot == "subckt":
            if sub_head is not None:
                raise card.error("nested .subckt definitions are not in the netlist IR", unsupported=True)
            toks = [t for t in card.tokens[1:] if t.lower() != "params:"]
            pos, kv = pairs(toks)
            if not pos:
                raise card.error(".subckt needs a name")
            sub_head = (card, pos[0], tuple(pos[1:]), values_of(kv))
            scope = {"elements": [], "models": []}
        elif dot == "ends":
            if sub_head is None:
                raise card.error(".ends without .subckt")
            _, name, ports, sparams = sub_head
            ports_used = {n for e in scope["elements"] for n in e.nodes()}
            subckts.append(Subcircuit(name, ports, tuple(scope["elements"]), sparams, tuple(scope["models"]),
                                      allow_dangling=_single_terminal(scope["elements"], ports) | (
                                          set(ports) - ports_used)))
            sub_head, scope = None, top
        elif dot == "model":
            scope["models"].append(parser.model(card))
        elif sub_head is not None:
            raise card.error(f".{dot} inside a .subckt is not in the netlist IR; move it to the top level",
                             unsupported=True)
        elif dot == "param":
            pos, kv = pairs(card.tokens[1:])
            if pos:
                raise card.error(f".param: unexpected {pos}; write name=value")
            params.update((k, parse_value(v)) for k, v in kv.items())
        elif dot == "func":
            fm = re.match(r"^(\w+)\s*\(([^)]*)\)\s*=?\s*(.+)$", rest)
            if not fm:
                raise card.error(".func needs name(args) {expression}")
            body = fm.group(3).strip()
            body = body[1:-1].strip() if body[:1] in "{'" else body
            functions.append(Function(fm.group(1), tuple(a.strip() for a in fm.group(2).split(",") if a.strip()),
                                      body))
        elif dot in ("include", "inc"):
            includes.append(str((base / rest.strip("\"'")).resolve()))
        elif dot == "lib":
            parts = rest.split()
            if len(parts) != 2:
                raise card.error(".lib needs a file and a section (a .lib section definition is not supported)",
                                 unsupported=True)
            libs.append((str((base / parts[0].strip("\"'")).resolve()), parts[1]))
        elif dot in ("options", "option", "opt", "opts"):
            toks, i = card.tokens[1:], 0
            while i < len(toks):  # flags and key=value in the deck's order
                if i + 2 < len(toks) and toks[i + 1] == "=":
                    value = parse_value(toks[i + 2])
                    options[toks[i].lower()] = value if isinstance(value, float) else toks[i + 2]
                    i += 3
                else:
                    options[toks[i].lower()] = True
                    i += 1
        elif dot == "temp":
            options["temp"] = parse_value(rest)
        elif dot in ("ic", "nodeset"):
            found = NODE_VALUE.findall(rest)
            if not found:
                raise card.error(f".{dot} needs v(node)=value pairs")
            (ic if dot == "ic" else nodesets).update((n, parse_value(v)) for n, v in found)
        elif dot == "save":
            saves += analysis_words(card)
        elif dot in ("op", "tran", "ac", "dc", "tf", "sens", "noise", "pz"):
            analyses.append(parser.analysis(card, dot))
        elif dot in ("meas", "measure"):
            mm = re.match(r"^(\w+)\s+(\S+)\s+(.+)$", rest)
            if not mm:
                raise card.error(".meas needs an analysis, a name and a specification")
            measures.append(Measure(mm.group(1).lower(), mm.group(2), mm.group(3)))
        else:
            raise card.error(f".{dot} is not in the netlist IR", unsupported=True)
    if sub_head is not None:
        raise sub_head[0].error(f".subckt {sub_head[1]} has no .ends")
    try:
        return Circuit(title, elements=tuple(top["elements"]), subcircuits=tuple(subckts),
                       models=tuple(top["models"]), params=params, functions=tuple(functions),
                       includes=tuple(includes), options=options, initial_conditions=ic,
                       analyses=tuple(analyses), measures=tuple(measures),
                       allow_dangling=_single_terminal(top["elements"], ()), nodesets=nodesets, libs=tuple(libs),
                       control=tuple(control), saves=tuple(saves))
    except CircuitError as exc:
        raise NetlistParseError(f"the deck parses but is not a valid circuit: {exc}") from None


def _single_terminal(elements, ports) -> frozenset:
    """Nodes touched by one terminal: legal in ngspice (a probe node), so imported decks keep them."""
    count: Dict[str, int] = {}
    for e in elements:
        for n in e.nodes():
            count[n] = count.get(n, 0) + 1
    for p in ports:
        count[p] = count.get(p, 0) + 1
    return frozenset(n for n, c in count.items() if c == 1)
