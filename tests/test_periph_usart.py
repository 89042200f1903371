"""USART through the bus API: baud timing, TXE/TC, RX delivery and overrun, FIFO, interrupts."""

from __future__ import annotations

from peripherals.base import FakeContext
from peripherals.rcc import RCC
from peripherals.usart import USART

IRQ = 39
UE, RE, TE, IDLEIE, RXNEIE, TCIE, TXEIE = 1, 1 << 2, 1 << 3, 1 << 4, 1 << 5, 1 << 6, 1 << 7
FIFOEN = 1 << 29
TXE, TC, RXNE, ORE, IDLE, BUSY, TEACK, REACK = 1 << 7, 1 << 6, 1 << 5, 1 << 3, 1 << 4, \
    1 << 16, 1 << 21, 1 << 22
RXFF, TXFE = 1 << 24, 1 << 23
CR1, BRR, ISR, ICR, RDR, TDR, RQR = 0x00, 0x0C, 0x1C, 0x20, 0x24, 0x28, 0x18
CHAR = 10 * 868 * 4      # 10 bits x 868 kernel cycles at 100 MHz, in 400 MHz core cycles


def make(cr1: int = UE | TE | RE, brr: int = 868) -> tuple[FakeContext, USART, list[int]]:
    ctx = FakeContext(clocks={"pclk1": 100e6, "cpu": 400e6})
    u = USART("USART3", 0x40004800, 0x400, ctx, irqs={"USART3": IRQ}, kernel_clock="pclk1",
              console=True)
    out: list[int] = []
    u.attach_host(out.append)
    u.write(BRR, 4, brr)
    u.write(CR1, 4, cr1)
    return ctx, u, out


def isr(u: USART) -> int:
    return u.read(ISR, 4)


def test_reset_values() -> None:
    u = USART("USART3", 0x40004800, 0x400, FakeContext(), irqs={"USART3": IRQ})
    expected = {0x00: 0, 0x04: 0, 0x08: 0, 0x0C: 0, 0x10: 0, 0x14: 0, 0x18: 0, 0x1C: 0xC0,
                0x20: 0, 0x24: 0, 0x28: 0, 0x2C: 0}
    for offset, value in expected.items():
        assert u.read(offset, 4) == value, hex(offset)


def test_baud_and_character_time() -> None:
    ctx, u, _ = make()
    assert abs(u.baud() - 115200) / 115200 < 1e-3
    assert u.char_cycles() == CHAR                   # 86.8 us at 400 MHz
    u.write(CR1, 4, 0)
    u.write(CR1, 4, UE | TE | 1 << 15)               # OVER8: BRR = 0x361 -> USARTDIV 0x362
    u.write(BRR, 4, 0x361 & 0xFFF0 | (0x362 & 0xF) >> 1)
    assert abs(u.baud() - 2 * 100e6 / 0x362) < 1e-6
    u.write(CR1, 4, 0)
    u.write(CR1, 4, UE | TE | 1 << 12)               # M0: 9 data bits -> 11-bit frame
    u.write(BRR, 4, 868)
    assert u.char_cycles() == 11 * 868 * 4
    u.write(0x04, 4, 2 << 12)                        # 2 stop bits
    assert u.char_cycles() == 12 * 868 * 4


def test_tx_bytes_reach_host_with_txe_and_tc_timing() -> None:
    ctx, u, out = make()
    assert isr(u) & (TEACK | REACK) == TEACK | REACK
    u.write(TDR, 4, ord("A"))
    assert out == [ord("A")]
    assert isr(u) & TXE and not isr(u) & TC         # A went straight into the shift register
    u.write(TDR, 4, ord("B"))
    assert out == [ord("A"), ord("B")]
    assert not isr(u) & TXE                          # B waits in TDR
    ctx.advance(CHAR - 1)
    assert not isr(u) & TXE and not isr(u) & TC
    ctx.advance(1)
    assert isr(u) & TXE and not isr(u) & TC          # B moved on at the end of A's stop bit
    ctx.advance(CHAR - 1)
    assert not isr(u) & TC
    ctx.advance(1)
    assert isr(u) & TC
    assert bytes(u.transmitted) == b"AB"


def test_tdr_write_while_full_loses_the_byte() -> None:
    ctx, u, out = make()
    for ch in b"xyz":
        u.write(TDR, 4, ch)
    assert out == list(b"xy") and any("byte lost" in m for m in ctx.messages)


def test_tx_interrupt_levels() -> None:
    ctx, u, _ = make(UE | TE | TXEIE)
    assert ctx.irqs[IRQ] is True                     # TXE with TXEIE
    u.write(TDR, 4, 1)
    u.write(TDR, 4, 2)
    assert ctx.irqs[IRQ] is False
    ctx.advance(CHAR)
    assert ctx.irqs[IRQ] is True
    u.write(CR1, 4, UE | TE | TCIE)                  # TC interrupt only
    assert ctx.irqs[IRQ] is False
    ctx.advance(CHAR)
    assert ctx.irqs[IRQ] is True
    u.write(ICR, 4, 1 << 6)                          # TCCF
    assert ctx.irqs[IRQ] is False and not isr(u) & TC


