"""The load/store sites of the blocks that made Python-path peripheral accesses are kept in the
on-disk cache by the ELF's hash (simulator/access_sites.py): a later run gets exactly what a
fresh capstone decode of those blocks gives (the oracle here), and does not import capstone."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from simulator.access_sites import AccessLocator
from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform

ROOT = Path(__file__).resolve().parents[1]


def _run(elf: Path) -> Machine:
    m = Machine(load_firmware(elf), load_platform(), RunConfig(max_cycles=20_000_000))
    m.run()
    return m


def test_cached_sites_equal_a_fresh_decode(firmware_build, tmp_path, monkeypatch):
    monkeypatch.setenv("H7SIM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("H7SIM_CACHE", raising=False)
    first = _run(firmware_build / "hello.elf")
    decoded = dict(first._locator._blocks)
    assert decoded and any(decoded.values())          # the run made Python-path accesses
    second = _run(firmware_build / "hello.elf")
    assert second._locator._stored == len(decoded)      # all of them came from the cache
    fresh = AccessLocator(second.code_tables)           # no cache: capstone decodes them now
    assert {k: fresh.sites(*k) for k in decoded} == second._locator._blocks == decoded


def test_a_cached_run_does_not_import_capstone(firmware_build, tmp_path):
    env = {**os.environ, "H7SIM_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)}
    env.pop("H7SIM_CACHE", None)
    code = ("import sys; from simulator.cli import main; rc = main([sys.argv[1], '-q']); "
            "print('capstone' in sys.modules); sys.exit(rc)")
    runs = [subprocess.run([sys.executable, "-c", code, str(firmware_build / "hello.elf")],
                           env=env, cwd=ROOT, capture_output=True, text=True) for _ in range(2)]
    assert [r.returncode for r in runs] == [0, 0], runs[-1].stderr[-500:]
    assert [r.stdout.split()[-1] for r in runs] == ["True", "False"]
