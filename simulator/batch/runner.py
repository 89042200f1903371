"""Run a batch: clips x clocks as jobs on an engine, resumable, each failure retried once.

    jobs = plan(firmware, clips, freqs, settings)
    results = run_batch(jobs, engine, store, gates)

A job whose report is already stored with the same key is not run again. A job that raises
(bad input on the worker, a crashed worker) is run once more after the first pass; if it fails
again its error is stored (``jobs/<job>.failed.json``) and it is reported, never dropped.
Accuracy against the clip's reference and the ``--min-accuracy`` gate are applied here, on the
client, so workers never need the reference files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..api import EXIT_BUDGET, EXIT_FAULT, EXIT_FIRMWARE_FAILED, EXIT_OK, EXIT_USAGE
from .accuracy import ReferenceError, load_reference, score
from .jobs import (JobError, JobInputError, JobSpec, RunSettings, file_sha256, freq_hz,
                   job_name)
from .manifest import Clip
from .store import Store

ATTEMPTS = 2                 # a failed job is retried once
# exit reasons that say nothing about the firmware (a signal stopped the worker's run): such a
# job is not stored as finished
NOT_A_RESULT = frozenset({"interrupted"})


@dataclass(frozen=True)
class Gates:
    min_accuracy: float | None = None     # share of reference boundaries within tolerance
    tolerance_ms: float = 50.0


@dataclass
class JobResult:
    spec: JobSpec
    status: str                           # done | failed
    exit_code: int
    attempts: int = 0
    reused: bool = False                  # found in the store, not run
    error: str | None = None
    path: Path | None = None              # the stored report (or failure record)
    row: dict[str, Any] = field(default_factory=dict)


def plan(firmware: Path, clips: list[Clip], freqs: list[float] | None,
         settings: RunSettings) -> list[JobSpec]:
    """One job per clip and clock (clip-major order), deterministic names."""
    sha = file_sha256(firmware)
    out = []
    for clip in clips:
        for mhz in (freqs or [None]):
            out.append(JobSpec(job_name(clip.id, mhz), clip.id, str(firmware), sha,
                               str(clip.audio), clip.transcript, mhz, settings))
    return out


def run_batch(specs: list[JobSpec], clips: dict[str, Clip], engine, store: Store,
              gates: Gates | None = None, fresh: bool = False,
              progress: Callable[[JobResult], None] | None = None) -> list[JobResult]:
    gates = gates or Gates()
    store.prepare()
    refs: dict[str, Any] = {}
    for c in clips.values():
        if c.reference is not None:
            try:
                refs[c.id] = load_reference(c.reference)
            except ReferenceError as exc:
                refs[c.id] = exc
    results: dict[str, JobResult] = {}
    todo: list[JobSpec] = []
    keys = {}
    for s in specs:
        keys[s.name] = s.key()
        doc = None if fresh else store.finished(s.name, keys[s.name])
        if doc is not None:
            b = doc["batch"]
            # the simulation is reused; the client-side gates (reference, --min-accuracy,
            # --tolerance) are applied again: they may have changed since it ran
            judged = _judge(doc, b.get("run_exit_code", b["exit_code"]), refs.get(s.clip_id),
                            gates)
            if judged != (b["exit_code"], b["accuracy"], b["gate_failures"]):
                b["exit_code"], b["accuracy"], b["gate_failures"] = judged
                store.save_report(s.name, doc)
            r = JobResult(s, "done", b["exit_code"], b.get("attempts", 1), reused=True,
                          path=store.report_path(s.name), row=row_of(doc, store))
            results[s.name] = r
            if progress:
                progress(r)
        else:
            todo.append(s)
    attempts = {s.name: 0 for s in todo}
    errors: dict[str, str] = {}
    given_up: list[JobSpec] = []
    for _round in range(ATTEMPTS):
        if not todo:
            break
        failed = []
        for spec, outcome in engine.run(todo):
            attempts[spec.name] += 1
            if not isinstance(outcome, BaseException) and \
                    outcome["report"]["summary"].get("exit_reason") in NOT_A_RESULT:
                outcome = JobError(f"the run was {outcome['report']['summary']['exit_reason']}")
            if isinstance(outcome, BaseException):
                errors[spec.name] = _one_line(outcome)
                # refused input fails the same way every time: not retried
                (given_up if isinstance(outcome, JobInputError) else failed).append(spec)
                continue
            r = _finish(spec, outcome, keys[spec.name], attempts[spec.name],
                        refs.get(spec.clip_id), gates, store)
            results[spec.name] = r
            if progress:
                progress(r)
        todo = failed
    for spec in given_up + todo:
        err = errors[spec.name]
        code = EXIT_USAGE if err.startswith("input: ") else EXIT_FAULT
        path = store.save_failure(spec.name, {
            "status": "failed", "job": spec.name, "clip": spec.clip_id,
            "cpu_freq_hz": freq_hz(spec.mhz),
            "error": err, "attempts": attempts[spec.name], "key": keys[spec.name]})
        r = JobResult(spec, "failed", code, attempts[spec.name], error=err, path=path,
                      row={"name": spec.name, "clip": spec.clip_id,
                           "cpu_freq_hz": freq_hz(spec.mhz), "status": "failed",
                           "error": err, "exit_code": code,
                           "report": _rel(path, store)})
        results[spec.name] = r
        if progress:
            progress(r)
    return [results[s.name] for s in specs]


def _finish(spec: JobSpec, outcome: dict[str, Any], key: str, attempts: int, ref,
            gates: Gates, store: Store) -> JobResult:
    report = outcome["report"]
    code, acc, gate_failures = _judge(report, outcome["exit_code"], ref, gates)
    report["batch"] = {"key": key, "job": spec.name, "clip": spec.clip_id,
                       "cpu_freq_hz": freq_hz(spec.mhz),
                       "exit_code": code, "run_exit_code": outcome["exit_code"],
                       "attempts": attempts, "accuracy": acc, "gate_failures": gate_failures,
                       "worker_s": outcome.get("worker_s"),
                       "worker_cpu_s": outcome.get("worker_cpu_s")}
    path = store.save_report(spec.name, report)
    return JobResult(spec, "done", code, attempts, path=path, row=row_of(report, store))


def _judge(report: dict[str, Any], code: int, ref, gates: Gates
           ) -> tuple[int, dict[str, Any] | None, list[str]]:
    """The job's exit code, accuracy and failed gates from its run's report and exit code,
    the clip's reference and the batch's gates."""
    gate_failures = list(report.get("budget_failures") or [])
    acc = None
    if ref is not None:
        words = (report.get("alignment") or {}).get("words") or []
        if isinstance(ref, ReferenceError):
            gate_failures.append(f"reference: {ref}")
        else:
            try:
                acc = score(words, ref, gates.tolerance_ms).to_dict()
            except ReferenceError as exc:
                gate_failures.append(f"reference: {exc}")
        if acc is not None and gates.min_accuracy is not None and \
                (acc["accuracy"] or 0.0) < gates.min_accuracy:
            gate_failures.append(
                f"accuracy {100 * (acc['accuracy'] or 0):.1f} % of word boundaries within "
                f"{gates.tolerance_ms:g} ms is below --min-accuracy "
                f"{100 * gates.min_accuracy:g} %")
    if gate_failures and code in (EXIT_OK, EXIT_FIRMWARE_FAILED):
        code = EXIT_BUDGET
    return code, acc, gate_failures


def row_of(report: dict[str, Any], store: Store) -> dict[str, Any]:
    """The figures the aggregate needs from one job's report."""
    from ..headline import busy_seconds

    b = report["batch"]
    s = report["summary"]
    au = report.get("audio") or {}
    al = report.get("alignment") or {}
    regions = (report.get("memory") or {}).get("regions") or {}
    return {
        "name": b["job"], "clip": b["clip"], "cpu_freq_hz": b["cpu_freq_hz"], "status": "done",
        "exit_code": b["exit_code"], "exit_reason": s.get("exit_reason"),
        "core_hz": s.get("core_hz"), "simulated_s": s.get("simulated_s"),
        "busy_s": busy_seconds(report),
        "audio_s": au.get("duration_s") or au.get("source_duration_s"),
        "rtf": au.get("real_time_factor"),
        "overrun_words": au.get("overrun_words"),
        "peak_ram_bytes": s.get("peak_ram_bytes"),
        "regions": {k: v.get("peak_bytes") for k, v in regions.items()},
        "region_sizes": {k: v.get("size") for k, v in regions.items()},
        "energy_j": s.get("energy_j"),
        "words": len(al.get("words") or []), "words_found": al.get("found"),
        "accuracy": b.get("accuracy"), "gate_failures": b.get("gate_failures") or [],
        "report": _rel(store.report_path(b["job"]), store),
        "worker_s": b.get("worker_s"), "worker_cpu_s": b.get("worker_cpu_s"),
    }


def _rel(path: Path, store: Store) -> str:
    try:
        return str(path.relative_to(store.out))
    except ValueError:
        return str(path)


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, JobInputError):
        return f"input: {exc}"
    if isinstance(exc, JobError):
        return str(exc)
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")
