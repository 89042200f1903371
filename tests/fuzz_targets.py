"""Fuzz targets: one case of each input path the simulator reads, and what counts as a defect.

Shared by the CI property tests (tests/test_fuzz.py, a seeded few hundred cases each) and the
campaign (scripts/fuzz.py, >= 10,000 cases each). A case may end in a result or in the path's
one-line error (the CLI prints it and exits 2 for bad input, 4 for a firmware fault); anything
else - another exception, a multi-line message, a report that is not valid JSON - is a defect
and raises :class:`Defect`.

Targets:
- ``elf``: a seed firmware ELF with bytes flipped, spans overwritten or the file cut short,
  loaded (symbols, sections, DWARF lines) and, with ``run=True``, booted and run for a few
  thousand cycles with a report built and serialised.
- ``audio``: WAV / FLAC / OGG files with mutated headers and data, or random bytes, opened and
  rendered to the SAI format.
- ``transcript``: arbitrary Unicode text through normalisation and G2P and the USART encoding
  of the firmware protocol (``prepare_transcript`` + ``encode_transcript``).
- ``usart``: arbitrary bytes as the firmware's result stream (``ResultParser``).
- ``semihosting``: a firmware that issues semihosting calls whose operation and parameter
  block come from the fuzzer (``SemihostingFirmware``), with a sandbox holding a file, a
  folder and a FIFO.
- ``irq``: interrupt transparency (ARMv7-M B1.5.6-B1.5.8): a generated Thumb-2 program (IT
  blocks across 1 KB pages, NZCV/Q/GE, LDREX/STREX, VFP with extended frames, odd SP,
  BASEPRI/PRIMASK) run without and with SysTick (+ PendSV: tail-chaining, nesting) must end
  with the same registers, flags, FP state and memory.
"""

from __future__ import annotations

import functools
import io
import json
import os
import re
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulator import json_safe


@functools.lru_cache(maxsize=1)
def _platform():
    """The default platform, parsed once: machines share it (as a sweep's clocks do), and
    parsing the TOML is most of a small case's cost."""
    from simulator.platform import load_platform
    return load_platform()


@functools.lru_cache(maxsize=4)
def _firmware(path: Path, mtime_ns: int):
    from simulator.elf import load_firmware
    return load_firmware(path)


class Defect(AssertionError):
    """The simulator did something no input may make it do."""


def _one_line(exc: BaseException, kind: str) -> None:
    text = str(exc)
    if not text or "\n" in text or "\r" in text:
        raise Defect(f"{kind} message is not one line: {text!r}") from exc


def _valid_json(obj: object) -> None:
    text = json_safe.dumps(obj)
    json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(Defect(f"{c} in JSON")))


# --- ELF -------------------------------------------------------------------------------------
@dataclass
class ElfMutation:
    flips: list[tuple[int, int]]          # (offset, xor byte)
    span: tuple[int, bytes] | None        # (offset, bytes written over)
    cut: int | None                       # keep only this many bytes


def mutate(seed: bytes, m: ElfMutation) -> bytes:
    raw = bytearray(seed)
    for off, x in m.flips:
        raw[off % len(raw)] ^= x or 0xFF
    if m.span is not None:
        off, data = m.span
        off %= len(raw)
        raw[off:off + len(data)] = data
    if m.cut is not None:
        raw = raw[:m.cut % (len(raw) + 1)]
    return bytes(raw)


def elf_case(data: bytes, workdir: Path, run: bool = False, max_cycles: int = 20_000) -> str:
    """Load (and optionally run) ``data`` as a firmware. Returns 'refused', 'loaded' or the
    run's exit reason."""
    from simulator.elf import FirmwareError, load_firmware
    from simulator.platform import PlatformError

    path = workdir / "fuzz.elf"
    path.write_bytes(data)
    try:
        fw = load_firmware(path)
    except FirmwareError as exc:
        _one_line(exc, "FirmwareError")
        return "refused"
    # lookups a report makes: functions, lines (DWARF), sections
    for addr in [fw.entry, *(s.addr for s in fw.sections[:8]), *(f.addr for f in fw.functions[:8])]:
        if not isinstance(fw.describe(addr), str):
            raise Defect("describe() did not return text")
    if not run:
        return "loaded"
    from simulator.machine import Machine, RunConfig
    from simulator.report import build_report

    try:
        m = Machine(fw, _platform(), RunConfig(max_cycles=max_cycles, timeout_s=20,
                                                   dcache="off"))
    except (FirmwareError, PlatformError) as exc:
        _one_line(exc, type(exc).__name__)
        return "refused"
    try:
        r = m.run()
        if r.exit_code not in range(-(1 << 31), 1 << 31):
            raise Defect(f"exit code {r.exit_code}")
        if r.diagnostic is not None and "\n" in r.diagnostic:
            raise Defect(f"multi-line diagnostic: {r.diagnostic!r}")
        _valid_json(build_report(m, r))
        return r.exit_reason
    finally:
        m.release()          # a machine's Unicorn reserves ~1 GiB until the GC finds its cycle


