"""NumPy forced aligner: a DEVELOPMENT AID (the firmware uses the C aligner in firmware/aligner/).

Graph: [sil] w1 [sil] w2 ... wN [sil], every sil optional; each phone is a left-to-right chain
of hmm_states[c] states with ln P(stay)/ln P(advance) per state.  Emission of class c at frame t:
logpost[t, c] - prior_weight * log_prior[c].  Full Viterbi (memory T x S), no pruning.
Words without phones are answered NF (None).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NEG = -1e30


@dataclass
class HmmParams:
    n_states: np.ndarray   # [C] uint8
    self_logp: np.ndarray  # [C]
    next_logp: np.ndarray  # [C]
    log_prior: np.ndarray  # [C]
    prior_weight: float
    frame_offset_s: float
    sil_class: int = 0

    @classmethod
    def of(cls, model) -> HmmParams:
        """The HMM of an exported model (reference.Model), with its prior weight."""
        return cls(model.hmm_states, model.hmm_self_logp, model.hmm_next_logp, model.log_prior,
                   model.prior_weight, model.frame_offset_s, model.sil_class)


@dataclass
class WordResult:
    start: float | None
    end: float | None
    score: float = 0.0


def build_graph(word_phones: list[list[int]], hp: HmmParams
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """States of the chain: class per state, word index per state (-1 for sil), optional flag,
    and the phone instance each state belongs to (0, 1, 2, ... along the chain: the sils and
    every phone of every word count, so a path's phone segments are where it changes)."""
    cls, word, opt, inst = [hp.sil_class], [-1], [True], [0]
    for wi, phs in enumerate(word_phones):
        if not phs:
            continue
        for c in phs:
            k = inst[-1] + 1
            for _ in range(int(hp.n_states[c])):
                cls.append(c)
                word.append(wi)
                opt.append(False)
                inst.append(k)
        cls.append(hp.sil_class)
        word.append(-1)
        opt.append(True)
        inst.append(inst[-1] + 1)
    return np.array(cls), np.array(word), np.array(opt), np.array(inst)


def viterbi(emis: np.ndarray, cls: np.ndarray, opt: np.ndarray, hp: HmmParams) -> np.ndarray:
    """Best state sequence [T] through the chain (self, next, skip-over-optional-sil arcs)."""
    T, S = emis.shape[0], len(cls)
    stay = hp.self_logp[cls].astype(np.float64)
    adv = hp.next_logp[cls].astype(np.float64)
    e = emis[:, cls].astype(np.float64)
    bp = np.zeros((T, S), np.int8)
    score = np.full(S, NEG)
    score[0] = e[0, 0]
    if S > 1:
        score[1] = e[0, 1]
    skip_ok = np.zeros(S, bool)
    skip_ok[2:] = opt[1:-1]  # s-2 -> s allowed when s-1 is an optional sil
    for t in range(1, T):
        c_self = score + stay
        c_next = np.full(S, NEG)
        c_next[1:] = score[:-1] + adv[:-1]
        c_skip = np.full(S, NEG)
        c_skip[2:] = np.where(skip_ok[2:], score[:-2] + adv[:-2], NEG)
        stack = np.stack([c_self, c_next, c_skip])
        arg = np.argmax(stack, axis=0)
        score = stack[arg, np.arange(S)] + e[t]
        bp[t] = arg
    end = S - 1 if score[S - 1] >= score[S - 2] else S - 2
    path = np.empty(T, np.int64)
    s = end
    for t in range(T - 1, -1, -1):
        path[t] = s
        s -= int(bp[t, s])
    return path


def align(logpost: np.ndarray, word_phones: list[list[int]], hp: HmmParams) -> list[WordResult]:
    """logpost [T, C] per-frame log posteriors -> start/end seconds per word (None = NF)."""
    res = [WordResult(None, None) for _ in word_phones]
    if not any(word_phones):
        return res
    cls, word, opt, _ = build_graph(word_phones, hp)
    need = int((~opt).sum())
    T = logpost.shape[0]
    if T < need:  # too short: cannot align
        return res
    emis = logpost - hp.prior_weight * hp.log_prior[None, :]
    path = viterbi(emis, cls, opt, hp)
    wpath = word[path]
    for wi in range(len(word_phones)):
        idx = np.nonzero(wpath == wi)[0]
        if len(idx):
            res[wi] = WordResult(idx[0] * 0.010 + hp.frame_offset_s,
                                 (idx[-1] + 1) * 0.010 + hp.frame_offset_s,
                                 float(np.mean(np.max(logpost[idx], axis=1) <= logpost[idx, cls[path[idx]]] + 1e-6)))
    return res
