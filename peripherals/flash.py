"""FLASH interface registers of the STM32H743 (RM0433 Rev 8, section 4.9).

Models the access control (ACR: LATENCY / WRHIGHFREQ), the key sequences that unlock CR1/CR2
(KEYR1/KEYR2) and OPTCR (OPTKEYR), and declares the status, option and CRC registers with their
reset values. Programming and erase are not modelled: a START request is logged and ignored.
Bank-independent registers appear in both bank windows (0x000 and 0x100 views, RM0433 Table 18).
"""

from __future__ import annotations

from . import operating
from .base import RO, WO, W1S, Field, Peripheral, Register

# Unlock keys (RM0433 4.5.1 / 4.4.7).
KEY1, KEY2 = 0x45670123, 0xCDEF89AB
OPTKEY1, OPTKEY2 = 0x08192A3B, 0x4C5D6E7F

def _bank_regs(b: int, off: int) -> list[Register]:
    errs = ((16, "EOP"), (17, "WRPERR"), (18, "PGSERR"), (19, "STRBERR"), (21, "INCERR"),
            (22, "OPERR"), (23, "RDPERR"), (24, "RDSERR"), (25, "SNECCERR"), (26, "DBECCERR"),
            (27, "CRCEND"), (28, "CRCRDERR"))
    return [
        # 4.9.2 FLASH_KEYR1 / 4.9.22 FLASH_KEYR2: write-only key register.
        Register(f"KEYR{b}", off + 0x04, access=WO, reset=0),
        # 4.9.4 FLASH_CR1 / 4.9.24 FLASH_CR2, reset 0x0000 0031 (LOCK, PSIZE = x64).
        Register(f"CR{b}", off + 0x0C, (
            Field(f"LOCK{b}", 0, access=W1S, reset=1), Field(f"PG{b}", 1), Field(f"SER{b}", 2),
            Field(f"BER{b}", 3), Field(f"PSIZE{b}", 4, 2, reset=3), Field(f"FW{b}", 6),
            Field(f"START{b}", 7), Field(f"SNB{b}", 8, 3), Field(f"CRC_EN{b}", 15),
            *(Field(f"{n}IE{b}", bit) for bit, n in errs),
        )),
        # 4.9.5 FLASH_SR1 / 4.9.25 FLASH_SR2, reset 0 (nothing is ever busy here).
        Register(f"SR{b}", off + 0x10, (
            Field(f"BSY{b}", 0, access=RO), Field(f"WBNE{b}", 1, access=RO),
            Field(f"QW{b}", 2, access=RO), Field(f"CRC_BUSY{b}", 3, access=RO),
            *(Field(f"{n}{b}", bit, access=RO) for bit, n in errs),
        )),
        # 4.9.6 FLASH_CCR1 / 4.9.26 FLASH_CCR2: write 1 to clear the SR flags; reads 0.
        Register(f"CCR{b}", off + 0x14, tuple(Field(f"CLR_{n}{b}", bit, access=WO)
                                              for bit, n in errs)),
        # 4.9.11/12 PRAR_CUR/PRG, reset 0x0000 00FF with factory options (start > end: none).
        Register(f"PRAR_CUR{b}", off + 0x28, access=RO, reset=0x000000FF),
        Register(f"PRAR_PRG{b}", off + 0x2C, reset=0x000000FF),
        # 4.9.13/14 SCAR_CUR/PRG, reset 0x0000 00FF with factory options (no secure area).
        Register(f"SCAR_CUR{b}", off + 0x30, access=RO, reset=0x000000FF),
        Register(f"SCAR_PRG{b}", off + 0x34, reset=0x000000FF),
        # 4.9.15/16 WPSN_CURxR / WPSN_PRGxR, reset 0x0000 00FF (no sector write-protected).
        Register(f"WPSN_CUR{b}R", off + 0x38, access=RO, reset=0x000000FF),
        Register(f"WPSN_PRG{b}R", off + 0x3C, reset=0x000000FF),
        # 4.9.19-21 CRC registers and ECC fail address, reset 0.
        Register(f"CRCCR{b}", off + 0x50),
        Register(f"CRCSADD{b}R", off + 0x54),
        Register(f"CRCEADD{b}R", off + 0x58),
        Register(f"ECC_FA{b}R", off + 0x60, access=RO, reset=0),
    ]


