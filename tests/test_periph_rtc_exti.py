"""RTC wakeup timer, write protection and the EXTI input it drives, register level (RM0433
sections 46 and 20), with the RCC and PWR models for RTCCLK and the backup-domain lock."""

from __future__ import annotations

import pytest

from peripherals.base import FakeContext
from peripherals.exti import EXTI
from peripherals.pwr import PWR
from peripherals.rcc import RCC
from peripherals.rtc import RTC

CPU_HZ = 64e6
CR, ISR, WUTR, WPR = 0x08, 0x0C, 0x14, 0x24
WUTE, WUTIE, WUTWF, WUTF = 1 << 10, 1 << 14, 1 << 2, 1 << 10
RTC_WKUP_IRQ = 3


def rig():
    ctx = FakeContext(clocks={"cpu": CPU_HZ})
    rcc = RCC("RCC", 0x58024400, 0x400, ctx, irqs={"RCC": 5})
    pwr = PWR("PWR", 0x58024800, 0x400, ctx)
    exti = EXTI("EXTI", 0x58000000, 0x400, ctx, irqs={"EXTI0": 6, "RTC_WKUP": 3},
                lines={"EXTI0": 0, "RTC_WKUP": 19})
    rtc = RTC("RTC", 0x58004000, 0x400, ctx)
    ctx.peripherals.update(RCC=rcc, PWR=pwr, EXTI=exti, RTC=rtc)
    ctx.wire()               # as the platform file wires them: RTC.wakeup -> EXTI.line@19
    return ctx, rcc, pwr, exti, rtc


def lsi_rtc(ctx, rcc, pwr):
    rcc.write(0x74, 4, 1)                           # RCC_CSR.LSION
    ctx.advance(int(1e-3 * CPU_HZ))
    pwr.write(0x00, 4, pwr.read(0x00, 4) | 1 << 8)  # PWR_CR1.DBP
    rcc.write(0x70, 4, 2 << 8 | 1 << 15)            # RTCSEL = LSI, RTCEN


def unlock(rtc):
    """The RTC write-protection key sequence (RM0433, RTC_WPR: 0xCA then 0x53)."""
    rtc.write(WPR, 4, 0xCA)
    rtc.write(WPR, 4, 0x53)


def test_write_protection_and_backup_domain_lock():
    ctx, rcc, pwr, _exti, rtc = rig()
    rtc.write(WUTR, 4, 99)
    assert rtc.read(WUTR, 4) == 0xFFFF              # DBP = 0: refused
    lsi_rtc(ctx, rcc, pwr)
    rtc.write(WUTR, 4, 99)
    assert rtc.read(WUTR, 4) == 0xFFFF              # no key yet
    unlock(rtc)
    rtc.write(WUTR, 4, 99)
    assert rtc.read(WUTR, 4) == 99
    rtc.write(WPR, 4, 0xFF)                         # wrong key: locked again
    rtc.write(WUTR, 4, 5)
    assert rtc.read(WUTR, 4) == 99
    assert any("locked" in m for m in ctx.messages)


