"""The ``simulate`` command."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
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

subcommands:
  simulate sweep FIRMWARE.elf --freqs 100,200,400,480 [options]
      run the firmware once per core clock and print busy time, average power and energy
  simulate profile FIRMWARE.elf [options] [--top N] [--callgrind F] [--speedscope F]
                   [--perfetto F] [--trace F ...]
      hot functions, loops, lines and instructions in M7 cycles; standard exports
  simulate diff A.json B.json
      per-function cycle, peak RAM and energy deltas between two runs or profiles
  simulate trace-dump TRACE.bin
      print an instruction trace as text

examples:
  simulate firmware/build/hello.elf
  simulate fw.elf --json report.json --max-cycles 4e9 -q
"""


def whole_number(text: str, minimum: int = 1) -> int:
    """An argparse type: a whole number >= ``minimum``, written as 4000000, 4_000_000 or 4e6."""
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < minimum or value != int(value):
        raise argparse.ArgumentTypeError(f"must be a whole number >= {minimum}: {text!r}")
    return int(value)


def _cycles(text: str) -> int:
    return whole_number(text, 1)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("seconds must be positive")
    return value


def run_parser(prog: str = "simulate", sweep: bool = False) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description="Run an STM32H743 firmware ELF on a modelled chip and report what it costs: "
                    "cycles, simulated seconds at the configured clock, peak RAM per region "
                    "and energy.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("firmware", type=Path, metavar="FIRMWARE.elf", help="the firmware ELF to run")
    p.add_argument("--audio", type=Path, metavar="FILE",
                   help="audio clip (WAV/FLAC/OGG) for the firmware's microphone input")
    p.add_argument("--audio-mode", choices=["stream", "buffered"], default="stream",
                   help="stream: the clip arrives through SAI1 + DMA in simulated real time "
                        "(default); buffered: the whole clip is in the firmware's flash buffer "
                        "before it starts (record-then-process devices; "
                        "firmware/common/audio_buffer.h)")
    text = p.add_mutually_exclusive_group()
    text.add_argument("--text", metavar="TEXT", help="transcript sent to the firmware over USART3")
    text.add_argument("--text-file", type=Path, metavar="FILE", help="transcript file (UTF-8)")
    p.add_argument("--json", type=Path, metavar="PATH", help="write the full report as JSON")
    if not sweep:
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
    if sweep:
        p.add_argument("--freqs", required=True, metavar="MHZ,MHZ,...",
                       help="core clocks to run the firmware at, e.g. 100,200,400,480")
        p.set_defaults(cpu_freq=None, alignment_out=None)
    else:
        p.add_argument("--cpu-freq", type=float, default=None, metavar="MHZ",
                       help="what-if: run the firmware with its core clock at MHZ once it has "
                            "switched to PLL1, with the VOS and flash wait states that clock "
                            "needs (DS12110 / RM0433 tables); the report says it was overridden")
    p.add_argument("--max-energy", type=float, default=None, metavar="JOULES",
                   help="energy budget per run; exceeding it exits 3")
    p.add_argument("--dcache", choices=["sampled", "exact", "off"], default="sampled",
                   help="D-cache and data memory timing: 'sampled' measures every load and "
                        "store in windows (1/16 of the run, the first window at reset) and "
                        "charges each block its measured mean in between; 'exact' measures "
                        "throughout (2-3x slower than sampled); 'off' times data accesses as TCM "
                        "(default: sampled; docs/timing-model.md)")
    p.add_argument("--strict", action="store_true",
                   help="treat silicon-breaking configurations (flash wait states below the "
                        "datasheet table) as failures: exit 4")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="print nothing but errors (firmware console output included)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "sweep":
            return _sweep(argv[1:])
        if argv and argv[0] == "profile":
            from .profile import profile_main
            return profile_main(argv[1:])
        if argv and argv[0] == "diff":
            from .diff import diff_main
            return diff_main(argv[1:])
        if argv and argv[0] == "trace-dump":
            from .trace import trace_main
            return trace_main(argv[1:])
        return _run(run_parser().parse_args(argv))
    except KeyboardInterrupt:
        print("simulate: interrupted", file=sys.stderr)
        return 130


def _error(message: str, code: int = EXIT_USAGE) -> int:
    print(f"simulate: error: {message}", file=sys.stderr)
    return code


class UsageError(Exception):
    """Bad usage or unreadable input: one line, exit 2."""


@dataclass
class Inputs:
    """Everything validated before any simulation starts."""

    platform: object
    firmware: object
    transcript: object | None
    uart_input: bytes
    audio_source: object | None
    budget: object


