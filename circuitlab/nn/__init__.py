"""PyTorch half of circuitlab: noise sources and layers built from model files.

Importing this package imports torch; ``import circuitlab`` does not. Layers and sources take their
numbers from model files (``from_model(name_or_path)``: a built-in name or a user's file) and know
nothing about campaigns or ngspice (docs: DESIGN.md, "The PyTorch half").
"""
from .meram_noise import MeRAMNoise
from .noise import (BiasedNoise, GaussianNoise, NoiseSource, QuantisedNoise, RademacherNoise, ScaledNoise,
                    UniformNoise)
from .registry import NOISE_SOURCES, make_noise, parse_noise

__all__ = ["NoiseSource", "GaussianNoise", "MeRAMNoise", "UniformNoise", "RademacherNoise", "QuantisedNoise",
           "ScaledNoise", "BiasedNoise", "NOISE_SOURCES", "make_noise", "parse_noise"]
