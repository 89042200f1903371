"""A CubeMX + FreeRTOS shaped firmware (firmware/tests/cubemx_rtos): CubeIDE linker layout,
ST-style startup and SystemInit with the rev Y GPV write, the HAL timebase on TIM6, three tasks
on PSP switched in PendSV, and a final WFI nothing can end.

Oracles: timer arithmetic (64 MHz HSI, PSC 63, ARR 999: a 1 kHz HAL tick), HAL_Delay(5)
waiting 6 ticks (HAL adds one), the firmware's own uxTaskGetStackHighWaterMark-style scan and
the heap_4 allocation arithmetic written below."""

from __future__ import annotations

import struct

import pytest

from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform

HSI_HZ = 64_000_000                      # RM0433 8.5.2: HSI 64 MHz after reset


def run(build, revision: str):
    fw = load_firmware(build / "cubemx_rtos.elf")
    m = Machine(fw, load_platform().with_revision(revision), RunConfig(max_cycles=HSI_HZ))
    r = m.run()
    words = struct.unpack("<16I", bytes(m.uc.mem_read(fw.symbol("results").addr, 64)))
    return m, r, words


@pytest.fixture(scope="module")
def rev_y(firmware_build):
    return run(firmware_build, "Y")


def test_rev_y_boots_and_keeps_the_gpv_write(rev_y):
    _, r, w = rev_y
    assert w[15] == 0x600DC0DE, r.diagnostic
    assert w[6] == 1                                  # AXI_TARG7_FN_MOD as SystemInit wrote it
    assert "unmodelled" not in " ".join(r.log)


def test_rev_v_skips_the_workaround(firmware_build):
    _, _, w = run(firmware_build, "V")
    assert w[15] == 0x600DC0DE
    assert w[6] & 1 == 0                              # READ_ISS_OVERRIDE (bit 0) not set


def test_hal_tick_from_tim6_advances_at_1khz(rev_y):
    _, r, w = rev_y
    assert w[0] == 6                                  # HAL_Delay(5): 5 + 1 ticks
    # every HAL tick is 1000 counts of the 1 MHz TIM6 counter (PSC 63 at 64 MHz): 64,000 core
    # cycles. The firmware read DWT_CYCCNT just before setting CEN (w[11]) and together with
    # the last HAL_GetTick (w[12]); a few instructions lie between the reads and the events.
    elapsed = w[12] - w[11]
    assert w[7] in {(elapsed - d) // 64_000 for d in (0, 50)}
    assert r.unmodelled_accesses == {}


def test_wfi_that_nothing_can_end_is_idle(rev_y):
    _, r, _ = rev_y
    assert r.exit_reason == "idle" and r.exit_code == 0
    assert r.cycles < HSI_HZ // 10                    # far from --max-cycles (1 s)


def test_freertos_tasks_high_water_marks_and_heap(rev_y):
    m, _, w = rev_y
    mem = m.ram.report()
    rt = mem["rtos"]
    assert rt["kernel"] == "FreeRTOS"
    tasks = {t["name"]: t for t in rt["tasks"]}
    assert set(tasks) == {"alpha", "beta", "gamma"}
    for name, words, fw_free in (("alpha", 256, w[2]), ("beta", 320, w[3]), ("gamma", 384, w[4])):
        assert tasks[name]["stack_bytes"] == 4 * words
        assert tasks[name]["high_water_mark_bytes"] == 4 * fw_free    # the firmware's own scan
    # heap_4 arithmetic: each block = request + 8-byte header, rounded up to 8; TCB_t = 68 B
    blocks = sum(((n + 8 + 7) // 8) * 8 for n in (1024, 68, 1280, 68, 1536, 68))
    assert rt["heap"]["total_bytes"] == 16384
    assert rt["heap"]["minimum_ever_free_bytes"] == 16384 - blocks == w[5]


def test_cubeide_layout_ram_figures_and_no_false_overflow(rev_y):
    m, _, w = rev_y
    mem = m.ram.report()
    assert mem["overflow"] is None                    # task stacks run on PSP
    assert mem["stack"]["end"] == 0x20020000          # _estack: top of DTCM
    dtcm = mem["regions"]["DTCM"]
    assert dtcm["heap_bytes"] == w[10] == 1024        # newlib-like stdout buffer from _sbrk
    assert 0 < dtcm["stack_bytes"] < 1024             # main stack + handlers, not the heap
    assert dtcm["other_touched_bytes"] == 0
