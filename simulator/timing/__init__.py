"""Cortex-M7 timing: the static per-instruction cost model (see docs/timing-model.md)."""

from .model import CortexM7CostModel
from .params import M7Params

__all__ = ["CortexM7CostModel", "M7Params"]
