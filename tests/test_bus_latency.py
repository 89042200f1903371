"""Data-side access time by memory kind, measured by firmware with DWT CYCCNT
(tests/firmware/bus_latency.c): eight loads of one address, minus the same eight from DTCM.

At the reset clock every clock is HSI (64 MHz): core, AXI/AHB and APB run at the same
frequency and the caches are off. ST publishes no per-bus latency for the H7, so the
expected figures are the documented model rules (docs/timing-model.md) worked out by hand
here, independently of the code that applies them (bus map, clock scaling, the charge at
the accessing instruction):
  peripheral register: 2 cycles of its bus + 2 AHB cycles of the bridge    = 4 per load
  uncached AXI SRAM:   1 access + 1 first beat + 2 interconnect (AXI)       = 4 per load
  uncached D2/D3 SRAM: the AXI figure + 2 AXI cycles of the AHB bridge      = 6 per load
A model whose peripheral latency is ten times too high, or whose D2/D3 bridge is six times
too slow, fails here."""

from __future__ import annotations

import pytest

from .conftest import build_c, run_results

EXTRA_PER_LOAD = {"GPIOD (AHB4)": 4, "USART3 (APB1)": 4, "AXI SRAM": 4, "SRAM1 (D2)": 6,
                  "SRAM4 (D3)": 6}


@pytest.fixture(scope="module")
def extra(tmp_path_factory):
    elf = build_c(tmp_path_factory.mktemp("bus"), "bus_latency.c")
    _m, _r, vals = run_results(elf, 8, max_cycles=10**8, dcache="exact")
    assert vals[7] == 1
    return {name: (vals[i + 1] - vals[0]) / 8 for i, name in enumerate(EXTRA_PER_LOAD)}


@pytest.mark.parametrize("kind", sorted(EXTRA_PER_LOAD))
def test_load_time_by_memory_kind_at_reset_clock(extra, kind):
    assert extra[kind] == EXTRA_PER_LOAD[kind]
