"""USART/UART of the STM32H743 (RM0433 Rev 8, section 48): USART1/2/3/6 and UART4/5/7/8.

Byte-level model with real line timing. A character lasts (1 start + data + stop) bit times,
the bit time coming from the kernel clock (RCC CCIPR selection), PRESC, BRR and OVER8; all
timing is in core cycles at the core frequency of the moment the character starts.

Transmit: TDR (or the 16-deep TX FIFO when CR1.FIFOEN) feeds a shift register; a byte moves
into the shift register as soon as it is free, so TXE/TXFNF drops only while TDR/FIFO is full,
and TC rises when the last character's stop bit ends. The host sees each accepted byte at the
TDR write (``attach_host``), as the platform contract asks.

Receive: ``feed_rx`` queues host bytes; one arrives per character time into RDR (or the RX
FIFO), setting RXNE/RXFNE. A byte that finds RDR (FIFO) full is lost and sets ORE (unless
CR3.OVRDIS), counted in ``overruns``. The host queue waits while the receiver is disabled.

The interrupt line is the OR of the enabled flags, recomputed after every change.
"""

from __future__ import annotations

from collections import deque
from typing import Callable

from .base import RO, WO, Field, Peripheral, Register

FIFO_DEPTH = 16                                             # RM0433 48.4.5


def _stored(name: str, lsb: int, width: int = 1) -> Field:
    """A field the model stores without an effect (``modelled=False``)."""
    return Field(name, lsb, width, modelled=False)

_PRESC = (1, 2, 4, 6, 8, 10, 12, 16, 32, 64, 128, 256)     # PRESC.PRESCALER (48.7.14)
_STOP_BITS = (1.0, 0.5, 2.0, 1.5)                          # CR2.STOP
_FIFO_THRESHOLD = (1 / 8, 1 / 4, 1 / 2, 3 / 4, 7 / 8, 1.0)  # CR3.RXFTCFG / TXFTCFG

# ISR bit positions (48.7.10)
PE, FE, NE, ORE, IDLE, RXNE, TC, TXE = 0, 1, 2, 3, 4, 5, 6, 7
LBDF, CTSIF, CTS, RTOF, EOBF, UDR, BUSY, CMF = 8, 9, 10, 11, 12, 13, 16, 17
WUF, TEACK, REACK, TXFE, RXFF, TCBGT, RXFT, TXFT = 20, 21, 22, 23, 24, 25, 26, 27
# ICR bit -> ISR bit it clears (48.7.11)
_ICR_CLEARS = {0: PE, 1: FE, 2: NE, 3: ORE, 4: IDLE, 6: TC, 7: TCBGT, 8: LBDF, 9: CTSIF,
               11: RTOF, 12: EOBF, 13: UDR, 17: CMF, 20: WUF}
# Flags computed from the model state at every update (the rest are sticky events).
_DERIVED = (1 << TXE) | (1 << RXNE) | (1 << BUSY) | (1 << TEACK) | (1 << REACK) | \
    (1 << TXFE) | (1 << RXFF) | (1 << RXFT) | (1 << TXFT)


