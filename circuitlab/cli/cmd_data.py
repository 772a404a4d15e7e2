"""``circuitlab data``: measured device data into model files (``data import``)."""
from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    data = sub.add_parser("data", help="measured device data into model files")
    dsub = data.add_subparsers(dest="data_command", metavar="ACTION")
    data.set_defaults(func=lambda args: (data.print_help(), 2)[1])
    p = dsub.add_parser("import", help="a CSV/TSV/HDF5 table of measurements -> a model file (and a plot)")
    p.add_argument("file", type=Path, help="measurements: CSV, TSV or HDF5 (1-D root datasets as columns)")
    p.add_argument("--kind", required=True, choices=("vcmtj_psw", "meram_eps", "rram_cim", "p2m_f1", "p2m_f2", "curve"))
    p.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD",
                   help="which column holds a field (repeatable; default: the column named like the field)")
    p.add_argument("--units", action="append", default=[], metavar="FIELD=UNIT",
                   help="unit of a field's column, e.g. width=ns, g=uS, voltage=mV (default: SI base unit)")
    p.add_argument("--bits", type=int, default=8, help="meram_eps from a read-out stream: bits of the unit (8)")
    p.add_argument("--base", default="rram_cim",
                   help="rram_cim: the model whose other tables (IR drop, ADC, energies) are kept (built-in name or file)")
    p.add_argument("--family", default="polynomial", choices=("polynomial", "monotone_spline", "saturating"),
                   help="curve kinds: the mean curve's family (default polynomial, degree cross-validated)")
    p.add_argument("--out", type=Path, required=True, help="model file to write (.h5); a plot goes next to it")
    p.set_defaults(func=_import)


def _import(args) -> int:
    from ..export.measured import import_measured
    from ..export.measured_table import parse_pairs
    mapping = parse_pairs(args.map, "COLUMN=FIELD", reverse=True)
    units = parse_pairs(args.units, "FIELD=UNIT")
    opts = {"meram_eps": {"bits": args.bits}, "rram_cim": {"base": args.base},
            "vcmtj_psw": {}}.get(args.kind, {"family": args.family})
    out = import_measured(args.file, args.kind, args.out, mapping=mapping, units=units, **opts)
    print(f"model file: {out}")
    print(f"plot: {out.with_suffix('.png')}")
    return 0
