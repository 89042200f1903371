"""GPIO ports of the STM32H743 (RM0433 Rev 8, section 11) and the STM32F746 (RM0385 Rev 8,
section 6): the same register layout on both chips.

Registers with the per-port reset values the platform file gives (``reset = { MODER = ...,
OSPEEDR = ..., PUPDR = ... }``: ports A and B differ because of the debug pins, and the two chips
differ: H7 pins reset to analog, F7 pins to input; a register the table leaves out resets to 0),
BSRR set/reset semantics, the LCKR lock sequence, and an IDR computed from the pin
configuration: an output reads back its ODR level, an input reads the level the host drives
(``set_input``) or else its pull resistor, an analog pin reads 0.
"""

from __future__ import annotations

from typing import Callable

from .base import RO, WO, Field, Peripheral, Register
from .ports import TimerOutput

PORTS = "ABCDEFGHIJK"

#: registers whose reset value is chip data (the platform's per-port ``reset`` table)
RESET_BY_PLATFORM = ("MODER", "OSPEEDR", "PUPDR")
_LOCKABLE = ("MODER", "OTYPER", "OSPEEDR", "PUPDR", "AFRL", "AFRH")


def _per_pin(name: str, prefix: str, offset: int, width: int, reset: int, pins=range(16),
             access: str = "rw") -> Register:
    return Register(name, offset, tuple(
        Field(f"{prefix}{p}", width * (p - pins.start), width, access,
              (reset >> (width * (p - pins.start))) & ((1 << width) - 1)) for p in pins))


def port_registers(reset: dict[str, int] | None = None) -> tuple[Register, ...]:
    """Register map of one GPIO port; ``reset``: the chip's reset values of MODER, OSPEEDR and
    PUPDR for this port (RM0433 11.4.1/3/4, RM0385 6.4.1/3/4), absent ones 0."""
    reset = reset or {}
    unknown = set(reset) - set(RESET_BY_PLATFORM)
    if unknown:
        raise ValueError(f"GPIO reset table: {', '.join(sorted(unknown))} not one of "
                         f"{', '.join(RESET_BY_PLATFORM)}")
    return (
        # GPIOx_MODER (RM0433 11.4.1, RM0385 6.4.1): per chip and port.
        _per_pin("MODER", "MODE", 0x00, 2, int(reset.get("MODER", 0))),
        # GPIOx_OTYPER, reset 0 (push-pull).
        _per_pin("OTYPER", "OT", 0x04, 1, 0),
        # GPIOx_OSPEEDR (RM0433 11.4.3, RM0385 6.4.3): per chip and port.
        _per_pin("OSPEEDR", "OSPEED", 0x08, 2, int(reset.get("OSPEEDR", 0))),
        # GPIOx_PUPDR (RM0433 11.4.4, RM0385 6.4.4): per chip and port.
        _per_pin("PUPDR", "PUPD", 0x0C, 2, int(reset.get("PUPDR", 0))),
        # 11.4.5 GPIOx_IDR, read-only, reset 0x0000 XXXX (computed on read).
        _per_pin("IDR", "ID", 0x10, 1, 0, access=RO),
        # 11.4.6 GPIOx_ODR, reset 0.
        _per_pin("ODR", "OD", 0x14, 1, 0),
        # 11.4.7 GPIOx_BSRR, write-only: BSy (15:0) set, BRy (31:16) reset ODR bit y.
        Register("BSRR", 0x18, tuple(Field(f"BS{p}", p, access=WO) for p in range(16))
                 + tuple(Field(f"BR{p}", 16 + p, access=WO) for p in range(16))),
        # 11.4.8 GPIOx_LCKR, reset 0: LCK 15:0, LCKK 16 (written as part of the lock key
        # sequence, reads 1 only once the port is locked: managed by the hooks).
        Register("LCKR", 0x1C, (Field("LCK", 0, 16), Field("LCKK", 16))),
        # 11.4.9 / 11.4.10 GPIOx_AFRL / AFRH, reset 0.
        _per_pin("AFRL", "AFSEL", 0x20, 4, 0, range(0, 8)),
        _per_pin("AFRH", "AFSEL", 0x24, 4, 0, range(8, 16)),
    )