class USART(Peripheral):
    """USART with TX/RX timing, FIFOs, overrun and interrupt line."""

    registers = (
        # modelled=False (stored, a changing write is logged and counted in unmodelled_fields):
        # synchronous/LIN/IrDA/smartcard/RS-485 modes, auto baud, inversion, swap, address and
        # receiver-timeout matching, flow control, one-bit sampling, and DMA requests (DMAR/DMAT:
        # no DMA request is modelled for the USART).
        # 48.7.1/48.7.2 USART_CR1 (FIFO enabled / disabled views share the bits), reset 0.
        Register("CR1", 0x00, (
            Field("UE", 0), _stored("UESM", 1), Field("RE", 2), Field("TE", 3), Field("IDLEIE", 4),
            Field("RXNEIE", 5), Field("TCIE", 6), Field("TXEIE", 7), Field("PEIE", 8),
            Field("PS", 9), Field("PCE", 10), _stored("WAKE", 11), Field("M0", 12),
            _stored("MME", 13), Field("CMIE", 14), Field("OVER8", 15), _stored("DEDT", 16, 5),
            _stored("DEAT", 21, 5), Field("RTOIE", 26), Field("EOBIE", 27), Field("M1", 28),
            Field("FIFOEN", 29), Field("TXFEIE", 30), Field("RXFFIE", 31),
        )),
        # 48.7.3 USART_CR2, reset 0.
        Register("CR2", 0x04, (
            _stored("SLVEN", 0), _stored("DIS_NSS", 3), _stored("ADDM7", 4), _stored("LBDL", 5),
            Field("LBDIE", 6), _stored("LBCL", 8), _stored("CPHA", 9), _stored("CPOL", 10),
            _stored("CLKEN", 11), Field("STOP", 12, 2), _stored("LINEN", 14), _stored("SWAP", 15),
            _stored("RXINV", 16), _stored("TXINV", 17), _stored("DATAINV", 18),
            _stored("MSBFIRST", 19), _stored("ABREN", 20), _stored("ABRMOD", 21, 2),
            _stored("RTOEN", 23), _stored("ADD", 24, 8),
        )),
        # 48.7.4 USART_CR3, reset 0.
        Register("CR3", 0x08, (
            Field("EIE", 0), _stored("IREN", 1), _stored("IRLP", 2), _stored("HDSEL", 3),
            _stored("NACK", 4), _stored("SCEN", 5), _stored("DMAR", 6), _stored("DMAT", 7),
            _stored("RTSE", 8), _stored("CTSE", 9), Field("CTSIE", 10), _stored("ONEBIT", 11),
            Field("OVRDIS", 12), _stored("DDRE", 13), _stored("DEM", 14), _stored("DEP", 15),
            _stored("SCARCNT", 17, 3), _stored("WUS", 20, 2), Field("WUFIE", 22),
            Field("TXFTIE", 23), Field("TCBGTIE", 24), Field("RXFTCFG", 25, 3), Field("RXFTIE", 28),
            Field("TXFTCFG", 29, 3),
        )),
        # 48.7.5 USART_BRR, reset 0.
        Register("BRR", 0x0C, (Field("BRR", 0, 16),)),
        # 48.7.6 USART_GTPR, reset 0.
        Register("GTPR", 0x10, (Field("PSC", 0, 8), Field("GT", 8, 8))),
        # 48.7.7 USART_RTOR, reset 0.
        Register("RTOR", 0x14, (Field("RTO", 0, 24), Field("BLEN", 24, 8))),
        # 48.7.8 USART_RQR, write-only.
        Register("RQR", 0x18, (Field("ABRRQ", 0, access=WO), Field("SBKRQ", 1, access=WO),
                               Field("MMRQ", 2, access=WO), Field("RXFRQ", 3, access=WO),
                               Field("TXFRQ", 4, access=WO))),
        # 48.7.9/48.7.10 USART_ISR, reset 0x0000 00C0 with FIFOEN=0 (TXE, TC). With the FIFO
        # enabled TXFE (bit 23) also reads 1 while the TX FIFO is empty.
        Register("ISR", 0x1C, (
            Field("PE", PE, access=RO), Field("FE", FE, access=RO), Field("NE", NE, access=RO),
            Field("ORE", ORE, access=RO), Field("IDLE", IDLE, access=RO),
            Field("RXNE", RXNE, access=RO), Field("TC", TC, access=RO, reset=1),
            Field("TXE", TXE, access=RO, reset=1), Field("LBDF", LBDF, access=RO),
            Field("CTSIF", CTSIF, access=RO), Field("CTS", CTS, access=RO),
            Field("RTOF", RTOF, access=RO), Field("EOBF", EOBF, access=RO),
            Field("UDR", UDR, access=RO), Field("ABRE", 14, access=RO),
            Field("ABRF", 15, access=RO), Field("BUSY", BUSY, access=RO),
            Field("CMF", CMF, access=RO), Field("SBKF", 18, access=RO),
            Field("RWU", 19, access=RO), Field("WUF", WUF, access=RO),
            Field("TEACK", TEACK, access=RO), Field("REACK", REACK, access=RO),
            Field("TXFE", TXFE, access=RO), Field("RXFF", RXFF, access=RO),
            Field("TCBGT", TCBGT, access=RO), Field("RXFT", RXFT, access=RO),
            Field("TXFT", TXFT, access=RO),
        )),
        # 48.7.11 USART_ICR, write-only (write 1 to clear the ISR flag).
        Register("ICR", 0x20, tuple(Field(n, b, access=WO) for b, n in (
            (0, "PECF"), (1, "FECF"), (2, "NECF"), (3, "ORECF"), (4, "IDLECF"), (5, "TXFECF"),
            (6, "TCCF"), (7, "TCBGTCF"), (8, "LBDCF"), (9, "CTSCF"), (11, "RTOCF"),
            (12, "EOBCF"), (13, "UDRCF"), (17, "CMCF"), (20, "WUCF")))),
        # 48.7.12 USART_RDR, read-only, reset 0.
        Register("RDR", 0x24, (Field("RDR", 0, 9, RO),)),
        # 48.7.13 USART_TDR, reset 0.
        Register("TDR", 0x28, (Field("TDR", 0, 9),)),
        # 48.7.14 USART_PRESC, reset 0.
        Register("PRESC", 0x2C, (Field("PRESCALER", 0, 4),)),
    )

    def __init__(self, name: str, base: int, size: int, ctx, **params: object) -> None:
        irqs = params.get("irqs") or {}
        self.irq: int | None = int(next(iter(irqs.values()))) if isinstance(irqs, dict) and irqs \
            else None
        self.kernel_clock = str(params.get("kernel_clock", "pclk1"))
        self.console = bool(params.get("console", False))
        self.bus_clock = "pclk2" if name in ("USART1", "USART6") else "pclk1"  # type: ignore
        self.overruns = 0
        self.transmitted = bytearray()
        self._host_tx: list[Callable[[int], None]] = []
        self._host_rx: deque[int] = deque()
        self._rx: deque[int] = deque()
        self._tx: deque[int] = deque()
        self._shifting = False
        self._events: dict[str, int] = {}
        self._rx_since_idle = False
        self._irq_level = False
        super().__init__(name, base, size, ctx, **params)

    def reset(self) -> None:
        self._stop()
        super().reset()

    # --- host side -----------------------------------------------------------------------------
    def attach_host(self, tx: Callable[[int], None]) -> None:
        """Register a receiver for every byte the firmware transmits."""
        self._host_tx.append(tx)

    def feed_rx(self, data: bytes) -> None:
        """Queue bytes from the host; they arrive one per character time."""
        self._host_rx.extend(data)
        self._rx_schedule()
        self._update()

    def rx_idle(self) -> bool:
        """True when every host byte has been delivered and nothing is on the line."""
        return not self._host_rx and "rx" not in self._events

    # --- timing --------------------------------------------------------------------------------
    def frame_bits(self) -> float:
        """Bits per character: start + data (+ parity, included in M) + stop (RM0433 48.5.3)."""
        m = self.get_field("CR1", "M1") << 1 | self.get_field("CR1", "M0")
        data = {0: 8, 1: 9, 2: 7}.get(m, 8)
        return 1 + data + _STOP_BITS[self.get_field("CR2", "STOP")]

    def baud(self) -> float:
        """Baud rate from the kernel clock, PRESC, BRR and OVER8 (RM0433 48.5.7)."""
        ker = self.kernel_hz() / _PRESC[min(self.get_field("PRESC", "PRESCALER"), 11)]
        brr = self.get_field("BRR", "BRR")
        if self.get_field("CR1", "OVER8"):
            usartdiv = (brr & 0xFFF0) | ((brr & 0x7) << 1)
            return 2 * ker / usartdiv if usartdiv else 0.0
        return ker / brr if brr else 0.0

    def char_cycles(self) -> int | None:
        """One character time in core cycles (None if the baud clock is stopped)."""
        baud = self.baud()
        if baud <= 0:
            return None
        return max(1, round(self.frame_bits() / baud * self.ctx.clock_hz("cpu")))

    # --- register behaviour --------------------------------------------------------------------
    def write(self, offset: int, size: int, value: int) -> None:
        if not self.clock_enabled():
            self.ctx.log(f"warning: {self.name}: write {value:#x} to +{offset:#x} ignored: "
                         f"its RCC clock enable bit is 0")
            return
        super().write(offset, size, value)

    def on_write_CR1(self, old: int, new: int) -> None:
        if old & 1 and not new & 1:          # UE cleared: discard all activity, flags to reset
            self._stop()
            self.set_reg("ISR", self._by_name["ISR"].reset_value())
        if new & 1 and (new ^ old) & (1 << 29) and old & 1:
            self.ctx.log(f"warning: {self.name}: FIFOEN changed while UE=1 (RM0433 48.7.1)")
        if new & 1 and not old & 1 and self.get_field("BRR", "BRR") < 16 \
                and not self.get_field("CR1", "OVER8"):
            self.ctx.log(f"warning: {self.name}: BRR={self.get_field('BRR', 'BRR')} < 16 "
                         f"with OVER8=0 is not allowed (RM0433 48.5.7)")
        re_on = self.get_field("CR1", "UE") and self.get_field("CR1", "RE")
        if not re_on and "rx" in self._events:   # receiver off: the byte on the line is lost
            self._cancel("rx")
        self._rx_schedule()
        self._tx_kick()
        self._update()

    def on_write_CR2(self, old: int, new: int) -> None:
        self._update()

    def on_write_CR3(self, old: int, new: int) -> None:
        self._update()

    def on_write_TDR(self, old: int, new: int) -> None:
        if not (self.get_field("CR1", "UE") and self.get_field("CR1", "TE")):
            self.ctx.log(f"warning: {self.name}: TDR written with UE/TE off; byte dropped")
            return
        if len(self._tx) >= self._depth():
            self.ctx.log(f"warning: {self.name}: TDR written while "
                         f"{'TX FIFO full' if self._fifo() else 'TXE=0'}; byte lost")
            return
        byte = new & self._data_mask()
        self._tx.append(byte)
        self.transmitted.append(byte & 0xFF)
        for tx in self._host_tx:
            tx(byte & 0xFF)
        self.set_field("ISR", "TC", 0)
        self._tx_kick()
        self._update()

    def on_read_RDR(self, value: int) -> int:
        if self._rx:
            value = self._rx.popleft()
            self.set_reg("RDR", value)
            self._update()
        return value

    def on_write_ICR(self, old: int, new: int) -> None:
        isr = self.reg("ISR")
        for icr_bit, isr_bit in _ICR_CLEARS.items():
            if new >> icr_bit & 1:
                isr &= ~(1 << isr_bit)
        self.set_reg("ISR", isr)
        self.set_reg("ICR", 0)
        self._update()

    def on_write_RQR(self, old: int, new: int) -> None:
        if new & (1 << 3):      # RXFRQ: discard the received data
            self._rx.clear()
        if new & (1 << 4):      # TXFRQ: discard data waiting in TDR / TX FIFO
            self._tx.clear()
        if new & (1 << 1):
            self.ctx.log(f"{self.name}: send break (SBKRQ) not modelled")
        self.set_reg("RQR", 0)
        self._update()

    # --- internals -----------------------------------------------------------------------------
    def _fifo(self) -> bool:
        return bool(self.get_field("CR1", "FIFOEN"))

    def _depth(self) -> int:
        return FIFO_DEPTH if self._fifo() else 1

    def _data_mask(self) -> int:
        m = self.get_field("CR1", "M1") << 1 | self.get_field("CR1", "M0")
        bits = {0: 8, 1: 9, 2: 7}.get(m, 8) - self.get_field("CR1", "PCE")
        return (1 << bits) - 1

    def _at(self, key: str, delay: int, action: Callable[[], None]) -> None:
        self._cancel(key)

        def fire(_cycle: int) -> None:
            self._events.pop(key, None)
            action()
            self._update()

        self._events[key] = self.ctx.schedule(self.ctx.now() + delay, fire)

    def _cancel(self, key: str) -> None:
        handle = self._events.pop(key, None)
        if handle is not None:
            self.ctx.cancel(handle)

    def _stop(self) -> None:
        for key in list(getattr(self, "_events", {})):
            self._cancel(key)
        if hasattr(self, "_tx"):
            self._tx.clear()
            self._rx.clear()
        self._shifting = False
        self._rx_since_idle = False

    def _tx_kick(self) -> None:
        """Move the next byte into the free shift register and time its character."""
        if self._shifting or not self._tx:
            return
        if not (self.get_field("CR1", "UE") and self.get_field("CR1", "TE")):
            return
        cycles = self.char_cycles()
        if cycles is None:
            self.ctx.log(f"warning: {self.name}: no baud clock (kernel clock or BRR is 0): "
                         f"transmitter stalled")
            return
        self._tx.popleft()
        self._shifting = True
        self._at("tx", cycles, self._tx_done)

    def _tx_done(self) -> None:
        self._shifting = False
        if self._tx:
            self._tx_kick()
        else:
            self.set_field("ISR", "TC", 1)

    def _rx_schedule(self) -> None:
        if "rx" in self._events or not self._host_rx:
            return
        if not (self.get_field("CR1", "UE") and self.get_field("CR1", "RE")):
            return
        cycles = self.char_cycles()
        if cycles is None:
            return
        self._cancel("idle")
        self._at("rx", cycles, self._rx_arrive)

    def _rx_arrive(self) -> None:
        byte = self._host_rx.popleft() & self._data_mask()
        if len(self._rx) < self._depth():
            self._rx.append(byte)
        elif self.get_field("CR3", "OVRDIS"):
            self._rx[-1] = byte                     # overwrite, no flag (RM0433 48.7.4 OVRDIS)
        else:
            self.overruns += 1                      # data lost (RM0433 48.5.8 "Overrun error")
            self.set_field("ISR", "ORE", 1)
        self._rx_since_idle = True
        if self._host_rx:
            self._rx_schedule()
        else:
            cycles = self.char_cycles()
            if cycles is not None:
                self._at("idle", cycles, self._idle)

    def _idle(self) -> None:
        if self._rx_since_idle:
            self.set_field("ISR", "IDLE", 1)
            self._rx_since_idle = False

    def _update(self) -> None:
        """Recompute the state flags of ISR and drive the interrupt line."""
        spec = self.__dict__.get("_update_spec")
        if spec is None:
            spec = self._update_spec = self._make_update_spec()
        i_cr1, i_cr3, o_isr, m_ue, m_te, m_re, m_fifo, rxft, txft = spec
        mv = self.values._mv
        cr1, cr3 = mv[i_cr1], mv[i_cr3]
        ue = cr1 & m_ue
        ntx, nrx = len(self._tx), len(self._rx)
        isr = mv[o_isr >> 2] & ~_DERIVED
        if ntx < (FIFO_DEPTH if cr1 & m_fifo else 1):
            isr |= 1 << TXE
        if nrx:
            isr |= 1 << RXNE
        if "rx" in self._events:
            isr |= 1 << BUSY
        if ue and cr1 & m_te:
            isr |= 1 << TEACK
        if ue and cr1 & m_re:
            isr |= 1 << REACK
        if cr1 & m_fifo:
            if not ntx:
                isr |= 1 << TXFE
            if nrx >= FIFO_DEPTH:
                isr |= 1 << RXFF
            if nrx >= _FIFO_THRESHOLD[min((cr3 & rxft[0]) >> rxft[1], 5)] * FIFO_DEPTH:
                isr |= 1 << RXFT
            if FIFO_DEPTH - ntx >= _FIFO_THRESHOLD[min((cr3 & txft[0]) >> txft[1], 5)] \
                    * FIFO_DEPTH:
                isr |= 1 << TXFT
        self.values[o_isr] = isr
        level = bool(isr & _irq_flags(cr1, cr3))
        if level != self._irq_level and self.irq is not None:
            self.ctx.set_irq(self.irq, level)
        self._irq_level = level

    def _make_update_spec(self) -> tuple:
        """Word indices of CR1/CR3, the ISR offset and the field masks _update reads (from the
        register definitions above), looked up once."""
        def mask(reg: str, fld: str) -> int:
            return self._field_spec(reg, fld)[1]

        def shifted(reg: str, fld: str) -> tuple[int, int]:
            _, m, lsb = self._field_spec(reg, fld)
            return m, lsb
        by = self._by_name
        return (by["CR1"].offset >> 2, by["CR3"].offset >> 2, by["ISR"].offset,
                mask("CR1", "UE"), mask("CR1", "TE"), mask("CR1", "RE"), mask("CR1", "FIFOEN"),
                shifted("CR3", "RXFTCFG"), shifted("CR3", "TXFTCFG"))


