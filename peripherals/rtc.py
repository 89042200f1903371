"""RTC of the STM32H743 (RM0433 Rev 8, section 46): the wakeup timer, write protection and
the registers firmware touches to set them up.

The RTC sits in the backup domain: it keeps counting in Stop and Standby, and a system reset
(including the one that ends Standby) leaves it alone (:meth:`RTC.system_reset`). Its clock is
RTCCLK = LSE (32.768 kHz), LSI (32 kHz) or HSE / RTCPRE per RCC_BDCR.RTCSEL, gated by RTCEN,
read from the clock tree the platform wires to the ``clocks`` port (``ClockTree.rtcclk_hz``,
zero until the oscillator is ready). Time is simulated seconds (``ctx.now_seconds``) and
events are scheduled with ``ctx.schedule_seconds``, so the timer runs while no core cycle
passes.

Wakeup timer (46.3.6): with WUTE set it counts ck_wut = RTCCLK / 16, 8, 4, 2 (WUCKSEL 0..3) or
ck_spre = RTCCLK / ((PREDIV_A + 1) (PREDIV_S + 1)) (WUCKSEL 10x; 11x adds 2^16 to WUT); every
WUT + 1 ck_wut periods it sets ISR.WUTF. WUTF with WUTIE drives the ``wakeup`` output signal,
which the platform wires to EXTI input 19 (RM0433 Table 90: ``"RTC.wakeup -> EXTI.line@19"``),
and is a Standby wake-up source
(:meth:`RTC.standby_wakeup`). WUTWF reads 1 while WUTE is 0 (WUTR writable), 0 while it is set;
silicon takes up to 2 RTCCLK periods for either change, and the first period after WUTE is set
starts at the write instead of at a ck_wut edge: both are within one ck_wut period.

Write protection (46.3.8): after a backup-domain reset every RTC register except ISR[13:8]
(the flags WUTF..TAMP2F), the backup registers and OR is locked; writing 0xCA then 0x53 to WPR
unlocks them, any other WPR write locks them again. Writes also need PWR_CR1.DBP = 1 (RM0433
6.8.1: the backup domain is write-protected at reset). Refused writes are logged.

Not modelled: the calendar does not count (TR, DR, SSR hold what was written; INITF follows
INIT at once and RSF is set when INIT is cleared), alarms, timestamp, tamper, smooth
calibration, shift, the RTC_OUT/calibration outputs.
"""

from __future__ import annotations

from .base import RO, RW, WO, Field, Peripheral, Register

KEY1, KEY2 = 0xCA, 0x53                   # RM0433 46.3.8 write protection keys
_WUT_DIVIDERS = {0: 16, 1: 8, 2: 4, 3: 2}   # RTC_CR.WUCKSEL 0xx: RTCCLK divided
_ISR_FLAGS_UNPROTECTED = 0x3F00           # ISR[13:8]: writable without the key (46.3.8)
# ISR flags cleared by writing 0 (rc_w0, RM0433 46.6.4): RSF, ALRAF, ALRBF, WUTF, TSF, TSOVF,
# TAMP1F..3F, ITSF.
_ISR_RC_W0 = (1 << 5) | (0x7F << 8) | (1 << 17)
_ISR_INIT = 1 << 7


