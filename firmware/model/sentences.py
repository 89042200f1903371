"""Built-in sentence generator (there is no text corpus to download).

Sentences come from templates over a built-in word list, plus word-salad sequences for phone
coverage, with numbers, currency, times, percentages and punctuation mixed in.  Deterministic
given the ``random.Random`` passed in.
"""
from __future__ import annotations

import argparse
import random

NOUNS = """time year people way day man thing woman life child world school state family student
group country problem hand part place case week company system program question work government
number night point home water room mother area money story fact month lot right study book eye job
word business issue side kind head house service friend father power hour game line end member law
car city community name president team minute idea kid body information back parent face others
level office door health person art war history party result change morning reason research girl
guy moment air teacher force education foot boy age policy music market sense nation plan college
interest death experience effect class control care field development role effort rate heart drug
show leader light voice wife police mind price report decision son view relationship town road arm
difference value building action model season society tax director position player record paper
space ground form event official matter center couple site project activity star table need court
oil situation cost industry figure street image phone data picture practice piece land product
doctor wall patient worker news test movie north love support technology step baby computer type
attention film tree source organization hair window evidence population site garden river
mountain ocean island forest desert valley bridge castle village kitchen bottle chair pencil
window blanket pocket candle basket ladder hammer engine rocket planet galaxy orange banana cherry
potato tomato onion pepper cheese butter bread coffee sugar honey salt lemon melon peach grape
dragon tiger rabbit monkey turtle eagle spider whale dolphin horse sheep goat chicken duck mouse
zebra giraffe elephant penguin squirrel beaver badger thunder lightning rainbow weather winter
summer autumn spring holiday journey adventure puzzle mystery treasure pirate wizard castle
knight shadow mirror whistle zipper jacket sweater sock shoe boot glove scarf umbrella violin
guitar piano trumpet drum orchestra concert theatre museum library airport station harbour
vehicle bicycle motorcycle helicopter submarine tractor truck ambulance yacht canoe tunnel
highway sidewalk avenue junction measure pleasure treasure vision decision television usual
genre beige judge bridge edge page cage orange jungle juice joke jam chess cheap church cheek
shoe shell shine ship shop thumb thing thought throat three thirty birth earth mouth path south
youth yellow yard young yogurt year yesterday why what when where which white whale wheel
nurse purple circle burger turkey learner curtain certain""".split()

VERBS = """take make get see know think come give look use find want tell put mean become leave
work need feel seem ask show try call keep provide hold turn follow begin bring like going help
start run write set move play pay hear include believe allow meet lead live stand happen carry
talk appear produce sit offer consider expect suggest let read require continue lose add change
fall remain remember buy speak stop send receive decide win understand describe develop agree
open reach build involve spend return draw die hope create walk sell wait cause pass lie accept
watch raise base apply break explain learn increase cover grow claim report support cut drive
jump climb swim dance sing paint cook bake clean wash fix push pull throw catch kick borrow
measure whisper shout laugh smile cry listen travel visit explore discover imagine invent
juggle wiggle giggle chew fetch judge rush wish breathe bathe soothe thrive""".split()

PAST = """took made got saw knew thought came gave looked used found wanted told put meant
became left worked needed felt seemed asked showed tried called kept provided held turned
followed began brought liked helped started ran wrote moved played paid heard believed met led
lived stood happened carried talked appeared produced sat offered expected read lost added
changed fell remembered bought spoke stopped sent received decided won understood described
built spent returned drew hoped created walked sold waited passed watched broke explained learned
grew cut drove jumped climbed swam danced sang painted cooked baked cleaned washed fixed pushed
pulled threw caught kicked borrowed measured whispered shouted laughed smiled cried listened
travelled visited explored discovered imagined invented judged rushed wished""".split()

ADJECTIVES = """good new first last long great little own other old right big high different
small large next early young important few public bad same able free sure clear whole real best
better true full special easy strong certain low hard major late simple dark happy serious ready
red blue green yellow purple orange white black brown pink grey silver golden bright quiet loud
soft warm cold hot cool fresh sweet bitter sour spicy crisp smooth rough heavy light thick thin
narrow wide deep shallow quick slow lazy busy clever brave calm eager fancy gentle jolly kind
lively nice proud silly witty zealous ancient modern huge tiny enormous gigantic curious
beautiful wonderful terrible horrible delicious mysterious famous nervous anxious precious
strange usual unusual ordinary extraordinary thirsty hungry sleepy""".split()

ADVERBS = """quickly slowly quietly loudly carefully happily sadly easily gently suddenly
finally usually often never always sometimes rarely really very almost nearly already soon
today tomorrow yesterday tonight together outside inside upstairs downstairs everywhere""".split()

NAMES = """James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara
Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa Anthony Betty
Mark Margaret Paul Sandra Steven Ashley Andrew Emily Joshua Donna Kevin Michelle Brian Carol
George Amanda Edward Melissa Ronald Deborah Timothy Stephanie Jason Rebecca Jeffrey Laura Ryan
Sharon Jacob Cynthia Gary Kathleen Nicholas Amy Eric Shirley Jonathan Angela Stephen Helen
Larry Anna Justin Brenda Scott Pamela Brandon Nicole Oliver Sophie Harry Chloe Jack Grace Noah
Zoe Liam Ava Ethan Mia Lucas Isla Owen Ruby Hugo Freya""".split()