# --- audio -----------------------------------------------------------------------------------
def audio_seeds() -> dict[str, bytes]:
    """Small valid files of each container, as the mutation seeds."""
    import soundfile as sf

    rng = np.random.default_rng(0)
    x = (0.3 * rng.standard_normal((800, 2))).astype(np.float32)
    out = {}
    for fmt, sub, ext in (("WAV", "PCM_16", "wav"), ("WAV", "FLOAT", "wav"),
                          ("FLAC", "PCM_16", "flac"), ("OGG", "VORBIS", "ogg")):
        buf = io.BytesIO()
        sf.write(buf, x, 16000, format=fmt, subtype=sub)
        out[f"{sub.lower()}.{ext}"] = buf.getvalue()
    return out


def audio_case(data: bytes, suffix: str, workdir: Path) -> str:
    from simulator.audio import AudioError, AudioSource

    path = workdir / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        src = AudioSource.open(path)
    except AudioError as exc:
        _one_line(exc, "AudioError")
        return "refused"
    for rate, fmt in ((16000, "int16"), (8000, "int24")):
        try:
            clip = src.render(rate, fmt)
        except AudioError as exc:
            _one_line(exc, "AudioError")
            return "refused"
        _valid_json(clip.summary())
    return "decoded"


# --- transcript and the USART protocol --------------------------------------------------------
def transcript_case(text: str) -> str:
    from simulator.apps.aligner import G2PUnavailable, encode_transcript, prepare_transcript

    try:
        t = prepare_transcript(text)
        data = encode_transcript(t)
    except (ValueError, G2PUnavailable) as exc:
        _one_line(exc, type(exc).__name__)
        return "refused"
    if not data.endswith(b"E\n") or not data.isascii():
        raise Defect(f"protocol bytes malformed: {data[:80]!r}")
    return "encoded"


def usart_case(stream: bytes, chunk: int, n_words: int) -> str:
    from simulator.apps.aligner import ResultParser, Transcript, TranscriptWord, render

    p = ResultParser()
    for i in range(0, len(stream), max(chunk, 1)):
        p.feed(stream[i:i + max(chunk, 1)])
    p.close()
    t = Transcript([TranscriptWord(i, f"w{i}", [f"w{i}"], [1]) for i in range(n_words)])
    words = p.words(t)
    for fmt in ("json", "srt", "vtt", "textgrid"):
        render(words, fmt, None)
    _valid_json({"errors": p.errors, "logs": p.log_lines})
    return "parsed"


# --- firmware-driven semihosting ---------------------------------------------------------------
# A firmware that performs the semihosting calls listed in a table at CASES (flash is loaded
# from the ELF, the table is written into RAM before the run): each entry is 16 words:
# op, r1 mode, then 14 words of parameter block. r1 = the parameter block (mode 0), a raw word
# from the block (mode 1: a wild pointer), or a pointer into the name area (mode 2). Names and
# buffers live in the DATA area, which the fuzzer fills too.
SEMIHOST_FW = """
    .section .vectors, "a"
    .word 0x20020000
    .word reset
    .text
    .thumb_func
reset:
    ldr r4, =0x20000000        @ the case table
    ldr r5, [r4], #4           @ number of cases
next_case:
    cbz r5, done
    ldr r0, [r4]               @ op
    ldr r2, [r4, #4]           @ r1 mode
    add r1, r4, #8             @ parameter block
    cmp r2, #1
    it eq
    ldreq r1, [r4, #8]         @ mode 1: the first block word as r1
    cmp r2, #2
    it eq
    ldreq r1, =0x20010000      @ mode 2: the data area
    cmp r0, #0x18              @ SYS_EXIT / SYS_EXIT_EXTENDED would end the run: skip
    beq skip
    cmp r0, #0x20
    beq skip
    bkpt 0xab
skip:
    add r4, r4, #64
    subs r5, r5, #1
    b next_case
done:
    ldr sp, =0x2001f000
    ldr r1, =0x20026
    str r1, [sp]
    movs r0, #0
    str r0, [sp, #4]
    mov r1, sp
    movs r0, #0x20
    bkpt 0xab
"""
CASE_TABLE = 0x20000000
DATA_AREA = 0x20010000
CASE_WORDS = 16
MAX_CASES = (DATA_AREA - CASE_TABLE - 4) // (4 * CASE_WORDS)


@dataclass
class SemihostCall:
    op: int
    mode: int                  # 0: r1 = the block, 1: r1 = block[0], 2: r1 = the data area
    block: list[int]           # up to 14 words


def interesting_word(k: int) -> int:
    """Words that hit edges: pointers into the table, data area, flash, nothing; lengths
    around 0, small, huge, negative; fds 0..5."""
    table = [0, 1, 2, 3, 4, 5, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFF0, 16, 255,
             4096, 65536, DATA_AREA, DATA_AREA + 0xFFF0, CASE_TABLE, 0x08000000, 0x081FFFF0,
             0x60000000, 0xE000ED00, 0x40000000, 0x1FFFFFFF, 0x20020000 - 4, 0x24000000]
    return table[k % len(table)]


