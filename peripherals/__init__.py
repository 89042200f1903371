"""Register-level models of the STM32H743 peripherals and Cortex-M7 system blocks.

Each module is named after one block and exposes ``MODEL``, the class the platform file's
``model = "<module>"`` refers to.
"""

from __future__ import annotations

import importlib

from .base import Peripheral, PeripheralContext, UnmodelledPeripheral


def model_class(model: str | None) -> type[Peripheral]:
    """The class implementing platform model ``model`` (None: an unmodelled window)."""
    if model is None:
        return UnmodelledPeripheral
    try:
        module = importlib.import_module(f"peripherals.{model}")
    except ModuleNotFoundError as exc:
        if exc.name != f"peripherals.{model}":
            raise
        raise LookupError(f"the platform names model {model!r}, but peripherals/{model}.py "
                          "does not exist") from exc
    return module.MODEL


__all__ = ["Peripheral", "PeripheralContext", "UnmodelledPeripheral", "model_class"]
