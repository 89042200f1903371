"""RTOS awareness: FreeRTOS tasks and heap, read from target memory after the run.

FreeRTOS is found by its symbols (``pxCurrentTCB``, ``pxReadyTasksLists``); tasks by walking
its task lists as a debugger does (ready lists of every priority, the delayed, pending-ready,
suspended and waiting-termination lists). Layouts are FreeRTOS V10/V11's for a single core
without MPU wrappers: List_t is 20 bytes (uxNumberOfItems, pxIndex, xListEnd{xItemValue,
pxNext, pxPrevious}), a ListItem_t's pvOwner is at +12, and a TCB_t holds pxTopOfStack at 0,
pxStack at 48 and pcTaskName at 52 (tasks.c). A TCB that does not look like one (pxStack
outside RAM or above pxTopOfStack, unprintable name) makes the walk give up: nothing is
reported rather than something wrong.

Each task's stack high-water mark is what uxTaskGetStackHighWaterMark computes: the words
from pxStack upwards still holding the fill byte 0xA5 (tskSTACK_FILL_BYTE; FreeRTOS fills new
stacks with it when configCHECK_FOR_STACK_OVERFLOW > 1, configUSE_TRACE_FACILITY or
INCLUDE_uxTaskGetStackHighWaterMark is set). A task stack from heap_4/heap_5 carries the
block header (BlockLink_t: next, size with the top bit set when allocated) just below it,
which gives the stack size. The heap figures are heap_4/heap_5's own counters
(xFreeBytesRemaining, xMinimumEverFreeBytesRemaining) and the size of ``ucHeap``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from .elf import Firmware

STACK_FILL = 0xA5A5A5A5                 # tskSTACK_FILL_BYTE repeated
LIST_BYTES = 20
TCB_PX_STACK, TCB_NAME, NAME_LEN = 48, 52, 16
ALLOCATED_BIT = 0x80000000              # heap_4 heapBLOCK_ALLOCATED_BITMASK (32-bit size_t)
HEAP_HEADER = 8                         # heap_4 xHeapStructSize (BlockLink_t, 8-byte aligned)
TASK_LISTS = ("xDelayedTaskList1", "xDelayedTaskList2", "xPendingReadyList",
              "xSuspendedTaskList", "xTasksWaitingTermination")


def freertos_report(fw: Firmware, read: Callable[[int, int], bytes],
                    is_ram: Callable[[int], bool]) -> dict[str, Any] | None:
    """Tasks (name, stack, high-water mark) and heap of a FreeRTOS firmware, None if the
    firmware is not FreeRTOS-based."""
    cur, ready = fw.symbol("pxCurrentTCB"), fw.symbol("pxReadyTasksLists")
    if cur is None or ready is None:
        return None

    def r32(addr: int) -> int:
        return struct.unpack("<I", read(addr, 4))[0]

    out: dict[str, Any] = {"kernel": "FreeRTOS", "tasks": [], "heap": None}
    lists = [ready.addr + LIST_BYTES * i for i in range(max(ready.size // LIST_BYTES, 1))]
    lists += [s.addr for n in TASK_LISTS if (s := fw.symbol(n)) is not None]
    tcbs: list[int] = []
    try:
        current = r32(cur.addr)
        for lst in lists:
            end = lst + 8                                  # &xListEnd
            item = r32(end + 4)                            # xListEnd.pxNext
            for _ in range(256):
                if item == end or not is_ram(item):
                    break
                owner = r32(item + 12)
                if owner not in tcbs:
                    tcbs.append(owner)
                item = r32(item + 4)
        if current and current not in tcbs:
            tcbs.append(current)
        for tcb in tcbs:
            task = _task(tcb, r32, read, is_ram)
            if task is None:
                out["tasks"] = []
                out["note"] = (f"TCB at {tcb:#010x} does not have FreeRTOS V10/V11's layout "
                               "(single core, no MPU): tasks not reported")
                break
            task["running"] = tcb == current
            out["tasks"].append(task)
    except Exception as exc:  # noqa: BLE001 - unreadable memory (UcError): report what is known
        out["note"] = f"task lists not readable ({type(exc).__name__})"
    heap = fw.symbol("ucHeap")
    free, low = fw.symbol("xFreeBytesRemaining"), fw.symbol("xMinimumEverFreeBytesRemaining")
    if free is not None and low is not None:
        out["heap"] = {"total_bytes": heap.size if heap is not None else None,
                       "free_bytes": r32(free.addr),
                       "minimum_ever_free_bytes": r32(low.addr)}
    return out


def _task(tcb: int, r32, read, is_ram) -> dict[str, Any] | None:
    if not is_ram(tcb):
        return None
    top, stack = r32(tcb), r32(tcb + TCB_PX_STACK)
    raw = read(tcb + TCB_NAME, NAME_LEN).split(b"\0", 1)[0]
    if not is_ram(stack) or stack > top or not all(32 <= b < 127 for b in raw):
        return None
    size = None
    header = r32(stack - 4) if is_ram(stack - 4) else 0
    if header & ALLOCATED_BIT:
        block = header & ~ALLOCATED_BIT
        if HEAP_HEADER < block < 1 << 24 and top < stack + block:
            size = block - HEAP_HEADER
    filled = r32(stack) == STACK_FILL
    free_words = 0
    if filled:
        limit = (top - stack) // 4
        while free_words < limit and r32(stack + 4 * free_words) == STACK_FILL:
            free_words += 1
    return {"name": raw.decode("ascii"), "tcb": tcb, "stack_start": stack,
            "stack_bytes": size, "top_of_stack": top,
            "high_water_mark_bytes": 4 * free_words if filled else None,
            "used_peak_bytes": (size - 4 * free_words) if filled and size else None}
