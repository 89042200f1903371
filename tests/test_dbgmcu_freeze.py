"""DBGMCU freeze bits: timers and watchdogs whose freeze bit is 0 keep counting while a debugger
holds the core halted (RM0433 60.5.x; bit positions DBG_TIM6 = DBGMCU_APB1LFZ1 bit 4 and
DBG_IWDG1 = DBGMCU_APB4FZ1 bit 18, as ST's CMSIS header defines them). The IWDG timeout is
4 * 2**PR * (RL + 1) / 32 kHz (RM0433 45.3): PR 0, RL 0xFFF gives 0.512 s."""

from __future__ import annotations

import pytest

from peripherals.base import FakeContext
from peripherals.dbgmcu import Dbgmcu
from peripherals.iwdg import IWDG
from peripherals.tim import Timer
from simulator.platform import load_platform

from .conftest import SEMIHOST_EXIT, build_asm
from .test_gdb import Simulation, needs_gdb, run_gdb

CPU = 400_000_000
APB1LFZ1, APB4FZ1 = 0x3C, 0x54
DBG_TIM6, DBG_IWDG1 = 1 << 4, 1 << 18


def dbgmcu(ctx: FakeContext) -> Dbgmcu:
    freeze = next(w.params["freeze"] for w in load_platform().peripherals
                  if w.name == "DBGMCU")
    return Dbgmcu("DBGMCU", 0x5C001000, 0x400, ctx, freeze=freeze)


def hal_timebase(ctx: FakeContext) -> Timer:
    t6 = Timer("TIM6", 0x40001000, 0x400, ctx, kind="basic", irqs={"TIM6_DAC": 54})
    t6.write(0x2C, 4, 999)                      # ARR: 1 ms at 1 MHz
    t6.write(0x28, 4, 199)                      # PSC: 200 MHz / 200
    t6.write(0x14, 4, 1)                        # UG
    t6.write(0x10, 4, 0)
    t6.write(0x0C, 4, 1)                        # UIE
    t6.write(0x00, 4, 1)                        # CEN
    return t6