PLACES = """London Paris Boston Chicago Texas Canada Japan Berlin Madrid Dublin Sydney Toronto
Glasgow Manchester Jamaica Oxford Cambridge Denver Seattle Florida Kenya Egypt Brazil Mexico
Norway Sweden India China Iceland Wales Scotland Ireland Africa Europe America""".split()

DETERMINERS = "the a this that my your his her our their every some one another each no".split()
PREPOSITIONS = ("in on at under over near behind beside with without into from to for about "
                "across through between after before during against along around").split()
PRONOUNS = "I you he she we they it someone everybody nobody".split()
CONJUNCTIONS = "and but or so because although while when if unless".split()
MONTHS = ("January February March April May June July August September October November "
          "December").split()
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
UNITS = "miles kilometres pounds kilos minutes hours days years metres dollars people times".split()
QUESTION = "what where when why how who which".split()


def _np(r: random.Random) -> str:
    det = r.choice(DETERMINERS)
    adj = (r.choice(ADJECTIVES) + " ") if r.random() < 0.5 else ""
    noun = r.choice(NOUNS)
    if det in ("a",) and (adj or noun)[0] in "aeiou":
        det = "an"
    return f"{det} {adj}{noun}"


def _subject(r: random.Random) -> str:
    x = r.random()
    if x < 0.3:
        return r.choice(NAMES)
    if x < 0.5:
        return r.choice(PRONOUNS)
    return _np(r)


def _number(r: random.Random) -> str:
    x = r.random()
    if x < 0.35:
        return str(r.randint(0, 100))
    if x < 0.5:
        return str(r.randint(100, 99999)) if r.random() < 0.5 else f"{r.randint(1, 99)},{r.randint(0, 999):03d}"
    if x < 0.6:
        return str(r.randint(1900, 2030))
    if x < 0.7:
        return f"{r.randint(0, 99)}.{r.randint(0, 99)}"
    if x < 0.8:
        return f"${r.randint(1, 500)}" + (f".{r.randint(10, 99)}" if r.random() < 0.4 else "")
    if x < 0.88:
        return f"{r.randint(1, 100)}%"
    if x < 0.94:
        n = r.randint(1, 31)
        suf = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return f"{n}{suf}"
    return f"{r.randint(1, 12)}:{r.randint(0, 59):02d}"


def _clause(r: random.Random) -> str:
    t = r.randrange(9)
    if t == 0:
        return f"{_subject(r)} {r.choice(PAST)} {_np(r)}"
    if t == 1:
        return f"{_subject(r)} {r.choice(PAST)} {_np(r)} {r.choice(PREPOSITIONS)} {_np(r)}"
    if t == 2:
        return f"{_subject(r)} will {r.choice(VERBS)} {_np(r)} {r.choice(ADVERBS)}"
    if t == 3:
        return f"{_np(r)} was {r.choice(ADJECTIVES)} {r.choice(PREPOSITIONS)} {r.choice(PLACES)}"
    if t == 4:
        return f"{_subject(r)} {r.choice(PAST)} {_number(r)} {r.choice(UNITS)}"
    if t == 5:
        return f"on {r.choice(DAYS)} {r.choice(MONTHS)} {_number(r)} {_subject(r)} {r.choice(PAST)}"
    if t == 6:
        return f"{r.choice(QUESTION)} did {_subject(r)} {r.choice(VERBS)} {r.choice(PREPOSITIONS)} {_np(r)}"
    if t == 7:
        return f"{_subject(r)} can't {r.choice(VERBS)} the {r.choice(NOUNS)} it's too {r.choice(ADJECTIVES)}"
    return f"{_subject(r)} didn't {r.choice(VERBS)} {_number(r)} {r.choice(NOUNS)}s"


ALL_WORDS = (NOUNS + VERBS + PAST + ADJECTIVES + ADVERBS + NAMES + PLACES + DETERMINERS
             + PREPOSITIONS + PRONOUNS + CONJUNCTIONS + MONTHS + DAYS)


def sentence(r: random.Random) -> str:
    """One sentence of 1 to ~30 words, with punctuation."""
    x = r.random()
    if x < 0.2:  # word salad, for phone coverage
        n = r.choice([1, 2, 3, 5, 8, 12, 16, 20])
        words = [r.choice(ALL_WORDS) if r.random() > 0.08 else _number(r) for _ in range(n)]
        for i in range(1, n):
            if r.random() < 0.1:
                words[i - 1] += r.choice([",", ";", ",", " -"])
        s = " ".join(words)
    else:
        n = 1 if r.random() < 0.6 else r.randint(2, 3)
        parts = [_clause(r)]
        for _ in range(n - 1):
            parts.append(r.choice([", ", " ", "; "]) + r.choice(CONJUNCTIONS) + " " + _clause(r))
        s = "".join(parts)
        s = s[0].upper() + s[1:]
    end = r.choice([".", ".", ".", "?", "!", "", "..."])
    return s + end


def main() -> None:
    ap = argparse.ArgumentParser(description="Print generated sentences.")
    ap.add_argument("-n", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    r = random.Random(args.seed)
    for _ in range(args.n):
        print(sentence(r))


if __name__ == "__main__":
    main()
