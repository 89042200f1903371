"""Placement and cache ratios of one compute kernel, against published ranges
(shared/reference/cortex-m7-timing.md): caches on vs off about 3x (FFT, PY1CX/Cortex-M-FFT)
to 5x (Dhrystone from flash, F723); ITCM and cached flash within a few percent once warm."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform

HERE = Path(__file__).parent / "firmware"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed")
    out = tmp_path_factory.mktemp("cache") / "cache_kernel.elf"
    subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-d16",
                    "-mfloat-abi=hard", "-O2", "-g", "-nostdlib", "-nostartfiles",
                    "-I", str(HERE.parent.parent / "firmware" / "common"),
                    "-T", str(HERE / "cache_kernel.ld"), str(HERE / "cache_kernel.c"),
                    "-o", str(out)], check=True)
    fw = load_firmware(out)
    m = Machine(fw, load_platform(), RunConfig(max_cycles=10**9))
    r = m.run()
    assert r.exit_reason == "exit" and r.exit_code == 0, r.diagnostic
    addr = fw.symbol("results").addr
    vals = np.frombuffer(bytes(m.uc.mem_read(addr, 16)), dtype="<u4")
    assert vals[3] == 1
    return {"flash_nocache": int(vals[0]), "flash_cache": int(vals[1]), "itcm": int(vals[2])}


def test_icache_on_off_ratio_in_published_range(results):
    ratio = results["flash_nocache"] / results["flash_cache"]
    assert 2.5 <= ratio <= 6.0, results


def test_itcm_matches_warm_cached_flash(results):
    assert results["itcm"] == pytest.approx(results["flash_cache"], rel=0.10), results
