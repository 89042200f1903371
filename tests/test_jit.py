"""simulator/jit.py: a process that runs the hooks' machine code loaded from the cache, without
importing numba, simulates exactly what a process that compiled them with numba does (the
oracle: numba's own compile), and a damaged or unloadable cache entry falls back to numba."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = r"""
import json, sys
from simulator import api, jit
run = api.simulate(api.load_inputs(sys.argv[1]))
report = dict(run.report)
report.pop("host", None)                     # host time and rates
print(json.dumps({"loaded": jit.LOADED, "numba": "numba" in sys.modules,
                  "report": report}, sort_keys=True, default=str))
"""


def _run(elf: Path, cache_dir: Path) -> dict:
    env = dict(os.environ, H7SIM_CACHE_DIR=str(cache_dir), PYTHONPATH=str(ROOT))
    env.pop("H7SIM_CACHE", None)
    p = subprocess.run([sys.executable, "-c", SCRIPT, str(elf)], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    return json.loads(p.stdout.splitlines()[-1])


def _entry(cache_dir: Path) -> Path:
    entries = list((cache_dir / "hooks").glob("*.pickle"))
    assert len(entries) == 1
    return entries[0]


def test_cached_machine_code_runs_the_firmware_as_numba_does(firmware_build, tmp_path):
    # an RTOS program: SysTick/PendSV interrupts (branch_before_exception), peripheral
    # registers on the native path, D-cache sampling windows (the memory hook)
    elf = firmware_build / "cubemx_rtos.elf"
    compiled = _run(elf, tmp_path)
    assert not compiled["loaded"] and compiled["numba"]
    _entry(tmp_path)                                        # written by the first process
    loaded = _run(elf, tmp_path)
    assert loaded["loaded"] and not loaded["numba"]
    assert compiled["report"]["timing"]["dcache"]["windows"] >= 1
    assert loaded["report"] == compiled["report"]


def test_a_damaged_or_unloadable_entry_falls_back_to_numba(firmware_build, tmp_path):
    elf = firmware_build / "exit_code.elf"
    oracle = _run(elf, tmp_path)
    entry = _entry(tmp_path)
    entry.write_bytes(entry.read_bytes()[:100])            # truncated
    damaged = _run(elf, tmp_path)
    assert not damaged["loaded"] and damaged["numba"]
    assert damaged["report"] == oracle["report"]
    assert _run(elf, tmp_path)["loaded"]                    # rewritten by that process
    data = pickle.loads(entry.read_bytes())
    next(iter(data.values()))["undefined"].append("h7sim_no_such_symbol")
    entry.write_bytes(pickle.dumps(data))                   # LLVM would abort on it
    unresolved = _run(elf, tmp_path)
    assert not unresolved["loaded"] and unresolved["numba"]
    assert unresolved["report"] == oracle["report"]