def semihosting_case(calls: list[SemihostCall], data: bytes, workdir: Path,
                     elf: Path) -> str:
    """Run ``calls`` from the semihosting firmware ``elf`` with ``data`` in the data area and
    a sandbox in ``workdir``; the run must end with the firmware's own exit (status 0)."""
    from simulator.machine import Machine, RunConfig
    from simulator.report import build_report

    root = workdir / "root"
    root.mkdir(exist_ok=True)
    (root / "file.bin").write_bytes(b"0123456789" * 10)
    (root / "dir").mkdir(exist_ok=True)
    if not (root / "fifo").exists():
        os.mkfifo(root / "fifo")
    m = Machine(_firmware(elf, elf.stat().st_mtime_ns), _platform(),
                RunConfig(max_cycles=50_000_000, timeout_s=60, semihosting_root=root,
                          dcache="off"))
    calls = calls[:MAX_CASES]
    words = [len(calls)]
    for c in calls:
        block = (list(c.block) + [0] * 14)[:14]
        words += [c.op & 0xFFFFFFFF, c.mode, *[w & 0xFFFFFFFF for w in block]]
    try:
        m.uc.mem_write(CASE_TABLE, struct.pack(f"<{len(words)}I", *words))
        m.uc.mem_write(DATA_AREA, data[:0xF000])
        r = m.run()
        if r.exit_reason != "exit" or r.exit_code != 0:
            raise Defect(f"semihosting calls ended the run: {r.exit_reason} {r.diagnostic}")
        _valid_json(build_report(m, r))
        return "ran"
    finally:
        m.release()          # a machine's Unicorn reserves ~1 GiB until the GC finds its cycle


# The seed of the boot-and-run ELF target: small (a machine is built per case), with a
# vector table, a call, a store and DWARF lines (-g).
SMALL_ELF = """
    .section .vectors, "a"
    .word 0x20010000
    .word reset
    .word nmi
    .word hardfault
    .text
    .thumb_func
reset:
    movs r0, #1
    ldr r1, =0x20000100
    str r0, [r1]
    bl helper
    b reset
    .thumb_func
helper:
    bx lr
    .thumb_func
nmi:
    b nmi
    .thumb_func
hardfault:
    b hardfault
"""


def _assemble(workdir: Path, source: str, name: str) -> Path:
    from .conftest import assemble
    return assemble(workdir, source, name)


def build_semihost_firmware(workdir: Path) -> Path:
    return _assemble(workdir, SEMIHOST_FW, "sh")


def build_small_elf(workdir: Path) -> Path:
    return _assemble(workdir, SMALL_ELF, "small")


def scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="h7fuzz-"))


# --- interrupt transparency --------------------------------------------------------------------
# The oracle is the architecture (ARMv7-M B1.5.6-B1.5.8): a handler that saves and restores
# what it uses must leave the interrupted program's registers, flags (NZCV, Q, GE), FP state and
# memory as they would be without the interrupt, whatever instruction it lands on. A generated
# program runs twice: SysTick off, then SysTick at a seeded period (its handler optionally
# pending PendSV: tail-chaining, or nesting when PendSV has the higher priority, and NVIC IRQ 0);
# the programs' final registers and data must be equal. IRQ_CFG (two words, written before the
# run) selects: the SysTick reload (0 = off) and what the SysTick handler pends (bit 0 PendSV,
# bit 1 IRQ 0).
IRQ_CFG = 0x2001F000
IRQ_DATA = 0x2001E000             # 256 B of program data, then SHARED, the loop counter
IRQ_SHARED = IRQ_DATA + 256       # incremented by the program (LDREX/STREX) and the handlers
IRQ_STATS = 0x2001F100            # SysTick, PendSV entries, OR of SP & 7 at entry, SVC, IRQ 0,
#                                   TIM6 entries, DMA1 stream 0 entries, DMA transfers started
IRQ_RESULT = 0x2001F200           # r0-r10, r12, APSR, FPSCR, SP, s0-s31
IRQ_PSP = 0x2001D000              # the process stack's top (the main stack: 0x20020000)
IRQ_DMA_SRC = 0x24000000          # AXI SRAM (DMA1 cannot reach DTCM): 64 B copied to +64
_RESULT_NAMES = ([f"r{i}" for i in range(11)] + ["r12", "APSR", "FPSCR", "SP"]
                 + [f"s{i}" for i in range(32)])
_REGS = [f"r{i}" for i in range(11)] + ["r12"]
_LOW = [f"r{i}" for i in range(8)]
_CONDS = ["eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le"]
_INVERSE = {"eq": "ne", "ne": "eq", "cs": "cc", "cc": "cs", "mi": "pl", "pl": "mi", "vs": "vc",
            "vc": "vs", "hi": "ls", "ls": "hi", "ge": "lt", "lt": "ge", "gt": "le", "le": "gt"}

