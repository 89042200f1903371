"""``simulate sweep FIRMWARE.elf --freqs 100,200,400,480 [run options]``: one run per core
clock; busy time, average power and energy per run, the lowest energy marked."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence

from ..api import EXIT_OK, InputError, simulate
from .console import messages
from .options import _mhz, error, one_line, options, prepare, run_parser


def main(argv: Sequence[str]) -> int:
    from rich.table import Table

    from ..report import write_json_atomic

    p = run_parser(prog="simulate sweep", sweep=True)
    args = p.parse_args(list(argv))
    freqs = []
    for text in (f.strip() for f in args.freqs.split(",")):
        if not text:
            continue
        try:
            freqs.append(_mhz(text))
        except argparse.ArgumentTypeError as exc:
            return error(f"--freqs: {exc}")
    if not freqs:
        return error("--freqs needs at least one frequency in MHz, e.g. 100,200,400")
    bad = _unsupported(freqs, args.revision)
    if bad:
        return error(f"--freqs: {bad}")
    try:
        inp = prepare(args)
    except InputError as exc:
        return error(str(exc), exc.exit_code)
    rows = []
    worst = EXIT_OK
    interrupted = None
    for f in freqs:
        # the previous clock's machine (a reference cycle through its Unicorn hooks, ~1 GiB
        # of address space) is freed before the next one is built
        gc.collect()
        try:
            r = simulate(inp, options(args, f))
        except InputError as exc:
            rows.append({"mhz": f, "error": str(exc)})
            worst = max(worst, exc.exit_code)        # a clock that cannot run fails the sweep
            continue
        result, report, code = r.result, r.report, r.exit_code
        if result.interrupted is not None:
            interrupted = r
            rows.append({"mhz": f, "exit_reason": result.exit_reason, "exit_code": code,
                         "incomplete": result.interrupted})
            worst = code
            break
        busy = report["timing"]["busy_cycles"] / result.core_hz if result.core_hz else None
        e = report["summary"]["energy_j"]
        rows.append({"mhz": f, "exit_reason": result.exit_reason, "exit_code": code,
                     "vos": report["clock_override"]["vos"],
                     "flash_wait_states": report["clock_override"]["flash_wait_states"],
                     "simulated_s": result.seconds, "busy_s": busy,
                     "average_power_w": report["summary"].get("average_power_w"),
                     "energy_j": e, "cycles": result.cycles})
        worst = max(worst, code)
        r.machine.release()
        del r
    table = Table(title=f"{args.firmware.name}: clock sweep", title_justify="left")
    for col in ("MHz", "VOS", "WS", "busy", "run time", "avg power", "energy", "exit"):
        table.add_column(col, justify="right")
    best = min((r for r in rows if r.get("energy_j") is not None),
               key=lambda r: r["energy_j"], default=None)
    for r in rows:
        if "error" in r:
            table.add_row(f"{r['mhz']:g}", "-", "-", "-", "-", "-", "-", r["error"][:40])
            continue
        if "incomplete" in r:
            table.add_row(f"{r['mhz']:g}", "-", "-", "-", "-", "-", "-", "interrupted")
            continue
        mark = " *" if r is best else ""
        table.add_row(f"{r['mhz']:g}", str(r["vos"]), str(r["flash_wait_states"]),
                      _ms(r["busy_s"]), _ms(r["simulated_s"]),
                      f"{r['average_power_w'] * 1e3:.1f} mW" if r["average_power_w"] else "-",
                      f"{r['energy_j'] * 1e3:.4f} mJ{mark}" if r["energy_j"] else "-",
                      r["exit_reason"])
    con = messages()                        # the simulator's words: stderr (cli/console.py)
    con.print(table)
    if best is not None:
        con.print(f"lowest energy per run: {best['mhz']:g} MHz (*)")
    doc: dict = {"firmware": str(args.firmware), "sweep": rows}
    target = args.json
    if interrupted is not None:
        from ..output import is_stdout
        from .run import incomplete_path
        doc["incomplete"] = interrupted.result.interrupted
        if target is not None and not is_stdout(target) and target.exists():
            target = incomplete_path(target)
    try:
        if target is not None:
            write_json_atomic(target, doc)
        if args.html is not None and interrupted is None:
            from ..html_report import write_page
            from ..html_report.sweep_page import sweep_page
            write_page(sweep_page(doc), args.html)
    except OSError as exc:
        return error(f"cannot write the sweep report: {exc.strerror or exc}")
    if interrupted is not None:
        print(f"simulate: {one_line(interrupted.result.diagnostic or 'interrupted')}",
              file=sys.stderr)
    return worst


def _unsupported(freqs: list[float], revision: str | None) -> str | None:
    """The first clock the chip cannot run at (the power model's operating points), as a
    one-line reason; checked before any run so that a typo does not cost a sweep."""
    from ..power import PowerModelError, operating_point

    for f in freqs:
        try:
            operating_point(f, revision or "V")
        except PowerModelError as exc:
            return f"{f:g} MHz: {exc}"
    return None


def _ms(x: float | None) -> str:
    return "-" if x is None else f"{x * 1e3:.3f} ms"
