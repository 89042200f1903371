"""SAI (serial audio interface) of the STM32H743 (RM0433 Rev 8, section 51): SAI1/SAI2/SAI3.

What is modelled: the two audio blocks (A, B) as *receivers* fed by the host
(:meth:`SAIBlock.attach_source`), one sample per audio frame in simulated time, into the
8-word FIFO of each block (RM0433 51.4), drained by DR reads or by a DMA stream (the DMA
asks for the block through DMAMUX1). A full FIFO loses new data and sets OVRUDR (51.4).

Frame rate (RM0433 51.4.8, "Clock generator"):
  * master, NODIV=0: fs = F_sai_ker_ck / (MCKDIV' * (OSR+1) * 256), and FRL+1 must be a power
    of two (8..256), otherwise WCKCFG is set and the block stays disabled;
  * master, NODIV=1: fs = F_sai_ker_ck / MCKDIV' / (FRL+1);
  * MCKDIV' = MCKDIV, with 0 meaning divide by 1;
  * slave: the external clock is the host's: ``slave_fs_hz`` (platform parameter, default
    16000) or the rate given to :meth:`SAIBlock.attach_source`;
  * SYNCEN=01 (synchronous with the other block of this SAI): the other block's rate.
The kernel clock comes from ``RCC.kernel_clock_hz(<SAI name>)`` (D2CCIP1R.SAI1SEL/SAI23SEL ->
pll1_q / pll2_p / pll3_p / I2S_CKIN / per_ck); without an RCC model, ``ctx.clock_hz`` of the
``kernel_clock`` parameter (default "pll1_q", the reset selection).

Time: no event per sample. A block keeps an anchor (cycle, frame) and its frame period as an
exact fraction of core cycles, so the number of frames received by any cycle is one division.
Frames are moved into the FIFO / DMA lazily whenever the firmware can observe them (a register
read or write of this SAI, a DMA register read, the DMA's half/complete points) and at one
scheduled event for the next observable change of this block (FIFO threshold with FREQIE,
overrun with OVRUDRIE, end of the source).

End of the source: the block keeps running (SAIEN stays 1) but no more frames arrive: the FIFO
and the DMA stream simply stop filling, NDTR stays where the last sample left it and no further
HT/TC comes (silicon would keep clocking in zeros or noise; stopping makes the end visible and
lets a run whose firmware waits in WFI end as idle). The host is told through
``end_listeners`` (called at the cycle of the last frame) so it can send an end marker over the
USART protocol.

Not modelled: transmitters (data written to DR is discarded, logged once), companding, mute
detection, AC'97/SPDIF protocol specifics, PDM interface, anticipated/late frame sync errors.
Data in DR is right-aligned on DS bits with the upper bits 0 (our reading of RM0433 51.4,
"data size"; firmware that needs signed 24-bit samples sign-extends them itself).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from fractions import Fraction
from typing import Protocol

import numpy as np

from .base import RO, WO, Field, Peripheral, Register

FIFO_WORDS = 8                                   # RM0433 51.4: 8-word FIFO per block
#: SAI_xCR1.DS code -> data size in bits (RM0433 51.6; 000/001 reserved).
DATA_SIZE_BITS = {2: 8, 3: 10, 4: 16, 5: 20, 6: 24, 7: 32}
#: SAI_xCR2.FTH -> FIFO level (words) that sets FREQ in reception (RM0433 51.6).
_RX_THRESHOLD = {0: 1, 1: 2, 2: 4, 3: 6, 4: 8}
#: SAI_xSR / xIM / xCLRFR bit positions (RM0433 51.6).
OVRUDR, MUTEDET, WCKCFG, FREQ, CNRDY, AFSDET, LFSDET = 0, 1, 2, 3, 4, 5, 6
_STICKY = (1 << OVRUDR) | (1 << MUTEDET) | (1 << WCKCFG) | (1 << CNRDY) | (1 << AFSDET) | \
    (1 << LFSDET)

# Block register offsets relative to the block (A at 0x04, B at 0x24; RM0433 51.6 map).
BLOCK_BASE = {"A": 0x04, "B": 0x24}
CR1, CR2, FRCR, SLOTR, IM, SR, CLRFR, DR = 0x00, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18, 0x1C


def _block_registers(x: str) -> tuple[Register, ...]:
    b = BLOCK_BASE[x]
    return (
        # 51.6 SAI_xCR1, reset 0x0000 0040 (DS = 8 bits).
        Register(f"{x}CR1", b + CR1, (
            Field("MODE", 0, 2), Field("PRTCFG", 2, 2), Field("DS", 5, 3, reset=2),
            Field("LSBFIRST", 8), Field("CKSTR", 9), Field("SYNCEN", 10, 2), Field("MONO", 12),
            Field("OUTDRIV", 13), Field("SAIEN", 16), Field("DMAEN", 17), Field("NODIV", 19),
            Field("MCKDIV", 20, 6), Field("OSR", 26), Field("MCKEN", 27),
        )),
        # 51.6 SAI_xCR2, reset 0. FFLUSH is write-only (reads 0).
        Register(f"{x}CR2", b + CR2, (
            Field("FTH", 0, 3), Field("FFLUSH", 3, access=WO), Field("TRIS", 4),
            Field("MUTE", 5), Field("MUTEVAL", 6), Field("MUTECNT", 7, 6), Field("CPL", 13),
            Field("COMP", 14, 2),
        )),
        # 51.6 SAI_xFRCR, reset 0x0000 0007.
        Register(f"{x}FRCR", b + FRCR, (
            Field("FRL", 0, 8, reset=7), Field("FSALL", 8, 7), Field("FSDEF", 16),
            Field("FSPOL", 17), Field("FSOFF", 18),
        )),
        # 51.6 SAI_xSLOTR, reset 0.
        Register(f"{x}SLOTR", b + SLOTR, (
            Field("FBOFF", 0, 5), Field("SLOTSZ", 6, 2), Field("NBSLOT", 8, 4),
            Field("SLOTEN", 16, 16),
        )),
        # 51.6 SAI_xIM, reset 0.
        Register(f"{x}IM", b + IM, tuple(Field(n, i) for i, n in enumerate(
            ("OVRUDRIE", "MUTEDETIE", "WCKCFGIE", "FREQIE", "CNRDYIE", "AFSDETIE",
             "LFSDETIE")))),
        # 51.6 SAI_xSR, read-only; reset 0x0000 0008 (FREQ: empty FIFO of a transmitter).
        Register(f"{x}SR", b + SR, (
            Field("OVRUDR", OVRUDR, access=RO), Field("MUTEDET", MUTEDET, access=RO),
            Field("WCKCFG", WCKCFG, access=RO), Field("FREQ", FREQ, access=RO, reset=1),
            Field("CNRDY", CNRDY, access=RO), Field("AFSDET", AFSDET, access=RO),
            Field("LFSDET", LFSDET, access=RO), Field("FLVL", 16, 3, access=RO),
        )),
        # 51.6 SAI_xCLRFR, write-only.
        Register(f"{x}CLRFR", b + CLRFR, tuple(Field(n, i, access=WO) for i, n in (
            (0, "COVRUDR"), (1, "CMUTEDET"), (2, "CWCKCFG"), (4, "CCNRDY"), (5, "CAFSDET"),
            (6, "CLFSDET")))),
        # 51.6 SAI_xDR: the FIFO head (reads pop in reception).
        Register(f"{x}DR", b + DR, (), access="rw"),
    )


class DMASink(Protocol):
    """What a DMA stream offers to a request source (see peripherals/dma.py)."""

    def dma_capacity(self) -> int:
        """Data items the stream can take right now without stopping."""

    def dma_accept(self, words: np.ndarray) -> int:
        """Transfer ``words`` (DR values, in order); returns how many were taken."""

    def dma_source_changed(self) -> None:
        """The source's timeline changed (enable, clock, DMAEN): recompute deadlines."""


