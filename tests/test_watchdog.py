"""IWDG and WWDG: timing from the reference manual / datasheet, and a firmware that stops
refreshing its watchdog is reset (RCC_RSR says why) and the report says so.

Oracles:
- IWDG timeout = 4 * 2**PR * (RL + 1) / f_LSI (RM0433 45.3.3), tabulated in DS12110 "IWDG
  min/max timeout period at 32 kHz (LSI)": /4: 0.125 ms .. 512 ms; /256: 8 ms .. 32768 ms.
- WWDG: t = t_PCLK * 4096 * 2**WDGTB * (T[5:0] + 1) (RM0433 46.3.4): at 100 MHz, WDGTB = 0,
  one tick is 40.96 us and T = 0x7F resets after 64 ticks = 2.62144 ms.
"""

from __future__ import annotations

import pytest

from peripherals.base import FakeContext
from peripherals.iwdg import IWDG
from peripherals.wwdg import WWDG
from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform

from .conftest import SEMIHOST_EXIT, build_asm

CPU = 64e6


def _iwdg(ctx: FakeContext) -> IWDG:
    return IWDG("IWDG1", 0x58004800, 0x400, ctx, lsi_hz=32000.0, reset_flag="IWDG1RSTF")


def _ms_until_reset(ctx: FakeContext, step_ms: float = 0.001, limit_ms: float = 40000) -> float:
    steps = 0
    while not ctx.resets and steps * step_ms < limit_ms:
        ctx.advance(int(CPU * step_ms / 1e3))
        steps += 1
    return steps * step_ms


@pytest.mark.parametrize("pr,rl,expected_ms", [
    (0, 0xFFF, 512.0), (0, 0, 0.125), (6, 0, 8.0), (6, 0xFFF, 32768.0), (7, 0xFFF, 32768.0),
    (3, 999, 1000.0),
])
def test_iwdg_timeout_matches_the_datasheet_table(pr, rl, expected_ms):
    ctx = FakeContext(clocks={"cpu": CPU})
    w = _iwdg(ctx)
    w.write(0x0, 4, 0x5555)        # unlock PR / RLR
    w.write(0x4, 4, pr)
    w.write(0x8, 4, rl)
    w.write(0x0, 4, 0xCCCC)        # start
    step = expected_ms / 2000
    got = _ms_until_reset(ctx, step_ms=step, limit_ms=expected_ms * 2)
    assert got == pytest.approx(expected_ms, abs=2 * step)
    assert ctx.resets[0][1] == "IWDG1RSTF" and "IWDG1" in ctx.resets[0][0]


def test_iwdg_refresh_postpones_and_protection_ignores_locked_writes():
    ctx = FakeContext(clocks={"cpu": CPU})
    w = _iwdg(ctx)
    w.write(0x8, 4, 10)            # locked: ignored, RL stays 0xFFF (reset value)
    assert w.reg("RLR") == 0xFFF
    w.write(0x0, 4, 0xCCCC)
    for _ in range(5):             # refresh every 400 ms: a 512 ms watchdog never fires
        ctx.advance(int(CPU * 0.4))
        w.write(0x0, 4, 0xAAAA)
    assert ctx.resets == []
    ctx.advance(int(CPU * 0.52))
    assert len(ctx.resets) == 1


def test_iwdg_window_refresh_too_early_resets():
    ctx = FakeContext(clocks={"cpu": CPU})
    w = _iwdg(ctx)
    w.write(0x0, 4, 0x5555)
    w.write(0x10, 4, 0x100)        # refresh allowed only once the counter is below 0x100
    w.write(0x0, 4, 0xCCCC)
    ctx.advance(int(CPU * 0.01))   # 10 ms: counter = 0xFFF - 80 > 0x100
    w.write(0x0, 4, 0xAAAA)
    assert ctx.resets and "window" in ctx.resets[0][0]


def test_wwdg_resets_after_64_ticks_at_100mhz():
    ctx = FakeContext(clocks={"cpu": 100e6, "pclk3": 100e6})
    w = WWDG("WWDG1", 0x50003000, 0x400, ctx, clock="pclk3", reset_flag="WWDG1RSTF",
             irqs={"WWDG": 0})
    w.write(0x0, 4, 0xFF)          # WDGA = 1, T = 0x7F
    ctx.advance(int(100e6 * 2.62144e-3) - 1)
    assert ctx.resets == []
    assert w.read(0x0, 4) & 0x7F == 0x40
    ctx.advance(1)
    assert ctx.resets and ctx.resets[0][1] == "WWDG1RSTF"


