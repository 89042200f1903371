"""System control block (ARMv7-M ARM B3.2.2, Cortex-M7 TRM 3.x) at 0xE000ED00.

A register view onto the exception engine (``engine``, set by the machine) for ICSR, VTOR,
AIRCR, SHPRx, SHCSR and the fault status registers; plain registers for the identification
and cache-identification blocks; listeners for CCR (cache enables) and SCR (sleep config).
"""

from __future__ import annotations

from typing import Callable

from .base import RO, W1C, Field, Peripheral, Register

# Identification values of the STM32H743's Cortex-M7 r1p1 (RM0433 / Cortex-M7 TRM table 3-1).
CPUID_M7_R1P1 = 0x411FC271
CLIDR_M7 = 0x09000003           # L1 I and D caches, LoUU/LoC = 1 (Cortex-M7 TRM 4.1)
CTR_M7 = 0x8303C003             # 32-byte lines both sides
CCSIDR_DCACHE_16K = 0xF00FE019  # 16 KB, 4-way, 32-byte lines: 128 sets (Cortex-M7 TRM 4.1.2)
CCSIDR_ICACHE_16K = 0xF01FE009  # 16 KB, 2-way, 32-byte lines: 256 sets


def ccsidr(size_bytes: int, ways: int) -> int:
    """CCSIDR of an L1 cache of ``size_bytes`` (Cortex-M7 TRM 4.1.2): write-through,
    write-back, read- and write-allocate, NumSets - 1, Associativity - 1, 32-byte lines
    (LineSize 1). The M7's caches are 2-way (I) and 4-way (D); the size is the chip's
    ([chip] icache_bytes / dcache_bytes of the platform file)."""
    sets = size_bytes // (ways * 32)
    return 0xF0000000 | (sets - 1) << 13 | (ways - 1) << 3 | 1

CCR_DC = 1 << 16
CCR_IC = 1 << 17


