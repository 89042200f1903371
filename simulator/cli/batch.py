"""``simulate batch FIRMWARE.elf MANIFEST [--freqs 100,400] [--jobs N] [--engine local|dask]
[--out DIR]``: every clip of the manifest at every clock, on a process pool or a Dask cluster;
resumable; an aggregate report with distributions, accuracy, the worst clips and the gates."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ..apps.aligner import ACCENT_HELP, DEFAULT_ACCENT, check_accent
from .options import _cycles, _seconds, error

EPILOG = """\
manifest (CSV with a header row, or JSON Lines), one clip per row:
  audio            the clip (WAV/FLAC/OGG), relative to the manifest's folder
  transcript       what is said (or transcript_file: a UTF-8 file)
  reference        optional reference alignment: JSON (as --alignment-out x.json) or .TextGrid
  id               optional name of the clip in the reports (default: the audio file's stem)

output folder (--out, default batch-out/):
  jobs/<clip>@<MHz>MHz.json   each job's full report, written as the job finishes
  jobs/<job>.failed.json      a job that failed twice, with its error
  batch.json                  the aggregate; --html FILE adds a page, with pages for the
                              worst clips in html/

A rerun with the same --out skips the jobs whose inputs (firmware, clip, transcript, clock,
run options) did not change; --fresh runs them all again.

exit codes: the worst job's (0 all fine, 2 bad manifest or a refused clip, 3 a budget or
--min-accuracy gate failed, 4 a fault, a job that failed twice, or an unreachable engine)

engines:
  local   a process pool on this machine, --jobs workers (default: one per core)
  dask    Dask distributed: --scheduler tcp://HOST:8786 uses a running cluster (started with
          `dask scheduler` and `dask worker tcp://HOST:8786` on each machine; the firmware
          and the clips must be at the same paths on the workers); without --scheduler the
          command starts a LocalCluster of --jobs workers and stops it at the end
