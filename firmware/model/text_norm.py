"""Transcript normalisation: tokens -> spoken words (lower-case ASCII letters and apostrophes).

A *token* is a whitespace-separated piece of the transcript that contains at least one letter or
digit (punctuation-only tokens such as "-" or "..." are not words and get no time).  Every token
is normalised to zero or more *spoken words*:

* numbers: cardinals ("42" -> forty two, "1,200" -> one thousand two hundred), decimals
  ("3.5" -> three point five), ordinals ("21st" -> twenty first), years ("1984" -> nineteen
  eighty four), times ("3:30" -> three thirty), currency ("$5" -> five dollars), percent,
  negative numbers;
* "&" -> and, a few abbreviations (Mr. Dr. St. etc.);
* punctuation around a token is dropped, apostrophes inside a word are kept (don't, John's),
  typographic apostrophes are mapped to "'", hyphenated and slashed compounds are split;
* accents are stripped (café -> cafe); anything that is still not [a-z'] (other scripts, emoji)
  makes that piece unpronounceable: it contributes no spoken word, and a token with no spoken
  word is answered "NF" by the aligner.
"""
from __future__ import annotations

import argparse
import re
import unicodedata
from dataclasses import dataclass

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
        "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
SCALES = [(10 ** 12, "trillion"), (10 ** 9, "billion"), (10 ** 6, "million"), (1000, "thousand")]
ORDINAL_WORDS = {"one": "first", "two": "second", "three": "third", "five": "fifth",
                 "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}
ABBREVIATIONS = {"mr": "mister", "mrs": "missus", "ms": "miss", "dr": "doctor", "st": "saint",
                 "jr": "junior", "sr": "senior", "prof": "professor", "vs": "versus",
                 "etc": "etcetera", "approx": "approximately", "no": "number"}
SYMBOLS = {"&": "and", "+": "plus", "=": "equals", "@": "at", "%": "percent"}
CURRENCY = {"$": ("dollar", "dollars", "cent", "cents"), "£": ("pound", "pounds", "penny", "pence"),
            "€": ("euro", "euros", "cent", "cents")}
APOSTROPHES = "\u2018\u2019\u02bc\u0060\u00b4\u2032"
WORD_RE = re.compile(r"^[a-z]+(?:'[a-z]+)*'?$")


@dataclass
class Token:
    text: str                 # the token as written in the transcript
    spoken: list[str]         # normalised spoken words (may be empty -> NF)


def _under_thousand(n: int) -> list[str]:
    out: list[str] = []
    if n >= 100:
        out += [ONES[n // 100], "hundred"]
        n %= 100
    if n >= 20:
        out.append(TENS[n // 10])
        if n % 10:
            out.append(ONES[n % 10])
    elif n > 0:
        out.append(ONES[n])
    return out


def cardinal(n: int) -> list[str]:
    """Cardinal number in words (list of words, no hyphens)."""
    if n < 0:
        return ["minus"] + cardinal(-n)
    if n == 0:
        return ["zero"]
    if n >= 10 ** 15:
        return digits(str(n))
    out: list[str] = []
    for value, name in SCALES:
        if n >= value:
            out += _under_thousand(n // value) + [name]
            n %= value
    return out + _under_thousand(n)


def digits(s: str) -> list[str]:
    return [ONES[int(c)] for c in s if c.isdigit()]


def ordinal(n: int) -> list[str]:
    words = cardinal(n)
    last = words[-1]
    if last in ORDINAL_WORDS:
        words[-1] = ORDINAL_WORDS[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return words


def year(n: int) -> list[str]:
    """Years 1100-1999 and 2010-2099 read in pairs; other years as cardinals."""
    hi, lo = divmod(n, 100)
    if (11 <= hi <= 19 or 20 <= hi <= 20 and lo >= 10) and n % 1000 != 0:
        if lo == 0:
            return cardinal(hi) + ["hundred"]
        if lo < 10:
            return cardinal(hi) + ["oh", ONES[lo]]
        return cardinal(hi) + cardinal(lo)
    return cardinal(n)


def number_words(s: str) -> list[str]:
    """Spoken words of a numeric string (already stripped of currency/percent)."""
    grouped = "," in s
    s = s.replace(",", "")
    neg = s.startswith("-")
    if neg:
        s = s[1:]
    words: list[str]
    m = re.fullmatch(r"(\d+)(st|nd|rd|th)", s)
    if m:
        words = ordinal(int(m.group(1)))
    elif re.fullmatch(r"\d+:\d\d", s):
        h, mnt = s.split(":")
        words = cardinal(int(h)) + ([] if mnt == "00" else
                                    (["oh", ONES[int(mnt)]] if mnt[0] == "0" else cardinal(int(mnt))))
    elif re.fullmatch(r"\d*\.\d+", s):
        a, b = s.split(".")
        words = (cardinal(int(a)) if a else ["zero"]) + ["point"] + digits(b)
    elif re.fullmatch(r"\d{4}", s) and not neg and not grouped:
        words = year(int(s))
    elif re.fullmatch(r"0\d+", s):
        words = digits(s)
    elif re.fullmatch(r"\d+", s):
        words = cardinal(int(s))
    else:
        words = []
        for part in re.findall(r"\d+|[A-Za-z]+", s):  # e.g. "4x4", "mp3"
            words += cardinal(int(part)) if part.isdigit() else [part.lower()]
    return (["minus"] if neg else []) + words


def strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def has_word_char(token: str) -> bool:
    return any(c.isalnum() for c in token)


def normalise_token(token: str) -> list[str]:
    """Spoken words of one whitespace-delimited token."""
    t = token
    for a in APOSTROPHES:
        t = t.replace(a, "'")
    t = strip_accents(t)
    # currency prefix and percent suffix
    core = t.strip("\"()[]{}<>,;:!?.\u201c\u201d\u00ab\u00bb*_~")
    cur = next((c for c in CURRENCY if core.startswith(c)), None)
    if cur and re.fullmatch(r"[\d,]*\d(\.\d+)?", core[1:]):
        amount = core[1:].replace(",", "")
        whole, _, frac = amount.partition(".")
        one, many, sub1, subn = CURRENCY[cur]
        words = cardinal(int(whole)) + [one if int(whole) == 1 else many]
        if frac and int(frac[:2].ljust(2, "0")):
            c = int(frac[:2].ljust(2, "0"))
            words += ["and"] + cardinal(c) + [sub1 if c == 1 else subn]
        return words
    if re.fullmatch(r"-?[\d,]*\d(\.\d+)?%", core):
        return number_words(core[:-1]) + ["percent"]
    if re.fullmatch(r"-?(\d[\d,]*(\.\d+)?|\.\d+|\d+(st|nd|rd|th)|\d+:\d\d)", core):
        return number_words(core)
    low = core.lower().rstrip(".")
    if low in ABBREVIATIONS and (core.endswith(".") or token.rstrip(",;:!?").endswith(".")):
        return [ABBREVIATIONS[low]]
    words: list[str] = []
    for piece in re.split(r"[-\u2010-\u2015/]+", core):
        piece = piece.strip("'\".,;:!?()[]")
        if not piece:
            continue
        if piece in SYMBOLS:
            words.append(SYMBOLS[piece])
            continue
        for sub in re.findall(r"[A-Za-z']+|\d[\d,.:]*(?:st|nd|rd|th)?|[&+=@%]|[^\sA-Za-z\d']+", piece):
            if sub[0].isdigit():
                words += number_words(sub.rstrip(".,:"))
            elif sub in SYMBOLS:
                words.append(SYMBOLS[sub])
            else:
                w = sub.lower().strip("'")
                if w and WORD_RE.match(w):
                    words.append(w)
                # anything else (other scripts, emoji): unpronounceable, contributes nothing
    return words


def tokenize(text: str) -> list[str]:
    """Whitespace tokens that contain a letter or digit (punctuation-only tokens are not words).

    A lone "&" counts as a word ("and")."""
    return [t for t in text.split() if has_word_char(t) or t in SYMBOLS]


def normalise(text: str) -> list[Token]:
    return [Token(t, normalise_token(t)) for t in tokenize(text)]


def main() -> None:
    ap = argparse.ArgumentParser(description="Normalise a transcript into tokens and spoken words.")
    ap.add_argument("text")
    args = ap.parse_args()
    for tok in normalise(args.text):
        print(f"{tok.text!r:24} -> {' '.join(tok.spoken) if tok.spoken else '(NF)'}")


if __name__ == "__main__":
    main()