def _prepare(args: argparse.Namespace) -> Inputs:
    from .elf import FirmwareError, load_firmware
    from .memory import RamBudget
    from .platform import PlatformError, load_platform

    if args.json is not None and not (args.json.parent.resolve().is_dir()):
        raise UsageError(f"cannot write report: folder {args.json.parent} does not exist")
    if args.semihosting_root is not None and not args.semihosting_root.is_dir():
        raise UsageError(f"--semihosting-root {args.semihosting_root} is not a folder")
    if args.vdd is not None and not 1.62 <= args.vdd <= 3.6:
        raise UsageError(f"--vdd {args.vdd:g} V is outside 1.62..3.6 V")
    text = args.text
    if args.text_file is not None:
        try:
            text = args.text_file.read_bytes().decode("utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read --text-file {args.text_file}: "
                             f"{exc.strerror or exc}") from exc
        except UnicodeDecodeError as exc:
            raise UsageError(f"--text-file {args.text_file} is not UTF-8 text") from exc
    if getattr(args, "alignment_out", None) is not None:
        from .alignment import output_format
        if text is None:
            raise UsageError("--alignment-out needs a transcript (--text or --text-file)")
        try:
            output_format(args.alignment_out)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        if not args.alignment_out.parent.resolve().is_dir():
            raise UsageError(f"cannot write alignment: folder {args.alignment_out.parent} "
                             "does not exist")
    transcript = None
    uart_input = b""
    if text is not None:
        from .alignment import G2PUnavailable, encode_transcript, prepare_transcript
        try:
            transcript = prepare_transcript(text)
            uart_input = encode_transcript(transcript)
        except (ValueError, G2PUnavailable) as exc:
            raise UsageError(f"transcript: {str(exc).splitlines()[0]}") from exc
    budget = RamBudget()
    try:
        if args.budget is not None:
            _load_budget_file(args.budget, budget)
        for spec in args.max_ram:
            budget.add(spec)
    except (OSError, ValueError) as exc:
        raise UsageError(f"bad budget: {exc}") from exc
    audio_source = None
    if args.audio is not None:
        from .audio import AudioError, AudioSource
        try:
            audio_source = AudioSource.open(args.audio)
        except AudioError as exc:
            raise UsageError(str(exc)) from exc
    try:
        platform = load_platform(args.platform)
        if args.revision:
            platform = platform.with_revision(args.revision)
        firmware = load_firmware(args.firmware)
        budget.validate({r.name for r in platform.regions if r.ram})
    except (FirmwareError, PlatformError, ValueError) as exc:
        raise UsageError(str(exc)) from exc
    return Inputs(platform, firmware, transcript, uart_input, audio_source, budget)


def _progress_bar(args: argparse.Namespace, inp: Inputs):
    """A transient progress bar on stderr (simulated seconds, against the clip's length when
    there is one) when stderr is a terminal and not --quiet: (context manager, callback)."""
    import contextlib
    if getattr(args, "quiet", False) or not sys.stderr.isatty():
        return contextlib.nullcontext(), None
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    total = None
    if inp.audio_source is not None:
        total = len(inp.audio_source.mono) / inp.audio_source.rate
    bar = Progress(TextColumn("simulating"), BarColumn(),
                   TextColumn("{task.completed:.2f} s simulated"), TimeElapsedColumn(),
                   console=Console(stderr=True), transient=True)
    task = bar.add_task("run", total=total)
    return bar, lambda seconds: bar.update(task, completed=seconds)


def _simulate(args: argparse.Namespace, inp: Inputs, cpu_freq_mhz: float | None,
              echo, profile: bool = False,
              before_run=None) -> tuple[object, object, dict, list | None, int]:
    """One run: (machine, result, report, words, exit code). ``before_run(machine)`` may
    attach recorders (traces) between building the machine and running it."""
    from .elf import FirmwareError
    from .machine import ExitReason, Machine, RunConfig
    from .platform import PlatformError
    from .power import PowerModelError
    from .report import build_report

    bar, progress = _progress_bar(args, inp)
    try:
        config = RunConfig(max_cycles=args.max_cycles, timeout_s=args.timeout,
                           semihosting_root=args.semihosting_root, uart_input=inp.uart_input,
                           echo=echo, audio=inp.audio_source, strict=args.strict,
                           audio_mode=args.audio_mode,
                           audio_end_marker=_end_marker if inp.transcript is not None else None,
                           cpu_freq_hz=cpu_freq_mhz * 1e6 if cpu_freq_mhz else None,
                           profile=profile, dcache=args.dcache, progress=progress)
        machine = Machine(inp.firmware, inp.platform, config)
    except (FirmwareError, PlatformError) as exc:
        raise UsageError(str(exc)) from exc
    except PowerModelError as exc:
        raise UsageError(f"--cpu-freq: {exc}") from exc
    except Exception as exc:  # AudioError from wiring the clip to the SAI
        if type(exc).__name__ == "AudioError":
            raise UsageError(str(exc)) from exc
        raise
    if before_run is not None:
        before_run(machine)
    with bar:
        result = machine.run()
    extra: dict = {}
    if machine.audio is not None:
        extra["audio"] = _audio_report(machine, result)
    if cpu_freq_mhz:
        ov = machine._override
        extra["clock_override"] = {
            "cpu_hz": ov.cpu_hz, "axi_hz": ov.axi_hz, "vos": ov.vos,
            "flash_wait_states": ov.flash_wait_states,
            "note": "core clock overridden by --cpu-freq once the firmware switched to PLL1; "
                    "VOS and flash wait states from the datasheet tables"}
    words = None
    if inp.transcript is not None:
        words, extra["alignment"] = _alignment(inp.transcript, result,
                                               report_audio=extra.get("audio"))
    report = build_report(machine, result, extra, vdd=args.vdd)
    failures = inp.budget.check(report["memory"],
                                {r.name for r in inp.platform.regions if r.ram})
    energy = report["summary"].get("energy_joules")
    if args.max_energy is not None and energy is not None and energy > args.max_energy:
        failures.append(f"energy {energy:.6g} J exceeds the budget of {args.max_energy:.6g} J")
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
    if args.strict and machine.audio is not None and extra["audio"].get("overrun_words"):
        report.setdefault("strict_failures", []).append(
            f"audio overruns: {extra['audio']['overrun_words']} words lost (--strict)")
        code = EXIT_FAULT
    return machine, result, report, words, code


