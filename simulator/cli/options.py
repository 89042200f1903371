"""Options shared by the run-like subcommands (run, sweep, profile) and their validation."""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
from pathlib import Path

from ..api import EXIT_USAGE, InputError, Inputs, Options, load_inputs
from ..apps.aligner import ACCENT_HELP, DEFAULT_ACCENT

EPILOG = """\
exit codes:
  0    the firmware finished normally (semihosting exit 0, or it went idle for good)
  1    the firmware reported failure (a non-zero exit status)
  2    bad usage or unreadable input (firmware, audio, text, platform, options)
  3    a budget gate failed
  4    the firmware faulted, locked up, was reset by its watchdog too often, or ran out of
       --max-cycles / --timeout; with --strict also: lost audio (SAI overruns, DMA
       interrupts or buffer halves lost)
  5    an internal error of the simulator (a bug: please report it; SIMULATE_DEBUG=1 shows
       the traceback)
  130  interrupted by Ctrl-C (SIGINT); 143: by SIGTERM. The --json report is written marked
       "incomplete" (beside an existing report as NAME.incomplete.json, never over it)

A run ends when the firmware exits through semihosting (SYS_EXIT / SYS_EXIT_EXTENDED), a
fault has no handler, a budget runs out, or the core sleeps (WFI/WFE) with no interrupt that
can ever wake it (reported as 'idle').

subcommands:
  simulate sweep FIRMWARE.elf --freqs 100,200,400,480 [options]
      run the firmware once per core clock and print busy time, average power and energy
  simulate profile FIRMWARE.elf [options] [--top N] [--callgrind F] [--speedscope F]
                   [--perfetto F] [--trace F ...]
      hot functions, loops, lines and instructions in M7 cycles; standard exports
  simulate diff A.json B.json [--html F]
      per-function cycle, peak RAM and energy deltas between two runs or profiles
  simulate batch FIRMWARE.elf MANIFEST [--freqs 100,400] [--jobs N] [--engine local|dask]
      every clip of a manifest at every clock, in parallel; distributions, accuracy, gates
  simulate trace-dump TRACE.bin
      print an instruction trace as text

examples:
  simulate firmware/build/hello.elf
  simulate fw.elf --json report.json --max-cycles 4e9 -q
"""


#: Largest cycle count an option takes: the native counter and deadlines are int64.
MAX_CYCLES = 1 << 62


def whole_number(text: str, minimum: int = 1) -> int:
    """An argparse type: a whole number >= ``minimum``, written as 4000000, 4_000_000 or 4e6."""
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value < minimum or value > MAX_CYCLES \
            or value != int(value):
        raise argparse.ArgumentTypeError(f"must be a whole number from {minimum} to 2**62: "
                                         f"{text!r}")
    return int(value)


def _cycles(text: str) -> int:
    return whole_number(text, 1)


def positive(what: str, unit: str, minimum: float = 0.0, maximum: float = math.inf):
    """An argparse type: a finite number > ``minimum`` (and <= ``maximum``); nan, inf and
    zero are usage errors, never silently accepted."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number of {unit}: {text!r}") from None
        if not math.isfinite(value) or value <= minimum or value > maximum:
            bound = f" and at most {maximum:g}" if math.isfinite(maximum) else ""
            raise argparse.ArgumentTypeError(
                f"{what} must be a finite number of {unit} above {minimum:g}{bound}: {text!r}")
        return value
    return parse


_seconds = positive("a time", "seconds")
#: --cpu-freq / --freqs apply once the core runs from PLL1, whose lowest output is above
#: 1 MHz (VCO >= 150 MHz divided by DIVP1 <= 128, RM0433 8.7.12 RCC_PLL1DIVR); the top is the
#: power model's operating-point table (480 MHz on rev V, DS12110 Table 23).
MIN_MHZ = 1.0


def _mhz(text: str) -> float:
    value = positive("a core clock", "MHz", maximum=1e4)(text)
    if value < MIN_MHZ:
        raise argparse.ArgumentTypeError(f"a core clock below {MIN_MHZ:g} MHz is not a PLL1 "
                                         f"output: {text!r}")
    return value


class OneLineParser(argparse.ArgumentParser):
    """argparse, with a usage error as one line on stderr (exit 2) instead of the whole
    usage block: CI logs and scripts read one line."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {one_line(message)} "
                              f"(see {self.prog} --help)\n")


