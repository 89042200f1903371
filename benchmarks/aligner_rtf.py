"""Real-time factor of the aligner firmware in the simulator, for clips of about 10 s, 60 s and 300 s.

    python benchmarks/aligner_rtf.py [--durations 10 60 300] [--elf firmware/build/aligner.elf]
                                     [--dcache sampled|exact|off] [--no-build] [--keep DIR]
                                     [--jobs N] [--engine local|dask]

For each duration: takes enough sentences of a built-in English text to last that long when
spoken by espeak-ng (en-us, default speed), synthesises them to a WAV; then runs all the clips
as one `simulate batch` (simulator.batch: one job per clip, --jobs workers, each job the same
run as `simulate <elf> --audio <wav> --text-file <txt>`; with --keep DIR a rerun reuses the
stored reports in DIR/batch) and prints, from each job's report:
  audio.real_time_factor, audio.cpu_busy_s (busy time at the simulated core clock,
  400 MHz), peak RAM (memory.peak_ram_bytes), stalls, the D-cache hit rate and the share of the
  busy cycles that are D-side stalls (timing.dcache, timing.stalls.dcache_and_data_memory), and
  from the firmware's own log lines ("D <frames> <words>", "# stats ... busy_cycles=...") the
  busy cycles per 10 ms frame. --dcache is passed to simulate (its default when not given;
  `--dcache off` times data accesses as TCM, the model before the D-cache).
The 300 s clip takes several minutes of host time to simulate; "wall s" is each job's own
host time inside its worker.
At the end, one table of every issue-12 target (firmware/model/targets.py): the simulated
H743 at 400 MHz (RTF <= 0.05, peak RAM <= 256 KiB at every length, flash <= 1 MiB, every word
placed) with the worst case over the clips, and the accuracy targets from the JSON files of
firmware/model/evaluate.py --json given with --accuracy (real speech, synthetic voices, long
clips). --json FILE writes the clips' figures (evaluate.py --firmware-json reads them).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TEXT = (
    "The old lighthouse stood at the edge of the cliff for more than a hundred years. "
    "Every evening the keeper climbed the narrow stairs and lit the great lamp. "
    "Ships passing in the night could see its light from far across the water. "
    "In the winter the wind was cold and the waves crashed against the rocks below. "
    "The keeper wrote in his journal about the storms, the birds and the passing boats. "
    "One morning a small fishing boat appeared near the harbour with a torn sail. "
    "The keeper ran down to the beach and helped the two tired fishermen to the shore. "
    "They stayed with him for three days until the weather became calm again. "
    "Before they left they promised to bring him fresh fish every week of the summer. "
    "Years later the lamp was replaced by an automatic light that needed no keeper. "
    "Now visitors walk up the same stairs and read the journal in a glass case. "
    "Children ask whether the keeper was ever lonely during the long dark winters. "
    "The guide tells them that he had the sea, the birds and his many friends. "
    "From the top of the tower you can see the town, the river and the distant hills. "
    "On clear days the mountains in the north are visible above the morning clouds. "
    "A small museum near the entrance shows maps, old lamps and photographs of ships. "
)


def sentences() -> list[str]:
    return [s.strip() + "." for s in TEXT.split(".") if s.strip()]


def synth(text: str, wav: Path) -> float:
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), text], check=True,
                   capture_output=True)
    with wave.open(str(wav)) as w:
        return w.getnframes() / w.getframerate()


def make_clip(target_s: float, wav: Path, txt: Path) -> tuple[str, float]:
    """Whole sentences (cycling through the text) until the speech lasts >= target_s."""
    base = sentences()
    # speaking rate from the built-in text once, then one correction step
    probe = " ".join(base)
    rate = synth(probe, wav) / len(base)                 # seconds per sentence
    n = max(1, round(target_s / rate))
    for _ in range(4):
        text = " ".join(base[i % len(base)] for i in range(n))
        dur = synth(text, wav)
        if dur >= target_s * 0.97 or n > 10000:
            break
        n += max(1, int((target_s - dur) / rate + 0.5))
    txt.write_text(text + "\n", encoding="utf-8")
    return text, dur


def run_all(elf: Path, clips: list[tuple[str, Path, Path]], work: Path, dcache: str | None,
            jobs: int | None, engine_name: str) -> dict[str, dict]:
    """All clips as one batch (simulator.batch); returns tag -> figures of its report."""
    sys.path.insert(0, str(ROOT))
    from simulator.batch.engines import make_engine
    from simulator.batch.jobs import RunSettings
    from simulator.batch.manifest import read_manifest
    from simulator.batch.runner import plan, run_batch
    from simulator.batch.store import Store

    manifest = work / "clips.jsonl"
    manifest.write_text("".join(
        json.dumps({"id": tag, "audio": wav.name, "transcript_file": txt.name}) + "\n"
        for tag, wav, txt in clips))
    cl = read_manifest(manifest)
    specs = plan(elf.resolve(), cl, None, RunSettings(dcache=dcache or "sampled"))
    engine = make_engine(engine_name, jobs)
    try:
        results = run_batch(specs, {c.id: c for c in cl}, engine, Store(work / "batch"))
    finally:
        engine.close()
    out = {}
    for r in results:
        if r.status != "done":
            sys.exit(f"{r.spec.name}: {r.error}")
        out[r.spec.clip_id] = summarize(json.loads(r.path.read_text()))
    return out


def summarize(r: dict) -> dict:
    """The figures the table prints, from one job's report."""
    console = r.get("console", {}).get("USART3", "")
    out = {"exit": r["batch"]["exit_code"], "wall_s": r["batch"].get("worker_s") or 0.0,
           "duration_s": r["audio"]["duration_s"],
           "rtf": r["audio"]["real_time_factor"],
           "busy_s": r["audio"]["cpu_busy_s"],
           "peak_ram": r["memory"]["peak_ram_bytes"],
           "flash": r["memory"].get("flash_bytes", 0),
           "stalls": r["timing"].get("stalls", {}),
           "busy_cycles": r["timing"].get("busy_cycles", 0),
           "dcache_hit_rate": (r["timing"].get("dcache") or {}).get("hit_rate"),
           "found": r.get("alignment", {}).get("found"),
           "not_found": r.get("alignment", {}).get("not_found")}
    m = re.search(r"^D (\d+) (\d+)", console, re.MULTILINE)
    s = re.search(r"busy_cycles=(\d+) max_block_cycles=(\d+)", console)
    if m and s:
        out["frames"] = int(m.group(1))
        out["fw_busy_cycles"] = int(s.group(1))
        out["cycles_per_frame"] = int(s.group(1)) / max(1, int(m.group(1)))
        out["max_block_cycles"] = int(s.group(2))
    v = re.search(r"^# vit .*$", console, re.MULTILINE)
    out["vit"] = v.group(0) if v else ""
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--durations", type=float, nargs="+", default=[10.0, 60.0, 300.0])
    ap.add_argument("--elf", type=Path, default=ROOT / "firmware" / "build" / "aligner.elf")
    ap.add_argument("--dcache", choices=("sampled", "exact", "off"),
                    help="passed to simulate (default: simulate's default, sampled)")
    ap.add_argument("--no-build", action="store_true", help="do not run make first")
    ap.add_argument("--keep", type=Path, help="keep the clips, transcripts and reports here")
    ap.add_argument("--jobs", type=int, help="batch workers (default: one per core)")
    ap.add_argument("--engine", choices=("local", "dask"), default="local",
                    help="simulate batch engine (default: local process pool)")
    ap.add_argument("--json", type=Path, help="write the clips' figures here")
    ap.add_argument("--accuracy", type=Path, nargs="*", default=[],
                    help="firmware/model/evaluate.py --json files: their accuracy figures join "
                    "the targets table")
    args = ap.parse_args()
    if shutil.which("espeak-ng") is None:
        sys.exit("espeak-ng not found")
    missing = [str(a) for a in args.accuracy if not a.is_file()]
    if missing:            # checked before the (minutes long) simulations, not after them
        sys.exit(f"error: --accuracy file(s) not found: {', '.join(missing)}")
    if not args.no_build:
        subprocess.run(["make", "-s", "-C", str(ROOT / "firmware"), "build/aligner.elf"],
                       check=True)
    work = Path(tempfile.mkdtemp(prefix="aligner_rtf_")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    clips = []
    for d in args.durations:
        tag = f"{d:g}s"
        wav, txt = work / f"clip_{tag}.wav", work / f"clip_{tag}.txt"
        if args.keep is None or not (wav.exists() and txt.exists()):
            make_clip(d, wav, txt)
        clips.append((tag, wav, txt))
    by_tag = run_all(args.elf, clips, work, args.dcache, args.jobs, args.engine)
    print(f"{'clip':>8} {'audio s':>8} {'RTF':>7} {'busy s':>7} {'cyc/frame':>10} "
          f"{'max blk cyc':>11} {'peak RAM':>9} {'words':>9} {'mispred':>9} {'D hit':>6} "
          f"{'D stall':>7} {'wall s':>7}")
    results = []
    for tag, _wav, _txt in clips:
        r = by_tag[tag]
        results.append(r)
        words = f"{r['found']}/{(r['found'] or 0) + (r['not_found'] or 0)}"
        hit = r["dcache_hit_rate"]
        hit_s = "-" if hit is None else f"{100 * hit:5.1f}%"
        dst = r["stalls"].get("dcache_and_data_memory", 0) / max(1, r["busy_cycles"])
        print(f"{tag:>8} {r['duration_s']:8.2f} {r['rtf']:7.4f} {r['busy_s']:7.3f} "
              f"{r.get('cycles_per_frame', float('nan')):10.0f} "
              f"{r.get('max_block_cycles', 0):11d} {r['peak_ram']:9d} {words:>9} "
              f"{r['stalls'].get('branch_mispredict', 0):9d} {hit_s:>6} {100 * dst:6.1f}% "
              f"{r['wall_s']:7.1f}", flush=True)
        if r["exit"] != 0:
            print(f"         simulate exit code {r['exit']}")
        if r["vit"]:
            print(f"         {r['vit']}")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    doc = {"clips": [dict(r, tag=tag) for (tag, _w, _t), r in zip(clips, results)]}
    if args.json:
        args.json.write_text(json.dumps(doc, indent=1, default=str))
    print_targets(doc, args.accuracy)
    return 0


def print_targets(doc: dict, accuracy: list[Path]) -> None:
    """Every issue-12 target in one table (firmware/model/targets.py)."""
    sys.path.insert(0, str(ROOT / "firmware" / "model"))
    import targets
    vals = targets.accuracy_values(targets.load_json(accuracy))
    vals.update(targets.firmware_values(doc))
    print("\n" + targets.format_table(vals))


if __name__ == "__main__":
    sys.exit(main())
