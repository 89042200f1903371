"""An interrupt between two blocks does not un-execute the branch that ended the first one:
the predictor learns that branch's outcome (the return address) and a mispredict costs, as
without the interrupt. The handler (entered and left through the exception logic, 12 cycles
each, ARMv7-M) adds no prediction of its own entry or return. So a loop around one
alternating branch (tests/firmware/irq_branch.c) makes as many predictions, and mispredicts,
with a SysTick interrupt every 98 cycles as without one (before the fix, each interrupt
dropped the prediction of the branch it followed)."""

from __future__ import annotations

import pytest

from .conftest import build_c, run_results


def _branches(elf):
    _m, r, v = run_results(elf, 4, max_cycles=10**8)
    assert v[3] == 1
    return v[0], r.timing["branches_predicted"], r.timing["branches_mispredicted"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("irq_branch")
    return _branches(build_c(d, "irq_branch.c")), _branches(build_c(d, "irq_branch.c", "SYSTICK"))


def test_interrupts_were_taken(runs):
    (quiet_ticks, _, _), (ticks, _, _) = runs
    assert quiet_ticks == 0 and ticks > 100, runs


def test_interrupts_neither_add_nor_drop_predictions(runs):
    (_, p0, m0), (ticks, p1, m1) = runs
    assert p1 + m1 == p0 + m0, runs
    assert m1 == m0, runs
