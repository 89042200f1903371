"""TIM1-17 of the STM32H743: basic (TIM6/7), general-purpose (TIM2-5, TIM12-17) and advanced
(TIM1/8) timers (RM0433 Rev 8, sections 39-42).

The counter is never stepped. Its position is a function of the core cycle from an anchor
(cycle, position) taken at the last change of configuration, at the timer kernel clock
divided by PSC+1, so CNT reads are exact. An event is scheduled on the event queue only when
something must happen at a given time: an update event (UEV) or capture/compare match whose
interrupt or DMA request is enabled, one-pulse mode, or a preloaded PSC/ARR/CCR waiting for the
next UEV. Flags whose interrupt is off (UIF, CCxIF) are caught up in closed form when the
firmware reads a register. So a timer costs Python only at its interrupts.

Modelled: PSC (always preloaded: applied at the UEV), ARR with ARPE preload, up, down and the
three centre-aligned modes, UDIS/URS, the repetition counter (RCR; TIM1/8, TIM15-17), EGR.UG,
one-pulse mode, UIF/CCxIF/CCxOF with their interrupts (TIM1/8: separate UP and CC lines), DMA
requests (``dma_lines``: one :class:`RequestLine` per UP/TRIG/CCx output, served by the DMA
stream DMAMUX1 routes them to, e.g. a memory-to-peripheral stream rewriting CCRx or ARR each
period; ``dma_requests`` counts them),
output compare and PWM levels (``output_level``; GPIO pins in alternate function read them,
see the platform file's ``af`` tables), input capture from a simulated signal
(``input_edge``, ``drive_square_wave``) with ICxPSC and both polarities; master/slave
synchronisation (CR2.MMS -> TRGO, SMCR reset/gated/trigger/external clock 1 from ITR0-3) and
the encoder interface: see tim_sync.py. Stored only: BDTR except MOE, break, dead time.
DMA bursts: DCR (DBA, DBL) and DMAR; a stream whose PAR is DMAR gets DBL+1 requests per event,
each access reaching the next register from DBA on (what HAL_TIM_DMABurst_WriteStart uses).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from fractions import Fraction

from .base import RO, WO, Field, Peripheral, Register
from .dma import RequestLine
from .tim_sync import TIE, TIF, TimerSync

# CR1 bits (RM0433 39.4.1 / 40.4.1 / 42.4.1)
CEN, UDIS, URS, OPM, DIR, ARPE = 1, 2, 4, 8, 16, 128
# DIER bits
UIE, UDE = 1, 1 << 8
# SR bits
UIF = 1

_CHANNELS = {"basic": 0, "general": 4, "advanced": 6}


def _registers(kind: str, bits: int, channels: int) -> tuple[Register, ...]:
    """Register map of a timer. Reset values: RM0433 39.4 / 40.4 / 41.4 / 42.4 (all 0 but ARR:
    0x0000 FFFF, 0xFFFF FFFF on the 32-bit TIM2/TIM5)."""
    top = (1 << bits) - 1
    ch = range(1, min(channels, 4) + 1)
    regs = [
        Register("CR1", 0x00, (Field("CEN", 0), Field("UDIS", 1), Field("URS", 2),
                               Field("OPM", 3), Field("DIR", 4), Field("CMS", 5, 2),
                               Field("ARPE", 7), Field("CKD", 8, 2), Field("UIFREMAP", 11))),
        Register("CR2", 0x04),
        Register("DIER", 0x0C, (Field("UIE", 0), *(Field(f"CC{c}IE", c) for c in ch),
                                Field("COMIE", 5), Field("TIE", 6), Field("BIE", 7),
                                Field("UDE", 8), *(Field(f"CC{c}DE", 8 + c) for c in ch),
                                Field("COMDE", 13), Field("TDE", 14))),
        # SR flags are rc_w0 (cleared by writing 0): handled in on_write_SR
        Register("SR", 0x10, (Field("UIF", 0), *(Field(f"CC{c}IF", c) for c in ch),
                              Field("COMIF", 5), Field("TIF", 6), Field("BIF", 7),
                              Field("B2IF", 8), *(Field(f"CC{c}OF", 8 + c) for c in ch),
                              Field("SBIF", 13), Field("CC5IF", 16), Field("CC6IF", 17))),
        Register("EGR", 0x14, (Field("UG", 0, access=WO),
                               *(Field(f"CC{c}G", c, access=WO) for c in ch),
                               Field("COMG", 5, access=WO), Field("TG", 6, access=WO),
                               Field("BG", 7, access=WO), Field("B2G", 8, access=WO))),
        Register("CNT", 0x24, (Field("CNT", 0, bits),) + ((Field("UIFCPY", 31, access=RO),)
                                                         if bits < 32 else ())),
        Register("PSC", 0x28, (Field("PSC", 0, 16),)),
        Register("ARR", 0x2C, (Field("ARR", 0, bits, reset=top),)),
    ]
    if kind == "basic":
        return tuple(regs)
    regs += [Register("SMCR", 0x08), Register("CCMR1", 0x18), Register("CCMR2", 0x1C),
             Register("CCER", 0x20), Register("RCR", 0x30, (Field("REP", 0, 16),)),
             *(Register(f"CCR{c}", 0x30 + 4 * c, (Field(f"CCR{c}", 0, bits),)) for c in ch),
             # BDTR (RM0433 42.4.18): only MOE gates the outputs; dead time, lock, off states,
             # break inputs and their filters are stored (modelled=False: changes counted)
             Register("BDTR", 0x44, (
                 Field("DTG", 0, 8, modelled=False), Field("LOCK", 8, 2, modelled=False),
                 Field("OSSI", 10, modelled=False), Field("OSSR", 11, modelled=False),
                 Field("BKE", 12, modelled=False), Field("BKP", 13, modelled=False),
                 Field("AOE", 14, modelled=False), Field("MOE", 15),
                 Field("BKF", 16, 4, modelled=False), Field("BK2F", 20, 4, modelled=False),
                 Field("BK2E", 24, modelled=False), Field("BK2P", 25, modelled=False),
                 Field("BKDSRM", 26, modelled=False), Field("BK2DSRM", 27, modelled=False),
                 Field("BKBID", 28, modelled=False), Field("BK2BID", 29, modelled=False))),
             Register("DCR", 0x48), Register("DMAR", 0x4C),
             Register("AF1", 0x60), Register("AF2", 0x64), Register("TISEL", 0x68)]
    if kind == "advanced":
        regs += [Register("CCMR3", 0x54), Register("CCR5", 0x58), Register("CCR6", 0x5C)]
    return tuple(regs)


class Timer(TimerSync, Peripheral):
    """One TIMx. Platform parameters: ``kind`` (basic | general | advanced), ``channels``,
    ``counter_bits`` (16 | 32), ``repetition`` (has RCR), ``timer_clock`` (the RCC clock
    feeding it: timx_ker on APB1, timy_ker on APB2) and ``irqs`` (a line whose name has ``_UP``
    carries the update interrupt, ``_CC`` the capture/compare one; a timer with a single line
    raises everything there)."""

    def __init__(self, name: str, base: int, size: int, ctx, **params: object) -> None:
        self.kind = str(params.get("kind", "general"))
        self.channels = int(params.get("channels", _CHANNELS.get(self.kind, 4)))
        self.bits = int(params.get("counter_bits", 16))
        self.has_rcr = bool(params.get("repetition", self.kind == "advanced"))
        self.timer_clock = str(params.get("timer_clock", "timx_ker"))
        self.registers = _registers(self.kind, self.bits, self.channels)  # type: ignore[misc]
        irqs = dict(params.get("irqs") or {})
        self._irq_up = [n for k, n in irqs.items() if "_UP" in k] or list(irqs.values())[:1]
        self._irq_cc = [n for k, n in irqs.items() if k.endswith("_CC")] or \
            ([] if any("_UP" in k for k in irqs) else list(irqs.values())[:1])
        self._irq_trg = [n for k, n in irqs.items() if "_TRG" in k] or \
            ([] if any("_UP" in k for k in irqs) else list(irqs.values())[:1])
        self._sync_init(params)
        self.dma_requests: Counter[str] = Counter()
        # DMA request outputs (RM0433 40.3.x): routed by DMAMUX1 (platform ``requests``)
        self.dma_lines = {port: RequestLine(name, port, self._dma_line_changed) for port in
                          ("UP", "TRIG", *(f"CC{c}" for c in range(1, min(self.channels, 4) + 1)))}
        self._dma_pending: list[str] = []
        self._burst_index = 0
        self._syncing = False
        self._event: int | None = None
        self._event_at = -1
        self._listening = False
        self._signal_events: list[int] = []
        super().__init__(name, base, size, ctx, **params)
        if "SMCR" in self._by_name:                       # basic timers have no slave mode
            self._write_hooks[self._by_name["SMCR"].offset] = self._smcr_written
        if "DMAR" in self._by_name:                       # DMA burst (RM0433 40.3.27)
            self._write_hooks[0x4C] = self._dmar_written
            self._read_hooks[0x4C] = self._dmar_read
            self._write_hooks[0x48] = lambda old, new: self._burst_restart()

    # --- state -------------------------------------------------------------------------------
    def reset(self) -> None:
        if getattr(self, "_event", None) is not None:
            self.ctx.cancel(self._event)
        for h in getattr(self, "_signal_events", []):
            self.ctx.cancel(h)
        self._signal_events = []
        self._event = None
        if getattr(self, "_master", None) is not None and self in self._master._slaves:
            self._master._slaves.remove(self)
        self._master = None
        self._trgi_level = self._gate = False
        self._pulse_value = self._ext_edges = 0
        super().reset()
        self._running = False
        self._arr = self.reg("ARR")          # active (shadow) auto-reload value
        self._psc = 0                        # active prescaler
        self._ccr = [0] * 7                  # active compare values, channels 1..6
        self._rep = 0                        # repetition down-counter
        self._tick = Fraction(1)             # core cycles per counter tick
        self._anchor = Fraction(0)           # core cycle of a tick boundary ...
        self._anchor_p = 0                   # ... and the counter position there
        self._seen = 0                       # position up to which events are processed
        self._ic_count = [0] * 7             # input events seen per channel (ICxPSC)
        self._input = [False] * 7
        self._toggles = [0] * 7              # compare matches counted for toggle modes
        self._pending_cnt: int | None = None

    def _now(self) -> int:
        return self.ctx.now()

    def _ticks_per_cycle_inverse(self) -> Fraction:
        """Core cycles per counter tick: (PSC+1) timer clocks at the kernel clock."""
        if self._frozen():
            return Fraction(0)
        core = self.ctx.clock_hz("cpu")
        tim = self.ctx.clock_hz(self.timer_clock)
        if not tim or not core:
            return Fraction(0)
        return Fraction(round(core)) * (self._psc + 1) / Fraction(round(tim))

    # --- the counter as a function of position -----------------------------------------------
    def _cms(self) -> int:
        return (self.reg("CR1") >> 5) & 3

    def _period(self) -> int:
        a = self._arr
        return max(2 * a, 1) if self._cms() else a + 1

    def _value(self, p: int) -> int:
        if p < 0:                            # above ARR (CNT written past it): runs to the top
            return p + (1 << self.bits)
        q = p % self._period()
        if self._cms():
            return q if q <= self._arr else self._period() - q
        return self._arr - q if self.reg("CR1") & DIR else q

    def _position(self, value: int, down: bool) -> int:
        a = self._arr
        if self._cms():
            return (2 * a - value) if (down and 0 < value <= a) else min(value, a)
        if self.reg("CR1") & DIR:
            return a - min(value, a)
        return value if value <= a else value - (1 << self.bits)

    def _pos_at(self, cycle: int) -> int:
        if not self._running or not self._tick:
            return self._anchor_p
        return self._anchor_p + int((cycle - self._anchor) // self._tick)

    def _cycle_of(self, p: int) -> Fraction:
        return self._anchor + (p - self._anchor_p) * self._tick

    def _uev_offsets(self) -> tuple[int, ...]:
        return (0, self._arr) if self._cms() and self._arr else (0,)

    def _cc_offsets(self, c: int) -> tuple[int, ...]:
        v, a, L = self._ccr[c], self._arr, self._period()
        if v > a:
            return ()
        if self._cms():
            return tuple({v % L, (L - v) % L})
        return ((a - v) % L,) if self.reg("CR1") & DIR else (v % L,)

    @staticmethod
    def _count(offsets: tuple[int, ...], a: int, b: int, L: int) -> int:
        """Occurrences of positions = offset (mod L) in (a, b]."""
        return sum((b - o) // L - (a - o) // L for o in offsets)

    @staticmethod
    def _next(offsets: tuple[int, ...], a: int, L: int) -> int | None:
        """First position > a that is = one of offsets (mod L)."""
        return min((a + ((o - a - 1) % L) + 1 for o in offsets), default=None)

    # --- catching up with time ---------------------------------------------------------------
    def _preload_pending(self) -> bool:
        if self.reg("PSC") != self._psc or self.reg("ARR") != self._arr:
            return True
        return any(self._ccr[c] != self._ccr_reg(c) for c in range(1, self.channels + 1))

    def _ccr_reg(self, c: int) -> int:
        return self.values.get(0x30 + 4 * c if c <= 4 else 0x50 + 4 * (c - 3), 0)

    def _sync(self) -> None:
        """Process every update event and compare match up to now (closed form where nothing
        changes at the update event), then plan the next event that must be scheduled; then
        let DMA serve the requests raised meanwhile."""
        if self._syncing:
            return
        self._syncing = True
        try:
            if self._running:
                self._advance(self._now())
            self._plan()
        finally:
            self._syncing = False
        self._flush_dma()

    def _advance(self, now: int) -> None:
        while self._running:
            p_now = self._pos_at(now)
            if p_now <= self._seen:
                return
            L = self._period()
            if self._seen < 0:                       # above ARR: the next event is the rollover
                nu = 0
            else:
                nu = self._next(self._uev_offsets(), self._seen, L)
            if nu is None or nu > p_now:
                self._matches(self._seen, p_now)
                self._seen = p_now
                return
            if self._seen >= 0 and not self._preload_pending() and not self.reg("CR1") & OPM \
                    and not self._trgo_each_update():
                # nothing changes at the update events: count them in closed form
                n = self._count(self._uev_offsets(), self._seen, p_now, L)
                self._matches(self._seen, p_now)
                self._seen = p_now
                self._overflows(n)
                return
            self._matches(self._seen, nu)
            self._seen = nu
            self._boundary(nu)

    def _boundary(self, p: int) -> None:
        """The counter reaches an overflow/underflow at position ``p``."""
        at = self._cycle_of(p)
        down_next = self._cms() and self._arr and p % self._period() == self._arr
        value = self._value(p)
        if self._overflows(1):
            self._transfer()
            if self.reg("CR1") & OPM:
                self._stop(value if self._cms() else (self._arr if self.reg("CR1") & DIR else 0))
                return
        # re-anchor at the boundary with the (possibly new) ARR and tick: the period starts
        # again (up: 0, down: ARR; centre-aligned: ARR after an overflow, 0 after underflow)
        self._anchor = at
        self._anchor_p = self._seen = self._arr if down_next else 0
        self._tick = self._ticks_per_cycle_inverse()

    def _overflows(self, n: int) -> bool:
        """``n`` overflows/underflows: the repetition counter lets every (RCR+1)-th through as
        an update event. True if at least one update event happened."""
        if n <= 0 or self.reg("CR1") & UDIS:
            return False
        if self.has_rcr:
            rcr = self.reg("RCR") & 0xFFFF
            if n <= self._rep:
                self._rep -= n
                return False
            n -= self._rep + 1
            self._rep = rcr - n % (rcr + 1)
        self._update_flags()
        self._trgo_pulse("update")
        return True

    def _update_flags(self) -> None:
        self.set_reg("SR", self.reg("SR") | UIF)
        dier = self.reg("DIER")
        if dier & UDE:
            self._dma_request("UP")
        self._irqs()

    def _dma_request(self, port: str, n: int = 1) -> None:
        """A DMA request: counted, and served by the stream DMAMUX1 routes it to once the
        timer's own bookkeeping is done (the stream may write this timer's registers)."""
        self.dma_requests[port] += n
        self._dma_pending.extend([port] * n)

    def dma_port(self, port: str) -> RequestLine:
        """The request output ``port`` (UP, TRIG, CC1..CC4) for DMAMUX1."""
        return self.dma_lines[port]

    def _flush_dma(self) -> None:
        while self._dma_pending and not self._syncing:
            line = self.dma_lines[self._dma_pending.pop(0)]
            # a stream that targets DMAR gets a burst: DBL+1 requests per event
            burst = self._burst_length() if line.target_address() == self.base + 0x4C else 1
            for _ in range(burst):
                line.request()

    # --- DMA burst through DMAR (DCR: DBA = first register / 4, DBL = transfers - 1) -------
    def _burst_length(self) -> int:
        return ((self.values.get(0x48, 0) >> 8) & 0x1F) + 1

    def _burst_restart(self) -> None:
        self._burst_index = 0

    def _burst_target(self) -> int:
        """The register the next DMAR access reaches: TIMx_CR1 + 4 * (DBA + index)."""
        offset = 4 * ((self.values.get(0x48, 0) & 0x1F) + self._burst_index)
        self._burst_index = (self._burst_index + 1) % self._burst_length()
        return offset

    def _dmar_written(self, old: int, new: int) -> None:
        self.values[0x4C] = 0
        target = self._burst_target()
        if target != 0x4C:
            self.write(target, 4, new)

    def _dmar_read(self, value: int) -> int:
        target = self._burst_target()
        return 0 if target == 0x4C else self.read(target, 4)

    def _transfer(self) -> None:
        """Preloaded registers become active at the update event (RM0433 40.3.2)."""
        self._psc = self.reg("PSC") & 0xFFFF
        self._arr = self.reg("ARR")
        for c in range(1, self.channels + 1):
            self._ccr[c] = self._ccr_reg(c)
        if self.has_rcr:
            self._rep = self.reg("RCR") & 0xFFFF

    def _matches(self, a: int, b: int) -> None:
        """Compare matches in positions (a, b]: CCxIF (output compare channels)."""
        if self.kind == "basic" or b <= a or a < 0:
            return
        L = self._period()
        sr = self.reg("SR")
        for c in range(1, min(self.channels, 4) + 1):
            if self._ccs(c):
                continue
            n = self._count(self._cc_offsets(c), a, b, L)
            if n:
                self._toggles[c] += n
                sr |= 1 << c
                if self.reg("DIER") >> (8 + c) & 1:
                    self._dma_request(f"CC{c}", n)
                if c == 1:
                    for _ in range(n):
                        self._trgo_pulse("cc1")
        if sr != self.reg("SR"):
            self.set_reg("SR", sr)
            self._irqs()

    def _irqs(self) -> None:
        sr, dier = self.reg("SR"), self.reg("DIER")
        up = bool(sr & dier & UIF)
        cc = bool(sr & dier & 0x1E)
        trg = bool(sr & TIF and dier & TIE)
        if self._irq_up == self._irq_cc:
            for n in self._irq_up:
                self.ctx.set_irq(n, up or cc or trg, self.name)
            return
        for n in self._irq_up:
            self.ctx.set_irq(n, up, self.name)
        for n in self._irq_cc:
            self.ctx.set_irq(n, cc, self.name)
        for n in self._irq_trg:
            self.ctx.set_irq(n, trg, self.name)

    def _stop(self, value: int) -> None:
        self._running = False
        self.set_reg("CR1", self.reg("CR1") & ~CEN)
        self.set_reg("CNT", value)
        self._anchor_p = self._seen = self._position(value, False)
        self._trgo_changed()

    def _served(self, port: str) -> bool:
        """A DMA stream listens to request ``port``: its requests need events on time (a
        request nobody serves is only counted, in closed form, like a flag)."""
        line = self.dma_lines.get(port)
        return line is not None and line.stream is not None

    def _dma_line_changed(self) -> None:
        if hasattr(self, "_seen"):                   # not during construction
            self._plan()

    def _needs_events(self) -> bool:
        dier, sr = self.reg("DIER"), self.reg("SR")
        # an interrupt whose flag is already set changes nothing until the flag is cleared
        return bool(dier & UIE and not sr & UIF or (dier & UDE and self._served("UP"))
                    or self.reg("CR1") & OPM or self._preload_pending()
                    or self._trgo_each_update())

    def _cc_watched(self) -> list[int]:
        dier, sr = self.reg("DIER"), self.reg("SR")
        cc1_trgo = bool(self._slaves) and self._mms() == 3
        return [c for c in range(1, min(self.channels, 4) + 1)
                if (dier >> c & 1 and not sr >> c & 1
                    or (dier >> (8 + c) & 1 and self._served(f"CC{c}"))
                    or (c == 1 and cc1_trgo))
                and not self._ccs(c)]

    def _plan(self) -> None:
        target = self._target() if self._running and self._tick else None
        if self._event is not None and target == self._event_at:
            return
        if self._event is not None:
            self.ctx.cancel(self._event)
            self._event = None
        if target is not None:
            self._event_at = target
            self._event = self.ctx.schedule(target, self._on_event)

    def _target(self) -> int | None:
        """Core cycle of the next update event or watched compare match, if one is needed."""
        L = self._period()
        nxt: list[int] = []
        if self._needs_events():
            nxt.append(0 if self._seen < 0 else self._next(self._uev_offsets(), self._seen, L))
        if self._seen >= 0:
            for c in self._cc_watched():
                n = self._next(self._cc_offsets(c), self._seen, L)
                if n is not None:
                    nxt.append(n)
        nxt = [n for n in nxt if n is not None]
        if not nxt:
            return None
        cycle = self._cycle_of(min(nxt))
        return max(int(cycle) if cycle.denominator == 1 else int(cycle) + 1, self._now())

    def _on_event(self, _cycle: int) -> None:
        self._event = None
        self._sync()

    # --- register behaviour ------------------------------------------------------------------
    def read(self, offset: int, size: int) -> int:
        self._sync()
        return super().read(offset, size)

    def write(self, offset: int, size: int, value: int) -> None:
        self._sync()
        super().write(offset, size, value)
        self._plan()
        self._flush_dma()

    def _current_value(self) -> int:
        if self._pulse_counted():
            return self._pulse_value
        if self._running:
            return self._value(self._pos_at(self._now()))
        return self.reg("CNT") & ((1 << self.bits) - 1)

    def on_read_CNT(self, value: int) -> int:
        if self._pulse_counted():
            v = self._pulse_value
            if self.bits < 32 and self.reg("CR1") & (1 << 11):        # UIFREMAP
                v |= (self.reg("SR") & UIF) << 31
            return v
        if not self._running:
            return value
        v = self._value(self._pos_at(self._now()))
        if self.bits < 32 and self.reg("CR1") & (1 << 11):        # UIFREMAP
            v |= (self.reg("SR") & UIF) << 31
        return v

    def on_read_CR1(self, value: int) -> int:
        if self._running and self._cms():                           # DIR is read-only there
            p = self._pos_at(self._now()) % self._period()
            value = (value & ~DIR) | (DIR if p >= self._arr else 0)
        return value

    def on_write_SR(self, old: int, new: int) -> None:
        self.set_reg("SR", old & new)                               # rc_w0
        self._irqs()

    def on_write_DIER(self, old: int, new: int) -> None:
        self._irqs()

    def _restart_from(self, value: int, down: bool = False) -> None:
        self._anchor = Fraction(self._now())
        self._tick = self._ticks_per_cycle_inverse()
        self._anchor_p = self._seen = self._position(value, down)

    def on_write_CR1(self, old: int, new: int) -> None:
        was = self._running
        self._cr1_written(old, new)
        if self._running != was:
            self._trgo_changed()

    def _cr1_written(self, old: int, new: int) -> None:
        running = bool(new & CEN)
        if running and not self._running:
            self._running = True
            self._listen_clocks()
            self._restart_from(self.reg("CNT") & ((1 << self.bits) - 1), bool(new & DIR))
        elif not running and self._running:
            v = self._value(self._pos_at(self._now()))
            self._running = False
            self.set_reg("CNT", v)
            self._anchor_p = self._seen = self._position(v, False)
        elif running and (old ^ new) & (DIR | (3 << 5)):
            v = self._value(self._pos_at(self._now()))
            self._restart_from(v, bool(new & DIR))
        if not self._arr_preloaded():
            self._arr = self.reg("ARR")

    def _arr_preloaded(self) -> bool:
        return bool(self.reg("CR1") & ARPE)

    def on_write_CNT(self, old: int, new: int) -> None:
        v = new & ((1 << self.bits) - 1)
        self.set_reg("CNT", v)
        if self._pulse_counted():
            self._pulse_value = v
            return
        if self._running:
            self._restart_from(v, bool(self.reg("CR1") & DIR))
        else:
            self._anchor_p = self._seen = self._position(v, False)

    def on_write_ARR(self, old: int, new: int) -> None:
        if not self._arr_preloaded():
            v = self._value(self._pos_at(self._now())) if self._running else self.reg("CNT")
            self._arr = new
            if self._running:
                self._restart_from(v, bool(self.reg("CR1") & DIR))

    def _ccr_written(self, c: int, new: int) -> None:
        if self._ccs(c):                                  # input capture: CCR is read-only
            return
        if not self._preloaded(c):
            self._ccr[c] = new

    def __getattr__(self, name: str):
        # on_write_CCR1..CCR6 (the base class looks the hooks up by name)
        if name.startswith("on_write_CCR") and name[12:].isdigit():
            c = int(name[12:])
            return lambda old, new: self._ccr_written(c, new)
        raise AttributeError(name)

    def _reinit(self) -> None:
        """UG or a reset by the slave controller: preloads transferred, counter (and the
        prescaler) re-initialised; UIF unless URS (RM0433 40.3.2 / 40.4.1)."""
        self._transfer()
        down = bool(self.reg("CR1") & DIR) and not self._cms()
        start = self._arr if down else 0
        self.set_reg("CNT", start)
        self._pulse_value = start
        self._ext_edges = 0
        if self._running:
            self._restart_from(start, down)
        else:
            self._anchor_p = self._seen = self._position(start, down)
        if not self.reg("CR1") & URS:
            self._update_flags()

    def on_write_EGR(self, old: int, new: int) -> None:
        self.set_reg("EGR", 0)
        if new & 1:                                      # UG: re-initialise, update event
            self._reinit()
            self._trgo_pulse("ug")
        for c in range(1, min(self.channels, 4) + 1):   # CCxG: software capture/compare
            if new >> c & 1:
                if self._ccs(c):
                    self._capture(c)
                else:
                    self.set_reg("SR", self.reg("SR") | 1 << c)
                    self._irqs()

    def debug_halted(self, seconds: float) -> None:
        """The core was halted ``seconds`` by a debugger and this timer's DBGMCU freeze bit is
        0: it kept counting (peripherals/dbgmcu.py). Its flags, interrupts and DMA requests of
        that time happen now."""
        if not self._running or not self._tick:
            return
        self._sync()
        self._anchor -= Fraction(round(seconds * self.ctx.clock_hz("cpu")))
        self._sync()

    # --- clocks --------------------------------------------------------------------------------
    def _listen_clocks(self) -> None:
        if self._listening:
            return
        if self.clocks is not None:
            self.clocks.clock_changed.connect(self._on_clock_change)
            self._listening = True

    def _on_clock_change(self) -> None:
        """A clock changed: keep the count, continue at the new rate."""
        if not self._running:
            return
        tick = self._ticks_per_cycle_inverse()
        if tick == self._tick:
            return
        self._advance(self._now())
        p = self._pos_at(self._now())
        self._anchor = self._cycle_of(p)
        self._anchor_p = p
        self._tick = tick
        self._plan()

    # --- channels: compare outputs and input capture -------------------------------------------
    def _ccmr(self, c: int) -> int:
        reg = {1: "CCMR1", 2: "CCMR1", 3: "CCMR2", 4: "CCMR2"}.get(c, "CCMR3")
        v = self.reg(reg) if reg in self._by_name else 0
        return (v >> (8 * ((c - 1) % 2))) & 0xFF | ((v >> (16 + 8 * ((c - 1) % 2))) & 1) << 8

    def _ccs(self, c: int) -> int:
        return self._ccmr(c) & 3 if self.kind != "basic" else 0

    def _preloaded(self, c: int) -> bool:
        return bool(self._ccmr(c) & 8)

    def _ccer(self, c: int) -> int:
        return (self.reg("CCER") >> (4 * (c - 1))) & 0xF if "CCER" in self._by_name else 0

    def output_level(self, c: int) -> int | None:
        """Level of output OCx (0/1) now, None when the output is not enabled (CCxE = 0, or
        MOE = 0 on an advanced timer). OCxREF from OCxM (RM0433 40.4.7): frozen, active /
        inactive / toggle on match, forced, PWM mode 1 and 2; CCxP inverts."""
        self._sync()
        if self.kind == "basic" or self._ccs(c) or not self._ccer(c) & 1:
            return None
        if self.kind == "advanced" and not self.reg("BDTR") >> 15 & 1:
            return None
        ccmr = self._ccmr(c)
        mode = (ccmr >> 4) & 7 | ((ccmr >> 8) & 1) << 3
        p = self._pos_at(self._now())
        v = self._current_value()
        ccr = self._ccr[c]
        if mode in (6, 7):
            if self._cms():
                counting_down = p % self._period() >= self._arr
            else:
                counting_down = bool(self.reg("CR1") & DIR)
            active = v <= ccr if counting_down else v < ccr
            if ccr > self._arr:
                active = True
            ref = int(active) if mode == 6 else int(not active)
        elif mode == 4:
            ref = 0
        elif mode == 5:
            ref = 1
        elif mode == 1:
            ref = int(self._toggles[c] > 0)
        elif mode == 2:
            ref = int(self._toggles[c] == 0)
        elif mode == 3:
            ref = self._toggles[c] & 1
        else:
            ref = 0
        return ref ^ ((self._ccer(c) >> 1) & 1)

    def input_edge(self, c: int, level: bool) -> None:
        """The simulated signal on input TIx of channel ``c`` goes to ``level`` now."""
        self._sync()
        if level == self._input[c]:
            return
        self._input[c] = level
        if self._sms() in (1, 2, 3):
            self._encoder_edge(c)
        if self._ccs(c) != 1 or not self._ccer(c) & 1:      # TIx mapped on ICx, capture enabled
            return
        pol = (self._ccer(c) >> 1) & 1 | ((self._ccer(c) >> 3) & 1) << 1   # CCxNP:CCxP
        wanted = {0: level, 1: not level, 3: True}.get(pol, level)
        if not wanted:
            return
        self._ic_count[c] += 1
        psc = 1 << ((self._ccmr(c) >> 2) & 3)                  # ICxPSC: every 1, 2, 4, 8
        if self._ic_count[c] % psc == 0:
            self._capture(c)
            if c == 1:
                self._trgo_pulse("cc1")
        self._flush_dma()

    def _capture(self, c: int) -> None:
        v = self._current_value()
        off = 0x30 + 4 * c
        self.values[off] = v
        sr = self.reg("SR")
        if sr >> c & 1:
            sr |= 1 << (8 + c)                                   # CCxOF: overcapture
        self.set_reg("SR", sr | 1 << c)
        if self.reg("DIER") >> (8 + c) & 1:
            self._dma_request(f"CC{c}")
        self._irqs()

    def drive_square_wave(self, c: int, hz: float, until_cycle: int,
                          start_cycle: int | None = None) -> None:
        """A square wave of ``hz`` (at the core clock of now) on input TIx of channel ``c``,
        from ``start_cycle`` (default now) to ``until_cycle``: one event per edge."""
        half = self.ctx.clock_hz("cpu") / hz / 2
        t = float(self._now() if start_cycle is None else start_cycle)
        level = not self._input[c]
        edges: list[tuple[int, bool]] = []
        while t <= until_cycle:
            edges.append((round(t), level))
            level = not level
            t += half
        for cyc, lv in edges:
            self._signal_events.append(
                self.ctx.schedule(cyc, lambda _c, lv=lv: self.input_edge(c, lv)))

    def drive_quadrature(self, hz: float, until_cycle: int, forward: bool = True,
                         start_cycle: int | None = None) -> None:
        """An incremental encoder turning at ``hz`` cycles per second on TI1/TI2 (channels 1
        and 2, 90 degrees apart; ``forward``: TI1 leads), from ``start_cycle`` (default now)
        to ``until_cycle``: one event per edge, four edges per cycle."""
        quarter = self.ctx.clock_hz("cpu") / hz / 4
        t = float(self._now() if start_cycle is None else start_cycle)
        levels = [self._input[1], self._input[2]]
        order = (1, 2, 1, 2) if forward else (2, 1, 2, 1)
        i = 0
        while t <= until_cycle:
            ch = order[i % 4]
            levels[ch - 1] = not levels[ch - 1]
            lv = levels[ch - 1]
            self._signal_events.append(self.ctx.schedule(
                round(t), lambda _c, ch=ch, lv=lv: self.input_edge(ch, lv)))
            t += quarter
            i += 1


MODEL = Timer
SignalSource = Callable[[int, bool], None]
