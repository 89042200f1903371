"""Corpus -> features and frame labels for training."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

try:
    from . import features as F
    from .corpus import load_split
except ImportError:  # pragma: no cover
    import features as F  # type: ignore[no-redef]
    from corpus import load_split  # type: ignore[no-redef]

FRAME_S = F.HOP / F.SAMPLE_RATE            # 0.010
CENTRE_S = (F.WIN / 2) / F.SAMPLE_RATE     # 0.0125: centre of frame 0


@dataclass
class Utt:
    feats: np.ndarray    # float32 [T, 40] log mel (not normalised)
    labels: np.ndarray   # int64 [T] class of the phone at the frame centre (0 = sil)
    seg: np.ndarray      # [S,3] class, start, end (s)
    word: np.ndarray     # [W,2] token start/end (s), -1 when none
    meta: dict
    audio: np.ndarray | None = None
    ignore: np.ndarray | None = None   # bool [T]: frames left out of the training loss
    edge_soft: float = 0.0             # share of the neighbouring phone in an edge frame's target


def edge_frames(labels: np.ndarray, n: int) -> np.ndarray:
    """Frames within n frames of a change of class (bool [T]): for a change between frames
    i-1 and i, frames i-n .. i+n-1, n on each side of the boundary."""
    near = np.zeros(len(labels), bool)
    if n <= 0:
        return near
    for i in np.flatnonzero(labels[1:] != labels[:-1]) + 1:
        near[max(0, i - n):i + n] = True
    return near


IGNORE = -100                              # target of a frame outside the loss (torch's default)


def edge_neighbours(labels: np.ndarray) -> np.ndarray:
    """For each frame next to a change of class, the class on the other side of that change
    (int64 [T]; a frame's own class elsewhere): for a change between frames i-1 and i, frame i-1
    gets labels[i] and frame i gets labels[i-1] (a one-frame phone: its right neighbour)."""
    other = labels.copy()
    ch = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    other[ch] = labels[ch - 1]
    other[ch - 1] = labels[ch]
    return other


def batch_arrays(utts: list[Utt], idx: list[int], mean: np.ndarray, inv_std: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One padded batch: normalised features [B, 40, T], targets [B, T] (IGNORE for padding
    and for an utterance's `ignore` frames), frame mask [B, 1, T], and the soft edge targets:
    the second class [B, T] and its share [B, T] (0 where a frame's target is its own class
    only; an utterance's ``edge_soft`` on the frames next to a change of class)."""
    T = max(len(utts[i].labels) for i in idx)
    x = np.zeros((len(idx), F.N_MELS, T), np.float32)
    y = np.full((len(idx), T), IGNORE, np.int64)
    m = np.zeros((len(idx), 1, T), np.float32)
    y2 = np.full((len(idx), T), IGNORE, np.int64)
    w2 = np.zeros((len(idx), T), np.float32)
    for j, i in enumerate(idx):
        u = utts[i]
        n = len(u.labels)
        x[j, :, :n] = ((u.feats - mean) * inv_std).T
        y[j, :n] = u.labels
        y2[j, :n] = u.labels
        if u.edge_soft > 0:
            other = edge_neighbours(u.labels)
            y2[j, :n] = other
            w2[j, :n] = np.where(other != u.labels, u.edge_soft, 0.0)
        if u.ignore is not None:
            y[j, :n][u.ignore] = IGNORE
            y2[j, :n][u.ignore] = IGNORE
        m[j, 0, :n] = 1.0
    return x, y, m, y2, w2


def freq_masks(x: np.ndarray, max_width: int, n_masks: int, rng: np.random.Generator) -> None:
    """Frequency masking (SpecAugment, Park et al. 2019, section 2) of a batch of normalised
    features x [B, mels, T], in place: per utterance n_masks bands of width 0..max_width mel
    channels at a random place are set to 0, the training set's mean of the channel (padding
    frames are 0 already). The network cannot rely on a few channels, e.g. where one speaker's
    formants lie."""
    n_mels = x.shape[1]
    for j in range(x.shape[0]):
        for _ in range(n_masks):
            w = int(rng.integers(0, max_width + 1))
            f0 = int(rng.integers(0, n_mels - w + 1))
            x[j, f0:f0 + w, :] = 0.0


def frame_labels(seg: np.ndarray, n: int) -> np.ndarray:
    """Class of the phone covering each frame centre t*0.010 + 0.0125 (sil if none)."""
    lab = np.zeros(n, np.int64)
    centres = np.arange(n) * FRAME_S + CENTRE_S
    for c, s, e in seg:
        a = int(np.searchsorted(centres, s, "left"))
        b = int(np.searchsorted(centres, e, "left"))
        lab[a:b] = int(c)
    return lab


def load_utts(root: Path, split: str, keep_audio: bool = False, limit: int | None = None) -> list[Utt]:
    raw = load_split(root, split)
    if limit is not None:
        raw = raw[:limit]
    out: list[Utt] = []
    for r in raw:
        f = F.log_mel(r["audio"])
        out.append(Utt(f, frame_labels(r["seg"], len(f)), r["seg"], r["word"], r["meta"],
                       r["audio"] if keep_audio else None))
    return out


def copies(utts: list[Utt], share: float, seed: int | list[int],
           transform: Callable[[np.ndarray, np.random.Generator], np.ndarray],
           tag: dict) -> list[Utt]:
    """Processed copies (``transform(audio, rng)``) of a share of the utterances (each drawn with
    probability ``share`` from ``seed``); the utterances need their audio.  Labels and loss mask
    are the original's (the transforms keep timing); meta gets ``tag``."""
    rng = np.random.default_rng(seed)
    out: list[Utt] = []
    for u in utts:
        if rng.random() >= share:
            continue
        assert u.audio is not None, "copies need the utterances' audio"
        f = F.log_mel(transform(u.audio, rng))
        out.append(Utt(f, u.labels, u.seg, u.word, {**u.meta, **tag}, None, u.ignore,
                       u.edge_soft))
    return out


def _augment():
    try:
        from . import augment
    except ImportError:  # pragma: no cover
        import augment  # type: ignore[no-redef]
    return augment


def narrowband_copies(utts: list[Utt], share: float, seed: int, rate: int = 8000) -> list[Utt]:
    """Narrowband copies (augment.narrowband at ``rate`` Hz) of a share of the utterances (each
    drawn with probability ``share`` from ``seed``); the utterances need their audio.  Labels
    and loss mask are the original's; meta gets ``narrowband: rate``."""
    aug = _augment()
    return copies(utts, share, seed, lambda a, _rng: aug.narrowband(a, rate),
                  {"narrowband": rate})


def vocoded_copies(utts: list[Utt], share: float, seed: int) -> list[Utt]:
    """LPC-vocoded copies (augment.vocode: a parametric synthesiser's sound) of a share of the
    utterances, drawn from their own stream of ``seed``; meta gets ``vocoded: 1``."""
    aug = _augment()
    return copies(utts, share, [seed, 1], aug.vocode, {"vocoded": 1})


def prepare(utts: list[Utt], dev_utts: int, narrowband: float, seed: int, edge_ignore: int,
            cmn: F.RunningMean | None, init_stats: tuple[np.ndarray, np.ndarray] | None = None,
            vocoded: float = 0.0, edge_soft: float = 0.0
            ) -> tuple[list[Utt], list[Utt], np.ndarray, np.ndarray]:
    """The training view of a loaded corpus: (dev, train, mean, inv_std).  dev = every k-th
    utterance (dev_utts of them; they keep their audio); train = the rest plus their narrowband
    copies (share ``narrowband``) and vocoded copies (share ``vocoded``, drawn from the
    originals); ``edge_ignore`` frames a side of the real-speech phone
    boundaries out of the loss; ``edge_soft``: the real-speech frames next to a phone boundary
    get that share of the other side's phone in their target (soft targets; the copies too);
    with ``cmn``, every utterance the network sees - dev, train and the copies alike - gets the
    running-mean view (features.running_mean_shift), so that
    (feats - mean) * inv_std is what the firmware's front end computes.  init_stats: the
    (mean, inv_std) of the model fine-tuned (train.py --init-norm)."""
    dev = utts[::max(1, len(utts) // dev_utts)][:dev_utts]
    dev_ids = {id(u) for u in dev}
    train = [u for u in utts if id(u) not in dev_ids]
    for u in train:
        if u.meta.get("voice") == "real":
            if edge_ignore > 0:
                u.ignore = edge_frames(u.labels, edge_ignore)
            u.edge_soft = edge_soft
    originals = list(train)
    if narrowband > 0:
        train += narrowband_copies(originals, narrowband, seed)  # they keep the original's mask
    if vocoded > 0:
        train += vocoded_copies(originals, vocoded, seed)
    for u in train:
        u.audio = None  # only the dev subset needs audio (alignment tuning)
    # the statistics (a float64 copy of every feature) only when they are not given
    mean, inv_std = init_stats if init_stats is not None else feature_stats(train)
    if cmn is not None and cmn.frames > 0:
        for u in dev + train:
            u.feats = F.running_mean_shift(u.feats, mean, cmn)
        if init_stats is None:
            _, inv_std = feature_stats(train)
    return dev, train, mean, inv_std


def feature_stats(utts: list[Utt]) -> tuple[np.ndarray, np.ndarray]:
    allf = np.concatenate([u.feats for u in utts]).astype(np.float64)
    mean = allf.mean(0)
    std = allf.std(0)
    return mean.astype(np.float32), (1.0 / np.maximum(std, 1e-3)).astype(np.float32)
