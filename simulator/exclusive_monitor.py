"""The local exclusive monitor across exception entry and return.

ARMv7-M (DDI 0403E) B1.5.6 ExceptionTaken and B1.5.8 ExceptionReturn both end with
ClearExclusiveLocal(): a STREX after an exception entered or returned between it and its
LDREX fails, even when the handler left the location as it was (A3.4.4: "the local monitor
is cleared on exception entry and exit", which is what lets an RTOS switch context without a
CLREX). QEMU does this in its own M-profile exception code (commit dc3c4c14, "Clear
exclusive monitor on v7M reset, exception entry/exit"), which the simulator bypasses: it
stacks frames itself (simulator/exceptions.py). Unicorn has no register for the monitor, so
the field (CPUARMState.exclusive_addr, -1 = open access) is found once per process in a CPU
context by running one LDREX on a scratch engine, and cleared by patching the engine's saved
context and restoring it - only when the monitor is held, so most exceptions cost one
context copy.
"""

from __future__ import annotations

import ctypes
import functools
import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from unicorn import Uc

_OPEN = -1             # QEMU's exclusive_addr when no address is held


@functools.lru_cache(maxsize=1)
def context_offset() -> int:
    """Byte offset of ``exclusive_addr`` in a Unicorn 2 ARM CPU context: found by a probe
    (:func:`_probe`, ~20 ms of CPU: a scratch engine's first run initialises QEMU's code
    generator) once per libunicorn build, kept in the on-disk cache (kind ``uc_layout``,
    keyed by the library file's path, size and time and this file's source)."""
    from . import cache
    entry_key = cache.unicorn_layout_key("exclusive_monitor.py")
    if entry_key is not None:
        found = cache.load("uc_layout", entry_key)
        if isinstance(found, int):
            return found
    offset = _probe()
    if entry_key is not None:
        cache.store("uc_layout", entry_key, offset)
    return offset


def _probe() -> int:
    """Run one LDREX on a scratch engine and find the context word that took its address."""
    from unicorn import UC_ARCH_ARM, UC_MODE_MCLASS, UC_MODE_THUMB, Uc
    from unicorn.arm_const import UC_ARM_REG_R1

    probe = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
    try:
        probe.mem_map(0x1000, 0x1000)
        probe.mem_write(0x1000, bytes.fromhex("51e8000f"))     # ldrex r0, [r1]
        probe.reg_write(UC_ARM_REG_R1, 0x1100)
        before = bytes(probe.context_save())
        probe.emu_start(0x1001, 0x1004)
        after = bytes(probe.context_save())
    finally:
        del probe
    hits = [o for o in range(0, len(before) - 7, 8)
            if struct.unpack_from("<q", before, o)[0] == _OPEN
            and struct.unpack_from("<Q", after, o)[0] == 0x1100]
    if len(hits) != 1:
        raise RuntimeError(f"Unicorn's exclusive monitor not found in its CPU context ({hits})")
    return hits[0]


class ExclusiveMonitor:
    """ClearExclusiveLocal() on one engine."""

    def __init__(self, uc: Uc) -> None:
        self.uc = uc
        self._ctx = uc.context_save()
        base = ctypes.cast(self._ctx.context, ctypes.c_void_p).value
        self._field = ctypes.c_int64.from_address(base + context_offset())
        if self._field.value != _OPEN:        # a new engine's monitor is open: not that word
            self._field = ctypes.c_int64.from_address(base + _probe())

    def clear(self) -> None:
        uc = self.uc
        uc.context_update(self._ctx)
        if self._field.value != _OPEN:
            self._field.value = _OPEN
            uc.context_restore(self._ctx)
