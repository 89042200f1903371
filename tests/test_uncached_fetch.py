"""Uncached instruction fetch overlaps with execution: [TRM] the Cortex-M7 prefetch unit
has "64-bit instruction fetch bandwidth" and a "4x64-bit pre-fetch queue to decouple
instruction pre-fetch from DPU pipeline operation", so with the I-cache off the next line of
straight-line code is fetched while the current one executes and only the line after a
taken branch waits for the memory. tests/firmware/uncached_fetch.c times loops of 4 and 8
lines of dependent multiplies (execution-bound: 16 cycles per 32-byte line, longer than a
flash line fetch) from flash with the caches off and from ITCM (DWT CYCCNT).

A whole-program check of the same rule (not in the repository: a public binary): the
PY1CX/Cortex-M-FFT STM32H743 firmware (arm_cfft_f32, 1024 points, caches off, code and
tables in flash) runs 3,232 FFTs per timer period in the simulator against 3,108 measured on
the board (docs/timing-model.md; 3,155 before the flash read buffer of
tests/test_flash_buffer.py); without the overlap, 2,482."""

from __future__ import annotations

import pytest

from .conftest import TEST_FIRMWARE, build_c, run_results

N = 100


@pytest.fixture(scope="module")
def per_iteration(tmp_path_factory):
    elf = build_c(tmp_path_factory.mktemp("uncached_fetch"), "uncached_fetch.c",
                  linker=TEST_FIRMWARE / "uncached_fetch.ld")
    _m, _r, v = run_results(elf, 16, max_cycles=10**8)
    assert v[9] == 1
    names = ("flash4", "flash8", "itcm4", "itcm8", "", "axi4", "sram1_4", "sram4_4")
    return {k: (v[2 * i + 1] - v[2 * i]) / N for i, k in enumerate(names) if k}


def test_uncached_flash_costs_one_fetch_per_taken_branch_not_per_line(per_iteration):
    """The fetch overhead per iteration is that of the branch target's line only: the same
    for 4 and 8 lines (a model without the prefetch queue pays it per line: twice as much
    for 8 lines)."""
    over4 = per_iteration["flash4"] - per_iteration["itcm4"]
    over8 = per_iteration["flash8"] - per_iteration["itcm8"]
    assert over4 > 0, per_iteration
    assert over8 == pytest.approx(over4, abs=0.05), per_iteration


def test_execution_bound_loop_runs_at_the_multiply_rate(per_iteration):
    """30 (62) dependent multiplies in 4 (8) lines at 2 cycles each ([LLVM] MUL latency 2;
    the loop's subs/bne pair with them): the ITCM loop is execution bound, 60 (124) cycles."""
    assert per_iteration["itcm4"] == pytest.approx(60, abs=0.1), per_iteration
    assert per_iteration["itcm8"] == pytest.approx(124, abs=0.1), per_iteration


def test_code_in_d2_d3_sram_pays_the_ahb_bridge(per_iteration):
    """RM0433 Figure 1: SRAM1 (D2) and SRAM4 (D3) are behind the AXI-to-AHB bridges, for
    instruction fetches as for data: the loop's one line fetch per iteration costs what an
    uncached data load there costs more than from AXI SRAM (tests/test_bus_latency.py: 2 AXI
    cycles of the bridge, 2 CPU cycles at the reset clock)."""
    assert per_iteration["sram1_4"] - per_iteration["axi4"] == pytest.approx(2, abs=0.05), \
        per_iteration
    assert per_iteration["sram4_4"] == pytest.approx(per_iteration["sram1_4"], abs=0.05), \
        per_iteration
    # still execution bound everywhere: one line fetch per iteration, not four
    assert per_iteration["axi4"] - per_iteration["itcm4"] < 15, per_iteration
