"""Align many clips on the simulated firmware in one batch: the API the aligner's evaluation
uses (firmware/model/evaluate.py --firmware) instead of a loop of its own.

    from simulator.batch.align import EvalClip, align_clips
    got = align_clips("firmware/build/aligner.elf",
                      [EvalClip("u1", pcm_int16_16k, "the words", reference=ref_Wx2_seconds)],
                      out="eval-out", jobs=2, engine="local")
    got[0].words        # [(start_s, end_s) or (None, None) per transcript word]

Clips given as arrays (int16, mono, 16 kHz) are written once as WAV files under
``OUT/clips/`` (rewritten only when their samples change), their references as alignment JSON,
and the batch manifest as ``OUT/manifest.jsonl``; then it is an ordinary ``simulate batch``
(:func:`simulator.batch.runner.run_batch`): every job's report is stored in ``OUT/jobs/`` as it
finishes, a rerun with the same OUT reuses every finished job, a failed job is retried once
and then returned with its error, and ``OUT/batch.json`` holds the aggregate (distributions,
pooled accuracy with the definitions of firmware/model/metrics.py).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .jobs import RunSettings
from .manifest import read_manifest
from .runner import Gates, JobResult, plan, run_batch
from .store import Store

RATE = 16_000                     # Hz: the sample rate of clips given as arrays


@dataclass
class EvalClip:
    id: str                                 # file-name safe: letters, digits, . _ -
    audio: Any                              # a WAV/FLAC path, or int16 samples at 16 kHz
    text: str
    reference: Any = None                   # [W, 2] seconds per word (< 0 or None: unscored)


@dataclass
class ClipAlignment:
    id: str
    words: list[tuple[float | None, float | None]] | None   # None: the job failed
    accuracy: dict[str, Any] | None = None  # the batch's per-clip accuracy (with a reference)
    report: Path | None = None              # the stored job report (or failure record)
    error: str | None = None
    figures: dict[str, Any] = field(default_factory=dict)   # rtf, busy_s, peak RAM, energy


def align_clips(firmware: Path | str, clips: Sequence[EvalClip], out: Path | str, *,
                jobs: int | None = None, engine: Any = "local", scheduler: str | None = None,
                mhz: float | None = None, settings: RunSettings | None = None,
                tolerance_ms: float = 50.0,
                progress: Callable[[JobResult], None] | None = None) -> list[ClipAlignment]:
    """Run every clip once on the firmware (at ``mhz``, else the firmware's own clock) and
    return its word times, in the order of ``clips``. ``engine`` is "local", "dask" or an
    engine object (``run(specs)``/``close()``, as in :mod:`simulator.batch.engines`)."""
    from .aggregate import aggregate

    out = Path(out).resolve()   # the manifest's paths are read relative to its own folder
    manifest = write_manifest(clips, out)
    specs = plan(Path(firmware).resolve(), read_manifest(manifest),
                 None if mhz is None else [mhz], settings or RunSettings(profile_top=0))
    by_id = {c.id: c for c in read_manifest(manifest)}
    owned = isinstance(engine, str)
    if owned:
        from .engines import make_engine
        engine = make_engine(engine, jobs, scheduler)
    store = Store(out)
    try:
        results = run_batch(specs, by_id, engine, store, Gates(tolerance_ms=tolerance_ms),
                            progress=progress)
    finally:
        if owned:
            engine.close()
    store.save_aggregate(aggregate(results, {"firmware": str(firmware),
                                             "manifest": str(manifest), "clips": len(clips),
                                             "freqs": None if mhz is None else [mhz],
                                             "engine": getattr(engine, "name", "?"),
                                             "workers": getattr(engine, "jobs", None),
                                             "out": str(out)}))
    return [_alignment(r) for r in results]


def write_manifest(clips: Sequence[EvalClip], out: Path) -> Path:
    """OUT/manifest.jsonl (+ OUT/clips/ for arrays and references); files whose content is
    unchanged are left alone, so a rerun finds its jobs' keys unchanged."""
    d = out / "clips"
    d.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    rows = []
    for c in clips:
        if not re.fullmatch(r"[A-Za-z0-9._-]+", c.id) or c.id in seen:
            raise ValueError(f"clip id {c.id!r}: use unique names of letters, digits, . _ -")
        seen.add(c.id)
        row: dict[str, Any] = {"id": c.id, "transcript": c.text}
        if isinstance(c.audio, str | Path):
            row["audio"] = str(Path(c.audio).resolve())
        else:
            row["audio"] = str(_put(d / f"{c.id}.wav", _wav_bytes(c.audio)))
        if c.reference is not None:
            ref = {"words": [{"text": w, "start": _t(s), "end": _t(e)} for w, (s, e) in
                             zip(c.text.split() if len(c.text.split()) == len(c.reference)
                                 else [f"w{k}" for k in range(len(c.reference))],
                                 [(float(s), float(e)) for s, e in c.reference])]}
            row["reference"] = str(_put(d / f"{c.id}.ref.json",
                                        (json.dumps(ref) + "\n").encode()))
        rows.append(row)
    return _put(out / "manifest.jsonl", "".join(json.dumps(r) + "\n" for r in rows).encode())


def _t(x: float) -> float | None:
    return None if x < 0 else x                # metrics.py: a negative time is "no reference"


def _wav_bytes(pcm: Any) -> bytes:
    import numpy as np
    import soundfile as sf

    a = np.asarray(pcm)
    if a.ndim != 1 or a.dtype != np.int16:
        raise ValueError("clip audio arrays must be mono int16 samples at 16 kHz")
    buf = io.BytesIO()
    sf.write(buf, a, RATE, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def _put(path: Path, data: bytes) -> Path:
    from ..output import write_bytes

    try:
        if path.read_bytes() == data:
            return path
    except OSError:
        pass
    write_bytes(path, data)
    return path


def _alignment(r: JobResult) -> ClipAlignment:
    if r.status != "done":
        return ClipAlignment(r.spec.clip_id, None, report=r.path, error=r.error)
    doc = json.loads(Path(r.path).read_text(encoding="utf-8"))
    words = [(w.get("start_s"), w.get("end_s")) if w.get("found") and
             w.get("start_s") is not None else (None, None)
             for w in (doc.get("alignment") or {}).get("words") or []]
    keep = ("rtf", "busy_s", "audio_s", "peak_ram_bytes", "energy_j", "exit_code")
    return ClipAlignment(r.spec.clip_id, words, r.row.get("accuracy"), r.path,
                         figures={k: r.row.get(k) for k in keep})
