"""ps_adapt.py (speaker-adapted PocketSphinx reference): the parts that are our code, without
sphinxtrain or pocketsphinx installed - the sendump -> mixture_weights conversion, bw's
transcript / dictionary / control inputs, reading bw's likelihoods, warp selection, speaker
groups and the one-line error when the Debian tools are missing.

Oracles: the sendump layout and quantisation of pocketsphinx's ptm_mgau.c read_sendump
(title, header strings, 0, #densities, #senones, then uint8 q[stream][density][senone] with
p = 1.0001 ** -(q << 10)); SphinxTrain's s3 file layout (s3 header, byte-order magic
0x11223344, dimensions, count, float32 data); a bw per-utterance line copied from a real run of
Debian's bw 1.0.8+5prealpha."""
import struct

import numpy as np
import pytest

import _model_path  # noqa: F401
import ps_adapt


def _sendump(q: np.ndarray) -> bytes:
    """q[stream][density][senone] in pocketsphinx's sendump layout."""
    def s(text: str) -> bytes:
        b = text.encode() + b"\0"
        return struct.pack("<i", len(b)) + b
    n_feat, n_dens, n_sen = q.shape
    return (s("BEGIN FILE FORMAT DESCRIPTION") + s("cluster_count 0")
            + s(f"feature_count {n_feat}") + struct.pack("<i", 0)
            + struct.pack("<ii", n_dens, n_sen) + q.astype(np.uint8).tobytes())


def test_sendump_gives_the_dequantised_mixture_weights_per_senone(tmp_path):
    # 2 streams, 3 densities, 4 senones; senone 1 stream 0: q = 0, 10, 159
    q = np.full((2, 3, 4), 7, np.uint8)
    q[0, :, 1] = [0, 10, 159]
    (tmp_path / "sendump").write_bytes(_sendump(q))
    mw = ps_adapt.read_sendump(tmp_path / "sendump")
    assert mw.shape == (4, 2, 3)                     # [senone][stream][density], as s3 mixw
    assert np.allclose(mw.sum(axis=2), 1.0)
    # q=10 vs q=0: 1.0001 ** -(10 * 1024) = exp(-1.02395) = 0.35918
    assert mw[1, 0, 1] / mw[1, 0, 0] == pytest.approx(0.35918, rel=1e-4)
    # q=159: 1.0001 ** -(159 * 1024) = exp(-16.2808) = 8.5e-8 of q=0
    assert mw[1, 0, 2] / mw[1, 0, 0] == pytest.approx(8.5e-8, rel=0.02)
    assert np.allclose(mw[0, 0], 1 / 3)              # equal q -> uniform


def test_s3_file_layout(tmp_path):
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    ps_adapt.write_s3(tmp_path / "mw", a)
    raw = (tmp_path / "mw").read_bytes()
    head, body = raw.split(b"endhdr\n", 1)
    assert head.startswith(b"s3\n") and b"version 1.0" in head
    assert struct.unpack_from("<I", body)[0] == 0x11223344
    assert struct.unpack_from("<4i", body, 4) == (2, 3, 4, 24)
    assert np.frombuffer(body, "<f4", 24, 20).tolist() == list(range(24))
    assert len(body) == 20 + 24 * 4


def test_bw_transcript_keeps_variants_and_inner_pauses_only():
    al = ["<sil>", "mark", "<sil>", "is", "to(2)", "<sil>", "<sil>"]
    assert ps_adapt.bw_transcript(al, "u1") == "<s> mark <sil> is to(2) </s> (u1)"


def test_dictionary_has_every_used_word_with_its_variant_and_no_filler():
    lex = {"to": "T UW", "to(2)": "T IH", "is": "IH Z", "mark": "M AA R K", "zoo": "Z UW"}
    lines = ps_adapt.dictionary_for(["<s> mark <sil> is to(2) </s> (u1)", "<s> to </s> (u2)"],
                                    lex, {"<s>", "</s>", "<sil>"})
    assert lines == ["is IH Z", "mark M AA R K", "to T UW", "to(2) T IH"]
    with pytest.raises(KeyError, match="qux"):
        ps_adapt.dictionary_for(["<s> qux </s> (u3)"], lex, {"<s>", "</s>"})


BW_LOG = """\
INFO: main.c(1033): Reestimation: Baum-Welch
utt>     0                 000030012  335    0    92 23  9 8 2.027916e-102 -1.498963e+02 \
-5.021525e+04 utt 0.015x 1.313e upd 0.015x 1.313e fwd 0.007x 1.348e bwd 0.008x 1.297e
utt>     1                 000030024  293    0    52 24  8 8 1.474261e-102 -1.501587e+02 \
-4.399650e+04
overall> stat 628 (-) -1.500e+02 -9.421175e+04 0.015x 1.300e
"""


def test_bw_likelihood_is_the_sum_of_the_utterance_totals():
    total, frames = ps_adapt.parse_bw_loglik(BW_LOG)
    assert frames == 335 + 293
    assert total == pytest.approx(-5.021525e4 - 4.399650e4)


def test_warp_of_the_highest_likelihood_and_ties_go_to_no_warp():
    assert ps_adapt.choose_warp({0.92: -101.0, 1.0: -100.0, 1.12: -99.5, 1.2: -99.9}) == 1.12
    assert ps_adapt.choose_warp({0.9: -5.0, 1.0: -5.0, 1.1: -5.0}) == 1.0
    assert ps_adapt.choose_warp({1.16: -5.0, 0.88: -5.0}) == 0.88
    with pytest.raises(ValueError):
        ps_adapt.choose_warp({})