def test_wakeup_timer_period_flag_and_exti_line():
    ctx, rcc, pwr, exti, rtc = rig()
    lsi_rtc(ctx, rcc, pwr)
    unlock(rtc)
    assert rtc.read(ISR, 4) & WUTWF                 # WUTE = 0: WUTR writable
    rtc.write(WUTR, 4, 9)                           # 10 periods of 32 kHz / 16 = 5 ms
    exti.write(0x00, 4, 1 << 19)                    # RTSR1
    exti.write(0x80, 4, 1 << 19)                    # CPUIMR1
    t0 = ctx.now_seconds()
    rtc.write(CR, 4, WUTIE | WUTE)                  # WUCKSEL = 0: RTCCLK / 16
    assert not rtc.read(ISR, 4) & WUTWF
    assert rtc.wakeup_clock_hz() == pytest.approx(32e3 / 16)
    period = 10 * 16 / 32e3
    ctx.advance(int((t0 + period) * CPU_HZ) - ctx.cycle - 2)
    assert not rtc.read(ISR, 4) & WUTF and not ctx.irqs.get(RTC_WKUP_IRQ)
    ctx.advance(4)
    assert rtc.read(ISR, 4) & WUTF
    assert exti.read(0x88, 4) == 1 << 19            # CPUPR1
    assert ctx.irqs[RTC_WKUP_IRQ] and rtc.standby_wakeup()
    rtc.write(ISR, 4, ~WUTF & 0xFFFFFF7F)           # clear WUTF (rc_w0)
    exti.write(0x88, 4, 1 << 19)                    # clear the pending bit
    assert not ctx.irqs[RTC_WKUP_IRQ] and not rtc.standby_wakeup()
    ctx.advance(int(period * CPU_HZ) + 2)           # auto-reload: again one period later
    assert rtc.read(ISR, 4) & WUTF and ctx.irqs[RTC_WKUP_IRQ]


def test_exti_mask_gates_the_nvic_line_and_rtc_survives_system_reset():
    ctx, rcc, pwr, exti, rtc = rig()
    lsi_rtc(ctx, rcc, pwr)
    unlock(rtc)
    rtc.write(WUTR, 4, 0)
    exti.write(0x00, 4, 1 << 19)                    # rising edge, interrupt masked
    rtc.write(CR, 4, WUTIE | WUTE)
    ctx.advance(int(16 / 32e3 * CPU_HZ) + 2)
    assert exti.read(0x88, 4) == 1 << 19 and not ctx.irqs.get(RTC_WKUP_IRQ)
    exti.write(0x80, 4, 1 << 19)                    # unmask: the pending input raises it
    assert ctx.irqs[RTC_WKUP_IRQ]
    for p in (rcc, pwr, exti, rtc):
        p.system_reset()
    assert rtc.read(WUTR, 4) == 0 and rtc.read(CR, 4) & WUTE    # backup domain kept
    assert rcc.get_field("BDCR", "RTCSEL") == 2
    assert not ctx.irqs[RTC_WKUP_IRQ] and exti.read(0x80, 4) == 0xFFC00000


def test_rtc_on_lsi_stops_when_a_system_reset_turns_lsi_off():
    ctx, rcc, pwr, _exti, rtc = rig()
    lsi_rtc(ctx, rcc, pwr)
    unlock(rtc)
    rtc.write(WUTR, 4, 0)
    rtc.write(CR, 4, WUTIE | WUTE)
    rcc.system_reset()                              # RCC_CSR.LSION cleared: RTCCLK stops
    assert rtc.rtcclk_hz() == 0
    ctx.advance(int(0.01 * CPU_HZ))
    assert not rtc.read(ISR, 4) & WUTF


def test_alarm_and_output_fields_are_counted_as_unmodelled():
    """The model has the wakeup timer only (alarms, time stamp, RTC_OUT are not modelled): a
    firmware enabling alarm A and its interrupt (RM0433 46.6.3 RTC_CR ALRAE bit 8, ALRAIE bit
    12) is told so in the report's unmodelled_fields, once per changing write; the wakeup
    timer's own bits add nothing."""
    ctx, rcc, pwr, _exti, rtc = rig()
    lsi_rtc(ctx, rcc, pwr)
    unlock(rtc)
    rtc.write(CR, 4, 1 << 8 | 1 << 12)
    assert rtc.unmodelled_fields == {"RTC.CR.ALRAE": 1, "RTC.CR.ALRAIE": 1}
    rtc.write(CR, 4, 1 << 8 | 1 << 12 | WUTIE | WUTE)
    assert rtc.unmodelled_fields == {"RTC.CR.ALRAE": 1, "RTC.CR.ALRAIE": 1}
    assert any("RTC.CR.ALRAE" in m for m in ctx.messages)
