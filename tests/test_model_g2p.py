import _model_path  # noqa: F401
import g2p
import phones


def names(text, voice="en-us"):
    cls = phones.classes()
    return [[cls[c] for c in w.phones] for w in g2p.transcript_phones(text, voice)]


def test_simple_words():
    assert names("cat") == [["K", "AE", "T"]]
    assert names("see") == [["S", "IY"]]
    assert names("fish") == [["F", "IH", "SH"]]
    assert names("hello world") == [["HH", "AH", "L", "OW"], ["W", "ER", "L", "D"]]


def test_no_silence_ids_and_nf_for_unpronounceable():
    res = g2p.transcript_phones("the \u65e5\u672c cat 42")
    assert [w.token for w in res] == ["the", "\u65e5\u672c", "cat", "42"]
    assert res[1].phones == []
    assert all(res[i].phones for i in (0, 2, 3))
    assert all(c != phones.SIL for w in res for c in w.phones)


def test_merged_words_are_split():
    # eSpeak pronounces "of the" as one word; both words must still get phones
    res = g2p.transcript_phones("think of the day")
    assert all(w.phones for w in res)


def test_inventory():
    cls = phones.classes()
    assert cls[0] == "sil" and 38 <= len(cls) <= 48
    assert phones.map_mnemonic("t#") == "D" and phones.map_mnemonic("_:") == "sil"


def test_stress_marks_do_not_change_the_phone():
    # eSpeak NG 1.52 (Debian 13) reports "'I", ",aI", "%@" where 1.51 (Debian 12) reports
    # "I", "aI", "@": the stress phonemes of espeak-ng's phsource/phonemes (% %% , ,, ' '' '! =)
    # in front of the vowel. Same vowel, same class, whichever eSpeak NG is installed.
    for stress in ("'", "''", "'!", ",", ",,", "%", "%%", "="):
        for vowel in ("I", "aI", "@", "V", "0"):
            assert phones.map_mnemonic(stress + vowel) == phones.map_mnemonic(vowel) is not None
