"""IWDG, the independent watchdog (RM0433 section 45; register layout from ST's SVD).

A 12-bit down-counter clocked by LSI / prescaler. Writing 0xCCCC to KR starts it (and forces
the LSI on); 0xAAAA reloads it from RLR; 0x5555 unlocks PR, RLR and WINR. When the counter
reaches 0 the chip resets (RCC_RSR.IWDG1RSTF is set). With a window (WINR < RLR), a reload
while the counter is still above WINR resets too (RM0433 45.3.4).

The counter is not stepped: the expiry is one event at an absolute simulated time, on the
clock that keeps running in Stop mode (``ctx.schedule_seconds``), as the IWDG does on silicon
(it runs from LSI in Stop and Standby unless option bytes freeze it; frozen variants are
not modelled). Timeout = 4 * 2**PR * (RL + 1) / f_LSI; RM0433 45.4.2: PR 6 and 7 both
divide by 256. The value updates of PR/RLR/WINR are modelled as immediate: SR reads 0.
"""

from __future__ import annotations

import math

from .base import RO, WO, Field, Peripheral, Register

KEY_START, KEY_RELOAD, KEY_UNLOCK = 0xCCCC, 0xAAAA, 0x5555
LSI_HZ_DEFAULT = 32_000.0         # DS12110 Table 58: LSI frequency 32 kHz typical


def prescaler_divider(pr: int) -> int:
    """IWDG_PR code -> divider (RM0433 45.4.2: 0 -> /4 ... 6 -> /256, 7 -> /256)."""
    return 4 << min(pr & 7, 6)


class IWDG(Peripheral):
    registers = (
        Register("KR", 0x00, (Field("KEY", 0, 16, WO),)),
        Register("PR", 0x04, (Field("PR", 0, 3),)),
        Register("RLR", 0x08, (Field("RL", 0, 12, reset=0xFFF),)),
        Register("SR", 0x0C, (Field("PVU", 0, access=RO), Field("RVU", 1, access=RO),
                              Field("WVU", 2, access=RO))),
        Register("WINR", 0x10, (Field("WIN", 0, 12, reset=0xFFF),)),
    )
    bus_clock = "pclk4"

    def __init__(self, name: str, base: int, size: int, ctx, **params: object) -> None:
        self._event: int | None = None
        super().__init__(name, base, size, ctx, **params)
        self.lsi_hz = float(params.get("lsi_hz", LSI_HZ_DEFAULT))   # type: ignore[arg-type]
        self.reset_flag = str(params.get("reset_flag", f"{name}RSTF"))

    def reset(self) -> None:
        if getattr(self, "_event", None) is not None:
            self.ctx.cancel(self._event)
        self._event = None
        self.running = False
        self._unlocked = False
        self._reloaded_at = 0.0          # simulated seconds of the last reload
        super().reset()

    # --- the counter as a function of time ----------------------------------------------------
    def tick_seconds(self) -> float:
        return prescaler_divider(self.get_field("PR", "PR")) / self.lsi_hz

    def timeout_seconds(self) -> float:
        """Time from a reload to the reset: 4 * 2**PR * (RL + 1) / f_LSI."""
        return (self.get_field("RLR", "RL") + 1) * self.tick_seconds()

    def counter(self) -> int:
        """The down-counter now (RL at a reload, 0 at the reset)."""
        if not self.running:
            return self.get_field("RLR", "RL")
        ticks = math.floor((self.ctx.now_seconds() - self._reloaded_at) / self.tick_seconds()
                           + 1e-9)
        return max(self.get_field("RLR", "RL") - ticks, 0)

    def _reload(self) -> None:
        self._reloaded_at = self.ctx.now_seconds()
        if self._event is not None:
            self.ctx.cancel(self._event)
        self._event = self.ctx.schedule_seconds(self._reloaded_at + self.timeout_seconds(),
                                                self._expire)

    def debug_halted(self, seconds: float) -> None:
        """The core was halted ``seconds`` by a debugger and DBGMCU_APB4FZ1.DBG_IWDG1 is 0:
        the watchdog kept counting (peripherals/dbgmcu.py); a long halt expires it."""
        if not self.running:
            return
        self._reloaded_at -= seconds
        if self._event is not None:
            self.ctx.cancel(self._event)
        self._event = self.ctx.schedule_seconds(
            max(self._reloaded_at + self.timeout_seconds(), self.ctx.now_seconds()),
            self._expire)

    def _expire(self, _seconds: float) -> None:
        self._event = None
        self._reset_chip(f"{self.name} watchdog timeout "
                         f"({self.timeout_seconds() * 1e3:.4g} ms without a refresh)")

    def _reset_chip(self, why: str) -> None:
        self.running = False
        self.ctx.request_reset(why, self.reset_flag)

    # --- registers ------------------------------------------------------------------------------
    def on_write_KR(self, old: int, new: int) -> None:
        key = new & 0xFFFF
        if key == KEY_START:
            if not self.running:
                self.running = True
                self._reload()
        elif key == KEY_RELOAD:
            self._unlocked = False
            if self.running:
                win = self.get_field("WINR", "WIN")
                if win < self.get_field("RLR", "RL") and self.counter() > win:
                    self._reset_chip(f"{self.name} refreshed outside its window "
                                     f"(counter {self.counter()} > WIN {win})")
                    return
                self._reload()
        elif key == KEY_UNLOCK:
            self._unlocked = True
        else:
            self._unlocked = False       # any other value re-protects the registers
        self.set_reg("KR", 0)

    def _protected(self, reg: str, old: int) -> bool:
        if not self._unlocked:
            self.set_reg(reg, old)       # write-protected: ignored (RM0433 45.3.6)
            return True
        return False

    def on_write_PR(self, old: int, new: int) -> None:
        self._protected("PR", old)

    def on_write_RLR(self, old: int, new: int) -> None:
        self._protected("RLR", old)

    def on_write_WINR(self, old: int, new: int) -> None:
        if not self._protected("WINR", old) and self.running:
            self._reload()               # RM0433 45.3.4: writing WINR reloads the counter


MODEL = IWDG
