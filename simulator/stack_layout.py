"""Where the main stack and the heap are, from what the firmware really does.

The initial SP comes from the vector table (what the core loads at reset); the layouts
firmware ships with say the rest:

- CubeIDE (STM32CubeIDE's generated ``*_FLASH.ld``): ``_estack`` at the top of a RAM, the
  initial SP; ``._user_heap_stack`` right after ``.bss`` is only a size check
  (``end`` + ``_Min_Heap_Size`` + ``_Min_Stack_Size`` must fit); the heap grows from ``end``
  (CubeIDE's ``_sbrk`` stops at ``_estack - _Min_Stack_Size``) and the stack down from
  ``_estack``: both live in the gap between ``.bss`` and the top of the RAM.
- CMSIS ``gcc_arm.ld``: ``.heap`` (``__HeapBase``/``end``..``__HeapLimit``) holds the heap;
  ``.stack_dummy`` is a size check placed after it; the stack is ``__StackLimit`` ..
  ``__StackTop`` (= ``__stack``, the initial SP) at the top of the RAM.
- Zephyr-like: the initial SP is the top of a stack object (``z_main_stack``,
  ``z_interrupt_stacks``): the object holding the word below the initial SP is the stack.
- This project (firmware/common/h743.ld): ``.stack`` with the initial SP at its end; ``.heap``.

Sections named for a stack are used only if they really end at the initial SP, so a size
reservation is never taken for the stack.
"""

from __future__ import annotations

from dataclasses import dataclass

from .elf import Firmware
from .platform import Platform

STACK_SECTIONS = (".stack", ".stack_main", ".main_stack")
SIZE_CHECK_SECTIONS = ("._user_heap_stack", ".stack_dummy")   # reservations, not areas
HEAP_SECTIONS = (".heap",)
HEAP_START_SYMBOLS = ("__HeapBase", "__heap_start", "__heap_start__", "__end__", "_end", "end")
HEAP_END_SYMBOLS = ("__HeapLimit", "__heap_end", "__heap_end__", "_heap_end")


@dataclass
class Area:
    region: str
    start: int        # absolute addresses, [start, end)
    end: int
    source: str       # how the area was found
    reserved: int | None = None   # the size the linker script reserves, when it says one


def _sym(fw: Firmware, *names: str) -> int | None:
    for n in names:
        s = fw.symbol(n)
        if s is not None:
            return s.addr
    return None


def find_stack(fw: Firmware, platform: Platform, initial_sp: int) -> Area | None:
    r = platform.region_at(initial_sp - 4, 4)
    if r is None or not r.ram:
        return None
    top = initial_sp
    reserved = _sym(fw, "_Min_Stack_Size", "__stack_size", "__STACK_SIZE")
    for s in fw.sections:
        if s.name in STACK_SECTIONS and s.size and s.addr < top <= s.end:
            return Area(r.name, s.addr, top, f"section {s.name}", s.end - s.addr)
    limit = _sym(fw, "__StackLimit", "__stack_start", "_sstack", "__stack_limit")
    if limit is not None and r.base <= limit < top:
        return Area(r.name, limit, top, "symbols __StackLimit..initial SP (vector table)",
                    top - limit)
    for sym in fw.symbols.values():
        if sym.kind == "OBJECT" and sym.size >= 64 and sym.addr < top <= sym.addr + sym.size:
            return Area(r.name, sym.addr, top, f"object {sym.name} (holds the initial SP)",
                        sym.size)
    # the gap from the last section (or the heap start) below the initial SP up to it
    bottom = r.base
    for s in fw.sections:
        if s.alloc and s.size and r.contains(s.addr, s.size) and s.end <= top \
                and s.name not in SIZE_CHECK_SECTIONS and s.name not in HEAP_SECTIONS:
            bottom = max(bottom, s.end)
    for s in fw.sections:       # a size-check section: the heap/stack gap starts where it does
        if s.name in SIZE_CHECK_SECTIONS and r.contains(s.addr, max(s.size, 1)) \
                and s.addr < top:
            bottom = max(bottom, s.addr)
    source = "initial SP (vector table) down to the last section below it"
    if any(s.name == "._user_heap_stack" for s in fw.sections):
        source = "initial SP (_estack) down to end (CubeIDE layout: heap and stack share it)"
    return Area(r.name, bottom, top, source, reserved)


def find_heap(fw: Firmware, platform: Platform, stack: Area | None) -> Area | None:
    for s in fw.sections:
        if s.name in HEAP_SECTIONS and s.size:
            r = platform.region_at(s.addr, s.size)
            if r is not None:
                return Area(r.name, s.addr, s.end, f"section {s.name}", s.size)
    start = _sym(fw, *HEAP_START_SYMBOLS)
    if start is None:
        return None
    stop = _sym(fw, *HEAP_END_SYMBOLS)
    reserved = _sym(fw, "_Min_Heap_Size", "__heap_min_size", "__HEAP_SIZE")
    source = "symbols end..__HeapLimit"
    if stop is None or stop <= start:
        min_stack = _sym(fw, "_Min_Stack_Size")
        estack = _sym(fw, "_estack")
        if estack is not None and min_stack is not None:      # CubeIDE sysmem.c _sbrk limit
            stop, source = estack - min_stack, "end .. _estack - _Min_Stack_Size (CubeIDE _sbrk)"
        elif stack is not None and stack.start <= start < stack.end:
            stop, source = stack.end, "end .. the stack (heap and stack share the gap)"
        else:
            r = platform.region_at(start)
            stop = r.end if r is not None else None
            source = "end .. the end of its RAM"
    if stop is None or stop <= start:
        return None
    r = platform.region_at(start, stop - start)
    if r is None:
        return None
    return Area(r.name, start, stop, source, reserved)


def shares_gap(stack: Area | None, heap: Area | None) -> bool:
    """Heap and stack grow towards each other in one free stretch (CubeIDE, newlib default)."""
    return (stack is not None and heap is not None and stack.region == heap.region
            and heap.start < stack.end and stack.start < heap.end)