# Factory option bytes (RM0433 4.4.1 "option byte default values"): RDP = 0xAA, IWDG1_SW,
# NRST_STOP_D1, NRST_STBY_D1, FZ_IWDG_STOP, FZ_IWDG_SDBY set -> 0x0006 AAD0 (assumed value).
_OPTSR_FIELDS = (
    Field("OPT_BUSY", 0, access=RO), Field("BOR_LEV", 2, 2), Field("IWDG1_SW", 4, reset=1),
    Field("NRST_STOP_D1", 6, reset=1), Field("NRST_STBY_D1", 7, reset=1),
    Field("RDP", 8, 8, reset=0xAA), Field("FZ_IWDG_STOP", 17, reset=1),
    Field("FZ_IWDG_SDBY", 18, reset=1), Field("ST_RAM_SIZE", 19, 2), Field("SECURITY", 21),
    Field("IO_HSLV", 29), Field("OPTCHANGEERR", 30, access=RO), Field("SWAP_BANK_OPT", 31),
)

# Offsets of the bank-2 window that show the same register as bank 1 (RM0433 Table 18).
_ALIASES = {0x100: 0x000, 0x108: 0x008, 0x118: 0x018, 0x11C: 0x01C, 0x120: 0x020,
            0x124: 0x024, 0x140: 0x040, 0x144: 0x044, 0x15C: 0x05C}


