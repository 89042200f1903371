"""dcache.hook_address(): the memory hook installed is an LLVM IR front that returns at once
for an aligned access to a TCM page and passes every other access to dcache._mem_hook. The
oracle is _mem_hook alone: whole runs with D-side windows (cacheable and TCM data, unaligned
accesses, the D-cache measured throughout) must count the same cycles, the same D-cache hits,
misses and unaligned accesses either way. (Breaking the front on purpose - returning for every
kind, or ignoring the alignment - makes these fail.)"""

from __future__ import annotations

import pytest

from simulator import dcache

from .conftest import build_c


def _run(elf, front: bool, monkeypatch, **config) -> tuple:
    from simulator.elf import load_firmware
    from simulator.machine import Machine, RunConfig
    from simulator.platform import load_platform
    monkeypatch.setattr(dcache, "_HOOK_ADDRESS",
                        [] if front else [dcache._mem_hook.address])
    installed = dcache.hook_address()
    assert (installed != dcache._mem_hook.address) == front
    m = Machine(load_firmware(elf), load_platform(), RunConfig(**config))
    r = m.run()
    out = (r.exit_reason, r.exit_code, r.cycles, r.instructions, r.console, r.fault,
           m.dcache.stats(r.cycles) if m.dcache else None)
    m.release()
    return out


@pytest.mark.parametrize("name,config", [("power_flash_cache_480", {}),
                                         ("fault_unaligned", {}),
                                         ("itcm", {"dcache": "exact"}),
                                         ("hal_poll_short", {"dcache": "exact"})])
def test_the_front_counts_what_the_hook_counts(name, config, firmware_build,
                                                monkeypatch) -> None:
    elf = firmware_build / f"{name}.elf"
    with_front = _run(elf, True, monkeypatch, **config)
    assert with_front == _run(elf, False, monkeypatch, **config)
    assert with_front[-1] is not None and with_front[-1]["windows"] >= 1


def test_unaligned_tcm_accesses_go_on_to_the_hook(tmp_path, monkeypatch) -> None:
    """64 unaligned word loads from DTCM (tests/firmware/dwt_inblock.c) are charged and counted
    the same with the front as by the hook alone."""
    elf = build_c(tmp_path, "dwt_inblock.c")
    with_front = _run(elf, True, monkeypatch, dcache="exact")
    assert with_front == _run(elf, False, monkeypatch, dcache="exact")
    assert with_front[-1]["unaligned_accesses"] == 64
