"""``simulate profile FIRMWARE.elf [run options]``: where the cycles go (simulator.profile)
and the standard exports (simulator.exports); optional instruction trace (simulator.trace)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from ..api import InputError, simulate
from ..profile import annotate, build_profile, print_profile
from .console import firmware_echo, messages
from .options import error, options, prepare, progress_bar, run_parser, whole_number


def parser() -> argparse.ArgumentParser:
    p = run_parser(prog="simulate profile")
    p.description = ("Run the firmware with the native block profiler and print where the "
                     "cycles go: hot functions, loops and source lines; export callgrind, "
                     "speedscope and Perfetto/Chrome trace files.")
    g = p.add_argument_group("profile")
    g.add_argument("--top", type=int, default=15, metavar="N", help="rows per table (15)")
    g.add_argument("--callgrind", type=Path, metavar="FILE",
                   help="write a callgrind profile (callgrind_annotate, KCachegrind)")
    g.add_argument("--speedscope", type=Path, metavar="FILE",
                   help="write a speedscope JSON profile (https://www.speedscope.app)")
    g.add_argument("--perfetto", type=Path, metavar="FILE",
                   help="write a Chrome trace-event JSON (ui.perfetto.dev, chrome://tracing): "
                        "a synthetic timeline of the calling contexts")
    g.add_argument("--annotate", action="append", default=[], metavar="FUNCTION",
                   help="print the annotated disassembly of FUNCTION (repeatable)")
    t = p.add_argument_group("instruction trace (Python per instruction inside the window)")
    t.add_argument("--trace", type=Path, metavar="FILE", nargs="?", const=Path(""),
                   help="write an instruction trace (pc, cycle) of the window (default file: "
                        "traces/<firmware>.trace); read it with simulate trace-dump FILE "
                        "--elf FIRMWARE.elf")
    t.add_argument("--trace-from", metavar="SYMBOL|ADDR",
                   help="open the window when execution first reaches this function or "
                        "address (instead of --trace-start)")
    t.add_argument("--trace-range", metavar="LO:HI",
                   help="record only instructions in this address range")
    t.add_argument("--trace-registers", action="store_true",
                   help="also record the registers each instruction writes")
    t.add_argument("--trace-memory", action="store_true",
                   help="also record each data access (address, size, value, read/write)")
    t.add_argument("--trace-start", type=_cycles_arg, default=0, metavar="CYCLE",
                   help="open the window at this core cycle (default 0)")
    t.add_argument("--trace-cycles", type=_positive_cycles, default=None, metavar="N",
                   help="close it N cycles later (default: at the instruction limit)")
    t.add_argument("--trace-max", type=_positive_cycles, default=1_000_000, metavar="N",
                   help="at most N instructions (default 1e6)")
    t.add_argument("--trace-function", metavar="NAME",
                   help="record only instructions of this function (the rest runs at full "
                        "speed)")
    return p


def _cycles_arg(text: str) -> int:
    return whole_number(text, 0)


def _positive_cycles(text: str) -> int:
    """A window of 0 cycles or 0 instructions records nothing: a usage error."""
    return whole_number(text, 1)


def main(argv: Sequence[str]) -> int:
    """simulate profile FIRMWARE.elf [run options] [--top N] [--callgrind FILE]
    [--speedscope FILE] [--perfetto FILE] [--annotate FUNCTION] [--trace FILE ...]

    The exit code is the run's (cli exit codes); 2 for bad usage or unwritable outputs."""

    from .. import exports
    from ..report import note_truncated, write_json_atomic

    argv = list(argv)
    args = parser().parse_args(argv)
    if args.top <= 0:
        return error("--top must be positive")
    window = [f"--{o.replace('_', '-')}" for o in ("trace_from", "trace_range", "trace_function",
                                                     "trace_cycles")
              if getattr(args, o) is not None]
    window += [f"--{o.replace('_', '-')}" for o in ("trace_registers", "trace_memory")
               if getattr(args, o)]
    if args.trace_start != 0:
        window.append("--trace-start")
    if args.trace is None and window:
        return error(f"{window[0]} shapes the instruction trace: it needs --trace [FILE]")
    if args.trace_range is not None:
        from ..trace import parse_range
        try:
            lo, hi = parse_range(args.trace_range)
        except ValueError as exc:
            return error(str(exc))
        if not 0 <= lo <= hi <= 0xFFFFFFFF:
            return error(f"--trace-range {args.trace_range}: addresses are 0..0xFFFFFFFF")
    if args.trace is not None and str(args.trace) in ("", "."):
        args.trace = Path("traces") / f"{args.firmware.stem}.trace"
        args.trace.parent.mkdir(exist_ok=True)
    from ..output import check_writable
    for opt in ("callgrind", "speedscope", "perfetto", "trace"):
        path = getattr(args, opt)
        why = check_writable(path) if path is not None else None
        if why is not None:                     # before the run, not after it
            return error(f"cannot write --{opt} {path}: {why}")
    recorder = []

    def attach_trace(machine) -> None:
        if args.trace is None:
            return
        from ..trace import TraceRecorder
        try:
            from ..trace import parse_range
            rng = parse_range(args.trace_range) if args.trace_range else None
            recorder.append(TraceRecorder(machine, args.trace_start, args.trace_cycles,
                                          args.trace_max or 1_000_000, args.trace_function,
                                          start_at=args.trace_from, address_range=rng,
                                          registers=args.trace_registers,
                                          memory=args.trace_memory))
        except ValueError as exc:
            raise InputError(str(exc)) from exc

    echo = None
    try:
        inp = prepare(args)
        for fn in args.annotate:
            if inp.firmware.symbol(fn) is None:
                raise InputError(f"--annotate: {args.firmware.name} has no function named {fn!r}")
        bar, progress = progress_bar(args, inp)
        echo = firmware_echo(args, bar)
        with bar:
            r = simulate(inp, options(args, getattr(args, "cpu_freq", None), echo,
                                      profile=True, progress=progress),
                         before_run=attach_trace)
    except InputError as exc:
        return error(str(exc))
    finally:
        if echo is not None:
            echo.close()
    machine, result, report, code = r.machine, r.result, r.report, r.exit_code
    prof = build_profile(machine, result)
    written = []
    try:
        if args.callgrind is not None:
            exports.write_callgrind(prof, args.callgrind,
                                    cmd=" ".join(["simulate", "profile"] + argv))
            written.append(str(args.callgrind))
        if args.speedscope is not None:
            exports.write_speedscope(prof, args.speedscope, name=args.firmware.name)
            written.append(str(args.speedscope))
        if args.perfetto is not None:
            exports.write_chrome_trace(prof, args.perfetto, name=args.firmware.name)
            written.append(str(args.perfetto))
        if recorder:
            tr = recorder[0].write(args.trace)
            written.append(f"{args.trace} ({len(tr):,} instructions"
                           + (", truncated at --trace-max" if tr.header["truncated"] else "")
                           + ")")
        if r.words is not None and args.alignment_out is not None and \
                report["alignment"]["answered"]:
            from ..apps.aligner import write_alignment
            write_alignment(r.words, args.alignment_out, report["alignment"]["audio_duration_s"])
            written.append(str(args.alignment_out))
        report["profile"] = prof.to_dict(args.top)
        note_truncated(report, "profile.functions", len(prof.functions), args.top)
        note_truncated(report, "profile.loops", len(prof.loops), args.top)
        if args.json is not None:
            write_json_atomic(args.json, report)
            written.append(str(args.json))
        if args.html is not None:
            from .run import write_html
            write_html(args.html, r, prof, args.top)
            written.append(str(args.html))
    except OSError as exc:
        return error(f"cannot write profile output: {exc.strerror or exc}")
    if not args.quiet:
        con = messages()                    # the simulator's words: stderr (cli/console.py)
        if result.diagnostic and code != 0:
            from rich.markup import escape
            con.print(f"[yellow]{escape(result.exit_reason)}: {escape(result.diagnostic)}[/]")
        for line in report.get("budget_failures", []):
            con.print(f"budget: {line}", markup=False, highlight=False)
        print_profile(prof, con, args.top)
        for fn in args.annotate:
            con.print(annotate(prof, fn), markup=False, highlight=False)
        for w in written:
            con.print(f"wrote {w}", markup=False, highlight=False)
    return code

