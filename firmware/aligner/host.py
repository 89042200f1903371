"""ctypes binding of the C aligner library (host build), for bit-exact checks against the NumPy
reference in firmware/model/ and for running the aligner on a PC.

The library is (re)built with `make host` on first use. Without `model_c` it is built against
firmware/model/export/model_data.c when that exists, else against the random test model in
testdata/. All entry points are not thread safe (the C side uses static buffers, by design).
"""
from __future__ import annotations

import ctypes as C
import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ALDIR = Path(__file__).resolve().parent
BUILD = ALDIR / "build"


class _Layer(C.Structure):
    _fields_ = [("k", C.c_uint8), ("dil", C.c_uint8), ("relu", C.c_uint8),
                ("cin", C.c_uint16), ("cout", C.c_uint16),
                ("w", C.POINTER(C.c_int8)), ("bias", C.POINTER(C.c_int32)),
                ("mult", C.POINTER(C.c_int32)), ("shift", C.POINTER(C.c_int8))]


class _Model(C.Structure):
    _fields_ = [("n_mels", C.c_uint16), ("n_classes", C.c_uint16), ("n_layers", C.c_uint16),
                ("sil_class", C.c_uint16), ("layers", C.POINTER(_Layer)),
                ("mel_first", C.POINTER(C.c_uint16)), ("mel_count", C.POINTER(C.c_uint16)),
                ("mel_weights", C.POINTER(C.c_float)), ("feat_mean", C.POINTER(C.c_float)),
                ("feat_inv_std", C.POINTER(C.c_float)), ("in_scale", C.c_float),
                ("out_scale", C.c_float), ("log_prior", C.POINTER(C.c_float)),
                ("prior_weight", C.c_float), ("hmm_states", C.POINTER(C.c_uint8)),
                ("hmm_self_logp", C.POINTER(C.c_float)), ("hmm_next_logp", C.POINTER(C.c_float)),
                ("frame_offset_s", C.c_float), ("cmn_prior", C.c_float),
                ("cmn_frames", C.c_float), ("cmn_gate", C.c_float), ("cmn_rise", C.c_float),
                ("cmn_level_frames", C.c_uint32), ("cmn_level_floor", C.c_float),
                ("cmn_level_b0", C.c_uint16), ("cmn_level_b1", C.c_uint16),
                ("cmn_level_recheck", C.c_uint32), ("cmn_level_lift", C.c_float)]


class _Result(C.Structure):
    _fields_ = [("word", C.c_int32), ("nf", C.c_int32), ("start_ms", C.c_int32),
                ("end_ms", C.c_int32), ("conf", C.c_int32), ("start_frame", C.c_int32),
                ("end_frame", C.c_int32), ("src", C.c_int32), ("revised", C.c_int32)]


SRC_PATH, SRC_SECOND, SRC_FILLED = 0, 1, 2   # = AL_SRC_* in viterbi.h


@dataclass(frozen=True)
class WordResult:
    """One answer of the contract's results: `A i start end conf` or `A i NF` (`R ...`: a
    revision of an earlier answer)."""
    word: int
    nf: bool
    start_ms: int | None = None
    end_ms: int | None = None
    confidence: int | None = None      # permille
    start_frame: int | None = None     # boundary before this frame
    end_frame: int | None = None
    source: int = 0                    # SRC_PATH, SRC_SECOND or SRC_FILLED (viterbi.h AL_SRC_*)
    revised: bool = False              # an `R` line: a later pass moved the word, this answer
                                       # replaced the one before (CONTRACT.md)

    def line(self) -> str:
        """The contract's line that carries this answer (R: a revision)."""
        tag = "R" if self.revised else "A"
        if self.nf:
            return f"{tag} {self.word} NF"
        return f"{tag} {self.word} {self.start_ms} {self.end_ms} {self.confidence}"


