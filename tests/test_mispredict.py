"""Branch mispredict penalty: 8 cycles, 6 when the flags were set at least 3 cycles before the
branch (shared/reference/cortex-m7-timing.md, [HW] measurements). tests/firmware/mispredict.c
times one alternating branch (mispredicted every iteration) against the same branch with a
constant direction."""

from __future__ import annotations

import pytest

from simulator.code_map import build_code_tables
from simulator.elf import load_firmware
from simulator.platform import load_platform
from simulator.timing import CortexM7CostModel
from simulator.timing.model import PENALTY_MASK

from .conftest import build_c, run_results

ITERS = 256


@pytest.fixture(scope="module")
def elf(tmp_path_factory):
    return build_c(tmp_path_factory.mktemp("mispredict"), "mispredict.c")


@pytest.fixture(scope="module")
def penalties(elf):
    _m, _r, v = run_results(elf, 8, max_cycles=10**8)
    assert v[7] == 1
    return {"late": (v[0] - (v[1] + v[2]) / 2) / ITERS,
            "early": (v[3] - (v[4] + v[5]) / 2) / ITERS}


def test_late_flags_mispredict_costs_8(penalties):
    assert penalties["late"] == pytest.approx(8, abs=0.5), penalties


def test_early_flags_mispredict_costs_6(penalties):
    assert penalties["early"] == pytest.approx(6, abs=0.5), penalties


def test_static_penalty_per_branch(elf):
    """The per-branch table: the two loops' conditional branches get 8 and 6; the loop-closing
    BNE right after its SUBS gets 8."""
    fw = load_firmware(elf)
    model = CortexM7CostModel()
    tables = build_code_tables(fw, load_platform(), model)
    got = {}
    for name in ("late_counter", "early_counter"):
        a = fw.symbol(name).addr & ~1
        t = next(t for t in tables if t.base <= a < t.base + 2 * len(t.halfwords))
        j = (a - t.base) // 2
        got[name] = [int(p) & PENALTY_MASK for p in t.penalties[j:j + 40] if p & PENALTY_MASK]
    # push/ldr/ldr are not branches; first the BEQ, then the loop's BNE, then the return
    assert got["late_counter"][:2] == [8, 8], got
    assert got["early_counter"][:2] == [6, 8], got
