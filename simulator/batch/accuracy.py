"""Alignment accuracy of one clip against its reference, and pooled over clips.

Words are matched by position (the reference lists the transcript's words in order). For every
reference word with a time, the firmware's word is either placed (two boundary errors: |start
- start_ref| and |end - end_ref|) or not placed. Definitions follow
``firmware/model/metrics.py`` (the aligner's own evaluation): word MAE is the mean absolute
boundary error over placed words, ``within_20ms`` / ``within_50ms`` the share of those
boundaries within the tolerance. ``accuracy`` (what ``--min-accuracy`` gates) also counts the
words not placed, as misses: boundaries within ``tolerance_ms`` over all reference boundaries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

THRESHOLDS_MS = (20, 50)


class ReferenceError(ValueError):
    """A reference alignment that cannot be used (one line)."""


@dataclass
class Accuracy:
    words: int = 0               # reference words with a time
    placed: int = 0              # of those, placed by the firmware
    not_placed: int = 0
    boundaries: int = 0          # 2 per placed word
    abs_error_ms: float = 0.0    # sum over the boundaries
    within_20: int = 0           # boundaries within 20 ms
    within_50: int = 0
    within_tol: int = 0          # boundaries within the gate's tolerance
    tolerance_ms: float = 50.0

    @property
    def word_mae_ms(self) -> float | None:
        return self.abs_error_ms / self.boundaries if self.boundaries else None

    def share(self, n: int) -> float | None:
        return n / self.boundaries if self.boundaries else None

    @property
    def accuracy(self) -> float | None:
        """Boundaries within tolerance over all reference boundaries (not placed = missed)."""
        return self.within_tol / (2 * self.words) if self.words else None

    def add(self, other: Accuracy) -> None:
        for k in ("words", "placed", "not_placed", "boundaries", "abs_error_ms", "within_20",
                  "within_50", "within_tol"):
            setattr(self, k, getattr(self, k) + getattr(other, k))

    def to_dict(self) -> dict[str, Any]:
        """The report's form (docs/formats.md key rule: times in seconds, ``_s``)."""
        return {"words": self.words, "placed": self.placed, "not_placed": self.not_placed,
                "boundaries": self.boundaries, "abs_error_s": self.abs_error_ms / 1000.0,
                "within_20": self.within_20, "within_50": self.within_50,
                "within_tol": self.within_tol, "tolerance_s": self.tolerance_ms / 1000.0,
                "word_mae_s": None if self.word_mae_ms is None else self.word_mae_ms / 1000.0,
                "within_20ms": self.share(self.within_20),
                "within_50ms": self.share(self.within_50), "accuracy": self.accuracy}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Accuracy:
        return cls(**{k: d[k] for k in ("words", "placed", "not_placed", "boundaries",
                                        "within_20", "within_50", "within_tol")},
                   abs_error_ms=d["abs_error_s"] * 1000.0, tolerance_ms=d["tolerance_s"] * 1000.0)


def load_reference(path: Path | str) -> list[tuple[str, float | None, float | None]]:
    """(text, start s, end s) per word from a JSON alignment (``--alignment-out x.json``) or a
    Praat TextGrid (the tier named "words", else the first interval tier; its labelled
    intervals in order)."""
    path = Path(path)
    if path.suffix.lower() == ".textgrid":
        return _load_textgrid(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ReferenceError(f"cannot read reference {path}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ReferenceError(f"reference {path} is not JSON ({exc.msg})") from exc
    words = doc.get("words") if isinstance(doc, dict) else doc
    if not isinstance(words, list):
        raise ReferenceError(f"reference {path}: no 'words' list")
    out = []
    for k, w in enumerate(words):
        if not isinstance(w, dict) or "text" not in w:
            raise ReferenceError(f"reference {path}: word {k} has no 'text'")
        s, e = w.get("start", w.get("start_s")), w.get("end", w.get("end_s"))
        if (s is None) != (e is None) or (s is not None and not
                                          (isinstance(s, int | float) and isinstance(e, int | float)
                                           and 0 <= s <= e)):
            raise ReferenceError(f"reference {path}: word {k} ({w['text']!r}) needs "
                                 "0 <= start <= end (or both null)")
        out.append((str(w["text"]), None if s is None else float(s),
                    None if e is None else float(e)))
    return out


def _load_textgrid(path: Path) -> list[tuple[str, float | None, float | None]]:
    from praatio import textgrid

    try:
        tg = textgrid.openTextgrid(str(path), includeEmptyIntervals=False)
    except Exception as exc:                    # praatio raises many kinds
        text = str(exc).strip().splitlines()
        raise ReferenceError(f"reference {path} is not a readable TextGrid"
                             + (f": {text[0]}" if text else "")) from exc
    tiers = [tg.getTier(n) for n in tg.tierNames]
    intervals = [t for t in tiers if type(t).__name__ == "IntervalTier"]
    if not intervals:
        raise ReferenceError(f"reference {path} has no interval tier")
    tier = next((t for t in intervals if t.name.lower() == "words"), intervals[0])
    return [(e.label, float(e.start), float(e.end)) for e in tier.entries if e.label.strip()]


def score(hyp_words: list[dict[str, Any]], ref: list[tuple[str, float | None, float | None]],
          tolerance_ms: float = 50.0) -> Accuracy:
    """``hyp_words``: the report's ``alignment.words`` (start_s, end_s, found)."""
    if len(hyp_words) != len(ref):
        raise ReferenceError(f"the reference has {len(ref)} words, the transcript "
                             f"{len(hyp_words)}")
    a = Accuracy(tolerance_ms=tolerance_ms)
    for h, (_text, rs, re_) in zip(hyp_words, ref):
        if rs is None:
            continue
        a.words += 1
        if not h.get("found") or h.get("start_s") is None:
            a.not_placed += 1
            continue
        a.placed += 1
        # rounded to a nanosecond so 38 ms - 18 ms is 20 ms, not 20.000000000000004
        for err in (round(abs(h["start_s"] - rs) * 1e3, 6), round(abs(h["end_s"] - re_) * 1e3, 6)):
            a.boundaries += 1
            a.abs_error_ms += err
            a.within_20 += err <= 20
            a.within_50 += err <= 50
            a.within_tol += err <= tolerance_ms
    return a