@dataclass(frozen=True)
class ViterbiStats:
    max_band: int       # widest active band (states)
    max_lag: int        # largest frame - last committed frame
    n_converged: int    # commits by traceback convergence
    n_forced: int       # forced commits at the lag limit
    n_band_cut: int     # frames where the band hit its maximum width
    n_overrun: int      # frames processed before the transcript covered them
    n_frames: int
    n_reanchor: int = 0  # confidence collapses answered by re-anchoring the band
    n_filled: int = 0    # words jumped over by the path, given interpolated times (conf 0)
    n_second: int = 0    # words placed by the second pass between anchors
    n_back: int = 0      # re-anchors behind the path (locate found it had run ahead)
    max_block_work: int = 0  # most work units (state x frame cells) in one block (README.md
    max_backlog: int = 0     # "Block budget"); most frames waiting at a block's start
    co_stack_used: int = 0   # bytes of the search's own stack used (of AL_VIT_CO_STACK)
    n_revised: int = 0       # answers sent again with another time (R lines)
    n_answered: int = 0      # first answers of placed words (A lines with a time)
    sum_answer_lag: int = 0  # frames from those words' ends to their answers, summed
    max_answer_lag: int = 0  # the largest (frames arrived when it was sent - its end frame)


N_STATS = 18    # ViterbiStats fields = what alh_stats / alh_align_logits write

_libs: dict[tuple[str, bool], C.CDLL] = {}


TEST_MODEL = Path(__file__).resolve().parent / "testdata" / "model_data.c"
REAL_MODEL = Path(__file__).resolve().parent.parent / "model" / "export" / "model_data.c"
_default_model: Path | None = None


def set_default_model(model_c: Path | None) -> None:
    """The model used when a call passes no ``model_c`` (tests pin the random test model)."""
    global _default_model
    _default_model = Path(model_c) if model_c is not None else None


def _resolve(model_c: Path | None) -> Path:
    """An explicit model, else the pinned default, else the trained model when exported, else
    the test model. Always a concrete path, so each model gets its own library file."""
    if model_c is not None:
        return Path(model_c)
    if _default_model is not None:
        return _default_model
    return REAL_MODEL if REAL_MODEL.exists() else TEST_MODEL


def _lib_path(model_c: Path | None, dsp: bool) -> Path:
    suffix = "_dsp" if dsp else ""
    if model_c is None:
        return BUILD / f"libaligner_host{suffix}.so"
    h = hashlib.sha1(str(Path(model_c).resolve()).encode()).hexdigest()[:10]
    return BUILD / f"libaligner_{h}{suffix}.so"


def build(model_c: Path | None = None, dsp: bool = False) -> Path:
    """Build (if stale) and return the shared library path. dsp=True builds the DSP code path
    with C models of SMLAD/SXTB16 (AL_EMULATE_DSP) instead of the plain-C kernels."""
    model_c = _resolve(model_c)
    out = _lib_path(model_c, dsp)
    cmd = ["make", "-s", "-C", str(ALDIR), "host-dsp" if dsp else "host",
           ("LIB_DSP=" if dsp else "LIB=") + str(out)]
    if model_c is not None:
        cmd.append(f"MODEL_C={Path(model_c).resolve()}")
    subprocess.run(cmd, check=True)
    return out


def load(model_c: Path | None = None, dsp: bool = False) -> C.CDLL:
    model_c = _resolve(model_c)
    key = (str(Path(model_c).resolve()), dsp)
    if key in _libs:
        return _libs[key]
    lib = C.CDLL(str(build(model_c, dsp)))
    P = C.c_void_p
    i32 = C.c_int
    lib.alh_model.restype = C.POINTER(_Model)
    lib.alh_init.restype = i32
    lib.alh_rfft512.argtypes = [P]
    lib.alh_sizes.argtypes = [P]
    lib.alh_features.argtypes = [P, i32, i32, P, P, i32]
    lib.alh_features.restype = i32
    lib.alh_frame.argtypes = [P, P, P, P]
    lib.alh_layer_outputs.argtypes = [P, i32, i32, P, i32]
    lib.alh_layer_outputs.restype = i32
    lib.alh_dot.argtypes = [P, P, i32, C.c_int32]
    lib.alh_dot.restype = C.c_int32
    lib.alh_set_params.argtypes = [C.c_float, C.c_int32]
    lib.alh_stats.argtypes = [P]
    lib.alh_align.argtypes = [P, i32, i32, i32, P, P, i32, P, i32]
    lib.alh_align.restype = i32
    lib.alh_align_logits.argtypes = [P, i32, i32, P, P, i32, P, i32, P]
    lib.alh_align_logits.restype = i32
    lib.alh_set_budget.argtypes = [C.c_uint32, C.c_uint32]
    lib.alh_protocol.argtypes = [C.c_char_p, i32, P, i32, i32, i32, P, i32]
    lib.alh_protocol.restype = i32
    lib.alh_answers.argtypes = [P, i32]
    lib.alh_answers.restype = i32
    _libs[key] = lib
    return lib


