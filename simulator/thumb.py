"""Thumb instruction predicates, one definition each (ARMv7-M ARM A5, A7.7).

Every function takes the first halfword ``h1`` of an instruction and, for 32-bit ones, the
second ``h2``; each works on Python ints and, element-wise, on NumPy int arrays (so the load-
time sweeps and the one-off checks share the definition).
"""

from __future__ import annotations

import numpy as np

IntOrArray = int | np.ndarray


def is_32bit(h1: IntOrArray):
    """A halfword whose top five bits are 0b11101, 0b11110 or 0b11111 starts a 32-bit
    instruction (A5.1)."""
    return (h1 >> 11) >= 0x1D


def size(h1: int) -> int:
    """Bytes of the instruction starting with ``h1``."""
    return 4 if is_32bit(h1) else 2


def is_call(h1: IntOrArray, h2: IntOrArray):
    """BL <label> (T1, 32-bit) or BLX <Rm> (T1, 16-bit): the calls of ARMv7-M. (BLX <label>
    switches to ARM state and is UNDEFINED on M-profile cores, so it is not a call.)"""
    bl = ((h1 & 0xF800) == 0xF000) & ((h2 & 0xD000) == 0xD000)
    blx_reg = (h1 & 0xFF87) == 0x4780
    return np.where(is_32bit(h1), bl, blx_reg) if isinstance(h1, np.ndarray) else \
        (bool(bl) if is_32bit(h1) else bool(blx_reg))


def is_return(h1: IntOrArray, h2: IntOrArray):
    """BX LR; POP {.., PC} (16-bit); POP.W / LDMIA.W Rn{!} with PC in the list; LDR.W PC,
    [Rn, ...] with Rn not PC (a literal load into PC is a veneer jump, not a return)."""
    ret16 = (h1 == 0x4770) | ((h1 & 0xFF00) == 0xBD00)
    ldm_pc = ((h1 & 0xFFD0) == 0xE890) & ((h2 & 0x8000) != 0)          # includes POP.W (E8BD)
    ldr_pc = (((h1 & 0xFFF0) == 0xF8D0) | ((h1 & 0xFFF0) == 0xF850)) & ((h2 >> 12) == 0xF) \
        & ((h1 & 0xF) != 0xF)
    ret32 = ldm_pc | ldr_pc
    return np.where(is_32bit(h1), ret32, ret16) if isinstance(h1, np.ndarray) else \
        (bool(ret32) if is_32bit(h1) else bool(ret16))
