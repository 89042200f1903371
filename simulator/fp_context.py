"""FPDSCR and FPCCR.ASPEN reach the CPU model (a new FP context's FPSCR defaults).

ARMv7-M (DDI 0403E) ExecuteFPCheck(): the first floating-point instruction executed while
CONTROL.FPCA = 0 and FPCCR.ASPEN = 1 - the first one in every exception handler, since entry
clears FPCA - sets CONTROL.FPCA and copies FPDSCR.{AHP, DN, FZ, RMode} (bits 26:22) into FPSCR
(B3.2.22 FPDSCR: "holds the default values for the floating-point status control data that the
processor assigns to the FPSCR when it creates a new floating-point context"). QEMU does this
from its own copy of FPDSCR and FPCCR (CPUARMState.v7m.fpdscr/fpccr, bank 0 on a core without
the Security Extension), but Unicorn has no register for them and the firmware writes the SCB
registers of our model (peripherals/fpu_cache.py): a handler ran with FPDSCR's reset value
whatever the firmware set. The fields are found once per process in a CPU context (FPCCR by
its two banks' reset values, FPDSCR after it, checked by running one VMOV) and patched
through context save/restore when the firmware writes FPDSCR or FPCCR.
"""

from __future__ import annotations

import ctypes
import functools
import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from unicorn import Uc

ASPEN, LSPEN = 1 << 31, 1 << 30
# QEMU's arm_cpu_reset: fpccr[M_REG_NS] = ASPEN, fpccr[M_REG_S] = ASPEN | LSPEN | S; fpdscr[2]
# follows fpccr[2] in struct v7m (qemu/target/arm/cpu.h)
FPCCR_RESET = struct.pack("<II", ASPEN, ASPEN | LSPEN | 1 << 2)
FPDSCR_MASK = 0x1F << 22          # AHP, DN, FZ, RMode
_RZ = 3 << 22


@functools.lru_cache(maxsize=1)
def offsets() -> tuple[int, int]:
    """Byte offsets of v7m.fpccr[0] and v7m.fpdscr[0] (each of two banks: the core reads
    the Secure bank, [1], both are written) in a Unicorn 2 ARM CPU context, checked
    by behaviour: with the candidate FPDSCR patched to RMode = round towards zero, a VMOV
    executed with CONTROL.FPCA = 0 must leave FPSCR.RMode = round towards zero."""
    from unicorn import UC_ARCH_ARM, UC_MODE_MCLASS, UC_MODE_THUMB, Uc
    from unicorn.arm_const import UC_ARM_REG_CONTROL, UC_ARM_REG_FPSCR, UC_CPU_ARM_CORTEX_M7

    probe = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
    try:
        probe.ctl_set_cpu_model(UC_CPU_ARM_CORTEX_M7)
        ctx = probe.context_save()
        raw = bytes(ctx)
        hits = [o for o in range(0, len(raw) - 7, 4) if raw[o:o + 8] == FPCCR_RESET]
        if len(hits) != 1:
            raise RuntimeError(f"FPCCR not found in Unicorn's CPU context ({hits})")
        fpccr = hits[0]
        fpdscr = fpccr + 8
        fields = (ctypes.c_uint32 * 2).from_address(
            ctypes.cast(ctx.context, ctypes.c_void_p).value + fpdscr)
        if tuple(fields) != (0, 0):
            raise RuntimeError("FPDSCR candidate is not at its reset value 0")
        fields[0] = fields[1] = _RZ
        probe.context_restore(ctx)
        probe.mem_map(0x1000, 0x1000)
        probe.mem_write(0x1000, bytes.fromhex("b0ee400a"))      # vmov.f32 s0, s0
        probe.reg_write(UC_ARM_REG_CONTROL, 0)
        probe.emu_start(0x1001, 0x1004)
        got = probe.reg_read(UC_ARM_REG_FPSCR)
    finally:
        del probe
    if got & FPDSCR_MASK != _RZ:
        raise RuntimeError(f"FPDSCR not found in Unicorn's CPU context (FPSCR {got:#x})")
    return fpccr, fpdscr


class FpContextDefaults:
    """Writes FPDSCR and FPCCR.ASPEN into one engine's QEMU state."""

    def __init__(self, uc: "Uc") -> None:
        self.uc = uc
        self._ctx = uc.context_save()
        addr = ctypes.cast(self._ctx.context, ctypes.c_void_p).value
        fpccr, fpdscr = offsets()
        self._fpccr = (ctypes.c_uint32 * 2).from_address(addr + fpccr)
        self._fpdscr = (ctypes.c_uint32 * 2).from_address(addr + fpdscr)

    def set(self, fpccr: int, fpdscr: int) -> None:
        """The firmware wrote FPCCR or FPDSCR (the SCB model's values)."""
        uc = self.uc
        uc.context_update(self._ctx)
        before = (tuple(self._fpccr), tuple(self._fpdscr))
        for bank in (0, 1):
            self._fpccr[bank] = (self._fpccr[bank] & ~ASPEN) | (fpccr & ASPEN)
            self._fpdscr[bank] = fpdscr & FPDSCR_MASK
        if (tuple(self._fpccr), tuple(self._fpdscr)) != before:
            uc.context_restore(self._ctx)
