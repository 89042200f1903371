"""Poll-loop skipping changes nothing but host time.

firmware/tests/hal_poll polls like an STM32Cube HAL program: PLL/VOS/clock-switch ready
flags, USART TXE/TC with a HAL_GetTick() timeout check per iteration, HAL_Delay on a
SysTick-driven tick. It is run twice, skipping on and off (the oracle: the CPU executing
every iteration). Cycles, instructions, every time segment (hence energy), peak RAM, the
DWT CYCCNT figure the firmware prints and the console must agree, and the skipping run must
actually have skipped most of the polling.
"""

from __future__ import annotations

from simulator.code_map import impure
from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform

from .test_timing import assemble, needs_as


def _run(elf, **cfg):
    m = Machine(load_firmware(elf), load_platform(), RunConfig(**cfg))
    return m, m.run()


def test_skipping_matches_executing_every_iteration(firmware_build):
    elf = firmware_build / "hal_poll_short.elf"
    m_on, on = _run(elf)
    m_off, off = _run(elf, poll_skip=False)
    assert on.exit_reason == off.exit_reason == "exit" and on.exit_code == 0
    assert "hal_poll: PASS" in on.console["semihosting"].decode()
    assert (on.cycles, on.instructions, on.seconds, on.sleep_cycles) == \
        (off.cycles, off.instructions, off.seconds, off.sleep_cycles)
    assert on.console == off.console                    # includes the DWT CYCCNT figure
    assert on.segments == off.segments                  # power states, clocks, code cycles
    assert on.timing == off.timing                      # I-cache, predictor, bus stalls
    assert m_on.ram.report()["peak_ram_bytes"] == m_off.ram.report()["peak_ram_bytes"]
    assert on.host["poll_skip_errors"] == 0
    assert off.host["poll_iterations_skipped"] == 0
    # most of the run is polling: most of its instructions were accounted, not executed
    skipped = on.host["poll_iterations_skipped"]
    assert skipped > 100_000 and on.host["poll_skips"] > 20


@needs_as
def test_impure_instructions(tmp_path):
    """Stores and instructions that change more than registers (ARMv7-M ARM A5/A7.7
    encodings, assembled by GNU as) are impure; loads, compares, branches and ALU are not."""
    impure_src = ("str r0, [r1]; strb r0, [r1, #1]; strh r0, [r1, r2]; str r0, [sp, #4]; "
                  "push {r4, lr}; stmia r0!, {r1, r2}; str.w r0, [r1, #-4]; strd r0, r1, [r2]; "
                  "strex r0, r1, [r2]; vstr s0, [r0]; vpush {d8}; stmdb sp!, {r4-r11}; "
                  "svc #0; bkpt #1; cpsie i; msr primask, r0; wfi; wfe; sev")
    pure_src = ("ldr r0, [r1]; ldrb r0, [r1, #1]; ldrh.w r0, [r1, #2]; ldr r0, [sp, #4]; "
                "pop {r4, pc}; ldmia r0!, {r1, r2}; ldrd r0, r1, [r2]; ldrex r0, [r1]; "
                "vldr s0, [r0]; tst r0, #4; cmp r0, r1; lsls r3, r3, #14; bne .; "
                "adds r0, #1; mrs r0, primask; dsb; isb; vadd.f32 s0, s1, s2; nop")
    for src, want in ((impure_src, True), (pure_src, False)):
        hw, st = assemble(tmp_path, src)
        flags = impure(hw, st)[st]
        assert len(flags) == src.count(";") + 1
        assert flags.tolist() == [want] * len(flags), src
