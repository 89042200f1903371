#!/usr/bin/env python3
"""Fuzz campaign: many cases per input path, every defect collected (not just the first).

    .venv/bin/python scripts/fuzz.py --target all --cases 10000 --seed 1
    .venv/bin/python scripts/fuzz.py --target elf --cases 10000 --elf firmware/build/hello.elf
    .venv/bin/python scripts/fuzz.py --target irq --cases 3000 --seed 1
    .venv/bin/python scripts/fuzz.py --target prio --cases 3000 --seed 1  # exception order
    .venv/bin/python scripts/fuzz.py --minimise 1000042 > min.s     # shrink an irq defect

Targets and what a defect is: tests/fuzz_targets.py (the CI runs a seeded few hundred of the
same cases: tests/test_fuzz.py). Each case is bounded in host time (--case-timeout, SIGALRM:
a case that takes longer is a 'hang' defect) and the whole process in address space
(--max-gib, RLIMIT_AS: an allocation beyond it is a MemoryError defect). The output is one
line per target: cases run, outcomes, distinct defects; then each defect with one example.
Exit status: 0 when no defect was found, 1 otherwise. Needs the firmware build (make -C
firmware) for the default ELF seed and arm-none-eabi binutils for the semihosting firmware.
"""

from __future__ import annotations

import argparse
import collections
import resource
import signal
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402 - after sys.path
from hypothesis import strategies as st  # noqa: E402 - after sys.path

from tests import fuzz_priority as fp  # noqa: E402 - after sys.path
from tests import fuzz_targets as ft  # noqa: E402 - after sys.path
from tests import test_fuzz as strategies  # noqa: E402 - after sys.path


class Hang(Exception):
    pass


class Campaign:
    def __init__(self, name: str, case_timeout: float) -> None:
        self.name = name
        self.case_timeout = case_timeout
        self.cases = 0
        self.units = 0                      # semihosting: calls; others: cases
        self.outcomes: collections.Counter[str] = collections.Counter()
        self.defects: dict[str, str] = {}
        self.t0 = time.monotonic()

    def run(self, fn, *args, units: int = 1) -> None:
        self.cases += 1
        self.units += units
        signal.setitimer(signal.ITIMER_REAL, self.case_timeout)
        try:
            self.outcomes[fn(*args)] += 1
        except Exception as exc:  # noqa: BLE001 - every escape is a finding
            tb = traceback.extract_tb(exc.__traceback__)
            where = next((f"{Path(f.filename).name}:{f.lineno}" for f in reversed(tb)
                          if "/simulator/" in f.filename or "/peripherals/" in f.filename),
                         f"{Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else "?")
            kind = "hang" if isinstance(exc, Hang) else type(exc).__name__
            key = f"{kind} at {where}: {str(exc).splitlines()[0][:120] if str(exc) else ''}"
            self.outcomes["DEFECT"] += 1
            self.defects.setdefault(key, repr(args)[:300])
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            if self.cases % 1000 == 0:
                print(f"  {self.summary()}", file=sys.stderr, flush=True)

    def summary(self) -> str:
        dt = time.monotonic() - self.t0
        units = f" ({self.units} calls)" if self.units != self.cases else ""
        outs = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
        return (f"{self.name}: {self.cases} cases{units} in {dt:.0f} s; {outs}; "
                f"{len(self.defects)} distinct defects")


def _settings(n: int):
    return settings(max_examples=n, database=None, deadline=None, phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck))


def campaign_elf(n: int, s: int, elf_seed: Path, work: Path, run: bool, timeout: float) -> Campaign:
    c = Campaign(f"elf{'-run' if run else ''} ({elf_seed.name})", timeout)
    data = elf_seed.read_bytes()
    header = len(data) if run else 0x400

    @seed(s)
    @_settings(n)
    @given(strategies.mutations(len(data), header=header))
    def case(m):
        c.run(ft.elf_case, ft.mutate(data, m), work, run)
    case()
    return c


def campaign_audio(n: int, s: int, work: Path, timeout: float) -> Campaign:
    c = Campaign("audio", timeout)
    seeds = ft.audio_seeds()
    names = sorted(seeds)

    @seed(s)
    @_settings(n)
    @given(st.sampled_from(names), st.lists(st.tuples(st.integers(0, 4096),
                                                      st.integers(0, 255)), max_size=8),
           st.none() | st.integers(0, 8192), st.booleans(), st.binary(max_size=64))
    def case(name, flips, cut, random_suffix, prefix):
        data = ft.mutate(seeds[name], ft.ElfMutation(flips, None, cut))
        if random_suffix and prefix:
            data = prefix + data[len(prefix):]
        c.run(ft.audio_case, data, ".bin" if random_suffix else Path(name).suffix, work)
    case()
    return c


def campaign_transcript(n: int, s: int, timeout: float) -> Campaign:
    c = Campaign("transcript", timeout)
    words = st.sampled_from(["hello", "world", "Dr.", "1,234", "3.5", "£20", "naïve", "--",
                             "'", "O'Neil", "e-mail", "ＡＢＣ", "😀", "\u200b", "\ufeff", "IV",
                             "1st", "%", "&", "a" * 120, "10:30", "1990s", "$5.99", "#1"])

    @seed(s)
    @_settings(n)
    @given(st.one_of(st.text(max_size=80),
                     st.lists(words, max_size=16).map(" ".join),
                     st.lists(st.one_of(words, st.text(max_size=8)), max_size=12)
                     .map(" ".join)))
    def case(text):
        c.run(ft.transcript_case, text)
    case()
    return c