IRQ_HANDLERS = f"""
    .thumb_func
systick:
    mov r0, sp                 @ r0-r3, r12 are in the frame: free for the handler
    and r0, r0, #7
    ldr r1, ={IRQ_STATS:#x}
    ldr r2, [r1, #8]
    orr r2, r2, r0             @ SP must be 8-byte aligned at entry (B1.5.6, CCR.STKALIGN)
    str r2, [r1, #8]
    ldr r2, [r1]
    adds r2, r2, #1
    str r2, [r1]
    ldr r3, ={IRQ_SHARED:#x}   @ a plain read-modify-write of what the program updates
    ldr r0, [r3]               @ with LDREX/STREX: its STREX must then fail and retry
    adds r0, r0, #1
    str r0, [r3]
    push {{r4-r7, lr}}         @ AAPCS: the callee-saved registers it uses
    vpush {{s16-s17}}
    mrs r4, basepri
    movs r5, #0x20
    msr basepri, r5
    ldr r0, =0x7ffffff0
    qadd r0, r0, r0            @ Q = 1
    sadd8 r0, r0, r2           @ GE
    adds r0, r0, r0            @ NZCV
    ldr r0, =0x00C00000        @ FPSCR.RMode = round towards zero, flags cleared
    vmsr fpscr, r0
    vmov s0, r2
    vcvt.f32.u32 s0, s0
    vmov.f32 s1, #0.5
    vdiv.f32 s2, s1, s0
    vmov s16, r2
    vadd.f32 s17, s16, s16
    vmov s14, s15, r0, r2
    mov r5, #0x5a5a5a5a
    mov r6, r5
    mov r7, r5
    ldr r3, ={IRQ_CFG:#x}
    ldr r3, [r3, #4]           @ bit 0: pend PendSV, bit 1: pend IRQ 0
    tst r3, #1
    beq 1f
    ands r0, r2, #1            @ every other entry pends PendSV
    beq 1f
    ldr r0, =0xE000ED04        @ ICSR.PENDSVSET
    mov r1, #0x10000000
    str r1, [r0]
1:
    tst r3, #2
    beq 2f
    tst r2, #2                 @ two entries in four pend IRQ 0 (NVIC_ISPR0)
    beq 2f
    ldr r0, =0xE000E200
    movs r1, #1
    str r1, [r0]
2:
    msr basepri, r4
    vpop {{s16-s17}}
    pop {{r4-r7, pc}}
    .thumb_func
svc:                           @ clobbers what AAPCS lets it, counts its entries
    mov r0, sp
    and r0, r0, #7
    ldr r1, ={IRQ_STATS:#x}
    ldr r2, [r1, #8]
    orr r2, r2, r0
    str r2, [r1, #8]
    ldr r2, [r1, #12]
    adds r2, r2, #1
    str r2, [r1, #12]
    ldr r3, =0x80000000
    qadd r12, r3, r3
    uadd8 r0, r3, r3
    vmov s0, s1, r3, r12
    vmul.f32 s2, s0, s1
    bx lr
    .thumb_func
irq0:                          @ an NVIC interrupt: counts, then as PendSV
    ldr r1, ={IRQ_STATS:#x}
    ldr r2, [r1, #16]
    adds r2, r2, #1
    str r2, [r1, #16]
    b pendsv_body
    .thumb_func
tim6:                          @ TIM6 update (level: UIF & UIE), every other entry a DMA copy
    ldr r1, ={IRQ_STATS:#x}
    ldr r2, [r1, #20]
    adds r2, r2, #1
    str r2, [r1, #20]
    ldr r0, =0x40001000
    movs r3, #0
    str r3, [r0, #0x10]        @ TIM6_SR: UIF = 0 (the line drops)
    tst r2, #1
    beq pendsv_body
    ldr r2, [r1, #28]
    adds r2, r2, #1
    str r2, [r1, #28]
    ldr r0, =0x40020010        @ DMA1 stream 0: memory to memory, 16 words, TCIE
    ldr r3, ={IRQ_DMA_SRC:#x}
    str r3, [r0, #8]           @ S0PAR: source
    ldr r3, ={IRQ_DMA_SRC + 64:#x}
    str r3, [r0, #12]          @ S0M0AR: destination
    movs r3, #16
    str r3, [r0, #4]           @ S0NDTR
    ldr r3, =0x00005691        @ MSIZE=PSIZE=word, MINC, PINC, DIR=10, TCIE, EN
    str r3, [r0]
    b pendsv_body
    .thumb_func
dma0:                          @ DMA1 stream 0 transfer complete
    ldr r1, ={IRQ_STATS:#x}
    ldr r2, [r1, #24]
    adds r2, r2, #1
    str r2, [r1, #24]
    ldr r0, =0x40020008        @ DMA1_LIFCR: stream 0 flags
    movs r3, #0x3D
    str r3, [r0]
    b pendsv_body
    .thumb_func
pendsv:
    ldr r1, ={IRQ_STATS:#x}
    ldr r2, [r1, #4]
    adds r2, r2, #1
    str r2, [r1, #4]
pendsv_body:
    mov r0, sp
    and r0, r0, #7
    ldr r2, [r1, #8]
    orr r2, r2, r0
    str r2, [r1, #8]
    ldr r3, ={IRQ_SHARED:#x}
    ldr r0, [r3]
    adds r0, r0, #1
    str r0, [r3]
    push {{r4, lr}}
    mov r4, #0xFFFFFFFF
    ldr r0, =0x80000000
    qsub r0, r0, r4            @ Q = 1
    usub8 r0, r4, r0           @ GE
    cmn r0, r0
    ldr r0, =0x03400000        @ FPSCR: DN, FZ, RMode = towards +inf
    vmsr fpscr, r0
    vmov s3, s4, r0, r4
    vsqrt.f32 s5, s3
    pop {{r4, pc}}
    .ltorg
"""


@dataclass
class IrqProgram:
    source: str
    period: int            # SysTick reload of the interrupted run
    pendsv: int            # the SysTick handler pends PendSV (bit 0) and IRQ 0 (bit 1)
    n_chunks: int          # chunks of the body before ``drop``
    tim6: int = 0          # TIM6 auto-reload of the interrupted run (0: off), its handler
    #                        starting a DMA1 stream 0 memory-to-memory copy every other entry
    unprivileged: bool = False   # the program runs with CONTROL.nPRIV = 1
    integer_only: bool = False   # no FP until the end: the thread has CONTROL.FPCA = 0, its
    #                              FP registers and FPSCR are not part of the compared state


