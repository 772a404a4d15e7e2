"""``circuitlab export`` (standard model files) and ``circuitlab inspect`` (what a model file holds)."""
from __future__ import annotations

import json
from pathlib import Path

# kind -> "module:function" under circuitlab.export; the function takes (source, out)
EXPORTERS = {"vcmtj_psw": "standard:export_vcmtj_psw", "meram_eps": "standard:export_meram_eps",
             "p2m_f1": "p2m:export_p2m_f1", "p2m_f2": "p2m:export_p2m_f2", "rram_cim": "rram:export_rram_cim"}


def register(sub) -> None:
    p = sub.add_parser("export", help="write a standard model file from its source, or remake the built-in models")
    p.add_argument("kind", nargs="?", choices=sorted(EXPORTERS), help="model kind to export")
    p.add_argument("--from", dest="source", type=Path,
                   help="source: llg sweep table, meram noise table, or the folder of 'p2m characterise'")
    p.add_argument("--out", type=Path, help="model file to write (HDF5; a .json summary goes next to it)")
    p.add_argument("--builtin", nargs="*", metavar="NAME", help="remake built-in models (all when no name is given)")
    p.add_argument("--out-dir", type=Path, help="where --builtin writes (default: the package's models folder)")
    p.set_defaults(func=run_export)
    q = sub.add_parser("inspect", help="print a model file's kind, parameters, metrics and provenance")
    q.add_argument("model", help="model file, or the name of a built-in model")
    q.add_argument("--json", action="store_true", help="print one JSON object")
    q.set_defaults(func=run_inspect)


def run_export(args) -> int:
    from ..errors import ConfigError
    if args.builtin is not None:
        from .builtin import BUILTIN_DIR, build_builtin
        for name, path in build_builtin(args.builtin, args.out_dir or BUILTIN_DIR).items():
            print(f"{name}: {path}")
        return 0
    if not (args.kind and args.source and args.out):
        raise ConfigError("give KIND --from SOURCE --out MODEL.h5, or --builtin; see 'circuitlab export -h'")
    import importlib
    module, func = EXPORTERS[args.kind].split(":")
    path = getattr(importlib.import_module(f"circuitlab.export.{module}"), func)(args.source, args.out)
    print(f"{args.kind} model written to {path} (summary {path}.json)")
    return 0


def run_inspect(args) -> int:
    from ..export import load_model
    model = load_model(args.model)
    s = model.summary()
    if args.json:
        print(json.dumps({k: s[k] for k in ("kind", "schema_version", "metrics", "provenance")}, default=float))
        return 0
    print(f"kind: {s['kind']} (schema {s['schema_version']})")
    for name, p in s["parameters"].items():
        print(f"  parameter {name} = {p['value']:.6g} {p['unit']}  (stderr {p['stderr']:.3g})")
    for name, t in s["tables"].items():
        axes = ", ".join(f"{a['name']}[{a['points']}] {a['unit']}".rstrip() for a in t["axes"])
        print(f"  table {name} {t['shape']} {t['unit']}  over {axes}")
    for name, v in s["metrics"].items():
        print(f"  metric {name} = {v:.6g}")
    for name, v in s["provenance"].items():
        text = str(v)
        print(f"  provenance {name}: {text if len(text) < 90 else text[:87] + '...'}")
    return 0
