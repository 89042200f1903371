"""Low power: Sleep, Stop and Standby as the firmware enters and leaves them.

WFI/WFE stop the CPU (found at the instruction before the PC); without SLEEPDEEP the core
sleeps until an interrupt; with it the power controller (the platform's ``power`` port,
peripherals/ports.py PowerControl) says whether Stop or Standby is entered. In Stop and
Standby no core cycle passes: only the Stop-domain event queue (RTC, LPTIM on LSE/LSI) moves
time until something wakes the chip; leaving Standby is a system reset. Each transition closes
a power segment and charges the wake-up time of the power data.

:class:`LowPower` is the machine's low-power part (``machine.lowpower``): it owns the mode
the core domain is in (None, "stop", "standby"), the count of Stop-domain events without a
wake-up, and the wake-up cost cache, and reaches the timebase, the exception engine, the
power segments and the ports through the machine it belongs to.
"""

from __future__ import annotations

import struct

import numpy as np
from unicorn import UC_HOOK_CODE, UcError
from unicorn.arm_const import UC_ARM_REG_PC

from .code_map import instruction_sites
from .exits import ExitReason

# the Segment fields power.wakeup_cost reads (the operating point it wakes into)
_WAKE_KEYS = ("core_hz", "vos", "hclk_hz", "icache", "dcache", "code_cycles", "peripherals_on",
              "clocks", "plls_on", "svos", "flash_low_power")


def _wake_fields(segment) -> tuple:
    return tuple(getattr(segment, k, None) for k in _WAKE_KEYS)


def _hashable(v):
    if isinstance(v, dict):
        return tuple(sorted((k, _hashable(x)) for k, x in v.items()))
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    return v


WFI_T16, WFE_T16 = 0xBF30, 0xBF20
WFI_T32, WFE_T32 = (0xF3AF, 0x8003), (0xF3AF, 0x8002)
SEV_T16, SEV_T32 = 0xBF40, (0xF3AF, 0x8004)