class Scb(Peripheral):
    registers = (
        Register("CPUID", 0x00, access=RO, reset=CPUID_M7_R1P1),
        Register("ICSR", 0x04),
        Register("VTOR", 0x08, reset=0),
        Register("AIRCR", 0x0C),
        Register("SCR", 0x10, (Field("SLEEPONEXIT", 1), Field("SLEEPDEEP", 2),
                               Field("SEVONPEND", 4))),
        # CCR reset: STKALIGN (bit 9) and BP (bit 18) set on the M7 (Cortex-M7 TRM 3.3.6)
        Register("CCR", 0x14, (Field("NONBASETHRDENA", 0), Field("USERSETMPEND", 1),
                               Field("UNALIGN_TRP", 3), Field("DIV_0_TRP", 4),
                               Field("BFHFNMIGN", 8), Field("STKALIGN", 9, reset=1),
                               Field("DC", 16), Field("IC", 17), Field("BP", 18, reset=1))),
        Register("SHPR1", 0x18),
        Register("SHPR2", 0x1C),
        Register("SHPR3", 0x20),
        Register("SHCSR", 0x24),
        Register("CFSR", 0x28, access=W1C),
        Register("HFSR", 0x2C, access=W1C),
        Register("DFSR", 0x30, access=W1C),
        Register("MMFAR", 0x34),
        Register("BFAR", 0x38),
        Register("AFSR", 0x3C),
        Register("ID_PFR0", 0x40, access=RO, reset=0x00000030),
        Register("ID_PFR1", 0x44, access=RO, reset=0x00000200),
        Register("ID_DFR0", 0x48, access=RO, reset=0x00100000),
        Register("ID_AFR0", 0x4C, access=RO, reset=0),
        Register("ID_MMFR0", 0x50, access=RO, reset=0x00101030),
        Register("ID_MMFR1", 0x54, access=RO, reset=0),
        Register("ID_MMFR2", 0x58, access=RO, reset=0x01000000),
        Register("ID_MMFR3", 0x5C, access=RO, reset=0x00000000),
        Register("ID_ISAR0", 0x60, access=RO, reset=0x01101110),
        Register("ID_ISAR1", 0x64, access=RO, reset=0x02112000),
        Register("ID_ISAR2", 0x68, access=RO, reset=0x20232231),
        Register("ID_ISAR3", 0x6C, access=RO, reset=0x01111131),
        Register("ID_ISAR4", 0x70, access=RO, reset=0x01310132),
        Register("CLIDR", 0x78, access=RO, reset=CLIDR_M7),
        Register("CTR", 0x7C, access=RO, reset=CTR_M7),
        Register("CCSIDR", 0x80, access=RO),
        Register("CSSELR", 0x84, (Field("IND", 0), Field("LEVEL", 1, 3))),
        Register("CPACR", 0x88, (Field("CP10", 20, 2), Field("CP11", 22, 2))),
    )

    engine = None  # simulator.exceptions.ExceptionEngine, set by the machine

    def __init__(self, *args, **kwargs) -> None:
        self.ccr_listeners: list[Callable[[int, int], None]] = []
        self.reset_requests: list[Callable[[], None]] = []
        chip = kwargs.get("chip") or {}
        self._ccsidr_i = ccsidr(int(chip.get("icache_bytes", 16384)), 2)
        self._ccsidr_d = ccsidr(int(chip.get("dcache_bytes", 16384)), 4)
        super().__init__(*args, **kwargs)

    # --- ICSR -------------------------------------------------------------------------------
    def on_read_ICSR(self, value: int) -> int:
        e = self.engine
        active = e.active[-1] if e.active else 0
        pend = e.highest_pending() or 0
        v = active & 0x1FF
        if len(e.active) <= 1:
            v |= 1 << 11                           # RETTOBASE
        v |= (pend & 0x1FF) << 12
        if any(n >= 16 for n in e.pending):
            v |= 1 << 22                           # ISRPENDING
        if 15 in e.pending:
            v |= 1 << 26
        if 14 in e.pending:
            v |= 1 << 28
        if 2 in e.pending:
            v |= 1 << 31
        return v

    def on_write_ICSR(self, old: int, new: int) -> None:
        e = self.engine
        if new & (1 << 31):
            e.set_pending(2)
        if new & (1 << 28):
            e.set_pending(14)
        if new & (1 << 27):
            e.clear_pending(14)
        if new & (1 << 26):
            e.set_pending(15)
        if new & (1 << 25):
            e.clear_pending(15)
        self.values[0x04] = 0

    # --- VTOR, AIRCR ------------------------------------------------------------------------
    def on_read_VTOR(self, value: int) -> int:
        return self.engine.vtor

    def on_write_VTOR(self, old: int, new: int) -> None:
        self.engine.vtor = new & 0xFFFFFF80        # TBLOFF, bits [31:7]

    def on_read_AIRCR(self, value: int) -> int:
        return 0xFA050000 | (self.engine.prigroup << 8)

    def on_write_AIRCR(self, old: int, new: int) -> None:
        if new >> 16 != 0x05FA:
            return                                  # writes without VECTKEY are ignored
        self.engine.prigroup = (new >> 8) & 7
        if new & (1 << 2):                          # SYSRESETREQ
            for cb in self.reset_requests:
                cb()

    # --- SCR, CCR --------------------------------------------------------------------------
    def on_write_SCR(self, old: int, new: int) -> None:
        self.engine.sevonpend = bool(new & (1 << 4))

    def on_write_CCR(self, old: int, new: int) -> None:
        for cb in self.ccr_listeners:
            cb(old, new)

    def on_read_CCSIDR(self, value: int) -> int:
        return self._ccsidr_i if self.reg("CSSELR") & 1 else self._ccsidr_d

    # --- system handler priorities, SHCSR --------------------------------------------------
    def _shpr_read(self, first: int) -> int:
        return int.from_bytes(bytes(self.engine.shpr[first:first + 4]), "little")

    def _shpr_write(self, first: int, new: int) -> None:
        for i in range(4):
            n = first + i
            if n in (4, 5, 6, 11, 12, 14, 15):
                self.engine.shpr[n] = (new >> (8 * i)) & self.engine.priority_mask

    def on_read_SHPR1(self, value: int) -> int:
        return self._shpr_read(4)

    def on_write_SHPR1(self, old: int, new: int) -> None:
        self._shpr_write(4, new)

    def on_read_SHPR2(self, value: int) -> int:
        return self._shpr_read(8)

    def on_write_SHPR2(self, old: int, new: int) -> None:
        self._shpr_write(8, new)

    def on_read_SHPR3(self, value: int) -> int:
        return self._shpr_read(12)

    def on_write_SHPR3(self, old: int, new: int) -> None:
        self._shpr_write(12, new)

    def on_read_SHCSR(self, value: int) -> int:
        e = self.engine
        v = e.shcsr & (0x7 << 16)
        for n, bit in ((4, 0), (5, 1), (6, 3), (11, 7), (12, 8), (14, 10), (15, 11)):
            if n in e.active:
                v |= 1 << bit
        for n, bit in ((6, 12), (4, 13), (5, 14), (11, 15)):
            if n in e.pending:
                v |= 1 << bit
        return v

    def on_write_SHCSR(self, old: int, new: int) -> None:
        self.engine.shcsr = new & (0x7 << 16)

    # --- fault status ----------------------------------------------------------------------
    def on_read_CFSR(self, value: int) -> int:
        return self.engine.cfsr

    def on_write_CFSR(self, old: int, new: int) -> None:
        # W1C: the base class cleared the written bits in the stored copy
        written = old & ~new
        self.engine.cfsr &= ~written

    def write(self, offset: int, size: int, value: int) -> None:
        if offset & ~3 == 0x28:          # CFSR is W1C over the engine's value
            self.values[0x28] = self.engine.cfsr
        if offset & ~3 == 0x2C:
            self.values[0x2C] = self.engine.hfsr
        super().write(offset, size, value)

    def on_read_HFSR(self, value: int) -> int:
        return self.engine.hfsr

    def on_write_HFSR(self, old: int, new: int) -> None:
        self.engine.hfsr = new

    def on_read_MMFAR(self, value: int) -> int:
        return self.engine.mmfar

    def on_read_BFAR(self, value: int) -> int:
        return self.engine.bfar

    @property
    def caches(self) -> tuple[bool, bool]:
        """(I-cache enabled, D-cache enabled)."""
        ccr = self.reg("CCR")
        return bool(ccr & CCR_IC), bool(ccr & CCR_DC)


MODEL = Scb
