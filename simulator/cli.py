"""The ``simulate`` command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

EXIT_OK = 0
EXIT_FIRMWARE_FAILED = 1
EXIT_USAGE = 2
EXIT_BUDGET = 3
EXIT_FAULT = 4

EPILOG = """\
exit codes:
  0  the firmware finished normally (semihosting exit 0, or it went idle for good)
  1  the firmware reported failure (a non-zero exit status)
  2  bad usage or unreadable input (firmware, audio, text, platform)
  3  a budget gate failed
  4  the firmware faulted, locked up, or ran out of --max-cycles / --timeout

A run ends when the firmware exits through semihosting (SYS_EXIT / SYS_EXIT_EXTENDED), a
fault has no handler, a budget runs out, or the core sleeps (WFI/WFE) with no interrupt that
can ever wake it (reported as 'idle').

examples:
  simulate firmware/build/hello.elf
  simulate fw.elf --json report.json --max-cycles 4e9 -q
"""


def _cycles(text: str) -> int:
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of cycles: {text!r}") from None
    if value <= 0 or value != int(value):
        raise argparse.ArgumentTypeError(f"cycles must be a positive whole number: {text!r}")
    return int(value)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("seconds must be positive")
    return value


def run_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="simulate",
        description="Run an STM32H743 firmware ELF on a modelled chip and report what it costs: "
                    "cycles, simulated seconds at the configured clock, peak RAM per region "
                    "and energy.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("firmware", type=Path, metavar="FIRMWARE.elf", help="the firmware ELF to run")
    p.add_argument("--audio", type=Path, metavar="FILE",
                   help="audio clip (WAV/FLAC/OGG) for the firmware's microphone input")
    text = p.add_mutually_exclusive_group()
    text.add_argument("--text", metavar="TEXT", help="transcript sent to the firmware over USART3")
    text.add_argument("--text-file", type=Path, metavar="FILE", help="transcript file (UTF-8)")
    p.add_argument("--json", type=Path, metavar="PATH", help="write the full report as JSON")
    p.add_argument("--alignment-out", type=Path, metavar="FILE",
                   help="write the word alignment the firmware reported; format from the "
                        "suffix: .json, .srt, .vtt or .TextGrid")
    p.add_argument("--max-cycles", type=_cycles, metavar="N",
                   help="stop (exit 4) after N simulated core cycles (accepts 4e9)")
    p.add_argument("--timeout", type=_seconds, metavar="SECONDS",
                   help="stop (exit 4) after this much host wall-clock time")
    p.add_argument("--semihosting-root", type=Path, metavar="DIR",
                   help="folder the firmware may open files in through semihosting "
                        "(default: no file access)")
    p.add_argument("--max-ram", action="append", default=[], metavar="SIZE|REGION=SIZE",
                   help="RAM budget: total (e.g. 1MiB) or per region (e.g. DTCM=64K); "
                        "repeatable; exceeding one exits 3")
    p.add_argument("--budget", type=Path, metavar="FILE.toml",
                   help="budget file: [ram] total = \"1MiB\", DTCM = \"64K\", ...")
    p.add_argument("--platform", default="stm32h743", metavar="NAME|FILE.toml",
                   help="platform description (default: the bundled stm32h743)")
    p.add_argument("--revision", choices=["V", "Y"], help="silicon revision (default: platform's)")
    p.add_argument("--vdd", type=float, default=None, metavar="VOLTS",
                   help="supply voltage for the energy figures (default 3.3 V; 1.62-3.6)")
    p.add_argument("--cpu-freq", type=float, action="append", default=[], metavar="MHZ",
                   help="what-if: also report the energy with the main clock at MHZ "
                        "(VOS and flash wait states from the datasheet tables); repeatable")
    p.add_argument("--strict", action="store_true",
                   help="treat silicon-breaking configurations (flash wait states below the "
                        "datasheet table) as failures: exit 4")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="print nothing but errors (firmware console output included)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return _run(run_parser().parse_args(argv))
    except KeyboardInterrupt:
        print("simulate: interrupted", file=sys.stderr)
        return 130


def _error(message: str, code: int = EXIT_USAGE) -> int:
    print(f"simulate: error: {message}", file=sys.stderr)
    return code


def _run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .elf import FirmwareError, load_firmware
    from .machine import ExitReason, Machine, RunConfig, echo_to
    from .platform import PlatformError, load_platform
    from .report import build_report, print_summary, write_json_atomic

    err_console = Console(stderr=True)
    if args.json is not None and not (args.json.parent.resolve().is_dir()):
        return _error(f"cannot write report: folder {args.json.parent} does not exist")
    if args.semihosting_root is not None and not args.semihosting_root.is_dir():
        return _error(f"--semihosting-root {args.semihosting_root} is not a folder")
    text = args.text
    if args.text_file is not None:
        try:
            text = args.text_file.read_bytes().decode("utf-8")
        except OSError as exc:
            return _error(f"cannot read --text-file {args.text_file}: {exc.strerror or exc}")
        except UnicodeDecodeError:
            return _error(f"--text-file {args.text_file} is not UTF-8 text")
    if args.alignment_out is not None:
        from .alignment import output_format
        if text is None:
            return _error("--alignment-out needs a transcript (--text or --text-file)")
        try:
            output_format(args.alignment_out)
        except ValueError as exc:
            return _error(str(exc))
        if not args.alignment_out.parent.resolve().is_dir():
            return _error(f"cannot write alignment: folder {args.alignment_out.parent} "
                          "does not exist")
    transcript = None
    uart_input = b""
    if text is not None:
        from .alignment import G2PUnavailable, encode_transcript, prepare_transcript
        try:
            transcript = prepare_transcript(text)
            uart_input = encode_transcript(transcript)
        except (ValueError, G2PUnavailable) as exc:
            return _error(f"transcript: {str(exc).splitlines()[0]}")
    from .memory import RamBudget

    if args.vdd is not None and not 1.62 <= args.vdd <= 3.6:
        return _error(f"--vdd {args.vdd:g} V is outside 1.62..3.6 V")

    budget = RamBudget()
    try:
        if args.budget is not None:
            _load_budget_file(args.budget, budget)
        for spec in args.max_ram:
            budget.add(spec)
    except (OSError, ValueError) as exc:
        return _error(f"bad budget: {exc}")
    audio_source = None
    if args.audio is not None:
        from .audio import AudioError, AudioSource
        try:
            audio_source = AudioSource.open(args.audio)
        except AudioError as exc:
            return _error(str(exc))
    try:
        platform = load_platform(args.platform)
        if args.revision:
            platform = platform.with_revision(args.revision)
        firmware = load_firmware(args.firmware)
        config = RunConfig(max_cycles=args.max_cycles, timeout_s=args.timeout,
                           semihosting_root=args.semihosting_root, uart_input=uart_input,
                           echo=None if args.quiet else echo_to(sys.stdout),
                           audio=audio_source, strict=args.strict,
                           audio_end_marker=_end_marker if transcript is not None else None)
        machine = Machine(firmware, platform, config)
    except (FirmwareError, PlatformError) as exc:
        return _error(str(exc))
    except Exception as exc:  # AudioError from wiring the clip to the SAI
        if type(exc).__name__ == "AudioError":
            return _error(str(exc))
        raise
    result = machine.run()
    extra = {}
    if machine.audio is not None:
        extra["audio"] = machine.audio.report()
    words = None
    if transcript is not None:
        words, extra["alignment"] = _alignment(transcript, result, report_audio=extra.get("audio"))
    report = build_report(machine, result, extra, vdd=args.vdd)
    if args.cpu_freq:
        from .power import sweep
        e = report.get("energy") or {}
        report["what_if_clock"] = sweep(result.segments, args.cpu_freq, platform.revision,
                                        args.vdd, audio_seconds=e.get("audio_seconds"))
    try:
        failures = budget.check(report["memory"],
                                {r.name for r in platform.regions if r.ram})
    except ValueError as exc:
        return _error(str(exc))
    if failures:
        report["budget_failures"] = failures
    if result.exit_reason == ExitReason.EXIT:
        code = EXIT_OK if result.exit_code == 0 else EXIT_FIRMWARE_FAILED
    elif result.exit_reason == ExitReason.IDLE:
        code = EXIT_OK
    else:
        code = EXIT_FAULT
        report["summary"]["exit_code"] = EXIT_FAULT
    if failures and code in (EXIT_OK, EXIT_FIRMWARE_FAILED):
        code = EXIT_BUDGET
    if words is not None and args.alignment_out is not None and report["alignment"]["answered"]:
        from .alignment import write_alignment
        try:
            write_alignment(words, args.alignment_out, report["alignment"]["audio_duration_s"])
        except OSError as exc:
            return _error(f"cannot write alignment {args.alignment_out}: {exc.strerror or exc}")
    if args.json is not None:
        try:
            write_json_atomic(args.json, report)
        except OSError as exc:
            return _error(f"cannot write report {args.json}: {exc.strerror or exc}")
    if not args.quiet:
        if any(v and not v.endswith(b"\n") for v in result.console.values()):
            print()
        print_summary(report, Console())
        if words is not None:
            _print_alignment(words, report["alignment"], Console())
        if machine.audio is not None and not report["audio"]["delivered"]:
            err_console.print(f"[yellow]note: {report['audio']['note']}[/]")
    else:
        if result.diagnostic and code == EXIT_FAULT:
            print(f"simulate: {result.diagnostic}", file=sys.stderr)
        for line in failures:
            print(f"simulate: budget: {line}", file=sys.stderr)
    return code


def _end_marker(samples: int) -> bytes:
    from .alignment import end_of_audio_line
    return end_of_audio_line(samples)


def _alignment(transcript, result, report_audio) -> tuple[list, dict]:
    """Parse the firmware's result lines (USART3 TX) into one Word per transcript word."""
    from .alignment import ResultParser

    parser = ResultParser()
    for name, data in result.console.items():
        if name != "semihosting":
            parser.feed(data)
    parser.close()
    words = parser.words(transcript)
    duration = None
    if report_audio:
        duration = report_audio.get("duration_s") or report_audio.get("source_duration_s")
    answered = any(w.found for w in words) or parser.done
    info = {
        "answered": answered,
        "done": parser.done,
        "audio_duration_s": duration,
        "words": [{"index": w.index, "text": w.text, "start_s": w.start_s, "end_s": w.end_s,
                   "confidence": w.confidence, "found": w.found} for w in words],
        "found": sum(w.found for w in words),
        "not_found": sum(not w.found for w in words),
        "errors": parser.errors[:50],
        "warnings": list(getattr(transcript, "warnings", [])),
    }
    return words, info


def _print_alignment(words, info, console) -> None:
    from .alignment import format_table

    if not info["answered"]:
        console.print("[yellow]alignment: the firmware sent no alignment results[/]")
        return
    console.print(format_table(words), markup=False, highlight=False)


def _load_budget_file(path: Path, budget) -> None:
    import tomllib

    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: {exc}") from exc
    for key, value in data.get("ram", {}).items():
        budget.add(str(value) if key.lower() == "total" else f"{key}={value}")


if __name__ == "__main__":
    sys.exit(main())