def _irq_body(rng, n_chunks: int) -> list[str]:
    """Random chunks of state-carrying Thumb-2 (r11 = the data area, SP the stack), each
    one assembly text: a minimiser drops whole chunks."""
    out: list[str] = []
    label = iter(range(1_000_000))

    def reg(avoid=()) -> str:
        return rng.choice([r for r in _REGS if r not in avoid])

    def off() -> int:
        return 4 * rng.randrange(64)

    def tb_break() -> None:        # a branch ends Unicorn's translation block
        if rng.random() < 0.5:
            n = next(label)
            out.append(f"    b.n Lb{n}\nLb{n}:")

    def straddle() -> None:        # the next few instructions cross a 1 KB page boundary
        n = next(label)
        k = rng.choice([2, 4, 6, 8])
        out.append(f"    b.w Ls{n}\n    .p2align 10\n    .space {1024 - k}\nLs{n}:")

    def alu(cond: str = "") -> str:
        a, b, c = reg(), reg(), reg()
        op = rng.choice(["add", "sub", "eor", "orr", "and", "mul", "bic"])
        if op == "mul" and cond:
            op = "add"
        return f"    {op}{cond} {a}, {b}, {c}"

    chunks: list[str] = []
    for _ in range(n_chunks):
        if out:
            chunks.append("\n".join(out))
            out.clear()
        kind = rng.randrange(12)
        if kind == 0:                                  # flags, then an IT block using them
            if rng.random() < 0.3:
                straddle()
            out.append(f"    {rng.choice(['adds', 'subs', 'adcs', 'sbcs', 'eors'])} "
                       f"{reg()}, {reg()}, {reg()}")
            tb_break()
            cond = rng.choice(_CONDS)
            pattern = "".join(rng.choice("te") for _ in range(rng.randrange(4)))
            if rng.random() < 0.4:
                straddle()
            out.append(f"    it{pattern} {cond}")
            for p in "t" + pattern:
                cc = cond if p == "t" else _INVERSE[cond]
                r = rng.random()
                if r < 0.6:
                    out.append(alu(cc))
                elif r < 0.8:
                    out.append(f"    str{cc} {reg()}, [r11, #{off()}]")
                else:
                    out.append(f"    ldr{cc} {reg()}, [r11, #{off()}]")
        elif kind == 1:                                # Q: saturating ops, read back
            a, b = reg(), reg()
            out.append(f"    {rng.choice(['qadd', 'qsub', 'qdadd'])} {a}, {b}, {reg()}")
            out.append(f"    usat {reg()}, #{rng.randrange(32)}, {reg()}")
            out.append(f"    ssat {reg()}, #{rng.randrange(1, 33)}, {reg()}")
            tb_break()
            out.append(f"    mrs {a}, apsr")
            out.append(f"    str {a}, [r11, #{off()}]")
            if rng.random() < 0.3:
                out.append(f"    msr APSR_nzcvq, {b}")
        elif kind == 2:                                # GE: SADD8 ... SEL
            out.append(f"    {rng.choice(['sadd8', 'uadd8', 'ssub8', 'usub16', 'sasx'])} "
                       f"{reg()}, {reg()}, {reg()}")
            tb_break()
            if rng.random() < 0.3:
                straddle()
            out.append(f"    sel {reg()}, {reg()}, {reg()}")
        elif kind == 3:                                # LDREX/STREX retry loop
            n = next(label)
            a = reg()
            s = reg((a,))
            out.append(f"    add r11, r11, #256\nLx{n}:\n    ldrex {a}, [r11]")
            tb_break()
            out.append(f"    add {a}, {a}, #1")
            tb_break()
            out.append(f"    strex {s}, {a}, [r11]\n    cmp {s}, #0\n    bne Lx{n}\n"
                       "    sub r11, r11, #256")
            # the value read counts the handlers' increments: not part of the compared state
            out.append(f"    movw {a}, #{rng.randrange(65536)}")
        elif kind == 4:                                # VFP
            sa, sb, sc = (f"s{rng.randrange(32)}" for _ in range(3))
            op = rng.choice(["vadd.f32", "vmul.f32", "vsub.f32", "vdiv.f32", "vfma.f32"])
            out.append(f"    vmov {sb}, {reg()}\n    {op} {sa}, {sb}, {sc}")
            tb_break()
            out.append(f"    vcmp.f32 {sa}, {sc}\n    vmrs APSR_nzcv, fpscr")
            if rng.random() < 0.5:
                straddle()
            cond = rng.choice(_CONDS)
            out.append(f"    ite {cond}\n    vmov{cond} {reg()}, {sa}\n"
                       f"    vmov{_INVERSE[cond]} {reg()}, {sc}")
            if rng.random() < 0.3:
                out.append(f"    vmrs {reg()}, fpscr")
        elif kind == 5:                                # odd stack: frames need realignment
            a = reg()
            out.append(f"    sub sp, sp, #4\n    str {a}, [sp]")
            for _ in range(rng.randrange(1, 4)):
                out.append(alu())
                tb_break()
            out.append(f"    ldr {reg()}, [sp]\n    add sp, sp, #4")
        elif kind == 6:                                # masking
            r = reg()
            if rng.random() < 0.5:
                out.append(f"    movs {r}, #{rng.choice([0x20, 0x40, 0x60, 0x80, 0xC0])}\n"
                           f"    msr basepri, {r}")
                out.append(alu())
                tb_break()
                out.append(f"    movs {r}, #0\n    msr basepri, {r}")
            else:
                out.append("    cpsid i")
                out.append(alu())
                tb_break()
                out.append("    cpsie i")
        elif kind == 7:                                # a counted loop
            n = next(label)
            c = reg()
            out.append(f"    movs {c}, #{rng.randrange(2, 20)}\nLl{n}:")
            for _ in range(rng.randrange(1, 4)):
                a, b, d = reg((c,)), reg(), reg()
                out.append(f"    {rng.choice(['add', 'eor', 'sub'])} {a}, {b}, {d}")
            out.append(f"    subs {c}, {c}, #1\n    bne Ll{n}")
        elif kind == 8:                                # memory
            a, b = reg(), reg()
            o = 8 * rng.randrange(31)
            out.append(rng.choice([f"    strd {a}, {b}, [r11, #{o}]",
                                   f"    ldrd {a}, {b}, [r11, #{o}]" if a != b else alu(),
                                   f"    ldrb {a}, [r11, #{rng.randrange(256)}]",
                                   f"    strh {a}, [r11, #{2 * rng.randrange(128)}]"]))
        elif kind == 9:                                # multiply-accumulate, divide
            a, b = reg(), reg()
            b = b if b != a else reg((a,))
            out.append(rng.choice([f"    umull {a}, {b}, {reg()}, {reg()}",
                                   f"    smlal {a}, {b}, {reg()}, {reg()}",
                                   f"    udiv {a}, {reg()}, {reg()}",
                                   f"    sdiv {a}, {reg()}, {reg()}"]))
        elif kind == 10:                               # a synchronous exception, events
            r = rng.random()
            if r < 0.6:
                out.append(f"    svc #{rng.randrange(256)}")
            if r >= 0.3:           # the event register is set (SVC return, SEV): WFE goes on
                out.append("    sev\n    wfe" if r >= 0.6 else "    wfe")
        else:
            out.append(alu())
            tb_break()
    chunks.append("\n".join(out))
    return chunks