"""


def _engine(name: str) -> str:
    if name == "ray":
        raise argparse.ArgumentTypeError("Ray is not supported; use --engine dask (Dask "
                                         "distributed, chosen over Ray: docs/batch.md)")
    if name not in ("local", "dask"):
        raise argparse.ArgumentTypeError(f"unknown engine {name!r} (local or dask)")
    return name


def batch_parser() -> argparse.ArgumentParser:
    from .options import OneLineParser

    p = OneLineParser(
        prog="simulate batch",
        description="Run the firmware on every clip of a manifest (and every --freqs clock) "
                    "and report distributions of busy time, real-time factor, peak RAM, energy "
                    "and alignment accuracy.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("firmware", type=Path, metavar="FIRMWARE.elf")
    p.add_argument("manifest", type=Path, metavar="MANIFEST", help=".csv or .jsonl")
    p.add_argument("--freqs", metavar="MHZ,MHZ,...",
                   help="core clocks (--cpu-freq) to run every clip at (default: the "
                        "firmware's own clock)")
    p.add_argument("--jobs", "-j", type=int, metavar="N",
                   help="worker processes (default: one per core)")
    p.add_argument("--engine", type=_engine, default="local", metavar="{local,dask}",
                   help="local process pool (default) or Dask distributed (Ray is not "
                        "supported: docs/batch.md says why Dask)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler address (tcp://host:8786); default: start a "
                        "LocalCluster")
    p.add_argument("--out", type=Path, default=Path("batch-out"), metavar="DIR",
                   help="output folder (default batch-out)")
    p.add_argument("--html", type=Path, metavar="FILE", help="write the aggregate as HTML")
    p.add_argument("--json", type=Path, metavar="FILE",
                   help="also write the aggregate here (it is always in DIR/batch.json)")
    p.add_argument("--fresh", action="store_true", help="ignore stored results")
    g = p.add_argument_group("gates (per job; a failure makes the exit code 3)")
    g.add_argument("--max-ram", action="append", default=[], metavar="SIZE|REGION=SIZE",
                   help="RAM budget: total (1MiB) or per region (DTCM=64K); repeatable")
    g.add_argument("--budget", type=Path, metavar="FILE.toml", help="budget file ([ram] ...)")
    g.add_argument("--max-energy", type=float, metavar="JOULES", help="energy per clip")
    g.add_argument("--min-accuracy", type=float, metavar="SHARE",
                   help="clips with a reference: at least this share (0..1) of the word "
                        "boundaries within --tolerance of the reference (words not placed "
                        "count as misses)")
    g.add_argument("--tolerance", type=float, default=50.0, metavar="MS",
                   help="tolerance for --min-accuracy (default 50 ms)")
    r = p.add_argument_group("run options (as for simulate)")
    r.add_argument("--platform", default="stm32h743", metavar="NAME|FILE.toml")
    r.add_argument("--revision", choices=["V", "Y"])
    r.add_argument("--audio-mode", choices=["stream", "buffered"], default="stream")
    r.add_argument("--accent", default=DEFAULT_ACCENT, metavar="VOICE", help=ACCENT_HELP)
    r.add_argument("--dcache", choices=["sampled", "exact", "off"], default="sampled")
    r.add_argument("--max-cycles", type=_cycles, metavar="N")
    r.add_argument("--timeout", type=_seconds, metavar="SECONDS",
                   help="host wall-clock limit per job (makes results depend on the host)")
    r.add_argument("--vdd", type=float, metavar="VOLTS")
    r.add_argument("--strict", action="store_true")
    p.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    return p


def main(argv: Sequence[str]) -> int:
    from rich.console import Console

    from ..batch.aggregate import aggregate
    from ..batch.engines import EngineError, make_engine
    from ..batch.jobs import RunSettings
    from ..batch.manifest import ManifestError, read_manifest
    from ..batch.runner import Gates, plan, run_batch
    from ..batch.store import Store

    args = batch_parser().parse_args(list(argv))
    freqs = None
    if args.freqs:
        try:
            freqs = [float(f) for f in args.freqs.split(",") if f.strip()]
        except ValueError:
            return error(f"--freqs takes MHz values separated by commas, not {args.freqs!r}")
        if not freqs or any(f <= 0 for f in freqs):
            return error("--freqs needs at least one positive frequency in MHz")
    if args.jobs is not None and args.jobs < 1:
        return error("--jobs must be at least 1")
    if args.min_accuracy is not None and not 0 <= args.min_accuracy <= 1:
        return error("--min-accuracy is a share between 0 and 1 (0.9 = 90 %)")
    if args.tolerance <= 0:
        return error("--tolerance must be positive (ms)")
    if args.scheduler and args.engine != "dask":
        return error("--scheduler needs --engine dask")
    out = args.out.resolve()
    for opt in ("html", "json"):
        path = getattr(args, opt)
        # a page inside --out (created below) is fine
        if path is not None and not path.parent.resolve().is_dir() and \
                path.parent.resolve() != out:
            return error(f"cannot write --{opt} {path}: folder {path.parent} does not exist")
    try:
        _check_inputs(args)
        clips = read_manifest(args.manifest)
    except (ManifestError, ValueError) as exc:
        return error(str(exc))
    settings = RunSettings(platform=args.platform, revision=args.revision,
                           audio_mode=args.audio_mode, dcache=args.dcache,
                           max_cycles=args.max_cycles, timeout_s=args.timeout, vdd=args.vdd,
                           max_ram=tuple(args.max_ram),
                           budget_file=str(args.budget.resolve()) if args.budget else None,
                           max_energy=args.max_energy, strict=args.strict,
                           accent=args.accent)
    specs = plan(args.firmware.resolve(), clips, freqs, settings)
    store = Store(args.out)
    try:
        store.prepare()
    except OSError as exc:
        return error(f"cannot create --out {args.out}: {exc.strerror or exc}")
    err = Console(stderr=True)
    try:
        engine = make_engine(args.engine, args.jobs, args.scheduler)
    except EngineError as exc:
        return error(str(exc), 4)
    bar, tick = _progress(args, len(specs))
    t0 = time.perf_counter()
    try:
        with bar:
            results = run_batch(specs, {c.id: c for c in clips}, engine, store,
                                Gates(args.min_accuracy, args.tolerance), fresh=args.fresh,
                                progress=tick)
    except KeyboardInterrupt:
        err.print("simulate: interrupted; finished jobs are kept in "
                  f"{store.jobs} and a rerun skips them")
        return 130
    finally:
        engine.close()
    meta = {"firmware": str(args.firmware), "manifest": str(args.manifest),
            "clips": len(clips), "freqs": freqs, "engine": engine.name,
            "workers": engine.jobs, "out": str(args.out),
            "wall_s": time.perf_counter() - t0,
            "gates": {"max_ram": args.max_ram, "max_energy": args.max_energy,
                      "min_accuracy": args.min_accuracy, "tolerance_s": args.tolerance / 1000.0}}
    doc = aggregate(results, meta)
    try:
        store.save_aggregate(doc)
        if args.json is not None:
            from ..output import write_text
            write_text(args.json, json.dumps(doc, indent=1) + "\n")
        if args.html is not None:
            _write_html(args.html, doc, store)
    except OSError as exc:
        return error(f"cannot write the aggregate: {exc.strerror or exc}")
    if not args.quiet:
        from ..batch.summary import print_batch
        from .console import messages
        print_batch(doc, messages())        # the simulator's words: stderr (cli/console.py)
    else:
        for r in doc["failures"]:
            print(f"simulate: batch: {r['name']}: {r['error']}", file=sys.stderr)
        for g in doc["gate_failures"]:
            print(f"simulate: batch: {g['job']}: {'; '.join(g['failures'])}", file=sys.stderr)
    return doc["exit_code"]


def _check_inputs(args: argparse.Namespace) -> None:
    """The firmware and the run options once, before any job starts."""
    from ..api import InputError, load_inputs

    try:
        load_inputs(args.firmware, platform=args.platform, revision=args.revision,
                    max_ram=args.max_ram, budget_file=args.budget)
    except InputError as exc:
        raise ValueError(str(exc)) from None
    if args.vdd is not None and not 1.62 <= args.vdd <= 3.6:
        raise ValueError(f"--vdd {args.vdd:g} V is outside 1.62..3.6 V")
    check_accent(args.accent)


def _progress(args: argparse.Namespace, total: int):
    import contextlib
    if args.quiet or not sys.stderr.isatty():
        return contextlib.nullcontext(), None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("batch"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[last]}"), TimeElapsedColumn(),
                   console=Console(stderr=True), transient=True)
    task = bar.add_task("jobs", total=total, last="")
    return bar, lambda r: bar.update(task, advance=1, last=f"{r.spec.name}: {r.status}")


def _write_html(path: Path, doc: dict, store) -> None:
    """The aggregate page, plus one page per clip it singles out (html/<job>.html beside it),
    drawn from the stored reports."""
    import os

    from ..html_report import write_page
    from ..html_report.batch_page import batch_page
    from ..html_report.extras import extras_from_report
    from ..html_report.run_page import run_page

    pages = path.parent / "html"
    named = {w["job"]: w["report"] for ws in doc["worst"].values() for w in ws}
    named.update({g["job"]: g["report"] for g in doc["gate_failures"]})
    links: dict[str, str] = {}
    for rel in [r["report"] for r in doc["rows"] if r.get("status") == "done"]:
        links[Path(rel).stem] = os.path.relpath(store.out / rel, path.parent)
    if named:
        pages.mkdir(exist_ok=True)
    for job, rel in named.items():
        report = json.loads((store.out / rel).read_text())
        out = pages / f"{job}.html"
        write_page(run_page(report, extras_from_report(report), title=job), out)
        links[job] = os.path.relpath(out, path.parent)
    write_page(batch_page(doc, links), path)

