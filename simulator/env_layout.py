"""Where one Unicorn engine keeps its Arm CPU state (QEMU's CPUARMState) in memory: the
address of ``env->condexec_bits`` (the IT state), for the virtual TLB's fill callback
(simulator/tlb_fill.py), which must put back the 0 QEMU keeps there inside a translated block.

Unicorn has no API for it. The layout is found by behaviour, once per libunicorn build (kept
in the on-disk cache, kind ``uc_layout``, keyed by the library file's path, size and time and
this file's source): a probe engine gets distinctive values in r0-r12; the live copy of its
CPU state is the block of memory that holds them (a CPU context, ``uc_context_save``, is a
byte copy of it) and changes when r0 is written; ``uc_struct.cpu`` is the word of the engine's
``uc_struct`` that points just below it; ``condexec_bits`` is the context word that takes an
IT value written through xPSR (ARMv7-M B1.4.2: IT[1:0] in bits 26:25, IT[7:2] in 15:10).
Every engine is checked the same way before its address is used (an r0 and an xPSR write,
undone); anything unexpected gives None and the caller keeps QEMU's own TLB fill.
"""

from __future__ import annotations

import ctypes
import functools
import struct

from unicorn.arm_const import UC_ARM_REG_R0, UC_ARM_REG_XPSR

from .native import uc_handle

_MAGIC = tuple(0x5EED0000 + 0x111 * i for i in range(13))
_IT = 0x18                      # cond 0001, mask 1000: one conditional instruction left
_SCAN_WORDS = 2048              # of uc_struct (16 KB: the structure is ~4 KB in 2.1.3)
_WINDOW = 0x40000               # how far past uc->cpu the CPU state may lie


def _readable() -> list[tuple[int, int]]:
    out = []
    with open("/proc/self/maps") as f:
        for line in f:
            addr, perms = line.split()[:2]
            if perms[0] == "r":
                lo, hi = (int(x, 16) for x in addr.split("-"))
                out.append((lo, hi))
    return out


def _xpsr_with_it(xpsr: int, it: int) -> int:
    return (xpsr & ~((3 << 25) | (0x3F << 10))) | ((it & 3) << 25) | ((it >> 2) << 10)


def _check(uc, env: int, condexec_offset: int) -> bool:
    """Is ``env`` this engine's live CPU state, with the IT state at ``condexec_offset``?"""
    r0 = uc.reg_read(UC_ARM_REG_R0)
    xpsr = uc.reg_read(UC_ARM_REG_XPSR)
    try:
        uc.reg_write(UC_ARM_REG_R0, 0x0BADF00D)
        ok = ctypes.c_uint32.from_address(env).value == 0x0BADF00D
        uc.reg_write(UC_ARM_REG_XPSR, _xpsr_with_it(xpsr, _IT))
        ok = ok and ctypes.c_uint32.from_address(env + condexec_offset).value == _IT
    finally:
        uc.reg_write(UC_ARM_REG_XPSR, xpsr)
        uc.reg_write(UC_ARM_REG_R0, r0)
    return ok and ctypes.c_uint32.from_address(env + condexec_offset).value == (xpsr >> 8 & 0xFC
                                                                              | xpsr >> 25 & 3)


def _probe(uc) -> tuple[int, int, int] | None:
    """(offset of uc->cpu in uc_struct, of the CPU state from it, of condexec_bits in it),
    found on ``uc`` (its registers are restored)."""
    saved = [uc.reg_read(UC_ARM_REG_R0 + i) for i in range(13)]
    try:
        for i, v in enumerate(_MAGIC):
            uc.reg_write(UC_ARM_REG_R0 + i, v)
        before = bytes(uc.context_save())
        head = before.find(struct.pack("<13I", *_MAGIC))
        if head < 0:
            return None
        state = before[head:head + 512]
        xpsr = uc.reg_read(UC_ARM_REG_XPSR)
        uc.reg_write(UC_ARM_REG_XPSR, _xpsr_with_it(xpsr, _IT))
        after = bytes(uc.context_save())
        uc.reg_write(UC_ARM_REG_XPSR, xpsr)
        cx = [o - head for o in range(head, len(before) - 3, 4)
              if struct.unpack_from("<I", before, o)[0] == 0
              and struct.unpack_from("<I", after, o)[0] == _IT]
        if len(cx) != 1:
            return None
        readable = _readable()
        base = uc_handle(uc)
        words = (ctypes.c_uint64 * _SCAN_WORDS).from_address(base)
        found = []
        for k, w in enumerate(words):
            if not any(lo <= w and w + _WINDOW <= hi for lo, hi in readable):
                continue
            at = ctypes.string_at(w, _WINDOW).find(state)
            if at >= 0 and _check(uc, w + at, cx[0]):
                found.append((k * 8, at))
        if not found:
            return None
        cpu_offset, env_offset = min(found, key=lambda f: f[1])
        return cpu_offset, env_offset, cx[0]
    finally:
        for i, v in enumerate(saved):
            uc.reg_write(UC_ARM_REG_R0 + i, v)


@functools.lru_cache(maxsize=1)
def _cached_layout_key() -> str | None:
    from . import cache
    return cache.unicorn_layout_key("env_layout.py")


def condexec_address(uc) -> int | None:
    """The address of this engine's ``env->condexec_bits``, checked; None if not found."""
    from . import cache
    key = _cached_layout_key()
    layout = cache.load("uc_layout", key) if key is not None else None
    for attempt in range(2):
        if isinstance(layout, tuple) and len(layout) == 3:
            cpu_offset, env_offset, cx = layout
            cpu = ctypes.c_uint64.from_address(uc_handle(uc) + cpu_offset).value
            if cpu and _check(uc, cpu + env_offset, cx):
                return cpu + env_offset + cx
        if attempt == 0:
            try:
                layout = _probe(uc)
            except Exception:  # noqa: BLE001  no /proc/self/maps, an unexpected layout...
                return None
            if layout is not None and key is not None:
                cache.store("uc_layout", key, layout)
    return None
