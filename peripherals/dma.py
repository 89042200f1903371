"""DMA1/DMA2 controllers of the STM32H743 (RM0433 Rev 8, section 15): 8 streams each.

Two kinds of request source, both found through DMAMUX1 (its ``requests`` table in the
platform file):

- a *data source* with its own timeline (today the SAI blocks): peripheral-to-memory streams
  (DIR=00); the source delivers what has arrived in batches, at the stream's next half/complete
  point (below);
- a *request line* (:class:`RequestLine`: timer update / capture-compare requests): each request
  the peripheral raises moves one item, peripheral-to-memory (DIR=00: PAR read, memory written)
  or memory-to-peripheral (DIR=01: memory read, PAR written through the peripheral's model, so
  a timer's CCRx or ARR written by DMA behaves as a CPU write would). PSIZE/MSIZE (MSIZE =
  PSIZE in direct mode), PINC/MINC, normal/circular/double-buffer, NDTR counting down.

Both: normal, circular (CIRC) and double-buffer (DBM, CT toggling) modes,
half-transfer / transfer-complete / transfer-error flags (LISR/HISR, cleared through
LIFCR/HIFCR) and the stream interrupt lines (``params["irqs"]``, one per stream, in stream
order), PSIZE data width with MINC, write protection of an enabled stream's configuration.

Time: a transfer takes no simulated time (the bus is far faster than audio). A data source owns
the timeline; the controller keeps one event, at the earliest next half/complete point of its
streams, and at that cycle asks the source to deliver what has arrived (in one batch per
buffer, written with ``ctx.mem_write``). Reads of NDTR or LISR/HISR bring the stream up to the
exact cycle of the read first. Streams due at the same cycle are served in priority order
(PL high first, then the lower stream number: RM0433 15.3 arbiter).

Memory-to-memory (DIR=10): the whole block is copied when the stream is enabled (no simulated
time), then HT/TC.

Not modelled (logged when used): memory-to-memory with FIFO packing (PSIZE != MSIZE),
memory-to-peripheral towards a data source
(SAI transmit), peripheral flow control, and in FIFO mode bursts and FIFO thresholds (counted
in the report's unmodelled_fields when a FIFO-mode stream is enabled; the FIFO is transparent;
FEIF/DMEIF are never raised).
Address ranges the controller cannot reach are platform data (``unreachable = [[lo, hi, name],
...]``): on the H743 the TCMs (RM0433 2.1, Figure 1: DMA1/DMA2 sit on the D2 AHB bus matrix, the
TCMs only on the Cortex-M7); such an address raises TEIF and disables the stream.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from .base import RO, WO, Field, Peripheral, Register
from .ports import RequestRouter

N_STREAMS = 8
_STREAM_BASE, _STREAM_STRIDE = 0x10, 0x18            # RM0433 15.5: 0x10 + 0x18 * x
CR, NDTR, PAR, M0AR, M1AR, FCR = 0x00, 0x04, 0x08, 0x0C, 0x10, 0x14
# Flag bits of one stream inside LISR/HISR, and where each stream's group starts (15.5).
FEIF, DMEIF, TEIF, HTIF, TCIF = 0, 2, 3, 4, 5
_FLAG_MASK = (1 << FEIF) | (1 << DMEIF) | (1 << TEIF) | (1 << HTIF) | (1 << TCIF)
_GROUP_SHIFT = (0, 6, 16, 22)
# SxCR bits
EN, DMEIE, TEIE, HTIE, TCIE, PFCTRL = 0, 1, 2, 3, 4, 5
CIRC, PINC, MINC, DBM, CT = 8, 9, 10, 18, 19
_FOREVER = 1 << 62
_IE_BITS = (1 << DMEIE) | (1 << TEIE) | (1 << HTIE) | (1 << TCIE)


def _flag_fields(prefix: str, first: int) -> tuple[Field, ...]:
    out = []
    for g, shift in enumerate(_GROUP_SHIFT):
        s = first + g
        for bit, name in ((FEIF, "FEIF"), (DMEIF, "DMEIF"), (TEIF, "TEIF"), (HTIF, "HTIF"),
                          (TCIF, "TCIF")):
            out.append(Field(f"{prefix}{name}{s}", shift + bit,
                             access=RO if prefix == "" else WO))
    return tuple(out)


def _stream_registers(x: int, chsel: bool = False) -> tuple[Register, ...]:
    """Registers of stream ``x``; ``chsel``: SxCR selects its request with CHSEL[27:25] (the F7,
    RM0385 8.5.5, where bit 20 is reserved) instead of TRBUFF (the H7's bit 20)."""
    b = _STREAM_BASE + _STREAM_STRIDE * x
    select = (Field("CHSEL", 25, 3),) if chsel else (Field("TRBUFF", 20),)
    return (
        # 15.5 DMA_SxCR, reset 0.
        Register(f"S{x}CR", b + CR, (
            Field("EN", EN), Field("DMEIE", DMEIE), Field("TEIE", TEIE), Field("HTIE", HTIE),
            Field("TCIE", TCIE), Field("PFCTRL", PFCTRL), Field("DIR", 6, 2),
            Field("CIRC", CIRC), Field("PINC", PINC), Field("MINC", MINC),
            Field("PSIZE", 11, 2), Field("MSIZE", 13, 2), Field("PINCOS", 15),
            Field("PL", 16, 2), Field("DBM", DBM), Field("CT", CT),
            # bursts: used in FIFO mode only (RM0433 15.5.5: forced to 00 in direct mode);
            # the model makes single transfers, so FIFO-mode streams count them (enable())
            Field("PBURST", 21, 2), Field("MBURST", 23, 2),
            *select,
        )),
        # 15.5 DMA_SxNDTR, reset 0.
        Register(f"S{x}NDTR", b + NDTR, (Field("NDT", 0, 16),)),
        # 15.5 DMA_SxPAR / SxM0AR / SxM1AR, reset 0.
        Register(f"S{x}PAR", b + PAR),
        Register(f"S{x}M0AR", b + M0AR),
        Register(f"S{x}M1AR", b + M1AR),
        # 15.5 DMA_SxFCR, reset 0x0000 0021 (FTH = 1/2, FS = 100 "FIFO empty").
        Register(f"S{x}FCR", b + FCR, (
            # FTH is "not used in direct mode" (RM0433 15.5.10; ST's HAL_DMA_Init clears it
            # there); the model's FIFO is transparent, so FIFO-mode streams count it (enable())
            Field("FTH", 0, 2, reset=1), Field("DMDIS", 2),
            Field("FS", 3, 3, access=RO, reset=4),
            Field("FEIE", 7),
        )),
    )


class RequestLine:
    """A DMA request output of a peripheral (a timer's update or CCx request): the peripheral
    calls :meth:`request` once per request; the stream DMAMUX1 routes it to moves one item."""

    def __init__(self, owner: str, port: str,
                 on_change: Callable[[], None] | None = None) -> None:
        self.owner = owner
        self.port = port
        self._stream: Stream | None = None
        self.requests = 0               # requests raised (served or not)
        # told when a stream connects or leaves: a request nobody serves needs no event
        self.on_change = on_change

    @property
    def stream(self) -> Stream | None:
        return self._stream

    @stream.setter
    def stream(self, s: Stream | None) -> None:
        changed = s is not self._stream
        self._stream = s
        if changed and self.on_change is not None:
            self.on_change()

    def target_address(self) -> int | None:
        """The peripheral address (PAR) of the stream serving this line, if any."""
        s = self._stream
        return None if s is None else s.dma.values[s.base + PAR]

    def request(self) -> None:
        self.requests += 1
        if self.stream is not None:
            self.stream.serve_request()


class Stream:
    """One DMA stream: transfer state and the request source it serves."""

    def __init__(self, dma: DMA, index: int, irq: int | None) -> None:
        self.dma = dma
        self.index = index
        self.irq = irq
        self.base = _STREAM_BASE + _STREAM_STRIDE * index
        self.flags = 0
        self.active = False
        self.source = None              # an object with sync / cycle_for_words / attach_sink
        self.line: RequestLine | None = None   # or a request line (one item per request)
        self.served = 0                 # items moved on request-line requests
        self.ndtr0 = 0                  # reload value for circular / double-buffer modes
        self.transferred = 0            # items moved since the stream was enabled
        self._irq_level = False
        # Lost data the firmware cannot be told about (counted for --strict):
        self.lost_events = 0            # HT/TC raised while the same flag was still pending
        self.rewritten_halves = 0       # circular buffer half about to be rewritten while its
                                        # HT/TC flag (the firmware's "block ready") is pending
        self.unread_halves = 0          # circular buffer half about to be rewritten that the
                                        # CPU has not read since the DMA completed it
        self.watch = None               # ReadWatch over the circular buffer (2 halves)
        self._completed = [False, False]

    # --- register helpers ----------------------------------------------------------------------
    def cr(self) -> int:
        return self.dma.values[self.base + CR]

    def bit(self, n: int) -> bool:
        return bool(self.cr() >> n & 1)

    def ndtr(self) -> int:
        return self.dma.values[self.base + NDTR] & 0xFFFF

    def priority(self) -> int:
        return self.cr() >> 16 & 3

    # --- enable / disable --------------------------------------------------------------------
    def enable(self) -> None:
        d = self.dma
        cr = self.cr()
        if self.flags:
            d.warn_once(f"{d.name}: stream {self.index} enabled with event flags still set "
                        "(RM0433 15.3: clear them in LIFCR/HIFCR first)")
        direction = cr >> 6 & 3
        if direction == 2:
            self._memory_to_memory(cr)
            return
        if cr >> PFCTRL & 1:
            d.warn_once(f"{d.name}: stream {self.index}: peripheral flow control is not modelled")
        fifo_mode = bool(d.values[self.base + FCR] >> 2 & 1)
        if fifo_mode:
            # the FIFO is transparent and transfers are single: its threshold and the bursts
            # take effect on the chip only in FIFO mode, so only such a stream is counted
            d.note_unmodelled(f"S{self.index}FCR.FTH")
            if cr >> 21 & 0xF:
                d.note_unmodelled(f"S{self.index}CR.PBURST/MBURST")
        if not fifo_mode and (cr >> 11 & 3) != (cr >> 13 & 3):
            d.warn_once(f"{d.name}: stream {self.index}: direct mode uses PSIZE for memory too "
                        "(MSIZE ignored, RM0433 15.3)")
        self.ndtr0 = self.ndtr()
        if self.ndtr0 == 0:
            d.warn_once(f"{d.name}: stream {self.index} enabled with NDTR=0: nothing to transfer")
        self.active = True
        self.transferred = 0
        self._completed = [False, False]
        src = d.request_source(self.index)
        if src is None:
            return
        if isinstance(src, RequestLine):
            if src.stream is not None and src.stream is not self:
                d.warn_once(f"{d.name}: stream {self.index}: request {src.owner} {src.port} "
                            "already serves another stream")
            self.line = src
            src.stream = self
            return
        if direction != 0:
            d.warn_once(f"{d.name}: stream {self.index}: memory-to-peripheral towards a streaming "
                        "source is not modelled; the stream will not transfer")
            return
        if cr >> CIRC & 1 and not cr >> DBM & 1 and cr >> MINC & 1 \
                and self.ndtr0 >= 2:
            msize = 1 << (cr >> 11 & 3)          # direct mode: PSIZE for memory too
            lo = d.values[self.base + M0AR]
            try:
                self.watch = d.ctx.watch_reads(lo, lo + self.ndtr0 * msize, 2)
            except (ValueError, RuntimeError):
                self.watch = None
        par = d.values[self.base + PAR]
        if par != src.dr_address:
            d.warn_once(f"{d.name}: stream {self.index}: PAR={par:#010x} is not the data register "
                        f"of its request source ({src.dr_address:#010x}); data come from the "
                        "requesting peripheral")
        self.source = src
        src.attach_sink(self)
        d.reschedule()

    def disable(self, by_hardware: bool) -> None:
        """Stop the stream. Disabled by software, a peripheral-to-memory stream flushes and
        then sets TCIF (RM0433 15.3 "FIFO flush"; HAL_DMA_Abort_IT waits for it)."""
        if self.active and self.source is not None and not by_hardware:
            self.source.sync()          # what arrived before the write is transferred
        if self.active and not by_hardware:
            self.flags |= 1 << TCIF
        self.active = False
        if self.watch is not None:
            self.watch.close()
            self.dma.closed_watches.append(self.watch)   # alive until Unicorn unlinks it
            self.watch = None
        src, self.source = self.source, None
        if self.line is not None:
            if self.line.stream is self:
                self.line.stream = None
            self.line = None
        self.dma.values[self.base + CR] &= ~(1 << EN)
        if src is not None:
            src.detach_sink(self)
        self.dma.reschedule()

    # --- the sink interface the request source calls ----------------------------------------
    def dma_capacity(self) -> int:
        if not self.active:
            return 0
        return _FOREVER if self.bit(CIRC) or self.bit(DBM) else self.ndtr()

    def dma_accept(self, words: np.ndarray) -> int:
        taken = 0
        while taken < len(words) and self.active:
            ndtr = self.ndtr()
            if ndtr == 0:
                break
            n = min(len(words) - taken, ndtr)
            done = self.ndtr0 - ndtr
            half = self.ndtr0 // 2
            if not self._store(done, words[taken:taken + n]):
                break
            taken += n
            self.transferred += n
            ndtr -= n
            if done < half <= done + n:
                self._raise(HTIF)
            if ndtr == 0:
                self._raise(TCIF)
                if self.bit(DBM):
                    self.dma.values[self.base + CR] ^= 1 << CT
                    ndtr = self.ndtr0
                elif self.bit(CIRC):
                    ndtr = self.ndtr0
            self.dma.values[self.base + NDTR] = ndtr
            if ndtr == 0:
                self.disable(by_hardware=True)      # normal mode: EN cleared at the end
        self.update_irq()
        return taken

    def _raise(self, flag: int) -> None:
        """Set HTIF/TCIF. Raised again while still set (its interrupt enabled, the flag not
        yet cleared by the handler), the earlier event is lost: one interrupt for two blocks.
        In circular mode the completion of one half is also the moment the DMA turns to the
        other half (RM0433 15.3.10): that half is lost if its own HT/TC is still pending or,
        with a read watch, the CPU has not read it since it was completed."""
        ie = HTIE if flag == HTIF else TCIE
        if self.line is not None:         # lost-data accounting is for streaming sources
            self.flags |= 1 << flag
            return
        if self.flags >> flag & 1 and self.bit(ie):
            self.lost_events += 1
        if self.bit(CIRC) and not self.bit(DBM):
            done_half = 0 if flag == HTIF else 1
            other = 1 - done_half
            other_flag = TCIF if other == 1 else HTIF
            other_ie = TCIE if other == 1 else HTIE
            if self._completed[other]:
                if self.flags >> other_flag & 1 and self.bit(other_ie):
                    self.rewritten_halves += 1
                elif self.watch is not None and not self.watch.was_read(other):
                    self.unread_halves += 1
            self._completed[done_half] = True
            if self.watch is not None:
                self.watch.clear(done_half)
        self.flags |= 1 << flag

    def _memory_to_memory(self, cr: int) -> None:
        """DIR=10: no request, the stream runs as soon as it is enabled (RM0433 15.3.8), from
        PAR to M0AR, NDTR items of PSIZE; it takes no simulated time here. Then HTIF, TCIF, NDTR
        0, EN cleared. Circular and double-buffer are not allowed in this mode (15.3.8)."""
        d = self.dma
        if not d.memory_to_memory:
            d.warn_once(f"{d.name}: stream {self.index}: this controller cannot do "
                        "memory-to-memory transfers (platform memory_to_memory = false); the "
                        "stream will not transfer")
            return
        psize, msize = 1 << (cr >> 11 & 3), 1 << (cr >> 13 & 3)
        n = self.ndtr()
        if psize > 4 or msize > 4:
            self._error("PSIZE/MSIZE=11 is reserved")
            return
        if psize != msize:
            d.warn_once(f"{d.name}: stream {self.index}: memory-to-memory with PSIZE != MSIZE "
                        "(FIFO packing) is not modelled; the stream will not transfer")
            return
        src, dst = d.values[self.base + PAR], d.values[self.base + M0AR]
        for address in (src, dst):
            for lo, hi, name in d.unreachable:
                if address < hi and address + n * psize > lo:
                    self.active = True
                    self._error(f"memory address {address:#010x} is in {name}, which "
                                "DMA1/DMA2 cannot reach (use AXI SRAM or SRAM1-3)")
                    return
        try:
            if cr >> PINC & 1 and cr >> MINC & 1:
                d.ctx.mem_write(dst, d.ctx.mem_read(src, n * psize))
            else:
                for i in range(n):
                    item = d.ctx.mem_read(src + (i * psize if cr >> PINC & 1 else 0), psize)
                    d.ctx.mem_write(dst + (i * psize if cr >> MINC & 1 else 0), item)
        except Exception as exc:   # noqa: BLE001  (a bus error of either memory)
            self.active = True
            self._error(f"bus error copying {n * psize} bytes {src:#010x} -> {dst:#010x}: "
                        f"{exc}")
            return
        self.transferred = n
        self.flags |= (1 << HTIF) | (1 << TCIF) if n else 0
        d.values[self.base + NDTR] = 0
        d.values[self.base + CR] &= ~(1 << EN)
        self.update_irq()

    def serve_request(self) -> None:
        """One request of the request line: move one item (RM0433 15.3.6/15.3.7: a single
        transfer per request), count NDTR down, raise HT/TC, reload or stop at the end."""
        if not self.active:
            return
        ndtr = self.ndtr()
        if ndtr == 0:
            return
        d = self.dma
        cr = self.cr()
        psize = 1 << (cr >> 11 & 3)
        msize = psize if not d.values[self.base + FCR] >> 2 & 1 else 1 << (cr >> 13 & 3)
        if psize > 4 or msize > 4:
            self._error("PSIZE/MSIZE=11 is reserved")
            return
        done = self.ndtr0 - ndtr
        maddr = d.values[self.base + (M1AR if cr >> CT & 1 else M0AR)]
        maddr += done * msize if cr >> MINC & 1 else 0
        paddr = d.values[self.base + PAR] + (done * psize if cr >> PINC & 1 else 0)
        for lo, hi, name in d.unreachable:
            if maddr < hi and maddr + msize > lo:
                self._error(f"memory address {maddr:#010x} is in {name}, which DMA1/DMA2 "
                            "cannot reach (use AXI SRAM or SRAM1-3)")
                return
        periph = d.ctx.peripheral_at(paddr)
        if periph is None:
            self._error(f"peripheral address {paddr:#010x} (PAR) is in no peripheral")
            return
        try:
            if cr >> 6 & 3 == 1:                  # memory-to-peripheral
                value = int.from_bytes(d.ctx.mem_read(maddr, msize), "little")
                periph.write(paddr - periph.base, psize, value & ((1 << 8 * psize) - 1))
            else:                                 # peripheral-to-memory
                value = periph.read(paddr - periph.base, psize)
                d.ctx.mem_write(maddr, (value & ((1 << 8 * msize) - 1)).to_bytes(msize,
                                                                                "little"))
        except Exception as exc:   # noqa: BLE001  (a bus error of the target memory)
            self._error(f"bus error at {maddr:#010x}: {exc}")
            return
        self.served += 1
        self.transferred += 1
        ndtr -= 1
        if done + 1 == self.ndtr0 // 2:
            self._raise(HTIF)
        if ndtr == 0:
            self._raise(TCIF)
            if self.bit(DBM):
                d.values[self.base + CR] ^= 1 << CT
                ndtr = self.ndtr0
            elif self.bit(CIRC):
                ndtr = self.ndtr0
        d.values[self.base + NDTR] = ndtr
        if ndtr == 0:
            self.disable(by_hardware=True)        # normal mode: EN cleared at the end
        self.update_irq()

    def dma_source_changed(self) -> None:
        self.dma.reschedule()

    def _store(self, done: int, items: np.ndarray) -> bool:
        cr = self.cr()
        psize = 1 << (cr >> 11 & 3)
        if psize > 4:
            self._error("PSIZE=11 is reserved")
            return False
        base = self.dma.values[self.base + (M1AR if cr >> CT & 1 else M0AR)]
        raw = np.ascontiguousarray(items, dtype="<u4").view(np.uint8).reshape(-1, 4)[:, :psize]
        if cr >> MINC & 1:
            address, data = base + done * psize, raw.tobytes()
        else:
            address, data = base, raw[-1].tobytes()
        for lo, hi, name in self.dma.unreachable:
            if address < hi and address + len(data) > lo:
                self._error(f"memory address {address:#010x} is in {name}, which DMA1/DMA2 "
                            "cannot reach (use AXI SRAM or SRAM1-3)")
                return False
        try:
            self.dma.ctx.mem_write(address, data)
        except Exception as exc:   # noqa: BLE001  (a bus error of the target memory)
            self._error(f"bus error writing {len(data)} bytes at {address:#010x}: {exc}")
            return False
        return True

    def _error(self, why: str) -> None:
        self.dma.warn_once(f"{self.dma.name}: stream {self.index}: transfer error: {why}; "
                           "TEIF set, stream disabled (RM0433 15.3)")
        self.flags |= 1 << TEIF
        self.disable(by_hardware=True)
        self.update_irq()

    # --- timing -------------------------------------------------------------------------------
    def next_deadline(self) -> int | None:
        """Cycle of the next half-transfer or transfer-complete point (None: none coming)."""
        if not self.active or self.source is None or self.ndtr() == 0:
            return None
        if not self.source._dma_active():
            return None
        done = self.ndtr0 - self.ndtr()
        half = self.ndtr0 // 2
        need = half - done if done < half else self.ndtr()
        return self.source.cycle_for_words(need)

    def sync(self) -> None:
        if self.active and self.source is not None:
            self.source.sync()

    def update_irq(self) -> None:
        cr = self.cr()
        enabled = ((cr >> TCIE & 1) << TCIF) | ((cr >> HTIE & 1) << HTIF) | \
            ((cr >> TEIE & 1) << TEIF) | ((cr >> DMEIE & 1) << DMEIF) | \
            ((self.dma.values[self.base + FCR] >> 7 & 1) << FEIF)
        level = bool(self.flags & enabled)
        if level != self._irq_level and self.irq is not None:
            self._irq_level = level
            self.dma.ctx.set_irq(self.irq, level)


def _dma_registers(chsel: bool = False) -> tuple[Register, ...]:
    """The register file: DMA_LISR / HISR (read-only) and DMA_LIFCR / HIFCR (write 1 to
    clear), RM0433 15.5 = RM0385 8.5.1-8.5.4, then the 8 streams (``chsel``: see
    _stream_registers)."""
    return (
        Register("LISR", 0x00, _flag_fields("", 0)),
        Register("HISR", 0x04, _flag_fields("", 4)),
        Register("LIFCR", 0x08, _flag_fields("C", 0)),
        Register("HIFCR", 0x0C, _flag_fields("C", 4)),
        *(r for x in range(N_STREAMS) for r in _stream_registers(x, chsel)),
    )


class DMA(Peripheral):
    """DMA1 or DMA2: flag registers, 8 streams and the event that drives them."""

    registers = _dma_registers()
    bus_clock = "hclk"       # AHB1 (RM0433 Table 8)
    ports = {"mux": RequestRouter}   # the request multiplexer ([wiring] links: DMA1.mux = ...)
    mux: RequestRouter | None = None

    def __init__(self, name: str, base: int, size: int, ctx, **params: object) -> None:
        irqs = params.get("irqs") or {}
        by_stream: dict[int, int] = {}
        if isinstance(irqs, dict):
            for i, (key, irq) in enumerate(irqs.items()):
                m = re.search(r"(\d+)$", str(key))
                by_stream[int(m.group(1)) if m else i] = int(irq)
        self._event: int | None = None
        self._event_cycle: int | None = None
        #: (lo, hi, name) address ranges this controller cannot reach (platform ``unreachable``)
        self.unreachable: tuple[tuple[int, int, str], ...] = tuple(
            (int(lo), int(hi), str(n)) for lo, hi, n in params.get("unreachable", ()) or ())
        #: whether DIR=10 (memory to memory) works on this controller (platform data)
        self.memory_to_memory = bool(params.get("memory_to_memory", True))
        self.streams = [Stream(self, x, by_stream.get(x)) for x in range(N_STREAMS)]
        self.closed_watches: list = []
        super().__init__(name, base, size, ctx, **params)
        self._read_hooks[0x00] = lambda v: self._isr(0)
        self._read_hooks[0x04] = lambda v: self._isr(4)
        self._write_hooks[0x08] = lambda old, new: self._ifcr(0, new)
        self._write_hooks[0x0C] = lambda old, new: self._ifcr(4, new)
        for s in self.streams:
            b = s.base
            self._write_hooks[b + CR] = lambda old, new, s=s: self._cr(s, old, new)
            self._read_hooks[b + NDTR] = lambda v, s=s: self._ndtr(s)
            for off in (NDTR, PAR, FCR):
                self._write_hooks[b + off] = lambda old, new, s=s, o=off: self._locked(s, o, old)
            for off in (M0AR, M1AR):
                self._write_hooks[b + off] = lambda old, new, s=s, o=off: self._mar(s, o, old)

    def reset(self) -> None:
        for s in getattr(self, "streams", []):
            if s.active:
                s.disable(by_hardware=True)
            s.flags = 0
        super().reset()

    def write(self, offset: int, size: int, value: int) -> None:
        if not self.clock_enabled():
            self.warn_once(f"{self.name}: write {value:#x} to +{offset:#x} ignored: its RCC clock "
                           "enable bit (AHB1ENR) is 0")
            return
        super().write(offset, size, value)

    # --- request routing ---------------------------------------------------------------------
    def request_source(self, stream: int):
        """The request source (e.g. an SAI block) the request multiplexer wired to the
        ``mux`` port (``links = ["DMA1.mux = DMAMUX1"]``) routes to ``stream``, or None."""
        if self.mux is None:
            self.warn_once(f"{self.name}: no request multiplexer is wired to its mux port: stream "
                           "requests are not routed")
            return None
        return self.mux.source_for(self.name, stream)

    # --- time ----------------------------------------------------------------------------------
    def reschedule(self) -> None:
        best = None
        for s in self.streams:
            c = s.next_deadline()
            if c is not None and (best is None or c < best):
                best = c
        now = self.ctx.now()
        if best is not None:
            best = max(best, now)
        if best == self._event_cycle:
            return
        if self._event is not None:
            self.ctx.cancel(self._event)
            self._event = None
        self._event_cycle = best
        if best is not None:
            self._event = self.ctx.schedule(best, self._fire)

    def _fire(self, cycle: int) -> None:
        self._event, self._event_cycle = None, None
        for s in sorted((s for s in self.streams if s.active),
                        key=lambda s: (-s.priority(), s.index)):
            s.sync()
        self.reschedule()
        if self._event_cycle is not None and self._event_cycle <= cycle:
            # nothing can move at this cycle any more: wait for the next register access
            self.ctx.cancel(self._event)     # type: ignore[arg-type]
            self._event, self._event_cycle = None, None
            self.warn_once(f"{self.name}: stream deadline did not advance at cycle {cycle}")

    # --- register behaviour --------------------------------------------------------------------
    def _isr(self, first: int) -> int:
        value = 0
        for g, shift in enumerate(_GROUP_SHIFT):
            s = self.streams[first + g]
            s.sync()
            value |= (s.flags & _FLAG_MASK) << shift
        return value

    def _ifcr(self, first: int, new: int) -> None:
        for g, shift in enumerate(_GROUP_SHIFT):
            s = self.streams[first + g]
            s.flags &= ~(new >> shift & _FLAG_MASK)
            s.update_irq()
        self.values[0x08 if first == 0 else 0x0C] = 0

    def _ndtr(self, s: Stream) -> int:
        s.sync()
        return s.ndtr()

    def _cr(self, s: Stream, old: int, new: int) -> None:
        if old & 1 and s.active:
            # Only the interrupt enables may change while EN=1 (RM0433 15.5: the other
            # fields are protected, CT is then a status bit).
            keep = ~(_IE_BITS | 1) & 0xFFFFFFFF
            if (old ^ new) & keep:
                self.warn_once(f"{self.name}: S{s.index}CR configuration written while EN=1: "
                               "ignored (RM0433 15.5)")
            self.values[s.base + CR] = (old & keep) | (new & (_IE_BITS | 1))
            if not new & 1:
                s.disable(by_hardware=False)
        elif new & 1 and not old & 1:
            s.enable()
        s.update_irq()

    def _locked(self, s: Stream, off: int, old: int) -> None:
        if s.active:
            self.values[s.base + off] = old
            self.warn_once(f"{self.name}: stream {s.index} register +{off:#x} written while EN=1: "
                           "ignored (RM0433 15.5)")

    def _mar(self, s: Stream, off: int, old: int) -> None:
        if not s.active:
            return
        if not s.bit(DBM):
            self._locked(s, off, old)
            return
        in_use = M1AR if s.bit(CT) else M0AR
        if off == in_use:
            # RM0433 15.5: writing the buffer in use sets TEIF and disables the stream
            self.values[s.base + off] = old
            s._error(f"M{0 if off == M0AR else 1}AR written while it is the current target")



MODEL = DMA
