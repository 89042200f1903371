"""Power model of the STM32H743 (DS12110 supply-current tables): see docs/power-model.md."""

from .data import DATA_FILE, PowerData, load
from .model import (
    EnergyReport, OperatingPoint, PowerModelError, current_a, energy, operating_point,
    peripheral_current_a, required_wait_states, wakeup_cost, WhatIf, what_if_clock, sweep,
)

__all__ = [
    "DATA_FILE", "EnergyReport", "OperatingPoint", "PowerData", "PowerModelError", "current_a",
    "energy", "load", "operating_point", "peripheral_current_a", "required_wait_states",
    "wakeup_cost", "WhatIf", "what_if_clock", "sweep",
]
