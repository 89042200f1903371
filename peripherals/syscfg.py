"""SYSCFG: system configuration controller of the STM32H743 (RM0433 Rev 8, section 12).

Registers are declared with their reset values; the only behaviour is PWRCR.ODEN, which starts
the VOS0 transition in PWR (RM0433 6.6.2 / 12.3.7). Like silicon, writes are ignored while the
block's clock (RCC_APB4ENR.SYSCFGEN) is off.
"""

from __future__ import annotations

from .base import RO, Field, Peripheral, Register


class SYSCFG(Peripheral):
    """System configuration: EXTI routing, analog switches, compensation cell, ODEN."""

    registers = (
        # 12.3.1 SYSCFG_PMCR. Reset 0x0F00 0000 assumed (PA0SO/PA1SO/PC2SO/PC3SO = 1: analog
        # switches open); not certain of the table value.
        Register("PMCR", 0x04, (
            *(Field(n, i) for i, n in enumerate(("I2C1FMP", "I2C2FMP", "I2C3FMP", "I2C4FMP",
                                                 "PB6FMP", "PB7FMP", "PB8FMP", "PB9FMP"))),
            Field("BOOSTE", 8), Field("BOOSTVDDSEL", 9), Field("EPIS", 21, 3),
            Field("PA0SO", 24, reset=1), Field("PA1SO", 25, reset=1),
            Field("PC2SO", 26, reset=1), Field("PC3SO", 27, reset=1),
        )),
        # 12.3.2-12.3.5 SYSCFG_EXTICR1..4, reset 0: EXTIx source port, 4 bits per line.
        *(Register(f"EXTICR{r + 1}", 0x08 + 4 * r,
                   tuple(Field(f"EXTI{4 * r + i}", 4 * i, 4) for i in range(4)))
          for r in range(4)),
        # 12.3.6 SYSCFG_CFGR, reset 0 (lock bits, set-only until reset).
        Register("CFGR", 0x18, tuple(
            Field(n, b, access="rs") for b, n in ((2, "PVDL"), (3, "FLASHL"), (6, "CM7L"),
                                                  (7, "BKRAML"), (9, "SRAM4L"), (10, "SRAM2L"),
                                                  (11, "SRAM1L"), (12, "ITCML"), (13, "DTCML"),
                                                  (14, "AXISRAML"), (15, "SRAM3L")))),
        # 12.3.7 SYSCFG_CCCSR, reset 0. READY is set by hardware once EN is set.
        Register("CCCSR", 0x20, (Field("EN", 0), Field("CS", 1), Field("READY", 8, access=RO),
                                 Field("HSLV", 16))),
        # 12.3.8 SYSCFG_CCVR, read-only compensation values (modelled as 0).
        Register("CCVR", 0x24, (Field("NCV", 0, 4, RO), Field("PCV", 4, 4, RO))),
        # 12.3.9 SYSCFG_CCCR, reset 0.
        Register("CCCR", 0x28, (Field("NCC", 0, 4), Field("PCC", 4, 4))),
        # 12.3.10 SYSCFG_PWRCR, reset 0: ODEN (rev V) enables the VOS0 overdrive.
        Register("PWRCR", 0x2C, (Field("ODEN", 0),)),
        # 12.3.11 SYSCFG_PKGR: package code, read-only (value depends on the part; 0 here).
        Register("PKGR", 0x124, (Field("PKG", 0, 4, RO),)),
        # 12.3.12.. SYSCFG_UR0..UR17: read-only mirrors of the option bytes. Factory defaults
        # are modelled where known (RDP = 0xAA level 0, BOOT_ADD0 = 0x0800, BOOT_ADD1 = 0x1FF0),
        # the rest as 0 (not certain).
        Register("UR0", 0x300, (Field("BKS", 0, access=RO), Field("RDP", 16, 8, RO, reset=0xAA))),
        Register("UR1", 0x304, access=RO, reset=0),
        Register("UR2", 0x308, (Field("BORH", 0, 2, RO), Field("BOOT_ADD0", 16, 16, RO, 0x0800))),
        Register("UR3", 0x30C, (Field("BOOT_ADD1", 0, 16, RO, 0x1FF0),)),
        *(Register(f"UR{i}", 0x300 + 4 * i, access=RO, reset=0) for i in range(4, 18)),
    )
    bus_clock = "pclk4"
    outputs = ("oden",)       # PWRCR.ODEN level, wired to the PWR model's oden input

    def write(self, offset: int, size: int, value: int) -> None:
        if not self.clock_enabled("SYSCFG"):
            self.ctx.log(f"warning: {self.name}: write {value:#x} to +{offset:#x} ignored: "
                         f"RCC_APB4ENR.SYSCFGEN is 0")
            return
        super().write(offset, size, value)

    def on_write_CCCSR(self, old: int, new: int) -> None:
        self.set_field("CCCSR", "READY", self.get_field("CCCSR", "EN"))

    def on_write_PWRCR(self, old: int, new: int) -> None:
        if (old ^ new) & 1:
            self.oden.emit(bool(new & 1))


MODEL = SYSCFG
