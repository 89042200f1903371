"""LPTIM1-5, the low-power timers (RM0433 Rev 8, section 44).

The counter counts up from 0 to ARR at the kernel clock divided by 2^PRESC (RCC LPTIMxSEL:
the APB clock, PLL2_P, PLL3_R, LSE, LSI or PER_CK). Clocked from LSE or LSI the timer keeps
running in Stop: its events are then on the low-speed clock queue (ctx.schedule_seconds), and
its interrupt, which is also its EXTI direct input (platform ``exti_line``), wakes the chip from
Stop when that input is unmasked in EXTI_CPUIMR2 (or CPUEMR2); on any other clock it counts
core-domain time and freezes in Stop with the rest of the core domain. As with TIM, the counter
is a closed form of time, flags whose interrupt is off are caught up when a register is read,
and an event is scheduled only for an enabled interrupt (ARRM, CMPM) or the end of a
single-shot count.

Modelled: ENABLE, SNGSTRT/CNTSTRT, COUNTRST, PRESC, PRELOAD (ARR/CMP applied at the end of the
period), ARROK/CMPOK (set once a write is taken: the synchronisation delay is not modelled),
ARRM/CMPM and their interrupts, ICR. Not modelled: external clock and encoder modes, triggers,
timeout mode, the waveform output, UP/DOWN flags.
"""

from __future__ import annotations

import math
from fractions import Fraction

from .base import RO, WO, Field, Peripheral, Register
from .ports import DirectEventInput
from .tim import Timer

CMPM, ARRM, CMPOK, ARROK = 1, 2, 8, 16
_STOP_CLOCKS = ("lse", "lsi")            # RCC clocks that run in Stop (RM0433 8.5.x)


