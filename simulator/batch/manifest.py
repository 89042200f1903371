"""The batch manifest: which clips to run, with their transcripts and reference alignments.

CSV (a header row) or JSON Lines (one object per line), chosen by the suffix (.csv, .jsonl,
.ndjson). Columns / keys:

* ``audio`` (required): the clip (WAV/FLAC/OGG);
* ``transcript`` (the text) or ``transcript_file`` (a UTF-8 file): what is said (optional: a
  clip without one just runs);
* ``reference`` (optional): the reference word alignment, a JSON file in the format of
  ``--alignment-out x.json`` (``{"words": [{"text", "start", "end"}, ...]}``) or a plain list
  of such words (words without a time, null, are not scored), or a Praat ``.TextGrid`` (tier
  "words", else the first interval tier; its labelled intervals);
* ``id`` (optional): the clip's name in reports (default: the audio file's stem, made unique).

Relative paths are relative to the manifest's folder. Every problem is one line naming the
manifest line, raised as ``ManifestError``.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
KNOWN = {"audio", "transcript", "transcript_file", "reference", "id"}


class ManifestError(ValueError):
    """A manifest that cannot be used: one line for the user."""


@dataclass(frozen=True)
class Clip:
    id: str
    audio: Path
    transcript: str | None
    reference: Path | None
    line: int                    # manifest line (1-based), for messages


def read_manifest(path: Path | str) -> list[Clip]:
    path = Path(path)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ManifestError(f"manifest {path}: use a .csv or .jsonl file "
                            f"(not {path.suffix or 'no suffix'})")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(f"cannot read manifest {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ManifestError(f"manifest {path} is not UTF-8 text") from exc
    rows = _csv_rows(path, text) if kind == "csv" else _jsonl_rows(path, text)
    base = path.parent
    clips: list[Clip] = []
    used: set[str] = set()
    for line, row in rows:
        unknown = set(row) - KNOWN
        if unknown:
            raise ManifestError(f"{path}:{line}: unknown column(s) {', '.join(sorted(unknown))} "
                                f"(known: {', '.join(sorted(KNOWN))})")
        audio = (row.get("audio") or "").strip()
        if not audio:
            raise ManifestError(f"{path}:{line}: no audio path")
        audio_p = _resolve(base, audio)
        if not audio_p.is_file():
            raise ManifestError(f"{path}:{line}: audio file {audio} not found")
        transcript = row.get("transcript")
        tfile = (row.get("transcript_file") or "").strip()
        if transcript and tfile:
            raise ManifestError(f"{path}:{line}: give transcript or transcript_file, not both")
        if tfile:
            tp = _resolve(base, tfile)
            try:
                transcript = tp.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ManifestError(f"{path}:{line}: cannot read transcript_file {tfile}: "
                                    f"{getattr(exc, 'strerror', None) or exc}") from exc
        transcript = transcript.strip() if transcript else None
        ref = (row.get("reference") or "").strip()
        ref_p = _resolve(base, ref) if ref else None
        if ref_p is not None and not ref_p.is_file():
            raise ManifestError(f"{path}:{line}: reference file {ref} not found")
        if ref_p is not None and transcript is None:
            raise ManifestError(f"{path}:{line}: a reference alignment needs a transcript")
        cid = _unique(_safe_id((row.get("id") or "").strip() or audio_p.stem), used)
        clips.append(Clip(cid, audio_p, transcript, ref_p, line))
    if not clips:
        raise ManifestError(f"manifest {path} lists no clips")
    return clips


def _csv_rows(path: Path, text: str) -> list[tuple[int, dict]]:
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or "audio" not in [f.strip() for f in reader.fieldnames]:
        raise ManifestError(f"{path}: the first line must be a header with an 'audio' column")
    out = []
    for row in reader:
        if None in row:
            raise ManifestError(f"{path}:{reader.line_num}: more fields than header columns")
        clean = {k.strip(): (v if v is not None else "") for k, v in row.items()}
        if not any(v.strip() for v in clean.values()):
            continue
        out.append((reader.line_num, clean))
    return out


def _jsonl_rows(path: Path, text: str) -> list[tuple[int, dict]]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ManifestError(f"{path}:{n}: not JSON ({exc.msg})") from exc
        if not isinstance(row, dict):
            raise ManifestError(f"{path}:{n}: each line must be a JSON object")
        for k, v in row.items():
            if v is not None and not isinstance(v, str):
                raise ManifestError(f"{path}:{n}: '{k}' must be a string")
        out.append((n, {k: v for k, v in row.items() if v is not None}))
    return out


def _resolve(base: Path, p: str) -> Path:
    q = Path(p).expanduser()
    return q if q.is_absolute() else base / q


def _safe_id(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", s).strip("._") or "clip"


def _unique(s: str, used: set[str]) -> str:
    k, name = 1, s
    while name in used:
        k += 1
        name = f"{s}_{k}"
    used.add(name)
    return name