def irq_program(seed: int, drop: frozenset[int] = frozenset()) -> IrqProgram:
    """The program of case ``seed``: its assembly source and the interrupted run's SysTick;
    ``drop``: chunks of the body left out (minimising a defect)."""
    import random

    rng = random.Random(seed)
    systick_prio, pendsv_prio = rng.choice([(0x40, 0x80), (0x80, 0x40), (0x60, 0x60)])
    irq0_prio = rng.choice([0x20, 0x50, 0x60, 0x90])
    # half the programs run on the process stack (CONTROL.SPSEL, as an RTOS's tasks do):
    # frames go to PSP, handlers run on MSP
    psp = "" if rng.random() < 0.5 else f"""
    ldr r0, ={IRQ_PSP:#x}
    msr psp, r0
    movs r0, #2                 @ CONTROL.SPSEL = 1: thread mode on PSP
    msr control, r0
    isb"""
    init = [f"    ldr {r}, ={rng.getrandbits(32):#x}" for r in _REGS]
    init += [f"    vmov s{i}, s{i + 1}, r{i % 8}, r{(i + 3) % 8}" for i in range(0, 32, 2)]
    chunks = _irq_body(rng, rng.randrange(40, 120))
    body = [c for i, c in enumerate(chunks) if i not in drop]
    reps = rng.randrange(3, 12)
    from .conftest import vector_table
    # drawn from their own generator: the programs of the seeds before these sources came
    # (their body, periods, priorities) stay as they were
    more = random.Random(seed * 7919 + 17)
    tim6 = more.randrange(700, 2500) if more.random() < 0.5 else 0
    tim6_prio, dma_prio = more.choice([0x30, 0x50, 0x70]), more.choice([0x10, 0x50, 0xA0])
    unprivileged = more.random() < 1 / 3
    # integer-only programs: no FP instruction until the results are stored, so the thread runs
    # with CONTROL.FPCA = 0 (basic frames; handlers' FP use is a new FP context each time)
    integer_only = more.random() < 0.25
    first_fp = "    vmov.f32 s0, s0             @ an FP instruction: CONTROL.FPCA = 1 from here on"
    if integer_only:
        init = [line for line in init if not line.startswith("    v")]
        body = [c for c in body if not re.search(r"^\s+v", c, re.M)]
        first_fp = "    nop                         @ CONTROL.FPCA stays 0"
    drop_priv = """
    mrs r0, control
    orr r0, r0, #1              @ CONTROL.nPRIV: the program runs unprivileged
    msr control, r0
    isb""" if unprivileged else ""
    # unprivileged code cannot reach SysTick (a BusFault on silicon): it is left running
    systick_off = "" if unprivileged else """
    ldr r0, =0xE000E010
    movs r1, #0
    str r1, [r0]                @ SysTick off"""
    src = vector_table({11: "svc", 14: "pendsv", 15: "systick", 16: "irq0", 16 + 11: "dma0",
                        16 + 54: "tim6"}) + f"""
    .thumb_func
reset:{psp}
    ldr r0, =0xE000ED88         @ CPACR: CP10/CP11 full access
    ldr r1, [r0]
    orr r1, r1, #0x00F00000
    str r1, [r0]
    dsb
    isb
    ldr r0, =0xE000ED20         @ SHPR3: SysTick [31:24], PendSV [23:16]
    ldr r1, ={(systick_prio << 24) | (pendsv_prio << 16):#x}
    str r1, [r0]
    ldr r0, =0xE000E400         @ NVIC_IPR0: IRQ 0's priority
    movs r1, #{irq0_prio:#x}
    str r1, [r0]
    ldr r0, =0xE000E100         @ NVIC_ISER0: IRQ 0 enabled
    movs r1, #1
    str r1, [r0]
    ldr r11, ={IRQ_DATA:#x}
    movs r0, #0
    movs r1, #0
Lz:
    str r0, [r11, r1]           @ the data area, SHARED and the loop counter
    adds r1, r1, #4
    cmp r1, #264
    bne Lz
    ldr r0, ={IRQ_STATS:#x}
    movs r1, #0
    str r1, [r0]
    str r1, [r0, #4]
    str r1, [r0, #8]
    str r1, [r0, #12]
    str r1, [r0, #16]
    str r1, [r0, #20]
    str r1, [r0, #24]
    str r1, [r0, #28]
    movs r0, #{reps}
    str r0, [r11, #260]
    ldr r0, ={IRQ_CFG:#x}
    ldr r1, [r0, #8]            @ TIM6 ARR (0: off)
    cbz r1, Lnotim
    ldr r2, =0x580244E8         @ RCC_APB1LENR: TIM6EN
    ldr r3, [r2]
    orr r3, r3, #0x10
    str r3, [r2]
    ldr r2, =0x580244D8         @ RCC_AHB1ENR: DMA1EN
    ldr r3, [r2]
    orr r3, r3, #1
    str r3, [r2]
    ldr r2, =0xE000E400         @ NVIC_IPR: DMA1 stream 0 (IRQ 11), TIM6 (IRQ 54)
    movs r3, #{dma_prio:#x}
    strb r3, [r2, #11]
    movs r3, #{tim6_prio:#x}
    strb r3, [r2, #54]
    ldr r2, =0xE000E100
    mov r3, #(1 << 11)
    str r3, [r2]                @ ISER0: IRQ 11
    mov r3, #(1 << 22)
    str r3, [r2, #4]            @ ISER1: IRQ 54
    ldr r2, =0x40001000         @ TIM6: PSC 0, ARR, UIE, CEN
    movs r3, #0
    str r3, [r2, #0x28]
    str r1, [r2, #0x2C]
    movs r3, #1
    str r3, [r2, #0x0C]
    str r3, [r2]
Lnotim:
    ldr r1, [r0]
    cbz r1, Lgo
    ldr r0, =0xE000E010         @ SYST_CSR
    str r1, [r0, #4]            @ SYST_RVR
    movs r1, #0
    str r1, [r0, #8]            @ SYST_CVR
    movs r1, #7                 @ ENABLE | TICKINT | core clock
    str r1, [r0]
    b Lgo
    .ltorg
Lgo:{drop_priv}
{chr(10).join(init)}
{first_fp}
    b Ltop
    .ltorg
Ltop:
{chr(10).join(body)}
    ldr r0, [r11, #260]
    subs r0, r0, #1
    str r0, [r11, #260]
    bne.w Ltop
    ldr r11, ={IRQ_RESULT:#x}
    stmia r11!, {{r0-r10, r12}}
    mrs r0, apsr
    vmrs r1, fpscr
    mov r2, sp
    stmia r11!, {{r0-r2}}
    vstmia r11!, {{s0-s31}}{systick_off}
    movs r0, #0
    b exit_r0
    .ltorg
""" + IRQ_HANDLERS
    pend = int(rng.random() < 0.6) | (2 if rng.random() < 0.5 else 0)
    # the handlers cost about 205 cycles per tick on average when SysTick pends both PendSV and
    # IRQ 0: a shorter period starves the program (a livelock, as on silicon: campaign seed
    # 3000577 with reload 204 never left its first chunk), so ticks come at least 300 apart
    return IrqProgram(src, rng.randrange(300, 900), pend, len(chunks), tim6, unprivileged,
                      integer_only)