class SAIBlock:
    """One audio block (A or B): FIFO, frame timeline, host source and DMA sink."""

    def __init__(self, sai: SAI, port: str) -> None:
        self.sai = sai
        self.port = port
        self.offset = BLOCK_BASE[port]
        self.fifo: deque[int] = deque()
        self.source: np.ndarray | None = None      # DR words (already masked to DS bits)
        self.source_rate: float | None = None
        self.source_pos = 0                        # samples of the source delivered so far
        self.overruns = 0                          # data words lost to a full FIFO
        self.frames = 0                            # frames clocked since SAIEN
        self.sink: DMASink | None = None
        self.end_listeners: list[Callable[[int], None]] = []
        self.finished_cycle: int | None = None     # cycle of the source's last frame
        self._raw_source: np.ndarray | None = None
        self._factory: Callable[[float, int], np.ndarray] | None = None
        self._factory_key: tuple[int, int] | None = None
        self._running = False
        self._anchor_cycle = 0
        self._anchor_frame = 0
        self._period = Fraction(0)                 # core cycles per frame
        self._event: int | None = None
        self._names: dict[str, str] = {}           # register -> this block's name of it
        self._wpf: dict[tuple[int, int], int] = {}   # words_per_frame by (SLOTR, CR1)

    # --- names -------------------------------------------------------------------------------
    def r(self, reg: str) -> str:
        name = self._names.get(reg)
        if name is None:
            name = self._names[reg] = f"{self.port}{reg}"
        return name

    def field(self, reg: str, fld: str) -> int:
        return self.sai.get_field(self.r(reg), fld)

    @property
    def dr_address(self) -> int:
        return self.sai.base + self.offset + DR

    @property
    def running(self) -> bool:
        return self._running

    @property
    def is_receiver(self) -> bool:
        return bool(self.field("CR1", "MODE") & 1)     # MODE 01 master rx, 11 slave rx

    @property
    def data_bits(self) -> int:
        return DATA_SIZE_BITS.get(self.field("CR1", "DS"), 8)

    # --- host side ---------------------------------------------------------------------------
    def attach_source(self, samples: np.ndarray, rate_hz: float | None = None) -> None:
        """Feed ``samples`` (mono; one per audio frame) from the next frame on.

        Integer samples are taken as signed values of the block's data size (e.g. int16 for
        DS=16, int24-in-int32 for DS=24); float samples are full-scale +-1.0 and are converted
        with the data size in force when the block is enabled. ``rate_hz`` is used only in
        slave mode, where the host supplies the frame clock."""
        self.sync()
        self._factory = None
        self._raw_source = np.asarray(samples)
        if self._raw_source.ndim != 1:
            raise ValueError("attach_source expects a 1-D (mono) array")
        self.source_rate = rate_hz
        self.source_pos = 0
        self.finished_cycle = None
        self.source = self._format(self._raw_source)
        self._reschedule()

    def attach_source_factory(self, factory: Callable[[float, int], np.ndarray]) -> None:
        """Render the source when the block is enabled: ``factory(frame_rate_hz, data_bits)``
        returns the samples for the rate and data size the firmware programmed (see
        ``simulator.audio.AudioSource.sai_factory``). Rendered again, at the same point in
        audio time, if a later enable changes the rate or data size."""
        self._factory = factory
        self._factory_key = None

    def _render_from_factory(self) -> None:
        fs, bits = self.frame_rate_hz(), self.data_bits
        if self._factory is None or fs <= 0 or (round(fs), bits) == self._factory_key:
            return
        old_key, old_pos = self._factory_key, self.source_pos
        try:
            samples = self._factory(fs, bits)
        except Exception as exc:   # noqa: BLE001  (reported, the run goes on without audio)
            self.sai.warn_once(f"{self.sai.name}: block {self.port}: audio source failed: {exc}")
            self._factory = None
            return
        self._factory_key = (round(fs), bits)
        self._raw_source = np.asarray(samples)
        self.source_pos = 0 if old_key is None else round(old_pos * round(fs) / old_key[0])
        self.source = self._format(self._raw_source)

    def remaining(self) -> int:
        return 0 if self.source is None else len(self.source) - self.source_pos

    def _format(self, raw: np.ndarray) -> np.ndarray:
        bits = self.data_bits
        if np.issubdtype(raw.dtype, np.floating):
            lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
            raw = np.clip(np.rint(raw.astype(np.float64) * (1 << (bits - 1))), lo, hi)
        return (raw.astype(np.int64) & ((1 << bits) - 1)).astype(np.uint32)

    # --- DMA side ----------------------------------------------------------------------------
    def attach_sink(self, sink: DMASink) -> None:
        self.sync()
        self.sink = sink
        self._drain_fifo()
        self._reschedule()

    def detach_sink(self, sink: DMASink) -> None:
        if self.sink is sink:
            self.sink = None
            self._reschedule()

    def words_per_frame(self) -> int:
        """Data words a frame brings into the FIFO (RM0433 51.4 slots; MONO keeps slot 0):
        a function of SLOTR and CR1 alone, remembered by their values (asked at every DMA
        deadline)."""
        key = (self.sai.reg(self.r("SLOTR")), self.sai.reg(self.r("CR1")))
        n = self._wpf.get(key)
        if n is None:
            if len(self._wpf) > 64:
                self._wpf.clear()
            n = self._wpf[key] = self._words_per_frame()
        return n

    def _words_per_frame(self) -> int:
        nslots = self.field("SLOTR", "NBSLOT") + 1
        enabled = (self.field("SLOTR", "SLOTEN") & ((1 << nslots) - 1)).bit_count()
        if self.field("CR1", "MONO") and nslots == 2:
            return 1
        return max(enabled, 1) if self.field("SLOTR", "SLOTEN") else 1

    def cycle_for_words(self, n: int) -> int | None:
        """Cycle at which ``n`` more data words will have arrived (None: never)."""
        if not self._running or self._period.numerator <= 0:
            return None
        n = max(n - len(self.fifo), 0)
        k = self.words_per_frame()
        frames = -(-n // k)
        if frames > self.remaining():
            return None
        return self.cycle_of(self.frames + frames)

    # --- timeline ----------------------------------------------------------------------------
    def frames_at(self, cycle: int) -> int:
        if cycle <= self._anchor_cycle:
            return self._anchor_frame
        p = self._period
        return self._anchor_frame + ((cycle - self._anchor_cycle) * p.denominator) // p.numerator

    def cycle_of(self, frame: int) -> int:
        """First cycle at which ``frame`` frames have been received."""
        p = self._period
        n = frame - self._anchor_frame
        return self._anchor_cycle + (-(-n * p.numerator // p.denominator))

    def frame_rate_hz(self) -> float:
        """Audio frame (sample) rate from the clock configuration; 0 if it has no clock."""
        mode = self.field("CR1", "MODE")
        if self.field("CR1", "SYNCEN") == 1:
            other = self.sai.blocks["B" if self.port == "A" else "A"]
            if other.field("CR1", "SYNCEN") == 1:
                return 0.0
            return other.frame_rate_hz()
        if mode & 2:   # slave: the frame clock comes from outside
            return float(self.source_rate or self.sai.slave_fs_hz)
        ker = self.sai.kernel_hz()
        div = self.field("CR1", "MCKDIV") or 1
        if self.field("CR1", "NODIV"):
            return ker / div / (self.field("FRCR", "FRL") + 1)
        return ker / (div * (self.field("CR1", "OSR") + 1) * 256)

    def wrong_clock_config(self) -> bool:
        """WCKCFG condition (RM0433 51.6): master, NODIV=0 and FRL+1 not a power of 2 in
        8..256."""
        if self.field("CR1", "MODE") & 2 or self.field("CR1", "NODIV"):
            return False
        frl = self.field("FRCR", "FRL") + 1
        return frl < 8 or frl & (frl - 1) != 0

    def _period_cycles(self) -> Fraction:
        fs = self.frame_rate_hz()
        cpu = self.sai.ctx.clock_hz("cpu")
        if fs <= 0 or cpu <= 0:
            return Fraction(0)
        return (Fraction(cpu) / Fraction(fs)).limit_denominator(1 << 24)

    def start(self) -> None:
        now = self.sai.ctx.now()
        self._running = True
        self.frames = 0
        self._anchor_cycle, self._anchor_frame = now, 0
        self._period = self._period_cycles()
        self._render_from_factory()
        if self._raw_source is not None:      # the data size may have changed since attach
            self.source = self._format(self._raw_source)
        if self._period <= 0:
            self.sai.warn_once(f"{self.sai.name}: block {self.port} enabled without a frame clock "
                               "(kernel clock 0?): no data will be received")
        self._reschedule()

    def stop(self) -> None:
        self.sync()
        self._running = False
        self._reschedule()

    def clock_changed(self) -> None:
        """Re-anchor at the last frame boundary with the new period."""
        if not self._running:
            return
        new = self._period_cycles()
        if new == self._period:
            return
        self.sync()
        if self._period > 0:
            self._anchor_cycle = self.cycle_of(self.frames)
        else:
            self._anchor_cycle = self.sai.ctx.now()
        self._anchor_frame = self.frames
        self._period = new
        self._reschedule()

    def sync(self) -> None:
        """Bring the FIFO / DMA up to the current cycle."""
        if not self._running or self._period.numerator <= 0:
            return
        total = self.frames_at(self.sai.ctx.now())
        new = total - self.frames
        if new <= 0:
            return
        self.frames = total
        m = min(new, self.remaining())
        if m <= 0:
            return
        samples = self.source[self.source_pos:self.source_pos + m]   # type: ignore[index]
        self.source_pos += m
        k = self.words_per_frame()
        if k == 1:
            words = samples
        else:   # the microphone drives the first slot; the other slots read 0
            words = np.zeros(m * k, dtype=np.uint32)
            words[::k] = samples
        self._push(words)

    def _dma_active(self) -> bool:
        return self.sink is not None and bool(self.field("CR1", "DMAEN"))

    def _drain_fifo(self) -> None:
        if self.fifo and self._dma_active():
            words = np.fromiter(self.fifo, dtype=np.uint32, count=len(self.fifo))
            taken = self.sink.dma_accept(words)   # type: ignore[union-attr]
            for _ in range(taken):
                self.fifo.popleft()

    def _push(self, words: np.ndarray) -> None:
        self._drain_fifo()
        start = 0
        if self._dma_active() and not self.fifo:
            start = self.sink.dma_accept(words)   # type: ignore[union-attr]
        rest = words[start:]
        room = FIFO_WORDS - len(self.fifo)
        self.fifo.extend(int(w) for w in rest[:room])
        lost = len(rest) - min(room, len(rest))
        if lost > 0:
            self.overruns += lost
            self._set_flag(OVRUDR)

    # --- status ------------------------------------------------------------------------------
    def status(self) -> int:
        sr = self.sai.reg(self.r("SR")) & _STICKY
        n = len(self.fifo)
        if self.is_receiver:
            flvl = 0 if n == 0 else 5 if n >= 8 else (n + 1) // 2 if n < 7 else 4
            freq = n >= _RX_THRESHOLD.get(self.field("CR2", "FTH"), 8)
        else:   # transmit is not modelled: its FIFO always reads empty, requesting data
            flvl, freq = 0, True
        return sr | (int(freq) << FREQ) | (flvl << 16)

    def _set_flag(self, bit: int) -> None:
        self.sai.set_reg(self.r("SR"), self.sai.reg(self.r("SR")) | (1 << bit))
        self.sai.update_irq()

    def pop(self) -> int:
        self.sync()
        value = self.fifo.popleft() if self.fifo else 0
        self._reschedule()
        return value

    def flush(self) -> None:
        self.sync()
        self.fifo.clear()

    # --- the next observable change ------------------------------------------------------------
    def _reschedule(self) -> None:
        """Replace this block's event by one at its next observable change, and tell the DMA
        stream it feeds that the timeline may have changed."""
        if self.sink is not None:
            self.sink.dma_source_changed()
        ctx = self.sai.ctx
        if self._event is not None:
            ctx.cancel(self._event)
            self._event = None
        if not self._running or self._period.numerator <= 0 or self.remaining() <= 0:
            return
        k = self.words_per_frame()
        candidates = [self.cycle_of(self.frames + self.remaining())]   # end of the source
        if not self._dma_active():
            n = len(self.fifo)
            im = self.sai.reg(self.r("IM"))
            need: list[int] = []
            if im >> FREQ & 1:
                thr = _RX_THRESHOLD.get(self.field("CR2", "FTH"), 8)
                if n < thr:
                    need.append(thr - n)
            if im >> OVRUDR & 1:
                need.append(FIFO_WORDS + 1 - n)
            for w in need:
                frames = -(-w // k)
                if frames <= self.remaining():
                    candidates.append(self.cycle_of(self.frames + frames))
        cycle = max(min(candidates), ctx.now())
        self._event = ctx.schedule(cycle, self._fire)

    def _fire(self, cycle: int) -> None:
        self._event = None
        self.sync()
        if self._running and self.remaining() == 0 and self.finished_cycle is None \
                and self.source is not None:
            self.finished_cycle = cycle
            for listener in list(self.end_listeners):
                listener(cycle)
        self._reschedule()
        self.sai.update_irq()


class SAI(Peripheral):
    """SAI1/2/3: global configuration plus two audio blocks (see the module docstring)."""

    registers = (
        # 51.6 SAI_GCR, reset 0.
        Register("GCR", 0x00, (Field("SYNCIN", 0, 2), Field("SYNCOUT", 4, 2))),
        *_block_registers("A"),
        *_block_registers("B"),
        # 51.6 SAI_PDMCR / SAI_PDMDLY (SAI1 and SAI4 only), reset 0.
        Register("PDMCR", 0x44, (Field("PDMEN", 0), Field("MICNBR", 4, 2), Field("CKEN1", 8),
                                 Field("CKEN2", 9), Field("CKEN3", 10), Field("CKEN4", 11))),
        Register("PDMDLY", 0x48),
    )
    bus_clock = "pclk2"      # SAI1-3 sit on APB2 (RM0433 Table 8)
    outputs = ("dma_a", "dma_b")   # DMA request sources of blocks A and B

    def __init__(self, name: str, base: int, size: int, ctx, **params: object) -> None:
        irqs = params.get("irqs") or {}
        self.irq: int | None = int(next(iter(irqs.values()))) \
            if isinstance(irqs, dict) and irqs else None
        self.kernel_clock = str(params.get("kernel_clock", "pll1_q"))
        self.slave_fs_hz = float(params.get("slave_fs_hz", 16000))   # type: ignore[arg-type]
        self._irq_level = False
        self.blocks = {"A": SAIBlock(self, "A"), "B": SAIBlock(self, "B")}
        super().__init__(name, base, size, ctx, **params)
        for port, blk in self.blocks.items():
            o = BLOCK_BASE[port]
            self._read_hooks[o + SR] = lambda v, b=blk: b.status()
            self._read_hooks[o + DR] = lambda v, b=blk: b.pop()
            self._write_hooks[o + CR1] = lambda old, new, b=blk: self._cr1(b, old, new)
            self._write_hooks[o + CR2] = lambda old, new, b=blk: self._cr2(b, new)
            self._write_hooks[o + CLRFR] = lambda old, new, b=blk: self._clrfr(b, new)
            self._write_hooks[o + DR] = lambda old, new, b=blk: self._dr_write(b)
            self._write_hooks[o + IM] = lambda old, new, b=blk: b._reschedule()

    def reset(self) -> None:
        for blk in getattr(self, "blocks", {}).values():
            blk._running = False
            blk._reschedule()
            blk.fifo.clear()
        super().reset()

    def connected(self, find) -> None:
        if self.clocks is not None:
            self.clocks.clock_changed.connect(self._clock_changed)

    # --- public helpers ----------------------------------------------------------------------
    def dma_port(self, port: str) -> SAIBlock:
        """The request source behind DMAMUX request SAIx_A / SAIx_B (platform ``requests``)."""
        return self.blocks[port]

    @property
    def dma_a(self) -> SAIBlock:
        """The DMA request source of block A (DMAMUX request SAIx_A, wired in the platform)."""
        return self.blocks["A"]

    @property
    def dma_b(self) -> SAIBlock:
        return self.blocks["B"]

    def attach_source(self, samples: np.ndarray, port: str = "A",
                      rate_hz: float | None = None) -> None:
        self.blocks[port].attach_source(samples, rate_hz)

    @property
    def overruns(self) -> int:
        return sum(b.overruns for b in self.blocks.values())

    # --- bus side ----------------------------------------------------------------------------
    def read(self, offset: int, size: int) -> int:
        for blk in self.blocks.values():
            blk.sync()
        value = super().read(offset, size)
        self.update_irq()
        return value

    def write(self, offset: int, size: int, value: int) -> None:
        if not self.clock_enabled():
            self.warn_once(f"{self.name}: write {value:#x} to +{offset:#x} ignored: its RCC clock "
                           "enable bit (APB2ENR) is 0")
            return
        for blk in self.blocks.values():
            blk.sync()        # frames up to now follow the old configuration
        super().write(offset, size, value)
        self.update_irq()

    def _cr1(self, blk: SAIBlock, old: int, new: int) -> None:
        en, dmaen = 1 << 16, 1 << 17
        if old & en and new & en and (old ^ new) & ~(en | dmaen):
            self.warn_once(f"{self.name}: {blk.port}CR1 configuration changed while SAIEN=1 "
                           "(RM0433 51.6: configure with the block disabled)")
        if new & en and not old & en:
            if blk.wrong_clock_config():
                blk._set_flag(WCKCFG)
                self.set_reg(blk.r("CR1"), new & ~en)
                self.warn_once(f"{self.name}: block {blk.port}: NODIV=0 needs FRL+1 a power of two "
                               f"in 8..256 (FRL={blk.field('FRCR', 'FRL')}): WCKCFG set, block "
                               "not enabled (RM0433 51.4.8)")
                return
            if not blk.is_receiver:
                self.warn_once(f"{self.name}: block {blk.port} enabled as a transmitter: transmit "
                               "is not modelled (data written to DR is discarded)")
            if self.get_field("PDMCR", "PDMEN"):
                self.warn_once(f"{self.name}: PDM interface (PDMCR.PDMEN) is not modelled")
            if blk.is_receiver:
                blk.start()
        elif old & en and not new & en:
            blk.stop()
        if (old ^ new) & (1 << 17):
            blk._drain_fifo()
            blk._reschedule()

    def _cr2(self, blk: SAIBlock, new: int) -> None:
        if new & (1 << 3):
            blk.flush()
        if new >> 14 & 3:
            self.warn_once(f"{self.name}: companding (CR2.COMP) is not modelled")
        blk._reschedule()

    def _clrfr(self, blk: SAIBlock, new: int) -> None:
        sr = self.reg(blk.r("SR"))
        self.set_reg(blk.r("SR"), sr & ~(new & _STICKY))
        self.set_reg(blk.r("CLRFR"), 0)
        blk._reschedule()

    def _dr_write(self, blk: SAIBlock) -> None:
        if not blk.is_receiver:
            self.warn_once(f"{self.name}: DR write to transmitter block {blk.port} discarded "
                           "(transmit not modelled)")

    def update_irq(self) -> None:
        if self.irq is None:
            return
        level = any(b.status() & self.reg(b.r("IM")) & 0x7F for b in self.blocks.values())
        if level != self._irq_level:
            self._irq_level = level
            self.ctx.set_irq(self.irq, level)

    def _clock_changed(self) -> None:
        for blk in self.blocks.values():
            blk.clock_changed()



MODEL = SAI