def campaign_usart(n: int, s: int, timeout: float) -> Campaign:
    c = Campaign("usart", timeout)
    line = st.one_of(
        st.binary(max_size=40),
        st.builds(lambda i, a, b, k: f"A {i} {a} {b} {k}\n".encode(), st.integers(-5, 40),
                  st.integers(-10**30, 10**30) | st.just(10**400),
                  st.integers(-10**30, 10**30) | st.just(10**400), st.integers(-5, 2000)),
        st.builds(lambda i: f"A {i} NF\n".encode(), st.integers(-3, 40)),
        st.builds(lambda f, w: f"D {f} {w}\n".encode(), st.integers(-3, 10**40),
                  st.integers(-3, 50)),
        st.just(b"# log line\n"), st.just(b"\r\n"), st.just(b"x" * 5000))

    @seed(s)
    @_settings(n)
    @given(st.lists(line, max_size=40).map(b"".join), st.integers(1, 64), st.integers(0, 40))
    def case(stream, chunk, n_words):
        c.run(ft.usart_case, stream, chunk, n_words)
    case()
    return c


def campaign_semihosting(n: int, s: int, work: Path, timeout: float) -> Campaign:
    c = Campaign("semihosting", timeout)
    elf = ft.build_semihost_firmware(work)
    names = st.sampled_from([b"file.bin", b"dir", b"fifo", b"../x", b"/etc/passwd", b":tt",
                             b":semihosting-features", b"new.txt", b"a\0b", b"",
                             b"dir/../file.bin", b"x" * 5000])

    @seed(s)
    @_settings(n)
    @given(strategies.semihost_calls(), st.lists(names, min_size=1, max_size=8)
           .map(lambda n: b"\0".join(n)), st.binary(max_size=256))
    def case(calls, blob, tail):
        c.run(ft.semihosting_case, calls, blob + b"\0" + tail, work, elf, units=len(calls))
    case()
    return c


def campaign_irq(n: int, s: int, work: Path, timeout: float) -> Campaign:
    """Programs s * 1,000,000 + i for i < n: a defect names its seed, which
    ``tests.fuzz_targets.irq_program(seed)`` rebuilds (its files stay in the work folder)."""
    c = Campaign("irq", timeout)
    for i in range(n):
        c.run(ft.irq_case, s * 1_000_000 + i, work)
    return c


def campaign_prio(n: int, s: int, work: Path, timeout: float) -> Campaign:
    """Exception order programs s * 1,000,000 + i (tests/fuzz_priority.py)."""
    c = Campaign("prio", timeout)
    for i in range(n):
        c.run(fp.prio_case, s * 1_000_000 + i, work)
    return c


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", default="all",
                    choices=["all", "elf", "elf-run", "audio", "transcript", "usart",
                             "semihosting", "irq", "prio"])
    ap.add_argument("--cases", type=int, default=10_000,
                    help="cases per target (semihosting: firmware runs of 1-200 calls each; "
                         "elf-run: see --run-cases)")
    ap.add_argument("--run-cases", type=int, default=None,
                    help="cases for elf-run, which boots a machine per case (default --cases)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--elf", type=Path, default=None,
                    help="seed firmware for the 'elf' target (default: the small assembly "
                         "ELF of tests/fuzz_targets.py; firmware/build/hello.elf, with "
                         "newlib's DWARF, costs about 1 s of line-table parsing per case)")
    ap.add_argument("--case-timeout", type=float, default=120.0, metavar="SECONDS")
    ap.add_argument("--max-gib", type=float, default=8.0,
                    help="address-space limit of this process (RLIMIT_AS)")
    ap.add_argument("--minimise", type=int, default=None, metavar="SEED",
                    help="irq target: shrink program SEED (a defect's seed) to the fewest "
                         "chunks that still show its defect and print that program")
    args = ap.parse_args()
    if args.minimise is not None:
        try:
            prog, msg = ft.irq_minimise(args.minimise, ft.scratch())
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(prog.source)
        print(f"@ {msg}", file=sys.stderr)
        return 1
    limit = int(args.max_gib * (1 << 30))
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    def alarm(*_):
        raise Hang("case exceeded --case-timeout")
    signal.signal(signal.SIGALRM, alarm)
    work = ft.scratch()
    targets = [args.target] if args.target != "all" else \
        ["usart", "transcript", "audio", "elf", "semihosting", "elf-run", "irq", "prio"]
    results = []
    for t in targets:
        if t == "elf":
            seed_elf = args.elf or ft.build_small_elf(work)
            c = campaign_elf(args.cases, args.seed, seed_elf, work, False, args.case_timeout)
        elif t == "elf-run":
            small = ft.build_small_elf(work)
            c = campaign_elf(args.run_cases or args.cases, args.seed, small, work, True,
                             args.case_timeout)
        elif t == "audio":
            c = campaign_audio(args.cases, args.seed, work, args.case_timeout)
        elif t == "transcript":
            c = campaign_transcript(args.cases, args.seed, args.case_timeout)
        elif t == "usart":
            c = campaign_usart(args.cases, args.seed, args.case_timeout)
        elif t == "irq":
            c = campaign_irq(args.cases, args.seed, work, args.case_timeout)
        elif t == "prio":
            c = campaign_prio(args.cases, args.seed, work, args.case_timeout)
        else:
            c = campaign_semihosting(args.cases, args.seed, work, args.case_timeout)
        print(c.summary(), flush=True)
        for key, example in c.defects.items():
            print(f"  DEFECT {key}\n    e.g. {example}", flush=True)
        results.append(c)
    return 1 if any(c.defects for c in results) else 0


if __name__ == "__main__":
    sys.exit(main())