def test_rx_delivery_one_byte_per_character() -> None:
    ctx, u, _ = make(UE | RE | RXNEIE)
    u.feed_rx(b"hi")
    assert not u.rx_idle() and isr(u) & BUSY
    ctx.advance(CHAR - 1)
    assert not isr(u) & RXNE and ctx.irqs.get(IRQ) is not True
    ctx.advance(1)
    assert isr(u) & RXNE and ctx.irqs[IRQ] is True
    assert u.read(RDR, 4) == ord("h")
    assert not isr(u) & RXNE and ctx.irqs[IRQ] is False
    ctx.advance(CHAR)
    assert u.read(RDR, 1) == ord("i")
    assert u.rx_idle() and u.overruns == 0
    ctx.advance(CHAR)
    assert isr(u) & IDLE                             # one idle frame after the last byte
    u.write(ICR, 4, 1 << 4)
    assert not isr(u) & IDLE


def test_rx_overrun_loses_data() -> None:
    ctx, u, _ = make(UE | RE | RXNEIE)
    u.feed_rx(b"abc")
    ctx.advance(3 * CHAR)
    assert isr(u) & ORE and u.overruns == 2
    assert ctx.irqs[IRQ] is True
    assert u.read(RDR, 4) == ord("a")                # RDR kept the first byte
    assert not isr(u) & RXNE
    u.write(ICR, 4, 1 << 3)                          # ORECF
    assert not isr(u) & ORE and ctx.irqs[IRQ] is False
    assert u.rx_idle()


def test_rx_fifo_mode_holds_16_bytes() -> None:
    ctx, u, _ = make(UE | RE | FIFOEN)
    data = bytes(range(20))
    u.feed_rx(data)
    ctx.advance(16 * CHAR)
    assert isr(u) & RXFF and not isr(u) & ORE and u.overruns == 0
    ctx.advance(CHAR)
    assert isr(u) & ORE and u.overruns == 1
    got = [u.read(RDR, 4) for _ in range(16)]
    assert got == list(range(16)) and not isr(u) & RXNE


def test_tx_fifo_mode() -> None:
    ctx, u, out = make(UE | TE | FIFOEN)
    for i in range(17):                              # 1 in the shifter + 16 in the FIFO
        u.write(TDR, 4, i)
    assert not isr(u) & TXE and not isr(u) & TXFE    # TXFNF clear: FIFO full
    u.write(TDR, 4, 99)
    assert out == list(range(17))                    # the 18th byte was lost
    ctx.advance(17 * CHAR)
    assert isr(u) & TC and isr(u) & TXFE


def test_receiver_disabled_holds_host_bytes() -> None:
    ctx, u, _ = make(UE | TE)
    u.feed_rx(b"x")
    ctx.advance(5 * CHAR)
    assert not isr(u) & RXNE and not u.rx_idle()
    u.write(CR1, 4, UE | TE | RE)
    ctx.advance(CHAR)
    assert u.read(RDR, 4) == ord("x")


def test_rxfrq_flush_and_ue_off_resets_flags() -> None:
    ctx, u, _ = make()
    u.feed_rx(b"ab")
    ctx.advance(2 * CHAR)
    u.write(RQR, 4, 1 << 3)
    assert not isr(u) & RXNE
    u.write(CR1, 4, 0)
    assert isr(u) == 0xC0


def test_kernel_clock_from_rcc_and_clock_gating() -> None:
    ctx = FakeContext()
    rcc = RCC("RCC", 0x58024400, 0x400, ctx)
    ctx.peripherals["RCC"] = rcc
    u = USART("USART3", 0x40004800, 0x400, ctx, irqs={"USART3": IRQ}, kernel_clock="pclk1")
    ctx.peripherals["USART3"] = u
    ctx.wire()                                       # u.clocks = the RCC (its clock tree)
    u.write(BRR, 4, 556)
    assert u.read(BRR, 4) == 0                       # APB1LENR.USART3EN is 0: ignored
    rcc.write(0xE8, 4, 1 << 18)
    u.write(BRR, 4, 556)                             # 64 MHz / 556 = 115108 baud
    u.write(CR1, 4, UE | TE)
    assert u.char_cycles() == 10 * 556               # core and kernel both at 64 MHz
    rcc.write(0x54, 4, 4)                            # USART234578SEL = CSI (off)
    assert u.char_cycles() is None


def test_dma_and_flow_control_enables_are_counted_as_unmodelled() -> None:
    """No DMA request and no RTS/CTS flow control is modelled for the USART: HAL_UART_Transmit_DMA
    setting CR3.DMAT (RM0433 48.7.4 bit 7) and hardware flow control (RTSE bit 8, CTSE bit 9)
    show up in the report's unmodelled_fields; the bits the model uses (OVRDIS) do not."""
    _, u, _ = make()
    u.write(0x08, 4, 1 << 7 | 1 << 8 | 1 << 9 | 1 << 12)
    assert u.unmodelled_fields == {"USART3.CR3.DMAT": 1, "USART3.CR3.RTSE": 1,
                                   "USART3.CR3.CTSE": 1}
