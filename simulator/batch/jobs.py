"""One batch job: one clip at one core clock, run through :func:`simulator.api.simulate`.

A ``JobSpec`` is plain data (it crosses process and machine boundaries: the local pool pickles
it, Dask ships it to a worker). ``run_job`` is the whole worker side: it needs the firmware and
the clip at the same paths on the worker (a shared folder) and checks the firmware's SHA-256 so
a worker that sees another file fails the job instead of reporting on the wrong firmware.
The simulation is deterministic (no wall-clock input unless ``timeout_s`` is set), so the
same spec gives the same report on any worker.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..apps.aligner import DEFAULT_ACCENT

# the stored job report's batch section; a new format reruns stored jobs once (2: key rule of
# docs/formats.md: cpu_freq_hz, worker_s, accuracy in seconds)
FORMAT = 2
# what a job result keeps of a report besides its summary: everything but host-side figures
HOST_KEYS = ("host",)


@dataclass(frozen=True)
class RunSettings:
    """The run options every job of a batch shares (``simulate batch --help``)."""

    platform: str = "stm32h743"
    revision: str | None = None
    audio_mode: str = "stream"
    dcache: str = "sampled"
    max_cycles: int | None = None
    timeout_s: float | None = None
    vdd: float | None = None
    max_ram: tuple[str, ...] = ()
    budget_file: str | None = None
    max_energy: float | None = None
    strict: bool = False
    profile_top: int = 15          # functions and loops kept in each job's report (0: none)
    accent: str = DEFAULT_ACCENT   # eSpeak NG voice of the transcripts' pronunciations


@dataclass(frozen=True)
class JobSpec:
    name: str                         # <clip id>@<MHz>MHz, or the clip id at the firmware's clock
    clip_id: str
    firmware: str
    firmware_sha256: str
    audio: str
    transcript: str | None
    mhz: float | None                 # --cpu-freq for this job (None: the firmware's clock)
    settings: RunSettings = field(default_factory=RunSettings)

    def key(self) -> str:
        """Identifies the job's inputs: a stored result with the same key is reused."""
        from .. import __version__
        d = asdict(self)
        d["audio_sha256"] = file_sha256(self.audio)
        d["h7sim"] = __version__
        d["format"] = FORMAT
        d.pop("firmware")                 # the hash, not the path, identifies the firmware
        d.pop("audio")
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def freq_hz(mhz: float | None) -> int | None:
    """A job's --cpu-freq as the reports write clocks: integer hertz (None: the firmware's)."""
    return None if mhz is None else int(round(mhz * 1e6))


def job_name(clip_id: str, mhz: float | None) -> str:
    return clip_id if mhz is None else f"{clip_id}@{mhz:g}MHz"


class JobError(Exception):
    """The job could not produce a report (one line)."""


class JobInputError(JobError):
    """The clip, transcript or run options were refused (the run's exit code 2)."""


def run_job(spec: JobSpec) -> dict[str, Any]:
    """Run one job; returns {"report": the JSON report, "exit_code", "worker_s" (wall time
    in the worker), "worker_cpu_s" (CPU time of the worker process over the job)}.
    Raises ``JobError`` (one line) when there is no report to give."""
    from ..api import InputError, Options, load_inputs, simulate

    t0, c0 = time.perf_counter(), time.process_time()
    try:
        if file_sha256(spec.firmware) != spec.firmware_sha256:
            raise JobError(f"the worker's {spec.firmware} is not the firmware the batch was "
                           "started with (SHA-256 differs)")
    except OSError as exc:
        raise JobError(f"the worker cannot read {spec.firmware}: {exc.strerror or exc}") from exc
    s = spec.settings
    try:
        inputs = load_inputs(spec.firmware, platform=s.platform, revision=s.revision,
                             audio=Path(spec.audio), text=spec.transcript, accent=s.accent,
                             max_ram=s.max_ram,
                             budget_file=Path(s.budget_file) if s.budget_file else None)
        run = simulate(inputs, Options(max_cycles=s.max_cycles, timeout_s=s.timeout_s,
                                       strict=s.strict, audio_mode=s.audio_mode,
                                       cpu_freq_mhz=spec.mhz, dcache=s.dcache, vdd=s.vdd,
                                       max_energy=s.max_energy, profile=s.profile_top > 0))
    except InputError as exc:
        raise JobInputError(str(exc)) from None
    if s.profile_top > 0:
        # the block profiler changes no cycle count; the hot functions and loops make each
        # job's page and `simulate diff` of two batches' job reports function by function
        from ..profile import build_profile
        run.report["profile"] = build_profile(run.machine, run.result).to_dict(s.profile_top)
    return {"report": run.report, "exit_code": run.exit_code,
            "worker_s": time.perf_counter() - t0, "worker_cpu_s": time.process_time() - c0}


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    """A report without its host-side figures (wall time, host speed): what must be identical
    whichever engine or worker ran the job."""
    return {k: v for k, v in report.items() if k not in HOST_KEYS}