class LPTIM(Peripheral):
    registers = (
        # 44.7.1 LPTIM_ISR (read-only), 44.7.2 LPTIM_ICR (write 1 to clear ISR bits)
        Register("ISR", 0x00, (Field("CMPM", 0, access=RO), Field("ARRM", 1, access=RO),
                               Field("EXTTRIG", 2, access=RO), Field("CMPOK", 3, access=RO),
                               Field("ARROK", 4, access=RO), Field("UP", 5, access=RO),
                               Field("DOWN", 6, access=RO))),
        Register("ICR", 0x04, tuple(Field(n, i, access=WO) for i, n in enumerate(
            ("CMPMCF", "ARRMCF", "EXTTRIGCF", "CMPOKCF", "ARROKCF", "UPCF", "DOWNCF")))),
        Register("IER", 0x08, tuple(Field(n, i) for i, n in enumerate(
            ("CMPMIE", "ARRMIE", "EXTTRIGIE", "CMPOKIE", "ARROKIE", "UPIE", "DOWNIE")))),
        Register("CFGR", 0x0C, (Field("CKSEL", 0), Field("CKPOL", 1, 2), Field("CKFLT", 3, 2),
                                Field("TRGFLT", 6, 2), Field("PRESC", 9, 3),
                                Field("TRIGSEL", 13, 3), Field("TRIGEN", 17, 2),
                                Field("TIMOUT", 19), Field("WAVE", 20), Field("WAVPOL", 21),
                                Field("PRELOAD", 22), Field("COUNTMODE", 23), Field("ENC", 24))),
        Register("CR", 0x10, (Field("ENABLE", 0), Field("SNGSTRT", 1), Field("CNTSTRT", 2),
                              Field("COUNTRST", 3), Field("RSTARE", 4))),
        Register("CMP", 0x14, (Field("CMP", 0, 16),)),
        # 44.7.7 LPTIM_ARR: reset 0x0000 0001
        Register("ARR", 0x18, (Field("ARR", 0, 16, reset=1),)),
        Register("CNT", 0x1C, (Field("CNT", 0, 16, access=RO),)),
        Register("CFGR2", 0x24, (Field("IN1SEL", 0, 2), Field("IN2SEL", 4, 2))),
    )

    def __init__(self, name: str, base: int, size: int, ctx, **params: object) -> None:
        irqs = dict(params.get("irqs") or {})
        self._irq = next(iter(irqs.values()), None)
        line = params.get("exti_line")
        self._exti_line = int(line) if line is not None else None   # type: ignore[arg-type]
        self._exti_name = str(params.get("exti", "EXTI"))
        self._exti: DirectEventInput | None = None
        self._event: int | None = None
        self._event_at: Fraction | None = None
        super().__init__(name, base, size, ctx, **params)

    def reset(self) -> None:
        if getattr(self, "_event", None) is not None:
            self.ctx.cancel(self._event)
        self._event = None
        self._event_at = None
        super().reset()
        self._running = False
        self._single = False
        self._arr = 1
        self._cmp = 0
        self._anchor = Fraction(0)
        self._anchor_p = 0
        self._seen = 0
        self._tick = Fraction(0)
        self._slow = False                   # clocked from LSE/LSI: time in seconds

    # --- time ------------------------------------------------------------------------------------
    def _source(self) -> str:
        if self.clocks is not None:
            try:
                return str(self.clocks.kernel_clock_source(self.name))
            except KeyError:
                pass
        return str(self.params.get("kernel_clock", "pclk1"))

    def _now(self) -> Fraction:
        return Fraction(self.ctx.now_seconds()) if self._slow else Fraction(self.ctx.now())

    def _tick_length(self) -> Fraction:
        src = self._source()
        hz = self.ctx.clock_hz(src) if src else 0.0
        if not hz:
            return Fraction(0)
        div = 1 << self.get_field("CFGR", "PRESC")
        if self._slow:
            return Fraction(div) / Fraction(round(hz))
        return Fraction(round(self.ctx.clock_hz("cpu"))) * div / Fraction(round(hz))

    def _pos(self, t: Fraction) -> int:
        if not self._running or not self._tick:
            return self._anchor_p
        return self._anchor_p + int((t - self._anchor) // self._tick)

    def _at(self, p: int) -> Fraction:
        return self._anchor + (p - self._anchor_p) * self._tick

    def counter(self) -> int:
        return self._pos(self._now()) % (self._arr + 1)

    # --- events ----------------------------------------------------------------------------------
    def _sync(self) -> None:
        if self._running:
            self._advance(self._now())
        self._plan()

    def debug_halted(self, seconds: float) -> None:
        """The core was halted ``seconds`` by a debugger and this LPTIM's DBGMCU freeze bit is
        0: it kept counting (peripherals/dbgmcu.py)."""
        if not self._running or not self._tick:
            return
        self._sync()
        self._anchor -= Fraction(seconds) if self._slow else \
            Fraction(round(seconds * self.ctx.clock_hz("cpu")))
        self._sync()

    def _advance(self, now: Fraction) -> None:
        p = self._pos(now)
        if p <= self._seen:
            return
        L = self._arr + 1
        isr = self.reg("ISR")
        n_arr = Timer._count((self._arr,), self._seen, p, L)
        if self._cmp <= self._arr and Timer._count((self._cmp,), self._seen, p, L):
            isr |= CMPM
        if n_arr:
            isr |= ARRM
            if self._single:                          # single shot: stops at ARR
                self._running = False
                self._anchor_p = self._seen = 0
                self.set_reg("ISR", isr)
                self._irq_update()
                return
            if self.get_field("CFGR", "PRELOAD"):     # preloaded values at the period's end
                self._arr, self._cmp = self.reg("ARR"), self.reg("CMP")
                first = Timer._next((self._arr,), self._seen, L)
                self._anchor = self._at(first + 1)
                self._anchor_p = 0
                self._seen = 0
                self.set_reg("ISR", isr)
                self._irq_update()
                self._advance(now)
                return
        self._seen = p
        self.set_reg("ISR", isr)
        self._irq_update()

    def _irq_update(self) -> None:
        level = bool(self.reg("ISR") & self.reg("IER") & 0x7F)
        if self._irq is not None:
            self.ctx.set_irq(self._irq, level)
        if self._exti_line is not None:
            # the interrupt is also the wake-up request on the EXTI's direct input (RM0433
            # 44.3: "LPTIM interrupts ... can wake up the device from Stop" through the EXTI)
            if self._exti is not None:
                self._exti.set_direct(self._exti_line, level)

    def connected(self, find) -> None:
        """The EXTI its wake-up output drives (platform ``exti``), resolved once."""
        self._exti = find(self._exti_name, DirectEventInput) \
            if self._exti_line is not None else None

    def _plan(self) -> None:
        target = None
        if self._running and self._tick:
            ier, L = self.reg("IER"), self._arr + 1
            # an interrupt whose flag is already set changes nothing until ICR clears it (in
            # Stop with its EXTI line masked, nothing can: the run then ends idle at once)
            pending = self.reg("ISR")
            wanted = []
            if ier & ARRM and not pending & ARRM or self._single or self._preload_pending():
                wanted.append(self._arr)
            if ier & CMPM and not pending & CMPM and self._cmp <= self._arr:
                wanted.append(self._cmp)
            if wanted:
                target = self._at(Timer._next(tuple(wanted), self._seen, L))
        if target == self._event_at and self._event is not None:
            return
        if self._event is not None:
            self.ctx.cancel(self._event)
            self._event = None
        self._event_at = target
        if target is not None:
            if self._slow:
                self._event = self.ctx.schedule_seconds(float(target), self._on_event)
            else:
                self._event = self.ctx.schedule(max(math.ceil(target), self.ctx.now()),
                                                self._on_event)

    def _preload_pending(self) -> bool:
        return self._arr != self.reg("ARR") or self._cmp != self.reg("CMP")

    def _on_event(self, _when) -> None:
        # the exact time of the event: seconds pass through a float on the low-speed queue
        due = self._event_at
        self._event = None
        self._event_at = None
        if self._running and due is not None:
            self._advance(max(self._now(), due))
        self._sync()

    # --- registers -------------------------------------------------------------------------------
    def read(self, offset: int, size: int) -> int:
        self._sync()
        return super().read(offset, size)

    def write(self, offset: int, size: int, value: int) -> None:
        self._sync()
        super().write(offset, size, value)
        self._plan()

    def on_read_CNT(self, value: int) -> int:
        return self.counter() if self._running else value

    def on_write_ICR(self, old: int, new: int) -> None:
        self.set_reg("ISR", self.reg("ISR") & ~new & 0x7F)
        self.set_reg("ICR", 0)
        self._irq_update()

    def on_write_IER(self, old: int, new: int) -> None:
        self._irq_update()

    def _written(self, flag: int) -> None:
        if self.get_field("CR", "ENABLE"):
            self.set_reg("ISR", self.reg("ISR") | flag)
            self._irq_update()

    def on_write_ARR(self, old: int, new: int) -> None:
        self._written(ARROK)
        if not self.get_field("CFGR", "PRELOAD") or not self._running:
            self._restart(self.counter() if self._running else 0, arr=new)

    def on_write_CMP(self, old: int, new: int) -> None:
        self._written(CMPOK)
        if not self.get_field("CFGR", "PRELOAD") or not self._running:
            self._cmp = new

    def _restart(self, count: int, arr: int | None = None) -> None:
        if arr is not None:
            self._arr = arr
        self._slow = self._source() in _STOP_CLOCKS
        self._anchor = self._now()
        self._tick = self._tick_length()
        self._anchor_p = self._seen = min(count, self._arr)

    def on_write_CR(self, old: int, new: int) -> None:
        if not new & 1:                                   # ENABLE off: stop, counter to 0
            self._running = False
            self._anchor_p = self._seen = 0
            self.set_reg("CR", 0)
            return
        if new & 6:                                       # SNGSTRT / CNTSTRT
            was = self._running
            self._single = bool(new & 2)
            self._running = True
            if not was:
                self._restart(0, arr=self.reg("ARR"))
                self._cmp = self.reg("CMP")
        if new & 8:                                       # COUNTRST
            self._restart(0)
        self.set_reg("CR", new & ~0xE)                    # start bits read back 0


MODEL = LPTIM