def _audio_report(machine, result) -> dict:
    """The clip as delivered, plus real-time figures: CPU busy time against audio time, and
    the worst latency from a DMA interrupt to the core sleeping again (one block done)."""
    info = machine.audio.report()
    busy_s = sum(seg.seconds for seg in result.segments if seg.state == "run")
    duration = info.get("duration_s") or info.get("source_duration_s")
    lat = machine.block_latencies
    info.update({
        "cpu_busy_seconds": busy_s,
        "real_time_factor": busy_s / duration if duration else None,
        "dma_blocks": len(lat),
        "worst_block_latency_s": max(lat) / result.core_hz if lat else None,
    })
    return info


def _run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .machine import echo_to
    from .report import print_summary, write_json_atomic

    try:
        inp = _prepare(args)
        machine, result, report, words, code = _simulate(
            args, inp, args.cpu_freq, None if args.quiet else echo_to(sys.stdout))
    except UsageError as exc:
        return _error(str(exc))
    err_console = Console(stderr=True)
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
    failures = report.get("budget_failures", [])
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


def _sweep(argv: list[str]) -> int:
    """simulate sweep FIRMWARE.elf --freqs 100,200,400,480 [run options]"""
    from rich.console import Console
    from rich.table import Table

    from .report import write_json_atomic

    p = run_parser(prog="simulate sweep", sweep=True)
    args = p.parse_args(argv)
    try:
        freqs = [float(f) for f in args.freqs.split(",") if f.strip()]
    except ValueError:
        return _error(f"--freqs takes MHz values separated by commas, not {args.freqs!r}")
    if not freqs or any(f <= 0 for f in freqs):
        return _error("--freqs needs at least one positive frequency in MHz")
    try:
        inp = _prepare(args)
    except UsageError as exc:
        return _error(str(exc))
    rows = []
    worst = EXIT_OK
    for f in freqs:
        try:
            _m, result, report, _w, code = _simulate(args, inp, f, None)
        except UsageError as exc:
            rows.append({"mhz": f, "error": str(exc)})
            continue
        busy = report["timing"]["busy_cycles"] / result.core_hz if result.core_hz else None
        e = report["summary"]["energy_joules"]
        rows.append({"mhz": f, "exit_reason": result.exit_reason, "exit_code": code,
                     "vos": report["clock_override"]["vos"],
                     "flash_wait_states": report["clock_override"]["flash_wait_states"],
                     "seconds": result.seconds, "busy_seconds": busy,
                     "average_power_w": report["summary"].get("average_power_w"),
                     "energy_joules": e, "cycles": result.cycles})
        worst = max(worst, code)
    table = Table(title=f"{args.firmware.name}: clock sweep", title_justify="left")
    for col in ("MHz", "VOS", "WS", "busy", "run time", "avg power", "energy", "exit"):
        table.add_column(col, justify="right")
    best = min((r for r in rows if r.get("energy_joules") is not None),
               key=lambda r: r["energy_joules"], default=None)
    for r in rows:
        if "error" in r:
            table.add_row(f"{r['mhz']:g}", "-", "-", "-", "-", "-", "-", r["error"][:40])
            continue
        mark = " *" if r is best else ""
        table.add_row(f"{r['mhz']:g}", str(r["vos"]), str(r["flash_wait_states"]),
                      _ms(r["busy_seconds"]), _ms(r["seconds"]),
                      f"{r['average_power_w'] * 1e3:.1f} mW" if r["average_power_w"] else "-",
                      f"{r['energy_joules'] * 1e3:.4f} mJ{mark}" if r["energy_joules"] else "-",
                      r["exit_reason"])
    Console().print(table)
    if best is not None:
        Console().print(f"lowest energy per run: {best['mhz']:g} MHz (*)")
    if args.json is not None:
        try:
            write_json_atomic(args.json, {"firmware": str(args.firmware), "sweep": rows})
        except OSError as exc:
            return _error(f"cannot write report {args.json}: {exc.strerror or exc}")
    return worst


def _ms(x: float | None) -> str:
    return "-" if x is None else f"{x * 1e3:.3f} ms"


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
