"""Versioned behavioural model files: registered kinds, writing, validated loading."""
from .modelfile import (Axis, ModelFile, Parameter, Table, file_sha256, load_model, resolve_model_path, save_model,
                        validate)
from .schema import FORMAT, KINDS, SCHEMA_VERSION, KindSchema, register_kind

__all__ = ["Axis", "ModelFile", "Parameter", "Table", "file_sha256", "load_model", "resolve_model_path", "save_model",
           "validate", "FORMAT", "KINDS", "SCHEMA_VERSION", "KindSchema", "register_kind"]