def test_wwdg_refresh_above_window_resets_and_ewi_fires_at_0x40():
    ctx = FakeContext(clocks={"cpu": 100e6, "pclk3": 100e6})
    w = WWDG("WWDG1", 0x50003000, 0x400, ctx, clock="pclk3", reset_flag="WWDG1RSTF",
             irqs={"WWDG": 0})
    w.write(0x4, 4, (1 << 9) | 0x50)   # EWI, window 0x50
    w.write(0x0, 4, 0xFF)
    ctx.advance(int(100e6 * 40.96e-6 * 63) + 10)   # counter 0x40: early warning
    assert w.read(0x8, 4) & 1 and ctx.irqs.get(0)
    assert ctx.resets == []
    w2ctx = FakeContext(clocks={"cpu": 100e6, "pclk3": 100e6})
    w2 = WWDG("WWDG1", 0x50003000, 0x400, w2ctx, clock="pclk3", reset_flag="WWDG1RSTF")
    w2.write(0x4, 4, 0x50)
    w2.write(0x0, 4, 0xFF)
    w2.write(0x0, 4, 0xFF)             # counter 0x7F > W 0x50: refresh too early
    assert w2ctx.resets and "window" in w2ctx.resets[0][0]


# A firmware that starts the IWDG (4 * (31 + 1) / 32 kHz = 4 ms), refreshes it a few times,
# then hangs. After the reset it finds RCC_RSR.IWDG1RSTF (0x580244D0 bit 26) set and exits 42.
STOPS_KICKING = """
    .section .vectors, "a"
    .word 0x20010000
    .word reset
    .text
    .thumb_func
reset:
    ldr r1, =0x580244D0       @ RCC_RSR
    ldr r2, [r1]
    tst r2, #(1 << 26)        @ IWDG1RSTF
    bne after_watchdog
    ldr r1, =0x58004800       @ IWDG1
    ldr r2, =0x5555
    str r2, [r1]
    movs r2, #0
    str r2, [r1, #4]          @ PR = /4
    movs r2, #31
    str r2, [r1, #8]          @ RL = 31: 4 ms
    ldr r2, =0xCCCC
    str r2, [r1]
    movs r4, #5
kick_loop:
    ldr r3, =20000            @ ~1 ms at 64 MHz
delay:
    subs r3, r3, #1
    bne delay
    ldr r2, =0xAAAA
    str r2, [r1]
    subs r4, r4, #1
    bne kick_loop
hang_forever:
    b hang_forever
after_watchdog:
    movs r0, #42
    b exit_r0
"""


def test_firmware_that_stops_kicking_the_iwdg_is_reset_and_the_report_says_so(tmp_path):
    from simulator.report import build_report

    m = Machine(load_firmware(build_asm(tmp_path, STOPS_KICKING + SEMIHOST_EXIT)),
                load_platform(), RunConfig(max_cycles=200_000_000))
    iwdg = m.peripherals["IWDG1"]
    refreshes: list[float] = []
    original = iwdg._write_hooks[0x0]

    def kr_written(old, new):                    # note when the firmware refreshes
        if new & 0xFFFF == 0xAAAA:
            refreshes.append(m.now_seconds())
        original(old, new)

    iwdg._write_hooks[0x0] = kr_written
    r = m.run()
    assert r.exit_reason == "exit" and r.exit_code == 42, r.diagnostic
    assert len(r.resets) == 1
    reset = r.resets[0]
    assert reset["rsr_flag"] == "IWDG1RSTF" and "IWDG1 watchdog timeout" in reset["cause"]
    assert "hang_forever" in reset["where"]
    # the reset came 4 ms (+- one LSI tick of 125 us) after the last refresh
    assert len(refreshes) == 5
    assert reset["simulated_s"] - refreshes[-1] == pytest.approx(0.004, abs=125e-6)
    assert any("watchdog reset" in w for w in r.warnings)
    report = build_report(m, r)
    assert report["resets"][0]["rsr_flag"] == "IWDG1RSTF"