class LowPower:
    """Sleep, Stop and Standby of a machine, with their own state."""

    def __init__(self, machine) -> None:
        self.m = machine
        self.mode: str | None = None       # "stop" | "standby" while the core domain is off
        self.idle_events = 0               # Stop-domain events run without a wake-up
        self._power_data: tuple | None = None   # (platform, parsed power data), loaded once
        self._wake_memo: dict = {}         # wake-up time by the segment fields it reads

    def hook_sev(self) -> None:
        """SEV sets the event register (ARMv7-M B1.5.18) a later WFE finds; Unicorn runs SEV
        as a NOP, so each SEV of the code gets a code hook (a firmware has a few, if any;
        none costs nothing; Unicorn calls the hook of a conditional SEV only when its
        condition passes)."""
        def sev(h: np.ndarray, nxt: np.ndarray) -> np.ndarray:
            return (h == SEV_T16) | ((h == SEV_T32[0]) & (nxt == SEV_T32[1]))

        for t, i in instruction_sites(self.m.code_tables, sev):
            a = t.base + 2 * i
            self.m.uc.hook_add(UC_HOOK_CODE, self._on_sev, begin=a, end=a)

    def _on_sev(self, uc, address: int, size: int, user_data) -> None:
        self.m.engine.event_register = True

    def set_mode(self, mode: str | None) -> None:
        """Enter ("stop" | "standby") or leave (None) a mode where the core domain is off."""
        self.mode = mode
        self.m.time.core_domain_on = mode is None

    def stopped_at_wfx(self) -> str | None:
        """"wfi" / "wfe" when the instruction before PC is WFI / WFE (T1 or T2 encoding)."""
        pc = self.m.reg(UC_ARM_REG_PC)
        try:
            pair = struct.unpack("<HH", self.m.uc.mem_read(pc - 4, 4))   # both encodings
        except UcError:             # PC at the start of memory: only a 16-bit one fits
            try:
                pair = (None, struct.unpack("<H", self.m.uc.mem_read(pc - 2, 2))[0])
            except UcError:
                return None
        if pair[1] == WFI_T16:
            return "wfi"
        if pair[1] == WFE_T16:
            return "wfe"
        return "wfi" if pair == WFI_T32 else "wfe" if pair == WFE_T32 else None

    def enter_sleep(self) -> None:
        self.m.going_to_sleep.emit()
        scb = self.m.core.scb
        deep = scb is not None and bool(scb.reg("SCR") & 4)
        pwr = self.m.power_control
        if deep and pwr is not None:
            self.enter_stop(pwr.stop_mode())
            return
        self.m.sleeping = True
        self.m._close_segment("stop" if deep else "sleep")

    def enter_stop(self, mode: str) -> None:
        """WFI with SLEEPDEEP: the core domain stops (RM0433 section 6, low-power modes).
        No core cycle passes in Stop or Standby: core-clocked events (SysTick, DMA, SAI,
        USART, regulator and PLL delays) stay where they are and resume afterwards, shifted
        by the time spent stopped; only Stop-domain events (lp_events: RTC) advance time.
        Stop: the RCC stops PLL1..3 and HSE and leaves HSI or CSI as the system clock, the
        PWR sets STOPF. Standby: D1/D2/D3 lose power; the wake-up is a system reset."""
        if self.m.engine.can_wake():
            return          # a pending interrupt: WFI does not enter the low-power mode
        self.m.sleeping = True
        self.set_mode(mode)
        self.idle_events = 0
        self.m._close_segment(mode)
        if mode == "stop":
            if self.m.clocks is not None:
                self.m.clocks.enter_stop()     # closes a zero-length segment, sets core_hz
            if self.m.power_control is not None:
                self.m.power_control.entered_stop()
        self.m.log(f"{mode} entered")

    def stay_stopped(self) -> None:
        """Jump time from one Stop-domain event to the next until one wakes the chip: an
        interrupt the NVIC would wake WFI for (Stop), an RTC wake-up event (Standby)."""
        from . import interrupt

        mode = self.mode
        while self.m._exit is None and interrupt.requested() is None \
                and not self.m._reset_requested:
            if mode == "stop" and self.m.engine.can_wake() and self.exti_wakeup():
                self.set_mode(None)
                self.wake()
                return
            if mode == "standby" and any(p.standby_wakeup() for p in self.m.peripherals.values()):
                self.leave_standby()
                return
            t = self.m.lp_events.next_time()
            if t is None or self.idle_events > 100_000:
                self.m._finish(ExitReason.IDLE, 0, f"the chip is in {mode.capitalize()} and "
                             "nothing that runs there can wake it")
                return
            self.m.time.jump_to(t)                     # no core cycle passes
            for when, callback in self.m.lp_events.pop_due(t):
                callback(when)
            self.idle_events += 1

    def exti_wakeup(self) -> bool:
        """Stop ends only on an EXTI wake-up (RM0433 20.3: the D1 clocks are off, the NVIC
        alone cannot restart them); a platform that wires no wake-up controller
        (``[wiring] wakeup_controller``) wakes on any interrupt."""
        exti = self.m.wakeup_controller
        return True if exti is None else bool(exti.cpu_wakeup())

    def leave_standby(self) -> None:
        """The exit from Standby is a system reset (RM0433 section 6): the backup domain
        (RTC, RCC_BDCR, PWR flags) is kept, SRAM and TCM contents are lost (backup SRAM kept
        only with PWR_CR2.BREN), the core boots from the reset vector with PWR_CPUCR.SBF set.
        The standby wake-up time of the power model is charged at the reset clock (HSI)."""
        self.set_mode(None)
        self.m.sleeping = False
        self.m._close_segment("wakeup")
        self.m.log("standby exit: system reset")
        self.m._reset_chip()
        self.m._reset_core_registers()
        self.m._on_clock_change()          # the reset clock (HSI) is the core clock again
        self.charge_wakeup("standby", None)
        pwr = self.m.power_control
        bkpsram = pwr is not None and pwr.keeps_backup_sram()
        self.m.ram.power_loss(keep=("BKPSRAM",) if bkpsram else ())
        if pwr is not None:
            pwr.left_standby()
        self.m._boot()

    def wake(self) -> None:
        """Leaving sleep/stop costs time (DS12110 wake-up latencies: ~10 cycles from sleep,
        4.4..39 us from stop), spent in its own 'wakeup' segment before the core runs."""
        self.m.sleeping = False
        left = self.m._seg_state
        self.m._close_segment("wakeup")
        self.charge_wakeup(left, self.m.segments[-1] if self.m.segments else None)

    def charge_wakeup(self, left: str, segment) -> None:
        """The wake-up latency from state ``left`` (power.wakeup_cost; ``segment`` is the
        low-power segment left) as time in the open 'wakeup' segment, then run."""
        try:
            cached = self._power_data
            if cached is None or cached[0] is not self.m.platform:   # resolved and parsed once
                from .power import load, wakeup_cost
                cached = self._power_data = (self.m.platform, load(self.m.platform.power_data),
                                             wakeup_cost)
            data, wakeup_cost = cached[1], cached[2]
            # wakeup_cost reads only these of the segment left (and computes an energy the
            # run loop does not need): memoised on them, failures included
            key = None if segment is None else (
                left, self.m.core_hz, self.m.platform.revision, id(data),
                *map(_hashable, _wake_fields(segment)))
            memo = self._wake_memo
            secs = memo.get(key) if key is not None else None
            if secs is None:
                try:
                    secs, _ = wakeup_cost(left if left in ("sleep", "stop", "standby")
                                          else "sleep", core_hz=self.m.core_hz, segment=segment,
                                          revision=self.m.platform.revision, data=data)
                except Exception:      # the power model must never break a run
                    secs = 0.0
                if key is not None:
                    memo[key] = secs
        except Exception:          # the power model must never break a run
            secs = 0.0
        self.m._seg_wake_from = left
        self.m.time.advance(int(round(secs * self.m.core_hz)))
        self.m._close_segment("run")
