"""The seed experiments: one module per study (ddpm, snn, resnet) plus shared metrics.

Each experiment is a function from a config dataclass to a results dataclass; the CLI only parses
arguments, calls it and writes tables, plots and JSON.
"""
