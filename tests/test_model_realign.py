"""realign.py (training labels from our own model's full Viterbi): on posteriors built from a
known phone sequence with known boundaries, the forced alignment must give back exactly those
boundaries, and the frame labels training derives from them (dataset.frame_labels) must be the
frames' classes again (the oracle is the sequence the posteriors were built from)."""
import numpy as np

import _model_path  # noqa: F401
import align_np
import dataset
import realign

N_CLASSES = 5
OFFSET_S = 0.010


def _hp() -> align_np.HmmParams:
    return align_np.HmmParams(
        n_states=np.array([1, 2, 1, 2, 1], np.uint8),
        self_logp=np.full(N_CLASSES, np.log(0.8), np.float32),
        next_logp=np.full(N_CLASSES, np.log(0.2), np.float32),
        log_prior=np.zeros(N_CLASSES, np.float32), prior_weight=0.7,
        frame_offset_s=OFFSET_S, sil_class=0)


def _posteriors(frames: list[int]) -> np.ndarray:
    """Log posteriors sure of each frame's class (0.9), the rest shared."""
    p = np.full((len(frames), N_CLASSES), 0.1 / (N_CLASSES - 1))
    p[np.arange(len(frames)), frames] = 0.9
    return np.log(p).astype(np.float32)


# two words: [1, 3] and [2, 4, 2]; silence, word 1, pause, word 2, silence (frame runs)
RUNS = [(0, 12), (1, 7), (3, 9), (0, 15), (2, 6), (4, 8), (2, 5), (0, 10)]
WORDS = [[1, 3], [2, 4, 2]]


def _frames() -> list[int]:
    return [c for c, n in RUNS for _ in range(n)]


def test_force_align_gives_back_the_known_segments_and_frame_labels():
    frames = _frames()
    segs, words, fit = realign.force_align(_posteriors(frames), WORDS, _hp())
    edges = np.cumsum([0] + [n for _, n in RUNS])
    want = [[c, 0.0 if k == 0 else round(edges[k] * 0.01 + OFFSET_S, 4),
             round(edges[k + 1] * 0.01 + OFFSET_S, 4)] for k, (c, _) in enumerate(RUNS)]
    assert segs == want
    # word 1 = runs 1-2, word 2 = runs 4-6
    assert words == [[round(edges[1] * 0.01 + OFFSET_S, 4), round(edges[3] * 0.01 + OFFSET_S, 4)],
                     [round(edges[4] * 0.01 + OFFSET_S, 4), round(edges[7] * 0.01 + OFFSET_S, 4)]]
    assert fit == 0.0            # every frame on the path is the network's best class
    lab = dataset.frame_labels(np.array(segs, np.float32), len(frames))
    assert lab.tolist() == frames


def test_force_align_follows_the_transcript_not_the_best_class():
    """A frame run the network calls class 4 inside word 1 ([1, 3]) is labelled 1 or 3: the
    transcript wins, and the fit says by how much the path is below the best class."""
    frames = _frames()
    lp = _posteriors(frames)
    lp[14:17] = _posteriors([4, 4, 4])       # inside the class-1 run of word 1
    segs, _words, fit = realign.force_align(lp, WORDS, _hp())
    lab = dataset.frame_labels(np.array(segs, np.float32), len(frames))
    assert set(lab[14:17].tolist()) <= {1, 3}
    assert fit > 0.0


def test_too_short_audio_and_empty_transcript_give_no_labels():
    assert realign.force_align(_posteriors([0, 1, 3]), WORDS, _hp()) is None
    assert realign.force_align(_posteriors(_frames()), [[], []], _hp()) is None
