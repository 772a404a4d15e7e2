"""Whole-model operations for the RRAM layers: convert, calibrate, program, training noise.

``convert(model, "rram_cim")`` replaces every nn.Conv2d / nn.Linear (nested modules and Sequential
included) by its RRAM counterpart with the same weights; ``exclude`` names module paths to keep digital
(``first=False`` / ``last=False`` keep the first / last mapped layer digital, as chips often do).
``program(model, t=...)`` programs every RRAM layer and lets it relax for ``t`` seconds.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Iterator, List, Optional, Tuple, Union

import torch
import torch.nn as nn

from ..errors import ConfigError
from .rram_layers import ALL_EFFECTS, RRAMConfig, RRAMConv2d, RRAMLayer, RRAMLinear
from .rram_mapping import RRAMDevice

__all__ = ["convert", "rram_layers", "program", "unprogram", "calibrate", "set_train_noise", "set_config",
           "set_generator"]


def _mappable(model: nn.Module) -> List[str]:
    return [n for n, m in model.named_modules() if type(m) in (nn.Conv2d, nn.Linear)]


def convert(model: nn.Module, rram_model: Union[str, RRAMDevice] = "rram_cim", cfg: RRAMConfig = ALL_EFFECTS, *,
            exclude: Iterable[str] = (), first: bool = True, last: bool = True, inplace: bool = False) -> nn.Module:
    """``model`` with its Conv2d/Linear layers on RRAM (a deep copy unless ``inplace``).

    ``rram_model``: an ``rram_cim`` model file (built-in name or path) or an :class:`RRAMDevice`.
    ``exclude``: module names (as in ``named_modules()``) to leave digital; ``first``/``last``: map the
    first/last such layer (in registration order) or not."""
    import copy

    dev = rram_model if isinstance(rram_model, RRAMDevice) else RRAMDevice.from_model(rram_model)
    out = model if inplace else copy.deepcopy(model)
    names = _mappable(out)
    if not names:
        raise ConfigError("the model has no nn.Conv2d or nn.Linear layer to map onto RRAM")
    exclude = set(exclude)
    unknown = exclude - {n for n, _ in out.named_modules()}
    if unknown:
        raise ConfigError(f"exclude names {sorted(unknown)} are not modules of the model; see model.named_modules()")
    if not first:
        exclude.add(names[0])
    if not last:
        exclude.add(names[-1])
    for name in names:
        if name in exclude:
            continue
        parent_name, _, attr = name.rpartition(".")
        parent = out.get_submodule(parent_name) if parent_name else out
        old = getattr(parent, attr)
        new = (RRAMConv2d.from_conv(old, dev, cfg) if isinstance(old, nn.Conv2d)
               else RRAMLinear.from_linear(old, dev, cfg))
        new.train(old.training)
        setattr(parent, attr, new)
    return out


def rram_layers(model: nn.Module) -> List[Tuple[str, RRAMLayer]]:
    """(name, layer) of every RRAM layer, in registration order."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, RRAMLayer)]


def program(model: nn.Module, t: Optional[float] = None, generator: Optional[torch.Generator] = None,
            layers: Optional[Iterable[str]] = None) -> nn.Module:
    """Program (write-verify) and relax for ``t`` s every RRAM layer, or only the named ``layers``."""
    want = None if layers is None else set(layers)
    for name, m in rram_layers(model):
        if want is None or name in want:
            m.program(t=t, generator=generator)
    return model


def unprogram(model: nn.Module) -> nn.Module:
    for _, m in rram_layers(model):
        m.unprogram()
    return model


def set_train_noise(model: nn.Module, noise: float) -> nn.Module:
    """Weight-noise injection: sigma = ``noise`` x max|W| per layer (NeuRRAM code: 0.1-0.2), drawn per forward
    pass of unprogrammed layers (training and simulation alike); 0 switches it off."""
    if noise < 0:
        raise ConfigError(f"training noise {noise!r} must be >= 0 (NeuRRAM uses 0.1-0.2)")
    for _, m in rram_layers(model):
        m.train_noise = float(noise)
    return model


def set_config(model: nn.Module, cfg: RRAMConfig, **over) -> nn.Module:
    """Give every RRAM layer ``cfg`` (with ``over`` replaced); programmed states stay."""
    cfg = replace(cfg, **over) if over else cfg
    for _, m in rram_layers(model):
        m.cfg = cfg
    return model


def set_generator(model: nn.Module, generator: Optional[torch.Generator]) -> nn.Module:
    """The generator of every layer's read noise (None: torch's default)."""
    for _, m in rram_layers(model):
        m.generator = generator
    return model


@torch.no_grad()
def calibrate(model: nn.Module, batches: Iterable[torch.Tensor], train_mode: bool = False) -> nn.Module:
    """Set each RRAM layer's DAC range and ADC clip from a few batches (float weights).

    Percentiles ``cfg.dac_percentile`` of |input| and ``cfg.adc_percentile`` of |normalised column
    voltage|; w_max is refreshed from the current weights. The ranges are kept until the next call.
    ``train_mode``: run the batches as in training (BatchNorm on batch statistics, its running statistics
    left unchanged), so that ranges used in training fit training's activations; else in eval mode."""
    layers = rram_layers(model)
    was = model.training
    model.train(train_mode)
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in bns]
    if train_mode:
        for m in bns:
            m.momentum = 0.0
    saved = []
    for _, m in layers:
        m.w_max = None
        saved.append((m.programmed, m.g_pos, m.g_neg, m.ir_offset))
        m.programmed = False
        m.start_calibration()
    try:
        seen = 0
        for x in batches:
            model(x)
            seen += 1
        if not seen:
            raise ConfigError("calibrate() needs at least one batch of inputs")
        for _, m in layers:
            m.end_calibration()
    finally:
        for (_, m), (p, gp, gn, off) in zip(layers, saved):
            m._record = None
            m.programmed, m.g_pos, m.g_neg, m.ir_offset = p, gp, gn, off
        for m, mom in zip(bns, momenta):
            m.momentum = mom
    model.train(was)
    return model


def iter_batches(x: torch.Tensor, batch: int) -> Iterator[torch.Tensor]:
    for i in range(0, len(x), batch):
        yield x[i:i + batch]