# The interrupt sources: (CR1 or CR3 enable bit, the ISR flags it passes to the line)
# (RM0433 48.6 "USART interrupts", Table "USART interrupt requests").
_CR1_IRQ = ((7, 1 << TXE), (6, 1 << TC), (5, 1 << RXNE | 1 << ORE), (4, 1 << IDLE),
            (8, 1 << PE), (14, 1 << CMF), (26, 1 << RTOF), (27, 1 << EOBF), (30, 1 << TXFE),
            (31, 1 << RXFF))
_CR3_IRQ = ((0, 1 << FE | 1 << NE | 1 << ORE), (10, 1 << CTSIF), (22, 1 << WUF), (23, 1 << TXFT),
            (24, 1 << TCBGT), (28, 1 << RXFT))
_CR1_EN = sum(1 << b for b, _ in _CR1_IRQ)
_CR3_EN = sum(1 << b for b, _ in _CR3_IRQ)
_IRQ_FLAGS: dict[tuple[int, int], int] = {}


def _irq_flags(cr1: int, cr3: int) -> int:
    """The ISR flags that drive the interrupt line under these enable bits (memoised: a
    firmware uses a handful of enable combinations)."""
    key = (cr1 & _CR1_EN, cr3 & _CR3_EN)
    flags = _IRQ_FLAGS.get(key)
    if flags is None:
        flags = 0
        for bit, f in _CR1_IRQ:
            if key[0] >> bit & 1:
                flags |= f
        for bit, f in _CR3_IRQ:
            if key[1] >> bit & 1:
                flags |= f
        flags = _IRQ_FLAGS[key] = flags
    return flags


MODEL = USART
