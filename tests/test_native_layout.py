"""The native state layout: named, auto-numbered, unique slots; no raw index elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulator import dcache, native, native_layout
from simulator.native_layout import _Allocator

ROOT = Path(__file__).resolve().parent.parent


def test_slots_and_columns_are_unique_and_inside_the_array():
    slots = native_layout._slot.index
    assert len(set(slots.values())) == len(slots)
    assert max(slots.values()) < native_layout.STATE_SIZE
    cols = native_layout._col.index
    assert sorted(cols.values()) == list(range(native_layout.REGION_STRIDE))
    end = native_layout.REGION_TABLE + native_layout.REGION_STRIDE * native_layout.MAX_REGIONS
    assert native_layout.REGION_CYCLES == end           # the table does not overlap its neighbour


def test_a_name_declared_twice_or_bound_to_another_index_is_refused():
    a = _Allocator("slot")
    first = a("X", "x")
    with pytest.raises(ValueError, match="declared twice"):
        a("X", "again")
    b = a("Y", "y")
    with pytest.raises(ValueError, match="not bound"):
        a.verify({"X": b, "Y": first})


def test_compiled_modules_were_written_for_this_layout():
    # numba's cache would keep reading the old slot numbers otherwise
    assert native._LAYOUT == dcache._LAYOUT == native_layout.FINGERPRINT
    with pytest.raises(ImportError, match="_LAYOUT"):
        native_layout.check("stale", "x.py")


def test_no_raw_state_index_outside_the_native_layer():
    native_layer = {"native.py", "native_layout.py", "dcache.py"}
    offenders = []
    for path in [*(ROOT / "simulator").rglob("*.py"), *(ROOT / "peripherals").rglob("*.py")]:
        if path.name in native_layer:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"counter\.state\[\d|\bst\[\d", line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}")
    assert offenders == []


def test_data_side_memory_kinds_come_from_the_platform_regions():
    from simulator.dcache import memory_map
    from simulator.native_layout import MEM_AXI, MEM_D2, MEM_D3, MEM_FLASH
    from simulator.platform import load_platform

    rows = {(int(b), int(e)): int(k) for b, e, k in memory_map(load_platform())}
    # RM0433 Figure 1 / Table 7: flash and AXI SRAM on the D1 AXI matrix, SRAM1-3 in D2,
    # SRAM4 and backup SRAM in D3, the TCMs on the core's own ports (not in the map)
    assert rows[(0x08000000, 0x08200000)] == MEM_FLASH
    assert rows[(0x1FF00000, 0x1FF20000)] == MEM_FLASH          # system memory (boot ROM)
    assert rows[(0x24000000, 0x24080000)] == MEM_AXI
    assert rows[(0x30000000, 0x30020000)] == MEM_D2             # SRAM1
    assert rows[(0x30040000, 0x30048000)] == MEM_D2             # SRAM3
    assert rows[(0x10000000, 0x10048000)] == MEM_D2             # SRAM1-3 alias
    assert rows[(0x38000000, 0x38010000)] == MEM_D3             # SRAM4
    assert rows[(0x38800000, 0x38801000)] == MEM_D3             # backup SRAM
    assert not any(b < 0x00010000 or 0x20000000 <= b < 0x20020000 for b, _ in rows)


@pytest.mark.parametrize("chip", ["stm32h743", "stm32f746"])
def test_the_memory_kind_page_table_answers_what_the_rows_answer(chip):
    """dcache.memory_kind looks a 64 KB page's kind up before searching the rows: a page
    holding two kinds (e.g. the H743's 4 KB backup SRAM at 0x38800000, RM0433 Table 7, next
    to unmapped space) must send the lookup to the rows, so that both ways agree at every row
    boundary (checked here the way memory_kind reads the table)."""
    from simulator.dcache import KIND_PAGE_SHIFT, KIND_PAGES, kind_pages, memory_map
    from simulator.native_layout import MEM_AXI
    from simulator.platform import load_platform

    rows = memory_map(load_platform(chip))
    pages = kind_pages(rows)

    def by_rows(a: int) -> int:
        return next((int(k) for b, e, k in rows if b <= a < e), 0)

    def by_table(a: int) -> int:
        p = a >> KIND_PAGE_SHIFT
        return int(pages[p]) if p < KIND_PAGES and pages[p] >= 0 else by_rows(a)

    probes = {0x20000000, 0x2001FFFC}       # DTCM: never cached, not in the rows (kind 0)
    for b, e, _ in rows:
        for edge in (int(b), int(e)):
            probes.update(edge + d for d in (-4, -1, 0, 1, 4))
            page = edge >> KIND_PAGE_SHIFT << KIND_PAGE_SHIFT
            probes.update((page, page + (1 << KIND_PAGE_SHIFT) - 1))
    probes = {a for a in probes if 0 <= a < KIND_PAGES << KIND_PAGE_SHIFT}
    assert [a for a in sorted(probes) if by_table(a) != by_rows(a)] == []
    assert by_table(0x20000000) == 0
    if chip == "stm32h743":
        assert pages[0x38800000 >> KIND_PAGE_SHIFT] == -1          # backup SRAM: mixed page
        assert pages[0x24000000 >> KIND_PAGE_SHIFT] == MEM_AXI     # AXI SRAM: whole pages
