"""The Cortex-M7 MPU (ARMv7-M ARM B3.5; PM0253 4.6): 16 regions on the STM32H743.

Registers: MPU_TYPE (DREGION = 16), MPU_CTRL (ENABLE, HFNMIENA, PRIVDEFENA), MPU_RNR,
MPU_RBAR (with VALID/REGION writes selecting the region), MPU_RASR and the RBAR/RASR aliases
A1-A3. Enforcement is the machine's (simulator/mpu_map.py): on every change the block asks it,
through ``listeners``, to apply the regions at the next instruction boundary (an event at the
current cycle), where memory permissions can change safely.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .base import RO, Field, Peripheral, Register

N_REGIONS = 16          # STM32H743: MPU_TYPE.DREGION = 16 (PM0253 4.6.1)


@dataclass(frozen=True)
class MpuRegion:
    number: int
    base: int
    size: int           # bytes, 2^(SIZE+1)
    ap: int             # access permission (RASR.AP)
    xn: bool            # execute never
    tex: int
    c: bool
    b: bool
    s: bool
    srd: int            # subregion disable bits (8 subregions of size/8)

    @property
    def cacheable(self) -> bool:
        """Normal memory with a cache policy (ARMv7-M B3.5.7 Table B3-13): TEX=000 with C=1
        (write-through / write-back), TEX=001 with C=1 and B=1 (write-back, allocate), and the
        TEX=1xx cached encodings; TEX=001 C=0 B=0 is Normal non-cacheable, C=0 B=x with TEX=000
        is Strongly-ordered or Device."""
        if self.tex & 4:
            return (self.tex & 3) != 0 or self.c or self.b
        if self.tex == 0:
            return self.c
        if self.tex == 1:
            return self.c and self.b
        return False

    def spans(self) -> list[tuple[int, int]]:
        """[start, end) pieces of the region with its enabled subregions (SRD applies to
        regions of 256 bytes and more)."""
        if self.size < 256 or not self.srd:
            return [(self.base, self.base + self.size)]
        sub = self.size // 8
        return [(self.base + i * sub, self.base + (i + 1) * sub) for i in range(8)
                if not self.srd >> i & 1]


class MPU(Peripheral):
    registers = (
        Register("TYPE", 0x00, (Field("SEPARATE", 0, access=RO),
                                Field("DREGION", 8, 8, RO, N_REGIONS),
                                Field("IREGION", 16, 8, RO))),
        Register("CTRL", 0x04, (Field("ENABLE", 0), Field("HFNMIENA", 1),
                                Field("PRIVDEFENA", 2))),
        Register("RNR", 0x08, (Field("REGION", 0, 8),)),
        Register("RBAR", 0x0C),
        Register("RASR", 0x10),
        *(Register(f"RBAR_A{i}", 0x0C + 8 * i) for i in (1, 2, 3)),
        *(Register(f"RASR_A{i}", 0x10 + 8 * i) for i in (1, 2, 3)),
    )

    def __init__(self, name: str, base: int, size: int, ctx, **params: object) -> None:
        self.listeners: list[Callable[[], None]] = []
        self._apply_event: int | None = None
        super().__init__(name, base, size, ctx, **params)
        for i in (1, 2, 3):
            self._write_hooks[0x0C + 8 * i] = lambda old, new: self._rbar(new)
            self._write_hooks[0x10 + 8 * i] = lambda old, new: self._rasr(new)
            self._read_hooks[0x0C + 8 * i] = lambda v: self._rbar_value()
            self._read_hooks[0x10 + 8 * i] = lambda v: self._rasr_value()

    def reset(self) -> None:
        self._rbars = [0] * N_REGIONS
        self._rasrs = [0] * N_REGIONS
        super().reset()
        self._changed()

    # --- state -----------------------------------------------------------------------------------
    @property
    def enabled(self) -> bool:
        return bool(self.reg("CTRL") & 1)

    @property
    def privdefena(self) -> bool:
        return bool(self.reg("CTRL") & 4)

    def regions(self) -> list[MpuRegion]:
        """The enabled regions, lowest number first (a higher number wins where they overlap,
        ARMv7-M B3.5.2)."""
        out = []
        for n in range(N_REGIONS):
            rasr = self._rasrs[n]
            if not rasr & 1:
                continue
            size = 1 << (((rasr >> 1) & 0x1F) + 1)
            if size < 32:
                continue                                     # SIZE < 4 is UNPREDICTABLE
            out.append(MpuRegion(n, self._rbars[n] & ~(size - 1) & 0xFFFFFFFF, size,
                                 (rasr >> 24) & 7, bool(rasr >> 28 & 1), (rasr >> 19) & 7,
                                 bool(rasr >> 17 & 1), bool(rasr >> 16 & 1),
                                 bool(rasr >> 18 & 1), (rasr >> 8) & 0xFF))
        return out

    # --- registers -------------------------------------------------------------------------------
    def _current(self) -> int:
        return self.reg("RNR") % N_REGIONS

    def _rbar(self, new: int) -> None:
        if new & 0x10:                                       # VALID: REGION selects RNR
            self.set_reg("RNR", new & 0xF)
        self._rbars[self._current()] = new & ~0x1F & 0xFFFFFFFF
        self._changed()

    def _rasr(self, new: int) -> None:
        self._rasrs[self._current()] = new
        self._changed()

    def _rbar_value(self) -> int:
        return self._rbars[self._current()] | self._current()

    def _rasr_value(self) -> int:
        return self._rasrs[self._current()]

    def on_write_RBAR(self, old: int, new: int) -> None:
        self._rbar(new)

    def on_write_RASR(self, old: int, new: int) -> None:
        self._rasr(new)

    def on_read_RBAR(self, value: int) -> int:
        return self._rbar_value()

    def on_read_RASR(self, value: int) -> int:
        return self._rasr_value()

    def on_write_CTRL(self, old: int, new: int) -> None:
        self._changed()

    def _changed(self) -> None:
        """Apply at the next instruction boundary (the CPU stops at the end of this block)."""
        if self._apply_event is None and self.listeners:
            self._apply_event = self.ctx.schedule(self.ctx.now(), self._apply)

    def _apply(self, _cycle: int) -> None:
        self._apply_event = None
        for listener in list(self.listeners):
            listener()


MODEL = MPU
