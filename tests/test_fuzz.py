"""A seeded few hundred fuzz cases per input path (tests/fuzz_targets.py says what a defect
is). The long campaign (>= 10,000 cases each) is scripts/fuzz.py; docs/hardening.md has its
figures. Hypothesis runs derandomized (a fixed seed per test), with no example database, so
CI sees the same cases every time."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from . import fuzz_targets as ft

SEEDED = {"derandomize": True, "database": None, "deadline": None,
          "suppress_health_check": list(HealthCheck)}

def mutations(size: int, header: int = 0x400) -> st.SearchStrategy[ft.ElfMutation]:
    """Flips and overwrites biased towards the ELF/program/section headers (the first
    ``header`` bytes and the last 2 KiB, where the section header table sits)."""
    offset = st.one_of(st.integers(0, header), st.integers(max(size - 2048, 0), size),
                       st.integers(0, size))
    return st.builds(
        ft.ElfMutation,
        flips=st.lists(st.tuples(offset, st.integers(0, 255)), min_size=1, max_size=6),
        span=st.none() | st.tuples(offset, st.binary(min_size=1, max_size=48)),
        cut=st.none() | st.none() | offset)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def seeds(workdir, firmware_build) -> dict[str, bytes]:
    small = ft.build_small_elf(workdir)
    return {"small": small.read_bytes(), "hello": (firmware_build / "hello.elf").read_bytes()}


# hello.elf carries newlib's DWARF: about 1 s of line-table parsing per case
@pytest.mark.parametrize("name,cases", [("small", 200), ("hello", 20)])
def test_fuzz_elf_loader(seeds, workdir, name, cases):
    seed = seeds[name]

    @settings(max_examples=cases, **SEEDED)
    @given(mutations(len(seed)))
    def case(m):
        ft.elf_case(ft.mutate(seed, m), workdir)
    case()


def test_fuzz_elf_boot_and_run(seeds, workdir):
    seed = seeds["small"]

    @settings(max_examples=25, **SEEDED)
    @given(mutations(len(seed), header=len(seed)))
    def case(m):
        ft.elf_case(ft.mutate(seed, m), workdir, run=True)
    case()


def test_fuzz_audio_reader(workdir):
    seeds = ft.audio_seeds()
    names = sorted(seeds)

    @settings(max_examples=200, **SEEDED)
    @given(st.sampled_from(names), st.lists(st.tuples(st.integers(0, 4096), st.integers(0, 255)),
                                            max_size=8),
           st.none() | st.integers(0, 8192), st.booleans())
    def case(name, flips, cut, random_suffix):
        data = ft.mutate(seeds[name], ft.ElfMutation(flips, None, cut))
        suffix = ".bin" if random_suffix else Path(name).suffix
        ft.audio_case(data, suffix, workdir)
    case()


@pytest.mark.skipif(shutil.which("espeak-ng") is None and not Path(
    "/usr/lib/x86_64-linux-gnu/libespeak-ng.so.1").exists(), reason="eSpeak NG not installed")
def test_fuzz_transcript_path():
    words = st.sampled_from(["hello", "world", "Dr.", "1,234", "3.5", "£20", "naïve", "--",
                             "'", "O'Neil", "e-mail", "ＡＢＣ", "😀", "\u200b", "\ufeff", "IV",
                             "1st", "%", "&", "a" * 120])

    @settings(max_examples=100, **SEEDED)
    @given(st.one_of(st.text(max_size=60),
                     st.lists(words, max_size=12).map(" ".join),
                     st.lists(st.one_of(words, st.text(max_size=8)), max_size=10).map(" ".join)))
    def case(text):
        ft.transcript_case(text)
    case()


def test_fuzz_usart_result_stream():
    line = st.one_of(
        st.binary(max_size=40),
        st.builds(lambda i, s, e, c: f"A {i} {s} {e} {c}\n".encode(),
                  st.integers(-5, 40), st.integers(-10**30, 10**30) | st.just(10**400),
                  st.integers(-10**30, 10**30) | st.just(10**400), st.integers(-5, 2000)),
        st.builds(lambda i: f"A {i} NF\n".encode(), st.integers(-3, 40)),
        st.builds(lambda f, w: f"D {f} {w}\n".encode(), st.integers(-3, 10**40),
                  st.integers(-3, 50)),
        st.just(b"# log line\n"), st.just(b"\r\n"), st.just(b"x" * 700))

    @settings(max_examples=300, **SEEDED)
    @given(st.lists(line, max_size=30).map(b"".join), st.integers(1, 64), st.integers(0, 40))
    def case(stream, chunk, n_words):
        ft.usart_case(stream, chunk, n_words)
    case()


def semihost_calls() -> st.SearchStrategy[list[ft.SemihostCall]]:
    word = st.one_of(st.integers(0, 40).map(ft.interesting_word), st.integers(0, 0xFFFFFFFF))
    op = st.one_of(st.sampled_from([1, 2, 3, 4, 5, 6, 7, 8, 9, 0xA, 0xC, 0xD, 0xE, 0xF, 0x10,
                                    0x11, 0x12, 0x13, 0x15, 0x16, 0x30, 0x31]),
                   st.integers(0, 0x200))
    call = st.builds(ft.SemihostCall, op, st.integers(0, 2), st.lists(word, max_size=14))
    return st.lists(call, min_size=1, max_size=200)


@pytest.mark.skipif(shutil.which("arm-none-eabi-as") is None, reason="binutils not installed")
def test_fuzz_firmware_driven_semihosting(workdir):
    elf = ft.build_semihost_firmware(workdir)
    names = st.sampled_from([b"file.bin", b"dir", b"fifo", b"../x", b"/etc/passwd", b":tt",
                             b":semihosting-features", b"new.txt", b"a\0b", b"",
                             b"dir/../file.bin"])

    @settings(max_examples=6, **SEEDED)
    @given(semihost_calls(), st.lists(names, min_size=1, max_size=8).map(lambda n: b"\0".join(n)),
           st.binary(max_size=256))
    def case(calls, name_blob, tail):
        ft.semihosting_case(calls, name_blob + b"\0" + tail, workdir, elf)
    case()


@pytest.mark.skipif(shutil.which("arm-none-eabi-as") is None, reason="binutils not installed")
def test_fuzz_interrupt_transparency(workdir):
    """Interrupts must not change what a program computes (ARMv7-M B1.5.6-B1.5.8): twelve
    fixed programs, each run without and with SysTick (and PendSV, NVIC IRQ 0) interrupts.
    With the ITSTATE or GE bug that tests/test_exception_psr.py pins put back, 4 and 8 of
    them report a defect."""
    outcomes = [ft.irq_case(seed, workdir) for seed in range(12)]
    assert outcomes == ["same"] * 12       # every program was interrupted, results equal


@pytest.mark.skipif(shutil.which("arm-none-eabi-as") is None, reason="binutils not installed")
def test_fuzz_exception_priority_order(workdir):
    """The order handlers run in (PRIGROUP, sub-priorities, BASEPRI, PRIMASK, disabled IRQs,
    pends from handlers, UDF taken as UsageFault or escalated to HardFault) is the ARM ARM's
    (B1.5.4, B1.5.15; tests/fuzz_priority.py's model): sixteen fixed programs. With PRIGROUP
    ignored, 5 of the first 20 differ; with pending exceptions ordered by number, 12; with the
    sub-priority ignored in that order, 2; with faults never escalated for priority, 10."""
    from . import fuzz_priority
    assert [fuzz_priority.prio_case(seed, workdir) for seed in range(16)] == ["same"] * 16
