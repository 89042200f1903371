"""The simulator's own accesses to the banked and mask registers, whatever the thread's privilege.

Unicorn 2.1.3 reads and writes MSP, PSP, PRIMASK, BASEPRI, FAULTMASK and CONTROL through QEMU's
MRS/MSR helpers (qemu/target/arm/unicorn_arm.c -> helper_v7m_mrs / helper_v7m_msr), which apply
the *program's* privilege: in unprivileged Thread mode (CONTROL.nPRIV = 1, IPSR = 0) the reads
return 0 and the writes are ignored (ARMv7-M B5.2.2/B5.2.3 MRS/MSR). Exception entry and return
and the stack watch are the hardware's, not the program's: unstacked and unprivileged, an
exception taken from such a thread pushed its frame at 0 - 0x20 (a lockup).

:func:`lift` makes the thread privileged for the duration: it clears CONTROL.nPRIV from
Handler mode (IPSR written non-zero - the xPSR write is not privilege-checked, and QEMU swaps
the banked SP consistently when the mode changes - then back to 0), and sets nPRIV again
afterwards (exception entry and return leave CONTROL.nPRIV as it was: B1.5.6, B1.5.8). Nothing
happens for privileged code (one CONTROL read: CONTROL is readable unprivileged).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from unicorn.arm_const import UC_ARM_REG_CONTROL, UC_ARM_REG_IPSR

if TYPE_CHECKING:
    from unicorn import Uc

NPRIV = 1


def make_privileged(uc: "Uc") -> None:
    """Clear CONTROL.nPRIV for good (a reset)."""
    control = uc.reg_read(UC_ARM_REG_CONTROL)
    if control & NPRIV:
        _clear_npriv(uc, control)


def _clear_npriv(uc: "Uc", control: int) -> None:
    if uc.reg_read(UC_ARM_REG_IPSR) & 0x1FF:
        uc.reg_write(UC_ARM_REG_CONTROL, control & ~NPRIV)      # Handler mode: privileged
        return
    uc.reg_write(UC_ARM_REG_IPSR, 1)
    uc.reg_write(UC_ARM_REG_CONTROL, control & ~NPRIV)          # SPSEL: ignored in Handler
    uc.reg_write(UC_ARM_REG_IPSR, 0)


@contextlib.contextmanager
def lift(uc: "Uc", control: int | None = None) -> Iterator[bool]:
    """Privileged register access for the simulator inside; yields whether the program's
    CONTROL.nPRIV was set (and is set again on leaving). ``control``: CONTROL if already
    read."""
    if control is None:
        control = uc.reg_read(UC_ARM_REG_CONTROL)
    if not control & NPRIV:
        yield False
        return
    _clear_npriv(uc, control)
    try:
        yield True
    finally:
        # privileged now in either mode: the write is honoured (in Thread mode with SPSEL as
        # it is, in Handler mode SPSEL is ignored)
        uc.reg_write(UC_ARM_REG_CONTROL, uc.reg_read(UC_ARM_REG_CONTROL) | NPRIV)
