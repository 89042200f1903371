"""Reduced phone inventory (class 0 = sil) and the eSpeak mnemonic -> class mapping (phone_map.json)."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

MAP_PATH = Path(__file__).with_name("phone_map.json")
SIL = 0
MERGE = "+"
STRESS_MARKS = "',%=!"


@lru_cache(maxsize=1)
def _doc() -> dict:
    """phone_map.json, read once."""
    return json.loads(MAP_PATH.read_text())


@lru_cache(maxsize=1)
def _load() -> tuple[list[str], dict[str, str]]:
    doc = _doc()
    return list(doc["classes"]), dict(doc["map"])


@lru_cache(maxsize=1)
def en_us_transcript() -> dict[str, list[str]]:
    """eSpeak mnemonic -> the classes an en-us transcript writes for it (phone_map.json
    "en_us_transcript": as the CMU dictionary writes them; the corpus labels do not use it)."""
    return {k: list(v) for k, v in _doc()["en_us_transcript"].items() if k != "_doc"}


def classes() -> list[str]:
    """Class names; index = class id."""
    return _load()[0]


def n_classes() -> int:
    return len(classes())


def class_id(name: str) -> int:
    return classes().index(name)


def map_mnemonic(mnemonic: str) -> str | None:
    """Class name for an eSpeak mnemonic, 'sil' for pauses, MERGE for merge-into-previous,
    None if unknown even after stripping modifier characters."""
    if mnemonic == "" or mnemonic.startswith("_") or mnemonic in ("|", "||"):
        return "sil"
    table = _load()[1]
    # eSpeak NG 1.52 (Debian 13) prefixes a stressed vowel's phoneme-event mnemonic with its
    # stress phoneme (espeak-ng phsource/phonemes, "Stress Phonemes": % unstressed, %% diminished,
    # , and ,, secondary, ' and '' primary, '! emphasized, = stress on the previous vowel);
    # 1.51 (Debian 12) reports the bare vowel. The phone class is the same.
    m = mnemonic.lstrip(STRESS_MARKS) or mnemonic
    while m:
        if m in table:
            return table[m]
        m = m[:-1]  # strip trailing modifiers such as '#', '2', '-', ';'
    return None
