"""Branch mispredict penalty: 8 cycles, 6 when the flags were set at least 3 cycles before the
branch (shared/reference/cortex-m7-timing.md, [HW] measurements). tests/firmware/mispredict.c
times one alternating branch (mispredicted every iteration) against the same branch with a
constant direction."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from simulator.code_map import build_code_tables
from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform
from simulator.timing import CortexM7CostModel

HERE = Path(__file__).parent / "firmware"
ITERS = 256


@pytest.fixture(scope="module")
def elf(tmp_path_factory):
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed")
    out = tmp_path_factory.mktemp("mispredict") / "mispredict.elf"
    subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-d16",
                    "-mfloat-abi=hard", "-O2", "-g", "-nostdlib", "-nostartfiles",
                    "-I", str(HERE.parent.parent / "firmware" / "common"),
                    "-T", str(HERE / "cache_kernel.ld"), str(HERE / "mispredict.c"),
                    "-o", str(out)], check=True)
    return out


@pytest.fixture(scope="module")
def penalties(elf):
    fw = load_firmware(elf)
    m = Machine(fw, load_platform(), RunConfig(max_cycles=10**8))
    r = m.run()
    assert r.exit_reason == "exit" and r.exit_code == 0, r.diagnostic
    v = np.frombuffer(bytes(m.uc.mem_read(fw.symbol("results").addr, 32)), dtype="<u4")
    assert v[7] == 1
    v = v.astype(np.int64)
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
        got[name] = [int(p) for p in t.penalties[j:j + 40] if p]
    # push/ldr/ldr are not branches; first the BEQ, then the loop's BNE, then the return
    assert got["late_counter"][:2] == [8, 8], got
    assert got["early_counter"][:2] == [6, 8], got