def test_warp_grid_includes_its_end():
    assert ps_adapt.parse_warps("0.88:1.24:0.04") == [0.88, 0.92, 0.96, 1.0, 1.04, 1.08, 1.12,
                                                     1.16, 1.2, 1.24]
    assert ps_adapt.parse_warps("1,1.1") == [1.0, 1.1]


def test_groups_by_speaker_and_by_size():
    items = [{"id": k, "speaker": "a" if k < 5 else "b"} for k in range(7)]
    g = ps_adapt.groups(items, None)
    assert [len(v) for v in g.values()] == [5, 2]
    g = ps_adapt.groups(items, 2)
    assert {k: [x["id"] for x in v] for k, v in g.items()} == {
        "a#0": [0, 1], "a#1": [2, 3], "a#2": [4], "b#0": [5, 6]}


def test_missing_debian_tools_give_a_one_line_error(tmp_path, monkeypatch, capsys):
    (tmp_path / "m.jsonl").write_text('{"id": "x", "speaker": "s", "wav": "x.wav", '
                                      '"text": "a", "words": [[0, 1]]}\n')
    monkeypatch.setattr(ps_adapt, "TOOL_DIRS", ())
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("sys.argv", ["ps_adapt.py", str(tmp_path / "m.jsonl"),
                                     str(tmp_path / "o.jsonl"), "--work", str(tmp_path / "w"),
                                     "--mllr"])
    assert ps_adapt.main() == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not found" in err[0] and "apt-get install sphinxtrain" in err[0]
    assert not (tmp_path / "o.jsonl").exists()


def test_work_folder_keeps_logs_and_transforms_but_not_features(tmp_path):
    for sub in ("raw", "mfc_1", "mfc_1.4", "acc_adapt", "acc_w1", "map"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "f").write_bytes(b"x")
    for f in ("bw_adapt.log", "mllr_matrix", "lsn", "dict", "ctl"):
        (tmp_path / f).write_text("x")
    ps_adapt.clean_work(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "bw_adapt.log", "ctl", "dict", "lsn", "map", "mllr_matrix"]


def _sphinx_piecewise_unwarped_to_warped(f: float, a: float, brk: float, nyq: float) -> float:
    """sphinxbase fe_warp_piecewise_linear_unwarped_to_warped, transcribed: a f below the
    breakpoint, else the line final_piece[0] f + final_piece[1] through (brk, a brk), (nyq, nyq)."""
    if f < brk:
        return a * f
    p0 = (nyq - a * brk) / (nyq - brk)
    p1 = nyq * brk * (a - 1.0) / (nyq - brk)
    return p0 * f + p1


@pytest.mark.parametrize("warp", [0.82, 0.88, 1.0, 1.15, 1.3, 1.58])
def test_piecewise_band_edges_are_what_sphinx_warps_onto_the_model_band(warp):
    lo, hi = ps_adapt.band_edges(130.0, 6800.0, warp)
    back = [_sphinx_piecewise_unwarped_to_warped(f, 1.0 / warp, 6800.0, 8000.0) for f in (lo, hi)]
    assert back == pytest.approx([130.0, 6800.0], abs=1e-6)
    assert lo < hi <= 8000.0


def test_piecewise_band_edges_by_hand():
    # below the breakpoint the edge is just scaled: 130 Hz x 1.15
    assert ps_adapt.band_edges(130.0, 6800.0, 1.15)[0] == pytest.approx(149.5)
    # A = 1.4: a F = 4857.1 < 6800, so 6800 lies on the line from (6800, 4857.1) to (8000, 8000)
    # of slope 3142.9 / 1200 = 2.6190: f = 6800 + (6800 - 4857.1) / 2.6190 = 7541.8
    assert ps_adapt.band_edges(130.0, 6800.0, 1.4)[1] == pytest.approx(7541.8, abs=0.1)
    assert ps_adapt.band_edges(130.0, 6800.0, 1.0) == (130.0, 6800.0)


def _model(tmp_path):
    hmm = tmp_path / "hmm"
    hmm.mkdir()
    (hmm / "feat.params").write_text("-lowerf 130\n-upperf 6800\n-nfilt 25\n-feat 1s_c_d_dd\n")
    (hmm / "means").write_bytes(b"m")
    return hmm


def test_warped_model_moves_the_band_and_keeps_the_rest(tmp_path):
    hmm = _model(tmp_path)
    assert ps_adapt.warped_model(hmm, tmp_path / "w1", 1.0, "piecewise_linear") == hmm
    d = ps_adapt.warped_model(hmm, tmp_path / "w", 1.4, "piecewise_linear")
    assert (d / "means").is_symlink() and (d / "means").read_bytes() == b"m"
    opts = ps_adapt.feat_params(d)
    got = dict(zip(opts[::2], opts[1::2]))
    assert got["-warp_type"] == "piecewise_linear"
    assert got["-warp_params"] == "0.714286 6800"           # a = 1 / 1.4, one argument
    assert float(got["-lowerf"]) == pytest.approx(182.0)
    assert float(got["-upperf"]) == pytest.approx(7541.8, abs=0.1)
    assert got["-nfilt"] == "25" and "-feat" not in got     # feature options stay out of sphinx_fe
    assert "-feat 1s_c_d_dd" in (d / "feat.params").read_text()


def test_inverse_linear_warped_model_keeps_the_band(tmp_path):
    d = ps_adapt.warped_model(_model(tmp_path), tmp_path / "w", 1.2, "inverse_linear")
    got = dict(zip(*[iter(ps_adapt.feat_params(d))] * 2))
    assert (got["-lowerf"], got["-upperf"]) == ("130", "6800")
    assert (got["-warp_type"], got["-warp_params"]) == ("inverse_linear", "1.2")
    with pytest.raises(ValueError):
        ps_adapt.warped_model(tmp_path / "hmm", tmp_path / "v", 1.2, "bilinear")
