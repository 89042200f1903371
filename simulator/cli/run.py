"""``simulate FIRMWARE.elf [options]``: run once, print the summary, write the reports."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from ..api import EXIT_FAULT, InputError, simulate
from . import collector
from .console import firmware_echo, messages
from .options import error, one_line, options, prepare, progress_bar, run_parser


def main(argv: Sequence[str]) -> int:
    return run(run_parser().parse_args(list(argv)))


def run(args: argparse.Namespace) -> int:
    from ..report import print_summary, write_json_atomic

    echo = None
    try:
        inp = prepare(args)
        bar, progress = progress_bar(args, inp)
        echo = firmware_echo(args, bar)
        with bar:
            r = simulate(inp, options(args, args.cpu_freq, echo,
                                      profile=args.html is not None, progress=progress),
                         before_run=collector.run_starts)
    except InputError as exc:
        return error(str(exc), exc.exit_code)
    finally:
        if echo is not None:
            echo.close()
    report, words, code = r.report, r.words, r.exit_code
    if r.result.interrupted is not None:
        return _interrupted(args, r)
    if words is not None and args.alignment_out is not None and report["alignment"]["answered"]:
        from ..apps.aligner import write_alignment
        try:
            write_alignment(words, args.alignment_out, report["alignment"]["audio_duration_s"])
        except OSError as exc:
            return error(f"cannot write alignment {args.alignment_out}: {exc.strerror or exc}")
    if args.json is not None:
        try:
            write_json_atomic(args.json, report)
        except OSError as exc:
            return error(f"cannot write report {args.json}: {exc.strerror or exc}")
    if args.html is not None:
        try:
            write_html(args.html, r)
        except OSError as exc:
            return error(f"cannot write --html {args.html}: {exc.strerror or exc}")
    failures = report.get("budget_failures", [])
    if not args.quiet:
        err_console = messages()            # rich is imported only to print (-q: ~0.03 s)
        print_summary(report, err_console)
        if words is not None:
            _print_alignment(words, report["alignment"], err_console)
        if r.machine.audio is not None and not report["audio"]["delivered"]:
            err_console.print(f"[yellow]note: {report['audio']['note']}[/]")
    if r.result.diagnostic and code == EXIT_FAULT:
        # why the run stopped, on stderr whatever stdout shows (--max-cycles 1 included)
        print(f"simulate: {one_line(r.result.diagnostic)}", file=sys.stderr)
    if args.quiet:
        for line in failures:
            print(f"simulate: budget: {line}", file=sys.stderr)
    return code


def write_html(path, r, prof=None, top: int = 15) -> None:
    """The run's HTML page; the profile (run with the block profiler on) gives the function,
    loop and calling-context sections. The JSON report is not changed."""
    from ..html_report import write_run_html
    from ..profile import build_profile

    if prof is None:
        prof = build_profile(r.machine, r.result)
    report = dict(r.report, profile=prof.to_dict(top))
    write_run_html(path, r.machine, r.result, report, prof, top)


def incomplete_path(path: Path) -> Path:
    """Where an interrupted run's report goes when ``path`` already holds a report: beside
    it, never over it."""
    stem = path.name.removesuffix(".json")
    return path.with_name(f"{stem}.incomplete.json")


def _interrupted(args: argparse.Namespace, r) -> int:
    """A signal ended the run: the report (marked "incomplete", with where the firmware was)
    is written only where it replaces nothing; no alignment file is written."""
    from ..output import is_stdout
    from ..report import write_json_atomic

    info = r.result.interrupted
    print(f"simulate: {one_line(r.result.diagnostic or 'interrupted')}", file=sys.stderr)
    if args.json is not None:
        target = args.json
        if not is_stdout(target) and target.exists():
            target = incomplete_path(target)
        try:
            write_json_atomic(target, r.report)
            if target != args.json:
                print(f"simulate: the incomplete report is in {one_line(str(target))} "
                      f"({one_line(str(args.json))} was left as it was)", file=sys.stderr)
        except OSError as exc:
            return error(f"cannot write report {target}: {exc.strerror or exc}",
                         r.exit_code)
    return 128 + signal.Signals[info["signal"]].value


def _print_alignment(words, info, console) -> None:
    from ..apps.aligner import format_table

    if not info["answered"]:
        console.print("[yellow]alignment: the firmware sent no alignment results[/]")
        return
    console.print(format_table(words), markup=False, highlight=False)
