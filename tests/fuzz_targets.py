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
"""

from __future__ import annotations

import functools
import io
import json
import os
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
    """Assemble and link with arm-none-eabi binutils (the layout of tests/conftest.py)."""
    import subprocess

    from .conftest import ASM_PRELUDE, LINKER

    src = workdir / f"{name}.s"
    src.write_text(ASM_PRELUDE + source)
    (workdir / f"{name}.ld").write_text(LINKER)
    subprocess.run(["arm-none-eabi-as", "-g", "-o", str(workdir / f"{name}.o"), str(src)],
                   check=True)
    subprocess.run(["arm-none-eabi-ld", "-T", str(workdir / f"{name}.ld"), "-o",
                    str(workdir / f"{name}.elf"), str(workdir / f"{name}.o")], check=True)
    return workdir / f"{name}.elf"


def build_semihost_firmware(workdir: Path) -> Path:
    return _assemble(workdir, SEMIHOST_FW, "sh")


def build_small_elf(workdir: Path) -> Path:
    return _assemble(workdir, SMALL_ELF, "small")


def scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="h7fuzz-"))
