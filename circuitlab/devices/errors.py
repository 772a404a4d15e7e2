"""Typed errors of the device-model layer; all derive from :mod:`circuitlab.errors` classes."""
from __future__ import annotations

from ..errors import ConfigError, InvalidValueError


class DeviceParameterError(InvalidValueError):
    """A device parameter is non-finite, of the wrong type or outside its physical range."""


class UnknownParameterError(ConfigError):
    """A parameter card names a parameter the model does not have."""


class UnknownDeviceError(ConfigError):
    """No device model of that name is in the registry."""


class TargetError(ConfigError):
    """An unknown code-generation target or evaluator backend was asked for."""
