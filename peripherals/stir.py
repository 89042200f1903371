"""STIR, the NVIC software trigger register (its own window at 0xE000EF00)."""

from .nvic import Stir

MODEL = Stir