class FLASH(operating.WaitStateCheck, Peripheral):
    """Flash interface registers: wait states, lock/unlock state machines."""

    registers = (
        # 4.9.1 FLASH_ACR, reset 0x0000 0037 (LATENCY = 7, WRHIGHFREQ = 3).
        Register("ACR", 0x000, (Field("LATENCY", 0, 4, reset=7),
                                Field("WRHIGHFREQ", 4, 2, reset=3))),
        # 4.9.3 FLASH_OPTKEYR: write-only.
        Register("OPTKEYR", 0x008, access=WO, reset=0),
        # 4.9.7 FLASH_OPTCR, reset 0x0000 0001 (OPTLOCK).
        Register("OPTCR", 0x018, (Field("OPTLOCK", 0, access=W1S, reset=1), Field("OPTSTART", 1),
                                  Field("MER", 4), Field("OPTCHANGEERRIE", 30),
                                  Field("SWAP_BANK", 31, access=RO))),
        # 4.9.8 FLASH_OPTSR_CUR (read-only view) and 4.9.9 FLASH_OPTSR_PRG: factory options.
        Register("OPTSR_CUR", 0x01C, tuple(Field(f.name, f.lsb, f.width, RO, f.reset)
                                           for f in _OPTSR_FIELDS)),
        Register("OPTSR_PRG", 0x020, tuple(f for f in _OPTSR_FIELDS if f.access != RO)),
        # 4.9.10 FLASH_OPTCCR: CLR_OPTCHANGEERR, write-only.
        Register("OPTCCR", 0x024, (Field("CLR_OPTCHANGEERR", 30, access=WO),)),
        # 4.9.17/18 FLASH_BOOT_CURR / BOOT_PRGR: BOOT_ADD0 = 0x0800, BOOT_ADD1 = 0x1FF0.
        Register("BOOT_CURR", 0x040, (Field("BOOT_ADD0", 0, 16, RO, 0x0800),
                                      Field("BOOT_ADD1", 16, 16, RO, 0x1FF0))),
        Register("BOOT_PRGR", 0x044, (Field("BOOT_ADD0", 0, 16, reset=0x0800),
                                      Field("BOOT_ADD1", 16, 16, reset=0x1FF0))),
        # 4.9.20 FLASH_CRCDATAR, reset 0.
        Register("CRCDATAR", 0x05C, access=RO, reset=0),
        *_bank_regs(1, 0x000),
        *_bank_regs(2, 0x100),
    )
    bus_clock = "hclk"   # AXI/AHB3

    def __init__(self, name: str, base: int, size: int, ctx, **params: object) -> None:
        self._key_step = {1: 0, 2: 0, "opt": 0}
        self._locked_out = {1: False, 2: False, "opt": False}
        self.operating = operating.from_params(params, "stm32h743")
        super().__init__(name, base, size, ctx, **params)

    def reset(self) -> None:
        self._key_step = {1: 0, 2: 0, "opt": 0}
        self._locked_out = {1: False, 2: False, "opt": False}
        super().reset()

    # --- public state ----------------------------------------------------------------------
    @property
    def latency(self) -> int:
        """Read wait states (FLASH_ACR.LATENCY), in AXI clock cycles."""
        return self.get_field("ACR", "LATENCY")

    @property
    def wrhighfreq(self) -> int:
        return self.get_field("ACR", "WRHIGHFREQ")

    def locked(self, bank: int) -> bool:
        return bool(self.get_field(f"CR{bank}", f"LOCK{bank}"))

    @property
    def options_locked(self) -> bool:
        return bool(self.get_field("OPTCR", "OPTLOCK"))

    # --- bus side: bank-2 aliases ----------------------------------------------------------
    def alias_of(self, offset: int) -> int:
        return _ALIASES.get(offset, offset)

    # --- register behaviour ----------------------------------------------------------------
    def on_write_ACR(self, old: int, new: int) -> None:
        if self.clocks is not None:
            self.clocks.check_operating_point()

    def on_write_KEYR1(self, old: int, new: int) -> None:
        self._key(1, new)

    def on_write_KEYR2(self, old: int, new: int) -> None:
        self._key(2, new)

    def on_write_OPTKEYR(self, old: int, new: int) -> None:
        self._key("opt", new)

    def on_write_CR1(self, old: int, new: int) -> None:
        self._control(1, old, new)

    def on_write_CR2(self, old: int, new: int) -> None:
        self._control(2, old, new)

    def on_write_CCR1(self, old: int, new: int) -> None:
        self.set_reg("SR1", self.reg("SR1") & ~new)
        self.set_reg("CCR1", 0)

    def on_write_CCR2(self, old: int, new: int) -> None:
        self.set_reg("SR2", self.reg("SR2") & ~new)
        self.set_reg("CCR2", 0)

    def on_write_OPTCR(self, old: int, new: int) -> None:
        if old & 1:   # OPTLOCK: OPTCR is read-only until OPTKEYR unlocks it
            self.set_reg("OPTCR", old)
            return
        if self.get_field("OPTCR", "OPTSTART"):
            self.ctx.log("FLASH: option byte programming (OPTSTART) is not modelled; ignored")
            self.set_field("OPTCR", "OPTSTART", 0)
        if new & 1:
            self._key_step["opt"] = 0

    def _control(self, bank: int, old: int, new: int) -> None:
        if old & 1:   # LOCKx: CRx is read-only until the key sequence (RM0433 4.5.1)
            self.set_reg(f"CR{bank}", old)
            return
        if self.get_field(f"CR{bank}", f"START{bank}"):
            self.ctx.log(f"FLASH: erase/program on bank {bank} (START{bank}) is not modelled; "
                         f"ignored")
            self.set_field(f"CR{bank}", f"START{bank}", 0)
        if new & 1:
            self._key_step[bank] = 0

    def _key(self, which: int | str, value: int) -> None:
        first, second = (OPTKEY1, OPTKEY2) if which == "opt" else (KEY1, KEY2)
        reg, fld = ("OPTCR", "OPTLOCK") if which == "opt" else (f"CR{which}", f"LOCK{which}")
        label = "OPTKEYR" if which == "opt" else f"KEYR{which}"
        if self._locked_out[which]:
            self.ctx.log(f"FLASH: {label} write after a wrong key sequence: locked until reset")
            return
        step = self._key_step[which]
        if step == 0 and value == first and self.get_field(reg, fld):
            self._key_step[which] = 1
        elif step == 1 and value == second:
            self._key_step[which] = 0
            self.set_field(reg, fld, 0)
        else:
            # RM0433 4.5.1: a wrong sequence raises a bus error and locks the register until
            # the next reset (the bus error itself is not raised here).
            self._locked_out[which] = True
            self._key_step[which] = 0
            self.ctx.log(f"warning: FLASH: wrong key {value:#010x} in {label} sequence: "
                         f"{reg} locked until reset (RM0433 4.5.1)")


MODEL = FLASH
