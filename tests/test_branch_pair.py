"""A correctly predicted branch dual issues with the first instruction of the path it
predicted. [HW] jnk0le/random "pipeline cycle test/doc/cortex_m7.md" (STM32H743): "Predicted
(any direction and length) taken branch is capable of dual issuing with one instruction at
destination address" -- 20 instructions of which one is a branch execute in exactly 10
cycles -- and "not-taken branch can dual issue with following instruction". So a loop of
independent ALU instructions issues two per cycle whatever the parity of its length:
tests/firmware/branch_pair.c times loops of 20, 21 and 11 instructions (DWT CYCCNT)."""

from __future__ import annotations

import pytest

from .conftest import build_c, run_results

N = 200


@pytest.fixture(scope="module")
def per_iteration(tmp_path_factory):
    elf = build_c(tmp_path_factory.mktemp("branch_pair"), "branch_pair.c")
    _m, _r, v = run_results(elf, 8, max_cycles=10**8)
    assert v[7] == 1
    return {"even20": (v[1] - v[0]) / N, "odd21": (v[3] - v[2]) / N,
            "not_taken": (v[5] - v[4]) / N}


def test_twenty_instructions_with_a_branch_take_ten_cycles(per_iteration):
    assert per_iteration["even20"] == pytest.approx(10.0, abs=0.05), per_iteration


def test_taken_branch_pairs_with_its_target(per_iteration):
    # 21 instructions: the branch issues alone every other iteration and then takes the first
    # instruction at its target with it, so 10.5 cycles (11 without the pairing)
    assert per_iteration["odd21"] == pytest.approx(10.5, abs=0.05), per_iteration


def test_not_taken_branch_pairs_with_the_next_instruction(per_iteration):
    # 11 instructions (a never-taken BEQ among them): 5.5 cycles (6 without the pairing)
    assert per_iteration["not_taken"] == pytest.approx(5.5, abs=0.05), per_iteration
