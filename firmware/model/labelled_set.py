"""An evaluation manifest from a directory of wav files with word-label files (any synthesiser
or labelling tool that writes word times), in realspeech.py's manifest format.

Input (a directory given on the command line, outside the repository): ``NAME.wav`` (any rate,
first channel; resampled to 16 kHz) with ``NAME.lab``: one ``start end word`` line per word in
seconds, separated by spaces or tabs (Audacity's label export; HTK's 100 ns units with
``--htk``). Pause labels (``sil``, ``sp``, ``pau``, ``#``, ``<sil>``, empty) are skipped.
The transcript is ``NAME.txt`` when present, else the labelled words joined. Labelled words are
matched to the transcript's tokens (text_norm: ``35`` is spoken as two words) in order: a token
spans its first to its last spoken word; a recording whose labelled word count differs from the
transcript's spoken word count is left out (and named), never guessed.

    python labelled_set.py DIR OUT [--speaker NAME] [--ref NAME] [--htk]
    python evaluate.py --manifest OUT/manifest.jsonl [--synthetic]
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

try:
    from . import realspeech
    from .text_norm import normalise
except ImportError:  # pragma: no cover
    import realspeech  # type: ignore[no-redef]
    from text_norm import normalise  # type: ignore[no-redef]

PAUSES = {"", "sil", "sp", "pau", "#", "<sil>", "silence", "h#"}
HTK_UNIT = 1e-7            # HTK label times are in 100 ns units


@dataclass
class Label:
    start: float
    end: float
    word: str


def read_labels(path: Path, htk: bool = False) -> list[Label]:
    """Word labels of one file, pauses left out; ValueError names the bad line."""
    scale = HTK_UNIT if htk else 1.0
    out = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        parts = line.split(None, 2)
        if not parts or parts[0].startswith("\\"):     # Audacity's frequency-range lines
            continue
        if len(parts) < 2:
            raise ValueError(f"{path.name}:{n}: expected 'start end word', got {line!r}")
        try:
            s, e = float(parts[0]) * scale, float(parts[1]) * scale
        except ValueError:
            raise ValueError(f"{path.name}:{n}: times are not numbers: {line!r}") from None
        word = parts[2].strip() if len(parts) > 2 else ""
        if e < s:
            raise ValueError(f"{path.name}:{n}: end before start: {line!r}")
        if word.lower() not in PAUSES:
            out.append(Label(s, e, word))
    return out


def token_times(text: str, labels: list[Label]) -> list[list[float]] | None:
    """[start, end] per transcript token ([-1, -1] for tokens with nothing spoken), or None
    when the labelled word count is not the transcript's spoken word count."""
    counts = [len(t.spoken) for t in normalise(text)]
    if sum(counts) != len(labels):
        return None
    out, k = [], 0
    for n in counts:
        out.append([labels[k].start, labels[k + n - 1].end] if n else [-1.0, -1.0])
        k += n
    return out


def build(src: Path, out: Path, speaker: str, ref: str, htk: bool = False
          ) -> tuple[int, list[str]]:
    """Write out/manifest.jsonl and out/wav/*.wav; returns (items written, names left out)."""
    (out / "wav").mkdir(parents=True, exist_ok=True)
    lines, left_out = [], []
    for wav in sorted(src.glob("*.wav")):
        lab = wav.with_suffix(".lab")
        if not lab.is_file():
            left_out.append(f"{wav.name}: no {lab.name}")
            continue
        labels = read_labels(lab, htk)
        txt = wav.with_suffix(".txt")
        text = txt.read_text().strip() if txt.is_file() else " ".join(x.word for x in labels)
        words = token_times(text, labels)
        if words is None:
            left_out.append(f"{wav.name}: {len(labels)} labelled words, transcript speaks "
                            f"{sum(len(t.spoken) for t in normalise(text))}")
            continue
        dst = (out / "wav" / wav.name).resolve()
        realspeech.write_wav(dst, realspeech.read_pcm16k(wav))
        lines.append({"id": wav.stem, "speaker": speaker, "wav": str(dst), "text": text,
                      "words": [[round(s, 4), round(e, 4)] for s, e in words], "ref": ref})
    tmp = out / "manifest.tmp"
    tmp.write_text("".join(json.dumps(x) + "\n" for x in lines))
    tmp.replace(out / "manifest.jsonl")
    return len(lines), left_out


def main() -> int:
    ap = argparse.ArgumentParser(description="Evaluation manifest (realspeech.py format) from a "
                                 "directory of NAME.wav + NAME.lab word labels (+ NAME.txt).")
    ap.add_argument("src", type=Path, help="directory with NAME.wav, NAME.lab, NAME.txt")
    ap.add_argument("out", type=Path, help="output directory (manifest.jsonl, wav/)")
    ap.add_argument("--speaker", default=None, help="speaker / voice name (default: src name)")
    ap.add_argument("--ref", default="labels",
                    help="what made the word times, shown in evaluate.py's table (e.g. pico)")
    ap.add_argument("--htk", action="store_true", help="label times in HTK 100 ns units")
    a = ap.parse_args()
    if not a.src.is_dir():
        print(f"error: {a.src} is not a directory", file=sys.stderr)
        return 2
    try:
        n, left = build(a.src, a.out, a.speaker or a.src.name, a.ref, a.htk)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for x in left:
        print(f"left out {x}", file=sys.stderr)
    print(f"{n} recordings -> {a.out / 'manifest.jsonl'} ({len(left)} left out)")
    return 0 if n else 1


if __name__ == "__main__":
    sys.exit(main())
