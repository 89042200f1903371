"""simulator/uc_mapping.py: Unicorn's region lookup served from a cache must answer what
Unicorn's own function answers, also after the memory map changes.

The oracle is Unicorn itself: the same sequence of loads, map changes and faults on an engine
with the original ``find_memory_mapping`` (the cache not installed) and on one with it. A
cache that kept a stale region across ``uc_mem_protect``/``uc_mem_unmap`` would let the read
of a page that is no longer readable (or mapped) through, or crash; checked by disabling the
wrapper's reset on purpose.
"""

from __future__ import annotations

import ctypes
import struct

import pytest
from unicorn import (UC_ARCH_ARM, UC_ERR_READ_PROT, UC_ERR_READ_UNMAPPED, UC_HOOK_MEM_READ,
                     UC_MODE_MCLASS, UC_MODE_THUMB, UC_PROT_ALL, UC_PROT_WRITE, Uc, UcError)
from unicorn.arm_const import UC_ARM_REG_R0, UC_ARM_REG_R1

from simulator import uc_mapping
from simulator.native import uc_handle

CODE = 0x100
RAM = 0x20000000
LDR_R1_R0 = struct.pack("<H", 0x6801)        # Thumb LDR r1, [r0]


def _engine(cached: bool, monkeypatch) -> Uc:
    monkeypatch.setenv("H7SIM_MAPPING_CACHE", "1" if cached else "0")
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
    uc.mem_map(0, 0x1000)
    uc.mem_write(CODE, LDR_R1_R0)
    uc.mem_map(RAM, 0x4000)
    uc.mem_write(RAM, struct.pack("<4I", 0x11111111, 0x22222222, 0x33333333, 0x44444444))
    uc.mem_write(RAM + 0x1000, struct.pack("<I", 0x55555555))
    assert uc_mapping.install(uc) is cached
    return uc


def _load(uc: Uc, addr: int) -> int | str:
    """LDR from ``addr``: the value, or the Unicorn error's name."""
    uc.reg_write(UC_ARM_REG_R0, addr)
    uc.reg_write(UC_ARM_REG_R1, 0)
    try:
        uc.emu_start(CODE | 1, CODE + 2)
    except UcError as e:
        return {UC_ERR_READ_PROT: "read-prot", UC_ERR_READ_UNMAPPED: "unmapped"}.get(e.errno,
                                                                                    str(e))
    return uc.reg_read(UC_ARM_REG_R1)


def _story(uc: Uc) -> list:
    """Loads around every kind of map change, with a memory hook (the slow path that asks
    for the region on every load) for the second half."""
    seen = [_load(uc, RAM), _load(uc, RAM + 0x1000)]
    uc.mem_protect(RAM + 0x1000, 0x1000, UC_PROT_WRITE)       # splits the region
    seen += [_load(uc, RAM), _load(uc, RAM + 0x1000)]
    uc.mem_protect(RAM + 0x1000, 0x1000, UC_PROT_ALL)
    seen += [_load(uc, RAM + 0x1000)]
    uc.hook_add(UC_HOOK_MEM_READ, lambda *a: None)
    seen += [_load(uc, RAM + 4), _load(uc, RAM + 0x1000)]
    uc.mem_unmap(RAM + 0x1000, 0x1000)
    seen += [_load(uc, RAM + 8), _load(uc, RAM + 0x1000)]
    uc.mmio_map(RAM + 0x1000, 0x1000, lambda uc_, off, size, data: 0xA5A50000 | off,
                None, lambda uc_, off, size, value, data: None, None)
    seen += [_load(uc, RAM + 0x1004), _load(uc, RAM + 12)]
    uc.mem_unmap(RAM + 0x1000, 0x1000)
    uc.mem_map(RAM + 0x1000, 0x1000)
    seen += [_load(uc, RAM + 0x1000)]
    return seen


def test_the_cached_lookup_answers_what_unicorn_answers(monkeypatch) -> None:
    expected = _story(_engine(False, monkeypatch))
    # what the story is: faults where the page is write-only or gone, MMIO after the remap
    assert expected == [0x11111111, 0x55555555, 0x11111111, "read-prot", 0x55555555,
                        0x22222222, 0x55555555, 0x33333333, "unmapped", 0xA5A50004,
                        0x44444444, 0]
    assert _story(_engine(True, monkeypatch)) == expected


def test_the_cache_serves_the_engine_that_runs(monkeypatch) -> None:
    """Two engines over one cache (a sweep keeps the previous machine until the collector
    runs): each answers from its own memory map whichever last claimed the cache."""
    a, b = _engine(True, monkeypatch), _engine(True, monkeypatch)
    b.mem_unmap(RAM + 0x1000, 0x1000)
    for first, second in ((a, b), (b, a), (a, b)):
        uc_mapping.claim(first)
        assert _load(a, RAM + 0x1000) == 0x55555555
        assert _load(b, RAM + 0x1000) == "unmapped"
        uc_mapping.claim(second)
        assert _load(b, RAM) == 0x11111111


def _run(elf, cached: bool, monkeypatch) -> tuple:
    from simulator.elf import load_firmware
    from simulator.machine import Machine
    from simulator.platform import load_platform
    monkeypatch.setenv("H7SIM_MAPPING_CACHE", "1" if cached else "0")
    m = Machine(load_firmware(elf), load_platform())
    installed = (ctypes.c_uint64 * (uc_mapping._CACHE.field + 1)).from_address(
        uc_handle(m.uc))[uc_mapping._CACHE.field] == uc_mapping._CACHE.lookup
    r = m.run()
    out = (r.exit_reason, r.exit_code, r.cycles, r.instructions, r.sleep_cycles, r.console,
           r.fault, r.exceptions_taken)
    m.release()
    return installed, out


@pytest.mark.parametrize("name", ["fault_cat_mpu", "power_flash_cache_480", "itcm"])
def test_a_firmware_runs_the_same_with_and_without_it(name, firmware_build, monkeypatch) -> None:
    """Whole runs (MPU regions re-protect memory while the firmware runs; the D-side windows
    put every load on the slow path) end with the same cycles, instructions and exit."""
    elf = firmware_build / f"{name}.elf"
    installed, cached = _run(elf, True, monkeypatch)
    assert installed
    installed, reference = _run(elf, False, monkeypatch)
    assert not installed
    assert cached == reference
