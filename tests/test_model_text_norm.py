import pytest

import _model_path  # noqa: F401
from text_norm import cardinal, normalise, normalise_token, tokenize


@pytest.mark.parametrize("tok,words", [
    ("42", "forty two"), ("0", "zero"), ("1,200", "one thousand two hundred"),
    ("3.5", "three point five"), ("21st", "twenty first"), ("2nd", "second"),
    ("1984", "nineteen eighty four"), ("2007", "two thousand seven"), ("1900", "nineteen hundred"),
    ("3:05", "three oh five"), ("$5.50", "five dollars and fifty cents"), ("$1", "one dollar"),
    ("12%", "twelve percent"), ("-7", "minus seven"), ("Hello,", "hello"), ("DON'T", "don't"),
    ("John\u2019s", "john's"), ("rock-n-roll", "rock n roll"), ("caf\u00e9", "cafe"),
    ("Dr.", "doctor"), ("&", "and"), ("\"quoted\"", "quoted"), ("(word)", "word"),
    ("\u65e5\u672c", ""), ("mp3", "mp three"),
])
def test_token(tok, words):
    assert " ".join(normalise_token(tok)) == words


def test_cardinal_large():
    assert " ".join(cardinal(1_000_001)) == "one million one"
    assert " ".join(cardinal(999)) == "nine hundred ninety nine"


def test_tokenize_drops_punctuation_only_tokens():
    assert tokenize("Hello , world -- ... ok!") == ["Hello", "world", "ok!"]


def test_normalise_keeps_one_token_per_word():
    toks = normalise("I paid $3 on May 2nd.")
    assert [t.text for t in toks] == ["I", "paid", "$3", "on", "May", "2nd."]
    assert toks[2].spoken == ["three", "dollars"]
    assert toks[5].spoken == ["second"]
