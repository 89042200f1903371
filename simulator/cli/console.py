"""Where the ``simulate`` commands write (one rule for every subcommand, docs/formats.md):

* **stdout carries the firmware's console** (USART3 and semihosting output, as it streams), and
  nothing else, so ``simulate fw.elf > console.txt`` captures exactly what the firmware printed.
* **stderr carries everything the simulator says**: the summary, tables (profile, sweep),
  the alignment table, warnings, fault diagnostics, budget and --strict failures, errors, the
  progress bar and "wrote FILE" lines.
* An output written to ``-`` (``--json -``...) takes stdout; the firmware console then moves
  to stderr so the file stays parseable.
* ``diff`` and ``trace-dump`` run no firmware: their text is their output, on stdout.

The progress bar (stderr, on a terminal) never overwrites firmware lines: while it is shown
and stdout is the same terminal, firmware output is printed line by line above the bar.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import IO, Any

from ..output import is_stdout

OUTPUT_OPTIONS = ("json", "alignment_out", "html", "callgrind", "speedscope", "perfetto",
                  "trace", "swo")


def stdout_taken(args: argparse.Namespace) -> bool:
    """An output file option names stdout (``-`` or /dev/stdout)."""
    return any(is_stdout(getattr(args, k, None)) for k in OUTPUT_OPTIONS)


def messages():
    """The rich console for everything the simulator says (stderr; wide when redirected so
    tables are not squeezed into 80 columns)."""
    from rich.console import Console

    con = Console(stderr=True)
    if not con.is_terminal:
        con = Console(stderr=True, width=160)
    return con


class FirmwareEcho:
    """The live echo of the firmware console (``RunConfig.echo``)."""

    def __init__(self, stream: IO[str], bar: Any = None) -> None:
        self.stream = stream
        self.bar = bar if bar is not None and _same_terminal(stream, sys.stderr) else None
        self._partial = ""
        self.at_line_start = True

    def __call__(self, source: str, data: bytes) -> None:
        """Runs inside Unicorn callbacks: it must never raise. A stream that fails (stdout
        closed by ``| head``, ``> /dev/full``) is given up (cli/streams.py)."""
        from .streams import failed, stdout_failed
        if failed():
            return
        try:
            self._echo(data)
        except OSError as exc:
            stdout_failed(exc)
        except ValueError:                   # the stream was closed
            stdout_failed(OSError(32, "closed"))

    def _echo(self, data: bytes) -> None:
        text = data.decode("utf-8", errors="replace")
        if not text:
            return
        self.at_line_start = text.endswith("\n")
        if self.bar is None or not getattr(self.bar, "live", None) or \
                not self.bar.live.is_started:
            self._flush_partial()
            self.stream.write(text)
            self.stream.flush()
            return
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:          # above the bar: rich moves it down, nothing is erased
            self.bar.console.print(line.rstrip("\r"), markup=False, highlight=False,
                                   soft_wrap=True)

    def _flush_partial(self) -> None:
        if self._partial:
            self.stream.write(self._partial)
            self._partial = ""

    def close(self) -> None:
        """After the bar is gone: the unfinished last line, then end it so the simulator's
        own output starts on a line of its own."""
        from .streams import failed, stdout_failed
        if failed():
            return
        try:
            self._flush_partial()
            if not self.at_line_start and self.stream.isatty():
                self.stream.write("\n")
                self.at_line_start = True
            self.stream.flush()
        except (OSError, ValueError) as exc:
            stdout_failed(exc if isinstance(exc, OSError) else OSError(32, "closed"))


def firmware_echo(args: argparse.Namespace, bar: Any = None) -> FirmwareEcho | None:
    if getattr(args, "quiet", False):
        return None
    stream = sys.stderr if stdout_taken(args) else sys.stdout
    return FirmwareEcho(stream, bar)


def _same_terminal(a: IO[str], b: IO[str]) -> bool:
    try:
        if not (a.isatty() and b.isatty()):
            return False
        sa, sb = os.fstat(a.fileno()), os.fstat(b.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return (sa.st_rdev, sa.st_ino) == (sb.st_rdev, sb.st_ino)
