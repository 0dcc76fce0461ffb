"""What the user's own words say: which clauses are requests, which names and numbers they give.

The write guard (guards.py) holds every model proposal to this reading of the request text,
never to the model's. The reading is deliberately conservative:
- a sentence ending in "?" or opening with a question word is a question, not a request
  ("can you / could you / please ..." openers are polite requests);
- words after a negation in the same clause ("not like X", "except X", "don't restart") are
  negated: they never name a target, a namespace or a value;
- a number counts only as a standalone word ("web-2" does not say 2) or a number word.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_CLAUSE_SPLIT = re.compile(r"\s*[,;:]\s+|\s+(?:and|but|then|or|so)\s+")
_WORD = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_QUESTION_OPENERS = frozenset(
    re.split(
        r"\s+",
        "what why how when where who whom which whose is are was were am do does did should "
        "shall can could would will has have had may might must isn't aren't doesn't didn't",
    )
)
_POLITE_REQUEST = re.compile(r"^(please\s+|pls\s+|kindly\s+)?(can|could|would|will)\s+you\b")
_FILLERS = frozenset(re.split(r"\s+", "please pls kindly just now also hey ok okay so then"))
_NEGATION = re.compile(
    r"\b(not|no|never|without|except|excluding|unlike|instead\s+of|rather\s+than|other\s+than)\b"
    r"|n't\b|\b(dont|cant|wont|shouldnt|isnt|arent)\b"
)
NUMBER_WORDS: dict[str, int] = {
    word: value
    for value, word in enumerate(
        re.split(
            r"\s+",
            "zero one two three four five six seven eight nine ten eleven twelve thirteen "
            "fourteen fifteen sixteen seventeen eighteen nineteen twenty",
        )
    )
}


# apostrophes phones and Slack type ("don\u2019t") read as "'", so negations stay negations
_APOSTROPHES = str.maketrans(dict.fromkeys("\u2018\u2019\u201b\u02bc\u02b9\u2032\u00b4`", "'"))
_QUESTION_TAIL = " \t!.)]}\"'\u00bb\u201d"


def normalise(text: str) -> str:
    """NFKC, lower case, format characters (zero-width, soft hyphen) removed, apostrophes
    unified."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    return "".join(c for c in folded if unicodedata.category(c) != "Cf")


def _words(text: str) -> list[str]:
    return [w.strip(".-_") for w in _WORD.findall(text) if w.strip(".-_")]


@dataclass(frozen=True)
class Clause:
    """One clause of the request: its words before and after a negation."""

    text: str
    question: bool
    positive: tuple[str, ...]
    negated: tuple[str, ...]
    positive_text: str


def _opens_question(text: str) -> bool:
    if _POLITE_REQUEST.match(text):
        return False
    words = [w for w in re.findall(r"[a-z']+", text) if w not in _FILLERS]
    return bool(words) and words[0] in _QUESTION_OPENERS


def _is_question(sentence: str) -> bool:
    if _POLITE_REQUEST.match(sentence):
        return False
    # "restart web?!" and "(restart web?)" are questions too
    return sentence.rstrip(_QUESTION_TAIL).endswith("?") or _opens_question(sentence)


def _clause(text: str, *, question: bool) -> Clause:
    negation = _NEGATION.search(text)
    cut = negation.start() if negation else len(text)
    return Clause(
        text=text,
        question=question or _opens_question(text),
        positive=tuple(_words(text[:cut])),
        negated=tuple(_words(text[cut:])),
        positive_text=text[:cut],
    )


@dataclass(frozen=True)
class Wording:
    """The request text read once: clauses, named words, negated words and numbers said."""

    text: str
    clauses: tuple[Clause, ...]

    @classmethod
    def of(cls, text: str) -> Wording:
        clean = _THOUSANDS.sub("", normalise(text))
        clauses: list[Clause] = []
        for sentence in _SENTENCE_END.split(clean):
            sentence = sentence.strip()
            if not sentence:
                continue
            question = _is_question(sentence)
            clauses += [
                _clause(part, question=question)
                for part in _CLAUSE_SPLIT.split(sentence)
                if part.strip()
            ]
        return cls(text=clean, clauses=tuple(clauses))

    @property
    def requests(self) -> tuple[Clause, ...]:
        """Clauses that ask for something (not questions)."""
        return tuple(c for c in self.clauses if not c.question)

    @property
    def positive_words(self) -> frozenset[str]:
        return frozenset(w for c in self.clauses for w in c.positive)

    @property
    def negated_words(self) -> frozenset[str]:
        return frozenset(w for c in self.clauses for w in c.negated)

    def names(self, name: str) -> bool:
        """Did the user name `name` as something to act on (and never in a negation)?"""
        lowered = name.lower()
        return lowered in self.positive_words and lowered not in self.negated_words

    def names_as(self, name: str, nouns: frozenset[str]) -> bool:
        """Did the user name `name` as one of `nouns` ("context admin", "the admin cluster",
        "--context admin")? A word that merely equals it ("the admin team") does not count."""
        lowered = name.lower()
        if not self.names(lowered):
            return False
        for clause in self.clauses:
            words = [w.lstrip("-") for w in clause.positive]
            for i, word in enumerate(words):
                if word != lowered:
                    continue
                near = {*words[max(i - 2, 0) : i], *words[i + 1 : i + 2]}
                if near & nouns:
                    return True
        return False

    def negates(self, name: str) -> bool:
        return name.lower() in self.negated_words

    @property
    def numbers(self) -> frozenset[int]:
        """Every number the user said outside a negation: digits or a number word."""
        found: set[int] = set()
        for word in self.positive_words:
            if word.isdigit():
                found.add(int(word))
            elif word in NUMBER_WORDS:
                found.add(NUMBER_WORDS[word])
        return frozenset(found)