def run_parser(prog: str = "simulate", sweep: bool = False) -> argparse.ArgumentParser:
    p = OneLineParser(
        prog=prog,
        description="Run an STM32H743 firmware ELF on a modelled chip and report what it costs: "
                    "cycles, simulated seconds at the configured clock, peak RAM per region "
                    "and energy.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", "-V", action="store_true",
                   help="print the simulator, Unicorn and platform file versions and exit")
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
    p.add_argument("--accent", default=DEFAULT_ACCENT, metavar="VOICE", help=ACCENT_HELP)
    p.add_argument("--json", type=Path, metavar="PATH", help="write the full report as JSON")
    p.add_argument("--html", type=Path, metavar="FILE",
                   help="write a self-contained HTML report with plots (RAM, power and clocks, "
                        "cycles by function, stalls, the clip with its aligned words; a sweep "
                        "plots energy and busy time against clock); opens offline "
                        "(docs/report-html.md)")
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
    p.add_argument("--vdd", type=positive("a supply voltage", "volts"), default=None,
                   metavar="VOLTS",
                   help="supply voltage for the energy figures (default 3.3 V; 1.62-3.6)")
    if sweep:
        p.add_argument("--freqs", required=True, metavar="MHZ,MHZ,...",
                       help="core clocks to run the firmware at, e.g. 100,200,400,480")
        p.set_defaults(cpu_freq=None, alignment_out=None)
    else:
        p.add_argument("--cpu-freq", type=_mhz, default=None, metavar="MHZ",
                       help="what-if: run the firmware with its core clock at MHZ once it has "
                            "switched to PLL1, with the VOS and flash wait states that clock "
                            "needs (DS12110 / RM0433 tables); the report says it was overridden")
    p.add_argument("--max-energy", type=positive("an energy budget", "joules"), default=None,
                   metavar="JOULES",
                   help="energy budget per run; exceeding it exits 3")
    p.add_argument("--dcache", choices=["sampled", "exact", "off"], default="sampled",
                   help="D-cache and data memory timing: 'sampled' measures every load and "
                        "store in windows (1/16 of the run, the first window at reset) and "
                        "charges each block its measured mean in between; 'exact' measures "
                        "throughout (2-3x slower than sampled); 'off' times data accesses as TCM "
                        "(default: sampled; docs/timing-model.md)")
    p.add_argument("--strict", action="store_true",
                   help="exit 4 on silicon-breaking configurations (flash wait states below "
                        "the datasheet table, clocks above what the voltage scale allows, a "
                        "console baud rate other than --baud) and on lost data: audio words "
                        "dropped by a full SAI FIFO, DMA half/complete interrupts raised while "
                        "the previous one was pending, circular DMA buffer halves rewritten "
                        "before the firmware handled or read them")
    p.add_argument("--swo", type=Path, metavar="FILE",
                   help="write what the firmware sends through the ITM stimulus ports "
                        "(ITM_SendChar) as an ITM packet stream, as a SWO capture holds it; "
                        "the text of port 0 is also shown as the ITM console")
    p.add_argument("--baud", type=whole_number, default=115_200, metavar="RATE",
                   help="baud rate of the host terminal on the console USART (default 115200): "
                        "firmware transmitting at another rate gets a warning, as a board's "
                        "terminal would show garbage")
    if not sweep:
        p.add_argument("--gdb", type=_port, nargs="?", const=3333, default=None, metavar="PORT",
                       help="debug the run with gdb: serve the GDB remote protocol on "
                            "127.0.0.1:PORT (default 3333; 0 picks a free port) and wait for "
                            "a client before the first instruction (gdb-multiarch, then "
                            "`target remote :PORT`; docs/gdb.md)")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="print nothing but errors (firmware console output included)")
    return p


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a TCP port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a TCP port is 0..65535, not {value}")
    return value


def one_line(text: str) -> str:
    """``text`` on one line: control characters (a newline in a file name) escaped."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


def error(message: str, code: int = EXIT_USAGE) -> int:
    """Print a one-line error and return the exit code."""
    print(f"simulate: error: {one_line(message)}", file=sys.stderr)
    return code


#: The largest transcript file read (a transcript the aligner can take is a few kB).
MAX_TEXT_FILE_BYTES = 1 << 20


def prepare(args: argparse.Namespace) -> Inputs:
    """Check the output paths and load the inputs the options name; raises InputError."""
    from ..output import check_writable

    for flag, path in (("--json", args.json),
                       ("--alignment-out", getattr(args, "alignment_out", None)),
                       ("--html", getattr(args, "html", None))):
        why = check_writable(path) if path is not None else None
        if why is not None:
            raise InputError(f"cannot write {flag} {path}: {why}")
    if args.semihosting_root is not None and not args.semihosting_root.is_dir():
        raise InputError(f"--semihosting-root {args.semihosting_root} is not a folder")
    if args.vdd is not None and not 1.62 <= args.vdd <= 3.6:
        raise InputError(f"--vdd {args.vdd:g} V is outside 1.62..3.6 V")
    text = args.text
    if args.text_file is not None:
        from ..elf import FirmwareError, read_bounded
        try:
            text = read_bounded(args.text_file, MAX_TEXT_FILE_BYTES, "--text-file").decode("utf-8")
        except FirmwareError as exc:
            raise InputError(str(exc)) from exc
        except UnicodeDecodeError as exc:
            raise InputError(f"--text-file {args.text_file} is not UTF-8 text") from exc
    if getattr(args, "alignment_out", None) is not None:
        from ..apps.aligner import output_format
        if text is None:
            raise InputError("--alignment-out needs a transcript (--text or --text-file)")
        try:
            output_format(args.alignment_out)
        except ValueError as exc:
            raise InputError(str(exc)) from exc
    return load_inputs(args.firmware, platform=args.platform, revision=args.revision,
                       audio=args.audio, text=text, accent=args.accent, max_ram=args.max_ram,
                       budget_file=args.budget, timeout_s=args.timeout)


def options(args: argparse.Namespace, cpu_freq_mhz: float | None, echo=None,
            profile: bool = False, progress=None) -> Options:
    """The run options of the parsed command line."""
    return Options(max_cycles=args.max_cycles, timeout_s=args.timeout,
                   semihosting_root=args.semihosting_root, strict=args.strict,
                   baud=getattr(args, "baud", 115_200), swo=getattr(args, "swo", None),
                   audio_mode=args.audio_mode,
                   cpu_freq_mhz=cpu_freq_mhz, dcache=args.dcache,
                   vdd=args.vdd, max_energy=args.max_energy, profile=profile, echo=echo,
                   progress=progress, gdb_port=getattr(args, "gdb", None))


def progress_bar(args: argparse.Namespace, inp: Inputs):
    """A transient progress bar on stderr (simulated seconds, against the clip's length when
    there is one) when stderr is a terminal and not --quiet: (context manager, callback)."""
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