class RTC(Peripheral):
    """Wakeup timer, write protection and register storage of the RTC."""

    registers = (
        # 46.6.1 RTC_TR, reset 0 (time, BCD).
        Register("TR", 0x00, (Field("TIME", 0, 23),)),
        # 46.6.2 RTC_DR, reset 0x0000 2101 (Monday 1 January 2000).
        Register("DR", 0x04, (Field("DATE", 0, 24, reset=0x2101),)),
        # 46.6.3 RTC_CR, reset 0.
        # Only the wakeup timer (WUCKSEL, WUTE, WUTIE) has an effect; the alarm, time-stamp,
        # calendar-format and output fields are stored (modelled=False: a write changing them
        # is logged and counted in the report's unmodelled_fields).
        Register("CR", 0x08, (
            Field("WUCKSEL", 0, 3), Field("TSEDGE", 3, modelled=False),
            Field("REFCKON", 4, modelled=False), Field("BYPSHAD", 5, modelled=False),
            Field("FMT", 6, modelled=False), Field("ALRAE", 8, modelled=False),
            Field("ALRBE", 9, modelled=False), Field("WUTE", 10),
            Field("TSE", 11, modelled=False), Field("ALRAIE", 12, modelled=False),
            Field("ALRBIE", 13, modelled=False), Field("WUTIE", 14),
            Field("TSIE", 15, modelled=False), Field("ADD1H", 16, access=WO, modelled=False),
            Field("SUB1H", 17, access=WO, modelled=False), Field("BKP", 18, modelled=False),
            Field("COSEL", 19, modelled=False), Field("POL", 20, modelled=False),
            Field("OSEL", 21, 2, modelled=False), Field("COE", 23, modelled=False),
            Field("ITSE", 24, modelled=False),
        )),
        # 46.6.4 RTC_ISR, reset 0x0000 0007 (ALRAWF, ALRBWF, WUTWF). Written by :meth:`write`.
        Register("ISR", 0x0C, (
            Field("ALRAWF", 0, access=RO, reset=1), Field("ALRBWF", 1, access=RO, reset=1),
            Field("WUTWF", 2, access=RO, reset=1), Field("SHPF", 3, access=RO),
            Field("INITS", 4, access=RO), Field("RSF", 5, access=RO),
            Field("INITF", 6, access=RO), Field("INIT", 7, access=RO),
            Field("ALRAF", 8, access=RO), Field("ALRBF", 9, access=RO),
            Field("WUTF", 10, access=RO), Field("TSF", 11, access=RO),
            Field("TSOVF", 12, access=RO), Field("TAMP1F", 13, access=RO),
            Field("TAMP2F", 14, access=RO), Field("TAMP3F", 15, access=RO),
            Field("RECALPF", 16, access=RO), Field("ITSF", 17, access=RO),
        )),
        # 46.6.5 RTC_PRER, reset 0x007F 00FF (PREDIV_A = 127, PREDIV_S = 255: 1 Hz from LSE).
        Register("PRER", 0x10, (Field("PREDIV_S", 0, 15, reset=0xFF),
                                Field("PREDIV_A", 16, 7, reset=0x7F))),
        # 46.6.6 RTC_WUTR, reset 0x0000 FFFF.
        Register("WUTR", 0x14, (Field("WUT", 0, 16, reset=0xFFFF),)),
        # 46.6.7/8 RTC_ALRMAR / RTC_ALRMBR, reset 0 (stored, alarms not modelled).
        Register("ALRMAR", 0x1C, access=RW), Register("ALRMBR", 0x20, access=RW),
        # 46.6.9 RTC_WPR: KEY[7:0], write-only.
        Register("WPR", 0x24, (Field("KEY", 0, 8, WO),)),
        # 46.6.10 RTC_SSR, read-only.
        Register("SSR", 0x28, (Field("SS", 0, 16, RO),)),
        # 46.6.11 RTC_SHIFTR, write-only.
        Register("SHIFTR", 0x2C, (Field("SUBFS", 0, 15, WO), Field("ADD1S", 31, access=WO))),
        # 46.6.12..14 timestamp registers, read-only.
        Register("TSTR", 0x30, access=RO), Register("TSDR", 0x34, access=RO),
        Register("TSSSR", 0x38, access=RO),
        # 46.6.15 RTC_CALR, reset 0 (stored).
        Register("CALR", 0x3C, access=RW),
        # 46.6.16 RTC_TAMPCR, 46.6.17/18 alarm sub-second registers, 46.6.19 RTC_OR (stored).
        Register("TAMPCR", 0x40, access=RW), Register("ALRMASSR", 0x44, access=RW),
        Register("ALRMBSSR", 0x48, access=RW), Register("OR", 0x4C, access=RW),
    ) + tuple(Register(f"BKP{i}R", 0x50 + 4 * i, access=RW) for i in range(32))  # 46.6.20
    bus_clock = "pclk4"   # APB4 (RTCAPBEN)
    outputs = ("wakeup",)   # the wakeup timer output level (WUTF and WUTIE)

    # Registers writable without the WPR key (46.3.8) -- ISR[13:8] is handled in write().
    _UNPROTECTED = frozenset({0x24, 0x40, 0x4C} | {0x50 + 4 * i for i in range(32)})

    def __init__(self, name: str, base: int, size: int, ctx, **params: object) -> None:
        self._event: int | None = None
        self._rcc_hooked = False
        super().__init__(name, base, size, ctx, **params)

    # --- lifecycle: the backup domain survives system resets ---------------------------------
    def reset(self) -> None:
        """Backup-domain reset (power-on, RCC_BDCR.BDRST)."""
        self._cancel()
        self._key_state = 0          # 0 locked, 1 first key seen, 2 unlocked
        self._next_s: float | None = None     # time of the next WUTF
        self._remaining_ticks: float | None = None   # when RTCCLK stopped while WUTE was set
        self._tick_hz = 0.0
        self._wakeup_out = False
        super().reset()

    def system_reset(self) -> None:
        """A system reset does not touch the backup domain (RM0433 8.4.3)."""

    # --- clocks ------------------------------------------------------------------------------
    def rtcclk_hz(self) -> float:
        """RTCCLK per RCC_BDCR.RTCSEL / RTCEN (RM0433 8.7.25), 0 when stopped."""
        rcc = self.clocks
        if rcc is None:
            return 32768.0
        if not self._rcc_hooked:
            rcc.clock_changed.connect(self._clock_changed)
            self._rcc_hooked = True
        return float(rcc.rtcclk_hz())

    def wakeup_clock_hz(self) -> float:
        """ck_wut per RTC_CR.WUCKSEL."""
        rtc = self.rtcclk_hz()
        sel = self.get_field("CR", "WUCKSEL")
        if sel in _WUT_DIVIDERS:
            return rtc / _WUT_DIVIDERS[sel]
        return rtc / ((self.get_field("PRER", "PREDIV_A") + 1)
                      * (self.get_field("PRER", "PREDIV_S") + 1))

    def wakeup_period_ticks(self) -> int:
        """ck_wut periods between two WUTF settings: WUT + 1 (+ 2^16 with WUCKSEL = 11x)."""
        extra = 1 << 16 if self.get_field("CR", "WUCKSEL") >= 6 else 0
        return self.get_field("WUTR", "WUT") + 1 + extra

    # --- the wakeup timer --------------------------------------------------------------------
    def _cancel(self) -> None:
        if getattr(self, "_event", None) is not None:
            self.ctx.cancel(self._event)
        self._event = None

    def _start(self) -> None:
        self._tick_hz = self.wakeup_clock_hz()
        self._remaining_ticks = float(self.wakeup_period_ticks())
        self._next_s = None
        self._resume()

    def _resume(self) -> None:
        """Schedule the next WUTF from the ticks left, at the current ck_wut."""
        self._cancel()
        if self._remaining_ticks is None:
            return
        self._tick_hz = self.wakeup_clock_hz()
        if self._tick_hz <= 0:
            return                               # RTCCLK stopped: wait for it
        self._next_s = self.ctx.now_seconds() + self._remaining_ticks / self._tick_hz
        self._remaining_ticks = None
        self._event = self.ctx.schedule_seconds(self._next_s, self._on_wakeup)

    def _stop(self) -> None:
        self._cancel()
        self._next_s = None
        self._remaining_ticks = None

    def _on_wakeup(self, when: float) -> None:
        self._event = None
        self.set_field("ISR", "WUTF", 1)
        self._update_output()
        self._remaining_ticks = float(self.wakeup_period_ticks())   # auto-reload
        self._next_s = None
        self._resume_at(when)

    def _resume_at(self, when: float) -> None:
        """Next period counted from ``when`` (the previous WUTF), not from now."""
        self._tick_hz = self.wakeup_clock_hz()
        if self._tick_hz <= 0 or self._remaining_ticks is None:
            return
        self._next_s = when + self._remaining_ticks / self._tick_hz
        self._remaining_ticks = None
        self._event = self.ctx.schedule_seconds(self._next_s, self._on_wakeup)

    def _clock_changed(self) -> None:
        """RTCCLK (or its selection) changed: keep the ticks already counted."""
        if not self.get_field("CR", "WUTE"):
            return
        new_hz = self.wakeup_clock_hz()
        if new_hz == self._tick_hz:
            return
        if self._next_s is not None and self._tick_hz > 0:
            self._remaining_ticks = max(0.0, (self._next_s - self.ctx.now_seconds())
                                        * self._tick_hz)
            self._next_s = None
        self._resume()

    def _update_output(self) -> None:
        """RTC wakeup output = WUTF and WUTIE, to the EXTI input (edge detected there)."""
        level = bool(self.get_field("ISR", "WUTF") and self.get_field("CR", "WUTIE"))
        if level == self._wakeup_out:
            return
        self._wakeup_out = level
        self.wakeup.emit(level)

    def standby_wakeup(self) -> bool:
        """True when an RTC event with its interrupt enabled is pending: it ends Standby
        (RM0433 section 6, "Exiting from Standby mode": RTC wakeup, alarm, tamper, timestamp
        events)."""
        cr, isr = self.reg("CR"), self.reg("ISR")
        return bool((isr >> 10 & 1 and cr >> 14 & 1)          # WUTF, WUTIE
                    or (isr >> 8 & 1 and cr >> 12 & 1)        # ALRAF, ALRAIE
                    or (isr >> 9 & 1 and cr >> 13 & 1))       # ALRBF, ALRBIE

    # --- bus side: protection, the ISR write semantics ---------------------------------------
    def _writable(self) -> bool:
        return self.power is None or self.power.backup_writable()

    def _refuse(self, what: str) -> None:
        self.ctx.log(f"warning: {self.name}: {what}")

    def write(self, offset: int, size: int, value: int) -> None:
        aligned = offset & ~3
        if not self._writable():
            self._refuse(f"write to +{aligned:#x} ignored: backup domain write-protected "
                         "(PWR_CR1.DBP = 0, RM0433 6.8.1)")
            return
        if aligned == 0x24:                       # WPR: the key sequence
            key = (value << ((offset & 3) * 8)) & 0xFF
            if self._key_state == 0 and key == KEY1:
                self._key_state = 1
            elif self._key_state == 1 and key == KEY2:
                self._key_state = 2
            else:
                self._key_state = 0
            return
        unlocked = self._key_state == 2
        if aligned == 0x0C:
            self._write_isr(offset, size, value, unlocked)
            return
        if aligned not in self._UNPROTECTED and not unlocked:
            self._refuse(f"write {value:#x} to +{aligned:#x} ignored: registers locked "
                         "(write 0xCA, 0x53 to RTC_WPR first, RM0433 46.3.8)")
            return
        if aligned == 0x14 and not self.get_field("ISR", "WUTWF"):
            self._refuse("RTC_WUTR write ignored while WUTWF = 0 (clear WUTE and wait for "
                         "WUTWF, RM0433 46.6.6)")
            return
        super().write(offset, size, value)

    def _write_isr(self, offset: int, size: int, value: int, unlocked: bool) -> None:
        shift = (offset & 3) * 8
        lane = (((1 << (8 * size)) - 1) << shift) & 0xFFFFFFFF
        written = ((value << shift) & lane) | (~lane & 0xFFFFFFFF)   # bytes not written: 1
        old = self.reg("ISR")
        new = old
        clearable = _ISR_RC_W0 if unlocked else (_ISR_RC_W0 & _ISR_FLAGS_UNPROTECTED)
        new &= ~(clearable & ~written)
        if unlocked and lane & _ISR_INIT:
            if written & _ISR_INIT:
                new |= _ISR_INIT | (1 << 6)                  # INIT -> INITF (at once)
            elif old & _ISR_INIT:
                new &= ~(_ISR_INIT | (1 << 6))
                new |= 1 << 5                                # RSF: shadows resynchronised
                if self.get_field("DR", "DATE") >> 16:
                    new |= 1 << 4                            # INITS: year set
        elif not unlocked and lane & _ISR_INIT and (written ^ old) & _ISR_INIT:
            self._refuse("RTC_ISR.INIT write ignored: registers locked (RM0433 46.3.8)")
        self.set_reg("ISR", new)
        if (old ^ new) & (1 << 10):
            self._update_output()

    def on_write_CR(self, old: int, new: int) -> None:
        started = new >> 10 & 1 and not old >> 10 & 1
        stopped = old >> 10 & 1 and not new >> 10 & 1
        self.set_field("ISR", "WUTWF", 0 if new >> 10 & 1 else 1)
        if started:
            self._start()
        elif stopped:
            self._stop()
        elif new >> 10 & 1 and (old ^ new) & 0x7:
            self._refuse("RTC_CR.WUCKSEL changed while WUTE = 1 (RM0433 46.6.3: only when "
                         "WUTWF = 1); applied from the next period")
        if (old ^ new) & (1 << 14):
            self._update_output()

    def on_write_PRER(self, old: int, new: int) -> None:
        if not self.get_field("ISR", "INITF"):
            self._refuse("RTC_PRER written outside initialization mode (INITF = 0, RM0433 "
                         "46.3.7); write ignored")
            self.set_reg("PRER", old)


MODEL = RTC
