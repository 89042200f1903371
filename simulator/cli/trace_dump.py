"""``simulate trace-dump TRACE [--elf FIRMWARE.elf] [--limit N]``: print an instruction
trace written by ``simulate profile --trace`` (the format is simulator.trace)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from ..trace import dump_text, read_trace
from .streams import product_on_stdout


def main(argv: Sequence[str]) -> int:
    """simulate trace-dump TRACE [--elf FIRMWARE.elf] [--limit N]"""
    from .options import OneLineParser

    ap = OneLineParser(prog="simulate trace-dump",
                                 description="Print an instruction trace written by "
                                             "simulate profile --trace.")
    ap.add_argument("trace", type=Path)
    ap.add_argument("--elf", type=Path, help="firmware ELF for symbols and disassembly")
    ap.add_argument("--limit", type=int, default=None, metavar="N")
    args = ap.parse_args(list(argv))
    try:
        t = read_trace(args.trace)
    except (OSError, ValueError) as exc:
        print(f"simulate: error: {exc}", file=sys.stderr)
        return 2
    fw = None
    if args.elf is not None:
        from ..elf import FirmwareError, load_firmware
        try:
            fw = load_firmware(args.elf)
        except FirmwareError as exc:
            print(f"simulate: error: {exc}", file=sys.stderr)
            return 2
    h = t.header
    status = [0]
    with product_on_stdout(status):
        print(f"# {h['count']:,} instructions, cycles {h['first_cycle']:,}.."
              f"{int(t.cycles[-1]) if len(t) else 0:,}, window {h.get('window')}"
              + (" (truncated)" if h.get("truncated") else ""))
        dump_text(t, fw, args.limit)
    return status[0]

