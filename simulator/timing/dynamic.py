"""Parameters of the dynamic part of the timing model, evaluated per block in the native hook:
the instruction cache with its line fills from flash or SRAM, and branch prediction.

Sources: shared/reference/cortex-m7-timing.md ([HW] hardware measurements, [TRM] Cortex-M7
TRM), shared/reference/stm32h743.md (flash wait states, memory map). "chosen" marks values
with no public figure.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class M7DynamicParams:
    icache_sets: int = 256               # [TRM] 16 KB, 2-way, 32-byte lines -> 256 sets
    icache_ways: int = 2
    line_bytes: int = 32
    mispredict_penalty: int = 8          # [HW] branch mispredict 8 cycles (6 when flags were
                                         # set early: not distinguished, chosen the common case)
    predictor_entries: int = 1024        # chosen: 2-bit counters + last target per entry,
                                         # indexed by the branch address (M7 BTAC size is not
                                         # public)
    axi_interconnect_cycles: int = 2     # chosen: AXI matrix + flash interface handshake, in
                                         # AXI clock cycles, added to every line fill
    critical_word_beats: int = 1         # [TRM] critical word first: the core restarts after
                                         # the first 64-bit beat of the line
    sram_access_cycles: int = 1          # chosen: AXI SRAM / D2 SRAM read latency, AXI cycles

    def line_fill_cycles(self, kind: str, flash_latency: int, cpu_hz: float, axi_hz: float) -> int:
        """CPU cycles the core waits for an instruction line from memory of ``kind``.

        Flash: LATENCY wait states + 1 access cycle (RM0433 4.3.8) + the first beat + the
        interconnect, in AXI clock cycles, scaled to CPU cycles by the CPU/AXI ratio."""
        ratio = max(cpu_hz / axi_hz, 1.0) if axi_hz else 1.0
        if kind == "flash":
            axi = flash_latency + 1 + self.critical_word_beats + self.axi_interconnect_cycles
        else:
            axi = self.sram_access_cycles + self.critical_word_beats + self.axi_interconnect_cycles
        return int(round(axi * ratio))