class GPIO(Peripheral):
    """One GPIO port."""

    def __init__(self, name: str, base: int, size: int, ctx, **params: object) -> None:
        self.port = str(params.get("port", name[-1])).upper()
        if self.port not in PORTS:
            raise ValueError(f"GPIO {name}: cannot tell the port letter (give port=...)")
        reset = params.get("reset") or {}
        assert isinstance(reset, dict)
        self.registers = port_registers(reset)  # type: ignore[misc]
        self.output_listeners: list[Callable[[str, int], None]] = []
        self._inputs: dict[int, bool] = {}
        # (pin, AF number) -> (block, channel) of a timer output (platform `alternate`)
        self._alternate: dict[tuple[int, int], tuple[str, int]] = {
            (int(pin), int(af)): (str(block), int(ch))
            for pin, af, block, ch in params.get("alternate", ()) or ()}
        self._alternate_out: dict[tuple[int, int], tuple[TimerOutput, int]] = {}
        self._lock_step = 0
        self._locked = False
        super().__init__(name, base, size, ctx, **params)

    def reset(self) -> None:
        self._lock_step = 0
        self._locked = False
        super().reset()

    # --- host side -----------------------------------------------------------------------------
    def set_input(self, pin: int, level: bool | None) -> None:
        """Drive pin ``pin`` from outside (None: let it float)."""
        if level is None:
            self._inputs.pop(pin, None)
        else:
            self._inputs[pin] = bool(level)

    def pin_level(self, pin: int) -> int:
        mode = self.reg("MODER") >> (2 * pin) & 3
        pull = self.reg("PUPDR") >> (2 * pin) & 3
        odr = self.reg("ODR") >> pin & 1
        open_drain = self.reg("OTYPER") >> pin & 1
        if mode == 3:                                   # analog: input buffer off, reads 0
            return 0
        if mode == 1 and (not open_drain or odr == 0):  # driven output
            return odr
        if mode == 2:                                   # alternate function: a timer output?
            level = self._alternate_level(pin)
            if level is not None and (not open_drain or level == 0):
                return level
        if pin in self._inputs:
            return int(self._inputs[pin])
        return 1 if pull == 1 else 0                    # 01 pull-up, 10 pull-down, 00 float: 0

    def _alternate_level(self, pin: int) -> int | None:
        af = (self.reg("AFRL" if pin < 8 else "AFRH") >> (4 * (pin % 8))) & 0xF
        source = self._alternate_out.get((pin, af))
        if source is None:
            return None
        return source[0].output_level(source[1])

    def connected(self, find) -> None:
        """Resolve the alternate-function table: each named block must be a TimerOutput."""
        for key, (block, channel) in self._alternate.items():
            out = find(block, TimerOutput)
            if out is not None:
                self._alternate_out[key] = (out, channel)

    # --- register behaviour --------------------------------------------------------------------
    def write(self, offset: int, size: int, value: int) -> None:
        if not self.clock_enabled():
            self.ctx.log(f"warning: {self.name}: write {value:#x} to +{offset:#x} ignored: "
                         f"its RCC clock enable bit ({self.name}EN) is 0")
            return
        reg = self._by_offset.get(offset & ~3)
        old = self.values.get(offset & ~3, 0)
        super().write(offset, size, value)
        if self._locked and reg is not None and reg.name in _LOCKABLE:
            keep = self._locked_mask(reg.name)
            self.values[reg.offset] = (self.values[reg.offset] & ~keep) | (old & keep)

    def on_read_IDR(self, value: int) -> int:
        idr = sum(self.pin_level(p) << p for p in range(16))
        self.set_reg("IDR", idr)
        return idr

    def on_write_BSRR(self, old: int, new: int) -> None:
        sets, resets = new & 0xFFFF, new >> 16
        self._set_odr((self.reg("ODR") & ~resets | sets) & 0xFFFF)   # BS has priority
        self.set_reg("BSRR", 0)

    def on_write_ODR(self, old: int, new: int) -> None:
        if old != new:
            self._notify()

    def on_write_LCKR(self, old: int, new: int) -> None:
        if self._locked:
            self.set_reg("LCKR", old)
            return
        lckk, lck = new >> 16 & 1, new & 0xFFFF
        prev_lck = old & 0xFFFF
        if self._lock_step == 0 and lckk:
            self._lock_step = 1
        elif self._lock_step == 1 and not lckk and lck == prev_lck:
            self._lock_step = 2
        elif self._lock_step == 2 and lckk and lck == prev_lck:
            self._lock_step = 3
        else:
            self._lock_step = 1 if lckk else 0
        self.set_reg("LCKR", lck)

    def on_read_LCKR(self, value: int) -> int:
        if self._lock_step == 3 and not self._locked:   # the read completes the sequence
            self._locked = True
            self.set_reg("LCKR", (self.reg("LCKR") & 0xFFFF) | 1 << 16)
        return self.reg("LCKR")

    # --- helpers -------------------------------------------------------------------------------
    def _set_odr(self, value: int) -> None:
        if value != self.reg("ODR"):
            self.set_reg("ODR", value)
            self._notify()

    def _notify(self) -> None:
        for listener in list(self.output_listeners):
            listener(self.name, self.reg("ODR"))

    def _locked_mask(self, reg: str) -> int:
        lck = self.reg("LCKR") & 0xFFFF
        width = {"MODER": 2, "OSPEEDR": 2, "PUPDR": 2, "OTYPER": 1, "AFRL": 4, "AFRH": 4}[reg]
        first = 8 if reg == "AFRH" else 0
        count = 8 if reg in ("AFRL", "AFRH") else 16
        mask = 0
        for i in range(count):
            if lck >> (first + i) & 1:
                mask |= ((1 << width) - 1) << (width * i)
        return mask


MODEL = GPIO
