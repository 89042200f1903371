"""DMAMUX1 of the STM32H743 (RM0433 Rev 8, section 17): routes DMA request lines to streams.

Channel ``x`` of DMAMUX1 feeds DMA1 stream ``x`` (x = 0..7) and DMA2 stream ``x - 8``
(x = 8..15) (RM0433 17.3). A stream asks :meth:`DMAMUX.source_for` which request source drives
its request line: the platform parameter ``requests`` maps a request id (RM0433 Table 121) to
"PERIPHERAL.PORT" (the port a model's ``dma_port`` knows: SAI "A"/"B", timer "UP"/"CC1"...),
resolved to the source objects once, when the platform is wired (:meth:`connected`); a
``[wiring]`` signal ``"BLOCK.output -> DMAMUX1.request@N"`` wires one as well.
Request generators and synchronisation are declared but not modelled (their use is logged).
"""

from __future__ import annotations

from .base import RO, WO, Field, Peripheral, Register
from .ports import DmaRequester

N_CHANNELS = 16     # RM0433 17.3: 16 channels, 0-7 to DMA1, 8-15 to DMA2
N_GENERATORS = 8

_CXCR = (
    Field("DMAREQ_ID", 0, 7), Field("SOIE", 8), Field("EGE", 9), Field("SE", 16),
    Field("SPOL", 17, 2), Field("NBREQ", 19, 5), Field("SYNC_ID", 24, 3),
)
_RGXCR = (
    Field("SIG_ID", 0, 3), Field("OIE", 8), Field("GE", 16), Field("GPOL", 17, 2),
    Field("GNBREQ", 19, 5),
)


class DMAMUX(Peripheral):
    """Request router: a table lookup for the DMA streams, plus the register file."""

    registers = (
        # 17.6 DMAMUX1_CxCR, x = 0..15, reset 0.
        *(Register(f"C{x}CR", 0x04 * x, _CXCR) for x in range(N_CHANNELS)),
        # 17.6 DMAMUX1_CSR (synchronisation overrun flags) / CFR (their clear).
        Register("CSR", 0x80, tuple(Field(f"SOF{x}", x, access=RO)
                                    for x in range(N_CHANNELS))),
        Register("CFR", 0x84, tuple(Field(f"CSOF{x}", x, access=WO)
                                    for x in range(N_CHANNELS))),
        # 17.6 request generators.
        *(Register(f"RG{x}CR", 0x100 + 0x04 * x, _RGXCR) for x in range(N_GENERATORS)),
        Register("RGSR", 0x140, tuple(Field(f"OF{x}", x, access=RO)
                                      for x in range(N_GENERATORS))),
        Register("RGCFR", 0x144, tuple(Field(f"COF{x}", x, access=WO)
                                       for x in range(N_GENERATORS))),
    )

    inputs = ("request",)     # request line N <- a request source (platform [wiring] signals)

    def __init__(self, name: str, base: int, size: int, ctx, **params: object) -> None:
        table = params.get("requests") or {}
        assert isinstance(table, dict)
        # request id -> (peripheral, port), from the platform file
        self.requests: dict[int, tuple[str, str]] = {
            int(k): tuple(str(v).split(".", 1)) for k, v in table.items()}  # type: ignore[misc]
        self.sources: dict[int, object] = {}           # request id -> source (wired)
        super().__init__(name, base, size, ctx, **params)
        for x in range(N_CHANNELS):
            self._write_hooks[0x04 * x] = lambda old, new, x=x: self._channel_written(x, new)
        for x in range(N_GENERATORS):
            self._write_hooks[0x100 + 0x04 * x] = \
                lambda old, new, x=x: self._generator_written(x, new)

    @staticmethod
    def channel_of(dma: str, stream: int) -> int:
        """DMAMUX1 channel that feeds ``dma`` (DMA1/DMA2) stream ``stream``."""
        return stream + (8 if dma == "DMA2" else 0)

    def request_id(self, dma: str, stream: int) -> int:
        return self.get_field(f"C{self.channel_of(dma, stream)}CR", "DMAREQ_ID")

    def connected(self, find) -> None:
        """Resolve the ``requests`` table: each PERIPHERAL must be a DmaRequester (a model
        with ``dma_port(port)``), checked once here."""
        for rid, (block, port) in self.requests.items():
            source = find(block, DmaRequester)
            if source is not None:
                self.sources[rid] = source.dma_port(port)

    def input_request(self, request_id: int, source: object) -> None:
        """Wire request line ``request_id`` to ``source`` (a block's DMA request output)."""
        self.sources[request_id] = source

    def source_for(self, dma: str, stream: int) -> object | None:
        """The request source whose request drives ``dma`` stream ``stream``, or None."""
        rid = self.request_id(dma, stream)
        if rid == 0:
            return None
        src = self.sources.get(rid)
        if src is None:
            self.warn_once(f"{self.name}: request id {rid} routed to {dma} stream {stream} has no "
                           "modelled source; the stream will never be requested")
        return src

    def _channel_written(self, x: int, new: int) -> None:
        if new & ((1 << 16) | (1 << 9)):
            self.warn_once(f"{self.name}: C{x}CR synchronisation / event generation (SE/EGE) is "
                           "not modelled; requests pass straight through")

    def _generator_written(self, x: int, new: int) -> None:
        if new & (1 << 16):
            self.warn_once(f"{self.name}: request generator {x} (RG{x}CR.GE) is not modelled")



MODEL = DMAMUX