def build_irq_firmware(workdir: Path, program: IrqProgram, name: str = "irq") -> Path:
    from .conftest import SEMIHOST_EXIT
    return _assemble(workdir, program.source + SEMIHOST_EXIT, name)


@dataclass
class IrqRun:
    result: dict[str, int]
    data: bytes
    shared: int
    systick: int
    pendsv: int
    sp_misaligned: int
    svc: int
    irq0: int
    tim6: int = 0
    dma: int = 0
    dma_started: int = 0


def _irq_run(elf: Path, period: int, pendsv: int, max_cycles: int, tim6: int = 0) -> IrqRun:
    from simulator.machine import Machine, RunConfig

    m = Machine(_firmware(elf, elf.stat().st_mtime_ns), _platform(),
                RunConfig(max_cycles=max_cycles, timeout_s=60, dcache="off"))
    try:
        m.uc.mem_write(IRQ_CFG, struct.pack("<3I", period, int(pendsv), tim6))
        r = m.run()
        if r.exit_reason != "exit" or r.exit_code != 0:
            raise Defect(f"irq run (SysTick reload {period}) ended with {r.exit_reason} "
                         f"{r.exit_code}: {r.diagnostic}")
        vals = struct.unpack(f"<{len(_RESULT_NAMES)}I",
                             m.uc.mem_read(IRQ_RESULT, 4 * len(_RESULT_NAMES)))
        data = bytes(m.uc.mem_read(IRQ_DATA, 260))
        st, pv, mis, svc, irq0, t6, dma, started = struct.unpack(
            "<8I", m.uc.mem_read(IRQ_STATS, 32))
        return IrqRun(dict(zip(_RESULT_NAMES, vals)), data[:256],
                      struct.unpack("<I", data[256:])[0], st, pv, mis, svc, irq0, t6, dma,
                      started)
    finally:
        m.release()


