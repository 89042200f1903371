"""Batch throughput: simulated clip-seconds per wall second for one process, the local process
pool and a Dask LocalCluster, the CPU time each engine spends per clip-second, and each
engine's overhead per job.

    python benchmarks/batch_throughput.py [--clips 8] [--words 12] [--jobs N]
                                          [--engines one,local,dask] [--elf ...]

Makes --clips clips with espeak-ng (sentences of --words words from a fixed text, en-us), then
runs the same batch (the aligner firmware, every clip at the firmware's clock) once per engine
into a fresh folder:
  one    the local engine with one worker (one process, no parallelism)
  local  the local process pool, --jobs workers (default: one per core)
  dask   a Dask LocalCluster of --jobs single-threaded workers, started by the command
Printed per engine, wall clock (meaningful only on an otherwise idle machine):
  wall s, clip-seconds per wall second, the speed-up over `one`, and the wall overhead per job
  = (wall x workers - sum of the jobs' wall time inside run_job) / jobs.
And CPU time (meaningful under load too: time the engine's processes spent on a core, not
time spent waiting for one), from the jobs' own process CPU time (run_job's worker_cpu_s) and
the CPU time of this process and every process it started (getrusage of self + children,
reaped workers, Dask scheduler, nannies and workers included), all in the same run:
  CPU s per clip-s   CPU time inside the jobs per simulated clip-second: the simulation's cost
  engine CPU/job s   (all CPU - CPU inside the jobs) / jobs: worker start (interpreter, imports,
                     numba cache loads), pickling, scheduling, the engine's own processes
  est. clip-s/s      audio / ((all CPU) / workers): the throughput the same work would reach on
                     `workers` idle cores (an estimate: no memory-bandwidth or turbo effects)
Every engine's job reports are compared with the first engine's (host figures aside): the
benchmark fails if any differs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TEXT = ("the old lighthouse stood at the edge of the cliff for more than a hundred years every "
        "evening the keeper climbed the narrow stairs and lit the great lamp ships passing in "
        "the night could see its light from far across the water in the winter the wind was "
        "cold and the waves crashed against the rocks below")


def make_clips(work: Path, n: int, words: int) -> tuple[Path, float]:
    rows, total = [], 0.0
    vocab = TEXT.split()
    for k in range(n):
        text = " ".join(vocab[(k * 7 + i) % len(vocab)] for i in range(words))
        wav = work / f"clip{k:02d}.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), text], check=True)
        with wave.open(str(wav)) as w:
            total += w.getnframes() / w.getframerate()
        rows.append({"audio": wav.name, "transcript": text})
    manifest = work / "manifest.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return manifest, total


def cpu_now() -> float:
    """CPU seconds (user + system) of this process and of its reaped children so far."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run(engine_name: str, jobs: int, elf: Path, manifest: Path, out: Path) -> dict:
    from simulator.batch.engines import make_engine
    from simulator.batch.jobs import RunSettings
    from simulator.batch.manifest import read_manifest
    from simulator.batch.runner import plan, run_batch
    from simulator.batch.store import Store

    clips = read_manifest(manifest)
    specs = plan(elf, clips, None, RunSettings())
    load0 = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), cpu_now()
    eng = make_engine("local" if engine_name == "one" else engine_name,
                      1 if engine_name == "one" else jobs)
    try:
        res = run_batch(specs, {c.id: c for c in clips}, eng, Store(out), fresh=True)
    finally:
        eng.close()
    wall, cpu = time.perf_counter() - t0, cpu_now() - c0
    workers = 1 if engine_name == "one" else jobs
    inside = sum(r.row.get("worker_s") or 0.0 for r in res)
    inside_cpu = sum(r.row.get("worker_cpu_s") or 0.0 for r in res)
    failed = [r.spec.name for r in res if r.status != "done"]
    return {"wall": wall, "workers": workers, "inside": inside, "cpu": cpu,
            "inside_cpu": inside_cpu, "jobs": len(res), "failed": failed,
            "load": (load0 + os.getloadavg()[0]) / 2}


def same_reports(a: Path, b: Path) -> bool:
    from simulator.batch.jobs import comparable

    for f in sorted((a / "jobs").glob("*.json")):
        x, y = json.loads(f.read_text()), json.loads((b / "jobs" / f.name).read_text())
        for d in (x, y):
            for k in ("worker_s", "worker_cpu_s"):
                d["batch"].pop(k, None)
        if comparable(x) != comparable(y):
            return False
    return True


def main() -> int:
    from simulator.batch.engines import default_jobs

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=8)
    ap.add_argument("--words", type=int, default=12, help="words per clip (12: about 4 s)")
    ap.add_argument("--jobs", type=int, default=default_jobs())
    ap.add_argument("--engines", default="one,local,dask")
    ap.add_argument("--elf", type=Path, default=ROOT / "firmware" / "build" / "aligner.elf")
    ap.add_argument("--keep", type=Path, help="keep clips and outputs here")
    args = ap.parse_args()
    if shutil.which("espeak-ng") is None:
        sys.exit("espeak-ng not found")
    work = Path(tempfile.mkdtemp(prefix="batch_bench_")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    manifest, audio_s = make_clips(work, args.clips, args.words)
    print(f"{args.clips} clips, {audio_s:.1f} s of audio, {args.jobs} workers, "
          f"firmware {args.elf.name}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}")
    head = (f"{'engine':>6} {'workers':>7} {'wall s':>7} {'clip-s/s':>8} {'speed-up':>8} "
            f"{'wall ovh/job s':>14} | {'CPU s':>7} {'CPU s/clip-s':>12} "
            f"{'engine CPU/job s':>16} {'est. clip-s/s':>13} {'load':>5}")
    print(head)
    first, base = None, None
    ok = True
    for name in args.engines.split(","):
        out = work / f"out_{name}"
        r = run(name, args.jobs, args.elf.resolve(), manifest, out)
        rate = audio_s / r["wall"]
        base = base or r["wall"] if name == "one" else base
        speed = f"{base / r['wall']:.2f}x" if base else "-"
        overhead = (r["wall"] * r["workers"] - r["inside"]) / r["jobs"]
        est = audio_s / (r["cpu"] / r["workers"])
        print(f"{name:>6} {r['workers']:>7} {r['wall']:7.1f} {rate:8.3f} {speed:>8} "
              f"{overhead:14.2f} | {r['cpu']:7.1f} {r['inside_cpu'] / audio_s:12.2f} "
              f"{(r['cpu'] - r['inside_cpu']) / r['jobs']:16.2f} {est:13.3f} "
              f"{r['load']:5.1f}", flush=True)
        if r["failed"]:
            print(f"       failed jobs: {r['failed']}")
            ok = False
        if first is None:
            first = out
        elif not same_reports(first, out):
            print(f"       reports differ from {first.name}")
            ok = False
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
