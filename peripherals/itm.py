"""ITM, the instrumentation trace macrocell (ARMv7-M ARM C1.7; Cortex-M7 TRM): printf over SWO.

CMSIS's ITM_SendChar checks ITM_TCR.ITMENA and ITM_TER bit 0, waits until stimulus port 0
reads FIFOREADY, then writes the character to the port. Here a port always reads FIFOREADY
(bit 0 = 1); a write to stimulus port n with DEMCR.TRCENA, ITM_TCR.ITMENA and ITM_TER bit n
set is traced: port 0's bytes go to the host console (the "ITM" console, as a debugger's SWO
viewer shows port 0's text) and every port's to ``packets``, the ITM packet stream a SWO
capture holds
(`--swo FILE`): per write an instrumentation packet, header (port << 3) | size code (1 byte:
01, 2 bytes: 10, 4 bytes: 11) then the payload, little-endian (ARMv7-M ARM D4.2.8). The TPIU
(formatter, SWO baud rate) is the debug probe's business and is not modelled.
"""

from __future__ import annotations

from collections.abc import Callable

from .base import RO, Field, Peripheral, Register

_SIZE_CODE = {1: 1, 2: 2, 4: 3}


class ITM(Peripheral):
    registers = (
        *(Register(f"STIM{n}", 4 * n) for n in range(32)),
        Register("TER", 0xE00),
        Register("TPR", 0xE40, (Field("PRIVMASK", 0, 4),)),
        Register("TCR", 0xE80, (Field("ITMENA", 0), Field("TSENA", 1), Field("SYNCENA", 2),
                                Field("TXENA", 3), Field("SWOENA", 4),
                                Field("TSPrescale", 8, 2), Field("GTSFREQ", 10, 2),
                                Field("TraceBusID", 16, 7), Field("BUSY", 23, access=RO))),
        Register("LAR", 0xFB0),
        Register("LSR", 0xFB4, (Field("Present", 0, access=RO, reset=1),
                                Field("Access", 1, access=RO))),
    )
    bus_clock = "cpu"

    def __init__(self, name: str, base: int, size: int, ctx, **params: object) -> None:
        self._host: list[Callable[[int], None]] = []
        self.packets = bytearray()
        super().__init__(name, base, size, ctx, **params)
        for n in range(32):
            self._read_hooks[4 * n] = lambda value: 1          # FIFOREADY
            self._write_hooks[4 * n] = lambda old, new, n=n: None
        self._last_write: tuple[int, int, int] | None = None

    def attach_host(self, tx: Callable[[int], None]) -> None:
        """Register a receiver for every byte written to an enabled stimulus port."""
        self._host.append(tx)

    def _tracing(self, port: int) -> bool:
        trcena = self.debug is None or self.debug.trcena
        return trcena and bool(self.reg("TCR") & 1) and bool(self.reg("TER") >> port & 1)

    def write(self, offset: int, size: int, value: int) -> None:
        if offset < 0x80:
            port = offset // 4
            if self._tracing(port):
                data = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
                self.packets.append(port << 3 | _SIZE_CODE.get(size, 3))
                self.packets += data
                if port == 0:                 # the text channel (ITM_SendChar)
                    for byte in data:
                        for tx in self._host:
                            tx(byte)
            return
        super().write(offset, size, value)


MODEL = ITM