def _ptr(a: np.ndarray) -> int:
    return a.ctypes.data


def model_params(model_c: Path | None = None) -> dict:
    """The compiled-in model as NumPy arrays (copies): what the NumPy reference needs."""
    m = load(model_c).alh_model().contents
    arr = np.ctypeslib.as_array
    layers = []
    for i in range(m.n_layers):
        L = m.layers[i]
        layers.append(dict(k=L.k, dil=L.dil, relu=L.relu, cin=L.cin, cout=L.cout,
                           w=arr(L.w, (L.cout * L.k * L.cin,)).reshape(L.cout, L.k, L.cin).copy(),
                           bias=arr(L.bias, (L.cout,)).copy(), mult=arr(L.mult, (L.cout,)).copy(),
                           shift=arr(L.shift, (L.cout,)).copy()))
    first = arr(m.mel_first, (m.n_mels,)).copy()
    count = arr(m.mel_count, (m.n_mels,)).copy()
    nc = m.n_classes
    return dict(n_mels=m.n_mels, n_classes=nc, sil_class=m.sil_class, layers=layers,
                mel_first=first, mel_count=count,
                mel_weights=arr(m.mel_weights, (int(count.sum()),)).copy(),
                feat_mean=arr(m.feat_mean, (m.n_mels,)).copy(),
                feat_inv_std=arr(m.feat_inv_std, (m.n_mels,)).copy(),
                in_scale=np.float32(m.in_scale), out_scale=np.float32(m.out_scale),
                log_prior=arr(m.log_prior, (nc,)).copy(), prior_weight=np.float32(m.prior_weight),
                hmm_states=arr(m.hmm_states, (nc,)).copy(),
                hmm_self_logp=arr(m.hmm_self_logp, (nc,)).copy(),
                hmm_next_logp=arr(m.hmm_next_logp, (nc,)).copy(),
                frame_offset_s=float(m.frame_offset_s), cmn_prior=float(m.cmn_prior),
                cmn_frames=float(m.cmn_frames), cmn_gate=float(m.cmn_gate),
                cmn_rise=float(m.cmn_rise), cmn_level_frames=int(m.cmn_level_frames),
                cmn_level_floor=float(m.cmn_level_floor), cmn_level_b0=int(m.cmn_level_b0),
                cmn_level_b1=int(m.cmn_level_b1), cmn_level_recheck=int(m.cmn_level_recheck),
                cmn_level_lift=float(m.cmn_level_lift))


def sizes(model_c: Path | None = None, dsp: bool = False) -> dict:
    out = np.zeros(10, np.uint32)
    load(model_c, dsp).alh_sizes(_ptr(out))
    return dict(frontend=int(out[0]), nnet=int(out[1]), viterbi=int(out[2]), protocol=int(out[3]),
                band=int(out[4]), lag=int(out[5]), dsp_layout=bool(out[6]),
                coro=int(out[7]),   # the search's own stack and switch state, in viterbi
                block_cells=int(out[8]),   # AL_VIT_BLOCK_CELLS (0: no budget on this build)
                pass2_states=int(out[9]))  # AL_VIT_PASS2_STATES


