"""The batch output folder: one file per finished job, written as it finishes.

    OUT/jobs/<job>.json          the job's simulate report, plus a "batch" entry (key, clip,
                                 clock, exit code, accuracy, gate failures)
    OUT/jobs/<job>.failed.json   a job that failed twice: its error (retried on the next run)
    OUT/batch.json               the aggregate (simulator.batch.aggregate)

A rerun with the same inputs finds ``jobs/<job>.json`` with the same key and skips the job;
a changed firmware, clip, transcript, clock or run option gives another key and reruns it.
Every file is written through a temporary file and a rename: an interrupted batch leaves only
whole files behind.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from ..output import write_text


class Store:
    def __init__(self, out: Path | str) -> None:
        self.out = Path(out)
        self.jobs = self.out / "jobs"

    def prepare(self) -> None:
        self.jobs.mkdir(parents=True, exist_ok=True)

    def report_path(self, name: str) -> Path:
        return self.jobs / f"{name}.json"

    def failure_path(self, name: str) -> Path:
        return self.jobs / f"{name}.failed.json"

    def finished(self, name: str, key: str) -> dict[str, Any] | None:
        """The stored report of a job with this key, or None."""
        p = self.report_path(name)
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(doc, dict) or (doc.get("batch") or {}).get("key") != key:
            return None
        return doc

    def save_report(self, name: str, report: dict[str, Any]) -> Path:
        from ..report import check
        check(report)                   # the tests validate every stored job report
        p = self.report_path(name)
        _write_json(p, report)
        self.failure_path(name).unlink(missing_ok=True)
        return p

    def save_failure(self, name: str, record: dict[str, Any]) -> Path:
        p = self.failure_path(name)
        _write_json(p, record)
        return p

    def save_aggregate(self, doc: dict[str, Any]) -> Path:
        p = self.out / "batch.json"
        _write_json(p, doc)
        return p


def _write_json(path: Path, doc: dict[str, Any]) -> None:
    write_text(path, json.dumps(_finite(doc), indent=1, default=_default,
                                       allow_nan=False) + "\n")


def _finite(o: Any) -> Any:
    """NaN and infinities become null: strict JSON readers refuse them."""
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [_finite(v) for v in o]
    return o


def _default(o: Any) -> Any:
    if hasattr(o, "item"):
        return o.item()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
