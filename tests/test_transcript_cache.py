"""The transcript's phones kept in the on-disk cache (simulator/apps/aligner.py,
_transcript_phones): a later run gets exactly what eSpeak NG and the model's front end
(firmware/model/g2p.py, called directly here as the oracle) give, without starting eSpeak NG;
a different text, voice, front end or eSpeak NG data file is never served another's phones."""
from __future__ import annotations

import shutil

import pytest

from simulator.apps import aligner as al

pytestmark = pytest.mark.skipif(not al.g2p_available(), reason="eSpeak NG not available")

TEXT = "The 42 quick brown foxes didn't jump over Dr. Smith's lazy dogs."


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("H7SIM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("H7SIM_CACHE", raising=False)
    return tmp_path / "cache"


def _oracle(text: str, voice: str = "en-us") -> list[tuple[str, list[str], list[int]]]:
    return [(w.token, list(w.spoken), list(w.phones))
            for w in al._g2p().transcript_phones(text, voice=voice)]


def _words(t: al.Transcript) -> list[tuple[str, list[str], list[int]]]:
    return [(w.text, w.spoken, w.phones) for w in t.words]


def test_second_preparation_comes_from_the_cache_and_equals_g2p(cache_dir, monkeypatch):
    first = al.prepare_transcript(TEXT)
    assert list((cache_dir / "transcript").glob("*.pickle"))
    monkeypatch.setattr(al, "_g2p", lambda: pytest.fail("eSpeak NG ran on a cached text"))
    second = al.prepare_transcript(TEXT)
    monkeypatch.undo()
    expected = _oracle(TEXT)
    assert _words(first) == expected and _words(second) == expected
    assert [w.index for w in second.words] == list(range(len(expected)))
    assert second.warnings == first.warnings == []


def test_another_text_or_voice_is_not_served_the_cached_phones(cache_dir):
    al.prepare_transcript("think of the day")
    other = al.prepare_transcript("sink of the bay")
    assert _words(other) == _oracle("sink of the bay")
    assert _words(other) != _words(al.prepare_transcript("think of the day"))
    british = al.prepare_transcript("think of the day", voice="en")     # "of": /@v/, not /Vv/
    assert _words(british) == _oracle("think of the day", voice="en")
    assert _words(british) != _words(al.prepare_transcript("think of the day"))
    assert len(list((cache_dir / "transcript").glob("*.pickle"))) == 3


def test_a_changed_front_end_file_changes_the_key(cache_dir, tmp_path, monkeypatch):
    model = tmp_path / "model"
    model.mkdir()
    for name in al.FRONT_END:
        shutil.copy(al.MODEL_DIR / name, model / name)
    monkeypatch.setattr(al, "MODEL_DIR", model)
    before = al._front_end_identity()
    (model / "phone_map.json").write_text((model / "phone_map.json").read_text() + "\n")
    assert before is not None and al._front_end_identity() != before


def test_no_cache_no_entry(tmp_path, monkeypatch):
    monkeypatch.setenv("H7SIM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("H7SIM_CACHE", "0")
    t = al.prepare_transcript(TEXT)
    assert _words(t) == _oracle(TEXT) and not (tmp_path / "cache").exists()


def test_an_edited_espeak_data_file_changes_the_key(cache_dir, tmp_path, monkeypatch):
    """eSpeak NG reads its dictionaries and voices from its data directory (ESPEAK_DATA_PATH,
    else its built-in path): phones cached before a dictionary changed must not be served
    after, although the library's version string stays the same."""
    import ctypes

    lib = ctypes.CDLL("libespeak-ng.so.1")
    lib.espeak_ng_InitializePath(None)
    lib.espeak_Info.restype = ctypes.c_char_p
    lib.espeak_Info.argtypes = [ctypes.POINTER(ctypes.c_char_p)]
    path = ctypes.c_char_p()
    lib.espeak_Info(ctypes.byref(path))
    data = tmp_path / "espeak" / "espeak-ng-data"
    shutil.copytree(path.value.decode(), data)
    monkeypatch.setenv("ESPEAK_DATA_PATH", str(data.parent))
    before = al._front_end_identity()
    assert before is not None and before == al._front_end_identity()
    with open(data / "en_dict", "ab") as f:
        f.write(b"\0")
    assert al._front_end_identity() != before
