"""simulator/read_watch.py: the CPU's loads from a watched buffer set its segment flags, its
loads and stores still see and change the RAM (remapped pages served from the region's own
storage), the simulator's own reads between blocks mark nothing, and closing the watch maps
the pages back as RAM with their contents. Oracle: what Thumb-2 LDR/LDRD/STR do with memory."""

from __future__ import annotations

import numpy as np
from unicorn import UC_ARCH_ARM, UC_MODE_MCLASS, UC_MODE_THUMB, UC_PROT_ALL, Uc
from unicorn.arm_const import (UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3,
                               UC_ARM_REG_R4, UC_CPU_ARM_CORTEX_M7)

from simulator.read_watch import ReadWatch

RAM, SIZE = 0x24000000, 0x10000
CODE = 0x24008000
BUF = RAM + 0x100                      # 0x400 bytes: two segments of 0x200
# ldr r0, [r1]; ldrd r2, r3, [r1, #4]; ldrb r4, [r1, #1]; str r0, [r1, #0x20]
PROGRAM = bytes.fromhex("0868" "d1e90123" "4c78" "0862")


def machine():
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
    uc.ctl_set_cpu_model(UC_CPU_ARM_CORTEX_M7)
    mem = np.zeros(SIZE, np.uint8)
    uc.mem_map_ptr(RAM, SIZE, UC_PROT_ALL, mem.ctypes.data)
    mem[BUF - RAM:BUF - RAM + 0x400] = np.arange(0x400) & 0xFF
    uc.mem_write(CODE, PROGRAM)

    def host(base, size):
        return mem.ctypes.data + (base - RAM) if RAM <= base and base + size <= RAM + SIZE \
            else None
    return uc, mem, host


def run(uc, watch, r1):
    uc.reg_write(UC_ARM_REG_R1, r1)
    watch.set_cpu_running(True)
    uc.emu_start(CODE | 1, CODE + len(PROGRAM))
    watch.set_cpu_running(False)
    return [uc.reg_read(r) for r in (UC_ARM_REG_R0, UC_ARM_REG_R2, UC_ARM_REG_R3, UC_ARM_REG_R4)]


def word(b: int) -> int:
    return b & 0xFF | (b + 1 & 0xFF) << 8 | (b + 2 & 0xFF) << 16 | (b + 3 & 0xFF) << 24


def test_cpu_loads_mark_their_segment_and_see_the_ram():
    uc, mem, host = machine()
    w = ReadWatch(uc, BUF, BUF + 0x400, 2, lambda f: f(), host)
    assert w.remapped
    assert not w.was_read(0) and not w.was_read(1)
    uc.mem_read(BUF, 0x400)                         # the simulator's own read: not the CPU's
    assert not w.was_read(0) and not w.was_read(1)
    regs = run(uc, w, BUF + 0x210)                  # second segment
    assert regs == [word(0x10), word(0x14), word(0x18), 0x11]
    assert (w.was_read(0), w.was_read(1)) == (False, True)
    # the store went to the region's storage (what RAM scans and aliases read)
    assert bytes(mem[BUF - RAM + 0x230:BUF - RAM + 0x234]) == word(0x10).to_bytes(4, "little")
    w.clear(1)
    run(uc, w, BUF + 0x10)
    assert (w.was_read(0), w.was_read(1)) == (True, False)


def test_a_load_next_to_the_buffer_marks_nothing_and_closing_restores_ram():
    uc, mem, host = machine()
    w = ReadWatch(uc, BUF, BUF + 0x400, 2, lambda f: f(), host)
    regs = run(uc, w, BUF + 0x400)                  # same remapped page, past the buffer
    assert regs[0] == int.from_bytes(bytes(mem[BUF - RAM + 0x400:BUF - RAM + 0x404]), "little")
    assert not w.was_read(0) and not w.was_read(1)
    w.close()
    assert not w.remapped
    assert any(b <= BUF and BUF + 0x3FF <= e and p == UC_PROT_ALL
               for b, e, p in uc.mem_regions())
    mem[BUF - RAM] = 0x5A                           # still the same storage
    assert run(uc, w, BUF)[0] & 0xFF == 0x5A


def test_pages_another_watch_holds_fall_back_to_a_hook():
    uc, mem, host = machine()
    first = ReadWatch(uc, BUF, BUF + 0x400, 2, lambda f: f(), host)
    second = ReadWatch(uc, BUF + 0x200, BUF + 0x300, 1, lambda f: f(), host)
    assert first.remapped and not second.remapped
    run(uc, second, BUF + 0x210)
    assert second.was_read(0)
