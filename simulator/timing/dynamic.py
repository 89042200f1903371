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
    # cache sizes are the chip's (platform [chip] icache_bytes / dcache_bytes: cache_sets);
    # ways and line size are the core's ([TRM] I-cache 2-way, D-cache 4-way, 32-byte lines)
    icache_ways: int = 2
    line_bytes: int = 32
    mispredict_penalty: int = 8          # [HW] branch mispredict 8 cycles; per branch (6 when
                                         # the flags were set early) from the static model's
                                         # mispredict_penalties, this one for code outside it
    predictor_entries: int = 1024        # chosen: 2-bit counters + last target per entry,
                                         # indexed by the branch address (M7 BTAC size is not
                                         # public)
    axi_interconnect_cycles: int = 2     # chosen: AXI matrix + flash interface handshake, in
                                         # AXI clock cycles, added to every line fill
    critical_word_beats: int = 1         # [TRM] critical word first: the core restarts after
                                         # the first 64-bit beat of the line
    sram_access_cycles: int = 1          # chosen: AXI SRAM / D2 SRAM read latency, AXI cycles
    flash_buffer_cycles: int = 1         # chosen: a flash read served by the bank's read data
                                         # buffer (RM0433 4.3.8: no flash read, so no LATENCY
                                         # wait states), AXI cycles: the AXI SRAM figure
    # D-cache ([TRM] 16 KB, 4-way, 32-byte lines -> 128 sets; write-back, write-allocate)
    dcache_ways: int = 4
    line_beats: int = 4                  # [TRM] 32-byte line over the 64-bit AXI: 4 beats
                                         # (the write-back of a dirty line)
    d2_d3_bridge_cycles: int = 2         # chosen: AXI -> AHB bridge into D2 / D3, AXI cycles
    uncached_store_cycles: int = 1       # chosen: a store to uncached SRAM leaves through the
                                         # store buffer, one AXI cycle of its bandwidth
    unaligned_penalty: int = 3           # [HW] unaligned word load: 3-4 extra cycles; chosen
                                         # the lower bound, for halfwords and stores too
    # sampled measurement (simulator/dcache.py), in active CPU cycles; chosen so that the
    # memory hook's slow path (2.7-9x) runs 1/16 of the time and each window outlasts a few
    # refills of the 512 lines
    dcache_sample_period: int = 1 << 25
    dcache_sample_window: int = 1 << 21
    dcache_sample_warmup: int = 1 << 18

    def cache_sets(self, cache_bytes: int, ways: int) -> int:
        """Sets of a cache of ``cache_bytes`` (a power of two) with this core's lines."""
        sets = cache_bytes // (ways * self.line_bytes)
        if sets <= 0 or sets & (sets - 1):
            raise ValueError(f"a {cache_bytes}-byte {ways}-way cache has no power-of-two set count")
        return sets

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

    def flash_buffer_hit_cycles(self, cpu_hz: float, axi_hz: float) -> int:
        """CPU cycles an instruction line fetch waits for when the flash bank's read data buffer
        already holds its flash word (RM0433 4.3.8): the buffer access, the first beat and the
        interconnect, without the LATENCY + 1 flash read."""
        ratio = max(cpu_hz / axi_hz, 1.0) if axi_hz else 1.0
        axi = self.flash_buffer_cycles + self.critical_word_beats + self.axi_interconnect_cycles
        return int(round(axi * ratio))

    def fetch_fill_cycles(self, flash_latency: int, cpu_hz: float,
                          axi_hz: float) -> dict[str, int]:
        """CPU cycles an instruction line fill waits for, by fetch path (platform
        Region.data_kind): flash, AXI SRAM, and D2 / D3 SRAM, which instruction fetches reach
        through the same AXI-to-AHB bridge as data (RM0433 Figure 1) and so pay its
        ``d2_d3_bridge_cycles`` too."""
        ratio = max(cpu_hz / axi_hz, 1.0) if axi_hz else 1.0
        sram = self.line_fill_cycles("sram", flash_latency, cpu_hz, axi_hz)
        bridged = sram + int(round(self.d2_d3_bridge_cycles * ratio))
        return {"flash": self.line_fill_cycles("flash", flash_latency, cpu_hz, axi_hz),
                "axi": sram, "d2": bridged, "d3": bridged}

    def data_costs(self, flash_latency: int, cpu_hz: float, axi_hz: float):
        """CPU cycles of data-side accesses by memory kind (simulator/native_layout.py MEM_*):
        (line fill, uncached read, uncached write, dirty line write-back, unaligned extra).

        A D-cache miss, like an I-cache miss, costs the first-word latency of
        :meth:`line_fill_cycles`: [TRM] the L1 caches fill critical word first and the core
        restarts with it; the rest of the line streams in behind (a loop reading the line
        faster than the 64-bit beats arrive would wait more: not modelled). An uncached read
        waits for its word; D2 / D3 SRAM add the bridge from the AXI matrix."""
        from ..native_layout import MEM_AXI, MEM_D2, MEM_D3, MEM_FLASH
        ratio = max(cpu_hz / axi_hz, 1.0) if axi_hz else 1.0
        by_path = self.fetch_fill_cycles(flash_latency, cpu_hz, axi_hz)
        first = {MEM_FLASH: by_path["flash"], MEM_AXI: by_path["axi"], MEM_D2: by_path["d2"],
                 MEM_D3: by_path["d3"]}
        fill = dict(first)
        write = {k: int(round(self.uncached_store_cycles * ratio)) for k in first}
        writeback = int(round(self.line_beats * ratio))
        return fill, dict(first), write, writeback, self.unaligned_penalty


# Peripheral buses by address, (start, end, bus clock name), are chip data: the platform
# file's [[peripheral_bus]] rows (Platform.peripheral_buses). The Cortex-M7 private peripheral
# bus (SCS, DWT at 0xE0000000) runs at the core clock.


@dataclass(frozen=True)
class PeripheralLatency:
    """CPU cycles a load or store to a peripheral register takes (it cannot be cached or
    buffered away). chosen: no public per-bus figure for the H7; 2 clock cycles of the
    peripheral's bus plus 2 AHB cycles for the bridge from the AXI matrix, rounded up to CPU
    cycles; the private peripheral bus (SCS, DWT) costs 1 CPU cycle."""

    bus_cycles: int = 2
    bridge_ahb_cycles: int = 2
    ppb_cycles: int = 1

    def cycles(self, address: int, clock_hz, core_hz: float,
               buses: tuple[tuple[int, int, str], ...] = ()) -> int:
        """``buses``: the platform's peripheral buses (start, end, clock name)."""
        if address >= 0xE0000000:
            return self.ppb_cycles
        hclk = clock_hz("hclk") or core_hz
        for start, end, bus in buses:
            if start <= address <= end:
                f = clock_hz(bus) or hclk
                return int(-(-self.bus_cycles * core_hz // f) - (-self.bridge_ahb_cycles * core_hz // hclk))
        return int(-(-self.bridge_ahb_cycles * core_hz // hclk))
