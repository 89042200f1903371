"""``simulate sweep FIRMWARE.elf --freqs 100,200,400,480 [run options]``: one run per core
clock; busy time, average power and energy per run, the lowest energy marked."""

from __future__ import annotations

from collections.abc import Sequence

from ..api import EXIT_OK, InputError, simulate
from .console import messages
from .options import error, options, prepare, run_parser


def main(argv: Sequence[str]) -> int:
    from rich.table import Table

    from ..report import write_json_atomic

    p = run_parser(prog="simulate sweep", sweep=True)
    args = p.parse_args(list(argv))
    try:
        freqs = [float(f) for f in args.freqs.split(",") if f.strip()]
    except ValueError:
        return error(f"--freqs takes MHz values separated by commas, not {args.freqs!r}")
    if not freqs or any(f <= 0 for f in freqs):
        return error("--freqs needs at least one positive frequency in MHz")
    try:
        inp = prepare(args)
    except InputError as exc:
        return error(str(exc))
    rows = []
    worst = EXIT_OK
    for f in freqs:
        try:
            r = simulate(inp, options(args, f))
        except InputError as exc:
            rows.append({"mhz": f, "error": str(exc)})
            continue
        result, report, code = r.result, r.report, r.exit_code
        busy = report["timing"]["busy_cycles"] / result.core_hz if result.core_hz else None
        e = report["summary"]["energy_j"]
        rows.append({"mhz": f, "exit_reason": result.exit_reason, "exit_code": code,
                     "vos": report["clock_override"]["vos"],
                     "flash_wait_states": report["clock_override"]["flash_wait_states"],
                     "simulated_s": result.seconds, "busy_s": busy,
                     "average_power_w": report["summary"].get("average_power_w"),
                     "energy_j": e, "cycles": result.cycles})
        worst = max(worst, code)
    table = Table(title=f"{args.firmware.name}: clock sweep", title_justify="left")
    for col in ("MHz", "VOS", "WS", "busy", "run time", "avg power", "energy", "exit"):
        table.add_column(col, justify="right")
    best = min((r for r in rows if r.get("energy_j") is not None),
               key=lambda r: r["energy_j"], default=None)
    for r in rows:
        if "error" in r:
            table.add_row(f"{r['mhz']:g}", "-", "-", "-", "-", "-", "-", r["error"][:40])
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
    doc = {"firmware": str(args.firmware), "sweep": rows}
    try:
        if args.json is not None:
            write_json_atomic(args.json, doc)
        if args.html is not None:
            from ..html_report import write_page
            from ..html_report.sweep_page import sweep_page
            write_page(sweep_page(doc), args.html)
    except OSError as exc:
        return error(f"cannot write the sweep report: {exc.strerror or exc}")
    return worst


def _ms(x: float | None) -> str:
    return "-" if x is None else f"{x * 1e3:.3f} ms"
