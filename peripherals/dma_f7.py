"""DMA1/DMA2 of the STM32F746 (RM0385 Rev 8, section 8): the H743's DMA model (dma.py: the same
8 streams, flag registers and stream registers) with the F7's request selection. There is no
DMAMUX: each stream picks one of its 8 request channels with SxCR.CHSEL (bits 27:25, RM0385
8.5.5), and which peripheral request sits on channel c of stream s is fixed by the chip
(RM0385 Table 26 "DMA1 request mapping", Table 27 "DMA2 request mapping"). The platform gives
that table as ``requests = { "S<s>C<c>" = "PERIPHERAL.PORT" }`` (the port a model's
``dma_port`` knows: a timer's "UP"/"CC1"...), resolved once when the machine is wired; the
controller is its own request router. A stream enabled on a channel the table leaves out is
logged once and never requested (as an unrouted DMAMUX request id on the H743)."""

from __future__ import annotations

import re

from .dma import CR, DMA, _dma_registers
from .ports import DmaRequester

_KEY = re.compile(r"S([0-7])C([0-7])$")


class DMA_F7(DMA):
    """DMA1 or DMA2 of the F7: streams select their request by CHSEL."""

    # RM0385 8.5: the H7's layout; SxCR selects the request with CHSEL (8.5.5)
    registers = _dma_registers(chsel=True)

    def __init__(self, name: str, base: int, size: int, ctx, **params: object) -> None:
        table = params.get("requests") or {}
        assert isinstance(table, dict)
        # (stream, channel) -> (peripheral, port), from the platform file
        self.requests: dict[tuple[int, int], tuple[str, str]] = {}
        for key, target in table.items():
            m = _KEY.match(str(key))
            if m is None or "." not in str(target):
                raise ValueError(f"{name}: requests entry {key!r} = {target!r}: expected "
                                 '"S<stream>C<channel>" = "PERIPHERAL.PORT"')
            block, port = str(target).split(".", 1)
            self.requests[(int(m.group(1)), int(m.group(2)))] = (block, port)
        self.sources: dict[tuple[int, int], object] = {}     # resolved when wired
        super().__init__(name, base, size, ctx, **params)

    def connected(self, find) -> None:
        """Resolve the ``requests`` table (each PERIPHERAL must be a DmaRequester) and route
        this controller's requests through itself."""
        for key, (block, port) in self.requests.items():
            source = find(block, DmaRequester)
            if source is not None:
                self.sources[key] = source.dma_port(port)
        self.mux = self

    def source_for(self, dma: str, stream: int) -> object | None:
        """The request source on the channel stream ``stream`` selects (SxCR.CHSEL)."""
        channel = self.values[self.streams[stream].base + CR] >> 25 & 7
        source = self.sources.get((stream, channel))
        if source is None:
            self.warn_once(f"{self.name}: stream {stream} channel {channel} has no modelled "
                           "request source (platform requests table); it will never be "
                           "requested")
        return source


MODEL = DMA_F7