def rfft512(x: np.ndarray, model_c: Path | None = None) -> np.ndarray:
    """The C real FFT: 512 float32 in, 257 complex64 out (numpy.fft.rfft convention)."""
    buf = np.zeros(514, np.float32)
    buf[:512] = np.asarray(x, np.float32)
    load(model_c).alh_rfft512(_ptr(buf))
    return (buf[0::2] + 1j * buf[1::2]).astype(np.complex64)


def features(samples: np.ndarray, model_c: Path | None = None, block: int = 0,
             return_float: bool = False):
    """int8 features [T, n_mels] of int16 audio, pushed in blocks of `block` samples (0: one
    block). With return_float, also the normalised float32 features g before quantisation."""
    s = np.ascontiguousarray(samples, np.int16)
    lib = load(model_c)
    nm = lib.alh_model().contents.n_mels
    T = max(0, (len(s) - 400) // 160 + 1)
    q = np.zeros((max(T, 1), nm), np.int8)
    g = np.zeros((max(T, 1), nm), np.float32)
    n = lib.alh_features(_ptr(s), len(s), block, _ptr(q), _ptr(g) if return_float else None, T)
    assert n == T, (n, T)
    return (q[:T], g[:T]) if return_float else q[:T]


def frame(y400: np.ndarray, model_c: Path | None = None):
    """One frame from 400 pre-emphasised float32 samples: (q int8, g float32, f float32)."""
    lib = load(model_c)
    nm = lib.alh_model().contents.n_mels
    y = np.ascontiguousarray(y400, np.float32)
    q = np.zeros(nm, np.int8)
    g = np.zeros(nm, np.float32)
    f = np.zeros(nm, np.float32)
    lib.alh_frame(_ptr(y), _ptr(q), _ptr(g), _ptr(f))
    return q, g, f


def logits(feats: np.ndarray, model_c: Path | None = None, layer: int = -1,
           dsp: bool = False) -> np.ndarray:
    """Streaming int8 network on int8 features [T, n_mels]: int8 outputs [T, cout] of `layer`
    (-1: the last layer, i.e. the logits)."""
    f = np.ascontiguousarray(feats, np.int8)
    lib = load(model_c, dsp)
    m = lib.alh_model().contents
    li = m.n_layers - 1 if layer < 0 else layer
    cout = m.layers[li].cout
    T = f.shape[0]
    out = np.zeros((max(T, 1), cout), np.int8)
    n = lib.alh_layer_outputs(_ptr(f), T, li, _ptr(out), T)
    assert n == T, (n, T)
    return out[:T]


def dot(w: np.ndarray, x: np.ndarray, acc: int = 0, dsp: bool = False) -> int:
    """The int8 dot-product kernel alone (int32 result, wrap-around)."""
    w = np.ascontiguousarray(w, np.int8)
    x = np.ascontiguousarray(x, np.int8)
    return int(load(None, dsp).alh_dot(_ptr(w), _ptr(x), len(w), acc))


def _transcript(words_phone_ids: list[list[int]]):
    lens = np.array([len(w) for w in words_phone_ids] or [0], np.uint16)
    ids = np.array([i for w in words_phone_ids for i in w] or [0], np.uint16)
    return ids, lens


def _results(res, n: int) -> list[WordResult]:
    out = []
    for r in res[:n]:
        if r.nf:
            out.append(WordResult(int(r.word), True, revised=bool(r.revised)))
        else:
            out.append(WordResult(int(r.word), False, int(r.start_ms), int(r.end_ms), int(r.conf),
                                  int(r.start_frame), int(r.end_frame), int(r.src),
                                  bool(r.revised)))
    return out


DEFAULT_BEAM = 200.0       # = AL_VIT_BEAM in al_config.h (what the firmware runs)
DEFAULT_NF_MIN_CONF = 0    # = AL_NF_MIN_CONF


def _set_params(lib, beam: float | None, nf_min_conf: int | None) -> None:
    lib.alh_set_params(DEFAULT_BEAM if beam is None else beam,
                       DEFAULT_NF_MIN_CONF if nf_min_conf is None else nf_min_conf)


def align(samples_int16: np.ndarray, words_phone_ids: list[list[int]],
          model_c: Path | None = None, *, block: int = 1600, pre: int = 0,
          beam: float | None = None, nf_min_conf: int | None = None,
          dsp: bool = False) -> list[WordResult]:
    """Full pipeline on int16 audio. words_phone_ids: phone class ids per word (no silence).
    block: samples per al_push_audio call; pre: samples pushed before the transcript."""
    s = np.ascontiguousarray(samples_int16, np.int16)
    lib = load(model_c, dsp)
    _set_params(lib, beam, nf_min_conf)
    ids, lens = _transcript(words_phone_ids)
    res = (_Result * max(1, len(words_phone_ids)))()
    n = lib.alh_align(_ptr(s), len(s), block, pre, _ptr(ids), _ptr(lens), len(words_phone_ids),
                      C.addressof(res), len(res))
    assert n == len(words_phone_ids), (n, len(words_phone_ids))
    return _results(res, n)


def last_stats(model_c: Path | None = None) -> ViterbiStats:
    """Statistics of the last align() call."""
    out = np.zeros(N_STATS, np.uint32)
    load(model_c).alh_stats(_ptr(out))
    return ViterbiStats(*[int(v) for v in out])


def align_logits(logits_int8: np.ndarray, words_phone_ids: list[list[int]],
                 model_c: Path | None = None, *, pre: int = 0, beam: float | None = None,
                 nf_min_conf: int | None = None, budget: int | None = None,
                 block_frames: int = 2) -> tuple[list[WordResult], ViterbiStats]:
    """The Viterbi stage alone on int8 logits [T, n_classes] (e.g. synthetic posteriors).
    budget: work units per block of block_frames frames (None: the firmware's, AL_VIT_BLOCK_CELLS
    per 20 ms; 0: every frame searched as it comes; README.md "Block budget")."""
    z = np.ascontiguousarray(logits_int8, np.int8)
    lib = load(model_c)
    _set_params(lib, beam, nf_min_conf)
    lib.alh_set_budget(sizes(model_c)["block_cells"] if budget is None else budget, block_frames)
    ids, lens = _transcript(words_phone_ids)
    res = (_Result * max(1, len(words_phone_ids)))()
    st = np.zeros(N_STATS, np.uint32)
    n = lib.alh_align_logits(_ptr(z), z.shape[0], pre, _ptr(ids), _ptr(lens),
                             len(words_phone_ids), C.addressof(res), len(res), _ptr(st))
    assert n == len(words_phone_ids), (n, len(words_phone_ids))
    return _results(res, n), ViterbiStats(*[int(v) for v in st])


def answers(model_c: Path | None = None) -> list[WordResult]:
    """Every answer of the last align() / align_logits() call in the order the library sent
    them: one per word (the A lines), and the revisions (R lines, ``revised``) where a later
    pass moved a word (CONTRACT.md). align() returns each word's last answer."""
    lib = load(model_c)
    n = lib.alh_answers(None, 0)
    if n < 0:
        raise RuntimeError("more answers than the host library's log keeps (ALH_LOG_MAX)")
    buf = (_Result * max(1, n))()
    lib.alh_answers(C.addressof(buf), n)
    return _results(buf, n)


def protocol_session(text: str, samples_int16: np.ndarray, model_c: Path | None = None, *,
                     block: int = 1600, pre: int = 0, beam: float | None = None,
                     nf_min_conf: int | None = None) -> str:
    """Feed host->firmware protocol lines byte by byte (after `pre` samples), then the audio;
    returns the firmware->host lines (A ... / D ...)."""
    s = np.ascontiguousarray(samples_int16, np.int16)
    lib = load(model_c)
    _set_params(lib, beam, nf_min_conf)
    raw = text.encode("ascii")
    # one A line per word, an R line each time a later pass moves a word answered before (a
    # word can be revised more than once): grow the buffer until the lines fit
    cap = 64 * (2 * text.count("\n") + 4) + 4096
    while True:
        out = C.create_string_buffer(cap)
        n = lib.alh_protocol(raw, len(raw), _ptr(s), len(s), block, pre, C.addressof(out), cap)
        if n < cap:
            return out.raw[:n].decode("ascii")
        cap *= 4
