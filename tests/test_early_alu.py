"""The early ALU. [HW] jnk0le/random "pipeline cycle test/doc/cortex_m7.md" (STM32H743):
"there is an early and late ALU one cycle apart"; add/sub with a register or simple constant
and non-shifting mov "can enter early alu from older op only", and an early ALU result "can be
forwarded to late alu in 0 cycles, or early alu next cycle" -- address generation included:
"add.w r0, r2 / eor.w r6, r0, r6, ror #22 / ldr.w r4, [r14, r0] / ldr.w r5, [r14, r1]" does
not stall (two cycles). Logical operations are not in that list: their results reach an
address one cycle later. tests/firmware/early_alu.c times four such groups per iteration (the
snippet's second load replaced by an independent add), led by add or by eor (DWT CYCCNT).

Worked out by hand: add-led group = add + dependent eor (one cycle) then load + add (one
cycle): 2 cycles; eor-led group = eor + add, a cycle waiting for the address, load + add:
3 cycles; the loop's subs + bne pair: 1 cycle. So 9 and 13 cycles per iteration (a model
without the early ALU gives 13 for both)."""

from __future__ import annotations

import pytest

from .conftest import build_c, run_results

N = 200


@pytest.fixture(scope="module")
def per_iteration(tmp_path_factory):
    elf = build_c(tmp_path_factory.mktemp("early_alu"), "early_alu.c")
    _m, _r, v = run_results(elf, 8, max_cycles=10**8)
    assert v[7] == 1
    return {"add_led": (v[1] - v[0]) / N, "eor_led": (v[3] - v[2]) / N}


def test_early_alu_result_feeds_its_pair_and_the_next_address(per_iteration):
    assert per_iteration["add_led"] == pytest.approx(9.0, abs=0.05), per_iteration


def test_late_alu_result_reaches_an_address_a_cycle_later(per_iteration):
    assert per_iteration["eor_led"] == pytest.approx(13.0, abs=0.05), per_iteration