@pytest.mark.parametrize("frozen", [False, True])
def test_tim6_counts_through_a_halt_unless_frozen(frozen: bool) -> None:
    ctx = FakeContext(clocks={"cpu": CPU, "timx_ker": 200e6})
    dbg, t6 = dbgmcu(ctx), hal_timebase(ctx)
    if frozen:
        dbg.write(APB1LFZ1, 4, DBG_TIM6)       # __HAL_DBGMCU_FREEZE_TIM6()
    ctx.advance(CPU // 10_000)                  # 0.1 ms into the first tick
    before = t6.read(0x24, 4)
    ran = dbg.halted(0.0025, {"TIM6": t6})      # halted 2.5 ms
    if frozen:
        assert ran == [] and t6.read(0x24, 4) == before and not ctx.irqs.get(54)
    else:
        # 0.1 + 2.5 ms: two update events passed (UIF, the tick interrupt), CNT at 600 us
        assert ran == ["TIM6"] and ctx.irqs[54] and t6.read(0x10, 4) & 1
        assert t6.read(0x24, 4) == 600


@pytest.mark.parametrize("frozen", [False, True])
def test_iwdg_expires_at_a_long_breakpoint_unless_frozen(frozen: bool) -> None:
    ctx = FakeContext(clocks={"cpu": CPU})
    dbg = dbgmcu(ctx)
    iwdg = IWDG("IWDG1", 0x58004800, 0x400, ctx, lsi_hz=32000.0, reset_flag="IWDG1RSTF")
    iwdg.write(0x0, 4, 0xCCCC)                  # start: RL 0xFFF, PR 0: 0.512 s
    if frozen:
        dbg.write(APB4FZ1, 4, DBG_IWDG1)        # __HAL_DBGMCU_FREEZE_IWDG1()
    dbg.halted(0.4, {"IWDG1": iwdg})            # 0.4 s at a breakpoint
    ctx.advance(0)
    assert not ctx.resets
    dbg.halted(0.2, {"IWDG1": iwdg})            # 0.6 s in all > 0.512 s
    ctx.advance(0)
    assert bool(ctx.resets) is not frozen


@pytest.mark.parametrize("frozen", [False, True])
def test_lptim1_on_lsi_counts_through_a_halt_unless_frozen(frozen: bool) -> None:
    """LPTIM1 (DBG_LPTIM1 = DBGMCU_APB1LFZ1 bit 9) at 32 kHz, ARR 31999 (1 s), ARRM
    interrupt: a 1.5 s halt passes its auto-reload match; CNT then reads 0.5 s = 16000."""
    from peripherals.lptim import LPTIM
    ctx = FakeContext(clocks={"cpu": CPU, "pclk1": 100e6})
    dbg = dbgmcu(ctx)
    lp = LPTIM("LPTIM1", 0x40002400, 0x400, ctx, irqs={"LPTIM1": 93}, kernel_clock="lsi")
    ctx.clocks["lsi"] = 32000.0
    lp.write(0x08, 4, 2)                        # IER: ARRMIE
    lp.write(0x10, 4, 1)                        # CR: ENABLE
    lp.write(0x18, 4, 31999)                    # ARR
    lp.write(0x10, 4, 5)                        # CNTSTRT
    if frozen:
        dbg.write(APB1LFZ1, 4, 1 << 9)
    dbg.halted(1.5, {"LPTIM1": lp})
    if frozen:
        assert lp.read(0x1C, 4) == 0 and not ctx.irqs.get(93)
    else:
        assert ctx.irqs[93] and lp.read(0x00, 4) & 2          # ARRM
        assert lp.read(0x1C, 4) == 16000


@pytest.mark.parametrize("frozen", [False, True])
def test_wwdg_expires_during_a_halt_unless_frozen(frozen: bool) -> None:
    """WWDG1 (DBG_WWDG1 = DBGMCU_APB3FZ1 bit 6) at PCLK 100 MHz, WDGTB 0, T = 0x7F: 64
    decrements of 4096 clocks (RM0433 46.3) = 2.62144 ms to the reset; a 3 ms halt passes it."""
    from peripherals.wwdg import WWDG
    ctx = FakeContext(clocks={"cpu": CPU, "pclk3": 100e6})
    dbg = dbgmcu(ctx)
    w = WWDG("WWDG1", 0x50003000, 0x400, ctx, clock="pclk3", reset_flag="WWDG1RSTF")
    w.write(0x0, 4, 0xFF)                        # WDGA, T = 0x7F
    if frozen:
        dbg.write(0x34, 4, 1 << 6)
    dbg.halted(0.003, {"WWDG1": w})
    ctx.advance(0)
    assert bool(ctx.resets) is not frozen


# Firmware for the gdb test: starts the IWDG (0.512 s) and reaches `mark`; after a watchdog
# reset (RCC_RSR.IWDG1RSTF, 0x580244D0 bit 26) it exits 3, else 0. FREEZE 1: it sets
# DBGMCU_APB4FZ1.DBG_IWDG1 (0x5C001054 bit 18) first.
IWDG_AT_BREAKPOINT = """
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
    .if FREEZE
    ldr r1, =0x5C001054
    mov r2, #(1 << 18)
    str r2, [r1]
    .endif
    ldr r1, =0x58004800       @ IWDG1_KR
    ldr r2, =0xCCCC
    str r2, [r1]
    .global mark
mark:
    nop
    movs r0, #0
    b exit_r0
after_watchdog:
    movs r0, #3
    b exit_r0
"""


@needs_gdb
@pytest.mark.parametrize("freeze,code", [(0, 3), (1, 0)])
def test_gdb_halt_runs_the_unfrozen_watchdog(tmp_path, freeze: int, code: int) -> None:
    """At a breakpoint held 1 s (monitor halt-clock 1) the unfrozen IWDG (0.512 s) expires:
    the run resets and exits 3; frozen by DBGMCU it exits 0."""
    elf = build_asm(tmp_path, f".equ FREEZE, {freeze}\n" + IWDG_AT_BREAKPOINT + SEMIHOST_EXIT)
    sim = Simulation([str(elf), "-q"])
    out = run_gdb(elf, sim.port, ["monitor halt-clock 1", "break mark", "continue",
                                  "delete", "continue"])
    status, _ = sim.finish()
    assert f"exited with code {code:02o}" in out or (code == 0 and "exited normally" in out), out
    assert status == (0 if code == 0 else 1)          # api.EXIT_FIRMWARE_FAILED for non-zero