_IRQ_KINDS = ("ended with", "SP & 7", "SVC entries", "differ", "LDREX")


def irq_minimise(seed: int, workdir: Path) -> tuple[IrqProgram, str]:
    """The smallest program (greedy: halves, quarters ... of the body's chunks left out) of
    case ``seed`` that still shows its defect's kind; returns it and its defect message."""
    def defect(drop: frozenset[int]) -> str | None:
        try:
            irq_case(seed, workdir, drop=drop)
        except Defect as exc:
            return str(exc)
        return None

    first = defect(frozenset())
    if first is None:
        raise ValueError(f"case {seed} shows no defect")
    kind = next((k for k in _IRQ_KINDS if k in first), first)
    n = irq_program(seed).n_chunks
    drop: frozenset[int] = frozenset()
    last = first
    step = max(n // 2, 1)
    while True:
        for i in range(0, n, step):
            cand = drop | frozenset(range(i, min(n, i + step)))
            msg = defect(cand) if cand != drop else None
            if msg is not None and kind in msg:
                drop, last = cand, msg
        if step == 1:
            break
        step //= 2
    return irq_program(seed, drop), last


def irq_case(seed: int, workdir: Path, max_cycles: int = 5_000_000,
             drop: frozenset[int] = frozenset()) -> str:
    """Case ``seed``: the program without and with interrupts. Returns 'same' (or
    'no interrupt' when none landed); a difference or a fault is a :class:`Defect`."""
    prog = irq_program(seed, drop)
    elf = build_irq_firmware(workdir, prog, f"irq{seed}-{len(drop)}-{hash(drop) & 0xFFFF}")
    ref = _irq_run(elf, 0, False, max_cycles)
    got = _irq_run(elf, prog.period, prog.pendsv, max_cycles, prog.tim6)
    where = (f"seed {seed} (SysTick reload {prog.period}, pends {prog.pendsv}, TIM6 ARR "
             f"{prog.tim6}{', unprivileged' if prog.unprivileged else ''}"
             f"{', FPCA = 0' if prog.integer_only else ''})")
    if got.sp_misaligned:
        raise Defect(f"{where}: a handler was entered with SP & 7 = {got.sp_misaligned}")
    if ref.sp_misaligned:
        raise Defect(f"{where}: SVC entered with SP & 7 = {ref.sp_misaligned}")
    if got.svc != ref.svc:
        raise Defect(f"{where}: {got.svc} SVC entries with interrupts, {ref.svc} without")
    # without an FP context (FPCA = 0) the handlers' FP use is not undone (B1.5.7: nothing
    # to preserve), so FPSCR and s0-s31 are the handlers' business
    names = [k for k in _RESULT_NAMES
             if not (prog.integer_only and (k == "FPSCR" or k.startswith("s")))]
    diff = [k for k in names if ref.result[k] != got.result[k]]
    if diff:
        k = diff[0]
        raise Defect(f"{where}: {', '.join(diff)} differ ({k} {ref.result[k]:#010x} without "
                     f"interrupts, {got.result[k]:#010x} with {got.systick} SysTick and "
                     f"{got.pendsv} PendSV, {got.irq0} IRQ 0 entries)")
    if ref.data != got.data:
        i = next(i for i in range(256) if ref.data[i] != got.data[i])
        raise Defect(f"{where}: data byte {i} differs ({ref.data[i]:#04x} vs {got.data[i]:#04x})")
    handlers = got.systick + got.pendsv + got.irq0 + got.tim6 + got.dma
    if got.shared - ref.shared != handlers:
        raise Defect(f"{where}: LDREX/STREX count {got.shared} != {ref.shared} + "
                     f"{handlers} handler increments (a lost update)")
    if prog.tim6 and got.systick * prog.period > 4 * (prog.tim6 + 1) and not got.tim6:
        raise Defect(f"{where}: TIM6 updated about {got.systick * prog.period // prog.tim6} "
                     "times with UIE set, its interrupt never taken")
    if got.dma != got.dma_started:
        raise Defect(f"{where}: {got.dma_started} DMA transfers started by the TIM6 handler, "
                     f"{got.dma} transfer-complete interrupts taken")
    if (prog.pendsv & 2) and got.systick >= 4 and not got.irq0:
        raise Defect(f"{where}: IRQ 0 pended by NVIC_ISPR0 {got.systick // 2} times, never taken")
    for ext in ("s", "o", "ld", "elf"):     # a defect's files stay for its repro
        elf.with_suffix(f".{ext}").unlink(missing_ok=True)
    return "same" if got.systick else "no interrupt"
